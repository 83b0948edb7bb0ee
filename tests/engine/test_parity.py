"""Parity with plain nbgrader on honest submissions of a real notebook (00_start_here).

The same submissions and the same secret go through one plain ``nbgrader autograde``
and through the engine: the scores agree, except where they differ by design. Plain
nbgrader zeroes a test cell that printed anything to stderr (a debug print, a tqdm bar,
a logging call inside the student's function); the engine scores the data, so a
working function that also writes to stderr keeps its points.
"""

from __future__ import annotations

import json

import nbformat
import pytest

import coursedir
from autograder.engine.scheduler import grade
from nbgrader_batch import replace_answers
from support import NOTEBOOKS, SOLUTIONS

pytestmark = pytest.mark.kernel

SRC = SOLUTIONS / "00_start_here.ipynb"
ASSIGNMENT = SRC.stem
SECRET = "parity-secret"


def _students() -> dict:
    release = NOTEBOOKS / SRC.name
    return {
        "solution": nbformat.read(SRC, as_version=4),
        "blank": nbformat.read(release, as_version=4),
        "wrong_dtype": replace_answers(
            release, {"nb00.ex1": "def ones_like_shape(x):\n    return torch.ones(x.shape, dtype=torch.int64)"}
        ),
        "own_words": replace_answers(
            release, {"nb00.ex1": "def ones_like_shape(x):\n    return torch.ones_like(x, dtype=torch.float32)"}
        ),
        "stderr_debug": replace_answers(
            release,
            {
                "nb00.ex1": "import sys\n\ndef ones_like_shape(x):\n"
                "    print('shape', x.shape, file=sys.stderr)\n"
                "    return torch.ones(x.shape)"
            },
        ),
    }


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    students = {s: {ASSIGNMENT: nb} for s, nb in _students().items()}
    plain_root = coursedir.prepare(tmp_path_factory.mktemp("plain") / "course", [SRC], students)
    engine_root = coursedir.prepare(tmp_path_factory.mktemp("engine") / "course", [SRC], students)
    coursedir.plain_autograde(plain_root, ASSIGNMENT, SECRET)
    mp = pytest.MonkeyPatch()
    mp.setenv("COURSE_SECRET", SECRET)
    try:
        grade(ASSIGNMENT, engine_root, workers=2, progress=False)
    finally:
        mp.undo()
    return (
        coursedir.gradebook_scores(plain_root, ASSIGNMENT),
        coursedir.gradebook_scores(engine_root, ASSIGNMENT),
        plain_root,
    )


def test_same_scores_on_honest_submissions(both):
    plain, engine, _ = both
    for student in ("solution", "blank", "wrong_dtype", "own_words"):
        assert engine[student] == plain[student], (student, plain[student], engine[student])
    assert engine["solution"] == {"nb00-ex1": 1.0} and engine["blank"] == {"nb00-ex1": 0.0}


def test_stderr_is_the_deliberate_difference(both):
    plain, engine, plain_root = both
    assert plain["stderr_debug"] == {"nb00-ex1": 0.0}
    assert engine["stderr_debug"] == {"nb00-ex1": 1.0}
    nb = json.loads((plain_root / "autograded" / "stderr_debug" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    test = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "nb00-ex1")
    assert any(o.get("name") == "stderr" for o in test["outputs"])  # why nbgrader gave zero
    assert not any(o.get("output_type") == "error" for o in test["outputs"])
