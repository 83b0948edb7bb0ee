"""collect: every layout, every malformed file, metadata restoration, duplicates.

Each test builds the hand-in it needs from the released notebooks; nothing runs a kernel.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone

import nbformat
import pytest

from autograder.collect import RosterEntry, collect, parse_file_name, read_notebook
from workflow_support import (
    cell_by_gid,
    colab_like as _colab_like,
    dumps,
    make_zip,
    release_json,
    strip_nbgrader,
    write_tree,
)

A = ["01_tensors", "02_autograd"]
NB01, NB02 = dumps(release_json("01_tensors")), dumps(release_json("02_autograd"))


def _placed(report):
    return {(p.student, p.assignment): p for p in report.placed}


def _accounted(report) -> set[str]:
    """Every input file must end up somewhere in the report."""
    return (
        {p.origin for p in report.placed}
        | {u.origin for u in report.unplaced}
        | {d.origin for d in report.duplicates}
        | {o for o, _ in report.ignored}
    )


LAYOUTS = {
    "ada/01_tensors.ipynb": ("ada", "01_tensors"),
    "bob_02_autograd.ipynb": ("bob", "02_autograd"),
    "carl/01_tensors/01_tensors.ipynb": ("carl", "01_tensors"),
    "Smith_John_12345_submission_01_tensors.ipynb": ("smith_john", "01_tensors"),
    "12345-67890 - Jane Doe - Jan 5, 2026 301 PM - 02_autograd.ipynb": ("jane_doe", "02_autograd"),
    "dora/Copy of 01_tensors.ipynb": ("dora", "01_tensors"),
    "eve/01_tensors (1).ipynb": ("eve", "01_tensors"),
    "term1/week2/fred/02_autograd.ipynb": ("fred", "02_autograd"),
}
JUNK = {
    "__MACOSX/ada/._01_tensors.ipynb": b"\x00\x05junk",
    "ada/.ipynb_checkpoints/01_tensors-checkpoint.ipynb": NB01,
    ".DS_Store": b"\x00",
}


def _layout_files():
    files = {name: NB01 if a == "01_tensors" else NB02 for name, (_, a) in LAYOUTS.items()}
    return files | JUNK


@pytest.mark.parametrize("as_zip", [True, False], ids=["zip", "folder"])
def test_every_layout_is_placed_without_a_roster(tmp_path, as_zip):
    files = _layout_files()
    src = make_zip(tmp_path / "in.zip", files) if as_zip else write_tree(tmp_path / "in", files)
    report = collect(src, tmp_path / "course", A)
    assert set(_placed(report)) == set(LAYOUTS.values()), report.summary()
    assert not report.unplaced and not report.duplicates
    assert len(report.ignored) == len(JUNK)
    for (student, a), p in _placed(report).items():
        folder = tmp_path / "course" / "submitted" / student / a
        nbformat.validate(nbformat.read(folder / f"{a}.ipynb", as_version=4))
        assert (folder / "timestamp.txt").read_text().endswith("UTC")
        assert p.assignment_by == "file-name+content"
    lms = _placed(report)[("jane_doe", "02_autograd")]
    assert (lms.timestamp_from, lms.timestamp) == ("lms-name", "2026-01-05 15:01:00.000000 UTC")


def test_roster_decides_the_student(tmp_path):
    roster = [
        RosterEntry("jsmith", "John", "Smith", "john.smith@example.edu"),
        RosterEntry("jdoe", "Jane", "Doe", "jd@example.edu"),
        RosterEntry("ada", "Ada", "Lovelace"),
    ]
    files = {
        "Smith_John_12345_submission_01_tensors.ipynb": NB01,
        "12345-67890 - Jane Doe - Jan 5, 2026 301 PM - 01_tensors.ipynb": NB01,
        "Ada Lovelace/02_autograd.ipynb": NB02,
        "john.smith_02_autograd.ipynb": NB02,
        "mallory_01_tensors.ipynb": NB01,
    }
    report = collect(make_zip(tmp_path / "in.zip", files), tmp_path / "course", A, roster=roster)
    assert set(_placed(report)) == {
        ("jsmith", "01_tensors"),
        ("jdoe", "01_tensors"),
        ("ada", "02_autograd"),
        ("jsmith", "02_autograd"),
    }
    assert [(u.origin.split("!/")[1], u.reason) for u in report.unplaced] == [
        ("mallory_01_tensors.ipynb", "unknown-student")
    ]


def test_folder_input_uses_the_file_time(tmp_path):
    write_tree(tmp_path / "in", {"ada/01_tensors.ipynb": NB01})
    when = datetime(2026, 1, 12, 14, 30, tzinfo=timezone.utc).timestamp()
    os.utime(tmp_path / "in" / "ada" / "01_tensors.ipynb", (when, when))
    p = collect(tmp_path / "in", tmp_path / "course", A).placed[0]
    assert (p.timestamp_from, p.timestamp) == ("file-mtime", "2026-01-12 14:30:00.000000 UTC")
    assert (tmp_path / "course/submitted/ada/01_tensors/timestamp.txt").read_text() == p.timestamp


# -- malformed files: a clear status each, and nothing lost -----------------------------------
def _string_sources(nb: dict) -> dict:
    nb = json.loads(json.dumps(nb))
    for c in nb["cells"]:
        c["source"] = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
    return nb


def _dup_ids(nb: dict) -> dict:
    nb = json.loads(json.dumps(nb))
    for c in nb["cells"][:6]:
        c["id"] = "same"
    return nb


MALFORMED = {
    "corrupt/01_tensors.ipynb": (NB01[: len(NB01) // 3], "unplaced", "corrupt-json"),
    "empty/01_tensors.ipynb": (b"", "unplaced", "empty-file"),
    "blank/01_tensors.ipynb": (b"  \n", "unplaced", "empty-file"),
    "list/01_tensors.ipynb": (b"[1, 2]", "unplaced", "not-a-notebook"),
    "v3/01_tensors.ipynb": (b'{"nbformat": 3, "cells": [], "worksheets": []}', "unplaced", "unsupported-nbformat"),
    "latin/01_tensors.ipynb": (NB01.replace(b'"# 01 ', b'"# 01 caf\xe9 '), "placed", "decoded-cp1252"),
    "colab/01_tensors.ipynb": (dumps(_colab_like(release_json())), "placed", "ok"),
    "dupids/01_tensors.ipynb": (dumps(_dup_ids(release_json())), "placed", "ok"),
    "bom/01_tensors.ipynb": (b"\xef\xbb\xbf" + NB01, "placed", "ok"),
    "strings/01_tensors.ipynb": (dumps(_string_sources(release_json())), "placed", "ok"),
    "badcell/01_tensors.ipynb": (
        b'{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [1]}',
        "unplaced",
        "not-a-notebook",
    ),
}


def test_malformed_files_get_a_clear_status_and_nothing_is_lost(tmp_path):
    files = {k: v[0] for k, v in MALFORMED.items()}
    zip_path = make_zip(tmp_path / "in.zip", files)
    course = tmp_path / "course"
    report = collect(zip_path, course, A)
    origins = {f"in.zip!/{k}" for k in files}
    assert _accounted(report) == origins
    for name, (data, where, status) in MALFORMED.items():
        origin = f"in.zip!/{name}"
        if where == "unplaced":
            u = next(u for u in report.unplaced if u.origin == origin)
            assert u.reason == status and u.detail
            assert (course / u.kept_at).read_bytes() == data  # the original bytes, kept
        else:
            p = next(p for p in report.placed if p.origin == origin)
            assert p.read_status.startswith(status)
            nb = nbformat.read(course / p.path, as_version=4)
            nbformat.validate(nb)
            assert nb.nbformat_minor >= 5 and len({c.id for c in nb.cells}) == len(nb.cells)
            kept = next((course / "collect" / "runs" / report.run / "originals" / p.student / p.assignment).iterdir())
            assert kept.read_bytes() == data
    dup = next(p for p in report.placed if p.student == "dupids")
    assert any("duplicate cell id 'same'" in n for n in dup.notes)
    assert json.loads((course / "collect" / "report.json").read_text())["unplaced"]


def test_read_notebook_statuses():
    assert read_notebook(b"")[1] == "empty-file"
    assert read_notebook(b"{")[1] == "corrupt-json"
    assert read_notebook(b'{"cells": "no"}')[1] == "not-a-notebook"
    assert read_notebook(NB01)[1] == "ok"


# -- metadata restoration -------------------------------------------------------------------------
def test_colab_notebook_without_nbgrader_metadata_is_restored_and_recorded(tmp_path):
    nb = _colab_like(strip_nbgrader(release_json()))
    answer = cell_by_gid(release_json(), "nb01-ex2-answer")
    solved = "def row_means(counts):\n    return counts.float().mean(dim=1)\n"
    for c in nb["cells"]:
        if "".join(c["source"]) == "".join(answer["source"]):
            c["source"] = solved.splitlines(True)
    report = collect(make_zip(tmp_path / "in.zip", {"ada/Copy of 01_tensors.ipynb": dumps(nb)}), tmp_path / "course", A)
    p = report.placed[0]
    release = release_json()
    graded = [c for c in release["cells"] if c["metadata"].get("nbgrader")]
    assert {c.grade_id for c in p.restored} == {c["metadata"]["nbgrader"]["grade_id"] for c in graded}
    assert {c.how for c in p.restored} == {"fingerprint"}
    assert report.restored == [p]
    out = json.loads((tmp_path / "course" / p.path).read_text())
    for want in graded:
        got = cell_by_gid(out, want["metadata"]["nbgrader"]["grade_id"])
        assert got["metadata"]["nbgrader"] == want["metadata"]["nbgrader"]
        assert got["id"] == want["id"]
    assert "".join(cell_by_gid(out, "nb01-ex2-answer")["source"]) == solved  # the student's answer stays
    assert out["metadata"]["colab"]["name"] == "Copy of 01_tensors.ipynb"
    rec = json.loads((tmp_path / "course" / "collect" / "report.json").read_text())
    assert "nb01-ex2-answer" in rec["placed"][0]["restored"]


def test_recreated_answer_cell_is_found_by_its_def_line(tmp_path):
    nb = release_json()
    cell = cell_by_gid(nb, "nb01-ex5-answer")
    cell["metadata"], cell["id"] = {}, "f00dcafe"
    cell["source"] = (
        "import torch\n\ndef reshape_in_order(x):\n    c = x.shape[-1]\n    return x.reshape(-1, c), x.reshape(c, -1)\n"
    )
    p = collect(make_zip(tmp_path / "in.zip", {"ada_01_tensors.ipynb": dumps(nb)}), tmp_path / "course", A).placed[0]
    assert [(c.grade_id, c.how) for c in p.restored] == [("nb01-ex5-answer", "fingerprint")]


def test_submission_metadata_is_never_trusted(tmp_path):
    nb = release_json()
    cell_by_gid(nb, "nb01-ex1-answer")["metadata"]["nbgrader"].update(grade=True, solution=False, points=100)
    cell_by_gid(nb, "nb01-ex2")["metadata"]["nbgrader"]["points"] = 50
    fake = {
        "cell_type": "code",
        "id": "bonus",
        "execution_count": None,
        "outputs": [],
        "source": "pass",
        "metadata": {
            "nbgrader": {
                "grade": True,
                "grade_id": "bonus",
                "points": 99,
                "solution": False,
                "locked": False,
                "schema_version": 3,
            }
        },
    }
    nb["cells"].insert(20, fake)
    p = collect(make_zip(tmp_path / "in.zip", {"ada_01_tensors.ipynb": dumps(nb)}), tmp_path / "course", A).placed[0]
    assert {c.grade_id for c in p.restored} == {"nb01-ex1-answer", "nb01-ex2"}
    assert any("bonus" in n and "removed" in n for n in p.notes)
    out = json.loads((tmp_path / "course" / p.path).read_text())
    release = release_json()
    for gid in ("nb01-ex1-answer", "nb01-ex2"):
        assert cell_by_gid(out, gid)["metadata"]["nbgrader"] == cell_by_gid(release, gid)["metadata"]["nbgrader"]
    bonus = next(c for c in out["cells"] if c["id"] == "bonus")
    assert "nbgrader" not in bonus["metadata"]
    total = sum(c["metadata"].get("nbgrader", {}).get("points", 0) for c in out["cells"])
    assert total == 20


def test_deleted_test_cell_is_put_back_from_the_release(tmp_path):
    nb = release_json()
    nb["cells"] = [c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") != "nb01-ex3"]
    p = collect(make_zip(tmp_path / "in.zip", {"ada_01_tensors.ipynb": dumps(nb)}), tmp_path / "course", A).placed[0]
    back = next(c for c in p.cells if c.grade_id == "nb01-ex3")
    assert (back.how, back.restored) == ("reinserted", True)
    out = json.loads((tmp_path / "course" / p.path).read_text())
    gids = [c["metadata"].get("nbgrader", {}).get("grade_id") for c in out["cells"]]
    assert gids.index("nb01-ex3") == gids.index("nb01-ex3-check") + 1


# -- which assignment ------------------------------------------------------------------------------
def test_notebook_of_another_assignment_is_placed_by_content(tmp_path):
    files = {"ada/01_tensors.ipynb": NB02, "ada/homework.ipynb": NB01}
    report = collect(make_zip(tmp_path / "in.zip", files), tmp_path / "course", A)
    placed = _placed(report)
    assert placed[("ada", "02_autograd")].origin.endswith("ada/01_tensors.ipynb")
    assert placed[("ada", "02_autograd")].assignment_by == "content"
    assert any("file name says 01_tensors" in n for n in placed[("ada", "02_autograd")].notes)
    assert placed[("ada", "01_tensors")].assignment_by == "content"


def test_notebook_of_an_assignment_not_collected_is_listed(tmp_path):
    files = {
        "ada/03_modules.ipynb": dumps(release_json("03_modules")),
        "ada/notes.ipynb": dumps(release_json("03_modules")),
    }
    report = collect(make_zip(tmp_path / "in.zip", files), tmp_path / "course", A)
    assert not report.placed
    assert [u.reason for u in report.unplaced] == ["unknown-assignment"] * 2
    assert "03_modules (not an assignment being collected)" in report.unplaced[0].detail


def test_duplicates_keep_the_newest_and_list_the_other(tmp_path):
    older = make_zip(tmp_path / "old.zip", {"ada/01_tensors.ipynb": NB01}, when=datetime(2026, 1, 10, 9, 0))
    newer_nb = release_json()
    cell_by_gid(newer_nb, "nb01-ex6-answer")["source"] = "def flatten(x):\n    return x.reshape(-1)"
    files = {"ada/old.zip": older.read_bytes(), "ada/Copy of 01_tensors.ipynb": dumps(newer_nb)}
    course = tmp_path / "course"
    report = collect(make_zip(tmp_path / "in.zip", files, when=datetime(2026, 1, 11, 9, 0)), course, A)
    assert len(report.placed) == 1 and len(report.duplicates) == 1
    d = report.duplicates[0]
    assert d.origin.endswith("old.zip!/ada/01_tensors.ipynb") and d.kept.endswith("Copy of 01_tensors.ipynb")
    assert (course / d.kept_at).read_bytes() == NB01
    out = json.loads((course / report.placed[0].path).read_text())
    assert "reshape(-1)" in "".join(cell_by_gid(out, "nb01-ex6-answer")["source"])


def test_file_names():
    f = parse_file_name("Copy of Copy of 01_tensors (2).ipynb", A)
    assert (f.assignment, f.name_tokens) == ("01_tensors", [])
    f = parse_file_name("Berners-Lee_Tim_10012_submission_02_autograd.ipynb", A)
    assert (f.assignment, f.name_tokens, f.lms_ids) == ("02_autograd", ["berners", "lee", "tim"], ["10012"])
    f = parse_file_name("1-2 - Ann Bee - Dec 31, 2025 1159 PM - 01_tensors.ipynb", A)
    assert f.when == datetime(2025, 12, 31, 23, 59, tzinfo=timezone.utc) and f.name_tokens == ["ann", "bee"]
    f = parse_file_name("12345-67890 - John Smith - Jan 5, 2026 1201 AM - 01_tensors.ipynb", A)
    assert f.when == datetime(2026, 1, 5, 0, 1, tzinfo=timezone.utc)


# -- a roster decides: LMS layouts, any depth, never a made-up student ------------------------------
ROSTER = [
    RosterEntry("mcurie", "Marie", "Curie", "marie.curie@uni.example", lms_user_id="20001", login="mcurie"),
    RosterEntry("aturing", "Alan", "Turing", "alan@uni.example", lms_user_id="20002"),
    RosterEntry("akay", "Alan", "Kay", "akay@uni.example"),
    RosterEntry("s2003", "Ada", "Lovelace", "ada@uni.example", sis_user_id="S2003"),
    RosterEntry("jdoe1", "Jane", "Doe"),
    RosterEntry("jdoe2", "Jane", "Doe"),
]
ROSTER_LAYOUTS = {
    "curiemarie_20001_777001_01_tensors.ipynb": "mcurie",  # Canvas
    "turingalan_LATE_20002_777002_02_autograd-1.ipynb": "aturing",  # Canvas, late, resubmitted
    "Tensors_zorro_attempt_2026-01-11-18-00-00_01_tensors.ipynb": None,  # Blackboard: no such login
    "Tensors_mcurie_attempt_2026-01-11-18-00-00_02_autograd.ipynb": "mcurie",  # Blackboard
    "Ada Lovelace_4242_assignsubmission_file_/01_tensors.ipynb": "s2003",  # Moodle
    "term 1/week 2/final/S2003/02_autograd.ipynb": "s2003",  # a student number, deep
    "hw1-akay/01_tensors.ipynb": "akay",  # GitHub Classroom
    "alan@uni.example/02_autograd.ipynb": "aturing",  # an e-mail folder
    "Turing_Alan_submission_01_tensors.ipynb": "aturing",  # a name, though alan@ is Turing's
    "Kay_Alan_submission_02_autograd.ipynb": "akay",  # ... a name beats an e-mail's name
}


def test_a_roster_student_is_found_wherever_the_name_is(tmp_path):
    files = {name: NB01 if "01_tensors" in name else NB02 for name in ROSTER_LAYOUTS}
    files["windows\\mcurie\\02_autograd.ipynb".replace("mcurie", "akay")] = NB02  # backslashes from a Windows zip
    report = collect(make_zip(tmp_path / "in.zip", files), tmp_path / "course", A, roster=ROSTER)
    placed = {p.origin.split("!/", 1)[1]: p.student for p in report.placed}
    unplaced = {u.origin.split("!/", 1)[1]: u for u in report.unplaced}
    dups = {d.origin.split("!/", 1)[1]: d.student for d in report.duplicates}
    for name, student in ROSTER_LAYOUTS.items():
        if student is None:
            assert unplaced[name].reason == "unknown-student", name
        else:
            assert placed.get(name, dups.get(name)) == student, (name, placed.get(name), report.summary())
    assert {p.student for p in report.placed} <= {r.id for r in ROSTER}
    assert placed.get("windows\\akay\\02_autograd.ipynb", dups.get("windows\\akay\\02_autograd.ipynb")) == "akay"


def test_nobody_is_made_up_and_the_closest_roster_match_is_said(tmp_path):
    files = {"Turing_Alen_01_tensors.ipynb": NB01, "Jane Doe/01_tensors.ipynb": NB01, "zed/01_tensors.ipynb": NB01}
    report = collect(make_zip(tmp_path / "in.zip", files), tmp_path / "course", A, roster=ROSTER)
    assert not report.placed and not (tmp_path / "course" / "submitted").exists()
    why = {u.origin.split("!/", 1)[1]: u for u in report.unplaced}
    assert why["Turing_Alen_01_tensors.ipynb"].reason == "unknown-student"
    assert why["Turing_Alen_01_tensors.ipynb"].closest.startswith("aturing (Alan Turing)")
    assert (
        why["Jane Doe/01_tensors.ipynb"].reason == "ambiguous-student"
        and "jdoe1, jdoe2" in why["Jane Doe/01_tensors.ipynb"].detail
    )
    assert why["zed/01_tensors.ipynb"].closest == ""


def test_runs_keep_their_records_and_the_newest_hand_in_wins_over_runs(tmp_path):
    course = tmp_path / "course"
    first = collect(
        make_zip(tmp_path / "a.zip", {"aturing/01_tensors.ipynb": NB01}, when=datetime(2026, 1, 11, 9)),
        course,
        A,
        roster=ROSTER,
    )
    newer_nb = release_json()
    cell_by_gid(newer_nb, "nb01-ex6-answer")["source"] = "def flatten(x):\n    return x.reshape(-1)"
    second = collect(
        make_zip(tmp_path / "b.zip", {"aturing/01_tensors.ipynb": dumps(newer_nb)}, when=datetime(2026, 1, 11, 20)),
        course,
        A,
        roster=ROSTER,
    )
    third = collect(
        make_zip(tmp_path / "c.zip", {"aturing/01_tensors.ipynb": NB01}, when=datetime(2026, 1, 10)),
        course,
        A,
        roster=ROSTER,
    )  # an old draft, collected last: it does not win
    runs = course / "collect" / "runs"
    assert sorted(p.name for p in runs.iterdir()) == sorted([first.run, second.run, third.run])
    assert (runs / second.run / "replaced" / "aturing" / "01_tensors" / "01_tensors.ipynb").exists()
    assert [d.student for d in third.duplicates] == ["aturing"] and not third.placed
    out = json.loads((course / "submitted" / "aturing" / "01_tensors" / "01_tensors.ipynb").read_text())
    assert "reshape(-1)" in "".join(cell_by_gid(out, "nb01-ex6-answer")["source"])
    view = json.loads((course / "collect" / "report.json").read_text())
    assert [p["run"] for p in view["placed"]] == [second.run] and view["runs"] == sorted(
        [first.run, second.run, third.run]
    )


def test_a_dry_run_writes_nothing(tmp_path):
    course = tmp_path / "course"
    report = collect(
        make_zip(tmp_path / "in.zip", {"aturing/01_tensors.ipynb": NB01, "x/empty.ipynb": b""}),
        course,
        A,
        roster=ROSTER,
        dry_run=True,
    )
    assert [p.student for p in report.placed] == ["aturing"] and report.unplaced and not course.exists()
    assert "would place 1" in report.summary() and "nothing was written" in report.summary()


def test_whose_broken_file_it_was_is_kept_for_their_feedback(tmp_path):
    files = {"aturing/01_tensors.ipynb": b"", "mcurie/02_autograd.ipynb": NB02[:200], "akay/01_tensors.pdf": b"%PDF"}
    report = collect(make_zip(tmp_path / "in.zip", files), tmp_path / "course", A, roster=ROSTER)
    got = {(u.student, u.assignment, u.reason) for u in report.unplaced}
    assert got == {
        ("aturing", "01_tensors", "empty-file"),
        ("mcurie", "02_autograd", "corrupt-json"),
        ("akay", "01_tensors", "not-a-notebook-file"),
    }


def test_a_notebook_under_another_name_is_still_a_notebook(tmp_path):
    files = {"aturing/01_tensors.ipynb.json": NB01, "mcurie/02_autograd.txt": NB02, "mcurie/notes.txt": b"{not json"}
    report = collect(make_zip(tmp_path / "in.zip", files), tmp_path / "course", A, roster=ROSTER)
    assert {(p.student, p.assignment) for p in report.placed} == {("aturing", "01_tensors"), ("mcurie", "02_autograd")}
    assert [o.split("!/", 1)[1] for o, _ in report.ignored] == ["mcurie/notes.txt"]
