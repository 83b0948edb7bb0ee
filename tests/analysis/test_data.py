"""``report --json``: a typed document that reads back into the same types."""

from __future__ import annotations

import json

import pytest

import planted
from autograder.analysis import data
from autograder.analysis.items import analyse
from autograder.analysis.similarity import SimilarityReport, Settings, compare


@pytest.fixture(scope="module")
def document():
    results = planted.example_results("01_tensors", planted=True)
    exercises = planted.similarity_set()
    similar = SimilarityReport(
        "02_autograd", Settings(), compare(exercises, workers=1), {e.grade_id: e.answers for e in exercises}
    )
    return data.build(results, analyse(results), similar)


def test_round_trip(document):
    text = data.to_json(document)
    back = data.from_json(text)
    assert back == document
    raw = json.loads(text)
    assert raw["schema"] == data.SCHEMA and raw["assignment"] == "01_tensors"
    assert {i["grade_id"]: [f["flag"] for f in i["flags"]] for i in raw["items"]}[planted.EASY] == [
        "almost everyone passes"
    ]


def test_students_carry_misconceptions_attempts_and_similarity(document):
    by = {s.student: s for s in document.students}
    aturing = {x.grade_id: x for x in by["aturing"].exercises}
    assert aturing["nb01-ex2"].misconception == "mean-on-int" and aturing["nb01-ex2"].misconception_title
    assert not {x.grade_id: x for x in by["bbabbage"].exercises}["nb01-ex1"].attempted
    assert by["tberners"].late_days == 1 and by["tberners"].late_penalty == 3
    assert by["jvonneumann"].score is None and by["jvonneumann"].status == "not placed"
    pairs = {(p.grade_id, p.a, p.b) for e in document.similarity for p in e.pairs}
    assert planted.COPIES <= pairs


def test_no_student_code_in_the_document(document):
    text = data.to_json(document)
    assert "requires_grad" not in text and "def " not in text


def test_other_documents_are_refused(document):
    raw = json.loads(data.to_json(document))
    with pytest.raises(ValueError, match="not an autograder-report/1"):
        data.from_json(json.dumps({**raw, "schema": "something/9"}))
    bad = json.loads(json.dumps(raw))
    bad["students"][0]["late_days"] = "three"
    with pytest.raises(ValueError, match=r"report\.students\[0\]\.late_days: expected int"):
        data.from_json(json.dumps(bad))
    del raw["items"]
    with pytest.raises(ValueError, match="items is missing"):
        data.from_json(json.dumps(raw))
