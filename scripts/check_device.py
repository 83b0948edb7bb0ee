"""Run the whole course on one device, the way a student on that machine would.

    COURSE_DEVICE=cuda python scripts/check_device.py [--log FILE] [NAME ...]

Every solution notebook runs top to bottom in a fresh kernel and must finish without an
error and without anything on stderr (a warning a student would see); every released
notebook runs with its blanks left in and may fail only with the blanks'
NotImplementedError and the graded tests' "Not yet" (the student-facing checks must render,
not raise). Prints one row per
notebook with its seconds; full tracebacks and stderr text go to FILE when given.
The grading engine always grades on CPU, so this is the student's path, not the grader's.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent


def _execute(path: Path, allow_errors: bool) -> tuple[float, nbformat.NotebookNode]:
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    NotebookClient(
        nb, timeout=600, kernel_name="python3", allow_errors=allow_errors, resources={"metadata": {"path": str(ROOT)}}
    ).execute()
    return time.perf_counter() - t0, nb


def _expected_in_a_release(out: dict) -> bool:
    """A blank raises NotImplementedError; the graded test after it fails with the course's "Not yet"."""
    return out["ename"] == "NotImplementedError" or (out["ename"] == "AssertionError" and "Not yet" in out["evalue"])


def _problems(nb: nbformat.NotebookNode, release: bool) -> list[str]:
    """Error outputs a notebook should not show, and any stderr text, cell by cell."""
    found = []
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and not (release and _expected_in_a_release(out)):
                found.append(f"cell {index}: {out['ename']}: {out['evalue']}\n" + "\n".join(out.get("traceback", [])))
            elif out.get("output_type") == "stream" and out.get("name") == "stderr":
                found.append(f"cell {index}: stderr: {out['text'].strip()}")
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, help="file for the full tracebacks and stderr text")
    parser.add_argument("names", nargs="*", help="notebook name prefixes (default: all)")
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    os.environ.setdefault("COURSE_OFFLINE", "1")
    log = []

    import course  # the device line, as the notebooks will print it

    print(course.env.describe(course.device()))
    runs = [("solution", p) for p in sorted((ROOT / "solutions").glob("*.ipynb"))]
    runs += [("release", p) for p in sorted((ROOT / "notebooks").glob("*.ipynb"))]
    if args.names:
        runs = [r for r in runs if any(r[1].stem.startswith(n) for n in args.names)]
    failures = 0
    print(f"{'notebook':<28} {'kind':<9} {'seconds':>8}  verdict")
    for kind, path in runs:
        try:
            seconds, nb = _execute(path, allow_errors=kind == "release")
            problems = _problems(nb, release=kind == "release")
        except CellExecutionError as exc:
            seconds, problems = float("nan"), [str(exc)]
        except Exception as exc:  # a dead kernel or a timeout: report and go on
            seconds, problems = float("nan"), [f"{type(exc).__name__}: {exc}"]
        failures += bool(problems)
        verdict = "ok" if not problems else f"{len(problems)} problem(s): {problems[0].splitlines()[0][:70]}"
        print(f"{path.stem:<28} {kind:<9} {seconds:>8.1f}  {verdict}", flush=True)
        log += [f"## {path.stem} ({kind})\n\n" + "\n\n".join(problems)] if problems else []
    print(f"{len(runs)} notebook runs, {failures} with problems")
    if args.log:
        args.log.parent.mkdir(parents=True, exist_ok=True)
        args.log.write_text("\n\n".join(log) or "no problems\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
