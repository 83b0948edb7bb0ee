"""Other correct answers to the exercises graded by behaviour earn full marks (issue 20).

The reference solutions are proven on four secrets by tests/test_exercise_proofs.py; here the
other correct answers of tests/variants/correct.py (another optimizer, batch size or method)
are graded on a fixed list of secrets: the visible case and two secrets for the small
exercises, one secret for the two Adult pipelines of project 09 (a training run each). The calibration itself, hundreds of secrets with
the margins to every bar, is ``benchmarks/behaviour_calibration.py``: a correct answer that lost
points on 1% of the secrets would show there, not here.
"""

from __future__ import annotations

import importlib.util
import sys

import pytest
import torch

from course.checks import load_all
from support import ROOT, variant_answers
from variants.correct import CORRECT, NOT_IMPROVED

_spec = importlib.util.spec_from_file_location(
    "behaviour_calibration", ROOT / "benchmarks" / "behaviour_calibration.py"
)
calibration = sys.modules["behaviour_calibration"] = importlib.util.module_from_spec(_spec)  # dataclasses need it
_spec.loader.exec_module(calibration)

EXERCISES = load_all()
HEAVY = {"nb09.ex4", "nb09.ex8"}  # each answer trains on 31,000 rows: one secret
CASES = [(ex_id, name, src) for ex_id, answers in CORRECT.items() for name, src in answers]


def test_every_exercise_graded_by_behaviour_has_alternatives_and_a_calibration():
    assert set(CORRECT) == set(calibration.SPECS)
    assert set(NOT_IMPROVED) <= set(CORRECT)
    for ex_id, answers in CORRECT.items():
        assert ex_id in EXERCISES and len(answers) >= 3, f"{ex_id}: at least three other correct answers"


@pytest.mark.parametrize("ex_id,name,source", CASES, ids=[f"{e}-{n}" for e, n, _ in CASES])
def test_other_correct_answer_earns_full_marks(ex_id, name, source):
    ex = EXERCISES[ex_id]
    spec = calibration.SPECS[ex_id]
    answers = variant_answers(ex, source)
    if ex_id not in HEAVY:  # the heavy ones: the secret's case is enough (the visible one is just another split)
        visible = ex.evaluate(*answers)
        assert visible.passed, f"{ex_id} [{name}] visible: {visible}"
    for secret in calibration.secret_list(1 if ex_id in HEAVY else 2):
        with torch.random.fork_rng():
            result, values = calibration.grade_once(spec, answers, secret)
        assert result.passed and result.points == ex.points, f"{ex_id} [{name}] {secret}: {result}"
        # what the calibration measures agrees with the verdict
        for bar, value in zip(spec.bars(), values, strict=True):
            assert value is not None and bar.margin(value) >= 0, (ex_id, name, bar.metric, value)


def test_a_bar_is_read_from_its_checker(monkeypatch):
    """Move a checker's bar and the calibration reports the new one (it never keeps a copy)."""
    from course.checks import nb07

    monkeypatch.setattr(nb07, "EX4_Z_FOR_FULL", 7.5)
    assert calibration.SPECS["nb07.ex4"].bars()[0].value == 7.5
