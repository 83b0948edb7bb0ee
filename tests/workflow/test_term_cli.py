"""A whole term through the command line alone, as the README tells an instructor:
init, roster (a Canvas export), collect (a messy zip), grade, feedback, export, report.

The hand-in (term_support.py) has the cases real downloads have; each file must land
where term_support says, nobody off the roster may reach the gradebook or any export,
every student on the roster gets a feedback page that says why there is no grade when
there is none, and statuses compose (late, restored and flagged together).
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest

from term_support import ASSIGNMENT, DUE, ROSTER_IDS, write_class
from workflow_support import cli, snapshot

pytestmark = pytest.mark.kernel  # grades with the engine's sandboxes


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("term")
    handin = write_class(tmp / "class")
    course = tmp / "course"
    outputs = {}
    t0 = time.perf_counter()

    def run(name, *args):
        done = cli(*args, cwd=tmp)
        outputs[name] = done
        assert done.returncode == 0, (name, done.stdout, done.stderr)
        return done

    run("init", "init", course, "--assignments", ASSIGNMENT)
    run(
        "roster",
        "roster",
        handin["roster"],
        "--course",
        course,
        "--due",
        f"{ASSIGNMENT}={DUE}",
        "--tz",
        "UTC",
        "--late-per-hour",
        "0.25",
    )
    before = snapshot(course)
    run("dry-run", "collect", handin["zip"], "--course", course, "--tz", "UTC", "--dry-run")
    outputs["after dry run"] = snapshot(course) == before
    run("collect", "collect", handin["zip"], "--course", course, "--tz", "UTC")
    run("grade", "grade", ASSIGNMENT, "--course", course, "--quiet", "--workers", "1", "--cell-timeout", "30")
    for step in ("feedback", "export", "report"):
        run(step, step, ASSIGNMENT, "--course", course)
    print(f"\nthe term through the CLI took {time.perf_counter() - t0:.1f} s")
    return course, handin, outputs


def _wide(course):
    with open(course / "exports" / f"{ASSIGNMENT}_wide.csv", newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def test_no_command_printed_a_traceback_and_the_dry_run_wrote_nothing(term):
    _, _, outputs = term
    assert outputs.pop("after dry run") is True
    for name, done in outputs.items():
        assert "Traceback" not in done.stdout + done.stderr, name
    assert "would place 7" in outputs["dry-run"].stdout
    roster = outputs["roster"].stdout  # what it chose and assumed is said
    assert (
        "Canvas" in roster and "'SIS Login ID'" in roster and "Points Possible" in roster and "test student" in roster
    )
    assert "UTC (--tz)" in roster


def test_every_hand_in_landed_where_it_belongs(term):
    course, handin, _ = term
    view = json.loads((course / "collect" / "report.json").read_text())
    placed = {p["origin"].split("!/", 1)[1]: p["student"] for p in view["placed"]}
    unplaced = {u["origin"].split("!/", 1)[1]: (u["reason"], u.get("student")) for u in view["unplaced"]}
    duplicates = {d["origin"].split("!/", 1)[1]: d["student"] for d in view["duplicates"]}
    run = view["runs"][-1]
    ignored = {
        o.split("!/", 1)[1]
        for o, _ in json.loads((course / "collect" / "runs" / run / "report.json").read_text())["ignored"]
    }
    for name, (_, _, where) in handin["spec"].items():
        if where[0] == "placed":
            assert placed.get(name) == where[1], (name, placed.get(name))
            folder = course / "submitted" / where[1] / ASSIGNMENT
            assert (folder / f"{ASSIGNMENT}.ipynb").exists() and (folder / "timestamp.txt").exists()
        elif where[0] == "duplicate":
            assert duplicates.get(name) == where[1], name
        elif where[0] == "ignored":
            assert name in ignored, name
        else:
            assert unplaced.get(name) == where, (name, unplaced.get(name))
    assert sorted(p.name for p in (course / "submitted").iterdir()) == sorted(set(placed.values()))


def test_nobody_off_the_roster_reaches_the_gradebook_or_any_export(term):
    from nbgrader.api import Gradebook

    course, _, _ = term
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        assert sorted(s.id for s in gb.students) == ROSTER_IDS
    assert set((course / "submitted").iterdir()) <= {course / "submitted" / s for s in ROSTER_IDS}
    for kind in ("wide", "long", "canvas"):
        text = (course / "exports" / f"{ASSIGNMENT}_{kind}.csv").read_text()
        assert "mallory" not in text.lower() and "Test" not in text, kind
    assert sorted(_wide(course)) == ROSTER_IDS
    assert sorted(p.name for p in (course / "feedback_html").iterdir()) == ROSTER_IDS


def test_canvas_export_gives_back_the_ids_canvas_exported(term):
    course, _, _ = term
    with open(course / "exports" / f"{ASSIGNMENT}_canvas.csv", newline="") as f:
        rows = {r["SIS Login ID"]: r for r in csv.DictReader(f) if r["Student"] != "Points Possible"}
    assert rows["mcurie"]["Student"] == "Curie, Marie" and rows["mcurie"]["ID"] == "20001"
    assert rows["mcurie"]["SIS User ID"] == "S2001" and rows["mcurie"]["Section"] == "Section A"
    assert rows["mcurie"][ASSIGNMENT] == "1" and rows["kjohnson"][ASSIGNMENT] == ""


def test_statuses_compose_and_every_student_gets_a_page_that_says_why(term):
    course, _, _ = term
    wide = _wide(course)
    alan = wide["aturing"]  # Colab lost the metadata, patched torch.equal, 2.5 h late
    assert alan["status"] == "flagged"
    for word in ("flagged: ", "restored: collect restored", "late: submitted 2.5 hours after the due date"):
        assert word in alan["reasons"], alan["reasons"]
    page = (course / "feedback_html" / "aturing" / f"{ASSIGNMENT}.html").read_text()
    for label in ("<b>Flagged for review</b>", "<b>Repaired by the grader</b>", "<b>Late</b>"):
        assert label in page
    why = {"kjohnson": "was empty", "dritchie": "not a notebook (.ipynb) file", "fallen": "no submission was placed"}
    for student, words in why.items():
        assert wide[student]["status"] == "not placed" and words in wide[student]["reasons"], student
        page = (course / "feedback_html" / student / f"{ASSIGNMENT}.html").read_text()
        assert "No grade" in page and words in page, student
    assert wide["mcurie"]["total"] == "1" and wide["ghopper"]["total"] == "0"


def test_the_report_lists_what_collect_could_not_place(term):
    course, _, _ = term
    html = (course / "reports" / f"{ASSIGNMENT}.html").read_text()
    assert "mallory_00_start_here.ipynb" in html and "unknown-student" in html
    assert "kjohnson" in html and "was empty" in html


def test_a_copied_or_moved_course_works_on_its_own_files(term, tmp_path):
    import shutil
    import subprocess
    import sys

    from nbgrader.api import Gradebook

    course, _, _ = term
    copy = Path(shutil.copytree(course, tmp_path / "copied course"))
    original = snapshot(course)
    # nbgrader's own command, run in the copy, writes the copy's gradebook
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "db", "student", "add", "lconway", "--last-name=Conway"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    with Gradebook(f"sqlite:///{copy / 'gradebook.db'}") as gb:
        assert "lconway" in {s.id for s in gb.students}
    # our commands on the copy: nothing graded again, everything written into the copy
    graded = cli("grade", ASSIGNMENT, "--course", copy, "--quiet", "--cell-timeout", "30", cwd=tmp_path)
    assert graded.returncode == 0 and graded.stdout.count("(from journal)") == 7, graded.stdout + graded.stderr
    assert cli("export", ASSIGNMENT, "--course", copy, cwd=tmp_path).returncode == 0
    assert "lconway" in (copy / "exports" / f"{ASSIGNMENT}_wide.csv").read_text()
    assert snapshot(course) == original  # the original saw none of it
    moved = copy.rename(tmp_path / "moved")
    assert cli("report", ASSIGNMENT, "--course", moved, cwd=tmp_path).returncode == 0
    assert (moved / "reports" / f"{ASSIGNMENT}.html").exists() and snapshot(course) == original
