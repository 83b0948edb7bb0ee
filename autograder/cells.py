"""Lining up a submission's cells with the instructor's: the one matcher of ``collect`` and the engine.

Students lose and change what identifies a cell (Colab drops nbgrader's metadata and cell
ids; cells get retyped, moved, duplicated), so a reference cell (:class:`RefCell`, one of
the release's or the source's) is found in the submission by, in order:

1. its nbgrader grade id (the same cell type; the first cell that claims it wins);
2. its cell id (nbformat's ``id``, or Colab's ``metadata.id``);
3. its content: the same text up to whitespace (:func:`fingerprint`); for a locked or test
   cell also a near copy (most lines the same); for an answer cell, a cell that defines
   every name the exercise needs (or keeps most of the stub's lines), the one nearest to
   where the cell should be;
4. only when asked (the engine, which must run every answer): an answer cell still not
   found is the first unmatched code cell between its matched neighbours.

The matcher never decides roles or points: those always come from the instructor's
notebook, whatever the submission claims.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from enum import Enum

#: Lines of a released answer stub that say nothing about which exercise it is.
STUB_LINES = frozenset({"# YOUR CODE HERE", "raise NotImplementedError()", "raise NotImplementedError"})
#: How alike a locked or test cell's lines must be to count as the same cell, edited.
NEAR_COPY = 0.9


class How(str, Enum):
    """How a reference cell was found."""

    GRADE_ID = "grade_id"
    CELL_ID = "cell_id"
    FINGERPRINT = "fingerprint"
    NAMES = "names"  #: an answer, by the names it defines
    POSITION = "position"  #: an answer, by where it is


def source_text(value) -> str:
    """A cell's source as one string (nbformat allows a list of lines; anything else is empty)."""
    if isinstance(value, list):
        return "".join(s for s in value if isinstance(s, str))
    return value if isinstance(value, str) else ""


def nbgrader_meta(cell) -> dict:
    """A cell's nbgrader metadata, or {} (whatever shape the cell or its metadata has)."""
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
    return nbg if isinstance(nbg, dict) else {}


def norm_lines(text: str) -> list[str]:
    """Non-blank lines with their whitespace collapsed."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def fingerprint(text: str) -> str:
    """The one fingerprint of a cell's content: its lines, whitespace aside."""
    return hashlib.sha1("\n".join(norm_lines(text)).encode()).hexdigest()


def defined_names(text: str) -> set[str]:
    """Functions and classes a cell defines at any depth (``def f``, ``class C``)."""
    return set(re.findall(r"^\s*(?:async\s+)?(?:def|class)\s+(\w+)", text, re.M))


def defines(text: str, name: str) -> bool:
    """``name`` is defined in ``text``: a def, a class or an assignment."""
    n = re.escape(name)
    return re.search(rf"^\s*(?:async\s+)?(?:def|class)\s+{n}\b|^\s*{n}\s*=", text, re.M) is not None


@dataclass(frozen=True)
class RefCell:
    """A cell of the instructor's notebook that the submission should hold."""

    index: int  #: its position in the instructor's notebook
    cell_type: str
    kind: str  #: answer | test | locked | other
    grade_id: str | None = None
    ids: frozenset[str] = frozenset()  #: its cell id and grade id: either may be what a submission kept
    prints: frozenset[str] = frozenset()  #: fingerprints of the texts it may have (as released, as written)
    lines: tuple[str, ...] = ()  #: its normalised lines (an answer's: the stub's frame)
    names: tuple[str, ...] = ()  #: for an answer: the names it must define


@dataclass(frozen=True)
class SubCell:
    """A cell of the submission as the matcher sees it."""

    index: int
    cell_type: str
    text: str
    grade_id: str | None
    ids: tuple[str, ...]

    @classmethod
    def of(cls, index: int, cell) -> "SubCell":
        cell = cell if isinstance(cell, dict) else {}
        meta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        gid = nbgrader_meta(cell).get("grade_id")
        ids = tuple(i for i in (cell.get("id"), meta.get("id")) if isinstance(i, str) and i)
        return cls(
            index,
            str(cell.get("cell_type")),
            source_text(cell.get("source")),
            gid if isinstance(gid, str) else None,
            ids,
        )


def fits(ref: RefCell, cell: SubCell) -> bool:
    """``cell`` is ``ref`` by its content (step 3 of the module docstring)."""
    if cell.cell_type != ref.cell_type:
        return False
    if fingerprint(cell.text) in ref.prints:
        return True
    if ref.kind == "answer":
        return _answer_fits(ref, cell)
    if ref.kind in ("test", "locked") and ref.lines:
        return difflib.SequenceMatcher(None, norm_lines(cell.text), list(ref.lines)).ratio() >= NEAR_COPY
    return False


def _answer_fits(ref: RefCell, cell: SubCell) -> bool:
    """Every name the answer must define is defined; without names, most of the stub's frame is there."""
    if ref.names:
        return all(defines(cell.text, n) for n in ref.names)
    lines = set(norm_lines(cell.text))
    return bool(ref.lines) and sum(line in lines for line in ref.lines) / len(ref.lines) >= 0.5


@dataclass
class Matching:
    """Reference index -> (submission index, how), and notes on what was odd."""

    found: dict[int, tuple[int, How]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def used(self) -> set[int]:
        return {j for j, _ in self.found.values()}

    def take(self, ref: RefCell, j: int, how: How) -> None:
        self.found[ref.index] = (j, how)


def match(refs: list[RefCell], cells: list, *, by_position: bool = False) -> Matching:
    """Find each of ``refs`` in the submission's ``cells`` (see the module docstring)."""
    subs = [SubCell.of(j, c) for j, c in enumerate(cells)]
    m = Matching()
    _by_grade_id(refs, subs, m)
    _by_cell_id(refs, subs, m)
    # locked and test cells first: their text is the surer sign
    for ref in [r for r in refs if r.kind != "answer"] + [r for r in refs if r.kind == "answer"]:
        if ref.index not in m.found:
            _by_content(ref, subs, m)
    if by_position:
        for ref in refs:
            if ref.kind == "answer" and ref.index not in m.found:
                _by_position(ref, refs, subs, m)
    return m


def _by_grade_id(refs: list[RefCell], subs: list[SubCell], m: Matching) -> None:
    by_gid = {r.grade_id: r for r in refs if r.grade_id}
    for cell in subs:
        ref = by_gid.get(cell.grade_id or "")
        if ref is None or cell.cell_type != ref.cell_type:
            continue
        if ref.index in m.found:
            m.notes.append(f"cell {cell.index} repeats grade id {cell.grade_id}: its nbgrader metadata was removed")
            continue
        m.take(ref, cell.index, How.GRADE_ID)


def _by_cell_id(refs: list[RefCell], subs: list[SubCell], m: Matching) -> None:
    for cell in subs:
        if cell.index in m.used:
            continue
        for cid in cell.ids:
            ref = next((r for r in refs if r.index not in m.found and cid in r.ids), None)
            if ref is not None and cell.cell_type == ref.cell_type:
                m.take(ref, cell.index, How.CELL_ID)
                break


def _by_content(ref: RefCell, subs: list[SubCell], m: Matching) -> None:
    used = m.used
    exact = [
        c.index
        for c in subs
        if c.index not in used and c.cell_type == ref.cell_type and fingerprint(c.text) in ref.prints
    ]
    candidates = exact or [c.index for c in subs if c.index not in used and fits(ref, c)]
    if candidates:
        want = _expected_position(ref, m, len(subs))
        how = How.NAMES if ref.kind == "answer" and not exact else How.FINGERPRINT
        m.take(ref, min(candidates, key=lambda j: abs(j - want)), how)


def _by_position(ref: RefCell, refs: list[RefCell], subs: list[SubCell], m: Matching) -> None:
    before = [m.found[r.index][0] for r in refs if r.index < ref.index and r.index in m.found]
    after = [m.found[r.index][0] for r in refs if r.index > ref.index and r.index in m.found]
    lo, hi = (max(before) if before else -1), (min(after) if after else len(subs))
    used = m.used
    window = [j for j in range(lo + 1, hi) if j not in used and subs[j].cell_type == "code"]
    if window:
        m.take(ref, window[0], How.POSITION)


def _expected_position(ref: RefCell, m: Matching, n: int) -> float:
    """Where the cell should be: just after the matched cell that precedes it in the reference."""
    before = [j for i, (j, _) in m.found.items() if i < ref.index]
    after = [j for i, (j, _) in m.found.items() if i > ref.index]
    if before:
        return max(before) + 0.5
    if after:
        return min(after) - 0.5
    return ref.index * n / max(1, ref.index + 1)
