"""Similar submissions on the planted set (tests/analysis/planted.py): copies found, honest
answers left alone, short exercises noted; and what is compared and what is left out."""

from __future__ import annotations

import pytest

import planted
from autograder.analysis.similarity import ExerciseAnswers, Settings, compare, compare_exercise


@pytest.fixture(scope="module")
def found():
    result = compare(planted.similarity_set(), workers=1)
    return result, {(p.grade_id, p.a, p.b): p for e in result for p in e.pairs}


def test_planted_copies_are_found_with_few_false_pairs(found):
    _, pairs = found
    hits = planted.COPIES & set(pairs)
    recall = len(hits) / len(planted.COPIES)
    false = set(pairs) - planted.COPIES
    print(f"recall {recall:.2f} ({len(hits)} of {len(planted.COPIES)}), false pairs: {sorted(false)}")
    assert recall >= 0.9 and len(false) <= 1


def test_honest_similar_answers_and_textbook_answers_are_not_listed(found):
    _, pairs = found
    assert not planted.HONEST_SIMILAR & set(pairs)
    for gid, answers in planted.SIMILARITY_EXERCISES.items():
        textbook = sorted(s for s, a in answers.items() if a == planted.TEXTBOOK)
        assert len(textbook) >= 2 or gid == "nb02-ex8"
        listed = {(a, b) for g, a, b in pairs if g == gid}
        assert not {(a, b) for a in textbook for b in textbook if a < b} & listed


def test_short_exercise_gets_a_note_not_pairs(found):
    result, _ = found
    short = next(e for e in result if e.grade_id == planted.SHORT_EXERCISE)
    assert not short.pairs and short.note and "Too short to judge" in short.note
    assert all(e.note is None for e in result if e.grade_id != planted.SHORT_EXERCISE)


def test_matching_lines_are_the_copied_ones(found):
    _, pairs = found
    p = pairs[("nb02-ex1", "alovelace", "aturing")]
    assert p.lines_b and 2 not in p.lines_b  # aturing's line 2 is a comment of her own
    assert set(range(3, 11)) <= set(p.lines_b) and set(range(2, 10)) <= set(p.lines_a)


def test_an_added_block_is_not_marked():
    base = planted._EX4["rfeynman"]
    extra = base.replace(
        "    return torch.stack(grads).reshape(x.shape)\n",
        "    if len(grads) > 3:\n        print(sorted(g.item() for g in grads)[:3])\n"
        "    return torch.stack(grads).reshape(x.shape)\n",
    )
    answers = {"a": base, "b": extra} | {
        f"h{i}": planted._EX4[s] for i, s in enumerate(["alovelace", "bbabbage", "aturing", "lconway"])
    }
    ex = compare_exercise(ExerciseAnswers("nb02-ex4", "t", answers, planted.similarity_set()[2].boilerplate))
    (p,) = [p for p in ex.pairs if {p.a, p.b} == {"a", "b"}]
    assert p.share_a == pytest.approx(1.0) and p.share_b < 1.0
    added = [n for n, line in enumerate(extra.splitlines(), start=1) if "print(sorted" in line]
    assert added and not set(added) & set(p.lines_b)


def test_the_stub_and_the_solution_are_boilerplate():
    stub, solution = planted.similarity_set()[0].boilerplate
    answers = {f"s{i}": solution for i in range(6)} | {"x": stub, "y": stub}
    ex = compare_exercise(ExerciseAnswers("nb02-ex1", "t", answers, [stub, solution]))
    assert not ex.pairs and ex.note and "Too short" in ex.note
    # without the boilerplate the same answers are all "similar"
    ex = compare_exercise(
        ExerciseAnswers("nb02-ex1", "t", answers, []), Settings(min_length=0, common_answers=99, common_share=1.0)
    )
    assert len(ex.pairs) == 15 + 1


def test_code_many_students_share_is_left_out():
    shared = "    w = torch.zeros(3)\n    w = w + 1\n    w = w * 2\n    w = w - 3\n    w = w / 4\n    return w\n"
    own = [
        "    return w.sum() * 7\n",
        "    return [v for v in w if v > 0]\n",
        "    return w.mean() + 1, w.max()\n",
        "    while w.sum() < 10:\n        w = w * 3\n    return w\n",
        "    return sorted(w.tolist())[-1]\n",
        "    return {'min': w.min(), 'std': w.std()}\n",
    ]
    answers = {f"s{i}": f"def f(x):\n{shared}{o}" for i, o in enumerate(own)}
    ex = compare_exercise(ExerciseAnswers("nb", "t", answers, []), Settings(min_length=0))
    assert not ex.pairs  # six answers share the block: the class's, not a copy
    ex = compare_exercise(ExerciseAnswers("nb", "t", answers, []), Settings(min_length=0, common_answers=7))
    assert ex.pairs  # counted as everyone's only from 7 answers on


def test_one_answer_and_unparsable_answers():
    assert compare_exercise(ExerciseAnswers("nb", "t", {"a": "x = 1"}, [])).note.startswith("1 attempted")
    bad = "def f(x:\n    return x +* 2\n" * 3
    ex = compare_exercise(
        ExerciseAnswers("nb", "t", {"a": bad, "b": bad, "c": "def g(y):\n    return y\n"}, []), Settings(min_length=0)
    )
    assert [(p.a, p.b) for p in ex.pairs] == [("a", "b")] and ex.pairs[0].lines_a == [1, 2, 3, 4, 5, 6]


def test_two_workers_give_the_same_pairs(found):
    result, pairs = found
    again = compare(planted.similarity_set(), workers=2)
    assert {(p.grade_id, p.a, p.b): p.similarity for e in again for p in e.pairs} == {
        k: p.similarity for k, p in pairs.items()
    }
