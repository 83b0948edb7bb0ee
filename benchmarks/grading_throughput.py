"""Grading throughput: plain ``nbgrader autograde`` against ``autograder grade``.

The same N submissions of one notebook (default: 40 of 00_start_here; a mix of the
solution, the blank release and the first wrong variant of each exercise) are graded
twice, each by one command, in its own course directory with the same secret:

1. ``nbgrader autograde ASSIGNMENT`` (a new kernel and ``import torch`` per submission);
2. ``python -m autograder grade ASSIGNMENT`` (a LocalCluster, a zygote per worker).

The scores must be identical. It prints both wall times and their ratio, and for the
engine the per-submission start-up (zygote start, amortised), compute, judge and
gradebook times and the peak memory per worker.

    .venv/bin/python benchmarks/grading_throughput.py [--notebook 01_tensors] [-n 40]
"""

from __future__ import annotations

import argparse
import json
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


def submissions(stem: str, n: int) -> dict:
    import nbformat

    from nbgrader_batch import replace_answers
    from support import NOTEBOOKS, SOLUTIONS, variant_module

    src = SOLUTIONS / f"{stem}.ipynb"
    release = NOTEBOOKS / f"{stem}.ipynb"
    try:
        wrong = {ex: variants[0][1] for ex, variants in getattr(variant_module("nb" + stem.split("_")[0]), "WRONG", {}).items()}
    except ImportError:
        wrong = {}
    kinds = [lambda: nbformat.read(src, as_version=4), lambda: nbformat.read(release, as_version=4),
             lambda: replace_answers(release, wrong) if wrong else nbformat.read(release, as_version=4),
             lambda: nbformat.read(src, as_version=4)]
    return {f"student{i:03d}": {stem: kinds[i % len(kinds)]()} for i in range(n)}


def kernel_startup(n: int = 3) -> float:
    """Mean seconds for what plain nbgrader pays per submission before any cell: a kernel and import torch."""
    from jupyter_client.manager import start_new_kernel

    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        km, kc = start_new_kernel(kernel_name="python3")
        try:
            kc.execute_interactive("import torch", timeout=300)
            times.append(time.perf_counter() - t0)
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    return statistics.mean(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", default="00_start_here")
    parser.add_argument("-n", type=int, default=40)
    parser.add_argument("--workers", type=int, default=None, help="engine workers (default: cores)")
    parser.add_argument("--keep", action="store_true", help="keep the course directories")
    args = parser.parse_args()

    import coursedir

    stem = args.notebook
    src = ROOT / "solutions" / f"{stem}.ipynb"
    secret = "benchmark-secret"
    tmp = Path(tempfile.mkdtemp(prefix="grading-bench-"))
    students = submissions(stem, args.n)
    plain_root = coursedir.prepare(tmp / "plain", [src], students)
    engine_root = coursedir.prepare(tmp / "engine", [src], students)
    print(f"{args.n} submissions of {stem}; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")

    print("plain nbgrader autograde (one command) ...", flush=True)
    plain_s = coursedir.plain_autograde(plain_root, stem, secret)

    print("autograder grade (one command) ...", flush=True)
    env = dict(os.environ, COURSE_SECRET=secret)
    cmd = [sys.executable, "-m", "autograder", "grade", stem, "--course", str(engine_root), "--quiet"]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    engine_s = time.perf_counter() - t0
    if out.returncode != 0:
        print(out.stdout[-2000:], out.stderr[-3000:])
        return 1

    startup_plain = kernel_startup()
    plain = coursedir.gradebook_scores(plain_root, stem)
    engine = coursedir.gradebook_scores(engine_root, stem)
    assert plain == engine, {s: (plain.get(s), engine.get(s)) for s in set(plain) | set(engine) if plain.get(s) != engine.get(s)}
    total = sum(v or 0 for s in engine.values() for v in s.values())
    print(f"scores identical for all {len(engine)} submissions (total {total:g} points)")

    rows = []
    for p in (engine_root / "engine" / "results" / stem).glob("*.json"):
        for nb in json.loads(p.read_text())["notebooks"].values():
            rows.append(nb["row"]["timings"])
    workers: dict = {}
    for t in rows:
        w = workers.setdefault(t.get("worker_pid"), {"n": 0, "worker": 0, "zygote": 0, "sandbox": 0, "startup": 0.0})
        w["n"] += 1
        w["worker"] = max(w["worker"], t.get("worker_maxrss_kb", 0))
        w["zygote"] = max(w["zygote"], t.get("zygote_rss_kb", 0))
        w["sandbox"] = max(w["sandbox"], t.get("maxrss_kb", 0))
        w["startup"] = max(w["startup"], t.get("zygote_start_s", 0.0))

    def ms(values):
        return f"mean {1000 * statistics.mean(values):7.1f} ms, median {1000 * statistics.median(values):7.1f} ms"

    print()
    print(f"plain nbgrader : {plain_s:7.1f} s  ({plain_s / args.n:.2f} s per submission: a new kernel, "
          f"import torch, the notebook, the gradebook)")
    print(f"                 of which start-up (new kernel + import torch, measured apart): {startup_plain:.2f} s; "
          f"the rest (cells, nbgrader, gradebook): {plain_s / args.n - startup_plain:.2f} s")
    print(f"autograder     : {engine_s:7.1f} s  ({engine_s / args.n:.2f} s per submission, everything included)")
    print(f"ratio          : {plain_s / engine_s:7.1f} x the throughput of plain nbgrader")
    print()
    print("engine, per submission:")
    zygotes = ", ".join(f"{w['startup']:.1f} s" for w in workers.values())
    amortised = sum(w["startup"] for w in workers.values()) / len(rows)
    print(f"  start-up  (zygote start, in parallel with the driver's set-up, amortised): {1000 * amortised:7.1f} ms "
          f"(each of {len(workers)} zygotes: {zygotes})")
    print(f"  compute   (fork, cells, collect, replays) : {ms([t.get('compute_s', 0.0) for t in rows])}")
    print(f"  judge     (decide, in the driver)          : {ms([t.get('judge_s', 0.0) for t in rows])}")
    print(f"  gradebook (nbgrader API, one writer)       : {ms([t.get('gradebook_s', 0.0) for t in rows])}")
    print("peak memory per worker:")
    for pid, w in workers.items():
        print(f"  worker {pid}: {w['n']} submissions; Dask worker {w['worker'] / 1024:.0f} MiB, "
              f"zygote {w['zygote'] / 1024:.0f} MiB (peak RSS), largest sandbox {w['sandbox'] / 1024:.0f} MiB max RSS "
              f"(shared with the zygote by copy-on-write)")
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"course directories kept in {tmp}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
