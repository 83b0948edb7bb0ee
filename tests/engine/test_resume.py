"""Kill-and-resume: SIGKILL the grader mid-run, run it again: same grades, no duplicates."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import coursedir
from autograder.engine.limits import Limits
from autograder.engine.scheduler import grade
from engine_support import ASSIGNMENT, CHECKS, HONEST, make_course, with_answers

SLOW = HONEST["nb90.ex2"] + "\nimport time\ntime.sleep(1.5)"


def _students():
    out = {}
    for i in range(8):
        if i % 2:
            out[f"s{i}"] = lambda release: release  # blank
        else:
            out[f"s{i}"] = lambda release: with_answers(release, {"nb90.ex2": SLOW})
    return out


def _recorded(root) -> int:
    folder = root / "engine" / "results" / ASSIGNMENT
    n = 0
    for p in folder.glob("*.json"):
        try:
            n += json.loads(p.read_text()).get("recorded", False)
        except ValueError:
            pass
    return n


def test_sigkill_then_rerun(tmp_path):
    root = make_course(tmp_path / "course", _students())
    cmd = [
        sys.executable,
        "-m",
        "autograder",
        "grade",
        ASSIGNMENT,
        "--course",
        str(root),
        "--workers",
        "1",
        "--checks",
        str(CHECKS),
        "--quiet",
        "--cell-timeout",
        "10",
    ]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while _recorded(root) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = _recorded(root)
    assert 0 < done_before < 8, f"the kill should land mid-run ({done_before} recorded; {proc.stderr.read()[-500:]})"

    rows = grade(ASSIGNMENT, root, workers=1, limits=Limits(cell_timeout_s=10), extra_checks=[CHECKS], progress=False)
    assert len(rows) == 8 and sum(r.resumed for r in rows) >= done_before
    expected = {
        f"s{i}": (
            {"nb90-ex1": 0.0, "nb90-ex2": 0.0, "nb90-ex3": 0.0}
            if i % 2
            else {"nb90-ex1": 1.0, "nb90-ex2": 1.0, "nb90-ex3": 1.0}
        )
        for i in range(8)
    }
    assert coursedir.gradebook_scores(root, ASSIGNMENT) == expected
    db = sqlite3.connect(root / "gradebook.db")
    assert db.execute("select count(*) from submitted_assignment").fetchone()[0] == 8
    assert db.execute("select count(*) from submitted_notebook").fetchone()[0] == 8
    assert db.execute("select count(*) from grade").fetchone()[0] == 8 * 3
    assert db.execute("select count(*) from student").fetchone()[0] == 8
