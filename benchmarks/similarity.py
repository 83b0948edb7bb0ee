"""Similar submissions: recall and false pairs on the planted set, and the time to compare a class.

1. The planted set (tests/analysis/planted.py): the example class's sixteen students on
   five exercises of 02_autograd, with copies planted (renamed variables, reordered
   statements, changed comments and string literals, a ring of three, an edited copy)
   among honest answers, some of them close. Prints recall and false pairs.
2. A class of N (default 200) submissions of 02_autograd, all eight exercises: every
   answer is one of the planted set's styles (or the textbook's) with its variables
   renamed and comments added, so many pairs are similar and get compared in full.
   Prints the seconds to compare them all on 1 and on 2 worker processes, against the
   target (under 10 s on 2 cores), and, since a shared machine's load stretches wall
   time, the CPU seconds per exercise and what the busier of two workers gets: the wall
   time on two idle cores.

    .venv/bin/python benchmarks/similarity.py [--students 200] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import ast
import io
import os
import random
import resource
import sys
import time
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "analysis"))

import planted  # noqa: E402

from autograder.analysis.similarity import ExerciseAnswers, Settings, compare, compare_exercise  # noqa: E402

TARGET_S = 10.0


def planted_figures(settings: Settings) -> tuple[float, int, float]:
    t0 = time.perf_counter()
    found = {(p.grade_id, p.a, p.b) for e in compare(planted.similarity_set(), settings) for p in e.pairs}
    seconds = time.perf_counter() - t0
    recall = len(found & planted.COPIES) / len(planted.COPIES)
    false = sorted(found - planted.COPIES)
    print(
        f"planted set: {len(planted.COPIES)} planted pairs, recall {recall:.2f} "
        f"({len(found & planted.COPIES)} found), {len(false)} false pair(s){': ' if false else ''}"
        f"{', '.join('/'.join(f) for f in false)}  [{seconds:.2f} s]"
    )
    for miss in sorted(planted.COPIES - found):
        print(f"  missed: {'/'.join(miss)}")
    return recall, len(false), seconds


def _renamed(source: str, rng: random.Random) -> str:
    """The answer with every local name renamed and a comment added: one student's copy of a style."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    local = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    names = {name: f"{name[:1]}{rng.randrange(10_000)}_{rng.choice('abcdefgh')}" for name in sorted(local)}
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        out.append((tok.type, names.get(tok.string, tok.string) if tok.type == tokenize.NAME else tok.string))
    text = tokenize.untokenize(out)
    lines = text.splitlines()
    at = rng.randrange(1, max(2, len(lines)))
    lines.insert(at, " " * (len(lines[at - 1]) - len(lines[at - 1].lstrip())) + f"# step {rng.randrange(99)}")
    return "\n".join(lines) + "\n"


def big_class(n: int, seed: int = 7) -> list[ExerciseAnswers]:
    """``n`` submissions of 02_autograd's eight exercises (deterministic for a seed)."""
    rng = random.Random(seed)
    released, solution = planted._release_and_solution()
    pools = {
        gid: sorted(set(a for a in answers.values() if a != planted.TEXTBOOK))
        for gid, answers in planted.SIMILARITY_EXERCISES.items()
    }
    pools[planted.SHORT_EXERCISE] = sorted(set(planted._EX7_VARIANTS.values()))
    out = []
    for k in range(1, 9):
        gid = f"nb02-ex{k}"
        aid = f"{gid}-answer"
        textbook = solution[aid].strip("\n") + "\n"
        pool = pools.get(gid, []) + [textbook]
        answers = {f"s{i:03d}": _renamed(rng.choice(pool), rng) for i in range(n)}
        out.append(ExerciseAnswers(gid, gid, answers, [released[aid], solution[aid]]))
    return out


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the worker processes)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=200)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    settings = Settings()
    planted_figures(settings)
    exercises = big_class(args.students)
    answers = sum(len(e.answers) for e in exercises)
    pairs_total = sum(len(e.answers) * (len(e.answers) - 1) // 2 for e in exercises)
    print(f"class: {args.students} submissions x {len(exercises)} exercises = {answers} answers, {pairs_total} pairs")
    print(
        f"  load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (a shared machine slows the wall time)"
    )
    # CPU seconds per exercise, then the two workers' shares as the pool deals them (biggest first):
    # the busier worker's CPU seconds are the wall time on two idle cores, whatever the machine's load
    per_exercise = []
    for ex in exercises:
        c0 = time.process_time()
        compare_exercise(ex, settings)
        per_exercise.append((sum(map(len, ex.answers.values())), time.process_time() - c0))
    loads = [0.0, 0.0]
    for _, cpu in sorted(per_exercise, reverse=True):
        loads[loads.index(min(loads))] += cpu
    print(
        f"  CPU seconds per exercise: {', '.join(f'{c:.2f}' for _, c in per_exercise)}; total "
        f"{sum(c for _, c in per_exercise):.2f}; on 2 idle cores about {max(loads):.2f} s "
        f"({max(loads) / TARGET_S:.2f} of the {TARGET_S:g} s target)"
    )
    for workers in args.workers:
        cpu0 = _cpu()
        t0 = time.perf_counter()
        result = compare(exercises, settings, workers=workers)
        seconds = time.perf_counter() - t0
        cpu = _cpu() - cpu0
        listed = sum(len(e.pairs) for e in result)
        notes = sum(1 for e in result if e.note)
        print(
            f"  {workers} worker(s): {seconds:.2f} s wall ({seconds / TARGET_S:.2f} of the {TARGET_S:g} s target), "
            f"{cpu:.2f} s CPU; {listed} similar pairs listed, {notes} exercise(s) too short to judge"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
