"""The driver's grading of one submission notebook: a list of named steps, each doing one thing.

Like nbgrader's converters, which declare their preprocessors, :data:`STEPS` lists what
happens to a submission once its sandbox runs are back, in order, each step a small
function on one :class:`Grading` state:

1. ``fill_outputs``: the cells' outputs from the sandbox into the feedback notebook;
2. ``note_left_out_cells``: a note on each cell that was left out, with why; and on each
   cell not run because no graded answer depends on it (``needed.py``);
3. ``judge_cells``: a verdict per graded cell (the checker's, with its result boxes in
   the test cell; nbgrader's rule for manual or checker-less cells; or "not run");
4. ``apply_bad_cells``: zero for the exercise that owns a bad cell, with the reason;
5. ``flag_missing_answers``: an answer cell the submission does not hold;
6. ``flag_altered_cells``: test or locked cells the student changed (a flag, no penalty);
7. ``roll_up_status``: the notebook's status from its verdicts and its runs;
8. ``make_row``: the row (scores, flags, notes, timings, unchanged answers).

:func:`grade_notebook` runs them and returns the row and the feedback notebook.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from autograder.engine import judge as judging
from autograder.engine import notebook as nbmod
from autograder.engine.records import (
    FAULT_ROW,
    FAULT_VERDICT,
    Fault,
    Row,
    RowStatus,
    RunResult,
    RunStatus,
    Timings,
    Verdict,
    VerdictStatus,
)


@dataclass(frozen=True)
class NotRun:
    """Why a submission notebook was not run at all: its row's status and the reason."""

    status: RowStatus
    why: str


@dataclass
class Grading:
    """One submission notebook on its way through :data:`STEPS`."""

    student: str
    notebook: str
    source: nbmod.Source
    plan: nbmod.Plan
    result: RunResult | None
    not_run: NotRun | None
    max_scores: dict[str, float]
    cases: judging.Cases
    cell_timeout_s: float = 0.0  #: what a cell stopped at the time limit counts in ``exercise_s``
    #: grade id -> the release's checksum of each answer cell, from the gradebook (the plan's cells carry
    #: the instructor source's metadata, and a student could edit a submitted cell's)
    released_checksums: dict[str, str] = field(default_factory=dict)
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    status: RowStatus = RowStatus.GRADED
    row: Row | None = None
    t0: float = field(default_factory=time.perf_counter)

    @property
    def cells(self) -> list[dict]:
        """The feedback notebook's cells (the plan's, filled in)."""
        return self.plan.cells

    @property
    def steps(self) -> dict:
        return self.result.steps if self.result is not None else {}

    @property
    def bad(self) -> dict:
        return self.result.bad if self.result is not None else {}

    def code_cell(self, k: int | None) -> dict | None:
        return (
            self.cells[k]
            if k is not None and 0 <= k < len(self.cells) and self.cells[k]["cell_type"] == "code"
            else None
        )

    def by_exercise(self) -> dict[str, Verdict]:
        return {v.exercise: v for v in self.verdicts.values() if v.exercise}


def fill_outputs(g: Grading) -> None:
    for k, step in g.steps.items():
        cell = g.code_cell(k)
        if cell is not None:
            cell["outputs"] = [o.to_nbformat() for o in step.outputs]
            cell["execution_count"] = step.execution_count


def note_left_out_cells(g: Grading) -> None:
    for k, bad in g.bad.items():
        cell = g.code_cell(k)
        if cell is not None:
            cell["outputs"] = cell.get("outputs", []) + [
                judging.note(f"[grading engine] This cell was left out: it {bad.reason} ({bad.fault}).")
            ]
    for k in g.plan.skipped:
        cell = g.code_cell(k)
        if cell is not None and k not in g.steps:
            cell["outputs"] = [judging.note("[grading engine] Not run under grading: no graded answer depends on it.")]


def judge_cells(g: Grading) -> None:
    for s in g.source.tests:
        g.verdicts[s.grade_id or ""] = _verdict(g, s)


def _verdict(g: Grading, s: nbmod.SourceCell) -> Verdict:
    """One graded cell's verdict: not run, by hand, by its outputs, or by its checker."""
    gid = s.grade_id or ""  # a graded cell always has one
    k = g.plan.tests.get(gid)
    max_score = g.max_scores.get(gid, float(s.points or 0))
    if g.not_run is not None:
        return judging.not_run(gid, s.exercise, max_score, g.not_run.why)
    if s.role != nbmod.TEST:  # manually graded answers: nbgrader's rule
        score = _manual_score(g.cells, gid, g.released_checksums.get(gid))
        return Verdict(
            gid,
            None,
            gid,
            score,
            max_score,
            VerdictStatus.MANUAL,
            "No response." if score == 0.0 else "Needs manual grading.",
        )
    if gid in g.plan.by_outputs:
        cell = g.code_cell(k)
        if k not in g.steps or cell is None:
            return judging.not_run(gid, None, max_score, "The cell did not run.")
        return judging.by_outputs(gid, max_score, cell)
    step = g.steps.get(k) if k is not None else None
    verdict, outputs = judging.decide(
        gid,
        s.exercise or "",
        max_score,
        step,
        g.result.blobs.get(k, b"") if g.result is not None and k is not None else b"",
        g.cases,
    )
    cell = g.code_cell(k)
    if cell is not None and outputs:
        cell["outputs"] = outputs
    return verdict


def _manual_score(cells: list[dict], grade_id: str, checksum: str | None) -> float | None:
    """nbgrader's rule: 0 for an answer left as released (the release's checksum), else None (a person grades it)."""
    import nbformat
    from nbgrader.utils import compute_checksum

    cell = next((c for c in cells if nbmod._nbgrader(c).get("grade_id") == grade_id), None)
    if cell is None or not checksum:
        return None
    return 0.0 if compute_checksum(nbformat.from_dict(cell)) == checksum else None


def apply_bad_cells(g: Grading) -> None:
    """Zero for the exercise a bad cell belongs to (its answer, its section, its test)."""
    by_exercise = g.by_exercise()
    for k, bad in sorted(g.bad.items()):
        if k < 0:  # no cell to blame: the exercises never reached say why
            for v in g.verdicts.values():
                if v.status == VerdictStatus.NOT_RUN:
                    v.flags.append(bad.reason)
            continue
        owned = by_exercise.get(g.plan.owner.get(k) or "")
        if owned is None:
            continue
        v = owned
        what = "its test" if g.plan.tests.get(v.grade_id) == k else f"cell {k}"
        v.score, v.status, v.result = 0.0, FAULT_VERDICT[bad.fault], None
        v.flags.append(f"{what} {bad.reason} ({bad.fault})")
        v.message = f"Zero: {what} {bad.reason}."


def flag_missing_answers(g: Grading) -> None:
    if g.not_run is not None:
        return
    by_exercise = g.by_exercise()
    for ex_id, why in g.plan.missing_answers.items():
        v = by_exercise.get(ex_id)
        if v is not None:
            v.flags.append(why)
            if not v.score:  # a deleted or re-marked answer cell: zero, and a person should look
                v.status = VerdictStatus.FLAGGED


def flag_altered_cells(g: Grading) -> None:
    """Test or locked cells, or their metadata, changed: the source's cells ran, so the score
    stands, but a person should look."""
    if g.not_run is not None:
        return
    by_exercise = g.by_exercise()
    for ex_id, whys in g.plan.altered.items():
        v = by_exercise.get(ex_id)
        if v is not None:
            v.flags.extend(whys)
            v.status = VerdictStatus.FLAGGED


def roll_up_status(g: Grading) -> None:
    statuses = {v.status for v in g.verdicts.values()}
    result = g.result
    if g.not_run is not None:
        g.status = g.not_run.status
    if VerdictStatus.FLAGGED in statuses:
        g.status = RowStatus.FLAGGED
    elif statuses & {VerdictStatus.CRASHED, VerdictStatus.TIMEOUT}:
        g.status = RowStatus.ERRORS
    elif result is not None and result.status == RunStatus.STOPPED and -1 in result.bad:
        g.status = FAULT_ROW[result.bad[-1].fault]
    elif result is not None and result.status == RunStatus.TOO_MANY_FAILURES:
        g.status = RowStatus.TOO_MANY_FAILURES


def make_row(g: Grading) -> None:
    verdicts = g.verdicts
    row = Row(
        g.student,
        g.notebook,
        g.status,
        score=round(sum(v.score or 0 for v in verdicts.values()), 4),
        max_score=sum(v.max_score for v in verdicts.values()),
        cells=verdicts,
        flags=[f"{gid}: {f}" for gid, v in verdicts.items() for f in v.flags],
        notes=list(g.plan.notes) + ([g.not_run.why] if g.not_run is not None else []),
        timings=_timings(g.result),
        unchanged=_unchanged_answers(g.cells),
    )
    row.timings.exercise_s = _exercise_seconds(g)
    row.timings.judge_s = time.perf_counter() - g.t0
    g.row = row


def _exercise_seconds(g: Grading) -> dict[str, float]:
    """Sandbox seconds per exercise (time in grading): the cells the plan gives it; a cell
    stopped at the time limit counts the limit."""
    seconds = {k: float(step.seconds) for k, step in g.steps.items()}
    if g.result is not None:
        seconds.update(
            {k: g.cell_timeout_s for k, bad in g.result.bad.items() if k >= 0 and bad.fault == Fault.TIMEOUT}
        )
    out: dict[str, float] = {}
    for k, s in seconds.items():
        ex = g.plan.owner.get(k)
        if ex:
            out[ex] = round(out.get(ex, 0.0) + s, 4)
    return out


def _timings(result: RunResult | None) -> Timings:
    if result is None:
        return Timings()
    t = result.timings
    return Timings(
        startup_s=t.startup_s,
        compute_s=t.compute_s,
        runs=len(result.runs),
        maxrss_kb=t.maxrss_kb,
        worker_pid=t.worker_pid,
        zygote_pid=t.zygote_pid,
        zygote_start_s=t.zygote_start_s,
        worker_maxrss_kb=t.worker_maxrss_kb,
        zygote_rss_kb=t.zygote_rss_kb,
    )


def _unchanged_answers(cells: list[dict]) -> list[str]:
    """Answer cells whose checksum is the released one (nbgrader's "No response.")."""
    import nbformat
    from nbgrader.utils import compute_checksum

    out = []
    for cell in cells:
        meta = nbmod._nbgrader(cell)
        if meta.get("solution") and meta.get("checksum"):
            try:
                if compute_checksum(nbformat.from_dict(cell)) == meta["checksum"]:
                    out.append(meta["grade_id"])
            except Exception:  # noqa: BLE001 - a cell nbformat cannot read is a changed one
                pass
    return out


#: What happens to a submission notebook, in order (see the module docstring).
STEPS: tuple[Callable[[Grading], None], ...] = (
    fill_outputs,
    note_left_out_cells,
    judge_cells,
    apply_bad_cells,
    flag_missing_answers,
    flag_altered_cells,
    roll_up_status,
    make_row,
)


def grade_notebook(g: Grading) -> tuple[Row, dict]:
    """Every step on ``g``; the row and the feedback notebook (the source's, with these cells)."""
    for step in STEPS:
        step(g)
    assert g.row is not None
    nb = dict(g.source.nb)
    nb["cells"] = g.cells
    return g.row, nb


def failed_row(student: str, notebook: str, source: nbmod.Source, max_scores: dict[str, float], why: str) -> Row:
    """The row of a notebook whose grading itself failed: every graded cell not run, with the reason."""
    cells = {
        gid: judging.not_run(gid, s.exercise, max_scores.get(gid, float(s.points or 0)), why)
        for s in source.tests
        for gid in [s.grade_id or ""]
    }
    return Row(
        student, notebook, RowStatus.ENGINE_ERROR, 0.0, sum(v.max_score for v in cells.values()), cells, notes=[why]
    )
