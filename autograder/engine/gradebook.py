"""The one writer of nbgrader's gradebook, doing what ``nbgrader autograde`` does.

For each submission: the student and the submission rows (``update_or_create_*``, so a
rerun updates and never duplicates), every grade cell's ``auto_score`` and
``needs_manual_grade`` (as nbgrader's ``SaveAutoGrades``), the solution cells' auto
comments (nbgrader's "No response." when unchanged, plus the engine's flags), and the
executed notebook in ``autograded/<student>/<assignment>/`` for ``generate_feedback``.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path


class GradebookWriter:
    """Holds one connection for a whole grading run (only the driver writes). nbgrader is
    imported here, not with the module: the driver starts its sandboxes before it needs it."""

    def __init__(self, db_url: str, course_id: str, course: Path | None = None):
        from nbgrader.api import Gradebook

        warnings.filterwarnings("ignore", module="nbgrader.api")
        warnings.filterwarnings("ignore", message=".*not in session.*")
        self.gb = Gradebook(db_url, course_id)
        self.course = course
        self._late: object = None  #: the course's late-penalty step, made for the first late hand-in

    def close(self) -> None:
        self.gb.close()

    def students(self) -> set[str]:
        """The student ids in the gradebook (the roster, once one is imported)."""
        return {s.id for s in self.gb.students}

    def grade_cells(self, assignment: str, notebook: str) -> dict[str, float]:
        """grade id -> max score, as the instructor's release recorded them."""
        nb = self.gb.find_notebook(notebook, assignment)
        return {c.name: float(c.max_score) for c in nb.grade_cells}

    def solution_cells(self, assignment: str, notebook: str) -> dict[str, str]:
        """grade id -> checksum of the source (for nbgrader's "No response.")."""
        nb = self.gb.find_notebook(notebook, assignment)
        return {c.name: c.checksum for c in nb.source_cells if c.name in {s.name for s in nb.solution_cells}}

    def record(
        self,
        assignment: str,
        student: str,
        notebook: str,
        scores: dict[str, float | None],
        comments: dict[str, str | None],
        timestamp: str | None,
    ) -> None:
        from nbgrader.api import MissingEntry

        gb = self.gb
        try:
            gb.update_or_create_student(student)
            kwargs = {"timestamp": timestamp} if timestamp else {}
            submission = gb.update_or_create_submission(assignment, student, **kwargs)
            nb = gb.find_submission_notebook(notebook, assignment, student)
            # the notebook's grades and comments in one query each (not one per grade cell)
            grades = {g.name: g for g in nb.grades}
            notes = {c.name: c for c in nb.comments}
            for grade_id, score in scores.items():
                grade = grades.get(grade_id) or gb.find_grade(grade_id, notebook, assignment, student)
                grade.auto_score = score
                grade.needs_manual_grade = grade.manual_score is not None or score is None
            for grade_id, text in comments.items():
                comment = notes.get(grade_id)
                if comment is None:
                    try:
                        comment = gb.find_comment(grade_id, notebook, assignment, student)
                    except MissingEntry:
                        continue
                comment.auto_comment = text
            gb.db.commit()
            self._late_penalty(submission, nb)
        except Exception:
            gb.db.rollback()
            raise

    def _late_penalty(self, submission, nb) -> None:
        """nbgrader's own rule (its AssignLatePenalties step with the course's plugin)."""
        if self.course is None:
            return
        gb = self.gb
        student = submission.student.id
        nb.late_submission_penalty = None
        if submission.total_seconds_late > 0:
            if self._late is None:  # nbgrader's preprocessors import nbconvert: only when someone is late
                self._late = late_policy(self.course)
            penalty = self._late.plugin_inst.late_submission_penalty(  # type: ignore[attr-defined]
                student, nb.score, submission.total_seconds_late
            )
            if penalty is not None:
                nb.late_submission_penalty = min(max(penalty, 0.0), nb.score)
        gb.db.commit()


def late_policy(course: Path):
    """The late-penalty step configured in the course's nbgrader_config.py, or None."""
    from nbgrader.preprocessors import AssignLatePenalties
    from traitlets.config.loader import PyFileConfigLoader

    from autograder.nbgrader_setup import make_config

    config = make_config(course)
    path = Path(course) / "nbgrader_config.py"
    if path.exists():
        config.merge(PyFileConfigLoader(path.name, path=str(path.parent)).load_config())
    step = AssignLatePenalties(config=config)
    step.init_plugin()
    return step


def write_autograded(course: Path, student: str, assignment: str, notebook: str, nb: dict) -> Path:
    """The executed notebook where ``nbgrader generate_feedback`` looks for it (atomically)."""
    folder = course / "autograded" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{notebook}.ipynb"
    tmp = folder / f".{notebook}.ipynb.tmp"
    tmp.write_text(json.dumps(nb, indent=1) + "\n")
    os.replace(tmp, target)
    stamp = course / "submitted" / student / assignment / "timestamp.txt"
    if stamp.exists():
        shutil.copy(stamp, folder / "timestamp.txt")
    return target
