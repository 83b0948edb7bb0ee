"""``python -m autograder COMMAND``: the instructor's commands, in the order of a term.

    init COURSE_DIR      a ready nbgrader course from solutions/ (relocatable; run it again freely)
    roster CSV           import the students (Canvas, Moodle, Blackboard, any CSV); --due, --late-per-hour
    collect PATH         place hand-ins (zip, folder, one notebook) under the roster's students
    grade ASSIGNMENT     the grading engine: sandboxed, a sandbox per core (or a Dask cluster), into nbgrader's gradebook
    watch ASSIGNMENT     grade each hand-in as it lands in submitted/ (gradebook, feedback page)
    feedback ASSIGNMENT  one HTML page per student on the roster (feedback_html/)
    export ASSIGNMENT    wide, long and Canvas-import CSVs (exports/)
    report ASSIGNMENT    the instructor's HTML page with plots and item analysis (reports/); --json for scripts
    progress             one offline page per student over every assignment, and a class overview
    regrade ASSIGNMENT   after a checker fix: grade again only what it touches, show the changes
    release [NAME ...]   solutions/ -> notebooks/; --repository, --tag, --student-bundle publish the course
    demo                 the main job end to end on an example class (make demo)

A bad input (a missing file, a bad date, an unknown assignment, a folder that is not a
course) is said in one line, with what to do, and changes nothing (exit status 2).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime
from pathlib import Path

if (
    __name__ == "__main__"
    and sys.path
    and os.path.abspath(sys.path[0] or os.curdir) == os.getcwd()
    and os.getcwd() != os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
):
    # `python -m` puts the current folder first on the path: a course folder named "course"
    # there would hide the `course` package. Nothing is ever imported from the current folder.
    sys.path.pop(0)

from autograder.errors import UsageError  # noqa: E402


def _course(args):
    from autograder.course_dir import require_course

    return require_course(args.course)


def _assignment(args):
    from autograder.course_dir import require_assignment

    course = _course(args)
    require_assignment(course, args.assignment)
    return course


def _init(args) -> int:
    from autograder.course_dir import init
    from autograder.paths import SOLUTIONS

    t0 = time.perf_counter()
    report = init(
        args.course_dir,
        args.assignments,
        Path(args.solutions) if args.solutions else SOLUTIONS,
        exchange=args.exchange,
        course_id=args.course_id,
    )
    print(report.summary().replace("--course DIR", f"--course {args.course_dir}"))
    print(f"done in {time.perf_counter() - t0:.1f} s")
    return 0


def _release(args) -> int:
    from autograder import publish
    from autograder.paths import NOTEBOOKS, SOLUTIONS

    solutions = Path(args.solutions) if args.solutions else SOLUTIONS
    _check_release(args, solutions)
    if args.repository:
        repository = publish.check_repository(args.repository)
        path = publish.set_repository(repository, args.branch)
        print(
            f"{path}: the course now lives at {repository} (branch {args.branch or publish.branch()}); "
            "every badge and bootstrap cell is released again"
        )
    from autograder.release import release  # imports the course package (and torch): after the checks

    out = Path(args.out) if args.out else NOTEBOOKS
    t0 = time.perf_counter()
    try:
        written = release(args.names or None, out_dir=out, solutions_dir=solutions)
    except FileNotFoundError as exc:
        raise UsageError(str(exc), "give the names of notebooks in the solutions folder") from None
    for path in written:
        print(f"released {path}")
    print(f"{len(written)} notebook(s) released in {time.perf_counter() - t0:.1f} s")
    if args.tag:
        print(publish.make_tag())
    elif out == NOTEBOOKS and not args.names:
        print(publish.tag_status().line())
    if args.student_bundle:
        bundle = publish.student_bundle(Path(args.student_bundle), out)
        print(
            f"student bundle in {bundle}: {len(list((bundle / 'notebooks').glob('*.ipynb')))} notebooks, "
            f"{next(bundle.glob('*.whl')).name}, README.md"
        )
    return 0


def _check_release(args, solutions: Path) -> None:
    """Every argument of ``release``, before anything is written."""
    from autograder import publish

    if not solutions.is_dir():
        raise UsageError(f"no solutions folder {solutions}", "give the folder of the instructor's notebooks")
    if not any(solutions.glob("*.ipynb")):
        raise UsageError(f"{solutions} holds no notebook (.ipynb)", "give the folder of the instructor's notebooks")
    if args.out and Path(args.out).exists() and not Path(args.out).is_dir():
        raise UsageError(f"--out {args.out} is a file", "give a folder for the released notebooks")
    missing = sorted({Path(n).stem for n in args.names} - {p.stem for p in solutions.glob("*.ipynb")})
    if missing:
        raise UsageError(
            f"no solution notebook named {', '.join(missing)} in {solutions}",
            "give the names of notebooks in the solutions folder",
        )
    if (args.repository or args.tag) and (args.names or args.out or args.solutions):
        raise UsageError(
            f"--{'repository' if args.repository else 'tag'} releases the repository's own notebooks, all of them",
            "leave out the names, --out and --solutions",
        )
    if args.student_bundle:
        publish.check_bundle_target(Path(args.student_bundle))
    if args.branch and not args.repository:
        raise UsageError("--branch goes with --repository", "give the repository too")


def _demo(args) -> int:
    from autograder.demo import main as demo

    return demo()


def _students_to_grade(course, assignment: str) -> list[str]:
    """The students with a hand-in of ``assignment`` in submitted/, roster students only when
    the course has a roster (the others are listed, never graded)."""
    submitted = course.root / "submitted"
    handed_in = sorted(p.name for p in submitted.iterdir() if (p / assignment).is_dir()) if submitted.is_dir() else []
    roster = set(course.roster())
    if not roster:
        return handed_in
    off = [s for s in handed_in if s not in roster]
    if off:
        print(
            f"not graded, not on the roster: {', '.join(off)} (import them with `autograder roster` "
            "or move their folders out of submitted/)"
        )
    return [s for s in handed_in if s in roster]


def _grade(args) -> int:
    for name in ("cell_timeout", "memory_mb", "cpu_s", "workers"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            raise UsageError(
                f"--{name.replace('_', '-')} must be positive, not {value:g}",
                "give a number above 0, or leave it out for the default",
            )
    for path in args.checks or ():
        if not Path(path).is_file():
            raise UsageError(f"no checkers file {path}", "give the path of a course.checks-style .py file")
    from autograder.engine.warmup import launch_for

    t0 = time.perf_counter()
    # the first zygote imports torch while this process checks the course and imports its own modules
    launched = None if args.scheduler else launch_for(Path(args.course), args.assignment, args.checks or ())
    try:
        course = _assignment(args)
        students = _students_to_grade(course, args.assignment)
        if not students:
            print(
                f"nothing to grade for {args.assignment}: no submission of a roster student in "
                f"{course.root / 'submitted'} (run `python -m autograder collect` first)"
            )
            return 0
        from autograder.engine.limits import Limits
        from autograder.engine.scheduler import GraderBusy, grade

        defaults = Limits()
        limits = Limits(
            cell_timeout_s=args.cell_timeout or defaults.cell_timeout_s,
            memory_mb=args.memory_mb or defaults.memory_mb,
            cpu_s=args.cpu_s or defaults.cpu_s,
        )
        given, launched = launched, None  # grade() owns it now, and stops it when it is not needed
        try:
            rows = grade(
                args.assignment,
                course.root,
                scheduler=args.scheduler,
                workers=args.workers,
                limits=limits,
                extra_checks=args.checks or (),
                wait_s=args.wait,
                progress=not args.quiet,
                students=students,
                all_cells=args.all_cells,
                launched=given,
            )
        except GraderBusy as exc:
            print(f"autograder grade: {exc}", file=sys.stderr)
            return 3
    finally:
        if launched is not None:  # a bad course or nothing to grade: the early zygote is not needed
            launched.stop()
    width = max([len(r.student) for r in rows] + [7])
    for r in sorted(rows, key=lambda r: (r.student, r.notebook)):
        flags = f"  {'; '.join(r.flags)[:160]}" if r.flags else ""
        print(
            f"{r.student:<{width}}  {r.notebook}  {r.score:g}/{r.max_score:g}  {r.status}"
            f"{' (from journal)' if r.resumed else ''}{flags}"
        )
    clean = sum(r.status == "graded" for r in rows)
    print(
        f"{len(rows)} submission(s) in {time.perf_counter() - t0:.1f} s: {clean} clean, "
        f"{len(rows) - clean} with a status to look at (engine/results/{args.assignment}/summary.csv)"
    )
    return 0


def _watch(args) -> int:
    import signal
    import threading

    for name in ("poll", "settle", "workers"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            raise UsageError(
                f"--{name} must be positive, not {value:g}", "give a number above 0, or leave it out for the default"
            )
    for path in args.checks or ():
        if not Path(path).is_file():
            raise UsageError(f"no checkers file {path}", "give the path of a course.checks-style .py file")
    from autograder.engine.warmup import launch_for

    launched = launch_for(Path(args.course), args.assignment, args.checks or ())  # warm while the rest imports
    try:
        course = _assignment(args)
        from autograder.engine.scheduler import GraderBusy
        from autograder.engine.watch import Watcher

        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        given, launched = launched, None  # the watcher owns it now
        try:
            Watcher(
                args.assignment,
                course.root,
                workers=args.workers,
                extra_checks=args.checks or (),
                poll_s=args.poll,
                settle_s=args.settle,
                corrupt_s=max(3.0, 6 * args.settle),
                wait_s=args.wait,
                launched=given,
                log=lambda line: print(line, flush=True),
            ).serve(stop)
        except GraderBusy as exc:
            print(f"autograder watch: {exc}", file=sys.stderr)
            return 3
    finally:
        if launched is not None:  # a bad course: the early zygote is not needed
            launched.stop()
    print("autograder watch: stopped", flush=True)
    return 0


def _results(args):
    from autograder.results import load

    if args.collect_report and not Path(args.collect_report).is_file():
        raise UsageError(f"no collect report {args.collect_report}", "leave --collect-report out to use the course's")
    course = _assignment(args)
    return load(course.root, args.assignment, args.collect_report)


def _feedback(args) -> int:
    from autograder.feedback import write

    t0 = time.perf_counter()
    results = _results(args)
    unknown = sorted(set(args.student or ()) - {s.student for s in results.students})
    if unknown:
        raise UsageError(f"no student {', '.join(unknown)} in the course", "give ids from the roster")
    written = write(args.course, args.assignment, args.student or None, results)
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
    from autograder.analysis import run
    from autograder.report import write

    results = _results(args)
    analysis = run(args.course, results)
    if args.json:  # the typed document on stdout, nothing else there
        from autograder.analysis.data import build, to_json

        print(to_json(build(results, analysis.items, analysis.similar)))
        return 0
    print(f"wrote {write(args.course, args.assignment, results, slowest=args.slowest, analysis=analysis)}")
    return 0


def _progress(args) -> int:
    from autograder.analysis.progress import write

    pages, overview = write(args.course, args.student or None, args.assignment or None)
    print(f"{len(pages)} progress page(s) in {pages[0].parent if pages else args.course}; overview: {overview}")
    return 0


def _regrade(args) -> int:
    course = _assignment(args)
    from autograder.engine.scheduler import GraderBusy
    from autograder.regrade import regrade

    try:
        report = regrade(
            args.assignment,
            course.root,
            extra_checks=args.checks or (),
            exercises=args.exercise or None,
            students=args.student or None,
            rerun=args.rerun,
            dry_run=args.dry_run,
            scheduler=args.scheduler,
            workers=args.workers,
            wait_s=args.wait,
            progress=not args.quiet,
        )
    except GraderBusy as exc:
        print(f"autograder regrade: {exc}", file=sys.stderr)
        return 3
    except ValueError as exc:
        raise UsageError(str(exc), "see `python -m autograder regrade --help`") from None
    if args.dry_run:
        print(
            f"would judge again: {', '.join(report.rejudged) or 'nobody'}; "
            f"would run again: {', '.join(report.rerun) or 'nobody'}"
        )
    print(report.summary())
    return 0


def _roster(args) -> int:
    from autograder.roster import import_roster, set_due_date, set_late_policy, time_zone

    course = _course(args)
    # every input is checked before anything is written
    tz, tz_words = time_zone(args.tz)
    dues = _due_dates(args.due or [], course, tz)
    if args.late_per_hour is not None and args.late_per_hour < 0:
        raise UsageError(
            f"--late-per-hour must be 0 or more, not {args.late_per_hour:g}",
            "give the points taken off per started hour late (0: no penalty)",
        )
    if dues:
        from autograder.course_dir import require_assignment

        for assignment, _, _ in dues:
            require_assignment(course, assignment)
    if not args.csv and not dues and args.late_per_hour is None:
        raise UsageError("nothing to do", "give a roster CSV, --due ASSIGNMENT=WHEN or --late-per-hour")
    report = _usable_roster(args) if args.csv else None
    # then the changes
    if report is not None:
        import_roster(args.csv, course.db_url, course.root, report=report)
        print(report.summary())
    if dues:
        print(f"due dates without a zone are read in {tz_words}")
    for assignment, text, when in dues:
        set_due_date(course.db_url, assignment, when)
        print(f"due date of {assignment}: {text} -> {when:%Y-%m-%d %H:%M} UTC (nbgrader's gradebook)")
    if args.late_per_hour is not None:
        path = set_late_policy(course.root, args.late_per_hour or None)
        print(f"late policy: {args.late_per_hour:g} point(s) per started hour late, in {path}")
    return 0


def _due_dates(items: list[str], course, tz) -> list[tuple[str, str, datetime]]:
    """Each ``--due ASSIGNMENT=WHEN`` as (assignment, WHEN as written, the moment), checked
    against the course's assignments."""
    from autograder.roster import parse_due

    source = course.root / "source"
    assignments = sorted(p.name for p in source.iterdir() if p.is_dir()) if source.is_dir() else []
    dues = []
    for item in items:
        assignment, sep, when = item.partition("=")
        assignment, when = assignment.strip(), when.strip()
        if not sep or not assignment or not when:
            raise UsageError(f"--due {item!r} is not ASSIGNMENT=WHEN", 'write e.g. --due 01_tensors="2026-01-12 12:00"')
        if assignment not in assignments:
            raise UsageError(
                f"--due names {assignment!r}, which is not an assignment of the course "
                f"(it has: {', '.join(assignments) or 'none'})",
                "use one of those names",
            )
        try:
            dues.append((assignment, when, parse_due(when, tz)))
        except UsageError as exc:
            raise UsageError(f"--due {assignment}: {exc.what}", exc.todo) from None
    return dues


def _usable_roster(args):
    """The roster CSV read, refused when no student can be read from it, or when some rows
    cannot be used and --skip-bad-rows was not given."""
    from autograder.roster import read_roster

    report = read_roster(args.csv, id_column=args.id_column)
    if not report.students:
        why = "; ".join(f"line {n}: {w}" for n, w in report.bad_rows[:3]) or "no rows"
        raise UsageError(
            f"no student could be read from {args.csv} ({why})",
            "export the roster again, or name the id column with --id-column",
        )
    if report.bad_rows and not args.skip_bad_rows:
        why = "; ".join(f"line {n}: {w}" for n, w in report.bad_rows[:3])
        raise UsageError(
            f"{len(report.bad_rows)} row(s) of {args.csv} cannot be used ({why}"
            f"{'; ...' if len(report.bad_rows) > 3 else ''})",
            f"fix them, or give --skip-bad-rows to import the other {len(report.students)}",
        )
    return report


def _collect(args) -> int:
    from autograder.course_dir import require_assignment
    from autograder.roster import read_roster, roster_from_gradebook, time_zone

    # the cheap checks first (files, names), then those that open the gradebook
    course = _course(args)
    from autograder.collect import collect, hand_in

    hand_in(args.path)  # does it exist, is it a zip, a folder or a notebook, does it hold a notebook
    tz, tz_words = time_zone(args.tz)
    roster = read_roster(args.roster).students if args.roster else None
    if args.roster and not roster:
        raise UsageError(f"no student could be read from {args.roster}", "give the roster CSV of the class")
    for a in args.assignment or ():
        require_assignment(course, a)
    known = course.assignments()
    if args.roster:
        source = f"{len(roster)} student(s) from {args.roster}"
        off = sorted(set(r.id for r in roster) - set(course.roster()))
        if course.roster() and off:
            source += f" ({len(off)} not in the gradebook: `autograder roster {args.roster}` imports them)"
    else:
        roster = roster_from_gradebook(course.db_url, course.root) or None
        source = (
            f"{len(roster)} student(s) from the gradebook"
            if roster
            else "NONE in the gradebook: student ids are made from file and folder names "
            "(import the roster first: `python -m autograder roster CSV`)"
        )
    report = collect(
        args.path,
        course.root,
        args.assignment or list(known),
        roster=roster,
        tz=tz,
        dry_run=args.dry_run,
        roster_from=source,
    )
    print(report.summary())
    print(f"dates in LMS file names read in {tz_words}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autograder",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
    )
    sub = parser.add_subparsers(dest="command", required=True)
    course_help = "the course folder made by `init` (default: here)"

    p = sub.add_parser("init", help="make a ready nbgrader course from solutions/ (run it again freely)")
    p.add_argument("course_dir", help="the course folder (created when missing)")
    p.add_argument("--assignments", nargs="+", metavar="NAME", help="notebooks of solutions/ (default: all)")
    p.add_argument(
        "--solutions", help="a private folder of instructor notebooks (default: the repository's solutions/)"
    )
    p.add_argument("--exchange", help="nbgrader's exchange folder for JupyterHub (default: <course>/exchange)")
    p.add_argument("--course-id", default="pytorch-course", help="nbgrader's course id (default: pytorch-course)")
    p.set_defaults(func=_init)

    p = sub.add_parser(
        "roster", help="import the roster (Canvas, Moodle, Blackboard, CSV); set due dates and the late policy"
    )
    p.add_argument("csv", nargs="?", help="the roster export (CSV or tab-separated; optional with --due)")
    p.add_argument("--course", default=".", help=course_help)
    p.add_argument("--id-column", help="the column that holds the student ids (default: chosen from the values)")
    p.add_argument(
        "--skip-bad-rows",
        action="store_true",
        help="import the good rows when some cannot be used (default: import nothing and say which)",
    )
    p.add_argument("--due", action="append", metavar="ASSIGNMENT=WHEN", help='e.g. 01_tensors="2026-01-12 12:00"')
    p.add_argument("--tz", help="time zone of due dates without one, e.g. Europe/Berlin (default: the machine's)")
    p.add_argument("--late-per-hour", type=float, help="points off per started hour late (0: no penalty)")
    p.set_defaults(func=_roster)

    p = sub.add_parser("collect", help="place hand-ins (a zip, a folder or one notebook) under the roster's students")
    p.add_argument("path")
    p.add_argument("--course", default=".", help=course_help)
    p.add_argument("--assignment", action="append", help="only this assignment (repeatable; default: all)")
    p.add_argument("--roster", help="match against this roster file instead of the gradebook's students")
    p.add_argument("--tz", help="time zone of dates in LMS file names (default: the machine's)")
    p.add_argument("--dry-run", action="store_true", help="say where every file would go; write nothing")
    p.set_defaults(func=_collect)

    p = sub.add_parser("grade", help="grade the submissions of an assignment with the grading engine")
    p.add_argument("assignment")
    p.add_argument("--course", default=".", help=course_help)
    p.add_argument("--scheduler", help="address of an existing Dask scheduler (default: a LocalCluster)")
    p.add_argument("--workers", type=int, help="at most this many sandboxes at a time (default: one per core)")
    p.add_argument(
        "--all-cells",
        action="store_true",
        help="run every cell, also those no graded answer depends on (default: leave them out)",
    )
    p.add_argument("--cell-timeout", type=float, help="wall seconds per cell (default: 60)")
    p.add_argument("--memory-mb", type=int, help="memory per sandbox above the zygote (default: 2048)")
    p.add_argument("--cpu-s", type=int, help="CPU seconds per sandbox run (default: 600)")
    p.add_argument("--checks", action="append", help="an extra checkers file (course.checks.<stem>)")
    p.add_argument("--wait", type=float, default=0.0, help="seconds to wait for another grader (default: refuse)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_grade)

    for name, func, helptext in (
        ("feedback", _feedback, "write one HTML feedback page per student on the roster"),
        ("export", _export, "write the wide, long and Canvas-import CSVs"),
        ("report", _report, "write the instructor's HTML report"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("assignment")
        p.add_argument("--course", default=".", help=course_help)
        p.add_argument("--collect-report", help="collect's report.json (default: <course>/collect/report.json)")
        if name == "feedback":
            p.add_argument("--student", action="append", help="only this student (repeatable)")
        if name == "report":
            p.add_argument("--slowest", type=int, default=10, help="rows in the slowest-submissions table")
            p.add_argument(
                "--json",
                action="store_true",
                help="print the results and the analysis as JSON (autograder-report/1) instead of writing the page",
            )
        p.set_defaults(func=func)
    p = sub.add_parser("progress", help="one HTML progress page per roster student, and a class overview")
    p.add_argument("--course", default=".", help="the nbgrader course directory (default: here)")
    p.add_argument("--student", action="append", help="only this student's page (repeatable)")
    p.add_argument("--assignment", action="append", help="only these assignments (default: every one)")
    p.set_defaults(func=_progress)

    p = sub.add_parser("watch", help="grade each hand-in as it lands in submitted/, until Ctrl-C")
    p.add_argument("assignment")
    p.add_argument("--course", default=".", help=course_help)
    p.add_argument("--workers", type=int, help="at most this many sandboxes at a time (default: one per core)")
    p.add_argument("--checks", action="append", help="an extra checkers file (course.checks.<stem>)")
    p.add_argument("--poll", type=float, default=0.25, help="seconds between looks at submitted/ (default: 0.25)")
    p.add_argument(
        "--settle",
        type=float,
        default=0.25,
        help="seconds a hand-in must stay unchanged before it is graded (default: 0.25); "
        "one that is not a whole notebook is graded as it is after six times that (at least 3 s)",
    )
    p.add_argument("--wait", type=float, default=0.0, help="seconds to wait for another grader (default: refuse)")
    p.set_defaults(func=_watch)

    p = sub.add_parser("regrade", help="after a checker fix: regrade only the exercises it touches")
    p.add_argument("assignment")
    p.add_argument("--course", default=".", help=course_help)
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

    p = sub.add_parser("release", help="generate the student notebooks from solutions/; publish the course")
    p.add_argument("names", nargs="*", help="notebook names (default: all)")
    p.add_argument(
        "--solutions",
        help="a private folder of solution notebooks (e.g. with extra hidden tests) "
        "to release instead of the repository's solutions/",
    )
    p.add_argument("--out", help="where the student notebooks go (default: the repository's notebooks/)")
    p.add_argument(
        "--repository",
        metavar="URL",
        help="the course's GitHub repository (a fork's): written into "
        "course/project.py, then every notebook is released again",
    )
    p.add_argument("--branch", help="with --repository: the branch the Colab badges open (default: kept)")
    p.add_argument(
        "--tag", action="store_true", help="create the git tag v<version> the notebooks pin (or check the one there)"
    )
    p.add_argument(
        "--student-bundle",
        metavar="DIR",
        help="write what students need into DIR: the released notebooks, the course wheel, a README; no solutions",
    )
    p.set_defaults(func=_release)

    p = sub.add_parser("demo", help="release, set up, and grade an example class")
    p.set_defaults(func=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # nbgrader imports jsonschema, whose optional rfc3987-syntax builds an Earley parser when it
    # is imported (1-2 s of every command); no command here validates IRIs
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]
    if args.command in ("grade", "watch", "regrade"):  # they read and write the gradebook, serve no Jupyter
        from autograder.nbgrader_setup import import_without_server_extensions

        import_without_server_extensions()
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"autograder {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"autograder {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # not the user's input: a short line here, the traceback in a file
        import tempfile
        import traceback

        fd, log = tempfile.mkstemp(prefix="autograder-error-", suffix=".txt")
        with os.fdopen(fd, "w") as f:
            traceback.print_exc(file=f)
        print(
            f"autograder {args.command}: unexpected error: {type(exc).__name__}: {exc} "
            f"(the details are in {log}; please report them)",
            file=sys.stderr,
        )
        return 1


#: Commands whose process may end without tearing down its modules: they have written and
#: closed everything when they return, and an interpreter that imported torch and nbgrader
#: takes most of a second to finalise them.
QUICK_EXIT = ("grade", "watch", "regrade")


if __name__ == "__main__":
    status = main()
    if len(sys.argv) > 1 and sys.argv[1] in QUICK_EXIT:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)
