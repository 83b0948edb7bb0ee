"""Plain nbgrader on the collected example class agrees with the hand-written table.

This proves the table (autograder/example_class.py, written from the list of mistakes)
and collect together: collect's placed notebooks, with restored metadata, are graded by
nbgrader's own autograde with the course's one configuration and the late policy.

Grading costs ~7 s per notebook here, so by default a subset that covers every collect
path (Colab without metadata, tampered metadata, late, recreated cell, swapped names, LMS
names, a crash, named misconceptions, a failure that cascades) is graded (7 notebooks,
and the late one through the nbgrader command line);
WORKFLOW_FULL=1 grades every honest submission. The infinite-loop student is graded on
its own with a 10 s cell timeout (the course's 120 s would make the test crawl): nbgrader
interrupts the hung cells and goes on, which is what the table expects.
"""

from __future__ import annotations

import os

import pytest

from autograder import example_class as ec
from autograder.nbgrader_setup import configure_late_policy, make_config
from workflow_support import autograde

pytestmark = [pytest.mark.kernel, pytest.mark.filterwarnings("ignore:Object of type")]

SUBSET = [
    ("fallen", "01_tensors"),
    ("lconway", "01_tensors"),
    ("dknuth", "01_tensors"),
    ("ehamilton", "01_tensors"),
    ("hlamarr", "02_autograd"),
    ("tberners", "02_autograd"),
    ("kjohnson", "02_autograd"),
]
HONEST = [key for key, sub in ec.expected_scores().items() if sub.status != "timeout"]
PAIRS = HONEST if os.environ.get("WORKFLOW_FULL") else SUBSET


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("example_course")
    api, config, report = ec.setup_course(root, tmp_path_factory.mktemp("example_class"))
    placed = {(p.student, p.assignment) for p in report.placed}
    assert set(PAIRS) <= placed, set(PAIRS) - placed
    return {"root": root, "results": autograde(api, config, PAIRS)}


def test_subset_is_honest_and_covers_both_assignments():
    assert set(SUBSET) <= set(HONEST)
    assert {a for _, a in SUBSET} == set(ec.ASSIGNMENTS)


@pytest.mark.parametrize("key", PAIRS, ids=[f"{s}-{a}" for s, a in PAIRS])
def test_plain_nbgrader_gives_the_hand_written_scores(graded, key):
    sub = ec.expected_scores()[key]
    got = graded["results"][key]
    _check(sub, got)
    assert got["late_penalty"] == sub.late_penalty
    for ex_id, code in sub.codes.items():
        text = got["outputs"][ex_id.replace(".", "-")]
        assert f"[{code}]" in text, f"{ex_id}: expected [{code}], got {text[-300:]}"


def _check(sub, got):
    ids = ec.exercise_ids(sub.assignment)
    scores = tuple(got["scores"][gid] for gid in ids)
    assert scores == sub.expected, {gid: (s, e) for gid, s, e in zip(ids, scores, sub.expected, strict=True) if s != e}


def test_infinite_loop_is_interrupted_and_the_rest_is_graded(graded):
    from nbgrader.apps import NbGraderAPI

    loopers = [key for key, sub in ec.expected_scores().items() if sub.status == "timeout"]
    assert loopers
    config = configure_late_policy(make_config(graded["root"]), ec.LATE_POINTS_PER_HOUR)
    config.Execute.timeout = 10  # above `import torch` on a loaded machine
    results = autograde(NbGraderAPI(config=config), config, loopers)
    for key in loopers:
        _check(ec.expected_scores()[key], results[key])
        assert (
            "CellTimeoutError" in results[key]["outputs"][ec.exercise_ids(key[1])[5]]
            or "KeyboardInterrupt" in results[key]["outputs"][ec.exercise_ids(key[1])[5]]
        )


def test_plain_nbgrader_cli_reads_the_late_policy_from_the_config_file(graded):
    """`nbgrader autograde` on the command line, in the course directory, with nothing but
    the nbgrader_config.py that set_late_policy wrote: the late student's table row holds."""
    import subprocess
    import sys
    from pathlib import Path

    from nbgrader.api import Gradebook

    late = [key for key, sub in ec.expected_scores().items() if sub.late_penalty]
    assert late
    for student, assignment in late:
        sub = ec.expected_scores()[(student, assignment)]
        nbgrader = Path(sys.executable).with_name("nbgrader")
        run = subprocess.run(
            [str(nbgrader), "autograde", assignment, "--student", student, "--force"],
            cwd=graded["root"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr[-2000:]
        with Gradebook(f"sqlite:///{graded['root'] / 'gradebook.db'}") as gb:
            nb = gb.find_submission_notebook(assignment, assignment, student)
            scores = {g.name: g.score for g in nb.grades}
            assert tuple(scores[gid] for gid in ec.exercise_ids(assignment)) == sub.expected
            assert nb.late_submission_penalty == sub.late_penalty
