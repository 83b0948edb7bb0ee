"""``autograder watch`` for real: a subprocess, hand-ins copied into ``submitted/``, the
gradebook read back with nbgrader's API, the feedback pages on disk.

One watcher starts on a course with a roster and nothing handed in, warms up on the
instructor's own notebook (full marks, kept nowhere), then sees, in order: a new hand-in,
one written in two parts (graded once whole, never as unreadable), a re-submission, a
corrupt file (a row with the reason) followed by a good one (it goes on), a hand-in of
somebody not on the roster (left alone, said once), then SIGTERM (it stops, its zygotes
with it); a second watcher grades only what arrived meanwhile (a hand-in waiting from
before it started), from the journal that survived the first.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

import coursedir
from engine_support import ASSIGNMENT, CHECKS, make_course, release_notebook, with_answers

pytestmark = pytest.mark.kernel

WRONG_SQUARE = "def square(x):\n    return x + x"


class WatchProcess:
    """``python -m autograder watch`` in a subprocess, its output collected line by line."""

    def __init__(self, root: Path):
        self.root = root
        self.log = root.parent / f"watch-{time.monotonic_ns()}.log"
        cmd = [
            sys.executable,
            "-m",
            "autograder",
            "watch",
            ASSIGNMENT,
            "--course",
            str(root),
            "--checks",
            str(CHECKS),
            "--poll",
            "0.2",
            "--settle",
            "1",
        ]
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ, COURSE_SECRET="w")
            )

    def lines(self) -> list[str]:
        return self.log.read_text().splitlines()

    def wait_for(self, text: str, count: int = 1, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout  # a guard against a hang, not a speed bound
        while sum(text in line for line in self.lines()) < count:
            assert self.proc.poll() is None, "\n".join(self.lines())
            assert time.monotonic() < deadline, "\n".join(self.lines())
            time.sleep(0.1)


def _hand_in(root: Path, student: str, nb: dict | bytes) -> Path:
    folder = root / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "timestamp.txt").write_text(coursedir.TIMESTAMP)
    path = folder / f"{ASSIGNMENT}.ipynb"
    path.write_bytes(nb if isinstance(nb, bytes) else json.dumps(nb).encode())
    return path


def _scores(root: Path) -> dict[str, float]:
    return {s: sum(v or 0 for v in g.values()) for s, g in coursedir.gradebook_scores(root, ASSIGNMENT).items()}


def _roster(root: Path, students: list[str]) -> None:
    from nbgrader.api import Gradebook

    from autograder.nbgrader_setup import make_config

    with Gradebook(make_config(root).CourseDirectory.db_url) as gb:
        for student in students:
            gb.update_or_create_student(student)


def test_watch_grades_each_hand_in_as_it_lands(tmp_path):
    root = make_course(tmp_path / "course", {})
    _roster(root, ["alice", "bob", "carol", "dave", "erin"])
    release = release_notebook(root)
    honest = with_answers(release, {})
    watch = WatchProcess(root)
    try:
        watch.wait_for("watching")
        watch.wait_for("warm-up: the instructor's")
        warm = next(line for line in watch.lines() if line.startswith("warm-up:"))
        assert warm.endswith(" 3/3"), warm  # the source notebook earns full marks
        assert not list((root / "engine" / "results" / ASSIGNMENT).glob("*.json"))
        assert not coursedir.gradebook_scores(root, ASSIGNMENT)  # it keeps nothing

        _hand_in(root, "alice", honest)
        watch.wait_for("alice  ")
        assert _scores(root)["alice"] == 3
        assert "alice" in (root / "feedback_html" / "alice" / f"{ASSIGNMENT}.html").read_text()

        data = json.dumps(with_answers(release, {"nb90.ex2": WRONG_SQUARE})).encode()
        path = _hand_in(root, "bob", data[: len(data) // 2])  # still being copied
        watch.wait_for("bob: the hand-in is not a whole notebook yet")
        path.write_bytes(data)
        watch.wait_for("bob  ")
        assert _scores(root)["bob"] == 2

        _hand_in(root, "alice", with_answers(release, {"nb90.ex2": WRONG_SQUARE}))  # a re-submission
        watch.wait_for("alice  ", count=2)
        assert _scores(root)["alice"] == 2

        _hand_in(root, "carol", b"{not a notebook")
        watch.wait_for("carol  ")
        _hand_in(root, "dave", honest)
        watch.wait_for("dave  ")
        summary = (root / "engine" / "results" / ASSIGNMENT / "summary.csv").read_text()
        carol = next(line for line in summary.splitlines() if line.startswith("carol,"))
        assert "unreadable" in carol and _scores(root)["dave"] == 3
        assert not any("bob" in line and "unreadable" in line for line in watch.lines())

        _hand_in(root, "mallory", honest)  # not on the roster
        watch.wait_for("mallory: not graded, not on the roster")
        _hand_in(root, "erin", honest)  # on it: graded, mallory still not
        watch.wait_for("erin  ")
        assert "mallory" not in _scores(root) and _scores(root)["erin"] == 3
        assert sum("mallory" in line for line in watch.lines()) == 1

        children = psutil.Process(watch.proc.pid).children(recursive=True)
        assert children  # its zygote, warm
        watch.proc.send_signal(signal.SIGTERM)
        assert watch.proc.wait(timeout=120) == 0
        assert "stopped" in watch.lines()[-1]
        gone, alive = psutil.wait_procs(children, timeout=30)
        assert not alive
    finally:
        if watch.proc.poll() is None:
            watch.proc.kill()
            watch.proc.wait()

    _hand_in(root, "erin", with_answers(release, {"nb90.ex2": WRONG_SQUARE}))  # arrives while nobody watches
    again = WatchProcess(root)
    try:
        again.wait_for("erin  ")
        assert "(4 graded already)" in "\n".join(again.lines())  # alice, bob, carol, dave
        assert _scores(root)["erin"] == 2
        again.proc.send_signal(signal.SIGINT)
        assert again.proc.wait(timeout=120) == 0
    finally:
        if again.proc.poll() is None:
            again.proc.kill()
            again.proc.wait()
    graded = [line.split()[0] for line in again.lines() if f"  {ASSIGNMENT}  " in line]
    assert graded == ["erin"], again.lines()
    assert json.loads((root / "engine" / "results" / ASSIGNMENT / "erin.json").read_text())["recorded"]
