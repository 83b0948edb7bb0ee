"""The ``autograder`` package runs from its wheel, outside the checkout.

The wheel is built, installed without its dependencies into a fresh virtual environment
(the dependencies come from this one, added as a plain path: torch stays the CPU build
on disk, and nothing is downloaded), and the example class is graded there through the
command line, in a folder outside the repository: nothing may be read from a checkout
(``solutions/``, ``notebooks/``, ``tests/``).

The course is set up with the Python API of the installed package; the instructor's
commands then run one after another (``COMMANDS``; a command that sets up a course,
such as ``init``, goes first in that list and replaces ``_set_up``).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from support import ROOT

pytestmark = pytest.mark.wheel

ASSIGNMENT = "01_tensors"
#: a few students of the example class: full marks, named mistakes, a late hand-in
STUDENTS = ("alovelace", "aturing", "tberners")
COMMANDS = [
    ["grade", ASSIGNMENT, "--course", "course", "--workers", "1", "--cell-timeout", "10", "--quiet"],
    ["feedback", ASSIGNMENT, "--course", "course"],
    ["export", ASSIGNMENT, "--course", "course"],
    ["report", ASSIGNMENT, "--course", "course"],
]


def _run(cmd: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["COURSE_SECRET"] = "wheel-test-secret"
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, f"{cmd}\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """(the fresh environment's python, a work folder outside the checkout)."""
    tmp = tmp_path_factory.mktemp("wheel")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp / "dist"),
            str(ROOT),
        ],
        cwd=tmp,
    )
    wheel = next((tmp / "dist").glob("*.whl"))
    venv.create(tmp / "env", with_pip=False)
    python = tmp / "env" / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)], cwd=tmp)
    here = sysconfig.get_paths()["purelib"]  # this environment's packages, without its .pth files (the checkout)
    theirs = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp).stdout.strip()
    )
    (theirs / "zz_dependencies.pth").write_text(here + "\n")
    return python, tmp / "work"


def test_the_wheel_ships_the_package_and_not_the_tests(installed):
    python, _ = installed
    out = _run(
        [
            str(python),
            "-c",
            "import autograder, course, importlib.util as u; print(autograder.__file__); "
            "print(u.find_spec('coursedir'), u.find_spec('nbgrader_batch'))",
        ],
        cwd=installed[0].parent,
    )
    location, test_modules = out.stdout.splitlines()
    assert str(ROOT) not in location and "site-packages" in location, location
    assert test_modules == "None None"


def _set_up(python: Path, work: Path) -> None:
    """The example class's course (nbgrader's own steps, from the installed package), a few students kept."""
    work.mkdir(parents=True, exist_ok=True)
    code = (
        "from autograder.example_class import setup_course; "
        f"setup_course('course', 'handin', assignments=({ASSIGNMENT!r},))"
    )
    _run([str(python), "-c", code], cwd=work)
    for folder in (work / "course" / "submitted").iterdir():
        if folder.name not in STUDENTS:
            import shutil

            shutil.rmtree(folder)


def test_the_example_class_is_graded_outside_the_checkout(installed):
    from autograder.example_class import exercise_ids, expected_scores

    python, work = installed
    _set_up(python, work)
    for command in COMMANDS:
        _run([str(python), "-m", "autograder", *command], cwd=work)
    with open(work / "course" / "engine" / "results" / ASSIGNMENT / "summary.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    expected = expected_scores()
    assert set(rows) == set(STUDENTS)
    for student in STUDENTS:
        assert float(rows[student]["score"]) == sum(expected[(student, ASSIGNMENT)].expected), rows[student]
    assert (work / "course" / "reports" / f"{ASSIGNMENT}.html").exists()
    with open(work / "course" / "exports" / f"{ASSIGNMENT}_wide.csv", newline="") as f:
        header = next(csv.reader(f))
    assert set(exercise_ids(ASSIGNMENT)) <= set(header), header  # a column per exercise of the shipped class
    assert (work / "course" / "feedback_html" / "aturing" / f"{ASSIGNMENT}.html").exists()
