"""``make demo``: the main job, end to end, on what the course has so far.

1. Release: solutions/ -> notebooks/ (and say whether anything changed).
2. Load the course data (the offline copy where there is no network).
3. Grade an example class with the grading engine (sandboxed, on a local Dask cluster,
   into nbgrader's gradebook): for every notebook, a student who hands in the solution
   and one who hands in the blank release.
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


def _table(names: list[str], scores: dict[str, dict[str, tuple[float, float]]]) -> list[str]:
    width = max(len(n) for n in names) + 2
    lines = ["student".ljust(16) + "".join(n.ljust(width) for n in names) + "total"]
    for student, per in scores.items():
        cells = "".join(f"{per[n][0]:g}/{per[n][1]:g}".ljust(width) for n in names)
        lines.append(student.ljust(16) + cells +
                     f"{sum(v[0] for v in per.values()):g}/{sum(v[1] for v in per.values()):g}")
    return lines


def main() -> int:
    import course
    from autograder.engine.coursedir import prepare
    from autograder.engine.scheduler import _client, grade
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

    print("== 3. Grade an example class with the grading engine")
    sources = sorted(SOLUTIONS.glob("*.ipynb"))
    students = {
        "ada_solution": {s.stem: nbformat.read(s, as_version=4) for s in sources},
        "bob_blank": {s.stem: nbformat.read(NOTEBOOKS / s.name, as_version=4) for s in sources},
    }
    if OUT.exists():
        shutil.rmtree(OUT)
    root = prepare(OUT / "course", sources, students)
    t0 = time.perf_counter()
    client, cluster = _client(None, None)  # one local Dask cluster for every assignment
    scores: dict[str, dict[str, tuple[float, float]]] = {s: {} for s in students}
    statuses: list[str] = []
    try:
        for src in sources:
            for row in grade(src.stem, root, client=client, progress=False):
                scores[row.student][src.stem] = (row.score, row.max_score)
                if row.status != "graded":
                    statuses.append(f"{row.student}/{src.stem}: {row.status}")
    finally:
        client.close()
        cluster.close()
    grading_s = time.perf_counter() - t0

    print("== Scores (nbgrader gradebook, written by the engine)")
    for line in _table([s.stem for s in sources], scores):
        print("   " + line)
    for line in statuses:
        print("   status: " + line)

    print("== Summary")
    print(f"   released {len(written)} notebooks into {NOTEBOOKS.relative_to(ROOT)}/")
    print(f"   graded {len(students)} students x {len(sources)} notebooks in {grading_s:.1f} s")
    print(f"   gradebook: {(root / 'gradebook.db').relative_to(ROOT)}")
    print(f"   autograded notebooks (for feedback): {(root / 'autograded').relative_to(ROOT)}/")
    print(f"   engine journal and summaries: {(root / 'engine' / 'results').relative_to(ROOT)}/")
    print(f"   done in {time.perf_counter() - t_start:.1f} s")
    return 0
