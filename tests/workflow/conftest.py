import shutil
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # `workflow_support`


@pytest.fixture(scope="session")
def course_00(tmp_path_factory) -> Path:
    """A course made by `python -m autograder init` with 00_start_here (the cheapest
    notebook); tests copy it, which is itself a use of a relocated course."""
    from workflow_support import cli

    root = tmp_path_factory.mktemp("course_00") / "course"
    done = cli("init", root, "--assignments", "00_start_here", cwd=root.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    return root


@pytest.fixture
def course_copy(course_00, tmp_path) -> Path:
    """A fresh copy of ``course_00`` for one test."""
    return Path(shutil.copytree(course_00, tmp_path / "course"))
