"""Whole notebooks in real kernels, graded by real nbgrader (docs/notebook-standard.md, "Proof").

Per notebook, two students, so that plain nbgrader runs each notebook twice: the
solution (full marks, and no error anywhere), and a copy of the release whose exercises
are answered wrong (tests/variants; the first half) or left blank (the rest): zero, each blank one failing
in its checker as "not implemented", each wrong one with its named misconception in its
test cell's output. (The whole blank release and the whole all-wrong copy are graded by
the engine in tests/engine/test_course_notebooks.py; every wrong answer of every
exercise, in process, by tests/test_exercise_proofs.py.) The kernels get the fixed
secret of tests/conftest.py.

And the student's side: the blank release, run top to bottom in a plain kernel (Run All
in JupyterLab, not under nbgrader), executes every cell, its unanswered graded cells
included: each shows its "Not yet" box and lets the notebook go on.
"""

from __future__ import annotations

import pytest

import nbformat

from nbgrader_batch import autograde_class, replace_answers
from support import NOTEBOOKS, SOLUTIONS, run_like_a_student, variant_module

pytestmark = pytest.mark.kernel

SOURCES = sorted(SOLUTIONS.glob("*.ipynb"))


def _first_wrong(notebook_key: str) -> dict[str, tuple[str, str]]:
    wrong = getattr(variant_module(notebook_key), "WRONG", {})
    return {ex_id: variants[0] for ex_id, variants in wrong.items()}


def _key(src) -> str:
    return "nb" + src.stem.split("_")[0]


def _wrong_first_half(src) -> dict[str, tuple[str, str]]:
    """The exercises answered wrong in the mixed copy: the first half (a later answer may
    call an earlier one, which is then there, wrong as in an all-wrong copy); the rest stay
    blank. id -> (misconception code, source)."""
    wrong = _first_wrong(_key(src))
    order = sorted(wrong, key=_exercise_number)
    return {ex_id: wrong[ex_id] for ex_id in order[: (len(order) + 1) // 2]}


def _exercise_number(ex_id: str) -> int:
    return int(ex_id.rsplit(".ex", 1)[1])


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """notebook stem -> student -> Graded; each notebook is graded once, on first use."""
    cache: dict = {}

    def grade(src):
        if src.stem not in cache:
            wrong = {ex: source for ex, (_code, source) in _wrong_first_half(src).items()}
            students = {
                "solution": {src.stem: nbformat.read(src, as_version=4)},
                "mixed": {src.stem: replace_answers(NOTEBOOKS / src.name, wrong)},
            }
            per_student = autograde_class(tmp_path_factory.mktemp(src.stem), [src], students)
            cache[src.stem] = {student: result[src.stem] for student, result in per_student.items()}
        return cache[src.stem]

    return grade


def _written(src) -> set[str]:
    """Grade ids of the written answers (graded by hand) of a solution notebook."""
    nb = nbformat.read(src, as_version=4)
    return {
        c.metadata["nbgrader"]["grade_id"]
        for c in nb.cells
        if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")
    }


@pytest.mark.parametrize("src", SOURCES, ids=[s.stem for s in SOURCES])
def test_solution_earns_full_marks_and_runs_clean(graded, src):
    """Full marks on every cell graded automatically; written answers wait for a person."""
    g = graded(src)["solution"]
    written = _written(src)
    assert g.max_total > 0, f"{src.name} has no graded cells"
    auto = {k for k in g.scores if k not in written}
    assert all(g.scores[k] == g.max_scores[k] for k in auto), {
        k: (g.scores[k], g.outputs[k][-300:]) for k in auto if g.scores[k] < g.max_scores[k]
    }
    assert g.needs_manual == written, (g.needs_manual, written)
    assert not g.errors_outside_tests, g.errors_outside_tests


@pytest.mark.parametrize("src", SOURCES, ids=[s.stem for s in SOURCES])
def test_blank_and_wrong_answers_earn_zero_each_named(graded, src):
    g = graded(src)["mixed"]
    assert g.total == 0, {k: v for k, v in g.scores.items() if v}
    assert not g.needs_manual, g.needs_manual  # an untouched written answer is "no response": 0
    wrong = _wrong_first_half(src)
    for grade_id, text in g.outputs.items():
        if grade_id in _written(src):
            continue
        ex_id = grade_id.replace("-", ".", 1)
        # a blank fails in its checker ("Not yet", named), never earlier (a NameError, say)
        code = wrong[ex_id][0] if ex_id in wrong else "not-implemented"
        assert f"[{code}]" in text, f"{ex_id}: expected [{code}] in the test output, got: {text[-400:]}"
    others = [text[-300:] for text in g.errors_outside_tests if "NotImplementedError" not in text]
    assert not others, others


@pytest.mark.parametrize("src", SOURCES, ids=[s.stem for s in SOURCES])
def test_blank_release_runs_every_cell_like_run_all(src):
    nb = run_like_a_student(NOTEBOOKS / src.name)
    failed = [
        f"cell {i}: {o.get('ename')}: {o.get('evalue', '')[:200]}"
        for i, c in enumerate(nb.cells)
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not failed, failed  # Run All would have stopped at the first of these
    tests = [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
    assert tests, f"{src.name} has no graded cells"  # (a written answer is graded by hand: no box)
    for cell in tests:
        shown = " ".join(o.get("data", {}).get("text/html", "") for o in cell.outputs)
        assert "Not yet" in shown and "not-implemented" in shown, (cell.metadata.nbgrader.grade_id, shown[:300])
