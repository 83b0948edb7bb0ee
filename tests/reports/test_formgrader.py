"""nbgrader's formgrader works on the gradebook the engine wrote: read a score, grade by hand.

A Jupyter server with nbgrader's formgrader extension runs on a copy of the graded
course; plain HTTP with the token (no browser). The manual score given there is what
``autograder.results`` (and so export and feedback) then count.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from autograder import results
from engine_support import ASSIGNMENT
from reports_support import clone_course


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def formgrader(graded, tmp_path_factory):
    pytest.importorskip("jupyter_server")
    base = tmp_path_factory.mktemp("formgrader")
    root = clone_course(graded[0], base / "course")
    port, token = _port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyter", "server", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--ServerApp.jpserver_extensions={'nbgrader.server_extensions.formgrader': True}"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(base / ".jupyter"), JUPYTER_DATA_DIR=str(base / ".data"),
               JUPYTER_RUNTIME_DIR=str(base / ".runtime"))
    log = open(base / "server.log", "w")
    proc = subprocess.Popen(cmd, cwd=root, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"

    def call(path, method="GET", body=None):
        req = urllib.request.Request(url + path, method=method, headers={"Authorization": f"token {token}"},
                                     data=json.dumps(body).encode() if body is not None else None)
        with urllib.request.urlopen(req, timeout=20) as r:
            return json.loads(r.read())

    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                call("/api/status")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log_text = (base / "server.log").read_text()[-3000:]
                    raise RuntimeError(f"the Jupyter server did not start:\n{log_text}")
                time.sleep(0.25)
        yield root, call
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_formgrader_reads_the_engines_scores_and_takes_a_manual_grade(formgrader):
    root, call = formgrader
    subs = {s["student"]: s for s in call(f"/formgrader/api/submitted_notebooks/{ASSIGNMENT}/{ASSIGNMENT}")}
    assert subs["alice01"]["score"] == 3.0 and subs["bob02"]["score"] == 1.0 and subs["bob02"]["max_score"] == 3.0
    grades = {g["name"]: g for g in call(f"/formgrader/api/grades?submission_id={subs['bob02']['id']}")}
    assert grades["nb90-ex2"]["auto_score"] == 0.0
    out = call(f"/formgrader/api/grade/{grades['nb90-ex2']['id']}", "PUT", {"manual_score": 0.5})
    assert out["manual_score"] == 0.5

    bob = results.load(root, ASSIGNMENT).by_student()["bob02"]
    ex2 = next(e for e in bob.exercises if e.grade_id == "nb90-ex2")
    assert (ex2.auto_points, ex2.manual_points, ex2.points) == (0.0, 0.5, 0.5)
    assert bob.score == 1.5
