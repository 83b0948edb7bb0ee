"""Roster import into nbgrader's gradebook, due dates and the late policy (nbgrader's own mechanisms)."""

from __future__ import annotations

from datetime import datetime

from traitlets.config.loader import PyFileConfigLoader

from autograder.nbgrader_setup import SubMarksPerHour, configure, make_config, write_config_file
from autograder.roster import import_roster, read_roster, roster_from_gradebook, set_due_date, set_late_policy

GOOD = "\ufeffStudent ID,First Name,Surname,E-mail\nada,Ada,Lovelace,ada@example.edu\nbob,Bob,Babbage,bob@example.edu\n"


def test_header_variants_bom_and_semicolons():
    r = read_roster(text="\ufeffUsername;Given name;Family name;Email Address\nada;Ada;Lovelace;ada@example.edu\n")
    assert [(s.id, s.first_name, s.last_name, s.email) for s in r.students] == [("ada", "Ada", "Lovelace", "ada@example.edu")]
    assert not r.bad_rows
    r = read_roster(text="Full Name,Email\n\"Lovelace, Ada\",ada@example.edu\nBob Babbage,bob@example.edu\n")
    assert [(s.id, s.first_name, s.last_name) for s in r.students] == [("ada", "Ada", "Lovelace"), ("bob", "Bob", "Babbage")]


def test_bad_rows_are_reported_with_their_line_and_reason():
    text = ("id,first_name,last_name,email\n"
            "ada,Ada,Lovelace,ada@example.edu\n"
            ",Nobody,Known,\n"                       # line 3: no id, no email
            "bad id!,Eve,Space,eve@example.edu\n"   # line 4: id nbgrader cannot use
            "carl,Carl,Gauss,not-an-email\n"         # line 5
            "ada,Ada,Again,ada2@example.edu\n"       # line 6: repeated id
            "\n"
            "dan,Dan,Ok,dan@example.edu\n")
    r = read_roster(text=text)
    assert [s.id for s in r.students] == ["ada", "dan"]
    lines = dict(r.bad_rows)
    assert set(lines) == {3, 4, 5, 6}
    assert "no student id" in lines[3] and "characters" in lines[4] and "email" in lines[5] and "repeats line 2" in lines[6]
    assert "2 student(s) imported, 4 row(s) not imported" in r.summary()


def test_missing_id_column_is_one_clear_error():
    r = read_roster(text="colour,size\nred,1\n")
    assert not r.students and r.bad_rows[0][0] == 1 and "no student id" in r.bad_rows[0][1]


def test_import_into_gradebook_and_due_date(tmp_path):
    from nbgrader.api import Gradebook

    (tmp_path / "roster.csv").write_text(GOOD, encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'gradebook.db'}"
    report = import_roster(tmp_path / "roster.csv", db)
    assert len(report.students) == 2
    import_roster(tmp_path / "roster.csv", db)   # twice: updates, no duplicates
    assert {(s.id, s.last_name) for s in roster_from_gradebook(db)} == {("ada", "Lovelace"), ("bob", "Babbage")}
    set_due_date(db, "01_tensors", "2026-01-12 12:00")
    with Gradebook(db) as gb:
        assert gb.find_assignment("01_tensors").duedate == datetime(2026, 1, 12, 12, 0)
        assert gb.find_student("ada").email == "ada@example.edu"


def test_late_policy_goes_into_nbgrader_config(tmp_path):
    write_config_file(tmp_path)
    set_late_policy(tmp_path, 1.0)
    set_late_policy(tmp_path, 2.5)   # replaces, never stacks
    text = (tmp_path / "nbgrader_config.py").read_text()
    assert text.count("configure_late_policy(get_config()") == 1
    c = PyFileConfigLoader("nbgrader_config.py", path=str(tmp_path)).load_config()
    assert c.AssignLatePenalties.plugin_class == "autograder.nbgrader_setup.SubMarksPerHour"
    assert c.SubMarksPerHour.points_per_hour == 2.5
    assert c.CourseDirectory.root == str(tmp_path.resolve())   # configure() still ran
    set_late_policy(tmp_path, None)
    c = PyFileConfigLoader("nbgrader_config.py", path=str(tmp_path)).load_config()
    assert c.LateSubmissionPlugin.penalty_method == "none"


def test_penalty_per_started_hour():
    plugin = SubMarksPerHour(points_per_hour=1.0)
    assert plugin.late_submission_penalty("ada", 15, 0) is None
    assert plugin.late_submission_penalty("ada", 15, 1) == 1
    assert plugin.late_submission_penalty("ada", 15, 3600) == 1
    assert plugin.late_submission_penalty("ada", 15, 9000) == 3   # 2.5 h


def test_configure_unchanged():
    c = make_config("/tmp/course")
    assert c.CourseDirectory.db_url == "sqlite:////tmp/course/gradebook.db"
    assert configure(c, "/tmp/course") is c
