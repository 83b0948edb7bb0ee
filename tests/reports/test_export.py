"""The three CSV exports, and the statuses the results reader gives."""

from __future__ import annotations

import csv

import pytest

from autograder import results
from autograder.__main__ import main
from engine_support import ASSIGNMENT
from reports_support import NO_SUBMISSION, STUDENTS

EXPECTED_STATUS = {
    "alice01": "ok",
    "bob02": "ok",
    "carol03": "ok",
    "dave04": "timeout",
    "erin05": "crashed",
    "frank06": "flagged",
    "gina07": "restored",
    "ivan09": "late",
    NO_SUBMISSION: "not placed",
}


@pytest.fixture(scope="module")
def exported(graded):
    course, _ = graded
    assert main(["export", ASSIGNMENT, "--course", str(course)]) == 0

    def read(kind):
        with open(course / "exports" / f"{ASSIGNMENT}_{kind}.csv", newline="") as f:
            return list(csv.reader(f))

    return {k: read(k) for k in ("wide", "long", "canvas")}


def test_statuses(graded):
    course, _ = graded
    r = results.load(course, ASSIGNMENT)
    assert {s.student: s.status for s in r.students} == EXPECTED_STATUS
    assert r.unplaced and r.unplaced[0]["reason"] == "unknown-student"
    ivan = r.by_student()["ivan09"]
    assert ivan.seconds_late == 12 * 3600
    assert ivan.late_penalty == pytest.approx(1.2) and ivan.score == pytest.approx(1.8)


def test_wide(exported):
    head, *rows = exported["wide"]
    assert head == [
        "student",
        "status",
        "nb90-ex1",
        "nb90-ex2",
        "nb90-ex3",
        "total",
        "max",
        "late_penalty",
        "hours_late",
        "submitted",
        "reasons",
    ]
    by = {r[0]: dict(zip(head, r, strict=True)) for r in rows}
    assert {s: r["status"] for s, r in by.items()} == EXPECTED_STATUS
    assert by["alice01"]["total"] == "3" and by["bob02"]["nb90-ex2"] == "0" and by["bob02"]["nb90-ex3"] == "1"
    hank = by[NO_SUBMISSION]
    assert hank["nb90-ex1"] == hank["total"] == "" and hank["max"] == "3"
    assert by["ivan09"]["late_penalty"] == "1.2" and by["ivan09"]["hours_late"] == "12"
    assert "torch.equal" in by["frank06"]["reasons"] and "time limit" in by["dave04"]["reasons"]


def test_long(exported):
    head, *rows = exported["long"]
    assert head == [
        "student",
        "assignment",
        "notebook",
        "exercise",
        "points",
        "max",
        "status",
        "misconception",
        "misconception_title",
        "attempted",
        "similar_to",
        "similarity",
    ]
    assert len(rows) == 3 * len(STUDENTS) + 1
    by = {(r[0], r[3]): r for r in rows}
    assert by[("bob02", "nb90-ex2")][4:10] == [
        "0",
        "1",
        "failed",
        "float64-not-float32",
        "float64 where float32 is expected",
        "yes",
    ]
    assert by[("bob02", "nb90-ex1")][7] == "wrong-values"
    assert by[("carol03", "nb90-ex3")][7:10] == ["not-implemented", "Exercise not attempted yet", "no"]
    assert by[("alice01", "nb90-ex1")][6:] == ["passed", "", "", "yes", "", ""]
    assert by[(NO_SUBMISSION, "")][6] == "not placed"


def test_long_carries_the_similarity_flags(graded):
    """The fixture's answers are one line each (too short to judge), so the flags are tried on
    a report with a planted pair."""
    from autograder.analysis.similarity import ExerciseSimilarity, Pair, SimilarityReport, Settings
    from autograder.export import long

    course, _ = graded
    r = results.load(course, ASSIGNMENT)
    pair = Pair("nb90-ex2", "alice01", "gina07", 0.9, 0.95, 0.9, [1, 2], [1, 2])
    similar = SimilarityReport(ASSIGNMENT, Settings(), [ExerciseSimilarity("nb90-ex2", "t", 8, 50, [pair])])
    head, rows = long(r, similar)
    by = {(row[0], row[3]): dict(zip(head, row, strict=True)) for row in rows}
    assert by[("alice01", "nb90-ex2")]["similar_to"] == "gina07" and by[("gina07", "nb90-ex2")]["similarity"] == 0.9
    assert by[("alice01", "nb90-ex1")]["similar_to"] == ""


def test_canvas(exported):
    head, possible, *rows = exported["canvas"]
    assert head == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ASSIGNMENT]
    assert possible == ["Points Possible", "", "", "", "", "3"]
    by = {r[2]: r for r in rows}
    assert set(by) == set(EXPECTED_STATUS)
    assert by["alice01"][0] == "Anders, Alice" and by["alice01"][5] == "3"
    assert by[NO_SUBMISSION][:2] == ["Nohand, Hank", "900008"] and by[NO_SUBMISSION][5] == ""
    assert by["ivan09"][5] == "1.8"
