"""nbgrader's formgrader works on the gradebook the engine wrote: read a score, grade by hand.

A Jupyter server with nbgrader's formgrader extension runs on a copy of the graded
course; plain HTTP with the token (no browser). The manual score given there is what
``autograder.results`` (and so export and feedback) then count.
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from autograder import results
from engine_support import ASSIGNMENT
from jupyter_support import jupyter
from reports_support import clone_course


@pytest.fixture(scope="module")
def formgrader(graded, tmp_path_factory):
    pytest.importorskip("jupyter_server")
    base = tmp_path_factory.mktemp("formgrader")
    root = clone_course(graded[0], base / "course")
    env = {"JUPYTER_DATA_DIR": str(base / ".data"), "JUPYTER_RUNTIME_DIR": str(base / ".runtime")}
    extension = "--ServerApp.jpserver_extensions={'nbgrader.server_extensions.formgrader': True}"
    with jupyter("server", root, base, extension, env=env) as (url, token):

        def call(path, method="GET", body=None):
            req = urllib.request.Request(
                url + path,
                method=method,
                headers={"Authorization": f"token {token}"},
                data=json.dumps(body).encode() if body is not None else None,
            )
            with urllib.request.urlopen(req, timeout=20) as r:
                return json.loads(r.read())

        yield root, call


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
