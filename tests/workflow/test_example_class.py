"""The example class builds, and collect places every student as the hand-written table says."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from autograder import example_class as ec
from autograder.collect import collect
from autograder.roster import read_roster


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    paths = ec.build(tmp_path_factory.mktemp("class"))
    roster = read_roster(paths["roster"])
    course = tmp_path_factory.mktemp("course")
    return paths, roster, course, collect(paths["zip"], course, list(ec.ASSIGNMENTS), roster=roster.students)


def test_the_class_is_big_enough_and_varied():
    per_assignment = Counter(s.assignment for s in ec.SUBMISSIONS if s.status != "duplicate")
    assert all(n >= 15 for n in per_assignment.values()), per_assignment
    assert {s.status for s in ec.SUBMISSIONS} >= {"graded", "error", "timeout", "unplaced", "duplicate"}
    assert any(s.late_penalty for s in ec.SUBMISSIONS)
    assert {s.form.split(":")[0] for s in ec.SUBMISSIONS} >= {
        "plain",
        "colab",
        "colab-stripped",
        "corrupt",
        "recreated",
        "tampered",
        "cp1252",
    }


def test_hand_written_scores_are_within_the_points():
    for s in ec.SUBMISSIONS:
        if s.expected is not None:
            assert len(s.expected) == len(ec.POINTS[s.assignment])
            assert all(e in (0, p) for e, p in zip(s.expected, ec.POINTS[s.assignment], strict=True)), s.student
    assert sum(ec.POINTS["01_tensors"]) == 20 and sum(ec.POINTS["02_autograd"]) == 14


def test_points_table_matches_the_solution_notebooks():
    from autograder.paths import SOLUTIONS

    for a, points in ec.POINTS.items():
        nb = json.loads((SOLUTIONS / f"{a}.ipynb").read_text())
        got = {
            c["metadata"]["nbgrader"]["grade_id"]: c["metadata"]["nbgrader"]["points"]
            for c in nb["cells"]
            if c.get("metadata", {}).get("nbgrader", {}).get("grade")
        }
        assert tuple(got[g] for g in ec.exercise_ids(a)) == points


def test_roster_reads_clean(collected):
    _, roster, _, _ = collected
    assert not roster.bad_rows and len(roster.students) == len(ec.ROSTER)


def test_collect_places_every_student_as_expected(collected):
    _, _, course, report = collected
    placed = {(p.student, p.assignment): p for p in report.placed}
    expected = ec.expected_scores()
    assert set(placed) == set(expected), report.summary()
    for key, sub in expected.items():
        p = placed[key]
        assert p.origin.endswith(sub.file.replace(".zip/", ".zip!/")), (key, p.origin)
        for field, want in sub.collect.items():
            if field == "restored":
                assert {c.grade_id: c.how for c in p.restored} == want, key
            elif field == "restored_by_fingerprint":
                assert sum(c.how == "fingerprint" for c in p.restored) == want, key
            elif field == "read_status":
                assert p.read_status.startswith(want), key
            else:
                assert getattr(p, field) == want, (key, field)
        if not sub.collect.get("restored") and "restored_by_fingerprint" not in sub.collect:
            assert not p.restored, (key, p.restored)
        stamp = (course / p.path).parent.joinpath("timestamp.txt").read_text()
        when = sub.when if sub.when and sub.collect.get("timestamp_from") != "lms-name" else None
        if when:
            assert stamp.startswith(when.strftime("%Y-%m-%d %H:%M")), (key, stamp)


def test_late_and_lms_dates(collected):
    _, _, course, report = collected
    placed = {(p.student, p.assignment): p for p in report.placed}
    assert placed[("tberners", "01_tensors")].timestamp == "2026-01-12 14:30:00.000000 UTC"  # due 12:00
    assert placed[("kjohnson", "01_tensors")].timestamp == "2026-01-11 17:02:00.000000 UTC"  # from the name


def test_unplaced_duplicates_and_junk_are_listed(collected):
    _, _, course, report = collected
    unplaced = {u.origin.split("!/", 1)[1]: u.reason for u in report.unplaced}
    corrupt = [s for s in ec.SUBMISSIONS if s.status == "unplaced"]
    assert unplaced == ec.STRAYS | {s.file: s.collect["reason"] for s in corrupt}
    for u in report.unplaced:
        assert (course / u.kept_at).exists()
    dups = [s for s in ec.SUBMISSIONS if s.status == "duplicate"]
    assert [d.origin.split("!/", 1)[1] for d in report.duplicates] == [s.file for s in dups]
    assert sorted(o.split("!/", 1)[1] for o, _ in report.ignored) == sorted(ec.JUNK)


def test_collect_twice_gives_the_same_course_and_keeps_both_records(collected, tmp_path):
    paths, roster, course, report = collected
    before = {p: p.read_bytes() for p in (course / "submitted").rglob("*") if p.is_file()}
    again = collect(paths["zip"], course, list(ec.ASSIGNMENTS), roster=roster.students)
    assert [(p.student, p.assignment, p.origin) for p in again.placed] == [
        (p.student, p.assignment, p.origin) for p in report.placed
    ]
    assert all(any(n.startswith("unchanged") for n in p.notes) for p in again.placed)
    assert before == {p: p.read_bytes() for p in (course / "submitted").rglob("*") if p.is_file()}
    runs = course / "collect" / "runs"
    assert sorted(p.name for p in runs.iterdir()) == sorted([report.run, again.run])
    for run, rep in ((report.run, report), (again.run, again)):  # each run keeps its own record
        assert len(list((runs / run / "quarantine").iterdir())) == len(rep.unplaced) + len(rep.duplicates)
    current = json.loads((course / "collect" / "report.json").read_text())
    assert current["runs"] == sorted([report.run, again.run])
    assert len(current["placed"]) == len(report.placed) and len(current["unplaced"]) == len(report.unplaced)
