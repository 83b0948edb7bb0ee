"""Every graded exercise, proven both ways in-process (docs/notebook-standard.md, "Proof").

For each exercise in ``course.checks``: the reference solution (the answer cell of the
solution notebook) passes the visible and the hidden cases; the blank stub fails as
not attempted; each realistic wrong answer in ``tests/variants/nbNN.py`` fails with the
misconception it was written to show, and shows no expected value on hidden cases; a
copy of the visible answer fails the hidden cases.
"""

from __future__ import annotations

import re
import pytest
import torch

from course.checks import load_all
from support import (hardcoded_answers, solution_answers, variant_answers, variant_module)

EXERCISES = load_all()
IDS = sorted(i for i in EXERCISES if i.startswith("nb"))


def _variants(ex_id):
    return getattr(variant_module(ex_id.split(".")[0]), "WRONG", {}).get(ex_id, [])


WRONG_CASES = [(ex_id, code, src) for ex_id in IDS for code, src in _variants(ex_id)]
SECRETS = ["alpha", "bravo", "charlie", "delta"]  # more secrets, more chances to meet a coincidence


@pytest.mark.parametrize("ex_id", IDS)
def test_every_exercise_has_two_named_wrong_answers(ex_id):
    codes = {code for code, _ in _variants(ex_id)}
    assert len(_variants(ex_id)) >= 2, f"{ex_id}: write at least two wrong answers in tests/variants"
    assert codes - {"wrong-values", "raised-error"}, f"{ex_id}: at least one wrong answer must name a specific mistake"


@pytest.mark.parametrize("ex_id", IDS)
def test_solution_passes_visible_and_hidden(ex_id, monkeypatch):
    ex = EXERCISES[ex_id]
    answers = solution_answers(ex)
    result = ex.evaluate(*answers)
    assert result.passed, str(result)
    for secret in SECRETS:
        monkeypatch.setenv("COURSE_SECRET", secret)
        result = ex.evaluate(*answers, hidden=True)
        assert result.passed and result.points == ex.points, str(result)


@pytest.mark.parametrize("ex_id", IDS)
def test_blank_stub_scores_zero(ex_id):
    ex = EXERCISES[ex_id]

    def stub(*args, **kwargs):
        raise NotImplementedError()

    result = ex.evaluate(*(stub for _ in ex.answers))
    assert not result.passed and result.points == 0
    assert result.code == "not-implemented", str(result)


@pytest.mark.parametrize("ex_id,code,source", WRONG_CASES,
                         ids=[f"{e}-{c}-{i}" for i, (e, c, _) in enumerate(WRONG_CASES)])
def test_wrong_answer_is_named(ex_id, code, source, monkeypatch):
    ex = EXERCISES[ex_id]
    answers = variant_answers(ex, source)
    visible = ex.evaluate(*answers)
    monkeypatch.setenv("COURSE_SECRET", SECRETS[0])
    hidden = ex.evaluate(*answers, hidden=True)
    assert not (visible.passed and hidden.passed), f"{ex_id}: wrong answer [{code}] passed"
    named = visible if not visible.passed else hidden
    assert named.code == code, f"{ex_id}: expected [{code}], got: {named}"
    assert named.points < ex.points
    if not hidden.passed:
        assert not re.search(r"expected -?\d", hidden.message), f"hidden message shows a value: {hidden.message}"


@pytest.mark.parametrize("ex_id", IDS)
def test_hardcoded_visible_answer_fails_hidden(ex_id, monkeypatch):
    ex = EXERCISES[ex_id]
    module = variant_module(ex_id.split(".")[0])
    custom = getattr(module, "HARDCODED", {}).get(ex_id)
    if custom is not None:
        answers = variant_answers(ex, custom)
    else:
        reference = solution_answers(ex)
        if not all(callable(a) and not isinstance(a, type) for a in reference):
            pytest.fail(f"{ex_id}: answers are not plain functions; give a HARDCODED variant in tests/variants")
        answers = hardcoded_answers(ex, reference)
    assert ex.evaluate(*answers).passed, f"{ex_id}: the hard-coded copy should pass the visible case"
    for secret in SECRETS:
        monkeypatch.setenv("COURSE_SECRET", secret)
        assert not ex.evaluate(*answers, hidden=True).passed, f"{ex_id}: hard-coded answer passed hidden cases"


@pytest.mark.parametrize("ex_id", IDS)
def test_checker_leaves_answers_alone(ex_id):
    """Checkers never change the student's objects (their speed is in benchmarks/check_speed.py)."""
    ex = EXERCISES[ex_id]
    answers = solution_answers(ex)
    before = [_fingerprint(a) for a in answers]
    ex.evaluate(*answers)
    ex.evaluate(*answers, hidden=True)
    assert [_fingerprint(a) for a in answers] == before, f"{ex_id}: the checker changed the student's objects"


def _fingerprint(obj):
    if isinstance(obj, torch.Tensor):
        return (tuple(obj.shape), obj.detach().cpu().clone().reshape(-1).tolist())
    if isinstance(obj, torch.nn.Module):
        return [(k, v.detach().cpu().reshape(-1).tolist()) for k, v in obj.state_dict().items()]
    return id(obj)
