"""The record channel is data (issue 19): what a cell writes into it costs that cell, and no one else.

A sandbox reports through a FIFO that student code can find in ``/proc/self/fd``. Each
attack of ``attacks.CHANNEL`` writes into it from an answer cell (or from the student's
function, while the checker calls it), in front of an honest answer. On the engine's
fixture (nb90) and on the real ``01_tensors``, one worker grades the hostile submissions
first, in the middle and last, with honest students between them, and:

- the attacked exercise earns zero, ``flagged``, with a flag naming the channel;
- the student's other exercises keep their marks;
- every other student's row equals the row they get when graded alone;
- the run ends with a row per submission and ``summary.csv``.
"""

from __future__ import annotations

import csv
import json

import pytest

from attacks import CHANNEL
from autograder.engine.limits import Limits
from autograder.engine.scheduler import _client, grade
from engine_support import ASSIGNMENT, CHECKS, HONEST, make_course, with_answers

LIMITS = Limits(cell_timeout_s=4, memory_mb=1024, processes=48, output_kb=64)
SECRET = "channel-redteam-secret"


def _row_view(row) -> tuple:
    """What a student sees of a row: status, score, and per cell score, status, flags and message."""
    return (str(row.status), row.score, {g: (v.score, str(v.status), tuple(v.flags), v.message)
                                         for g, v in row.cells.items()})


def _summary(root, assignment) -> dict:
    with open(root / "engine" / "results" / assignment / "summary.csv", newline="") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def _batch(hostile: dict, honest: dict) -> dict:
    """Hostile submissions first, in the middle and last (students are graded in name order)."""
    names = sorted(hostile)
    out = {}
    for i, name in enumerate(names):
        prefix = "a" if i == 0 else "z" if i == len(names) - 1 else "m"
        out[f"{prefix}{i:02d}_{name}"] = hostile[name]
    for i, (name, build) in enumerate(sorted(honest.items())):
        out[f"{'b' if i % 2 == 0 else 'n'}{i:02d}_{name}"] = build
    return out


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    monkeypatch.setenv("COURSE_SECRET", SECRET)  # the alone and the batch course share their hidden cases


@pytest.fixture(scope="module")
def client():
    """One single-threaded worker: every submission of a run goes through the same zygote."""
    client, cluster = _client(None, 1)
    yield client
    client.close()
    cluster.close()


def _grade_alone_then_together(client, root, assignment, students, honest):
    """Grade ``honest`` alone, then (their journal entries dropped) everyone; (alone rows, batch rows)."""
    from autograder.engine.journal import Journal

    def run(chosen):
        return {r.student: r for r in grade(assignment, root, client=client, limits=LIMITS, students=chosen,
                                            extra_checks=(CHECKS,), progress=False)}

    alone = run(sorted(honest))
    for student in honest:
        Journal(root, assignment).remove(student)
    return alone, run(None)


def _check(alone, rows, root, assignment, attacked: str, students: dict, full: dict):
    assert set(rows) == set(students), "a row per submission"
    assert set(_summary(root, assignment)) == set(students), "summary.csv lists every submission"
    for student, row in rows.items():
        if student in alone:  # an innocent student: exactly the row they get alone
            assert _row_view(row) == _row_view(alone[student]), student
            continue
        verdict = row.cells[attacked]
        assert verdict.score == 0 and verdict.status == "flagged", (student, verdict)
        assert any("(channel)" in f for f in verdict.flags), (student, verdict.flags)
        assert str(row.status) == "flagged", (student, row.status)
        others = {g: v.score for g, v in row.cells.items() if g != attacked}
        assert others == {g: p for g, p in full.items() if g != attacked}, (student, row.cells)


# --- the engine's fixture -------------------------------------------------------------------------

def test_channel_attacks_on_the_fixture_cost_only_their_cell(tmp_path, client):
    hostile = {a.name: (lambda attack: lambda r: with_answers(r, {"nb90.ex2": attack.cell(HONEST["nb90.ex2"])}))(a)
               for a in CHANNEL}
    honest = {"honest": lambda r: with_answers(r, {}),
              "wrong_ex1": lambda r: with_answers(r, {"nb90.ex1": "def double(x):\n    return x + 1"})}
    students = _batch(hostile, honest)
    root = make_course(tmp_path / "course", students)
    alone, rows = _grade_alone_then_together(client, root, ASSIGNMENT, students, {n for n in students if n[0] in "bn"})
    assert _row_view(alone[next(n for n in alone if n.endswith("_honest"))])[1] == 3.0
    _check(alone, rows, root, ASSIGNMENT, "nb90-ex2", students, {"nb90-ex1": 1.0, "nb90-ex2": 1.0, "nb90-ex3": 1.0})


# --- the real 01_tensors ----------------------------------------------------------------------------

def _solution_answers(path) -> dict[str, str]:
    """exercise id -> the solution's answer cell, as a student would type it."""
    nb = json.loads(path.read_text())
    out = {}
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if gid.endswith("-answer"):
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            out[gid[: -len("-answer")].replace("-", ".", 1)] = "\n".join(
                ln for ln in src.splitlines() if ln.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
    return out


@pytest.mark.kernel
def test_channel_attacks_on_01_tensors_cost_only_their_cell(tmp_path, client):
    from coursedir import prepare
    from nbgrader_batch import replace_answers
    from support import NOTEBOOKS, SOLUTIONS

    src = SOLUTIONS / "01_tensors.ipynb"
    answers = _solution_answers(src)
    release = NOTEBOOKS / src.name

    def notebook(changes: dict):
        return replace_answers(release, {**answers, **changes})

    # the three examples of issue 19 and a call-time variant, in ex5 (an answer other answers do not call)
    attacks = [a for a in CHANNEL if a.variant == "issue 19" or a.at_call]
    hostile = {a.name: notebook({"nb01.ex5": a.cell(answers["nb01.ex5"])}) for a in attacks}
    honest = {"solution": notebook({}), "blank_ex3": replace_answers(release, {k: v for k, v in answers.items()
                                                                              if k != "nb01.ex3"})}
    students = _batch(hostile, honest)
    root = prepare(tmp_path / "course", [src], {name: {"01_tensors": nb} for name, nb in students.items()})
    alone, rows = _grade_alone_then_together(client, root, "01_tensors", students, {n for n in students if n[0] in "bn"})
    solution = next(n for n in alone if n.endswith("_solution"))
    full = {g: v.max_score for g, v in alone[solution].cells.items()}
    assert alone[solution].score == sum(full.values()) > 0 and str(alone[solution].status) == "graded"
    _check(alone, rows, root, "01_tensors", "nb01-ex5", students, full)
