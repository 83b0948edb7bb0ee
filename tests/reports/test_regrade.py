"""Regrade after a checker fix: only the exercise it touches, and what changed per student."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import coursedir
from autograder.regrade import regrade
from engine_support import ASSIGNMENT, CHECKS
from reports_support import clone_course, use_checks

#: the fix: ex2's judge now accepts float64 results (bob02 returned float64)
JUDGE_FIX = """

@ex2.judge
def _(v, case, got):  # fixed: float64 results are accepted
    data = v.tensor(got, "square(x)", dtype=torch.float32, float_ok=True, shape=tuple(case["x"].shape))
    v.close(data, case["x"] * case["x"], "square(x)")
"""
#: a change to what the sandbox computes for ex3: student code must run again
RUN_CHANGE = """

@ex3.run
def _(case, fn):  # the student's function gets a copy
    return fn(case["x"].clone())
"""


def _cli(*args) -> subprocess.CompletedProcess:
    out = subprocess.run(
        [sys.executable, "-m", "autograder", "regrade", *map(str, args)], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def fixed(graded, tmp_path_factory):
    """A copy of the graded class and a copy of its checkers with ex2's judge fixed."""
    course, checks = graded
    base = tmp_path_factory.mktemp("regrade")
    root = clone_course(course, base / "course")
    (base / "checks").mkdir()
    new_checks = base / "checks" / checks.name
    new_checks.write_text(checks.read_text() + JUDGE_FIX)
    yield root, new_checks
    use_checks(CHECKS)  # the next tests in this process get the real fixture checkers back


def test_unchanged_checkers_regrade_nothing(graded):
    course, checks = graded
    use_checks(checks)
    report = regrade(ASSIGNMENT, course, extra_checks=[checks], dry_run=True)
    assert not report.changed and not report.skipped and "nothing to regrade" in report.summary()


def test_judge_fix_rejudges_only_that_exercise(fixed):
    root, checks = fixed
    before = coursedir.gradebook_scores(root, ASSIGNMENT)
    journal = root / "engine" / "results" / ASSIGNMENT
    old = {p.stem: json.loads(p.read_text()) for p in journal.glob("*.json")}

    use_checks(checks)
    dry = regrade(ASSIGNMENT, root, extra_checks=[checks], dry_run=True)
    assert dry.changed == {"nb90.ex2": "judge"} and len(dry.rejudged) == 8 and not dry.rerun, dry.summary()
    assert coursedir.gradebook_scores(root, ASSIGNMENT) == before  # a dry run changes nothing

    out = _cli(ASSIGNMENT, "--course", root, "--checks", checks)
    assert "bob02  nb90-ex2  0 -> 1  (failed -> passed)" in out.stdout, out.stdout
    assert "0 run again, 1 score(s) changed" in out.stdout, out.stdout
    after = coursedir.gradebook_scores(root, ASSIGNMENT)
    assert after["bob02"] == {**before["bob02"], "nb90-ex2": 1.0}
    assert {s: v for s, v in after.items() if s != "bob02"} == {s: v for s, v in before.items() if s != "bob02"}
    for student, entry in old.items():  # the journal agrees; ex1 and ex3 verdicts are untouched
        new = json.loads((journal / f"{student}.json").read_text())
        for gid in ("nb90-ex1", "nb90-ex3"):
            a = entry["notebooks"][ASSIGNMENT]["row"]["cells"][gid]
            b = new["notebooks"][ASSIGNMENT]["row"]["cells"][gid]
            assert (a["score"], a["status"], a["message"]) == (b["score"], b["status"], b["message"]), student
        assert new["regraded"][-1]["exercises"] == ["nb90.ex2"]
    frank = json.loads((journal / "frank06.json").read_text())["notebooks"][ASSIGNMENT]["row"]["cells"]["nb90-ex2"]
    assert frank["status"] == "flagged" and frank["score"] == 0  # tampering still costs the exercise
    assert "bob02,engine_fixture,graded,2.0" in (journal / "summary.csv").read_text()

    again = regrade(ASSIGNMENT, root, extra_checks=[checks])
    assert not again.changed and not again.changes  # the new fingerprints were recorded


def test_run_change_reruns_the_student(fixed):
    root, checks = fixed
    checks.write_text(checks.read_text() + RUN_CHANGE)
    use_checks(checks)
    before = coursedir.gradebook_scores(root, ASSIGNMENT)
    report = regrade(ASSIGNMENT, root, extra_checks=[checks], students=["alice01"], workers=1)
    assert report.changed == {"nb90.ex3": "collect"} and report.rerun == ["alice01"] and not report.rejudged, (
        report.summary()
    )
    assert not report.changes
    assert coursedir.gradebook_scores(root, ASSIGNMENT) == before
    entry = json.loads((root / "engine" / "results" / ASSIGNMENT / "alice01.json").read_text())
    assert entry["regraded"][-1]["how"] == "run again"
    assert len((root / "engine" / "results" / ASSIGNMENT / "summary.csv").read_text().splitlines()) == 1 + 8
