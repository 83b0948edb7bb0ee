"""The one reader of grading results, for ``feedback``, ``export``, ``report`` and ``regrade``.

Grading leaves its results in three places; the commands that show them should not each
reread all three, so this module does, and returns plain records:

- the engine's journal, ``<course>/engine/results/<assignment>/<student>.json``: per
  grade cell the verdict (score, status, the checker's message, misconception code,
  hint, flags) and per notebook the timings;
- nbgrader's gradebook, through nbgrader's ``Gradebook`` API: the scores that count
  (a manual score given in formgrader overrides the automatic one), the students on
  the roster (those without a submission too), the submission time, the due date and
  lateness; the late penalty is nbgrader's configured ``LateSubmissionPlugin``'s;
- collect's report, ``<course>/collect/report.json`` (written by ``autograder.collect``;
  optional; the course's current view over every collect run): which submissions had
  their nbgrader metadata restored and which files could not be placed. The parts read
  are ``placed[]`` with ``student``, ``assignment`` and ``restored`` (a list of grade
  ids) and ``unplaced[]`` with ``origin``, ``reason``, ``detail`` and, when collect knew
  whose file it was, ``student`` and ``assignment``; anything else in the file is
  ignored, and a missing or unreadable file means "nothing known".

Statuses compose: a student's result carries every status that applies, each with its
reason (:class:`Status`): ``not placed`` (no submission: collect's cause when it knows
one, such as an empty or corrupt hand-in), ``not graded`` (submitted, not graded yet),
``flagged``, ``timeout``, ``crashed``, ``restored`` (collect rewrote its metadata),
``late``; ``ok`` when none does. ``status`` is the first of them in that order (one word
for a table's column); ``statuses`` and ``reasons`` hold them all. When the gradebook has
a roster, only its students are results; a folder in ``submitted/`` of anyone else is
listed with the unplaced files (reason ``not-on-roster``), never graded or exported.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from autograder.engine.journal import Journal
from autograder.engine.records import Timings, Verdict

STATUSES = ("ok", "late", "restored", "timeout", "crashed", "flagged", "not graded", "not placed")
#: Which status is the main one when several apply (the first here).
PRIORITY = ("not placed", "not graded", "flagged", "timeout", "crashed", "restored", "late")


@dataclass(frozen=True)
class Status:
    """One status of a student's result and why it applies, in words."""

    kind: str  #: one of STATUSES
    reason: str


@dataclass
class ExerciseResult:
    """One grade cell of one student's notebook."""

    grade_id: str
    exercise: str | None  #: checker id ("nb01.ex2"), None for manual or output-scored cells
    title: str
    points: float | None  #: what counts: the manual score when given, else the automatic one
    max_points: float
    status: str  #: the engine's: passed, partial, failed, flagged, crashed, timeout, not-run, manual
    message: str  #: the checker's own words (without the pass/fail headline)
    code: str | None = None  #: misconception code
    hint: str | None = None  #: the checker's hint, else the catalogue's fix for the code
    flags: list[str] = field(default_factory=list)
    auto_points: float | None = None
    manual_points: float | None = None

    @property
    def passed(self) -> bool:
        return self.points is not None and self.max_points > 0 and self.points >= self.max_points


@dataclass
class NotebookResult:
    notebook: str
    engine_status: str  #: the journal row's: graded, flagged, errors, unreadable, missing, engine-error
    exercises: list[ExerciseResult] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timings: Timings = field(default_factory=Timings)
    unchanged: list[str] = field(default_factory=list)  #: answer cells' grade ids left as released


@dataclass
class StudentResult:
    """One student's result for one assignment (the ``status`` as in the module docstring)."""

    student: str
    assignment: str
    status: str  #: the main one of ``statuses`` (the first in PRIORITY), "ok" when none applies
    reasons: list[str] = field(default_factory=list)  #: why, in words: every status's reason
    statuses: list[Status] = field(default_factory=list)  #: every status that applies, with its reason
    notebooks: list[NotebookResult] = field(default_factory=list)
    score: float = 0.0  #: after manual grades and the late penalty
    max_score: float = 0.0
    late_penalty: float = 0.0
    timestamp: str | None = None  #: submission time (UTC), as nbgrader records it
    seconds_late: float = 0.0
    restored: list[str] = field(default_factory=list)  #: grade ids collect restored
    #: roster data, for the LMS export only (never shown in feedback)
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_user_id: str = ""

    @property
    def exercises(self) -> list[ExerciseResult]:
        return [e for nb in self.notebooks for e in nb.exercises]

    def has(self, kind: str) -> bool:
        return any(st.kind == kind for st in self.statuses)

    @property
    def status_text(self) -> str:
        """All statuses in one phrase: "flagged, late, restored"."""
        return ", ".join(st.kind for st in self.statuses) or self.status

    @property
    def compute_s(self) -> float:
        return sum(nb.timings.compute_s for nb in self.notebooks)


@dataclass
class AssignmentResults:
    assignment: str
    course: Path
    students: list[StudentResult]
    max_score: float
    unplaced: list[dict] = field(default_factory=list)  #: collect's files that found no student

    def exercise_ids(self) -> list[str]:
        """Grade ids in notebook order (the first student who has them all decides)."""
        seen: dict[str, None] = {}
        for s in self.students:
            for e in s.exercises:
                seen.setdefault(e.grade_id, None)
        return list(seen)

    def by_student(self) -> dict[str, StudentResult]:
        return {s.student: s for s in self.students}


# --- reading ----------------------------------------------------------------------------------


def _exercise(v: Verdict) -> ExerciseResult:
    """A grade cell as the engine's verdict has it: its fields, never its text parsed back."""
    return ExerciseResult(
        v.grade_id,
        v.exercise,
        v.title,
        v.score,
        v.max_score,
        str(v.status),
        v.message,
        v.code,
        v.hint,
        list(v.flags),
        auto_points=v.score,
    )


def read_collect_report(course: Path, path: Path | None = None) -> dict:
    """Collect's report as a dict (``{}`` when absent or unreadable)."""
    path = Path(path) if path else Path(course) / "collect" / "report.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _late_penalty(course: Path, student: str, score: float, seconds_late: float) -> float:
    """The penalty of the course's late-submission plugin, for gradebooks written before
    the engine recorded it (0 when none applies)."""
    if seconds_late <= 0:
        return 0.0
    try:
        from autograder.engine.gradebook import late_policy

        penalty = late_policy(course).plugin_inst.late_submission_penalty(student, score, seconds_late)
    except Exception:  # a broken config must not stop an export; no penalty, and the status says late
        return 0.0
    return float(min(max(penalty or 0.0, 0.0), score))


def _gradebook(course: Path, assignment: str) -> tuple[dict, dict, float | None]:
    """(students: id -> roster dict, submissions: id -> dict, assignment max score) from nbgrader."""
    from nbgrader.api import Gradebook, MissingEntry

    from autograder.nbgrader_setup import make_config

    db = Path(course) / "gradebook.db"
    if not db.exists():
        return {}, {}, None
    warnings.filterwarnings("ignore", module="nbgrader.api")
    config = make_config(course)
    students, subs, max_score = {}, {}, None
    with Gradebook(config.CourseDirectory.db_url, config.CourseDirectory.course_id) as gb:
        for s in gb.students:
            students[s.id] = {
                "first_name": s.first_name or "",
                "last_name": s.last_name or "",
                "email": s.email or "",
                "lms_user_id": s.lms_user_id or "",
            }
        try:
            a = gb.find_assignment(assignment)
            max_score = float(a.max_score)
        except MissingEntry:
            return students, subs, None
        for sub in gb.assignment_submissions(assignment):
            grades = {}
            for nb in sub.notebooks:
                for g in nb.grades:
                    grades[(nb.name, g.name)] = {
                        "auto": g.auto_score,
                        "manual": g.manual_score,
                        "score": g.score,
                        "max": float(g.max_score),
                    }
            subs[sub.student.id] = {
                "timestamp": str(sub.timestamp) if sub.timestamp else None,
                "seconds_late": float(sub.total_seconds_late or 0.0),
                "penalty": float(sub.late_submission_penalty or 0.0),
                "grades": grades,
            }
    return students, subs, max_score


#: What collect's reasons mean to the student whose file it was.
_CAUSES = {
    "empty-file": "the file handed in was empty",
    "corrupt-json": "the file handed in is not a readable notebook (damaged or cut short)",
    "not-a-notebook": "the file handed in is not a Jupyter notebook",
    "not-a-notebook-file": "what was handed in is not a notebook (.ipynb) file",
    "unsupported-nbformat": "the notebook is in an old format (nbformat 3)",
    "invalid-notebook": "the notebook could not be repaired",
    "content-mismatch": "the notebook handed in is not this assignment's",
    "unknown-assignment": "the notebook handed in is not this assignment's",
}


def _cause(unplaced: list[dict], student: str, assignment: str) -> str | None:
    """Why collect placed nothing for this student, from the files it knows were theirs."""
    mine = [u for u in unplaced if u.get("student") == student and u.get("assignment") in (assignment, None)]
    mine.sort(key=lambda u: u.get("assignment") != assignment)  # this assignment's first
    for u in mine:
        origin = str(u.get("origin", "")).split("!/")[-1]
        return f"{_CAUSES.get(u.get('reason'), u.get('reason'))} ({origin}: {u.get('detail', '')})"
    return None


def _status(s: StudentResult, submitted: bool, graded: bool, cause: str | None = None) -> list[Status]:
    """Every status that applies, in the order of PRIORITY (the first is the main one)."""
    if not submitted:
        return [Status("not placed", cause or "no submission was placed for this student")]
    out: list[Status] = []
    if not graded:
        out.append(Status("not graded", "submitted but not graded yet (run `autograder grade`)"))
    out += _engine_statuses(s)
    if s.restored:
        out.append(Status("restored", f"collect restored the nbgrader metadata of {', '.join(s.restored)}"))
    if s.seconds_late > 0:
        out.append(
            Status(
                "late",
                f"submitted {s.seconds_late / 3600:.1f} hours after the due date"
                + (f", {s.late_penalty:g} point(s) off" if s.late_penalty else ""),
            )
        )
    return sorted(out, key=lambda st: PRIORITY.index(st.kind))


def _engine_statuses(s: StudentResult) -> list[Status]:
    """What the engine said about the student's exercises and notebooks: flagged, timed out,
    crashed (or unreadable), missing."""
    out: list[Status] = []
    ex = s.exercises
    flagged = [e for e in ex if e.status == "flagged"] or (
        [None] if any(nb.engine_status == "flagged" for nb in s.notebooks) else []
    )
    timeouts = [e for e in ex if e.status == "timeout"]
    crashed = [e for e in ex if e.status == "crashed"]
    broken = [
        f"{nb.notebook}: {n}"
        for nb in s.notebooks
        if nb.engine_status in ("unreadable", "engine-error", "too-many-failures")
        for n in (nb.notes[-1:] or [nb.engine_status])
    ]
    if flagged:
        out.append(Status("flagged", _why(flagged) or "the engine flagged the notebook for review"))
    if timeouts:
        out.append(Status("timeout", _why(timeouts)))
    if crashed or broken:
        out.append(Status("crashed", "; ".join(filter(None, [_why(crashed)] + broken))))
    missing = [
        f"{nb.notebook}: {n}"
        for nb in s.notebooks
        if nb.engine_status == "missing"
        for n in (nb.notes[-1:] or ["missing"])
    ]
    if missing:
        out.append(Status("not placed", "; ".join(missing)))
    return out


def _why(group: list[ExerciseResult | None]) -> str:
    """Each exercise's message, with the flags it does not already say (None: a notebook-wide flag)."""
    reasons = []
    for e in group:
        if e is not None:
            extra = [f for f in e.flags if f.split(" (")[0] not in e.message]
            reasons.append(f"{e.grade_id}: {e.message or e.status}" + (f" ({'; '.join(extra)})" if extra else ""))
    return "; ".join(reasons)


def load(course: str | Path, assignment: str, collect_report: str | Path | None = None) -> AssignmentResults:
    """Every student's result for ``assignment`` (roster, submitted/ and journal together)."""
    course = Path(course).resolve()
    roster, subs, max_score = _gradebook(course, assignment)
    report = read_collect_report(course, collect_report)
    restored: dict[str, list[str]] = {}
    for p in report.get("placed") or []:
        if isinstance(p, dict) and p.get("assignment") == assignment and p.get("restored"):
            restored[str(p.get("student"))] = [str(g) for g in p["restored"]]
    unplaced = [u for u in report.get("unplaced") or [] if isinstance(u, dict)]
    submitted_root = course / "submitted"
    submitted = (
        {p.name for p in submitted_root.iterdir() if (p / assignment).is_dir()} if submitted_root.exists() else set()
    )
    journal = Journal(course, assignment)
    journalled = set(journal.students())
    out = []
    everyone = set(roster) | submitted | journalled | set(subs)
    if roster:  # nobody off the roster is a result; their folders are listed, never graded or exported
        for student in sorted(everyone - set(roster)):
            unplaced.append(
                {
                    "origin": f"submitted/{student}/{assignment}",
                    "reason": "not-on-roster",
                    "detail": f"{student!r} is not on the course's roster: not graded, not exported",
                }
            )
        everyone = set(roster)
    for student in sorted(everyone):
        r = StudentResult(student, assignment, "ok", **roster.get(student, {}))
        r.restored = restored.get(student, [])
        entry = journal.read(student) if student in journalled else None
        sub = subs.get(student) or {}
        r.timestamp = sub.get("timestamp")
        if r.timestamp is None and student in submitted:
            stamp = submitted_root / student / assignment / "timestamp.txt"
            r.timestamp = stamp.read_text().strip() if stamp.exists() else None
        r.seconds_late = sub.get("seconds_late", 0.0)
        for nb_name, item in sorted(entry.notebooks.items()) if entry is not None else ():
            r.notebooks.append(_notebook_result(nb_name, item.row, sub.get("grades") or {}))
        r.max_score = max_score if max_score is not None else sum(e.max_points for e in r.exercises)
        raw = sum(float(e.points or 0) for e in r.exercises)
        if entry is not None:
            r.late_penalty = round(sub.get("penalty") or _late_penalty(course, student, raw, r.seconds_late), 4)
        r.score = round(max(raw - r.late_penalty, 0.0), 4)
        r.statuses = _status(
            r, student in submitted or student in subs, entry is not None, _cause(unplaced, student, assignment)
        )
        r.status = r.statuses[0].kind if r.statuses else "ok"
        r.reasons = [f"{st.kind}: {st.reason}" if len(r.statuses) > 1 else st.reason for st in r.statuses] + (
            [journal.problems[student]] if student in journal.problems else []
        )
        out.append(r)
    total = max_score if max_score is not None else max((s.max_score for s in out), default=0.0)
    return AssignmentResults(assignment, course, out, total, unplaced)


def _notebook_result(nb_name: str, row, grades: dict) -> NotebookResult:
    """One notebook's row of the journal (an ``engine.records.Row``) with its points as the
    gradebook has them (``grades``: (notebook, grade id) -> scores; formgrader's manual
    score wins)."""
    nbr = NotebookResult(
        nb_name,
        str(row.status),
        flags=list(row.flags),
        notes=list(row.notes),
        timings=row.timings,
        unchanged=list(row.unchanged),
    )
    for gid, v in row.cells.items():
        e = _exercise(v)
        g = grades.get((nb_name, gid))
        if g is not None:
            e.manual_points = g["manual"]
            e.points = g["score"] if (g["manual"] is not None or g["auto"] is not None) else e.points
        nbr.exercises.append(e)
    return nbr
