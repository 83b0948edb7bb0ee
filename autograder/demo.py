"""``make demo``: the main job, end to end, on what the course has so far.

1. Release: solutions/ -> notebooks/ (and say whether anything changed).
2. Load the course data (offline copy where there is no network).
3. Grade an example class with plain nbgrader: for every notebook, a student who hands in
   the solution and one who hands in the blank release.
4. Print the score table and where the outputs are.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import nbformat

from autograder.paths import NOTEBOOKS, ROOT, SOLUTIONS

OUT = ROOT / "out" / "demo"


def _git_dirty(path: Path) -> bool:
    try:
        out = subprocess.run(["git", "status", "--porcelain", str(path)], cwd=ROOT,
                             capture_output=True, text=True, timeout=30)
        return bool(out.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        return False


def main() -> int:
    import course
    from autograder.nbgrader_batch import autograde_class
    from autograder.release import release

    t_start = time.perf_counter()
    print("== 1. Release: solutions/ -> notebooks/")
    written = release()
    print(f"   {len(written)} notebooks released; notebooks/ "
          f"{'changed (commit it)' if _git_dirty(NOTEBOOKS) else 'already in sync'}")

    print("== 2. Course setup and data")
    course.setup()
    X, y = course.data.xor()
    x, t = course.data.linear()
    adult = course.data.adult(timeout=10)
    print(f"   xor {tuple(X.shape)}, line {tuple(x.shape)}, adult {adult.shape[0]:,} rows x {adult.shape[1]} columns")

    print("== 3. Grade an example class with nbgrader (a new kernel per notebook; ~5 s each)")
    sources = sorted(SOLUTIONS.glob("*.ipynb"))
    students = {
        "ada_solution": {s.stem: nbformat.read(s, as_version=4) for s in sources},
        "bob_blank": {s.stem: nbformat.read(NOTEBOOKS / s.name, as_version=4) for s in sources},
    }
    if OUT.exists():
        shutil.rmtree(OUT)
    t0 = time.perf_counter()
    graded = autograde_class(OUT / "course", sources, students)
    grading_s = time.perf_counter() - t0

    print("== Scores (nbgrader gradebook)")
    names = [s.stem for s in sources]
    width = max(len(n) for n in names + ["student"]) + 2
    print("   " + "student".ljust(16) + "".join(n[:width].ljust(width) for n in names) + "total")
    for student, per in graded.items():
        cells = "".join(f"{per[n].total:g}/{per[n].max_total:g}".ljust(width) for n in names)
        total = sum(per[n].total for n in names)
        max_total = sum(per[n].max_total for n in names)
        print("   " + student.ljust(16) + cells + f"{total:g}/{max_total:g}")

    print("== Summary")
    print(f"   released {len(written)} notebooks into {NOTEBOOKS.relative_to(ROOT)}/")
    print(f"   graded {len(students)} students x {len(sources)} notebooks in {grading_s:.1f} s")
    print(f"   gradebook: {(OUT / 'course' / 'gradebook.db').relative_to(ROOT)}")
    print(f"   autograded notebooks: {(OUT / 'course' / 'autograded').relative_to(ROOT)}/")
    print(f"   done in {time.perf_counter() - t_start:.1f} s")
    return 0
