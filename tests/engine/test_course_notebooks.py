"""The engine on every notebook of the course: the solution earns full marks with no
flag, the blank release zero, the all-wrong copy zero with each named mistake.

The same three students as tests/test_notebooks_kernel.py (plain nbgrader), so the two
graders are held to the same expectations on the real assignments. And the proof that
leaving out what grading does not need (``autograder/engine/needed.py``) changes no
score: the class, with one more student per named wrong answer of each exercise, is
graded again with every cell run, and every student gets the same scores either way.
"""

from __future__ import annotations

import nbformat
import pytest

from coursedir import prepare
from autograder.engine.scheduler import grade
from nbgrader_batch import replace_answers
from support import NOTEBOOKS, SOLUTIONS, variant_module

pytestmark = pytest.mark.kernel

SOURCES = sorted(SOLUTIONS.glob("*.ipynb"))


def _wrong(src, k: int) -> dict[str, tuple[str, str]]:
    """The k-th named wrong answer of each exercise (the last one where it has fewer)."""
    wrong = getattr(variant_module("nb" + src.stem.split("_")[0]), "WRONG", {})
    return {ex_id: variants[min(k, len(variants) - 1)] for ex_id, variants in wrong.items()}


def _variants(src) -> int:
    wrong = getattr(variant_module("nb" + src.stem.split("_")[0]), "WRONG", {})
    return max((len(v) for v in wrong.values()), default=1)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    students: dict[str, dict] = {"solution": {}, "blank": {}}
    for src in SOURCES:
        students["solution"][src.stem] = nbformat.read(src, as_version=4)
        students["blank"][src.stem] = nbformat.read(NOTEBOOKS / src.name, as_version=4)
        for k in range(_variants(src)):
            name = "wrong" if k == 0 else f"wrong{k}"
            wrong = {ex: source for ex, (_code, source) in _wrong(src, k).items()}
            students.setdefault(name, {})[src.stem] = replace_answers(NOTEBOOKS / src.name, wrong)
    return prepare(tmp_path_factory.mktemp("course"), SOURCES, students)


@pytest.fixture(scope="module")
def rows(course):
    return {src.stem: {r.student: r for r in grade(src.stem, course, progress=False)} for src in SOURCES}


@pytest.fixture(scope="module")
def rows_all_cells(course, rows):
    return {src.stem: {r.student: r for r in grade(src.stem, course, progress=False, all_cells=True)}
            for src in SOURCES}


@pytest.mark.parametrize("src", SOURCES, ids=[s.stem for s in SOURCES])
def test_solution_full_marks_without_flags(rows, src):
    row = rows[src.stem]["solution"]
    assert row.status == "graded" and not row.flags, (row.status, row.flags)
    assert row.score == row.max_score > 0, {g: (v.score, v.message) for g, v in row.cells.items()
                                            if v.score != v.max_score}


@pytest.mark.parametrize("src", SOURCES, ids=[s.stem for s in SOURCES])
def test_blank_release_zero(rows, src):
    assert rows[src.stem]["blank"].score == 0


@pytest.mark.parametrize("src", SOURCES, ids=[s.stem for s in SOURCES])
def test_all_wrong_zero_with_named_mistakes(rows, src):
    row = rows[src.stem]["wrong"]
    assert row.score == 0, {g: v.score for g, v in row.cells.items() if v.score}
    for ex_id, (code, _source) in _wrong(src, 0).items():
        verdict = row.cells[ex_id.replace(".", "-")]
        assert verdict.code == code or f"[{code}]" in verdict.message, (ex_id, code, verdict)


@pytest.mark.parametrize("src", SOURCES, ids=[s.stem for s in SOURCES])
def test_leaving_out_demonstrations_changes_no_score(rows, rows_all_cells, src):
    """Solution, blank release and every named wrong answer: the same scores, statuses and
    mistakes with the cells no graded answer depends on left out as with every cell run."""
    left_out, everything = rows[src.stem], rows_all_cells[src.stem]
    assert set(left_out) == set(everything) and len(left_out) >= 3
    for student, row in left_out.items():
        full = everything[student]
        assert (row.score, row.status) == (full.score, full.status), (student, row.score, full.score)
        assert {g: (v.score, v.status, v.code) for g, v in row.cells.items()} == \
            {g: (v.score, v.status, v.code) for g, v in full.cells.items()}, student
    assert any("not run: no graded answer depends on them" in n for n in left_out["solution"].notes)
    assert not any("not run" in n for r in everything.values() for n in r.notes)
