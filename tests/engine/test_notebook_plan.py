"""Reading submissions and planning what runs (in-process, no sandbox)."""

from __future__ import annotations

import copy
import json

import pytest

from autograder.engine import notebook as nbm
from engine_support import FIXTURE, colab_like

SOURCE = nbm.Source.load("engine_fixture", FIXTURE.read_bytes())
ANSWERS = {"nb90.ex1": ("double",), "nb90.ex2": ("square",), "nb90.ex3": ("add_one",)}


def answers_of(ex):
    return ANSWERS.get(ex)


def _fixture() -> dict:
    return json.loads(FIXTURE.read_text())


@pytest.mark.parametrize(
    "data,why",
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"\xff\xfe{}", "UTF-8"),
        (b"{not json", "JSON"),
        (b"[1, 2]", "not a notebook"),
        (json.dumps({"nbformat": 3, "cells": []}).encode(), "nbformat 3"),
    ],
)
def test_unreadable_files_say_why(data, why):
    with pytest.raises(nbm.Unreadable, match=why):
        nbm.read_cells(data)


def test_string_and_list_sources_and_colab_ids():
    nb = colab_like(_fixture())
    cells = nbm.read_cells(json.dumps(nb).encode())
    assert all(isinstance(c["source"], str) for c in cells)
    assert cells[0]["id"] == "colab0000"


def _kinds(plan):
    return [(s.kind, s.exercise) for s in plan.steps]


def test_the_source_decides_where_tests_run():
    nb = _fixture()
    # move the test of ex1 to the top, and edit it: the source's test runs after its answer
    test = next(c for c in nb["cells"] if c.get("id") == "nb90-ex1")
    nb["cells"].remove(test)
    test["source"] = "print('all good')"
    nb["cells"].insert(0, test)
    plan = nbm.plan(SOURCE, nbm.read_cells(json.dumps(nb).encode()), answers_of)
    steps = _kinds(plan)
    assert steps.count(("test", "nb90.ex1")) == 1
    answer_at = next(i for i, c in enumerate(plan.cells) if c.get("id") == "nb90-ex1-answer")
    assert plan.tests["nb90-ex1"] > answer_at
    assert not any("all good" in s.source for s in plan.steps)


def test_a_cell_cannot_claim_a_test_grade_id():
    nb = _fixture()
    extra = copy.deepcopy(next(c for c in nb["cells"] if c.get("id") == "nb90-ex2-answer"))
    extra["id"] = "mine"
    extra["source"] = "x = 1"
    extra["metadata"]["nbgrader"].update({"grade_id": "nb90-ex3", "grade": True, "points": 50})
    nb["cells"].insert(3, extra)
    plan = nbm.plan(SOURCE, nbm.read_cells(json.dumps(nb).encode()), answers_of)
    assert sorted(plan.tests) == ["nb90-ex1", "nb90-ex2", "nb90-ex3"]
    assert sum(1 for s in plan.steps if s.kind == "test") == 3


def test_colab_save_finds_every_answer():
    plan = nbm.plan(SOURCE, nbm.read_cells(json.dumps(colab_like(_fixture())).encode()), answers_of)
    assert not plan.missing_answers
    assert [s.exercise for s in plan.steps if s.kind == "test"] == ["nb90.ex1", "nb90.ex2", "nb90.ex3"]


def test_a_test_without_a_checker_runs_its_source_cell():
    plan = nbm.plan(SOURCE, nbm.read_cells(FIXTURE.read_bytes()), lambda ex: None if ex == "nb90.ex3" else ANSWERS[ex])
    assert plan.by_outputs == {"nb90-ex3"}
    step = next(s for s in plan.steps if s.cell == plan.tests["nb90-ex3"])
    assert step.kind == "code" and "nb90.ex3.grade(add_one)" in step.source
