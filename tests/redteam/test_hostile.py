"""The engine under a hostile class, on the real 01_tensors and 05_optimizers (issue 19).

Every attack of ``hostile.HOSTILE`` (forged channel records, facts made to lie, something
left running to crash a later cell, rewrites of what watches the sandbox) is one
student's submission: the solution, with one answer cell replaced by the attack. Per
notebook (01_tensors, 05_optimizers, and the engine's fixture for the variants that do
not depend on the notebook) one batch is graded once by one single-threaded worker:
hostile submissions first, in the middle and last, honest students between them; the
honest students are also graded alone. Then, asserted many ways on those gradings:

- the attacked exercise earns zero, with the status and the reason the attack must get;
- every other exercise of that student keeps its full marks;
- every honest student's row equals, field by field, the row they get alone;
- every submission has a row, in ``summary.csv`` too;
- what ``collect`` repaired (a deleted test cell, raised points, a renamed grade id, a
  claimed grade id) is a flag on its exercise in the row, ``summary.csv``, the journal
  and formgrader's comments, with the score from the source's cells; metadata a Colab
  save lost is a note.

This is the slowest module of the red team (two real notebooks, 36 attacks on them and
24 on the fixture, most graded twice because the attacked cell is left out and the
notebook replayed; the honest students graded alone too, which the isolation invariant
needs): see the report of ``make test`` for its seconds.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from batch_support import SECRET, batch, grade_alone_then_together, is_honest, row_view, solution_answers, summary
from hostile import FIXTURE, HOSTILE, Hostile

REAL = ("01_tensors", "05_optimizers")
NOTEBOOKS = REAL + (FIXTURE,)
#: A name that only a later answer of the notebook defines (what a delayed attack waits for).
LATER = {"01_tensors": "predict_on", "05_optimizers": "lr_sweep", FIXTURE: "add_one"}
REPAIRED = ("deleted_test", "raised_points", "renamed_gid", "claimed_gid", "colab_save")


def _repaired(release: Path, answers: dict[str, str]) -> dict[str, dict]:
    """Honest 01 notebooks as students damage them, before ``collect`` repairs them."""
    from nbgrader_batch import replace_answers

    def nb() -> dict:
        return json.loads(json.dumps(replace_answers(release, answers)))

    def cell(notebook: dict, gid: str) -> dict:
        return next(c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == gid)

    out = {}
    deleted = nb()
    deleted["cells"].remove(cell(deleted, "nb01-ex3"))
    out["deleted_test"] = deleted
    raised = nb()
    cell(raised, "nb01-ex4")["metadata"]["nbgrader"]["points"] = 100
    out["raised_points"] = raised
    renamed = nb()
    cell(renamed, "nb01-ex5")["metadata"]["nbgrader"]["grade_id"] = "nb01-ex5-mine"
    out["renamed_gid"] = renamed
    claimed = nb()
    extra = {
        "cell_type": "code",
        "id": "mine",
        "execution_count": None,
        "outputs": [],
        "source": "pass",
        "metadata": {"nbgrader": {**cell(claimed, "nb01-ex6")["metadata"]["nbgrader"], "points": 50}},
    }
    claimed["cells"].insert(claimed["cells"].index(cell(claimed, "nb01-ex6")), extra)
    out["claimed_gid"] = claimed
    colab = nb()
    for c in colab["cells"]:
        c["metadata"] = {}
    out["colab_save"] = colab
    return out


def _fixture_course(root: Path, attacks: dict[str, Hostile]) -> tuple[Path, dict]:
    from engine_support import HONEST, make_course, with_answers

    def answer(exercise: str, source: str):
        return lambda release: with_answers(release, {exercise: source})

    hostile = {name: answer(h.exercise, h.cell(HONEST[h.exercise], LATER[FIXTURE])) for name, h in attacks.items()}
    honest = {
        "solution": answer("nb90.ex1", HONEST["nb90.ex1"]),
        "blank": answer("nb90.ex1", "def double(x):\n    pass"),
    }
    students = batch(hostile, honest)
    return make_course(root, students), students


def _real_course(root: Path, notebook: str, attacks: dict[str, Hostile]) -> tuple[Path, dict]:
    from autograder.collect import collect
    from coursedir import prepare
    from nbgrader_batch import replace_answers
    from support import NOTEBOOKS as RELEASES
    from support import SOLUTIONS

    src = SOLUTIONS / f"{notebook}.ipynb"
    answers = solution_answers(src)
    release = RELEASES / src.name
    hostile = {
        name: replace_answers(release, {**answers, h.exercise: h.cell(answers[h.exercise], LATER[notebook])})
        for name, h in attacks.items()
    }
    honest: dict = {
        "solution": replace_answers(release, answers),
        "blank": replace_answers(release, {k: v for k, v in answers.items() if k != BLANK[notebook]}),
    }
    handed_in = _repaired(release, answers) if notebook == "01_tensors" else {}
    students = batch(hostile, honest, dict.fromkeys(handed_in))  # collected below
    root = prepare(root, [src], {s: {notebook: nb} for s, nb in students.items() if nb is not None})
    if handed_in:
        folder = root.parent / "handin"
        for student in students:
            name = student.split("_", 1)[1]
            if name in handed_in:
                (folder / student).mkdir(parents=True)
                (folder / student / f"{notebook}.ipynb").write_text(json.dumps(handed_in[name]))
        report = collect(folder, root, assignments=[notebook])
        assert len(report.placed) == len(handed_in) and not report.unplaced, report.summary()
    return root, students


#: The exercise the honest "blank" student leaves as released.
BLANK = {"01_tensors": "nb01.ex3", "05_optimizers": "nb05.ex3", FIXTURE: "nb90.ex1"}


def _grade(root: Path, notebook: str, client) -> dict:
    attacks = {h.name: h for h in HOSTILE if h.notebook == notebook}
    if notebook == FIXTURE:
        root, students = _fixture_course(root, attacks)
    else:
        root, students = _real_course(root, notebook, attacks)
    by_name = {s.split("_", 1)[1]: s for s in students}
    t0 = time.perf_counter()
    alone, rows = grade_alone_then_together(client, root, notebook, {s for s in students if is_honest(s)})
    return {
        "root": root,
        "students": students,
        "attacks": {by_name[n]: h for n, h in attacks.items()},
        "blank": BLANK[notebook].replace(".", "-"),
        "by_name": by_name,
        "alone": alone,
        "rows": rows,
        "seconds": time.perf_counter() - t0,
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory, one_worker):
    """Both notebooks' batches, each graded alone and together once (the module's only gradings)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("COURSE_SECRET", SECRET)
    try:
        return {nb: _grade(tmp_path_factory.mktemp(nb) / "course", nb, one_worker) for nb in NOTEBOOKS}
    finally:
        mp.undo()


def _full(g: dict) -> dict[str, float]:
    solution = g["alone"][g["by_name"]["solution"]]
    assert str(solution.status) == "graded" and solution.score == solution.max_score > 0, solution
    return {gid: v.max_score for gid, v in solution.cells.items()}


def test_the_catalogue_holds_the_issues_examples_and_variants_of_each_class():
    by_class: dict[str, list[Hostile]] = {}
    for h in HOSTILE:
        by_class.setdefault(h.cls, []).append(h)
    assert set(by_class) == {"channel", "facts", "blame", "tripwire"}
    for cls, attacks in by_class.items():
        assert {h.notebook for h in attacks} >= set(REAL), cls  # every class on both real notebooks
        assert len(attacks) >= 6, cls
    names = {h.name for h in HOSTILE}
    issue = {
        "deep_nesting",
        "forged_done_steps",
        "cell_as_list",
        "data_ptr_patched",
        "storage_mode",
        "numpy_mode",
        "detach_mode",
        "sgd_by_name",
        "adam_renamed",
        "thread_exits_later",
        "setitimer",
        "fork_parent_exits",
        "gc_code_sweep",
        "gc_code_sweep_05",
        "function_mode_left_on",
        "dispatch_mode_left_on",
        "storage_class_method",
        "deepcopy_dispatch",
        "watcher_attributes",
        "watcher_lists_cleared",
        "checker_class_swapped",
    }
    assert issue <= names, issue - names
    assert len({h.id for h in HOSTILE}) == len(HOSTILE)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_submission_has_a_row_and_a_line_in_summary(graded, notebook):
    g = graded[notebook]
    assert set(g["rows"]) == set(g["students"])
    assert set(summary(g["root"], notebook)) == set(g["students"])
    held = sum(1 for s in g["attacks"] if g["rows"][s].cells[_gid(g["attacks"][s])].score == 0)
    print(
        f"{notebook}: {len(g['attacks'])} attacks, {held} earned zero on the attacked exercise; "
        f"{len(g['students'])} submissions graded (honest ones twice) in {g['seconds']:.1f} s"
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_honest_student_gets_the_row_they_get_alone(graded, notebook):
    g = graded[notebook]
    innocent = [s for s in g["students"] if is_honest(s)]
    assert innocent and set(innocent) == set(g["alone"])
    for student in innocent:
        assert row_view(g["rows"][student]) == row_view(g["alone"][student]), student
    full = _full(g)
    assert {gid: v.score for gid, v in g["rows"][g["by_name"]["solution"]].cells.items()} == full
    blank = g["rows"][g["by_name"]["blank"]]
    assert {gid: v.score for gid, v in blank.cells.items()} == {**full, g["blank"]: 0.0}, blank
    assert str(blank.status) == "graded", blank


def _gid(h: Hostile) -> str:
    return h.exercise.replace(".", "-")


@pytest.mark.parametrize("attack", HOSTILE, ids=[h.id for h in HOSTILE])
def test_attack_earns_zero_with_its_reason_and_spares_the_rest(graded, attack):
    g = graded[attack.notebook]
    student = next(s for s, h in g["attacks"].items() if h is attack)
    row, gid = g["rows"][student], _gid(attack)
    verdict = row.cells[gid]
    assert verdict.score == 0, (attack.what, verdict)
    statuses, phrases = attack.expect.split("|"), attack.phrase.split("|")
    want = {"flagged": "flagged", "crashed": "crashed", "failed": "failed"}
    assert str(verdict.status) in [want[s] for s in statuses], (attack.what, verdict)
    text = " ".join(verdict.flags) + " " + verdict.message
    assert any(p in text for p in phrases), (attack.what, attack.phrase, verdict)
    if str(verdict.status) == "failed":  # the trick changed nothing: what is left is a wrong answer, unflagged
        assert verdict.result is not None and not verdict.result.passed and not verdict.flags, verdict
    else:  # the reason, in the row, summary.csv and the journal
        assert str(row.status) != "graded" and row.flags and all(f.startswith(f"{gid}: ") for f in row.flags), row
        line = summary(g["root"], attack.notebook)[student]
        assert line["status"] == str(row.status) and all(f in line["flags"] for f in row.flags), line
        entry = json.loads((g["root"] / "engine" / "results" / attack.notebook / f"{student}.json").read_text())
        assert entry["notebooks"][attack.notebook]["row"]["flags"] == row.flags
    full = _full(g)
    others = {c: v.score for c, v in row.cells.items() if c != gid}
    assert others == {c: p for c, p in full.items() if c != gid}, (attack.what, row.cells)


def _comments(root: Path, notebook: str, student: str) -> dict[str, str | None]:
    """formgrader's comments on a student's answer cells (nbgrader's gradebook)."""
    from nbgrader.api import Gradebook

    from autograder.nbgrader_setup import make_config

    with Gradebook(make_config(root).CourseDirectory.db_url) as gb:
        nb = gb.find_submission_notebook(notebook, notebook, student)
        return {c.name: c.auto_comment for c in nb.comments}


REPAIR_FLAGS = {
    "deleted_test": ("nb01-ex3", "put back the test cell nb01-ex3"),
    "raised_points": ("nb01-ex4", "points=100"),
    "renamed_gid": ("nb01-ex5", "nb01-ex5-mine"),
    "claimed_gid": ("nb01-ex6", "points=50"),
}


@pytest.mark.parametrize("name", REPAIRED)
def test_what_collect_repaired_is_a_flag_and_the_score_stands(graded, name):
    from autograder.engine.repairs import MARK

    g = graded["01_tensors"]
    student = g["by_name"][name]
    row, full = g["rows"][student], _full(g)
    assert {gid: v.score for gid, v in row.cells.items()} == full, row
    if name == "colab_save":  # metadata a save lost: restored, said in a note, nothing to flag
        assert str(row.status) == "graded" and not row.flags, row
        assert any("restored the lost nbgrader metadata" in n for n in row.notes), row.notes
        return
    gid, phrase = REPAIR_FLAGS[name]
    flags = [f for f in row.cells[gid].flags if MARK in f]
    assert str(row.status) == "flagged" and flags and any(phrase in f for f in flags), row.cells[gid]
    assert [f for f in row.flags if MARK in f] == [f"{gid}: {f}" for f in flags]
    line = summary(g["root"], "01_tensors")[student]
    assert line["status"] == "flagged" and all(f in line["flags"] for f in flags), line
    entry = json.loads((g["root"] / "engine" / "results" / "01_tensors" / f"{student}.json").read_text())
    assert entry["notebooks"]["01_tensors"]["row"]["flags"] == row.flags
    comment = _comments(g["root"], "01_tensors", student)[f"{gid}-answer"]
    assert comment and all(f in comment for f in flags), comment
