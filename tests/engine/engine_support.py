"""Helpers for the engine's tests: the fixture course and its students."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import coursedir

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "engine_fixture.ipynb"
CHECKS = HERE / "fixtures" / "nb90.py"
ASSIGNMENT = "engine_fixture"

HONEST = {
    "nb90.ex1": "def double(x):\n    return 2 * x",
    "nb90.ex2": "def square(x):\n    return x * x",
    "nb90.ex3": "def add_one(x):\n    return x + 1",
}


def release_notebook(course: Path, assignment: str = ASSIGNMENT) -> dict:
    return json.loads((course / "release" / assignment / f"{assignment}.ipynb").read_text())


def with_answers(release: dict, answers: dict[str, str]) -> dict:
    """The release with answer cells (by exercise id) replaced; honest where not given."""
    nb = copy.deepcopy(release)
    given = {**HONEST, **answers}
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if gid.endswith("-answer"):
            ex_id = gid[: -len("-answer")].replace("-", ".", 1)
            if ex_id in given:
                cell["source"] = given[ex_id]
    return nb


def colab_like(nb: dict) -> dict:
    """What a Colab save does to a notebook: nbformat 4.0, ids in metadata, nbgrader metadata gone."""
    nb = copy.deepcopy(nb)
    nb["nbformat_minor"] = 0
    nb["metadata"] = {
        "colab": {"name": "Copy of engine_fixture.ipynb", "provenance": []},
        "kernelspec": {"name": "python3", "display_name": "Python 3"},
        "language_info": {"name": "python"},
    }
    for i, cell in enumerate(nb["cells"]):
        cell.pop("id", None)
        cell["metadata"] = {"id": f"colab{i:04d}"}
        src = cell["source"]
        cell["source"] = src.splitlines(keepends=True) if isinstance(src, str) else src
    return nb


def make_course(root: Path, students: dict[str, object]) -> Path:
    """Release the fixture into ``root``; ``students``: id -> callable(release) -> notebook or bytes."""
    coursedir.prepare(root, [FIXTURE], {})
    secret = root / ".secret"  # as the grader keeps it (the sandbox must not read it), fixed for the tests
    secret.write_text(os.environ["COURSE_SECRET"] + "\n")
    secret.chmod(0o600)
    release = release_notebook(root)
    for student, build in students.items():
        nb = build(release)
        coursedir.submit(root, student, ASSIGNMENT, nb if isinstance(nb, bytes) else json.dumps(nb, indent=1).encode())
    return root
