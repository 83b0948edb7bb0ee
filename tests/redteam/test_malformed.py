"""Malformed submissions: each gets a clear status, and nothing is lost (issue 14)."""

from __future__ import annotations

import pytest

from engine_support import ASSIGNMENT
from redteam_support import MALFORMED_STATUS

FULL = {"nb90-ex1": 1.0, "nb90-ex2": 1.0, "nb90-ex3": 1.0}
WHY = {
    "m_corrupt_json": "not valid JSON",
    "m_empty": "empty",
    "m_not_utf8": "not UTF-8",
    "m_nbformat3": "nbformat 3",
    "m_json_list": "not a notebook",
    "m_missing": "no submitted notebook",
}


def scores(row) -> dict:
    return {g: v.score for g, v in row.cells.items()}


@pytest.mark.parametrize("student,status", sorted(MALFORMED_STATUS.items()))
def test_status_and_nothing_lost(graded, student, status):
    root, row = graded["root"], graded["rows"][student]
    assert row.status == status, (row.status, row.notes, row.flags)
    path = root / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    if student == "m_missing":
        assert not path.exists()
    else:  # the original stays where it was, byte for byte
        assert path.read_bytes() == graded["before"][path]
    if status == "graded":  # an honest notebook in an odd shape: full marks, no flag
        assert scores(row) == FULL and not row.flags, (row.cells, row.flags)
    elif status in ("unreadable", "missing"):
        assert scores(row) == {g: 0.0 for g in FULL}
        assert any(WHY[student] in n for n in row.notes), row.notes
        assert all(v.status == "not-run" and WHY[student] in v.message for v in row.cells.values())
    assert (root / "engine" / "results" / ASSIGNMENT / f"{student}.json").exists()


def test_another_assignments_notebook_is_flagged(graded):
    row = graded["rows"]["m_other_assignment"]
    assert row.status == "flagged" and row.score == 0
    assert all("another assignment" in " ".join(v.flags) for v in row.cells.values()), row.cells


def test_fifty_megabytes_of_outputs_do_not_reach_the_feedback(graded):
    nb = graded["root"] / "autograded" / "m_fifty_mb_outputs" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert nb.stat().st_size < 1 << 20  # the outputs are the engine's, not the submission's
