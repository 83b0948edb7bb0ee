"""``autograder export``: an assignment's grades as three CSV files in ``<course>/exports/``.

- ``<assignment>_wide.csv``: one row per student (everyone on the roster, whether they
  handed in or not): status, the points of every grade cell, total (after the late
  penalty), max, late penalty, hours late, submission time, and why the status is not ok.
  The status is one of ``autograder.results.STATUSES``.
- ``<assignment>_long.csv``: one row per student and grade cell: student, assignment,
  notebook, exercise (the grade id), points, max, the engine's status, the misconception
  code the checker named and its title (empty when none), whether the exercise was
  attempted (``yes``/``no``), and the similarity flags: the students whose answer to
  the same exercise is similar (``;``-separated) and the highest similarity
  (``autograder.analysis.similarity``; a list to read, not a verdict).
- ``<assignment>_canvas.csv``: Canvas's gradebook import ("Grades > Import"): columns
  ``Student, ID, SIS User ID, SIS Login ID, Section`` and one assignment column, with
  the "Points Possible" row Canvas expects second. A student whose roster came from an
  LMS export gets back exactly the identities it exported (``autograder roster`` kept
  them in ``<course>/roster.json``): its ``Student`` name, ``ID`` (Canvas's user id),
  ``SIS User ID``, ``SIS Login ID`` and ``Section``, so Canvas matches every row. Others
  get "Last, First" from the roster (the id when there is no name), the gradebook's
  ``lms_user_id`` as ``ID`` and the nbgrader id as ``SIS User ID``. Students with no
  graded submission get an empty cell, which Canvas leaves ungraded rather than zero;
  the wide CSV says why.

Values that a spreadsheet would run as a formula (starting ``= + - @``) are prefixed
with a quote: student ids come from file names.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from autograder.results import AssignmentResults, load

WIDE_HEAD = ["student", "status"]
WIDE_TAIL = ["total", "max", "late_penalty", "hours_late", "submitted", "reasons"]
LONG_HEAD = [
    "student",
    "assignment",
    "notebook",
    "exercise",
    "points",
    "max",
    "status",
    "misconception",
    "misconception_title",
    "attempted",
    "similar_to",
    "similarity",
]
CANVAS_HEAD = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def _cell(value) -> object:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _write(path: Path, header: list[str], rows: list[list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for row in rows:
            w.writerow([_cell(v) for v in row])
    os.replace(tmp, path)
    return path


def wide(results: AssignmentResults) -> tuple[list[str], list[list]]:
    ids = results.exercise_ids()
    rows = []
    for s in results.students:
        points = {e.grade_id: e.points for e in s.exercises}
        graded = bool(s.notebooks)
        rows.append(
            [s.student, s.status]
            + [points.get(g) for g in ids]
            + [
                s.score if graded else None,
                results.max_score,
                s.late_penalty or None,
                round(s.seconds_late / 3600, 2) if s.seconds_late > 0 else None,
                s.timestamp,
                "; ".join(s.reasons),
            ]
        )
    return WIDE_HEAD + ids + WIDE_TAIL, rows


def long(results: AssignmentResults, similar=None) -> tuple[list[str], list[list]]:
    """``similar``: the assignment's ``autograder.analysis.similarity.SimilarityReport`` (none: no flags)."""
    from autograder.analysis.items import attempted
    from course.misconceptions import CATALOGUE

    rows = []
    for s in results.students:
        if not s.notebooks:
            rows.append([s.student, results.assignment, "", "", None, results.max_score, s.status, "", "", "", "", ""])
        for nb in s.notebooks:
            for e in nb.exercises:
                pairs = similar.similar_to(s.student, e.grade_id) if similar is not None else []
                title = CATALOGUE[e.code].title if e.code in CATALOGUE else ""
                rows.append(
                    [
                        s.student,
                        results.assignment,
                        nb.notebook,
                        e.grade_id,
                        e.points,
                        e.max_points,
                        e.status,
                        e.code or "",
                        title,
                        "yes" if attempted(e, nb) else "no",
                        ";".join(sorted(p.other(s.student) for p in pairs)),
                        max((p.similarity for p in pairs), default=None),
                    ]
                )
    return LONG_HEAD, rows


def canvas(results: AssignmentResults) -> tuple[list[str], list[list]]:
    from autograder.roster import lms_identities

    lms = lms_identities(results.course)
    rows = [["Points Possible", "", "", "", "", results.max_score]]
    for s in results.students:
        name = f"{s.last_name}, {s.first_name}" if (s.first_name or s.last_name) else s.student
        score = s.score if s.notebooks else None
        r = lms.get(s.student)
        if r is not None and (r.lms_user_id or r.sis_user_id or r.login):  # as the LMS exported it
            rows.append([r.lms_name or name, r.lms_user_id or s.lms_user_id, r.sis_user_id, r.login, r.section, score])
        else:
            rows.append([name, s.lms_user_id, s.student, "", "", score])
    return CANVAS_HEAD + [results.assignment], rows


def write(
    course: str | Path, assignment: str, results: AssignmentResults | None = None, similar=None
) -> dict[str, Path]:
    """The three files; ``{"wide": path, "long": path, "canvas": path}``. ``similar``: the
    assignment's similarity report (compared here when not given)."""
    from autograder.analysis.similarity import for_assignment

    course = Path(course).resolve()
    results = results or load(course, assignment)
    similar = similar if similar is not None else for_assignment(course, results)
    folder = course / "exports"
    return {
        kind: _write(folder / f"{assignment}_{kind}.csv", *make(results))
        for kind, make in (("wide", wide), ("long", lambda r: long(r, similar)), ("canvas", canvas))
    }
