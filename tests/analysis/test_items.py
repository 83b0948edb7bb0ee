"""Item analysis: the statistics against their definitions, and the flags on the example
class extended with planted items (tests/analysis/planted.py)."""

from __future__ import annotations

import math
import random
import statistics

import pytest

import planted
from autograder.analysis.items import (
    Flag,
    Thresholds,
    analyse,
    attempted,
    fisher_interval,
    pearson,
    upper_lower,
    wilson,
    Z90,
)
from autograder.results import AssignmentResults, ExerciseResult, NotebookResult, StudentResult


def _flags(analysis) -> dict[str, set[Flag]]:
    return {i.grade_id: {f.flag for f in i.flags} for i in analysis.items}


def test_planted_items_are_flagged_and_no_honest_item_is():
    a = analyse(planted.example_results("01_tensors", planted=True))
    flags = _flags(a)
    assert Flag.NEGATIVE in flags[planted.MISKEYED], a.items[-3]
    assert flags[planted.EASY] == {Flag.EASY}
    assert flags[planted.MISLEADING] == {Flag.ONE_MISTAKE}
    honest = {g: f for g, f in flags.items() if g not in planted.PLANTED_ITEMS}
    assert len(honest) == len(planted.ec.POINTS["01_tensors"]) and not any(honest.values()), honest
    b = analyse(planted.example_results("02_autograd"))
    assert len(b.items) == 8 and not b.flagged, _flags(b)


def test_the_example_class_without_plants_flags_nothing():
    a = analyse(planted.example_results("01_tensors"))
    assert not a.flagged
    assert (a.graded, a.participants, a.left_out) == (15, 14, 1)  # the blank release is left out


def test_small_class_says_uncertain_instead_of_flagging():
    a = analyse(planted.example_results("01_tensors", planted=True))
    uncertain = [i for i in a.items if any("too uncertain" in n for n in i.notes)]
    assert len(uncertain) >= 6  # r's interval spans "broken" and "works" for most honest items
    ex2 = next(i for i in a.items if i.grade_id == "nb01-ex2")  # 13 of 14 passed: near the cut, not flagged
    assert ex2.pass_rate > Thresholds().easy_rate and not ex2.flags
    assert any("too wide to call it" in n for n in ex2.notes)


def _class(scores: dict[str, list[float]], codes: dict[tuple[str, int], str] | None = None) -> AssignmentResults:
    """A one-notebook assignment from per-student item scores (fractions of 1 point)."""
    students = []
    for sid, row in scores.items():
        nb = NotebookResult("nb", "graded")
        for k, x in enumerate(row, start=1):
            code = (codes or {}).get((sid, k))
            nb.exercises.append(
                ExerciseResult(
                    f"nb99-ex{k}",
                    f"nb99.ex{k}",
                    f"Item {k}",
                    float(x),
                    1.0,
                    "passed" if x >= 1 else "failed",
                    "",
                    code if x < 1 else None,
                )
            )
        students.append(StudentResult(sid, "a", "ok", notebooks=[nb], score=sum(row), max_score=len(row)))
    return AssignmentResults("a", planted.ec.EXAMPLE, students, float(len(next(iter(scores.values())))))


def test_a_large_class_shows_near_zero_and_negative_discrimination():
    """400 students whose ability orders six working items; item 7 is passed by every other
    student in ability order (no relation: near zero), item 8 only by the weaker half."""
    n = 400
    scores = {}
    for rank in range(n):  # rank 0 = weakest
        ability = rank / (n - 1)
        working = [1.0 if ability > cut else 0.0 for cut in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)]
        scores[f"s{rank:03d}"] = working + [1.0 if rank % 2 else 0.0, 1.0 if ability < 0.5 else 0.0]
    a = analyse(_class(scores))
    flags = _flags(a)
    assert flags["nb99-ex7"] == {Flag.NEAR_ZERO}
    assert flags["nb99-ex8"] == {Flag.NEGATIVE}
    assert not any(flags[f"nb99-ex{k}"] for k in range(1, 7)), flags


def test_easy_and_hard_need_enough_students():
    def make(n, passing):
        return {f"s{i}": [1.0 if i < n // 2 else 0.0, 1.0, 1.0 if i < passing else 0.0] for i in range(n)}

    small = analyse(_class(make(8, 0)))  # 8 of 8 pass item 2: too few to call it
    assert not small.flagged and any("too wide" in n for n in small.items[1].notes)
    big = analyse(_class(make(20, 0)))
    assert _flags(big)["nb99-ex2"] == {Flag.EASY} and Flag.HARD in _flags(big)["nb99-ex3"]


def test_one_mistake_needs_three_students_and_most_failures():
    scores = {f"s{i}": [1.0, 0.0 if i < 4 else 1.0] for i in range(12)}
    codes = {(f"s{i}", 2): "keepdim-mismatch" for i in range(3)} | {("s3", 2): "wrong-shape"}
    flags = _flags(analyse(_class(scores, codes)))
    assert flags["nb99-ex2"] == {Flag.ONE_MISTAKE}
    codes[("s2", 2)] = "wrong-shape"  # 2 of 4: no longer most of them
    assert not _flags(analyse(_class(scores, codes)))["nb99-ex2"]


def test_attempted():
    nb = NotebookResult("nb", "graded", unchanged=["nb01-ex2-answer"])
    ok = ExerciseResult("nb01-ex1", "nb01.ex1", "t", 0.0, 1.0, "failed", "", "wrong-values")
    assert attempted(ok, nb)
    assert not attempted(ExerciseResult("nb01-ex2", "nb01.ex2", "t", 0.0, 1.0, "failed", ""), nb)
    assert not attempted(ExerciseResult("nb01-ex3", "nb01.ex3", "t", 0.0, 1.0, "failed", "", "not-implemented"), nb)
    assert not attempted(ExerciseResult("nb01-ex4", "nb01.ex4", "t", 0.0, 1.0, "not-run", ""), nb)


# --- the statistics against their definitions ---------------------------------------------------


def test_wilson_interval():
    iv = wilson(14, 14)
    assert iv.low == pytest.approx(14 / (14 + Z90**2)) and iv.high == pytest.approx(1.0)
    iv = wilson(5, 10, z=1.959964)  # the textbook 95% example: 0.237 to 0.763
    assert (round(iv.low, 3), round(iv.high, 3)) == (0.237, 0.763)
    assert wilson(0, 0) is None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pearson_and_fisher_interval(seed):
    import numpy as np

    rng = random.Random(seed)
    x = [rng.random() for _ in range(30)]
    y = [a + rng.gauss(0, 0.5) for a in x]
    assert pearson(x, y) == pytest.approx(float(np.corrcoef(x, y)[0, 1]))
    r = pearson(x, y)
    iv = fisher_interval(r, 30)
    half = Z90 / math.sqrt(27)
    assert iv.low == pytest.approx(math.tanh(math.atanh(r) - half)) and iv.high == pytest.approx(
        math.tanh(math.atanh(r) + half)
    )
    assert iv.low < r < iv.high
    assert pearson([1, 1, 1], [1, 2, 3]) is None


def test_upper_lower_index_shares_tied_places():
    # 10 students, groups of 2.7: top by rest = s9, s8 (1 each) and 0.7 of the tie {s7, s6}
    rest = [0, 1, 2, 3, 4, 5, 7, 7, 8, 9]
    x = [0, 0, 1, 0, 0, 0, 1, 0, 1, 1]
    top = (1 + 1 + 0.35 * 0 + 0.35 * 1) / 2.7
    bottom = (0 + 0 + 0.7 * 1) / 2.7
    assert upper_lower(x, rest) == pytest.approx(top - bottom)
    assert upper_lower([1, 1, 1, 1], [1, 2, 3, 4]) == pytest.approx(0.0)


def test_difficulty_is_the_mean_fraction_of_points():
    scores = {f"s{i}": [1.0, [0.0, 0.5, 1.0][i % 3]] for i in range(9)}
    item = analyse(_class(scores)).items[1]
    assert item.difficulty == pytest.approx(statistics.fmean([0.0, 0.5, 1.0]))
    assert item.pass_rate == pytest.approx(1 / 3)
