"""The example class's data in the package is the repository's (scripts/refresh_example_class.py)."""

from __future__ import annotations

import json
import sys

from autograder.example_class import ASSIGNMENTS, EXAMPLE
from support import NOTEBOOKS, ROOT, SOLUTIONS

sys.path.insert(0, str(ROOT / "scripts"))

STALE = "stale: run `.venv/bin/python scripts/refresh_example_class.py` and commit autograder/example/"


def test_the_notebooks_are_the_repositorys():
    for assignment in ASSIGNMENTS:
        assert (EXAMPLE / "source" / f"{assignment}.ipynb").read_bytes() == (
            SOLUTIONS / f"{assignment}.ipynb"
        ).read_bytes(), STALE
        assert (EXAMPLE / "release" / f"{assignment}.ipynb").read_bytes() == (
            NOTEBOOKS / f"{assignment}.ipynb"
        ).read_bytes(), STALE


def test_the_wrong_answers_are_the_first_variants():
    from refresh_example_class import wrong_answers

    assert json.loads((EXAMPLE / "wrong.json").read_text()) == wrong_answers(), STALE


def test_the_sandbox_cannot_read_the_shipped_solutions():
    from autograder.engine.jail import HIDDEN_PATHS

    assert str(EXAMPLE / "source") in HIDDEN_PATHS
