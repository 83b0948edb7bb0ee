"""Roster import into nbgrader's gradebook, due dates and the late policy (nbgrader's own mechanisms)."""

from __future__ import annotations

from datetime import datetime

from traitlets.config.loader import PyFileConfigLoader

from autograder.nbgrader_setup import SubMarksPerHour, configure, make_config, write_config_file
from autograder.roster import import_roster, read_roster, roster_from_gradebook, set_due_date, set_late_policy

GOOD = "\ufeffStudent ID,First Name,Surname,E-mail\nada,Ada,Lovelace,ada@example.edu\nbob,Bob,Babbage,bob@example.edu\n"


def test_header_variants_bom_and_semicolons():
    r = read_roster(text="\ufeffUsername;Given name;Family name;Email Address\nada;Ada;Lovelace;ada@example.edu\n")
    assert [(s.id, s.first_name, s.last_name, s.email) for s in r.students] == [
        ("ada", "Ada", "Lovelace", "ada@example.edu")
    ]
    assert not r.bad_rows
    r = read_roster(text='Full Name,Email\n"Lovelace, Ada",ada@example.edu\nBob Babbage,bob@example.edu\n')
    assert [(s.id, s.first_name, s.last_name) for s in r.students] == [
        ("ada", "Ada", "Lovelace"),
        ("bob", "Bob", "Babbage"),
    ]


def test_bad_rows_are_reported_with_their_line_and_reason():
    text = (
        "id,first_name,last_name,email\n"
        "ada,Ada,Lovelace,ada@example.edu\n"
        ",Nobody,Known,\n"  # line 3: no id, no email
        "bad id!,Eve,Space,eve@example.edu\n"  # line 4: id nbgrader cannot use
        "carl,Carl,Gauss,not-an-email\n"  # line 5
        "ada,Ada,Again,ada2@example.edu\n"  # line 6: repeated id
        "\n"
        "dan,Dan,Ok,dan@example.edu\n"
    )
    r = read_roster(text=text)
    assert [s.id for s in r.students] == ["ada", "dan"]
    lines = dict(r.bad_rows)
    assert set(lines) == {3, 4, 5, 6}
    assert (
        "no student id" in lines[3]
        and "characters" in lines[4]
        and "email" in lines[5]
        and "repeats line 2" in lines[6]
    )
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
    import_roster(tmp_path / "roster.csv", db)  # twice: updates, no duplicates
    assert {(s.id, s.last_name) for s in roster_from_gradebook(db)} == {("ada", "Lovelace"), ("bob", "Babbage")}
    set_due_date(db, "01_tensors", "2026-01-12 12:00")
    with Gradebook(db) as gb:
        assert gb.find_assignment("01_tensors").duedate == datetime(2026, 1, 12, 12, 0)
        assert gb.find_student("ada").email == "ada@example.edu"


def test_late_policy_goes_into_nbgrader_config(tmp_path):
    write_config_file(tmp_path)
    set_late_policy(tmp_path, 1.0)
    set_late_policy(tmp_path, 2.5)  # replaces, never stacks
    text = (tmp_path / "nbgrader_config.py").read_text()
    assert text.count("configure_late_policy(get_config()") == 1
    c = PyFileConfigLoader("nbgrader_config.py", path=str(tmp_path)).load_config()
    assert c.AssignLatePenalties.plugin_class == "autograder.nbgrader_setup.SubMarksPerHour"
    assert c.SubMarksPerHour.points_per_hour == 2.5
    assert c.CourseDirectory.root == str(tmp_path.resolve())  # configure() still ran
    set_late_policy(tmp_path, None)
    c = PyFileConfigLoader("nbgrader_config.py", path=str(tmp_path)).load_config()
    assert c.LateSubmissionPlugin.penalty_method == "none"


def test_penalty_per_started_hour():
    plugin = SubMarksPerHour(points_per_hour=1.0)
    assert plugin.late_submission_penalty("ada", 15, 0) is None
    assert plugin.late_submission_penalty("ada", 15, 1) == 1
    assert plugin.late_submission_penalty("ada", 15, 3600) == 1
    assert plugin.late_submission_penalty("ada", 15, 9000) == 3  # 2.5 h


def test_configure_unchanged():
    c = make_config("/tmp/course")
    assert c.CourseDirectory.db_url == "sqlite:////tmp/course/gradebook.db"
    assert configure(c, "/tmp/course") is c


# -- the exports instructors have -------------------------------------------------------------
CANVAS = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Tensors (1234)\n"
    ",,,,,Manual Posting\n"
    "    Points Possible,,,,,15\n"
    '"Curie, Marie",10001,S1001,mcurie,Section A,\n'
    '"Turing, Alan",10002,S1002,aturing,Section A,\n'
    '"Student, Test",10099,,,Section A,\n'
)


def test_canvas_export_takes_the_login_not_the_name_column():
    r = read_roster(text=CANVAS)
    assert [
        (s.id, s.first_name, s.last_name, s.lms_user_id, s.sis_user_id, s.login, s.section, s.lms_name)
        for s in r.students
    ] == [
        ("mcurie", "Marie", "Curie", "10001", "S1001", "mcurie", "Section A", "Curie, Marie"),
        ("aturing", "Alan", "Turing", "10002", "S1002", "aturing", "Section A", "Turing, Alan"),
    ]
    assert not r.bad_rows and "Canvas" in r.kind and r.columns["id"] == "SIS Login ID"
    assert [why for _, why in r.skipped] == [
        "no student in this row (no id, name or e-mail: an LMS's extra row)",
        'Canvas\'s "Points Possible" row',
        "Canvas's test student",
    ]
    assert any("'SIS Login ID'" in a for a in r.assumed)


def test_canvas_export_without_sis_ids_falls_back_to_canvas_user_ids():
    r = read_roster(
        text='Student,ID,SIS User ID,SIS Login ID,Section\n"Curie, Marie",10001,,,A\n"Turing, Alan",10002,,,A\n'
    )
    assert [s.id for s in r.students] == ["10001", "10002"] and "LMS's own user id" in r.assumed[0]


def test_moodle_export_with_empty_id_numbers_uses_the_email_and_says_so():
    text = (
        "First name\tSurname\tID number\tInstitution\tDepartment\tEmail address\tLast downloaded from this course\n"
        "Marie\tCurie\t\tUni\tPhysics\tmarie.curie@uni.example\t1767225600\n"
        "Alan\tTuring\t2001\tUni\tMaths\talan.turing@uni.example\t1767225600\n"
    )
    r = read_roster(text=text)
    assert [(s.id, s.sis_user_id) for s in r.students] == [("marie.curie", ""), ("alan.turing", "2001")]
    assert "Moodle" in r.kind and any("e-mail" in a for a in r.assumed)


def test_blackboard_export_utf16_tabs(tmp_path):
    text = (
        '"Last Name"\t"First Name"\t"Username"\t"Student ID"\t"Last Access"\t"Availability"\n'
        '"Curie"\t"Marie"\t"mcurie"\t"S1"\t"2026-01-01"\t"Available"\n'
    )
    path = tmp_path / "gc_export.xls"  # Blackboard's "xls" download is UTF-16 text
    path.write_bytes(text.encode("utf-16"))
    r = read_roster(path)
    assert [(s.id, s.first_name, s.last_name, s.sis_user_id) for s in r.students] == [
        ("mcurie", "Marie", "Curie", "S1")
    ]
    assert "Blackboard" in r.kind


def test_values_decide_over_headers_and_excel_sep_line():
    r = read_roster(
        text="sep=;\nStudent;Name;Mail\ns1001;Marie Curie;mc@uni.example\ns1002;Alan Turing;at@uni.example\n"
    )
    assert [(s.id, s.first_name, s.last_name) for s in r.students] == [
        ("s1001", "Marie", "Curie"),
        ("s1002", "Alan", "Turing"),
    ]
    r = read_roster(text="Matrikel,Vorname,Nachname\n4711,Marie,Curie\n4712,Alan,Turing\n")  # no known id header
    assert [s.id for s in r.students] == ["4711", "4712"] and "every value is a unique id with digits" in r.assumed[0]


def test_roster_command_keeps_the_lms_ids_for_the_export(course_copy):
    import json

    from workflow_support import cli

    (course_copy.parent / "canvas.csv").write_text(CANVAS)
    done = cli("roster", course_copy.parent / "canvas.csv", "--course", course_copy, cwd=course_copy.parent)
    assert done.returncode == 0, done.stderr
    assert "2 student(s) imported" in done.stdout and "skipped line 6: Canvas's test student" in done.stdout
    kept = json.loads((course_copy / "roster.json").read_text())["students"]
    assert kept["mcurie"]["lms_user_id"] == "10001" and kept["mcurie"]["sis_user_id"] == "S1001"
    export = cli("export", "00_start_here", "--course", course_copy, cwd=course_copy.parent)
    assert export.returncode == 0, export.stderr
    rows = (course_copy / "exports" / "00_start_here_canvas.csv").read_text().splitlines()
    assert '"Curie, Marie",10001,S1001,mcurie,Section A,' in rows and len(rows) == 4  # header, points, 2


def test_due_dates_say_their_zone():
    from datetime import timezone
    from zoneinfo import ZoneInfo

    from autograder.roster import parse_due

    assert parse_due("2026-01-12 12:00", ZoneInfo("Europe/Berlin")).hour == 11
    assert parse_due("2026-07-12 12:00 Europe/Berlin", timezone.utc).hour == 10  # summer time
    assert parse_due("2026-01-12", timezone.utc).strftime("%H:%M") == "23:59"  # a day: its end
    assert parse_due("2026-01-12T12:00+02:00", timezone.utc).hour == 10
