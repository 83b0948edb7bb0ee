"""Reading a submission and lining it up with the instructor's source notebook.

The submission is untrusted in form as well as content: it may be empty, not JSON, not
UTF-8, nbformat 4.0 without cell ids (Colab), have string or list sources, lost or
edited nbgrader metadata, deleted or moved test cells. What runs is decided here:

- test cells and locked cells (the bootstrap, the checks) come from the source, placed
  after their predecessor in the source, wherever the submission put them;
- every other cell comes from the submission, in its order; a cell is matched to the
  source by nbgrader grade id, then cell id, then a fingerprint of its content, and
  an answer cell whose metadata was lost is found by position and the names it defines;
- grade ids, points and the test/answer roles come from the source, never from the
  submission (a student's cell that claims a grade id loses the claim).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field

TEST, LOCKED, ANSWER, CODE, TEXT = "test", "locked", "answer", "code", "text"


class Unreadable(ValueError):
    """The submission cannot be read as a notebook; the message says why, plainly."""


def _text(source) -> str:
    if isinstance(source, list):
        return "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def _nbgrader(cell: dict) -> dict:
    meta = cell.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    nbg = meta.get("nbgrader")
    return nbg if isinstance(nbg, dict) else {}


_HIDDEN_TESTS = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.M | re.S)


def strip_hidden_tests(text: str) -> str:
    """A test cell as the student sees it: nbgrader's hidden-tests block removed."""
    return _HIDDEN_TESTS.sub("", text).rstrip("\n")


def _fingerprint(text: str) -> str:
    lines = [ln.rstrip() for ln in text.strip().splitlines() if ln.strip()]
    return hashlib.sha1("\n".join(lines).encode()).hexdigest()


def read_cells(data: bytes) -> list[dict]:
    """Cells of a notebook file as plain dicts; raises :class:`Unreadable`."""
    if not data.strip():
        raise Unreadable("the notebook file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"the notebook is not UTF-8 text (byte {exc.start})") from None
    try:
        nb = json.loads(text)
    except ValueError as exc:
        raise Unreadable(f"the notebook is not valid JSON ({exc})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise Unreadable("the file is JSON but not a notebook (no list of cells)")
    if nb.get("nbformat") not in (4, None):
        raise Unreadable(f"nbformat {nb.get('nbformat')} is not supported (save it as nbformat 4)")
    cells = []
    for raw in nb["cells"]:
        if not isinstance(raw, dict):
            continue
        meta = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
        cell_id = raw.get("id") if isinstance(raw.get("id"), str) else meta.get("id") if isinstance(meta.get("id"), str) else None
        cells.append({"cell_type": raw.get("cell_type") if raw.get("cell_type") in ("code", "markdown", "raw") else "raw",
                      "source": _text(raw.get("source")), "metadata": meta, "id": cell_id})
    return cells


@dataclass
class SourceCell:
    index: int
    cell: dict
    role: str
    grade_id: str | None = None
    exercise: str | None = None  #: for tests and answers: "nb00.ex1"
    points: float | None = None
    section: str | None = None  #: the exercise whose part of the notebook the cell is in

    @property
    def released(self) -> str:
        """The cell's source as released to students (no hidden tests)."""
        return strip_hidden_tests(self.cell["source"]) if self.role == TEST else self.cell["source"]


@dataclass
class Source:
    """The instructor's notebook: roles and points of every cell."""

    name: str
    cells: list[SourceCell]
    nb: dict

    @classmethod
    def load(cls, name: str, data: bytes) -> "Source":
        nb = json.loads(data)
        out = []
        for i, raw in enumerate(nb["cells"]):
            cell = {"cell_type": raw["cell_type"], "source": _text(raw.get("source")),
                    "metadata": raw.get("metadata", {}), "id": raw.get("id")}
            nbg = _nbgrader(cell)
            gid = nbg.get("grade_id")
            if cell["cell_type"] != "code":
                role = TEXT
            elif nbg.get("grade") and not nbg.get("solution"):
                role = TEST
            elif nbg.get("solution"):
                role = ANSWER
            elif nbg.get("locked"):
                role = LOCKED
            else:
                role = CODE
            exercise = None
            if gid and role in (TEST, ANSWER):
                exercise = _exercise_of(gid.removesuffix("-answer"))
            out.append(SourceCell(i, cell, role, gid, exercise, nbg.get("points")))
        current = next((c.exercise for c in out if c.exercise), None)
        for c in out:  # a cell belongs to the exercise whose answer precedes it (the first, before any)
            current = c.exercise if c.role == ANSWER and c.exercise else current
            c.section = c.exercise or current
        return cls(name, out, nb)

    @property
    def tests(self) -> list[SourceCell]:
        return [c for c in self.cells if c.role == TEST or (c.grade_id and _nbgrader(c.cell).get("grade"))]


def _exercise_of(grade_id: str) -> str:
    return grade_id.replace("-", ".", 1)


@dataclass
class Plan:
    """What runs, in which order, and what the output notebook holds."""

    cells: list[dict]  #: the output notebook's cells (nbformat 4 dicts)
    steps: list[dict]  #: {"cell": i, "kind": "code"|"test", "source", "exercise"}
    owner: dict[int, str | None] = field(default_factory=dict)  #: output cell -> exercise it belongs to
    tests: dict[str, int] = field(default_factory=dict)  #: grade id of a test -> output cell
    notes: list[str] = field(default_factory=list)
    missing_answers: dict[str, str] = field(default_factory=dict)  #: exercise -> why
    by_outputs: set[str] = field(default_factory=set)  #: tests without a checker: scored like nbgrader
    altered: dict[str, list[str]] = field(default_factory=dict)  #: exercise -> what the student changed


def _defines(text: str, names) -> bool:
    return any(re.search(rf"^\s*(def|class)\s+{re.escape(n)}\b|^\s*{re.escape(n)}\s*=", text, re.M) for n in names)


def match(source: Source, cells: list[dict], answers_of) -> tuple[dict[int, int], list[str]]:
    """source index -> submission index, and notes on what was found how."""
    notes = []
    matched: dict[int, int] = {}
    used: set[int] = set()

    def take(s_idx, u_idx):
        matched[s_idx] = u_idx
        used.add(u_idx)

    by_gid: dict[str, list[int]] = {}
    for j, c in enumerate(cells):
        gid = _nbgrader(c).get("grade_id")
        if isinstance(gid, str):
            by_gid.setdefault(gid, []).append(j)
    for s in source.cells:  # 1. nbgrader grade id (same role only)
        if s.grade_id:
            for j in by_gid.get(s.grade_id, []):
                if j not in used and cells[j]["cell_type"] == s.cell["cell_type"]:
                    take(s.index, j)
                    break
    by_id = {}
    for j, c in enumerate(cells):
        if c["id"] and j not in used:
            by_id.setdefault(c["id"], j)
    for s in source.cells:  # 2. cell id
        if s.index not in matched and s.cell.get("id") in by_id and by_id[s.cell["id"]] not in used:
            take(s.index, by_id[s.cell["id"]])
    fps: dict[str, list[int]] = {}
    for j, c in enumerate(cells):
        if j not in used:
            fps.setdefault(_fingerprint(c["source"]), []).append(j)
    for s in source.cells:  # 3. content
        if s.index not in matched:
            for j in fps.get(_fingerprint(s.released), []) + fps.get(_fingerprint(s.cell["source"]), []):
                if j not in used:
                    take(s.index, j)
                    break
    for s in source.cells:  # 4. an answer whose metadata was lost: by position and names
        if s.index in matched or s.role != ANSWER:
            continue
        before = [matched[t.index] for t in source.cells[:s.index] if t.index in matched]
        after = [matched[t.index] for t in source.cells[s.index + 1:] if t.index in matched]
        lo, hi = (max(before) if before else -1), (min(after) if after else len(cells))
        candidates = [j for j in range(lo + 1, hi) if j not in used and cells[j]["cell_type"] == "code"]
        names = answers_of(s.exercise) or ()
        found = [j for j in candidates if _defines(cells[j]["source"], names)] or candidates[:1]
        if found:
            take(s.index, found[0])
            notes.append(f"{s.grade_id}: found by position (its metadata was lost or changed)")
    return matched, notes


_ROLE_KEYS = ("grade", "solution", "locked", "points", "grade_id")


def _altered(source: Source, cells: list[dict], matched: dict[int, int], notes: list[str]) -> dict[str, list[str]]:
    """exercise -> what the submission changed in the cells the student may not change.

    Test and locked cells always run from the source, so these changes never move a
    score; they are reported so that a person looks (a flag, not a penalty). A Colab
    save drops the nbgrader metadata and is not reported.
    """
    out: dict[str, list[str]] = {}
    known = [s for s in source.cells if s.grade_id and s.index in matched and (
        _nbgrader(cells[matched[s.index]]).get("grade_id") == s.grade_id or cells[matched[s.index]]["id"] == s.cell.get("id")
        or _fingerprint(cells[matched[s.index]]["source"]) in (_fingerprint(s.released), _fingerprint(s.cell["source"])))]
    if cells and not known and any(s.grade_id for s in source.cells):
        why = f"the notebook matches none of the cells of {source.name} (another assignment's notebook?)"
        notes.append(why)
        return {ex: [why] for ex in dict.fromkeys(s.exercise for s in source.tests if s.exercise)}
    if not cells:
        return out
    for s in source.cells:
        if not s.section or s.role not in (TEST, LOCKED, ANSWER):
            continue
        what = "the test cell" if s.role == TEST else "a locked cell" if s.role == LOCKED else "the answer cell"
        j = matched.get(s.index)
        if j is None:
            if s.role != ANSWER:
                out.setdefault(s.section, []).append(f"{what} {s.grade_id or ''} was deleted or changed "
                                                     "(the source's cell ran)".replace("  ", " "))
            continue
        if s.role != ANSWER and _fingerprint(cells[j]["source"]) not in (_fingerprint(s.released),
                                                                        _fingerprint(s.cell["source"])):
            out.setdefault(s.section, []).append(f"{what} {s.grade_id or ''} was edited (the source's cell ran)"
                                                 .replace("  ", " "))
        theirs = _nbgrader(cells[j])
        mine = _nbgrader(s.cell)
        changed = [k for k in _ROLE_KEYS if theirs and theirs.get(k) != mine.get(k)]
        if s.role == ANSWER and theirs.get("grade_id") != s.grade_id:
            changed = []  # found by position: another cell's metadata, not a change to this one
        if changed:
            out.setdefault(s.section, []).append(f"the nbgrader metadata of {s.grade_id or what} was changed "
                                                 f"({', '.join(changed)}; the source's is used)")
        if s.role == TEST:
            answer = next((a for a in source.cells if a.role == ANSWER and a.exercise == s.exercise), None)
            if answer is not None and matched.get(answer.index, -1) > j:
                out.setdefault(s.section, []).append(f"the test cell {s.grade_id} was moved above its answer "
                                                     "(the source's order is used)")
    return out


def plan(source: Source, cells: list[dict], answers_of) -> Plan:
    """The cells to run for a submission (see the module docstring)."""
    matched, notes = match(source, cells, answers_of)
    owner_of_sub = {j: source.cells[s] for s, j in matched.items()}
    altered = _altered(source, cells, matched, notes)
    out: list[tuple[str, SourceCell | None, dict]] = []  # (origin, source cell, cell)
    for j, c in enumerate(cells):
        s = owner_of_sub.get(j)
        if s is not None and s.role in (TEST, LOCKED):
            continue  # placed from the source below
        cell = {"cell_type": c["cell_type"], "source": c["source"], "metadata": copy.deepcopy(c["metadata"])}
        cell["metadata"].pop("nbgrader", None)
        if s is not None:
            if "nbgrader" in s.cell["metadata"]:
                cell["metadata"]["nbgrader"] = copy.deepcopy(s.cell["metadata"]["nbgrader"])
            if s.cell["cell_type"] != c["cell_type"]:
                cell["cell_type"] = s.cell["cell_type"]
                notes.append(f"{s.grade_id or 'a cell'}: its cell type was changed; the source's is used")
            cell["id"] = s.cell.get("id")
        elif _nbgrader(c).get("grade_id"):
            claimed = next((t for t in source.cells if t.grade_id == _nbgrader(c).get("grade_id")), None)
            if claimed is not None and claimed.section:
                altered.setdefault(claimed.section, []).append(
                    f"a cell of the submission claims grade id {claimed.grade_id} (ignored)")
            notes.append(f"a cell claims grade id {_nbgrader(c).get('grade_id')!r} that the source gives "
                         "another cell or none: the claim is ignored")
        out.append(("submission" if s is not None else "added", s, cell))
    for s in source.cells:
        if s.role not in (TEST, LOCKED):
            continue
        if s.index not in matched and s.role == TEST:
            notes.append(f"{s.grade_id}: the test cell was missing or changed; restored from the source")
        cell = {"cell_type": s.cell["cell_type"], "source": s.cell["source"],
                "metadata": copy.deepcopy(s.cell["metadata"]), "id": s.cell.get("id")}
        placed = {id(x[1]): k for k, x in enumerate(out) if x[1] is not None}
        anchor = next((placed[id(p)] for p in reversed(source.cells[:s.index]) if id(p) in placed), -1)
        at = anchor + 1
        while at < len(out) and out[at][0] == "added":
            at += 1
        out.insert(at, ("source", s, cell))
    result = Plan([], [], notes=notes, altered=altered)
    current = None
    first_test = next((s.exercise for s in source.cells if s.role == TEST), None)
    for k, (origin, s, cell) in enumerate(out):
        cell.setdefault("id", None)
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
        if cell.get("id") is None:
            cell["id"] = f"cell-{k}"
        result.cells.append(cell)
        if s is not None and s.role == ANSWER:
            current = s.exercise
        if cell["cell_type"] != "code":
            continue
        if s is not None and s.role == TEST and answers_of(s.exercise) is None:
            result.tests[s.grade_id] = k  # no checker: its source runs, scored by its outputs
            result.by_outputs.add(s.grade_id)
            result.owner[k] = s.exercise
            result.steps.append({"cell": k, "kind": "code", "exercise": None, "source": cell["source"]})
        elif s is not None and s.role == TEST:
            cell["source"] = s.released  # the feedback shows the test as released, not its hidden part
            result.tests[s.grade_id] = k
            result.owner[k] = s.exercise
            result.steps.append({"cell": k, "kind": "test", "exercise": s.exercise, "source": ""})
        else:
            result.owner[k] = current or first_test
            result.steps.append({"cell": k, "kind": "code", "exercise": None, "source": cell["source"]})
    for s in source.cells:
        if s.role == ANSWER and s.index not in matched:
            result.missing_answers[s.exercise] = f"the answer cell {s.grade_id} is not in the submission"
    return result
