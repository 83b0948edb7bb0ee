"""The isolation invariant's batches: hostile submissions first, in the middle and last on
one worker, honest students between them, and the honest students graded alone too.

One single-threaded Dask worker grades every submission of a run, so every hostile
submission goes through the zygote that also grades the students after it. An honest
student's row in the batch must equal, field by field, the row they get alone.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from autograder.engine.limits import Limits
from autograder.engine.scheduler import grade
from engine_support import CHECKS

LIMITS = Limits(cell_timeout_s=4, memory_mb=1024, processes=48, output_kb=64)
#: The alone and the batch runs share their hidden cases (the course's secret).
SECRET = "channel-redteam-secret"
#: Prefixes of honest students' names (``batch``): what sorts between the hostile ones.
HONEST_PREFIXES = ("b", "n")


def row_view(row) -> tuple:
    """What a student sees of a row: status, score, and per cell score, status, flags and message."""
    return (
        str(row.status),
        row.score,
        {g: (v.score, str(v.status), tuple(v.flags), v.message) for g, v in row.cells.items()},
    )


def summary(root: Path, assignment: str) -> dict:
    with open(root / "engine" / "results" / assignment / "summary.csv", newline="") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def batch(hostile: dict, honest: dict, middle: dict | None = None) -> dict:
    """Hostile submissions first, in the middle and last (students are graded in name order),
    honest ones (names starting with :data:`HONEST_PREFIXES`) between them; ``middle``: others
    that are not graded alone, among the hostile ones in the middle."""
    names = sorted(hostile)
    out = {}
    for i, name in enumerate(names):
        prefix = "a" if i == 0 else "z" if i == len(names) - 1 else "m"
        out[f"{prefix}{i:02d}_{name}"] = hostile[name]
    for i, (name, build) in enumerate(sorted((middle or {}).items())):
        out[f"m{len(names) + i:02d}_{name}"] = build
    for i, (name, build) in enumerate(sorted(honest.items())):
        out[f"{HONEST_PREFIXES[i % 2]}{i:02d}_{name}"] = build
    return out


def is_honest(student: str) -> bool:
    return student[0] in HONEST_PREFIXES


def grade_alone_then_together(client, root: Path, assignment: str, honest: set[str]) -> tuple[dict, dict]:
    """Grade ``honest`` alone, then (their journal entries dropped) everyone; (alone rows, batch rows)."""
    from autograder.engine.journal import Journal

    def run(chosen):
        return {
            r.student: r
            for r in grade(
                assignment, root, client=client, limits=LIMITS, students=chosen, extra_checks=(CHECKS,), progress=False
            )
        }

    alone = run(sorted(honest))
    for student in honest:
        Journal(root, assignment).remove(student)
    return alone, run(None)


def solution_answers(path: Path) -> dict[str, str]:
    """exercise id -> the solution's answer cell, as a student would type it."""
    nb = json.loads(path.read_text())
    out = {}
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if gid.endswith("-answer"):
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            out[gid[: -len("-answer")].replace("-", ".", 1)] = "\n".join(
                ln for ln in src.splitlines() if ln.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
            )
    return out
