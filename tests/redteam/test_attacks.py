"""The red team: every attack in one exercise of an honest notebook (issue 14).

One engine run (the session fixture ``graded``) grades the whole class: one submission per
attack, the structure attacks, the sandbox snoops and the malformed files. Each attack
must earn zero on nb90.ex2, carry a clear reason (in the row, ``summary.csv`` and the
journal), and leave nb90.ex1 and nb90.ex3 with their full marks.
"""

from __future__ import annotations

import csv
import json

import psutil
import pytest

from attacks import ATTACKS, STRUCTURE
import coursedir
from engine_support import ASSIGNMENT

HONEST_EXERCISES = {"nb90-ex1": 1.0, "nb90-ex3": 1.0}
FULL = {"nb90-ex1": 1.0, "nb90-ex2": 1.0, "nb90-ex3": 1.0}

#: expect -> (status of nb90-ex2's verdict, a phrase its flags or message must hold)
EXPECT = {
    "tampered": ("flagged", "(tampered)"),
    "crashed": ("crashed", "(died)"),
    "timeout": ("timeout", "ran past the time limit"),
    "rejected": ("flagged", "no check reads by value"),
    "structure": ("flagged", "the source's"),
    "left": ("flagged", "(left-behind)"),
    "wrong": ("failed", ""),  # and the checker's own failing result (below)
}

CASES = [pytest.param(a.student, a.expect, id=a.student) for a in ATTACKS] + [
    pytest.param(f"c7_{k}", "structure", id=f"c7_{k}") for k in STRUCTURE
]


def scores(row) -> dict:
    return {g: v.score for g, v in row.cells.items()}


def _summary(root) -> dict:
    with open(root / "engine" / "results" / ASSIGNMENT / "summary.csv", newline="") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def test_the_catalogue_has_three_variants_per_class():
    by_class: dict[int, set] = {}
    for a in ATTACKS:
        by_class.setdefault(a.cls, set()).add(a.variant)
    by_class[7] = set(STRUCTURE)
    by_class[8] = {"direct", "pathlib", "exec", "capture", "later"}  # redteam_support: snoops and leaks
    assert set(by_class) == set(range(1, 11))
    assert all(len(v) >= 3 for v in by_class.values()), by_class
    assert any("exec" in a.variant for a in ATTACKS if a.cls in (1, 2, 3, 4, 5, 9))


def test_every_submission_gets_a_row_and_the_baselines_hold(graded):
    from redteam_support import students

    rows = graded["rows"]
    assert set(rows) == set(students(graded["root"])) | {"m_missing"}
    assert scores(rows["honest"]) == FULL and rows["honest"].status == "graded"
    assert scores(rows["wrong_only"]) == {**HONEST_EXERCISES, "nb90-ex2": 0.0}
    assert rows["wrong_only"].status == "graded" and not rows["wrong_only"].flags
    print(f"graded {len(rows)} submissions in {graded['seconds']:.1f} s")


@pytest.mark.parametrize("student,expect", CASES)
def test_attack_earns_zero_is_flagged_and_spares_the_rest(graded, student, expect):
    row = graded["rows"][student]
    assert scores(row) == {**HONEST_EXERCISES, "nb90-ex2": 0.0}, (row.status, row.cells)
    verdict = row.cells["nb90-ex2"]
    status, phrase = EXPECT[expect]
    assert verdict.status == status, verdict
    text = " ".join(verdict.flags) + " " + verdict.message
    assert phrase in text, verdict
    if expect == "wrong":  # what is left is a wrong answer, with the checker's message
        assert verdict.result is not None and not verdict.result.passed and verdict.message, verdict
    for gid in HONEST_EXERCISES:
        assert row.cells[gid].status == "passed" and not row.cells[gid].flags, row.cells[gid]
    if status != "failed":  # a reason a person can read, in the export and the journal
        assert verdict.flags and all(f.startswith("nb90-ex2: ") for f in row.flags), row.flags
        summary = _summary(graded["root"])[student]
        assert summary["status"] == row.status != "graded"
        assert all(f in summary["flags"] for f in row.flags), summary
        entry = json.loads((graded["root"] / "engine" / "results" / ASSIGNMENT / f"{student}.json").read_text())
        assert entry["recorded"] and entry["notebooks"][ASSIGNMENT]["row"]["flags"] == row.flags


def test_silenced_output_keeps_the_marks(graded):
    row = graded["rows"]["silenced_honest"]
    assert scores(row) == FULL and row.status == "graded", row


def test_the_gradebook_holds_the_same_scores(graded):
    book = coursedir.gradebook_scores(graded["root"], ASSIGNMENT)
    expected = {s: scores(r) for s, r in graded["rows"].items() if r.status not in ("missing", "unreadable")}
    assert {s: book[s] for s in expected} == expected


def test_no_process_outlives_its_sandbox(graded):
    """No sandbox process still runs (a zombie that its new parent has not reaped yet holds nothing)."""
    import time

    from autograder.engine.worker import MAX_SLOTS, UID_BASE

    deadline = time.monotonic() + 5  # a process being killed right now gets a moment to go
    while True:
        left = []
        for p in psutil.process_iter(["uids", "cmdline", "status"]):
            try:
                uid = p.info["uids"].real if p.info["uids"] else -1
                if p.info["status"] == psutil.STATUS_ZOMBIE:
                    continue
                if UID_BASE <= uid < UID_BASE + MAX_SLOTS or p.info["cmdline"] == ["sleep", "600"]:
                    left.append((p.pid, uid, p.info["cmdline"], p.info["status"]))
            except psutil.Error:
                pass
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert not left, left


def test_no_file_outlives_its_sandbox_in_shared_scratch(graded):
    import os

    from autograder.engine.worker import MAX_SLOTS, UID_BASE
    from autograder.engine.jail import SCRATCH_DIRS

    if os.geteuid() != 0:
        pytest.skip("sandboxes get their own uid only when the grader runs as root")
    left = []
    for folder in SCRATCH_DIRS:
        for entry in os.scandir(folder):
            try:
                if UID_BASE <= entry.stat(follow_symlinks=False).st_uid < UID_BASE + MAX_SLOTS:
                    left.append(entry.path)
            except OSError:
                pass
    assert not left, left


def test_mutating_the_input_costs_the_exercise(graded):
    row = graded["rows"]["mutates_input"]
    assert scores(row) == {**HONEST_EXERCISES, "nb90-ex2": 0.0} and "changed its input" in row.cells["nb90-ex2"].message


def test_a_self_restoring_lie_cannot_hide_a_mutation(graded):
    """The engine sends the inputs as the student's code left them; the judge compares them itself.

    Nothing next to the student's code compares them, so the lie is never called and never
    puts itself back: the tripwire names it after the test, or, had it gone, the judge's
    comparison names the mutation. Either way the exercise is zero with the reason."""
    verdict = graded["rows"]["mutates_input_lying_once"].cells["nb90-ex2"]
    assert verdict.score == 0.0, verdict
    assert "changed its input" in verdict.message or "changed torch.equal" in verdict.message, verdict
