"""``make demo``: a term of the course, end to end, on an example class.

1. Release: solutions/ -> notebooks/ (nbgrader's generate step; says if anything changed).
2. Course setup and data: the one-line setup report, the data sets (offline copy if need be).
3. The example class (autograder/example_class.py): 16 synthetic students handing in
   notebooks 01 and 02 as one zip in mixed layouts, with realistic mistakes. The roster
   is imported, due dates and a late policy set, and ``collect`` places every hand-in.
4. ``grade`` with the engine (sandboxed, on a local Dask cluster, into nbgrader's gradebook).
5. ``feedback``, ``export`` and ``report`` (with the item analysis and similar submissions) for
   both assignments, and ``progress``: a page per student.
6. The score table, a comparison with the scores written by hand for the example class,
   and where everything is.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from autograder.paths import NOTEBOOKS, ROOT

OUT = ROOT / "out" / "demo"


def _git_dirty(path: Path) -> bool:
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=30
        )
        return bool(out.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        return False


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def main() -> int:
    import course
    from autograder import analysis, export, feedback, report, results
    from autograder.analysis import progress
    from autograder.engine.limits import Limits
    from autograder.engine.scheduler import _client, grade
    from autograder.example_class import ASSIGNMENTS, exercise_ids, expected_scores, setup_course
    from autograder.release import release

    t_start = time.perf_counter()
    print("== 1. Release: solutions/ -> notebooks/")
    written = release()
    print(
        f"   {len(written)} notebooks released; notebooks/ "
        f"{'changed (commit it)' if _git_dirty(NOTEBOOKS) else 'already in sync'}"
    )

    print("== 2. Course setup and data")
    course.setup()
    X, _ = course.data.xor()
    x, _ = course.data.linear()
    adult = course.data.adult(timeout=10)
    print(f"   xor {tuple(X.shape)}, line {tuple(x.shape)}, adult {adult.shape[0]:,} rows x {adult.shape[1]} columns")

    print("== 3. The example class: roster, due dates, late policy, collect")
    if OUT.exists():
        shutil.rmtree(OUT)
    root = OUT / "course"
    _api, _config, collected = setup_course(root, OUT / "handin")
    for line in collected.summary().splitlines():
        print("   " + line)

    print("== 4. Grade with the engine")
    t0 = time.perf_counter()
    client, cluster = _client(None, None)  # one local Dask cluster for both assignments
    rows = {}
    try:
        for a in ASSIGNMENTS:  # a 10 s cell limit keeps the demo's infinite loop short
            for row in grade(a, root, client=client, progress=True, limits=Limits(cell_timeout_s=10)):
                rows[(row.student, a)] = row
    finally:
        client.close()
        cluster.close()
    grading_s = time.perf_counter() - t0

    print("== 5. Feedback, exports and reports")
    outputs = {}
    for a in ASSIGNMENTS:
        res = results.load(root, a)
        pages = feedback.write(root, a, None, res)
        found = analysis.run(root, res)
        files = export.write(root, a, res, found.similar)
        page = report.write(root, a, res, analysis=found)
        outputs[a] = (res, pages, files, page)
        print(
            f"   {a}: {len(pages)} feedback pages, {len(files)} CSV files, report {_rel(page)}, "
            f"{len(found.items.flagged)} exercise(s) flagged, {len(found.similar.pairs)} similar pair(s)"
        )
    student_pages, overview = progress.write(root)
    print(f"   {len(student_pages)} progress pages, class overview {_rel(overview)}")

    print("== 6. Scores (after the late policy) and status")
    students = sorted({s.student for a in ASSIGNMENTS for s in outputs[a][0].students})
    print("   " + "student".ljust(14) + "".join(a.ljust(26) for a in ASSIGNMENTS))
    for name in students:
        cells = []
        for a in ASSIGNMENTS:
            s = next((s for s in outputs[a][0].students if s.student == name), None)
            cells.append("-".ljust(26) if s is None else f"{s.score:g}/{s.max_score:g} {s.status}".ljust(26))
        print("   " + name.ljust(14) + "".join(cells))
    expected = expected_scores()
    agree = sum(
        1
        for key, sub in expected.items()
        if key in rows
        and tuple(rows[key].cells[g].score for g in exercise_ids(key[1])) == tuple(map(float, sub.expected))
    )
    print(f"   the engine agrees with the hand-written expectations for {agree}/{len(expected)} hand-ins")

    print("== Summary")
    print(f"   graded {len(rows)} hand-ins of {len(ASSIGNMENTS)} assignments in {grading_s:.1f} s")
    for a in ASSIGNMENTS:
        print(f"   report      {a}: {_rel(outputs[a][3])}")
    print(f"   feedback    {_rel(root / 'feedback_html')}/<student>/<assignment>.html")
    print(f"   progress    {_rel(root / 'progress_html')}/<student>.html")
    print(f"   exports     {_rel(root / 'exports')}/ (wide, long, Canvas import)")
    print(f"   gradebook   {_rel(root / 'gradebook.db')} (nbgrader formgrader and export read it)")
    print(f"   done in {time.perf_counter() - t_start:.1f} s")
    return 0 if agree == len(expected) else 1
