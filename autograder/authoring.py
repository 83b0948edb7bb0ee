"""Cells with the right nbgrader markup, for writing solution notebooks from a script.

Every exercise is four cells (docs/notebook-standard.md): the answer, the visible check, and the
graded test with a hidden part. The grade ids follow the exercise id: ``nb03.ex2`` has
answer ``nb03-ex2-answer``, check ``nb03-ex2-check`` and test ``nb03-ex2``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

SCHEMA = 3


def _nbgrader(grade_id: str, *, grade=False, solution=False, locked=False, points=None) -> dict:
    meta = {
        "grade": grade,
        "solution": solution,
        "locked": locked,
        "task": False,
        "grade_id": grade_id,
        "schema_version": SCHEMA,
    }
    if points is not None:
        meta["points"] = points
    return meta


def _id(grade_id: str) -> str:
    return grade_id.replace(".", "-")


def md(text: str):
    return nbformat.v4.new_markdown_cell(text.strip("\n"))


def code(text: str):
    return nbformat.v4.new_code_cell(text.strip("\n"))


def demonstration(text: str):
    """A code cell the grading engine may leave out: what it changes, nothing graded depends on
    (the ``demonstration`` tag; it still runs when a later cell that runs uses a name it binds)."""
    from autograder.engine.needed import DEMONSTRATION_TAG

    cell = code(text)
    cell.metadata["tags"] = [DEMONSTRATION_TAG]
    return cell


def answer(exercise_id: str, text: str):
    """The answer cell: put the solution between ### BEGIN SOLUTION / ### END SOLUTION."""
    cell = code(text)
    gid = _id(exercise_id) + "-answer"
    cell.metadata["nbgrader"] = _nbgrader(gid, solution=True)
    cell.id = gid
    return cell


def check(exercise_id: str, names: str):
    """The visible check right after the answer: instant feedback, never raises."""
    nb, ex = exercise_id.split(".")
    cell = code(f"from course.checks import {nb}\n\n{nb}.{ex}.check({names})")
    gid = _id(exercise_id) + "-check"
    cell.metadata["nbgrader"] = _nbgrader(gid, locked=True)
    cell.id = gid
    return cell


def _points(exercise_id: str) -> float:
    """The points of an exercise, stated once: in its checker (``Exercise(points=...)``)."""
    import importlib

    from course.checking.exercise import REGISTRY

    if exercise_id not in REGISTRY:
        importlib.import_module(f"course.checks.{exercise_id.split('.')[0]}")
    return REGISTRY[exercise_id].points


def test(exercise_id: str, names: str):
    """The graded test cell: calls the checker only, visible then hidden inputs."""
    nb, ex = exercise_id.split(".")
    points = _points(exercise_id)
    cell = code(
        f"from course.checks import {nb}\n\n"
        f"{nb}.{ex}.grade({names})\n"
        "### BEGIN HIDDEN TESTS\n"
        f"{nb}.{ex}.grade({names}, hidden=True)\n"
        "### END HIDDEN TESTS"
    )
    gid = _id(exercise_id)
    cell.metadata["nbgrader"] = _nbgrader(gid, grade=True, locked=True, points=points)
    cell.id = gid
    return cell


def written(grade_id: str, solution: str, points: float):
    """A written answer graded by a person (nbgrader's manually graded answer cell).

    A markdown cell with ``grade`` and ``solution`` set and its points: the release shows
    nbgrader's "YOUR ANSWER HERE" in its place; autograding gives it no score (nbgrader's
    rule, which the engine follows: zero if left unchanged, otherwise "needs manual
    grading"); formgrader shows it to the instructor with ``solution`` as the sample answer.
    """
    cell = md(solution)
    cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=True, solution=True, points=points)
    cell.id = grade_id
    return cell


def exercise(exercise_id: str, names: str, solution: str):
    """The three code cells of an exercise (answer, check, test); points from the checker."""
    return [answer(exercise_id, solution), check(exercise_id, names), test(exercise_id, names)]


def write(cells: list, path: str | Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    path = Path(path)
    path.write_text(nbformat.writes(nb) + "\n")
    return path
