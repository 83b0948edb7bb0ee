"""``autograder progress``: a page per roster student, and the class overview, on the graded class."""

from __future__ import annotations

from autograder.__main__ import main
from engine_support import ASSIGNMENT
from reports_support import NO_SUBMISSION, SCRIPT, STUDENTS


def test_every_roster_student_gets_a_page(graded):
    course, _ = graded
    assert main(["feedback", ASSIGNMENT, "--course", str(course), "--student", "bob02"]) == 0
    assert main(["progress", "--course", str(course)]) == 0
    pages = {p.stem: p.read_text() for p in (course / "progress_html").glob("*.html")}
    assert set(pages) == set(STUDENTS) | {NO_SUBMISSION}
    bob = pages["bob02"]
    assert "float64 where float32 is expected" in bob and "[float64-not-float32]" in bob
    assert "Revisit:" in bob and "\u2718 not yet" in bob and "\u2714 passed" in bob
    assert f'href="../feedback_html/bob02/{ASSIGNMENT}.html"' in bob
    assert "No graded submission (not placed)" in pages[NO_SUBMISSION]
    assert "Late days used: 1." in pages["ivan09"]
    assert "Not attempted yet" in pages["carol03"]
    for student, text in pages.items():
        assert SCRIPT not in text and "<script" not in text.lower()  # no sortable table on a student's page
        for other in list(STUDENTS) + [NO_SUBMISSION]:
            assert other == student or other not in text, (student, other)
    overview = (course / "reports" / "progress_overview.html").read_text()
    assert overview.index("carol03") < overview.index("alice01")  # a signal (nothing attempted) sorts first
    assert f'href="../progress_html/{NO_SUBMISSION}.html"' in overview
