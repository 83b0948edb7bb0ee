"""Plain nbgrader, end to end, on a course directory: release, submit, autograde, read.

This is the reference path that the grading engine must agree with (parity): every
step is nbgrader's own (generate_assignment, autograde, the SQLite gradebook). The
demo and the kernel tests use it to grade example students.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.cells import source_text as _text
from autograder.nbgrader_setup import make_config, write_config_file


@dataclass
class Graded:
    scores: dict[str, float] = field(default_factory=dict)  # grade_id -> score
    max_scores: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)  # grade_id -> text of the test cell's outputs
    errors_outside_tests: list[str] = field(default_factory=list)
    needs_manual: set[str] = field(default_factory=set)  # grade ids waiting for a person (written answers)

    @property
    def total(self) -> float:
        return sum(self.scores.values())

    @property
    def max_total(self) -> float:
        return sum(self.max_scores.values())


def output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(_text(out.get("text")))
        elif out.get("output_type") == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}")
        else:
            data = out.get("data", {})
            parts.append(_text(data.get("text/plain")))
    return "\n".join(parts)


def replace_answers(notebook: Path, answers: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of ``notebook`` with answer cells (by exercise id) replaced by given source."""
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if gid.endswith("-answer"):
            ex_id = gid[: -len("-answer")].replace("-", ".", 1)
            if ex_id in answers:
                cell.source = answers[ex_id]
    return nb


def autograde_class(
    root: Path, sources: list[Path], students: dict[str, dict[str, nbformat.NotebookNode]], secret: str | None = None
) -> dict[str, dict[str, Graded]]:
    """Release ``sources``, submit each student's notebooks, autograde, read the gradebook.

    ``students``: student id -> {assignment: notebook}. Returns student -> assignment -> Graded.
    The kernels get ``secret``, else the caller's ``COURSE_SECRET``, else a fresh random one;
    the caller's environment is left as it was.
    """
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI

    # nbgrader 0.9.6 trips SQLAlchemy 2's autoflush warnings on every submission: noise.
    warnings.filterwarnings("ignore", module="nbgrader.api")
    warnings.filterwarnings("ignore", message=".*not in session.*")

    root.mkdir(parents=True, exist_ok=True)
    write_config_file(root)
    config = make_config(root)
    api = NbGraderAPI(config=config)
    saved = os.environ.get("COURSE_SECRET")
    os.environ["COURSE_SECRET"] = secret or saved or secrets.token_hex(8)  # kernels inherit it
    try:
        _release(api, root, sources)
        _submit(root, config.CourseDirectory.db_url, students)
        for student, notebooks in students.items():
            for assignment in notebooks:
                result = api.autograde(assignment, student)
                assert result["success"], result.get("error") or result.get("log")
    finally:
        if saved is None:
            os.environ.pop("COURSE_SECRET", None)
        else:
            os.environ["COURSE_SECRET"] = saved

    graded: dict[str, dict[str, Graded]] = {}
    with Gradebook(config.CourseDirectory.db_url) as gb:
        for student, notebooks in students.items():
            for assignment in notebooks:
                graded.setdefault(student, {})[assignment] = _graded(gb, root, student, assignment)
    return graded


def _release(api, root: Path, sources: list[Path]) -> None:
    for src in sources:
        (root / "source" / src.stem).mkdir(parents=True, exist_ok=True)
        shutil.copy(src, root / "source" / src.stem / src.name)
        result = api.generate_assignment(src.stem)
        assert result["success"], result.get("error") or result.get("log")


def _submit(root: Path, db_url: str, students: dict[str, dict[str, nbformat.NotebookNode]]) -> None:
    """The students into the gradebook, their notebooks into submitted/ (all at one time)."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        for student in students:
            gb.update_or_create_student(student)
    for student, notebooks in students.items():
        for assignment, nb in notebooks.items():
            folder = root / "submitted" / student / assignment
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, folder / f"{assignment}.ipynb")
            (folder / "timestamp.txt").write_text("2026-01-01 00:00:00.000000 UTC")


def _graded(gb, root: Path, student: str, assignment: str) -> Graded:
    """One student's notebook as the gradebook scored it, with the outputs of its autograded copy."""
    g = Graded()
    sub = gb.find_submission_notebook(assignment, assignment, student)
    for grade in sub.grades:
        g.scores[grade.name] = grade.score
        g.max_scores[grade.name] = grade.max_score
        if grade.needs_manual_grade:
            g.needs_manual.add(grade.name)
    autograded = root / "autograded" / student / assignment / f"{assignment}.ipynb"
    nb = json.loads(autograded.read_text())
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        text = output_text(cell)
        if meta.get("grade") and meta.get("grade_id"):
            g.outputs[meta["grade_id"]] = text
        elif any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            g.errors_outside_tests.append(text)
    return g
