"""Grade on hand-in: seconds from a notebook landing in ``submitted/`` to its feedback page.

Starts ``python -m autograder watch ASSIGNMENT`` on a fresh course, waits until it is
watching and warm (it says so once it has graded the instructor's notebook), then hands
in the notebooks of a mixed class one at a time (half solutions, a quarter partly blank,
a quarter with realistic bugs, as ``grading_throughput.py``), each when the previous one
is graded, and measures the time from the file's write to its feedback page on disk (and
checks the gradebook row, read with nbgrader's API). Also the time from the watcher's
start until it is watching, and until it is warm.

    .venv/bin/python benchmarks/watch_latency.py [--notebook 09_adult_income] [-n 4]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", action="append", help="assignment(s) (default: 01_tensors, 09_adult_income)")
    parser.add_argument("-n", type=int, default=4, help="hand-ins per assignment (default: 4)")
    args = parser.parse_args()

    import nbformat

    import coursedir
    from grading_throughput import SECRET, mixed_class

    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the start", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="watch-bench-"))
    results = {}
    try:
        for stem in args.notebook or ["01_tensors", "09_adult_income"]:
            students, kinds = mixed_class(stem, args.n)
            root = coursedir.prepare(tmp / stem, [ROOT / "solutions" / f"{stem}.ipynb"], {})
            env = dict(os.environ, COURSE_SECRET=SECRET)
            log = tmp / f"{stem}.log"
            t_start = time.perf_counter()
            with open(log, "wb") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "autograder", "watch", stem, "--course", str(root)],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=ROOT,
                )
            try:
                while "watching" not in log.read_text():
                    if proc.poll() is not None:
                        raise RuntimeError(log.read_text())
                    time.sleep(0.05)
                ready = time.perf_counter() - t_start
                while "warm-up:" not in log.read_text():  # it graded the instructor's notebook once
                    if proc.poll() is not None:
                        raise RuntimeError(log.read_text())
                    time.sleep(0.05)
                warm = time.perf_counter() - t_start
                latencies = []
                for student, notebooks in students.items():
                    page = root / "feedback_html" / student / f"{stem}.html"
                    folder = root / "submitted" / student / stem
                    folder.mkdir(parents=True)
                    (folder / "timestamp.txt").write_text(coursedir.TIMESTAMP)
                    t0 = time.perf_counter()
                    nbformat.write(nbformat.from_dict(notebooks[stem]), folder / f"{stem}.ipynb")
                    while not page.exists():
                        if proc.poll() is not None:
                            raise RuntimeError(log.read_text())
                        time.sleep(0.02)
                    latencies.append(time.perf_counter() - t0)
                    in_gradebook = student in coursedir.gradebook_scores(root, stem)
                    print(
                        f"  {stem} {student} ({kinds[student]}): feedback page {latencies[-1]:.2f} s after the "
                        f"write; gradebook row {'there' if in_gradebook else 'MISSING'}; "
                        f"load {os.getloadavg()[0]:.1f}",
                        flush=True,
                    )
                results[stem] = (ready, warm, latencies)
            finally:
                proc.terminate()
                proc.wait(60)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    for stem, (ready, warm, latencies) in results.items():
        print(
            f"{stem}: watching {ready:.1f} s and warm {warm:.1f} s after the start; hand-in -> feedback page: "
            f"median {statistics.median(latencies):.2f} s, max {max(latencies):.2f} s over {len(latencies)} hand-ins"
        )
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0 if all(max(lat) < 5 for _r, _w, lat in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
