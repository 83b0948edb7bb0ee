"""Every solution notebook executed top to bottom in a fresh kernel, against its budget.

    python benchmarks/notebook_times.py [NAME ...]

Prints a table of seconds per notebook (kernel start included) against the budgets of
docs/notebook-standard.md, and the total against the course budget of 150 s.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
BUDGETS_S = {"00": 5, "01": 12, "02": 12, "03": 12, "04": 12, "05": 12, "06": 12, "07": 8, "08": 20, "09": 45}
COURSE_BUDGET_S = 150


def run_notebook(path: Path) -> float:
    """Seconds to start a kernel and run every cell; raises on the first error."""
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    return time.perf_counter() - t0


def main(names: list[str]) -> int:
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    os.environ.setdefault("COURSE_OFFLINE", "1")  # time the notebooks, not a download of Adult
    paths = sorted((ROOT / "solutions").glob("*.ipynb"))
    if names:
        paths = [p for p in paths if any(p.stem.startswith(n) for n in names)]
    print(f"{'notebook':<28} {'seconds':>8} {'budget':>7}  verdict")
    total, over = 0.0, 0
    for path in paths:
        budget = BUDGETS_S.get(path.stem[:2])
        try:
            seconds = run_notebook(path)
        except Exception as exc:  # report and go on with the others
            print(f"{path.stem:<28} {'error':>8} {budget:>7}  {type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:80]}")
            over += 1
            continue
        total += seconds
        ok = budget is None or seconds <= budget
        over += not ok
        print(f"{path.stem:<28} {seconds:>8.1f} {budget:>7}  {'within' if ok else 'OVER'}")
    print(f"{'total':<28} {total:>8.1f} {COURSE_BUDGET_S:>7}  {'within' if total <= COURSE_BUDGET_S else 'OVER'}")
    print(f"{len(paths)} notebooks, {over} over budget or failing (2-core CPU; machine: {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
