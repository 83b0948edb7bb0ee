"""`python -m autograder roster` and `collect` from the command line, as an instructor runs them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from coursedir import prepare
from autograder.example_class import ASSIGNMENTS, build
from autograder.paths import SOLUTIONS


def _run(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    root = prepare(tmp / "course", [SOLUTIONS / f"{a}.ipynb" for a in ASSIGNMENTS], {})
    return root, build(tmp / "handin")


def test_roster_imports_students_and_sets_the_rules(course):
    from nbgrader.api import Gradebook

    root, paths = course
    out = _run(
        "roster",
        str(paths["roster"]),
        "--course",
        str(root),
        "--due",
        "01_tensors=2026-01-12 12:00:00",
        "--late-per-hour",
        "1",
        cwd=root,
    )
    assert out.returncode == 0, out.stderr
    assert "late policy" in out.stdout and "01_tensors" in out.stdout
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        assert len(gb.students) >= 16
        assert gb.find_assignment("01_tensors").duedate is not None
    assert "late" in (root / "nbgrader_config.py").read_text().lower()


def test_collect_places_the_hand_in_and_lists_what_it_could_not(course):
    root, paths = course
    out = _run("collect", str(paths["zip"]), "--course", str(root), cwd=root)
    assert out.returncode == 0, out.stderr
    assert "UNPLACED" in out.stdout and "corrupt-json" in out.stdout
    placed = sorted(p.parent.parent.name for p in (root / "submitted").glob("*/01_tensors/01_tensors.ipynb"))
    assert "alovelace" in placed and "jvonneumann" not in placed
    assert (root / "collect" / "report.json").exists()
