"""The engine on every notebook of the course: the solution earns full marks with no
flag (a written answer waits for a person, as plain nbgrader leaves it), the blank
release zero, the all-wrong copy zero with each named mistake, and every other named
wrong answer (one more student per variant) loses marks with its mistake named.

Grading leaves out the lesson's cells that no graded answer depends on
(``autograder/engine/needed.py``), and this is the proof that doing so changes no score:

- what plain nbgrader gives with every cell run (tests/test_notebooks_kernel.py: the
  solution full marks; a copy answered with the first wrong answers in its first half and
  blank in the rest, zero with each mistake named), the engine gives here with the cells
  left out, to the solution, the whole blank release and the whole all-wrong copy;
- every other named wrong answer gets the mistake the in-process proofs
  (tests/test_exercise_proofs.py) give it with no lesson cell run at all;
- the solution, which exercises every graded path, is graded again here with every cell
  run, and its scores, statuses, flags and messages are the same either way.

With ``COURSE_PROOF_EVERY_STUDENT=1`` every student is graded both ways and compared
(about three more minutes on two cores, most of it the lessons' own training runs). All of
it runs on one pool of zygotes that each assignment warms in turn (as a Dask worker's
zygote is), not a new one per run.
"""

from __future__ import annotations

import os

import nbformat
import pytest

from coursedir import gradebook_scores, prepare
from autograder.engine.pool import LocalPool
from autograder.engine.scheduler import grade, zygote_spec
from nbgrader_batch import replace_answers
from support import NOTEBOOKS, SOLUTIONS, variant_module

pytestmark = pytest.mark.kernel

SOURCES = sorted(SOLUTIONS.glob("*.ipynb"))
#: Grade every student with every cell run too, not only the solution (see the docstring).
EVERY_STUDENT = os.environ.get("COURSE_PROOF_EVERY_STUDENT") == "1"


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
def pool():
    zygotes = LocalPool(zygote_spec([src.read_bytes() for src in SOURCES[:1]]), os.cpu_count() or 1)
    yield zygotes
    zygotes.close()


@pytest.fixture(scope="module")
def rows(course, pool):
    graded = {src.stem: {r.student: r for r in grade(src.stem, course, progress=False, client=pool)} for src in SOURCES}
    graded["gradebook"] = {src.stem: gradebook_scores(course, src.stem) for src in SOURCES}
    return graded


@pytest.fixture(scope="module")
def rows_all_cells(course, pool, rows):
    return {
        src.stem: {
            r.student: r
            for r in grade(
                src.stem,
                course,
                progress=False,
                all_cells=True,
                client=pool,
                students=None if EVERY_STUDENT else ["solution"],
            )
        }
        for src in SOURCES
    }


def _written(src) -> set[str]:
    """Grade ids of the written answers (graded by hand) of a solution notebook."""
    nb = nbformat.read(src, as_version=4)
    return {
        c.metadata["nbgrader"]["grade_id"]
        for c in nb.cells
        if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")
    }


@pytest.mark.parametrize("src", SOURCES, ids=[s.stem for s in SOURCES])
def test_solution_full_marks_without_flags(rows, src):
    """Full marks on every cell graded automatically; a written answer waits for a person, as
    plain nbgrader leaves it (no score, "needs manual grading")."""
    row = rows[src.stem]["solution"]
    written = _written(src)
    assert row.status == "graded" and not row.flags, (row.status, row.flags)
    auto = {g: v for g, v in row.cells.items() if g not in written}
    assert auto and all(v.score == v.max_score for v in auto.values()), {
        g: (v.score, v.message) for g, v in auto.items() if v.score != v.max_score
    }
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
    for ex_id, (code, _source) in _wrong(src, 0).items():
        verdict = row.cells[ex_id.replace(".", "-")]
        assert verdict.code == code or f"[{code}]" in verdict.message, (ex_id, code, verdict)


@pytest.mark.parametrize("src", SOURCES, ids=[s.stem for s in SOURCES])
def test_every_named_wrong_answer_loses_marks_with_its_mistake(rows, src):
    """wrong, wrong1, ...: the k-th named wrong answer of every exercise, graded with the
    lesson's unneeded cells left out, loses marks, named as the in-process proofs name it
    (where the exercise builds on earlier answers, tests/variants' SETUP, those are wrong
    too in this notebook, and the mistake found may be theirs)."""
    builds_on = getattr(variant_module("nb" + src.stem.split("_")[0]), "SETUP", {})
    for k in range(_variants(src)):
        row = rows[src.stem]["wrong" if k == 0 else f"wrong{k}"]
        for ex_id, (code, _source) in _wrong(src, k).items():
            verdict = row.cells[ex_id.replace(".", "-")]
            assert verdict.score < verdict.max_score, (k, ex_id, code)
            if ex_id not in builds_on:
                assert verdict.code == code or f"[{code}]" in verdict.message, (k, ex_id, code, verdict)


@pytest.mark.parametrize("src", SOURCES, ids=[s.stem for s in SOURCES])
def test_leaving_out_what_grading_does_not_need_changes_no_score(rows, rows_all_cells, src):
    """The same scores, statuses, mistakes and messages with the cells no graded answer
    depends on left out as with every cell run (the solution; every student with
    COURSE_PROOF_EVERY_STUDENT=1)."""
    everything = rows_all_cells[src.stem]
    assert "solution" in everything and (not EVERY_STUDENT or set(everything) == set(rows[src.stem]))
    for student, full in everything.items():
        row = rows[src.stem][student]
        assert (row.score, row.status, row.flags) == (full.score, full.status, full.flags), student
        assert {g: (v.score, v.status, v.code, v.message) for g, v in row.cells.items()} == {
            g: (v.score, v.status, v.code, v.message) for g, v in full.cells.items()
        }, student
        assert not any("not run" in n for n in full.notes)
    assert any("not run: no graded answer depends on them" in n for n in rows[src.stem]["solution"].notes)
