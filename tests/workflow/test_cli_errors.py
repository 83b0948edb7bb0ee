"""Every bad input a command can be given: one line that says what is wrong and what to do,
exit status 2, no traceback, and nothing changed. Each case runs the real command line in a
subprocess, as an instructor does, against a copy of a course made by ``init``.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from workflow_support import cli, snapshot

ROSTER = "Student ID,First Name,Last Name,Email\nada,Ada,Lovelace,ada@example.edu\n"


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def _files(t: Path, course: Path) -> None:
    """The inputs the cases below point at."""
    (t / "afile").write_text("not a folder\n")
    (t / "stuff").mkdir()
    (t / "stuff" / "thesis.tex").write_text("\\documentclass{article}\n")
    (t / "empty").mkdir()
    (t / "good.csv").write_text(ROSTER)
    (t / "class.xlsx").write_bytes(_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}))
    (t / "binary.csv").write_bytes(b"\x00\x01\x02\x03" * 50)
    (t / "noid.csv").write_text("colour,size\nred,1\nblue,2\n")
    (t / "badrows.csv").write_text(ROSTER + "bad id!,Eve,Space,eve@example.edu\n")
    (t / "handin.zip").write_text("these are my notes, not a zip\n")
    (t / "cut.zip").write_bytes(_zip({"ada/00_start_here.ipynb": b"{}" * 400})[:120])
    (t / "texts").mkdir()
    (t / "texts" / "readme.txt").write_text("hello\n")
    (t / "texts.zip").write_bytes(_zip({"ada/readme.txt": b"hello"}))
    (t / "one.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))


#: case -> (command line, with {t} the test's folder and {c} the course; words the one line must hold)
CASES = {
    "init-into-a-file": ("init {t}/afile", "is a file"),
    "init-into-a-folder-of-other-things": ("init {t}/stuff", "is not empty and is not a course"),
    "init-unknown-assignment": ("init {t}/new --assignments 99_nothing", "no notebook '99_nothing'"),
    "init-over-a-different-course": ("init {c} --assignments 00_start_here", "is a different course"),
    "init-missing-solutions": ("init {t}/new --solutions {t}/nowhere", "no solutions folder"),
    "init-other-nbgrader-course": ("init {t}/theirs", "that `autograder init` did not make"),
    "roster-missing-file": ("roster {t}/missing.csv --course {c}", "no roster file"),
    "roster-file-is-a-folder": ("roster {t}/stuff --course {c}", "is a folder"),
    "roster-excel-not-csv": ("roster {t}/class.xlsx --course {c}", "Excel workbook or a zip, not a CSV"),
    "roster-not-text": ("roster {t}/binary.csv --course {c}", "not a text file"),
    "roster-no-id-column": ("roster {t}/noid.csv --course {c}", "no student could be read"),
    "roster-rows-it-cannot-use": ("roster {t}/badrows.csv --course {c}", "--skip-bad-rows"),
    "roster-bad-date": ("roster {t}/good.csv --course {c} --due 00_start_here=2026-13-45", "bad date"),
    "roster-due-unknown-assignment": ("roster {t}/good.csv --course {c} --due 99_x=2026-01-12", "not an assignment"),
    "roster-due-without-date": ("roster {t}/good.csv --course {c} --due 00_start_here", "is not ASSIGNMENT=WHEN"),
    "roster-unknown-time-zone": ("roster {t}/good.csv --course {c} --tz Mars/Olympus", "unknown time zone"),
    "roster-negative-penalty": ("roster {t}/good.csv --course {c} --late-per-hour -1", "must be 0 or more"),
    "roster-missing-course": ("roster {t}/good.csv --course {t}/nowhere", "no course folder"),
    "roster-course-not-initialised": ("roster {t}/good.csv --course {t}/empty", "is not a course"),
    "roster-nothing-to-do": ("roster --course {c}", "nothing to do"),
    "collect-missing-path": ("collect {t}/nothing.zip --course {c}", "no such file or folder"),
    "collect-not-a-zip": ("collect {t}/handin.zip --course {c}", "not a zip or a notebook"),
    "collect-cut-short-zip": ("collect {t}/cut.zip --course {c}", "damaged zip"),
    "collect-folder-without-notebooks": ("collect {t}/texts --course {c}", "holds no notebook"),
    "collect-zip-without-notebooks": ("collect {t}/texts.zip --course {c}", "holds no notebook"),
    "collect-unknown-assignment": ("collect {t}/one.ipynb --course {c} --assignment 99_x", "no assignment '99_x'"),
    "collect-missing-roster-file": ("collect {t}/one.ipynb --course {c} --roster {t}/none.csv", "no roster file"),
    "collect-missing-course": ("collect {t}/one.ipynb --course {t}/nowhere", "no course folder"),
    "collect-course-is-a-file": ("collect {t}/one.ipynb --course {t}/afile", "is a file"),
    "collect-course-not-initialised": ("collect {t}/one.ipynb --course {t}/empty", "is not a course"),
    "grade-unknown-assignment": ("grade 99_x --course {c}", "no assignment '99_x'"),
    "grade-bad-limit": ("grade 00_start_here --course {c} --cell-timeout -1", "must be positive"),
    "grade-course-not-initialised": ("grade 00_start_here --course {t}/empty", "is not a course"),
    "feedback-unknown-assignment": ("feedback 99_x --course {c}", "no assignment '99_x'"),
    "feedback-unknown-student": ("feedback 00_start_here --course {c} --student zed", "no student zed"),
    "export-missing-course": ("export 00_start_here --course {t}/nowhere", "no course folder"),
    "report-missing-collect-report": (
        "report 00_start_here --course {c} --collect-report {t}/none.json",
        "no collect report",
    ),
    "regrade-unknown-assignment": ("regrade 99_x --course {c}", "no assignment '99_x'"),
    "release-unknown-notebook": ("release 99_nothing --out {t}/out", "no solution notebook named 99_nothing"),
    "release-bad-repository": ("release --repository not-a-url", "is not a GitHub repository address"),
    "release-repository-for-some-notebooks": (
        "release 00_start_here --repository https://github.com/a/b",
        "releases the repository's own notebooks, all of them",
    ),
    "release-bundle-into-other-things": (
        "release 00_start_here --out {t}/out --student-bundle {t}/stuff",
        "is not empty",
    ),
    "a-course-copied-before-it-was-relocatable": ("export 00_start_here --course {c}", "points at another folder"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_and_changes_nothing(case, course_copy):
    t = course_copy.parent
    _files(t, course_copy)
    if case == "init-over-a-different-course":
        nb = course_copy / "source" / "00_start_here" / "00_start_here.ipynb"
        nb.write_text(nb.read_text().replace("ones_like_shape", "ones_like_it"))
    if case == "init-other-nbgrader-course":
        (t / "theirs").mkdir()
        (t / "theirs" / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'x'\n")
    if case == "a-course-copied-before-it-was-relocatable":  # the old, absolute configuration
        (course_copy / "nbgrader_config.py").write_text(
            "# Generated by autograder: the course's one nbgrader configuration.\n"
            "from autograder.nbgrader_setup import configure\n\n"
            f"configure(get_config(), {str(t / 'the_original')!r})\n"
        )
    repo = Path(__file__).resolve().parents[2]
    watched = {
        "t": t,
        "solutions": repo / "solutions",
        "notebooks": repo / "notebooks",
        "project": repo / "course" / "project.py",
    }
    before = {k: snapshot(v) for k, v in watched.items()}
    command, words = CASES[case]
    done = cli(*command.format(t=t, c=course_copy).split(), cwd=t)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stdout + done.stderr
    assert len(lines) == 1 and words in lines[0], done.stderr
    assert lines[0].startswith(f"autograder {command.split()[0]}: ") and ": " in lines[0][len("autograder x: ") :]
    assert {k: snapshot(v) for k, v in watched.items()} == before, "a bad input changed something"
