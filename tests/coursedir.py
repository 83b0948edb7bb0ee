"""nbgrader course directories for the engine's tests and benchmark.

``prepare`` releases source notebooks with nbgrader's own ``generate_assignment`` and
files submissions where nbgrader expects them; ``plain_autograde`` runs one plain
``nbgrader autograde`` command over all of them (the reference for parity and speed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat

from autograder.nbgrader_setup import make_config, write_config_file

TIMESTAMP = "2026-01-01 00:00:00.000000 UTC"


def prepare(root: Path, sources: list[Path], students: dict[str, dict[str, object]]) -> Path:
    """Release ``sources`` into course ``root`` and submit ``students``' notebooks.

    ``students``: student id -> {assignment: notebook (NotebookNode, dict) or raw bytes}.
    """
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI

    warnings.filterwarnings("ignore", module="nbgrader.api")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    write_config_file(root)
    config = make_config(root)
    api = NbGraderAPI(config=config)
    for src in sources:
        (root / "source" / src.stem).mkdir(parents=True, exist_ok=True)
        shutil.copy(src, root / "source" / src.stem / src.name)
        result = api.generate_assignment(src.stem)
        if not result["success"]:
            raise RuntimeError(result.get("error") or result.get("log"))
    with Gradebook(config.CourseDirectory.db_url) as gb:
        for student in students:
            gb.update_or_create_student(student)
    for student, notebooks in students.items():
        for assignment, nb in notebooks.items():
            submit(root, student, assignment, nb)
    return root


def submit(root: Path, student: str, assignment: str, nb) -> Path:
    folder = Path(root) / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment}.ipynb"
    if isinstance(nb, bytes):
        path.write_bytes(nb)
    else:
        nbformat.write(nbformat.from_dict(nb), path)
    (folder / "timestamp.txt").write_text(TIMESTAMP)
    return path


def plain_autograde(root: Path, assignment: str, secret: str, timeout: float = 3600) -> float:
    """One ``nbgrader autograde ASSIGNMENT`` over every submission; returns its seconds."""
    import time

    env = dict(os.environ, COURSE_SECRET=secret)
    bindir = os.path.dirname(sys.executable)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    cmd = [sys.executable, "-m", "nbgrader", "autograde", assignment, "--force"]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"nbgrader autograde failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return time.perf_counter() - t0


def gradebook_scores(root: Path, assignment: str) -> dict[str, dict[str, float | None]]:
    """student -> grade id -> auto score, read with nbgrader's API."""
    from nbgrader.api import Gradebook

    config = make_config(root)
    out: dict = {}
    with Gradebook(config.CourseDirectory.db_url) as gb:
        for sub in gb.assignment_submissions(assignment):
            for nb in sub.notebooks:
                for grade in nb.grades:
                    out.setdefault(sub.student.id, {})[grade.name] = grade.auto_score
    return out
