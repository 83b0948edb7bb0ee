"""Each student's progress over the term: one offline HTML page per student, and a class overview.

``<course>/progress_html/<student>.html``, for everyone on the roster (nbgrader's
students) whether they handed anything in or not: every assignment (status, score, late
figures), every exercise's result and the mistake the checker named, and *what to
revisit*: each mistake named, how often, and the section of the notebook that teaches
the exercise where it happened (the heading above its answer cell in the course's source
notebook), with the catalogue's fix. Built only from the student's own results, the
gradebook and the catalogue: nothing about other students, no test or solution code.

``<course>/reports/progress_overview.html`` is the instructor's: who may be falling
behind (an assignment missing, or handed in with nothing attempted or zero points, a
mistake named again and again, late days), sortable.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from autograder.analysis.data import late_days
from autograder.analysis.html import code_spans, e, page, table
from autograder.analysis.items import attempted

#: status -> (symbol, words): never colour alone
LOOK = {
    "passed": ("\u2714", "passed"),
    "partial": ("\u25d0", "partly right"),
    "failed": ("\u2718", "not yet"),
    "timeout": ("\u25f7", "timed out"),
    "crashed": ("\u2718", "crashed"),
    "flagged": ("\u2691", "flagged for review"),
    "not-run": ("\u2718", "did not run"),
    "manual": ("\u270e", "graded by hand"),
}
REPEATED = 2  #: a mistake named this often (or more) over the term is "repeated"


@dataclass
class ExerciseProgress:
    grade_id: str
    title: str
    status: str
    points: float | None
    max_points: float
    attempted: bool
    code: str | None = None
    mistake: str | None = None  #: the catalogue's title of the code


@dataclass
class AssignmentProgress:
    assignment: str
    status: str
    score: float | None
    max_score: float
    late_penalty: float = 0.0
    hours_late: float = 0.0
    late_days: int = 0
    submitted: str | None = None
    exercises: list[ExerciseProgress] = field(default_factory=list)
    feedback: str | None = None  #: the feedback page, relative to the progress page

    @property
    def nothing_attempted(self) -> bool:
        return bool(self.exercises) and not any(x.attempted for x in self.exercises)


@dataclass
class Revisit:
    code: str
    title: str
    fix: str
    count: int
    where: list[str]  #: "02_autograd nb02-ex3"
    sections: list[str]  #: "02_autograd, 5 · Updating parameters by hand"


@dataclass
class StudentProgress:
    student: str
    assignments: list[AssignmentProgress] = field(default_factory=list)
    revisit: list[Revisit] = field(default_factory=list)

    @property
    def late_days(self) -> int:
        return sum(a.late_days for a in self.assignments)

    @property
    def missing(self) -> list[str]:
        return [a.assignment for a in self.assignments if a.score is None]

    @property
    def empty(self) -> list[str]:
        """Handed in, but nothing attempted or no point earned."""
        return [a.assignment for a in self.assignments if a.score is not None and (a.nothing_attempted or not a.score)]

    @property
    def repeated(self) -> list[Revisit]:
        return [r for r in self.revisit if r.count >= REPEATED]


def sections(course: Path, assignment: str) -> dict[str, str]:
    """grade id of each exercise -> the notebook section that teaches it: the last level-1
    or level-2 Markdown heading above its answer cell in the course's source notebook."""
    out: dict[str, str] = {}
    for path in sorted((Path(course) / "source" / assignment).glob("*.ipynb")):
        try:
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        heading = None
        for cell in cells:
            src = cell.get("source", "")
            src = "".join(src) if isinstance(src, list) else str(src)
            if cell.get("cell_type") == "markdown":
                for line in src.splitlines():
                    if line.startswith("# ") or line.startswith("## "):
                        heading = line.lstrip("#").strip()
            gid = ((cell.get("metadata") or {}).get("nbgrader") or {}).get("grade_id") or ""
            if gid.endswith("-answer") and heading:
                out[gid[: -len("-answer")]] = f"{path.stem}, {heading}"
    return out


def assignments_of(course: Path) -> list[str]:
    """The course's assignments, in order: those with a source folder or graded results."""
    names = {p.name for p in (Path(course) / "source").glob("*") if p.is_dir()}
    names |= {p.name for p in (Path(course) / "engine" / "results").glob("*") if p.is_dir()}
    return sorted(names)


def from_results(
    all_results: list, sections_of: dict[str, dict[str, str]] | None = None, feedback=None
) -> dict[str, StudentProgress]:
    """Every student's progress from the results of each assignment (``autograder.results.
    AssignmentResults``, in term order); ``sections_of``: assignment -> :func:`sections`;
    ``feedback(student, assignment)``: the link to a feedback page, or None."""
    from course.misconceptions import CATALOGUE

    out: dict[str, StudentProgress] = {}
    where: dict[str, dict[str, list[tuple[str, str]]]] = {}  # student -> code -> [(assignment, grade id)]
    for results in all_results:
        a = results.assignment
        for s in results.students:
            rec = out.setdefault(s.student, StudentProgress(s.student))
            ap = AssignmentProgress(
                a,
                s.status,
                s.score if s.notebooks else None,
                s.max_score,
                s.late_penalty,
                round(s.seconds_late / 3600, 2),
                late_days(s.seconds_late),
                s.timestamp,
            )
            ap.feedback = feedback(s.student, a) if feedback else None
            for nb in s.notebooks:
                for x in nb.exercises:
                    m = CATALOGUE.get(x.code) if x.code else None
                    ap.exercises.append(
                        ExerciseProgress(
                            x.grade_id,
                            x.title,
                            x.status,
                            x.points,
                            x.max_points,
                            attempted(x, nb),
                            x.code,
                            m.title if m else None,
                        )
                    )
                    if x.code and x.code != "not-implemented" and not x.passed:
                        where.setdefault(s.student, {}).setdefault(x.code, []).append((a, x.grade_id))
            rec.assignments.append(ap)
    for student, codes in where.items():
        revisit = []
        for code, places in codes.items():
            m = CATALOGUE.get(code)
            secs = [(sections_of or {}).get(a, {}).get(g) for a, g in places]
            revisit.append(
                Revisit(
                    code,
                    m.title if m else code,
                    m.fix if m else "",
                    len(places),
                    [f"{a} {g}" for a, g in places],
                    list(dict.fromkeys(x for x in secs if x)),
                )
            )
        out[student].revisit = sorted(revisit, key=lambda r: (-r.count, r.code))
    return dict(sorted(out.items()))


def collect(course: str | Path, assignments: list[str] | None = None) -> dict[str, StudentProgress]:
    """Every roster student's progress in a course (student id -> record)."""
    from autograder.results import load

    course = Path(course).resolve()
    assignments = assignments if assignments is not None else assignments_of(course)

    def feedback(student: str, assignment: str) -> str | None:
        page_path = course / "feedback_html" / student / f"{assignment}.html"
        return os.path.relpath(page_path, course / "progress_html") if page_path.exists() else None

    return from_results([load(course, a) for a in assignments], {a: sections(course, a) for a in assignments}, feedback)


# --- pages ---------------------------------------------------------------------------------------


def page_name(student: str) -> str:
    """The file name of a student's page (an id that is no safe file name is quoted)."""
    from urllib.parse import quote

    safe = student and not student.startswith(".") and all(c.isalnum() or c in "_-.@+" for c in student)
    return f"{student if safe else quote(student, safe='')}.html"


def _pts(x) -> str:
    return "\u2013" if x is None else f"{float(x):g}"


def student_page(p: StudentProgress) -> str:
    """One student's page (HTML): only their own results."""
    summary = []
    for a in p.assignments:
        late = f"{a.hours_late:g} h ({a.late_days} day{'s' if a.late_days != 1 else ''})" if a.late_days else ""
        score = "no submission" if a.score is None else f"{_pts(a.score)} / {_pts(a.max_score)}"
        summary.append([a.assignment, a.status, score, late, f"{_pts(a.late_penalty)}" if a.late_penalty else ""])
    parts = [
        f"<h1>Progress: {e(p.student)}</h1>",
        "<p>Every assignment of the course so far, every exercise's result and the mistakes the checkers named, "
        "with where in the notebooks to look again. Only your own results are on this page.</p>",
        "<h2>Assignments</h2>",
        table(["assignment", "status", "score", "late", "points off for lateness"], summary),
        f"<p>Late days used: {p.late_days}.</p>",
    ]
    parts.append("<h2>What to revisit</h2>")
    if p.revisit:
        items = []
        for r in p.revisit:
            again = " (named more than once: worth a second look)" if r.count >= REPEATED else ""
            look = "; ".join(code_spans(s) for s in r.sections) or "the exercise's section"
            items.append(
                f"<li><b>{e(r.title)}</b> <code>[{e(r.code)}]</code>, {r.count} time{'s' if r.count != 1 else ''}"
                f"{e(again)}: {e(', '.join(r.where))}.<br>Revisit: {look}.<br>Fix: {e(r.fix)}</li>"
            )
        parts.append("<ul>" + "".join(items) + "</ul>")
    else:
        parts.append('<p class="note">No mistake was named in your graded work so far.</p>')
    not_tried = [f"{a.assignment} {x.grade_id}" for a in p.assignments for x in a.exercises if not x.attempted]
    if not_tried:
        parts.append(f"<p>Not attempted yet: {e(', '.join(not_tried))}.</p>")
    for a in p.assignments:
        parts.append(f'<h2 id="{e(a.assignment)}">{e(a.assignment)}</h2>')
        if a.score is None:
            parts.append(f'<p class="note">No graded submission ({e(a.status)}).</p>')
            continue
        if a.feedback:
            parts.append(f'<p><a href="{e(a.feedback)}">The feedback page of {e(a.assignment)}</a></p>')
        rows = []
        for x in a.exercises:
            mark, word = LOOK.get(x.status, ("?", x.status))
            mistake = f"{x.mistake} [{x.code}]" if x.code and x.status != "passed" else ""
            rows.append([x.title, f"{mark} {word}", f"{_pts(x.points)} / {_pts(x.max_points)}", mistake])
        parts.append(table(["exercise", "result", "points", "mistake named"], rows, numeric={2}))
    return page(f"Progress: {p.student}", "\n".join(parts))


def overview_page(progress: dict[str, StudentProgress]) -> str:
    """The instructor's class overview (HTML): who may be falling behind."""
    assignments = sorted({a.assignment for p in progress.values() for a in p.assignments})
    rows = []
    for p in progress.values():
        by = {a.assignment: a for a in p.assignments}
        signals = len(p.missing) + len(p.empty) + len(p.repeated)
        cells = []
        for name in assignments:
            a = by.get(name)
            if a is None or a.score is None:
                cells.append(("missing", -1))
            else:
                cells.append(
                    (
                        f"{_pts(a.score)} / {_pts(a.max_score)}"
                        + (" (nothing attempted)" if a.nothing_attempted else ""),
                        a.score,
                    )
                )
        link = f'<a href="../progress_html/{e(page_name(p.student))}">{e(p.student)}</a>'
        rows.append(
            [link, (str(signals), signals)]
            + cells
            + [
                ", ".join(p.missing),
                ", ".join(p.empty),
                ", ".join(f"{r.code} \u00d7{r.count}" for r in p.repeated),
                (str(p.late_days), p.late_days),
            ]
        )
    rows.sort(key=lambda r: -r[1][1])
    n = len(assignments)
    body = [
        "<h1>Class overview</h1>",
        "<p>Who may be falling behind: an assignment missing, handed in with nothing attempted or no point, a "
        f"mistake named {REPEATED} or more times over the term. Signals counts these; sorted by it (select a "
        "header to sort otherwise).</p>",
        table(
            ["student", "signals"]
            + assignments
            + ["missing", "nothing attempted or zero", "repeated mistakes", "late days"],
            rows,
            numeric=set(range(1, 2 + n)) | {5 + n},
            sortable=True,
            raw={0},
        ),
    ]
    return page("Class overview: progress", "\n".join(body), script=True)


def write(
    course: str | Path, students: list[str] | None = None, assignments: list[str] | None = None
) -> tuple[list[Path], Path]:
    """The pages (only ``students`` when given) and the overview; their paths back."""
    course = Path(course).resolve()
    progress = collect(course, assignments)
    folder = course / "progress_html"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for sid, p in progress.items():
        if students and sid not in students:
            continue
        target = folder / page_name(sid)
        tmp = folder / f".{target.name}.tmp"
        tmp.write_text(student_page(p), encoding="utf-8")
        os.replace(tmp, target)
        written.append(target)
    reports = course / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    overview = reports / "progress_overview.html"
    tmp = reports / ".progress_overview.html.tmp"
    tmp.write_text(overview_page(progress), encoding="utf-8")
    os.replace(tmp, overview)
    return written, overview
