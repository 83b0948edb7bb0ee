"""For courses on JupyterHub: nbgrader's own exchange commands on a local exchange
directory (release, fetch, submit, collect), then the engine grades what was collected."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from coursedir import prepare
from autograder.engine.scheduler import grade
from autograder.nbgrader_setup import write_config_file
from autograder.paths import SOLUTIONS

pytestmark = pytest.mark.kernel

A = "00_start_here"


def _nbgrader(*args, cwd):
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    out = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, f"nbgrader {args[0]} failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
    return out


def test_release_fetch_submit_collect_then_grade(tmp_path):
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    os.chmod(exchange, 0o777)  # nbgrader's exchange is shared by every user of the hub
    root = prepare(tmp_path / "course", [SOLUTIONS / f"{A}.ipynb"], {})
    write_config_file(root, exchange=exchange)

    _nbgrader("release_assignment", A, cwd=root)
    student_home = tmp_path / "ada"
    student_home.mkdir()
    common = ["--course", "pytorch-course", f"--Exchange.root={exchange}"]
    _nbgrader("fetch_assignment", A, *common, cwd=student_home)
    fetched = student_home / A / f"{A}.ipynb"
    nb = json.loads(fetched.read_text())
    for cell in nb["cells"]:  # the student answers
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "nb00-ex1-answer":
            cell["source"] = "def ones_like_shape(x):\n    return torch.ones(x.shape)\n"
    fetched.write_text(json.dumps(nb))
    _nbgrader("submit", A, *common, "--student=ada", cwd=student_home)

    _nbgrader("collect", A, cwd=root)
    assert (root / "submitted" / "ada" / A / f"{A}.ipynb").exists()
    rows = grade(A, root, progress=False, workers=1)
    assert [(r.student, r.score, r.max_score) for r in rows] == [("ada", 1.0, 1.0)]
