"""The engine on every notebook of the course: the solution earns full marks with no
flag, the blank release zero, the all-wrong copy zero with each named mistake.

The same three students as tests/test_notebooks_kernel.py (plain nbgrader), so the two
graders are held to the same expectations on the real assignments.
"""

from __future__ import annotations

import nbformat
import pytest

from coursedir import gradebook_scores, prepare
from autograder.engine.scheduler import _client, grade
from nbgrader_batch import replace_answers
from support import NOTEBOOKS, SOLUTIONS, variant_module

pytestmark = pytest.mark.kernel

SOURCES = sorted(SOLUTIONS.glob("*.ipynb"))


def _first_wrong(src):
    wrong = getattr(variant_module("nb" + src.stem.split("_")[0]), "WRONG", {})
    return {ex_id: variants[0] for ex_id, variants in wrong.items()}


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    students = {"solution": {}, "blank": {}, "wrong": {}}
    for src in SOURCES:
        students["solution"][src.stem] = nbformat.read(src, as_version=4)
        students["blank"][src.stem] = nbformat.read(NOTEBOOKS / src.name, as_version=4)
        wrong = {ex: source for ex, (_code, source) in _first_wrong(src).items()}
        students["wrong"][src.stem] = replace_answers(NOTEBOOKS / src.name, wrong)
    root = prepare(tmp_path_factory.mktemp("course"), SOURCES, students)
    client, cluster = _client(None, None)
    try:
        graded = {src.stem: {r.student: r for r in grade(src.stem, root, client=client, progress=False)}
                  for src in SOURCES}
        graded["gradebook"] = {src.stem: gradebook_scores(root, src.stem) for src in SOURCES}
        return graded
    finally:
        client.close()
        cluster.close()


def _written(src) -> set[str]:
    """Grade ids of the written answers (graded by hand) of a solution notebook."""
    nb = nbformat.read(src, as_version=4)
    return {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")}


@pytest.mark.parametrize("src", SOURCES, ids=[s.stem for s in SOURCES])
def test_solution_full_marks_without_flags(rows, src):
    """Full marks on every cell graded automatically; a written answer waits for a person, as
    plain nbgrader leaves it (no score, "needs manual grading")."""
    row = rows[src.stem]["solution"]
    written = _written(src)
    assert row.status == "graded" and not row.flags, (row.status, row.flags)
    auto = {g: v for g, v in row.cells.items() if g not in written}
    assert auto and all(v.score == v.max_score for v in auto.values()), \
        {g: (v.score, v.message) for g, v in auto.items() if v.score != v.max_score}
    for gid in written:
        assert row.cells[gid].status == "manual" and row.cells[gid].score is None, row.cells[gid]
        assert rows["gradebook"][src.stem]["solution"][gid] is None  # auto score None: needs manual grading


@pytest.mark.parametrize("src", SOURCES, ids=[s.stem for s in SOURCES])
def test_blank_release_zero(rows, src):
    row = rows[src.stem]["blank"]
    assert row.score == 0
    for gid in _written(src):  # left as released: nbgrader's "no response", zero, nothing to grade
        assert row.cells[gid].score == 0.0 and row.cells[gid].status == "manual", row.cells[gid]
        assert rows["gradebook"][src.stem]["blank"][gid] == 0.0


@pytest.mark.parametrize("src", SOURCES, ids=[s.stem for s in SOURCES])
def test_all_wrong_zero_with_named_mistakes(rows, src):
    row = rows[src.stem]["wrong"]
    assert row.score == 0, {g: v.score for g, v in row.cells.items() if v.score}
    for ex_id, (code, _source) in _first_wrong(src).items():
        verdict = row.cells[ex_id.replace(".", "-")]
        assert verdict.code == code or f"[{code}]" in verdict.message, (ex_id, code, verdict)
