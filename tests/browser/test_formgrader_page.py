"""An instructor's formgrader, in a real browser (Chromium), on a course the engine graded.

The engine's fixture assignment with two students of ``reports_support`` (alice01: all
three exercises right, bob02: one of three) is graded by the grading engine into the
course's SQLite gradebook, as in tests/reports. A Jupyter server with nbgrader's formgrader
extension runs on the course directory (and reads its nbgrader_config.py); Chromium opens
/formgrader, the assignment's submissions, and bob02's submission in the grading view.
Screenshots go to out/screenshots/.
"""

from __future__ import annotations

import re

import pytest

import reports_support
from browser_support import new_page, require_browser, shoot
from jupyter_support import jupyter
from engine_support import ASSIGNMENT, CHECKS, make_course

pytestmark = pytest.mark.browser

STUDENTS = ("alice01", "bob02")  # 3 / 3 and 1 / 3


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    require_browser()
    from autograder.engine.scheduler import grade
    from autograder.nbgrader_setup import write_config_file

    base = tmp_path_factory.mktemp("formgrader")
    root = make_course(base / "course", {s: reports_support.STUDENTS[s] for s in STUDENTS})
    grade(ASSIGNMENT, root, workers=1, limits=reports_support.LIMITS, extra_checks=[CHECKS], progress=False)
    exchange = base / "exchange"  # as on a hub (tests/workflow/test_exchange.py): shared, outside the course
    exchange.mkdir()
    exchange.chmod(0o777)
    write_config_file(root, exchange=exchange)
    return root


@pytest.fixture(scope="module")
def page(course, browser):
    with jupyter(
        "server",
        course,
        course.parent,
        "--ServerApp.jpserver_extensions={'nbgrader.server_extensions.formgrader': True}",
    ) as (base, token):
        pg = new_page(browser)
        pg.goto(f"{base}/formgrader?token={token}", wait_until="domcontentloaded")  # the token logs in (cookie)
        yield pg
        pg.close()


def _row(pg, text: str):
    """The row of the page's main table (nbgrader's ``tbody#main-table``) that shows ``text``."""
    return pg.locator("#main-table tr").filter(has_text=text)


def test_formgrader_lists_the_assignment_and_the_submissions_scores(page):
    # Manage Assignments (where /formgrader leads): the assignment and its two submissions
    row = _row(page, ASSIGNMENT)
    try:
        row.locator("td.num-submissions a").wait_for()
    finally:
        shoot(page, "formgrader_assignments.png")
    assert "Manage Assignments" in page.locator("h1").all_inner_texts()
    assert row.locator("td.name").inner_text().strip() == ASSIGNMENT
    assert row.locator("td.num-submissions").inner_text().strip() == "2"

    # its submission count links to Manage Submissions: one row per student, with the score
    row.locator("td.num-submissions a").click()
    page.wait_for_url(re.compile(f"/formgrader/manage_submissions/{ASSIGNMENT}"))
    try:
        page.locator("#main-table td.score", has_text="/").nth(1).wait_for()
    finally:
        shoot(page, "formgrader_submissions.png")
    scores = {s: _row(page, s).locator("td.score").inner_text().strip() for s in STUDENTS}
    assert scores == {"alice01": "3 / 3", "bob02": "1 / 3"}, scores
    assert _row(page, "bob02").locator("td.status").inner_text().strip() == "graded"


def test_grading_view_of_one_submission_shows_its_scores(page):
    # Manual Grading -> the assignment -> its notebook -> bob02's submission (names are hidden there)
    page.locator("a", has_text="Manual Grading").first.click()
    page.locator("#main-table a", has_text=ASSIGNMENT).click()
    page.wait_for_url(re.compile(f"/formgrader/gradebook/{ASSIGNMENT}/?$"))
    page.locator("#main-table a", has_text=ASSIGNMENT).click()
    page.wait_for_url(re.compile(f"/formgrader/gradebook/{ASSIGNMENT}/{ASSIGNMENT}/?$"))
    bob = _row(page, "1 / 3")
    try:
        bob.first.wait_for()
    finally:
        shoot(page, "formgrader_gradebook.png")
    assert bob.count() == 1 and _row(page, "3 / 3").count() == 1, page.locator("#main-table").inner_text()
    bob.locator("td.name a.name-hidden").click()

    page.wait_for_url(re.compile("/formgrader/submissions/[0-9a-f]+"))
    auto = {}
    try:
        for gid in ("nb90-ex1", "nb90-ex2", "nb90-ex3"):  # the engine's score is the input's placeholder
            field = page.locator(f"input.score#{gid}")
            field.wait_for()
            page.wait_for_function("el => el.placeholder !== ''", arg=field.element_handle())
            auto[gid] = field.get_attribute("placeholder")
        page.locator("input.score#nb90-ex1").scroll_into_view_if_needed()
    finally:
        shoot(page, "formgrader_submission_bob02.png")
    assert auto == {"nb90-ex1": "0", "nb90-ex2": "0", "nb90-ex3": "1"}, auto
    text = page.locator("body").inner_text()
    assert re.search(rf"{ASSIGNMENT}\s+Submission [12] / 2", text), text[:500]
    assert "x.double() * x.double()" in text  # bob02's own (wrong) answer is what is shown
    assert text.count("/ 1.0") >= 3, text  # each graded cell is out of one point
