"""The student release: in sync with solutions/, idempotent, and free of solutions."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from autograder.release import BOOTSTRAP_TAG, bootstrap_source, release
from course import __version__
from course.project import pinned_requirement
from support import NOTEBOOKS, SOLUTIONS

SOURCES = sorted(SOLUTIONS.glob("*.ipynb"))


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """Release a copy of solutions/ twice into a temporary folder."""
    tmp = tmp_path_factory.mktemp("release")
    src, out = tmp / "solutions", tmp / "notebooks"
    shutil.copytree(SOLUTIONS, src)
    release(solutions_dir=src, out_dir=out)
    first = {p.name: p.read_bytes() for p in sorted(out.glob("*.ipynb"))}
    sources_after_first = {p.name: p.read_bytes() for p in sorted(src.glob("*.ipynb"))}
    release(solutions_dir=src, out_dir=out)
    second = {p.name: p.read_bytes() for p in sorted(out.glob("*.ipynb"))}
    return src, out, first, second, sources_after_first


def _cells(path):
    return json.loads(path.read_text())["cells"]


def _source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def test_every_solution_has_a_release_and_back():
    assert {p.name for p in SOURCES} == {p.name for p in NOTEBOOKS.glob("*.ipynb")}


def test_committed_notebooks_are_in_sync(released):
    _, out, first, _, _ = released
    stale = [name for name, data in first.items() if (NOTEBOOKS / name).read_bytes() != data]
    assert not stale, f"notebooks/ is stale for {stale}: run `make release` and commit notebooks/"


def test_committed_solutions_are_normalised(released):
    src, *_ = released
    changed = [p.name for p in SOURCES if (src / p.name).read_bytes() != p.read_bytes()]
    assert not changed, f"solutions not normalised (badge, bootstrap, outputs) for {changed}: run `make release`"


def test_release_twice_changes_nothing(released):
    src, _, first, second, sources_after_first = released
    assert first == second
    assert sources_after_first == {p.name: p.read_bytes() for p in sorted(src.glob("*.ipynb"))}


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_release_holds_no_solution_no_hidden_test_no_output(path):
    text = path.read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "hidden=True"):
        assert marker not in text, f"{path.name} contains {marker!r}"
    for cell in _cells(path):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution") and cell["cell_type"] == "code":
            assert "raise NotImplementedError()" in _source(cell)
        elif meta.get("solution"):  # a written answer: nbgrader's empty stub
            assert _source(cell) == "YOUR ANSWER HERE", meta.get("grade_id")


@pytest.mark.parametrize("path", SOURCES + sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_first_code_cell_is_the_pinned_bootstrap_and_badge_follows_title(path):
    cells = _cells(path)
    first_code = next(c for c in cells if c["cell_type"] == "code")
    assert BOOTSTRAP_TAG in first_code["metadata"].get("tags", [])
    assert _source(first_code) == bootstrap_source()
    assert pinned_requirement(__version__) in _source(first_code)
    assert cells[0]["cell_type"] == "markdown" and _source(cells[0]).startswith("# ")
    assert "colab.research.google.com/github/" in _source(cells[1]) and path.name in _source(cells[1])


def test_bootstrap_never_installs_torch():
    """Only the course is named, with no flag that upgrades or reinstalls what Colab has.

    tests/test_colab_path.py runs the cell and proves it on a real install.
    """
    source = bootstrap_source()
    code = [line for line in source.splitlines() if not line.lstrip().startswith("#")]
    pip_lines = [line for line in code if "pip install" in line]
    assert pip_lines and not any(re.search(r"(?<![\w-])torch(?![\w-])", line) for line in code)
    assert not any(
        re.search(r"\s(-U|--upgrade|--force-reinstall|--upgrade-strategy|-I|--ignore-installed)\b", line)
        for line in pip_lines
    )
    assert 'os.environ.get("COURSE_WHEEL", ' in source and "course.setup()" in source


def test_unknown_notebook_name_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no solution notebook named 99_nothing"):
        release(["99_nothing"], out_dir=tmp_path)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_graded_cells_follow_the_exercise_contract(path):
    """Answer, check and test cells per exercise; test cells only call the checker."""
    cells = _cells(path)
    by_id = {c["metadata"].get("nbgrader", {}).get("grade_id"): c for c in cells}
    tests = [c for c in cells if c["metadata"].get("nbgrader", {}).get("grade") and c["cell_type"] == "code"]
    assert tests, f"{path.name} has no graded test cell"
    for cell in tests:
        gid = cell["metadata"]["nbgrader"]["grade_id"]
        assert f"{gid}-answer" in by_id and f"{gid}-check" in by_id, gid
        assert cell["metadata"]["nbgrader"]["locked"] and cell["metadata"]["nbgrader"]["points"] > 0
        src = _source(cell)
        assert "assert" not in src and "==" not in src, f"{gid}: test cells only call the checker"
        nb, ex = gid.split("-")
        assert f"{nb}.{ex}.grade(" in src and "### BEGIN HIDDEN TESTS" in src and "hidden=True" in src


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_written_answers_are_graded_by_hand(path):
    """A written answer (nbgrader manual grading) is a markdown cell with grade and solution set,
    unlocked, placed after the test of the exercise it explains (``nbNN-exK-written``), worth the
    checker module's WRITTEN_POINTS; the release holds nbgrader's empty stub in its place."""
    import importlib

    cells = _cells(path)
    released = {c["metadata"].get("nbgrader", {}).get("grade_id"): c for c in _cells(NOTEBOOKS / path.name)}
    order = [c["metadata"].get("nbgrader", {}).get("grade_id") for c in cells]
    for cell in cells:
        meta = cell["metadata"].get("nbgrader", {})
        if not (meta.get("grade") and cell["cell_type"] == "markdown"):
            continue
        gid = meta["grade_id"]
        nb, ex, kind = gid.split("-")
        module = importlib.import_module(f"course.checks.{nb}")
        assert kind == "written" and meta.get("solution") and not meta.get("locked"), gid
        assert meta["points"] == module.WRITTEN_POINTS > 0, gid
        assert order.index(f"{nb}-{ex}") < order.index(gid), f"{gid} comes before the test it explains"
        assert _source(released[gid]) == "YOUR ANSWER HERE" and released[gid]["metadata"]["nbgrader"]["checksum"]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_points_are_stated_once_in_the_checker(path):
    """The nbgrader points of every test cell are the checker's ``Exercise(points=...)``."""
    from course.checks import load_all

    exercises = {e.grade_id: e for e in load_all().values()}
    for cell in _cells(path):
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade") and meta.get("grade_id") in exercises:
            ex = exercises[meta["grade_id"]]
            assert meta["points"] == ex.points, f"{ex.id}: the notebook gives {meta['points']}, the checker {ex.points}"


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_blank_answer_cells_still_define_what_the_checks_call(path):
    """A blank must leave the names defined, so the check after it says "Not yet", not NameError.

    A class whose whole body is the blank raises while it is being defined; the blank belongs
    inside its methods.
    """
    import ast

    from course.checks import load_all

    exercises = {e.grade_id: e for e in load_all().values()}
    for cell in _cells(path):
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
        if not gid.endswith("-answer"):
            continue
        tree = ast.parse(_source(cell).replace("%", "#"))  # a magic line would not parse
        defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        defined |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
        raising_at_top = [n for n in tree.body if isinstance(n, ast.Raise)]
        raising_classes = [
            n.name for n in tree.body if isinstance(n, ast.ClassDef) and any(isinstance(s, ast.Raise) for s in n.body)
        ]
        exercise = exercises[gid.removesuffix("-answer")]
        names = (exercise.answers,) if isinstance(exercise.answers, str) else exercise.answers
        missing = [n for n in names if n not in defined]
        assert not missing or not raising_at_top, f"{gid}: the blank leaves {missing} undefined"
        assert not raising_classes, f"{gid}: class {raising_classes} raises while being defined"
