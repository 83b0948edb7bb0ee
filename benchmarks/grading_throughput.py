"""Grading throughput: plain ``nbgrader autograde`` against ``autograder grade``.

The same class of N submissions of an assignment is graded twice, each by one command,
in its own course directory with the same secret:

1. ``nbgrader autograde ASSIGNMENT`` (a new kernel per submission, every cell executed);
2. ``python -m autograder grade ASSIGNMENT`` (the engine, everything it does included).

The class is mixed the way a real one is: half the students hand in the full solution,
a quarter a partly blank notebook (every other exercise answered), a quarter realistic
bugs (every other exercise answered with one of the named wrong answers of
``tests/variants/nbNN.py``, a different one per student). Scores must be identical,
student by student and cell by cell.

For each assignment and N it prints the wall time per submission of both graders, their
ratio, the peak memory (PSS summed over the whole process tree, sampled every 0.2 s:
zygotes, sandboxes, kernels and any Dask processes included, which ``/usr/bin/time``
misses; a sandbox that lives less than that may fall between two samples), its
ratio to plain nbgrader's and, for both, the peak per process kind (per worker, per
sandbox). From two class sizes it fits the fixed cost and the cost per submission of each
grader (wall = fixed + N x per submission).

    .venv/bin/python benchmarks/grading_throughput.py                       # 01 and 09, N = 4 and 16
    .venv/bin/python benchmarks/grading_throughput.py --n 4 16 64            # N = 64 too (plain 09: ~25 min)
    .venv/bin/python benchmarks/grading_throughput.py --notebook 01_tensors --engine-only

The machine's load average is printed with every figure: on a shared machine run it
when the load is low, and compare ratios (both graders run back to back).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

SECRET = "benchmark-secret"
NOTEBOOKS = ("01_tensors", "09_adult_income")


# --- the class ------------------------------------------------------------------------------


def _answers(stem: str) -> dict[str, str]:
    """exercise id -> the solution's answer cell, as a student would type it."""
    import nbformat

    from support import SOLUTIONS, strip_solution_markers

    nb = nbformat.read(SOLUTIONS / f"{stem}.ipynb", as_version=4)
    out = {}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if gid.endswith("-answer"):
            out[gid.removesuffix("-answer").replace("-", ".", 1)] = strip_solution_markers(cell.source)
    return out


def mixed_class(stem: str, n: int) -> tuple[dict, dict[str, str]]:
    """(student -> {stem: notebook}, student -> what kind of submission it is)."""
    import nbformat

    from nbgrader_batch import replace_answers
    from support import NOTEBOOKS as RELEASED
    from support import SOLUTIONS, variant_module

    solution = nbformat.read(SOLUTIONS / f"{stem}.ipynb", as_version=4)
    release = RELEASED / f"{stem}.ipynb"
    answers = _answers(stem)
    wrong = getattr(variant_module("nb" + stem.split("_")[0]), "WRONG", {})
    exercises = sorted(answers)
    students, kinds = {}, {}
    for i in range(n):
        name = f"student{i:03d}"
        kind = ("solution", "solution", "partly blank", "bugs")[i % 4]
        if kind == "solution":
            nb = solution
        elif kind == "partly blank":
            nb = replace_answers(release, {ex: answers[ex] for k, ex in enumerate(exercises) if k % 2 == i // 4 % 2})
        else:
            given = {}
            for k, ex in enumerate(exercises):
                variants = wrong.get(ex, [])
                given[ex] = variants[(i // 4 + k) % len(variants)][1] if k % 2 == 0 and variants else answers[ex]
            nb = replace_answers(release, given)
        students[name], kinds[name] = {stem: nb}, kind
    return students, kinds


# --- memory: PSS of a whole process tree -------------------------------------------------------


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def _kind(pid: int) -> str:
    """What a process of the tree is, for the per-kind peaks."""
    cmd, parent = _cmdline(pid), _cmdline(_parent(pid))
    if "autograder.engine.zygote" in cmd:  # a sandbox is a fork of its zygote: same command line
        return "sandbox" if "autograder.engine.zygote" in parent else "zygote"
    if "multiprocessing" in cmd or "dask" in cmd or "spawn_main" in cmd:
        return "dask worker"
    if "autograder" in cmd and "grade" in cmd:
        return "driver"
    if "ipykernel" in cmd:
        return "kernel"
    if "nbgrader" in cmd:
        return "nbgrader"
    return "other"


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants, from the kernel's own child lists (no scan of every process)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children", "rb") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            continue
    return out


def _pss_mib(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


@dataclass
class Memory:
    """Peaks of PSS (MiB): the whole tree, and the largest single process of each kind."""

    total: float = 0.0
    by_kind: dict[str, float] = field(default_factory=dict)
    samples: int = 0


class PssSampler(threading.Thread):
    """Sums PSS (proportional set size: shared pages split between their users) over a
    process and all its descendants every ``period`` seconds; keeps the peaks. It reads
    ``/proc`` directly (the kernel's child lists, ``smaps_rollup``): a few milliseconds of
    CPU per sample, which the graders it measures would otherwise lose to it."""

    def __init__(self, pid: int, period: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.period = pid, period
        self.memory = Memory()
        self._halt = threading.Event()
        self._kinds: dict[int, str] = {}

    def run(self) -> None:
        while not self._halt.is_set():
            total = 0.0
            for pid in _tree(self.pid):
                pss = _pss_mib(pid)
                if pss is None:
                    continue
                total += pss
                kind = self._kinds.get(pid) or self._kinds.setdefault(pid, _kind(pid))
                self.memory.by_kind[kind] = max(self.memory.by_kind.get(kind, 0.0), pss)
            self.memory.total = max(self.memory.total, total)
            self.memory.samples += 1
            self._halt.wait(self.period)

    def stop(self) -> Memory:
        self._halt.set()
        self.join()
        return self.memory


def timed(cmd: list[str], cwd: Path, env: dict) -> tuple[float, Memory, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = PssSampler(proc.pid)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    return wall, sampler.stop(), subprocess.CompletedProcess(cmd, proc.returncode, out, err)


# --- one measurement ------------------------------------------------------------------------


@dataclass
class Result:
    stem: str
    n: int
    plain_s: float | None
    engine_s: float
    plain_mem: Memory | None
    engine_mem: Memory
    identical: int | None
    load: tuple[float, float]  #: load average (1 min) before and after


def measure(stem: str, n: int, tmp: Path, engine_only: bool, workers: int | None) -> Result:
    import coursedir

    src = ROOT / "solutions" / f"{stem}.ipynb"
    students, _kinds = mixed_class(stem, n)
    env = dict(os.environ, COURSE_SECRET=SECRET, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    load0 = os.getloadavg()[0]
    plain_s = plain_mem = None
    plain_scores = None
    if not engine_only:
        plain_root = coursedir.prepare(tmp / f"plain-{stem}-{n}", [src], students)
        plain_s, plain_mem, out = timed(
            [sys.executable, "-m", "nbgrader", "autograde", stem, "--force"], plain_root, env
        )
        if out.returncode != 0:
            raise RuntimeError(f"nbgrader autograde failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
        plain_scores = coursedir.gradebook_scores(plain_root, stem)
    engine_root = coursedir.prepare(tmp / f"engine-{stem}-{n}", [src], students)
    cmd = [sys.executable, "-m", "autograder", "grade", stem, "--course", str(engine_root), "--quiet"]
    if workers:
        cmd += ["--workers", str(workers)]
    engine_s, engine_mem, out = timed(cmd, ROOT, env)
    if out.returncode != 0:
        raise RuntimeError(f"autograder grade failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
    engine_scores = coursedir.gradebook_scores(engine_root, stem)
    identical = None
    if plain_scores is not None:
        identical = sum(plain_scores.get(s) == engine_scores.get(s) for s in students)
        for s in students:
            if plain_scores.get(s) != engine_scores.get(s):
                print(f"  scores differ for {s}: plain {plain_scores.get(s)} engine {engine_scores.get(s)}")
    return Result(stem, n, plain_s, engine_s, plain_mem, engine_mem, identical, (load0, os.getloadavg()[0]))


# --- report ---------------------------------------------------------------------------------


def fit(points: list[tuple[int, float]]) -> tuple[float, float] | None:
    """(fixed s, s per submission) of wall = fixed + n x per, least squares over the sizes measured."""
    if len({n for n, _ in points}) < 2:
        return None
    mean_n = sum(n for n, _ in points) / len(points)
    mean_t = sum(t for _, t in points) / len(points)
    per = sum((n - mean_n) * (t - mean_t) for n, t in points) / sum((n - mean_n) ** 2 for n, _ in points)
    return mean_t - per * mean_n, per


def report(results: list[Result]) -> None:
    print()
    print(
        "| assignment | N | plain s/sub | engine s/sub | ratio | identical | peak PSS plain | peak PSS engine "
        "| memory ratio | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        plain = f"{r.plain_s / r.n:.2f}" if r.plain_s is not None else "-"
        ratio = f"{r.plain_s / r.engine_s:.1f}x" if r.plain_s is not None else "-"
        same = f"{r.identical}/{r.n}" if r.identical is not None else "-"
        pmem = f"{r.plain_mem.total:.0f} MiB" if r.plain_mem is not None else "-"
        mratio = (
            f"{r.engine_mem.total / r.plain_mem.total:.1f}x" if r.plain_mem is not None and r.plain_mem.total else "-"
        )
        print(
            f"| {r.stem} | {r.n} | {plain} | {r.engine_s / r.n:.2f} | {ratio} | {same} | {pmem} | "
            f"{r.engine_mem.total:.0f} MiB | {mratio} | {r.load[0]:.1f}-{r.load[1]:.1f} |"
        )
    print()
    for stem in dict.fromkeys(r.stem for r in results):
        mine = [r for r in results if r.stem == stem]
        for name, points in (
            ("plain nbgrader", [(r.n, r.plain_s) for r in mine if r.plain_s is not None]),
            ("engine", [(r.n, r.engine_s) for r in mine]),
        ):
            line = fit(points)
            if line:
                print(f"{stem}, {name}: fixed cost {line[0]:.1f} s, then {line[1]:.2f} s per submission")
    print()
    print("engine peak PSS per process (MiB; the largest process of each kind):")
    for r in results:
        kinds = ", ".join(f"{k} {v:.0f}" for k, v in sorted(r.engine_mem.by_kind.items()))
        print(f"  {r.stem} N={r.n}: {kinds}")
    print("plain nbgrader peak PSS per process (MiB):")
    for r in results:
        if r.plain_mem is not None:
            kinds = ", ".join(f"{k} {v:.0f}" for k, v in sorted(r.plain_mem.by_kind.items()))
            print(f"  {r.stem} N={r.n}: {kinds}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", action="append", help="assignment(s) (default: 01_tensors, 09_adult_income)")
    parser.add_argument("--n", type=int, nargs="+", default=[4, 16], help="class sizes (default: 4 16)")
    parser.add_argument("--workers", type=int, default=None, help="engine workers (default: its own choice)")
    parser.add_argument("--engine-only", action="store_true", help="skip plain nbgrader (development)")
    parser.add_argument("--keep", action="store_true", help="keep the course directories")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="grading-bench-"))
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the start", flush=True)
    results = []
    try:
        for stem in args.notebook or NOTEBOOKS:
            for n in args.n:
                print(f"{stem}, N={n} ...", flush=True)
                r = measure(stem, n, tmp, args.engine_only, args.workers)
                print(
                    f"  plain {r.plain_s if r.plain_s is None else round(r.plain_s, 1)} s, engine {r.engine_s:.1f} s, "
                    f"load {r.load[0]:.1f}-{r.load[1]:.1f}",
                    flush=True,
                )
                results.append(r)
    finally:
        if args.keep:
            print(f"course directories kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    report(results)
    bad = [r for r in results if r.identical is not None and r.identical != r.n]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
