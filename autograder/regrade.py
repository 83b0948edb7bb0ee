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

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.engine import replay


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

        return (f"{self.student}  {self.grade_id}  {f(self.old_points)} -> {f(self.new_points)}"
                + (f"  ({self.old_status} -> {self.new_status})" if self.old_status != self.new_status else ""))


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
            how = {"judge": "its judge changed: decided again from the kept data",
                   "collect": "its cases or run changed: student code runs again",
                   "named": "named with --exercise"}[kind]
            lines.append(f"{ex}: {how}")
        lines += [f"  {c}" for c in self.changes]
        for s, why in sorted(self.skipped.items()):
            lines.append(f"  skipped {s}: {why}")
        if self.dry_run:
            lines.append(f"dry run: {len(self.rejudged)} student(s) would be judged again, {len(self.rerun)} run "
                         f"again, {len(self.skipped)} skipped; nothing was changed")
        else:
            lines.append(f"{len(self.rejudged)} student(s) judged again, {len(self.rerun)} run again, "
                         f"{len(self.changes)} score(s) changed, {len(self.skipped)} skipped, in {self.seconds:.1f} s")
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


def _cells(entry: dict) -> dict[tuple[str, str], dict]:
    return {(nb, gid): v for nb, data in (entry.get("notebooks") or {}).items()
            for gid, v in (data.get("row") or {}).get("cells", {}).items()}


def _diff(student: str, old: dict, new: dict) -> list[Change]:
    a, b = _cells(old), _cells(new)
    out = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key, {}), b.get(key, {})
        if va.get("score") != vb.get("score") or va.get("status") != vb.get("status"):
            out.append(Change(student, key[1], va.get("score"), vb.get("score"), va.get("status", "-"),
                              vb.get("status", "-")))
    return out


def regrade(assignment: str, course: str | Path, *, extra_checks=(), exercises: list[str] | None = None,
            students: list[str] | None = None, rerun: bool = False, dry_run: bool = False,
            limits=None, scheduler: str | None = None, workers: int | None = None, wait_s: float = 0.0,
            progress: bool = False) -> RegradeReport:
    """Regrade what changed checkers touch (see the module docstring); the changes back."""
    from autograder.engine import scheduler as sched
    from autograder.engine.gradebook import write_autograded
    from autograder.engine.limits import Limits

    t0 = time.perf_counter()
    course = Path(course).resolve()
    report = RegradeReport(assignment, dry_run=dry_run)
    results_dir = course / "engine" / "results" / assignment
    entries = {}
    for p in sorted(results_dir.glob("*.json")):
        try:
            entries[p.stem] = json.loads(p.read_text())
        except ValueError:
            continue
    if students:
        entries = {s: e for s, e in entries.items() if s in students}
    if limits is None:  # the limits the class was graded with, so the journal keys still match
        stored = next((e["limits"] for e in entries.values() if e.get("limits")), None)
        limits = Limits.from_dict(stored) if stored else Limits()
    with sched.CourseLock(course, wait_s):
        if os.geteuid() == 0:
            os.chmod(course, 0o700)  # as `grade`: sandboxes of a rerun must not read the course
        g = sched.Grader(assignment, course, limits, extra_checks)
        named = set(exercises or ())
        unknown = named - set(g.fingerprints)
        if unknown:
            raise ValueError(f"not an exercise of {assignment}: {', '.join(sorted(unknown))} "
                             f"(these are: {', '.join(sorted(g.fingerprints))})")
        todo_judge, todo_rerun = {}, {}
        for student, entry in entries.items():
            if entry.get("key") != g._key(student):
                report.skipped[student] = ("the submission, the source or the limits changed since grading: "
                                           "run `autograder grade` instead")
                continue
            changed = changed_exercises(entry.get("checkers"), g.fingerprints)
            changed = {ex: k for ex, k in changed.items() if k != "unknown" or ex in named}
            changed.update({ex: "named" for ex in named if ex not in changed})
            if not changed:
                if entry.get("checkers") is None:
                    report.skipped[student] = "graded before checker fingerprints were kept: use --exercise"
                continue
            for ex, kind in changed.items():
                report.changed.setdefault(ex, kind if kind != "unknown" else "named")
            kept = {nb: replay.load(g.results_dir, student, nb) for nb in g.sources}
            needs_run = rerun or any(k == "collect" for k in changed.values()) or any(
                kept[nb] is None and (entry["notebooks"].get(nb, {}).get("row", {}).get("status")
                                      not in ("missing", "unreadable")) for nb in g.sources)
            (todo_rerun if needs_run else todo_judge)[student] = (entry, kept)
        if dry_run:
            report.rejudged, report.rerun = sorted(todo_judge), sorted(todo_rerun)
            report.seconds = time.perf_counter() - t0
            return report
        stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
        for student, (old, kept) in todo_judge.items():
            new = {"key": old["key"], "recorded": False, "notebooks": {}, "checkers": g.fingerprints,
                   "limits": limits.to_dict(), "regraded": old.get("regraded", [])}
            for nb_name in g.sources:
                job, plan, _notes, reason = g.job(student, nb_name)
                row, nb = g.judge(student, nb_name, plan, kept[nb_name], reason)
                row.timings["gradebook_s"] = old["notebooks"].get(nb_name, {}).get("row", {}).get(
                    "timings", {}).get("gradebook_s", 0.0)
                write_autograded(course, student, assignment, nb_name, nb)
                new["notebooks"][nb_name] = {"row": row.__dict__}
            new["regraded"].append({"at": stamp, "how": "judged again from kept data",
                                    "exercises": sorted(report.changed)})
            sched._atomic_json(g.results_dir / f"{student}.json", new)
            g.record(student, new)
            new["recorded"] = True
            sched._atomic_json(g.results_dir / f"{student}.json", new)
            report.rejudged.append(student)
            report.changes += _diff(student, old, new)
        g.writer.close()
        if todo_rerun:
            for student in todo_rerun:  # the journal would skip them: set the old entries aside
                (g.results_dir / f"{student}.json").unlink()
            try:
                sched._run(assignment, course, limits, extra_checks, sorted(todo_rerun), progress, None,
                           scheduler, workers)
            except BaseException:
                for student, (old, _) in todo_rerun.items():
                    if not (g.results_dir / f"{student}.json").exists():
                        sched._atomic_json(g.results_dir / f"{student}.json", old)
                raise
            for student, (old, _) in sorted(todo_rerun.items()):
                path = g.results_dir / f"{student}.json"
                new = json.loads(path.read_text())
                new["regraded"] = old.get("regraded", []) + [
                    {"at": stamp, "how": "run again", "exercises": sorted(report.changed)}]
                sched._atomic_json(path, new)
                report.rerun.append(student)
                report.changes += _diff(student, old, new)
        _write_summary(g.results_dir)
    report.seconds = time.perf_counter() - t0
    return report


def _write_summary(results_dir: Path) -> None:
    """``summary.csv`` of every journalled student (a partial run must not shrink it)."""
    from autograder.engine.scheduler import Row, _summary

    rows = []
    for p in sorted(results_dir.glob("*.json")):
        try:
            entry = json.loads(p.read_text())
        except ValueError:
            continue
        rows += [Row(**data["row"]) for data in entry.get("notebooks", {}).values()]
    _summary(results_dir, rows)
