"""How long each checker takes on the reference solution (target: well under 100 ms).

python benchmarks/check_speed.py
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from course.checks import load_all  # noqa: E402
from support import solution_answers  # noqa: E402

TARGET_S = 0.100


def main() -> int:
    rows = []
    for ex_id, ex in sorted(load_all().items()):
        answers = solution_answers(ex)
        ex.evaluate(*answers)  # warm-up
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            ex.evaluate(*answers, hidden=True)
            times.append(time.perf_counter() - t0)
        rows.append((ex_id, statistics.median(times)))
    print(f"{'exercise':<12} {'median ms':>10}  target {TARGET_S * 1000:.0f} ms")
    for ex_id, t in rows:
        flag = "" if t < TARGET_S else "  SLOW"
        print(f"{ex_id:<12} {t * 1000:>10.1f}{flag}")
    slow = [r for r in rows if r[1] >= TARGET_S]
    print(
        f"{len(rows)} checkers, {len(slow)} over target; slowest "
        f"{max(rows, key=lambda r: r[1])[0]} {max(r[1] for r in rows) * 1000:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
