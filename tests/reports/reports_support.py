"""A small graded class for the tests of feedback, export, report and regrade.

The engine's fixture assignment (three one-point exercises), graded once by the engine,
with one student per situation the pages and files must show: honest work, named
mistakes, a blank notebook, a timeout, a crash, tampering, a Colab save carrying
personal metadata, untrusted HTML in an answer, a late submission, collect's
"restored" metadata, and a student on the roster who handed nothing in.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from autograder.engine.limits import Limits
from engine_support import ASSIGNMENT, CHECKS, HONEST, colab_like, make_course, with_answers

LIMITS = Limits(cell_timeout_s=3, memory_mb=1024)
#: planted in gina's notebook: must never reach any page or file but her own answers
PERSONAL = ("Gina Privatename", "gina.private@example.org", "ABX9TyPlantedAuthorshipTag")
SCRIPT = '<script>alert("pwned")</script>'
DUE = "2026-01-01 12:00:00"
LATE_STAMP = "2026-01-02 00:00:00.000000 UTC"
NO_SUBMISSION = "hank08"


def _ans(**answers):
    return lambda release: with_answers(release, {k.replace("_", "."): v for k, v in answers.items()})


def _gina(release):
    nb = colab_like(with_answers(release, {}))
    nb["metadata"]["colab"]["authorship_tag"] = PERSONAL[2]
    nb["metadata"]["author"] = {"name": PERSONAL[0], "email": PERSONAL[1]}
    for cell in nb["cells"]:
        cell["metadata"]["colab"] = {"base_uri": "https://localhost:8080/", "outputId": "x-1", "user": PERSONAL[0]}
    return nb


STUDENTS = {
    "alice01": _ans(),
    "bob02": _ans(
        nb90_ex1="def double(x):\n    return x + x + 1", nb90_ex2="def square(x):\n    return x.double() * x.double()"
    ),
    "carol03": lambda release: release,
    "dave04": _ans(nb90_ex2=HONEST["nb90.ex2"] + "\nwhile True:\n    pass"),
    "erin05": _ans(nb90_ex3="def add_one(x):\n    import os\n    os._exit(3)"),
    "frank06": _ans(nb90_ex2=HONEST["nb90.ex2"] + "\nimport torch\ntorch.equal = lambda a, b: True"),
    "gina07": _gina,
    "ivan09": _ans(nb90_ex1=f"def double(x):\n    # {SCRIPT} & </pre></code>\n    return 2 * x"),
}


def build(root: Path, checks: Path = CHECKS) -> Path:
    """The class, graded (returns the course directory)."""
    from nbgrader.api import Gradebook

    from autograder.engine.scheduler import grade
    from autograder.nbgrader_setup import make_config, write_late_policy

    make_course(root, STUDENTS)
    (root / "submitted" / "ivan09" / ASSIGNMENT / "timestamp.txt").write_text(LATE_STAMP)
    write_late_policy(root, 0.1)
    with Gradebook(make_config(root).CourseDirectory.db_url) as gb:
        gb.update_or_create_assignment(ASSIGNMENT, duedate=DUE)
        gb.update_or_create_student(NO_SUBMISSION, first_name="Hank", last_name="Nohand", lms_user_id="900008")
        gb.update_or_create_student("alice01", first_name="Alice", last_name="Anders", email="alice@example.org")
    (root / "collect").mkdir(exist_ok=True)
    (root / "collect" / "report.json").write_text(
        json.dumps(
            {
                "placed": [
                    {"student": "gina07", "assignment": ASSIGNMENT, "restored": ["nb90-ex1-answer"]},
                    {"student": "alice01", "assignment": ASSIGNMENT, "restored": []},
                ],
                "unplaced": [
                    {
                        "origin": "inbox/unknown.ipynb",
                        "reason": "unknown-student",
                        "detail": "no roster match",
                        "kept_at": "collect/quarantine/unknown.ipynb",
                    }
                ],
            }
        )
    )
    grade(ASSIGNMENT, root, workers=2, limits=LIMITS, extra_checks=[checks], progress=False)
    return root


def copy_checks(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / CHECKS.name
    shutil.copy(CHECKS, target)
    return target


def clone_course(src: Path, dst: Path) -> Path:
    """A copy of a graded course that tests may change (its nbgrader_config.py points at the copy)."""
    from autograder.nbgrader_setup import write_config_file, write_late_policy

    shutil.copytree(src, dst, symlinks=True)
    write_config_file(dst)
    write_late_policy(dst, 0.1)
    return dst


def use_checks(path: Path) -> None:
    """Make this process's ``course.checks.nb90`` the one in ``path`` (a checker "fix").

    The engine imports a checkers file once per process; a test that changes the file
    and regrades in-process must drop the old module and its exercises first.
    """
    import sys

    from course.checks import load_file as load_checks_file
    from course.checking.exercise import REGISTRY

    for key in [k for k in REGISTRY if k.startswith("nb90.")]:
        del REGISTRY[key]
    sys.modules.pop("course.checks.nb90", None)
    load_checks_file(str(path))
