"""``python -m autograder COMMAND``: the instructor's commands.

    release [NAME ...]   solutions/ -> notebooks/ (nbgrader's generate step, bootstrap, badge)
    demo                 the main job end to end on an example class (make demo)
    roster CSV           import students into the gradebook; --due/--late-per-hour set the rules
    collect PATH         place hand-ins (folder or zip, any layout) where nbgrader expects them
    grade ASSIGNMENT     the grading engine: sandboxed, on Dask, into nbgrader's gradebook
    feedback ASSIGNMENT  one HTML page per student: score, messages, hints (feedback_html/)
    export ASSIGNMENT    wide, long and Canvas-import CSVs (exports/)
    report ASSIGNMENT    the instructor's HTML page with plots (reports/)
    regrade ASSIGNMENT   after a checker fix: grade again only what it touches, show the changes
    watch ASSIGNMENT     grade each hand-in as it lands in submitted/ (gradebook, feedback page)
"""

from __future__ import annotations

import argparse
import sys
import time


def _release(args) -> int:
    from autograder.release import release

    from pathlib import Path

    from autograder.paths import NOTEBOOKS, SOLUTIONS

    t0 = time.perf_counter()
    written = release(args.names or None, out_dir=Path(args.out) if args.out else NOTEBOOKS,
                      solutions_dir=Path(args.solutions) if args.solutions else SOLUTIONS)
    for path in written:
        print(f"released {path}")
    print(f"{len(written)} notebook(s) released in {time.perf_counter() - t0:.1f} s")
    return 0


def _demo(args) -> int:
    from autograder.demo import main as demo

    return demo()


def _grade(args) -> int:
    from pathlib import Path

    from autograder.engine.limits import Limits
    from autograder.engine.warmup import launch_for

    t0 = time.perf_counter()
    # the first zygote imports torch while this process imports its own modules
    launched = None if args.scheduler else launch_for(Path(args.course), args.assignment, args.checks or ())
    from autograder.engine.scheduler import GraderBusy, grade

    defaults = Limits()
    limits = Limits(cell_timeout_s=args.cell_timeout or defaults.cell_timeout_s,
                    memory_mb=args.memory_mb or defaults.memory_mb,
                    cpu_s=args.cpu_s or defaults.cpu_s)
    try:
        rows = grade(args.assignment, Path(args.course), scheduler=args.scheduler, workers=args.workers,
                     limits=limits, extra_checks=args.checks or (), wait_s=args.wait, progress=not args.quiet,
                     all_cells=args.all_cells, launched=launched)
    except GraderBusy as exc:
        print(f"autograder grade: {exc}", file=sys.stderr)
        return 3
    width = max([len(r.student) for r in rows] + [7])
    for r in sorted(rows, key=lambda r: (r.student, r.notebook)):
        flags = f"  {'; '.join(r.flags)[:160]}" if r.flags else ""
        print(f"{r.student:<{width}}  {r.notebook}  {r.score:g}/{r.max_score:g}  {r.status}"
              f"{' (from journal)' if r.resumed else ''}{flags}")
    clean = sum(r.status == "graded" for r in rows)
    print(f"{len(rows)} submission(s) in {time.perf_counter() - t0:.1f} s: {clean} clean, "
          f"{len(rows) - clean} with a status to look at (engine/results/{args.assignment}/summary.csv)")
    return 0


def _watch(args) -> int:
    import signal
    import threading
    from pathlib import Path

    from autograder.engine.warmup import launch_for

    launched = launch_for(Path(args.course), args.assignment, args.checks or ())  # warm while the rest imports
    from autograder.engine.scheduler import GraderBusy
    from autograder.engine.watch import Watcher

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        Watcher(args.assignment, Path(args.course), workers=args.workers, extra_checks=args.checks or (),
                poll_s=args.poll, settle_s=args.settle, corrupt_s=6 * args.settle, wait_s=args.wait,
                launched=launched, log=lambda line: print(line, flush=True)).serve(stop)
    except GraderBusy as exc:
        print(f"autograder watch: {exc}", file=sys.stderr)
        return 3
    print("autograder watch: stopped", flush=True)
    return 0


def _results(args):
    from pathlib import Path

    from autograder.results import load

    course = Path(args.course)
    known = (course / "source" / args.assignment).is_dir() or (course / "engine" / "results" / args.assignment).is_dir()
    if not known:
        raise SystemExit(f"autograder {args.command}: no assignment {args.assignment!r} in {course.resolve()} "
                         f"(no source/{args.assignment}/ and no engine/results/{args.assignment}/)")
    return load(course, args.assignment, args.collect_report)


def _feedback(args) -> int:
    from autograder.feedback import write

    t0 = time.perf_counter()
    written = write(args.course, args.assignment, args.student or None, _results(args))
    for path in written:
        print(f"wrote {path}")
    print(f"{len(written)} feedback page(s) in {time.perf_counter() - t0:.1f} s")
    return 0


def _export(args) -> int:
    from autograder.export import write

    results = _results(args)
    for kind, path in write(args.course, args.assignment, results).items():
        print(f"{kind:<7} {path}")
    counts = {}
    for s in results.students:
        counts[s.status] = counts.get(s.status, 0) + 1
    print(f"{len(results.students)} student(s): " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    return 0


def _report(args) -> int:
    from autograder.report import write

    print(f"wrote {write(args.course, args.assignment, _results(args), slowest=args.slowest)}")
    return 0


def _regrade(args) -> int:
    from pathlib import Path

    from autograder.engine.scheduler import GraderBusy
    from autograder.regrade import regrade

    try:
        report = regrade(args.assignment, Path(args.course), extra_checks=args.checks or (),
                         exercises=args.exercise or None, students=args.student or None, rerun=args.rerun,
                         dry_run=args.dry_run, scheduler=args.scheduler, workers=args.workers, wait_s=args.wait,
                         progress=not args.quiet)
    except GraderBusy as exc:
        print(f"autograder regrade: {exc}", file=sys.stderr)
        return 3
    except ValueError as exc:
        print(f"autograder regrade: {exc}", file=sys.stderr)
        return 2
    if args.dry_run:
        print(f"would judge again: {', '.join(report.rejudged) or 'nobody'}; "
              f"would run again: {', '.join(report.rerun) or 'nobody'}")
    print(report.summary())
    return 0


def _roster(args) -> int:
    from pathlib import Path

    from autograder.nbgrader_setup import make_config
    from autograder.roster import import_roster, set_due_date, set_late_policy

    db_url = make_config(Path(args.course)).CourseDirectory.db_url
    report = import_roster(args.csv, db_url)
    print(report.summary())
    for item in args.due or []:
        assignment, _, when = item.partition("=")
        print(f"due date of {assignment}: {set_due_date(db_url, assignment, when)}")
    if args.late_per_hour is not None:
        path = set_late_policy(args.course, args.late_per_hour or None)
        print(f"late policy: {args.late_per_hour:g} point(s) per started hour late, in {path}")
    return 0 if not report.bad_rows else 1


def _collect(args) -> int:
    from autograder.collect import collect

    report = collect(args.path, args.course, args.assignment or None)
    print(report.summary())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="autograder", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="generate the student notebooks from solutions/")
    p.add_argument("names", nargs="*", help="notebook names (default: all)")
    p.add_argument("--solutions", help="a private folder of solution notebooks (e.g. with extra hidden tests) "
                                       "to release instead of the repository's solutions/")
    p.add_argument("--out", help="where the student notebooks go (default: the repository's notebooks/)")
    p.set_defaults(func=_release)
    p = sub.add_parser("demo", help="release, set up, and grade an example class")
    p.set_defaults(func=_demo)
    p = sub.add_parser("roster", help="import a roster CSV into the gradebook; set due dates and the late policy")
    p.add_argument("csv")
    p.add_argument("--course", default=".", help="the nbgrader course directory (default: here)")
    p.add_argument("--due", action="append", metavar="ASSIGNMENT=WHEN", help="e.g. 01_tensors=2026-01-12T12:00Z")
    p.add_argument("--late-per-hour", type=float, help="points off per started hour late (0: no penalty)")
    p.set_defaults(func=_roster)
    p = sub.add_parser("collect", help="place hand-ins (a folder or a zip) into the course's submitted/ folder")
    p.add_argument("path")
    p.add_argument("--course", default=".", help="the nbgrader course directory (default: here)")
    p.add_argument("--assignment", action="append", help="only these assignments (default: all released)")
    p.set_defaults(func=_collect)
    p = sub.add_parser("grade", help="grade the submissions of an assignment with the grading engine")
    p.add_argument("assignment")
    p.add_argument("--course", default=".", help="the nbgrader course directory (default: here)")
    p.add_argument("--scheduler", help="address of an existing Dask scheduler (default: a LocalCluster)")
    p.add_argument("--workers", type=int, help="at most this many sandboxes at a time (default: one per core)")
    p.add_argument("--all-cells", action="store_true",
                   help="run every cell, also those no graded answer depends on (default: leave them out)")
    p.add_argument("--cell-timeout", type=float, help="wall seconds per cell (default: 60)")
    p.add_argument("--memory-mb", type=int, help="memory per sandbox above the zygote (default: 2048)")
    p.add_argument("--cpu-s", type=int, help="CPU seconds per sandbox run (default: 600)")
    p.add_argument("--checks", action="append", help="an extra checkers file (course.checks.<stem>)")
    p.add_argument("--wait", type=float, default=0.0, help="seconds to wait for another grader (default: refuse)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_grade)
    for name, func, helptext in (("feedback", _feedback, "write one HTML feedback page per student"),
                                 ("export", _export, "write the wide, long and Canvas-import CSVs"),
                                 ("report", _report, "write the instructor's HTML report")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("assignment")
        p.add_argument("--course", default=".", help="the nbgrader course directory (default: here)")
        p.add_argument("--collect-report", help="collect's report.json (default: <course>/collect/report.json)")
        if name == "feedback":
            p.add_argument("--student", action="append", help="only this student (repeatable)")
        if name == "report":
            p.add_argument("--slowest", type=int, default=10, help="rows in the slowest-submissions table")
        p.set_defaults(func=func)
    p = sub.add_parser("watch", help="grade each hand-in as it lands in submitted/, until Ctrl-C")
    p.add_argument("assignment")
    p.add_argument("--course", default=".", help="the nbgrader course directory (default: here)")
    p.add_argument("--workers", type=int, help="at most this many sandboxes at a time (default: one per core)")
    p.add_argument("--checks", action="append", help="an extra checkers file (course.checks.<stem>)")
    p.add_argument("--poll", type=float, default=0.5, help="seconds between looks at submitted/ (default: 0.5)")
    p.add_argument("--settle", type=float, default=0.5,
                   help="seconds a hand-in must stay unchanged before it is graded (default: 0.5); "
                        "one that is not a whole notebook is graded as it is after six times that")
    p.add_argument("--wait", type=float, default=0.0, help="seconds to wait for another grader (default: refuse)")
    p.set_defaults(func=_watch)
    p = sub.add_parser("regrade", help="after a checker fix: regrade only the exercises it touches")
    p.add_argument("assignment")
    p.add_argument("--course", default=".", help="the nbgrader course directory (default: here)")
    p.add_argument("--checks", action="append", help="an extra checkers file (course.checks.<stem>)")
    p.add_argument("--exercise", action="append", help="regrade this exercise id too (e.g. nb01.ex2)")
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    p.add_argument("--rerun", action="store_true", help="run student code again even where the kept data would do")
    p.add_argument("--dry-run", action="store_true", help="say what would be regraded; change nothing")
    p.add_argument("--scheduler", help="address of an existing Dask scheduler (for students run again)")
    p.add_argument("--workers", type=int, help="LocalCluster workers (default: one per core)")
    p.add_argument("--wait", type=float, default=0.0, help="seconds to wait for another grader (default: refuse)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_regrade)
    args = parser.parse_args(argv)
    # nbgrader imports jsonschema, whose optional rfc3987-syntax builds an Earley parser when it
    # is imported (1-2 s of every command); no command here validates IRIs
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
