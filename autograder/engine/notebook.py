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
  submission (a student's cell that claims a grade id loses the claim);
- the instructor's cells that no graded answer depends on (demonstrations, plots,
  comparisons) are left out of the steps (``needed.py`` decides; ``Plan.skipped`` says
  which), unless the plan is made with ``all_cells``.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field

from autograder import cells as matcher
from autograder.cells import fingerprint as _fingerprint
from autograder.cells import nbgrader_meta as _nbgrader
from autograder.cells import source_text as _text
from autograder.engine import needed
from autograder.engine.records import Step, StepKind

TEST, LOCKED, ANSWER, CODE, TEXT = "test", "locked", "answer", "code", "text"


class Unreadable(ValueError):
    """The submission cannot be read as a notebook; the message says why, plainly."""


_HIDDEN_TESTS = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.M | re.S)


def strip_hidden_tests(text: str) -> str:
    """A test cell as the student sees it: nbgrader's hidden-tests block removed."""
    return _HIDDEN_TESTS.sub("", text).rstrip("\n")


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
        meta: dict = raw["metadata"] if isinstance(raw.get("metadata"), dict) else {}
        cell_id = (
            raw.get("id")
            if isinstance(raw.get("id"), str)
            else meta.get("id")
            if isinstance(meta.get("id"), str)
            else None
        )
        cells.append(
            {
                "cell_type": raw.get("cell_type") if raw.get("cell_type") in ("code", "markdown", "raw") else "raw",
                "source": _text(raw.get("source")),
                "metadata": meta,
                "id": cell_id,
            }
        )
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
            cell = {
                "cell_type": raw["cell_type"],
                "source": _text(raw.get("source")),
                "metadata": raw.get("metadata", {}),
                "id": raw.get("id"),
            }
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
    steps: list[Step]  #: what the sandbox runs, in order
    owner: dict[int, str | None] = field(default_factory=dict)  #: output cell -> exercise it belongs to
    tests: dict[str, int] = field(default_factory=dict)  #: grade id of a test -> output cell
    notes: list[str] = field(default_factory=list)
    missing_answers: dict[str, str] = field(default_factory=dict)  #: exercise -> why
    by_outputs: set[str] = field(default_factory=set)  #: tests without a checker: scored like nbgrader
    altered: dict[str, list[str]] = field(default_factory=dict)  #: exercise -> what the student changed
    skipped: dict[int, str] = field(default_factory=dict)  #: output cell not run under grading -> why


_KINDS = {TEST: "test", LOCKED: "locked", ANSWER: "answer"}


def _ref(s: SourceCell, answers_of) -> matcher.RefCell:
    """A source cell as the matcher looks for it."""
    names = tuple(answers_of(s.exercise) or ()) if s.role == ANSWER else ()
    return matcher.RefCell(
        s.index,
        s.cell["cell_type"],
        _KINDS.get(s.role, "other"),
        s.grade_id,
        frozenset(i for i in (s.cell.get("id"), s.grade_id) if i),
        frozenset({_fingerprint(s.released), _fingerprint(s.cell["source"])}),
        tuple(matcher.norm_lines(s.released)),
        names,
    )


def match(source: Source, cells: list[dict], answers_of) -> tuple[dict[int, int], list[str]]:
    """source index -> submission index, and notes on what was found how (``autograder.cells``)."""
    m = matcher.match([_ref(s, answers_of) for s in source.cells], cells, by_position=True)
    notes = [
        f"{source.cells[i].grade_id}: found by position (its metadata was lost or changed)"
        for i, (_j, how) in sorted(m.found.items())
        if how in (matcher.How.NAMES, matcher.How.POSITION) and source.cells[i].grade_id
    ]
    return {i: j for i, (j, _how) in m.found.items()}, notes


_ROLE_KEYS = ("grade", "solution", "locked", "points", "grade_id")


def _altered(source: Source, cells: list[dict], matched: dict[int, int], notes: list[str]) -> dict[str, list[str]]:
    """exercise -> what the submission changed in the cells the student may not change.

    Test and locked cells always run from the source, so these changes never move a
    score; they are reported so that a person looks (a flag, not a penalty). A Colab
    save drops the nbgrader metadata and is not reported.
    """
    out: dict[str, list[str]] = {}
    if not cells:
        return out
    if not _recognised(source, cells, matched) and any(s.grade_id for s in source.cells):
        why = f"the notebook matches none of the cells of {source.name} (another assignment's notebook?)"
        notes.append(why)
        return {ex: [why] for ex in dict.fromkeys(s.exercise for s in source.tests if s.exercise)}
    for s in source.cells:
        if s.section and s.role in (TEST, LOCKED, ANSWER):
            whys = _changes(source, s, cells, matched)
            if whys:
                out.setdefault(s.section, []).extend(whys)
    return out


def _recognised(source: Source, cells: list[dict], matched: dict[int, int]) -> bool:
    """Some graded cell of the source is in the submission by its grade id, its id or its text."""
    for s in source.cells:
        j = matched.get(s.index)
        if (
            s.grade_id
            and j is not None
            and (
                _nbgrader(cells[j]).get("grade_id") == s.grade_id
                or cells[j]["id"] == s.cell.get("id")
                or _fingerprint(cells[j]["source"]) in (_fingerprint(s.released), _fingerprint(s.cell["source"]))
            )
        ):
            return True
    return False


def _changes(source: Source, s: SourceCell, cells: list[dict], matched: dict[int, int]) -> list[str]:
    """What the student changed of one test, locked or answer cell (its source, its metadata, its place)."""
    what = "the test cell" if s.role == TEST else "a locked cell" if s.role == LOCKED else "the answer cell"
    name = f"{what} {s.grade_id}" if s.grade_id else what
    j = matched.get(s.index)
    if j is None:
        return [] if s.role == ANSWER else [f"{name} was deleted or changed (the source's cell ran)"]
    out = []
    if s.role != ANSWER and _fingerprint(cells[j]["source"]) not in (
        _fingerprint(s.released),
        _fingerprint(s.cell["source"]),
    ):
        out.append(f"{name} was edited (the source's cell ran)")
    theirs, mine = _nbgrader(cells[j]), _nbgrader(s.cell)
    changed = [k for k in _ROLE_KEYS if theirs and theirs.get(k) != mine.get(k)]
    if changed and not (s.role == ANSWER and theirs.get("grade_id") != s.grade_id):  # found by position: not its own
        out.append(
            f"the nbgrader metadata of {s.grade_id or what} was changed ({', '.join(changed)}; the source's is used)"
        )
    if s.role == TEST:
        answer = next((a for a in source.cells if a.role == ANSWER and a.exercise == s.exercise), None)
        if answer is not None and matched.get(answer.index, -1) > j:
            out.append(f"the test cell {s.grade_id} was moved above its answer (the source's order is used)")
    return out


def plan(source: Source, cells: list[dict], answers_of, *, all_cells: bool = False) -> Plan:
    """The cells to run for a submission (see the module docstring)."""
    matched, notes = match(source, cells, answers_of)
    altered = _altered(source, cells, matched, notes)
    placed = _submission_cells(source, cells, matched, notes, altered)
    _insert_source_cells(source, matched, placed, notes)
    result = Plan([], [], notes=notes, altered=altered)
    _steps(source, placed, answers_of, result)
    if not all_cells:
        _leave_out_unneeded(placed, answers_of, result)
    for s in source.cells:
        if s.role == ANSWER and s.index not in matched:
            result.missing_answers[s.exercise or ""] = f"the answer cell {s.grade_id} is not in the submission"
    return result


#: (origin: "submission" | "added" | "source", its source cell or None, the output cell)
Placed = list[tuple[str, "SourceCell | None", dict]]


def _submission_cells(
    source: Source, cells: list[dict], matched: dict[int, int], notes: list[str], altered: dict[str, list[str]]
) -> Placed:
    """The submission's own cells in its order, with the source's metadata on those it matched;
    test and locked cells are left for the source's copies."""
    owner = {j: source.cells[i] for i, j in matched.items()}
    out: Placed = []
    for j, c in enumerate(cells):
        s = owner.get(j)
        if s is not None and s.role in (TEST, LOCKED):
            continue  # placed from the source below
        cell = {"cell_type": c["cell_type"], "source": c["source"], "metadata": copy.deepcopy(c["metadata"])}
        cell["metadata"].pop("nbgrader", None)
        if s is not None:
            if "nbgrader" in s.cell["metadata"]:
                cell["metadata"]["nbgrader"] = copy.deepcopy(s.cell["metadata"]["nbgrader"])
            cell["id"] = s.cell.get("id")
        elif _nbgrader(c).get("grade_id"):
            _ignore_claim(source, _nbgrader(c).get("grade_id"), notes, altered)
        out.append(("submission" if s is not None else "added", s, cell))
    return out


def _ignore_claim(source: Source, gid, notes: list[str], altered: dict[str, list[str]]) -> None:
    claimed = next((t for t in source.cells if t.grade_id == gid), None)
    if claimed is not None and claimed.section:
        altered.setdefault(claimed.section, []).append(
            f"a cell of the submission claims grade id {claimed.grade_id} (ignored)"
        )
    notes.append(f"a cell claims grade id {gid!r} that the source gives another cell or none: the claim is ignored")


def _insert_source_cells(source: Source, matched: dict[int, int], out: Placed, notes: list[str]) -> None:
    """Test and locked cells from the source, each after its predecessor in the source."""
    for s in source.cells:
        if s.role not in (TEST, LOCKED):
            continue
        if s.index not in matched and s.role == TEST:
            notes.append(f"{s.grade_id}: the test cell was missing or changed; restored from the source")
        cell = {
            "cell_type": s.cell["cell_type"],
            "source": s.cell["source"],
            "metadata": copy.deepcopy(s.cell["metadata"]),
            "id": s.cell.get("id"),
        }
        placed = {id(x[1]): k for k, x in enumerate(out) if x[1] is not None}
        anchor = next((placed[id(p)] for p in reversed(source.cells[: s.index]) if id(p) in placed), -1)
        at = anchor + 1
        while at < len(out) and out[at][0] == "added":
            at += 1
        out.insert(at, ("source", s, cell))


def _steps(source: Source, placed: Placed, answers_of, result: Plan) -> None:
    """The output notebook's cells, and what runs: code cells as they are, tests as ``collect``."""
    current = None
    first_test = next((s.exercise for s in source.cells if s.role == TEST), None)
    for k, (_origin, s, cell) in enumerate(placed):
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
        if cell.get("id") is None:
            cell["id"] = f"cell-{k}"
        result.cells.append(cell)
        if s is not None and s.role == ANSWER:
            current = s.exercise
        if cell["cell_type"] != "code":
            continue
        if s is not None and s.role == TEST:
            result.tests[s.grade_id or ""] = k
            result.owner[k] = s.exercise
            if answers_of(s.exercise) is None:  # no checker: its source runs, scored by its outputs
                result.by_outputs.add(s.grade_id or "")
                result.steps.append(Step(k, StepKind.CODE, cell["source"]))
            else:
                cell["source"] = s.released  # the feedback shows the test as released, not its hidden part
                result.steps.append(Step(k, StepKind.TEST, "", s.exercise))
        else:
            result.owner[k] = current or first_test
            result.steps.append(Step(k, StepKind.CODE, cell["source"]))


def _as_released(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def _leave_out_unneeded(placed: Placed, answers_of, result: Plan) -> None:
    """Drop the steps of the instructor's cells that no graded answer depends on (``needed.py``)."""
    code, tests = [], []
    for step in result.steps:
        origin, s, cell = placed[step.cell]
        if step.kind == StepKind.TEST:
            tests.append(needed.TestStep(step.cell, tuple(answers_of(step.exercise) or ())))
            continue
        instructors = s is not None and (
            (origin == "source" and s.role == LOCKED)
            or (
                origin == "submission"
                and s.role == CODE
                and _as_released(cell["source"]) == _as_released(s.cell["source"])
            )
        )
        tags = s.cell["metadata"].get("tags") if s is not None and isinstance(s.cell["metadata"], dict) else None
        demo = isinstance(tags, list) and needed.DEMONSTRATION_TAG in tags
        code.append(needed.CodeStep(step.cell, step.source, instructors, instructors and demo))
    result.skipped = needed.decide(code, tests).skipped
    result.steps = [step for step in result.steps if step.cell not in result.skipped]
    if result.skipped:
        result.notes.append(
            f"{len(result.skipped)} of the instructor's cells not run: no graded answer depends on them"
        )
