"""``autograder regrade``: after a checker is fixed, grade again only what the fix touches.

At grading time the engine keeps each exercise's checker fingerprint in the journal
entry and the sandbox's collected data next to it (``autograder.engine.replay``). Here:

1. the fingerprints of the checkers as they are now are compared with those each
   student was graded with; an exercise whose ``cases`` or ``run`` changed needs the
   student's code run again (``collect``), one whose ``judge`` alone changed does not;
2. judge-only changes are decided again from the kept data, in this process, without
   running student code (milliseconds per notebook): the engine's own ``Grader.judge``
   on the kept result, so statuses and flags follow the engine's one rule;
3. anything else (a ``collect`` change, no kept data, ``--rerun``) runs those students
   through the engine again, under the same lock;
4. the new scores go through the engine's gradebook writer, the journal entries and the
   executed notebooks are updated, and every change per student is returned
   (old -> new points and status per grade cell).

The whole notebook of an affected student is judged again (it is one call and keeps the
row consistent); the exercises whose checker did not change come out the same, and if
one did not, the change is reported like any other. Students graded before fingerprints
were kept have none: ``--exercise EX`` names the exercises to regrade by hand.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.engine.journal import Journal
from autograder.engine.records import JournalEntry, RegradeNote, RowStatus


@dataclass
class Change:
    student: str
    grade_id: str
    old_points: float | None
    new_points: float | None
    old_status: str
    new_status: str

    def __str__(self) -> str:
        def f(x):
            return "-" if x is None else f"{x:g}"

        return f"{self.student}  {self.grade_id}  {f(self.old_points)} -> {f(self.new_points)}" + (
            f"  ({self.old_status} -> {self.new_status})" if self.old_status != self.new_status else ""
        )


@dataclass
class RegradeReport:
    assignment: str
    changed: dict[str, str] = field(default_factory=dict)  #: exercise id -> "judge" | "collect" | "named"
    rejudged: list[str] = field(default_factory=list)  #: students judged again from kept data
    rerun: list[str] = field(default_factory=list)  #: students run through the engine again
    skipped: dict[str, str] = field(default_factory=dict)  #: student -> why not regraded
    changes: list[Change] = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False

    def summary(self) -> str:
        lines = []
        if not self.changed:
            lines.append("no checker of this assignment changed since grading: nothing to regrade")
        for ex, kind in sorted(self.changed.items()):
            how = {
                "judge": "its judge changed: decided again from the kept data",
                "collect": "its cases or run changed: student code runs again",
                "named": "named with --exercise",
            }[kind]
            lines.append(f"{ex}: {how}")
        lines += [f"  {c}" for c in self.changes]
        for s, why in sorted(self.skipped.items()):
            lines.append(f"  skipped {s}: {why}")
        if self.dry_run:
            lines.append(
                f"dry run: {len(self.rejudged)} student(s) would be judged again, {len(self.rerun)} run "
                f"again, {len(self.skipped)} skipped; nothing was changed"
            )
        else:
            lines.append(
                f"{len(self.rejudged)} student(s) judged again, {len(self.rerun)} run again, "
                f"{len(self.changes)} score(s) changed, {len(self.skipped)} skipped, in {self.seconds:.1f} s"
            )
        return "\n".join(lines)


def changed_exercises(old: dict | None, now: dict) -> dict[str, str]:
    """exercise -> "collect" or "judge" where the fingerprint ``now`` differs from ``old``."""
    out = {}
    for ex, fp in now.items():
        before = (old or {}).get(ex)
        if before is None or before.get("collect") != fp["collect"]:
            out[ex] = "collect" if before is not None else "unknown"
        elif before.get("judge") != fp["judge"]:
            out[ex] = "judge"
    return out


def _cells(entry: JournalEntry) -> dict[tuple[str, str], tuple[float | None, str]]:
    return {
        (nb, gid): (v.score, str(v.status)) for nb, item in entry.notebooks.items() for gid, v in item.row.cells.items()
    }


def _diff(student: str, old: JournalEntry, new: JournalEntry) -> list[Change]:
    a, b = _cells(old), _cells(new)
    out = []
    for key in sorted(set(a) | set(b)):
        (sa, ta), (sb, tb) = a.get(key, (None, "-")), b.get(key, (None, "-"))
        if sa != sb or ta != tb:
            out.append(Change(student, key[1], sa, sb, ta, tb))
    return out


@dataclass
class _Plan:
    """Who is judged again from kept data and who runs again, with the old entries and kept results."""

    judge: dict[str, tuple[JournalEntry, dict]] = field(default_factory=dict)
    rerun: dict[str, JournalEntry] = field(default_factory=dict)


def regrade(
    assignment: str,
    course: str | Path,
    *,
    extra_checks=(),
    exercises: list[str] | None = None,
    students: list[str] | None = None,
    rerun: bool = False,
    dry_run: bool = False,
    limits=None,
    scheduler: str | None = None,
    workers: int | None = None,
    wait_s: float = 0.0,
    progress: bool = False,
) -> RegradeReport:
    """Regrade what changed checkers touch (see the module docstring); the changes back."""
    from autograder.engine import scheduler as sched

    t0 = time.perf_counter()
    course = Path(course).resolve()
    report = RegradeReport(assignment, dry_run=dry_run)
    journal = Journal(course, assignment)
    entries = {s: e for s, e in journal.entries().items() if not students or s in students}
    report.skipped.update({s: why for s, why in journal.problems.items() if not students or s in students})
    if limits is None:  # the limits the class was graded with, so the journal keys still match
        limits = next((e.limits for e in entries.values()), None)
    with sched.CourseLock(course, wait_s):
        if os.geteuid() == 0:
            os.chmod(course, 0o700)  # as `grade`: sandboxes of a rerun must not read the course
        g = sched.Grader(assignment, course, limits or sched.Limits(), extra_checks)
        plan = _plan(g, entries, set(exercises or ()), rerun, report)
        if dry_run:
            report.rejudged, report.rerun = sorted(plan.judge), sorted(plan.rerun)
        else:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
            for student, (old, kept) in plan.judge.items():
                report.changes += _rejudge(
                    g, student, old, kept, RegradeNote(stamp, "judged again from kept data", sorted(report.changed))
                )
                report.rejudged.append(student)
            if plan.rerun:
                note = RegradeNote(stamp, "run again", sorted(report.changed))
                report.changes += _rerun(g, plan.rerun, note, progress, scheduler, workers)
                report.rerun += sorted(plan.rerun)
            g.journal.rewrite_summary()
        g.close()
    report.seconds = time.perf_counter() - t0
    return report


def _plan(g, entries: dict[str, JournalEntry], named: set[str], rerun: bool, report: RegradeReport) -> _Plan:
    """Which students each kind of regrade takes (the others are skipped with the reason)."""
    unknown = named - set(g.fingerprints)
    if unknown:
        raise ValueError(
            f"not an exercise of {g.assignment}: {', '.join(sorted(unknown))} "
            f"(these are: {', '.join(sorted(g.fingerprints))})"
        )
    plan = _Plan()
    for student, entry in entries.items():
        if entry.key != g.key(student):
            report.skipped[student] = (
                "the submission, the source or the limits changed since grading: run `autograder grade` instead"
            )
            continue
        changed = changed_exercises(entry.checkers or None, g.fingerprints)
        changed = {ex: k for ex, k in changed.items() if k != "unknown" or ex in named}
        changed.update({ex: "named" for ex in named if ex not in changed})
        if not changed:
            if not entry.checkers:
                report.skipped[student] = "graded before checker fingerprints were kept: use --exercise"
            continue
        for ex, kind in changed.items():
            report.changed.setdefault(ex, kind if kind != "unknown" else "named")
        kept = {nb: g.journal.kept(student, nb) for nb in g.sources}
        not_run = (RowStatus.MISSING, RowStatus.UNREADABLE)
        needs_run = (
            rerun
            or any(k == "collect" for k in changed.values())
            or any(
                kept[nb] is None and nb in entry.notebooks and entry.notebooks[nb].row.status not in not_run
                for nb in g.sources
            )
        )
        if needs_run:
            plan.rerun[student] = entry
        else:
            plan.judge[student] = (entry, kept)
    return plan


def _rejudge(g, student: str, old: JournalEntry, kept: dict, note: RegradeNote) -> list[Change]:
    """Judge again from the kept data with the engine's own steps; journal, gradebook; the changes."""
    from autograder.engine.gradebook import write_autograded

    rows = []
    for nb_name in g.sources:
        _job, plan, not_run = g.job(student, nb_name)
        row, nb = g.judge(student, nb_name, plan, kept[nb_name], not_run)
        if nb_name in old.notebooks:
            row.timings.gradebook_s = old.notebooks[nb_name].row.timings.gradebook_s
        if nb is not None:
            write_autograded(g.course, student, g.assignment, nb_name, nb)
        rows.append(row)
    new = g.journal.new_entry(old.key, rows, g.fingerprints, g.limits, old.regraded + [note])
    g.save(student, new)
    return _diff(student, old, new)


def _rerun(g, todo: dict[str, JournalEntry], note: RegradeNote, progress: bool, scheduler, workers) -> list[Change]:
    """Run these students through the engine again (the old entries are put back if it fails)."""
    from autograder.engine.scheduler import grade_locked

    for student in todo:  # the journal would skip them: set the old entries aside
        g.journal.remove(student)
    try:
        grade_locked(g, sorted(todo), progress, None, scheduler, workers)
    except BaseException:
        for student, old in todo.items():
            if not g.journal.path(student).exists():
                g.journal.write(student, old)
        raise
    changes = []
    for student, old in sorted(todo.items()):
        new = g.journal.read(student)
        if new is None:
            continue
        new.regraded = old.regraded + [note]
        g.journal.write(student, new)
        changes += _diff(student, old, new)
    return changes
