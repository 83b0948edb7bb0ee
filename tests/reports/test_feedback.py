"""Feedback pages: what a student sees, and above all what they must not see."""

from __future__ import annotations

import pytest

from autograder.__main__ import main
from reports_support import NO_SUBMISSION, PERSONAL, SCRIPT, STUDENTS
from engine_support import ASSIGNMENT

#: text of the instructor's notebook that is not the student's: hidden tests, solution markers
FORBIDDEN = ["BEGIN HIDDEN TESTS", "hidden=True", "END HIDDEN", "BEGIN SOLUTION", ".grade(", "from course.checks"]
SOLUTION_CODE = ["return 2 * x", "return x * x", "return x + 1"]


@pytest.fixture(scope="module")
def pages(graded):
    course, _ = graded
    assert main(["feedback", ASSIGNMENT, "--course", str(course)]) == 0
    folder = course / "feedback_html"
    return course, {p.parent.name: p.read_text() for p in folder.glob(f"*/{ASSIGNMENT}.html")}


def test_one_page_per_student_on_the_roster(pages):
    _, html = pages
    assert set(html) == set(STUDENTS) | {NO_SUBMISSION}
    nothing = html[NO_SUBMISSION]  # no grade: the page says so, and why
    assert "No grade" in nothing and "no submission was placed" in nothing and "Score:" not in nothing


def test_statuses_show_together_each_with_its_reason(pages):
    _, html = pages
    ivan = html["ivan09"]  # late: the reason is on the page with the penalty
    assert "<b>Late</b>: submitted 12.0 hours after the due date, 1.2 point(s) off" in ivan
    gina = html["gina07"]  # restored by collect
    assert "<b>Repaired by the grader</b>: collect restored the nbgrader metadata" in gina


def test_scores_messages_and_named_mistakes(pages):
    _, html = pages
    assert "Score: 3 / 3" in html["alice01"] and html["alice01"].count("\u2714 Passed") >= 3
    bob = html["bob02"]
    assert "Score: 1 / 3" in bob
    assert "\u2718 Not yet" in bob  # words and a symbol, not colour alone
    assert "square(x) has dtype torch.float64, expected torch.float32." in bob
    assert "float64 where float32 is expected" in bob and "float64-not-float32" in bob  # catalogue title + code
    assert "Why:" in bob and "Fix:" in bob
    assert "Wrong values" in bob and "differs at index" in bob
    assert "Timed out" in html["dave04"] and "Crashed" in html["erin05"]
    assert "Flagged for review" in html["frank06"] and "torch.equal" in html["frank06"]
    assert "hours after the due date" in html["ivan09"] and "Score: 1.8 / 3" in html["ivan09"]


def test_no_hidden_tests_no_solution_no_secret(pages):
    course, html = pages
    secret = (course / ".secret").read_text().strip()
    for student, text in html.items():
        for bad in FORBIDDEN + [secret]:
            assert bad not in text, (student, bad)
    for code in SOLUTION_CODE:  # carol handed in the blank release: no solution appears on her page
        assert code not in html["carol03"], code
    assert "raise NotImplementedError" in html["carol03"]  # her own (unchanged) answer cells


def test_nothing_about_other_students(pages):
    _, html = pages
    for student, text in html.items():
        for other in list(STUDENTS) + [NO_SUBMISSION, "Anders", "Nohand"]:
            if other != student:
                assert other not in text, (student, other)


def test_no_personal_metadata_and_escaped_code(pages):
    _, html = pages
    for student, text in html.items():
        for planted in PERSONAL + ("authorship_tag", "colab", "base_uri"):
            assert planted not in text, (student, planted)
    ivan = html["ivan09"]
    assert SCRIPT not in ivan and "<script" not in ivan.lower()
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; &lt;/pre&gt;" in ivan
    assert "default-src 'none'" in ivan  # and no script would run anyway
