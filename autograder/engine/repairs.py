"""What ``collect`` repaired in a submission, as the grader's flags.

``collect`` writes nbgrader's cell metadata back from the release and puts back test and
locked cells a student deleted, so the notebook the grader reads looks untouched: a
deleted test cell, raised points or a renamed grade id would be graded without a word.
collect's record (``collect/report.json``, :func:`autograder.collect.current_view`) says
what it repaired in each notebook it placed; here each repair of something the student
changed becomes a flag on its exercise, exactly as the grader flags the same change in a
notebook it reads unrepaired (status ``flagged``, the score untouched: test and locked
cells always run from the source). Metadata restored where a save had lost it (Colab
drops it) is a note, as an unrepaired Colab save is not reported either.

A record counts only for the very file collect wrote (its SHA-256): a notebook put into
``submitted/`` by other means since gets nothing from it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from autograder.engine import notebook as nbmod

#: What every flag from a repair ends with (summary.csv, the journal, formgrader's comments).
MARK = "(repaired by collect)"


@dataclass
class Repairs:
    """One notebook's repairs: exercise -> flags, and notes for the row."""

    flags: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def placed(course: Path, assignment: str) -> dict[str, dict]:
    """student -> collect's record of the notebook it placed for ``assignment`` (none: {})."""
    path = Path(course) / "collect" / "report.json"
    try:
        view = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    out = {}
    for p in (view.get("placed") or []) if isinstance(view, dict) else []:
        if isinstance(p, dict) and p.get("assignment") == assignment and isinstance(p.get("student"), str):
            out[p["student"]] = p
    return out


def of(record: dict | None, source: nbmod.Source, data: bytes) -> Repairs:
    """The repairs ``record`` lists, if it is the record of ``data`` (the notebook as it is now)."""
    out = Repairs()
    if not record or record.get("sha256") != hashlib.sha256(data).hexdigest():
        return out
    section = {s.grade_id: s.section for s in source.cells if s.grade_id and s.section}
    for cell in record.get("cells") or []:
        if not isinstance(cell, dict) or not isinstance(cell.get("grade_id"), str):
            continue
        gid, how, detail = cell["grade_id"], cell.get("how"), str(cell.get("detail") or "")
        what = f"the {cell.get('kind')} cell {gid}"
        if how == "reinserted":
            flag = f"collect put back {what}, which the submission had deleted (the source's cell ran)"
        elif how == "claim-removed":
            flag = f"collect removed nbgrader metadata claiming {gid} from a cell that is not {gid}: {detail}"
        elif cell.get("restored") and detail:
            flag = f"collect restored the nbgrader metadata of {what}: the {detail} (the source's is used)"
        elif cell.get("restored"):
            out.notes.append(f"collect restored the lost nbgrader metadata of {what} (a Colab save drops it)")
            continue
        else:
            continue
        if section.get(gid):
            out.flags.setdefault(section[gid], []).append(f"{flag} {MARK}")
        else:  # a grade id the source does not have: nothing of the exercises is concerned
            out.notes.append(f"{flag} {MARK}")
    return out


def apply(plan: nbmod.Plan, repairs: Repairs) -> None:
    """Into the plan: flags among its altered cells (``grading.flag_altered_cells``), notes among its notes."""
    for exercise, flags in repairs.flags.items():
        plan.altered.setdefault(exercise, []).extend(flags)
    plan.notes.extend(repairs.notes)
