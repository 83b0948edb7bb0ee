"""Every solution notebook executed top to bottom in a fresh kernel, against its budget.

    python benchmarks/notebook_times.py [NAME ...]

Prints a table of seconds per notebook (kernel start included) against the budgets of
docs/notebook-standard.md, and the total against the course budget of 150 s. To say what
dominates, each row splits the time into the kernel's start, the set-up (the cell that calls
`course.setup()` and the imports cell after it: torch, the course, matplotlib), and the
lesson itself, and names the lesson's slowest cell.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
BUDGETS_S = {"00": 5, "01": 12, "02": 12, "03": 12, "04": 12, "05": 12, "06": 12, "07": 8, "08": 20, "09": 45, "10": 15}
COURSE_BUDGET_S = 150


@dataclass
class Timing:
    total: float
    kernel: float  # start a kernel and wait until it answers
    setup: float  # the course.setup() cell and the imports cell after it
    slowest: float
    slowest_cell: str


def _cell_seconds(cell) -> float:
    stamps = cell.metadata.get("execution", {})
    start, end = stamps.get("iopub.execute_input"), stamps.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def _imports_only(source: str) -> bool:
    """An imports cell (a style call such as plots.use_course_style() allowed), not a lesson cell."""
    lines = [line for line in source.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return bool(lines) and lines[0].startswith(("import ", "from ")) and not any("=" in line for line in lines)


def run_notebook(path: Path) -> Timing:
    """Times of one fresh-kernel run; raises on the first error."""
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", record_timing=True, resources={"metadata": {"path": str(ROOT)}}
    )
    with client.setup_kernel():
        kernel = time.perf_counter() - t0
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
    total = time.perf_counter() - t0
    code = [c for c in nb.cells if c.cell_type == "code"]
    first = next((i for i, c in enumerate(code) if "course.setup(" in c.source), 0)
    upto = first + (first + 1 < len(code) and _imports_only(code[first + 1].source))
    setup = sum(_cell_seconds(c) for c in code[: upto + 1])
    lesson = code[upto + 1 :] or code
    slowest = max(lesson, key=_cell_seconds)
    first_line = next((line for line in slowest.source.splitlines() if line.strip() and not line.startswith("#")), "")
    return Timing(total, kernel, setup, _cell_seconds(slowest), first_line.strip()[:38])


def main(names: list[str]) -> int:
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    os.environ.setdefault("COURSE_OFFLINE", "1")  # time the notebooks, not a download of Adult
    paths = sorted((ROOT / "solutions").glob("*.ipynb"))
    if names:
        paths = [p for p in paths if any(p.stem.startswith(n) for n in names)]
    print(
        f"{'notebook':<24} {'seconds':>7} {'budget':>6}  {'verdict':<7} {'kernel':>6} {'setup':>6} {'lesson':>6}  slowest lesson cell"
    )
    total = kernels = setups = 0.0
    over = 0
    for path in paths:
        budget = BUDGETS_S.get(path.stem[:2])
        try:
            t = run_notebook(path)
        except Exception as exc:  # report and go on with the others
            print(
                f"{path.stem:<24} {'error':>7} {budget:>6}  {type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:80]}"
            )
            over += 1
            continue
        total, kernels, setups = total + t.total, kernels + t.kernel, setups + t.setup
        ok = budget is None or t.total <= budget
        over += not ok
        rest = t.total - t.kernel - t.setup
        print(
            f"{path.stem:<24} {t.total:>7.1f} {budget:>6}  {'within' if ok else 'OVER':<7} {t.kernel:>6.1f} {t.setup:>6.1f} "
            f"{rest:>6.1f}  {t.slowest:.1f} s: {t.slowest_cell}",
            flush=True,
        )
    rest = total - kernels - setups
    print(
        f"{'total':<24} {total:>7.1f} {COURSE_BUDGET_S:>6}  {'within' if total <= COURSE_BUDGET_S else 'OVER':<7} "
        f"{kernels:>6.1f} {setups:>6.1f} {rest:>6.1f}"
    )
    if total:
        print(
            f"kernel starts {kernels / total:.0%}, imports and setup {setups / total:.0%}, "
            f"the lessons themselves {rest / total:.0%} of the course's time"
        )
    print(
        f"{len(paths)} notebooks, {over} over budget or failing (budgets are for a 2-core CPU; "
        f"this machine: {os.cpu_count()} cores, device {os.environ.get('COURSE_DEVICE', 'auto')})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
