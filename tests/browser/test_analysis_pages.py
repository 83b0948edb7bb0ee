"""The analysis pages in a real browser (Chromium): the report, a similarity pair and a
progress page pass axe-core's accessibility check with no serious or critical violation,
their one script (the sortable tables) runs under their Content-Security-Policy, and
student code written to attack the page runs nothing.

The pages are those of the example class extended with planted cases (tests/analysis/
planted.py): the report of 01_tensors with its planted items, the similarity page of the
planted copies (plus a pair whose code and student id are HTML and JavaScript), and a
student's progress page over both assignments. axe-core comes with the
``axe-playwright-python`` package (installed from PyPI with the test extras).
Screenshots go to out/screenshots/.
"""

from __future__ import annotations

import pytest

import planted
from browser_support import new_page, require_browser, shoot

pytestmark = pytest.mark.browser

HOSTILE_ID = '<img src=x onerror="window.__pwned=1">'
HOSTILE_CODE = (
    'def numerical_grad(f, x, eps=1e-4):\n    note = "</code></pre><script>window.__pwned = 2</script>"\n'
    '    hack = "<img src=x onerror=window.__pwned=3>"\n    grads = [note, hack]\n'
    "    for i in range(x.numel()):\n        grads.append(f(x) * i)\n    return torch.stack(grads)\n"
)
SERIOUS = ("serious", "critical")
RESULTS: dict[str, list] = {}


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    require_browser()
    from autograder.analysis import Analysis, items, progress, similarity, views
    from autograder.report import page as report_page

    out = tmp_path_factory.mktemp("analysis_pages")
    results = planted.example_results("01_tensors", planted=True)
    analysis = items.analyse(results)
    exercises = planted.similarity_set()
    ex4 = next(e for e in exercises if e.grade_id == "nb02-ex4")
    ex4.answers[HOSTILE_ID] = HOSTILE_CODE
    ex4.answers["mallory"] = HOSTILE_CODE.replace("note, hack", "hack, note")
    found = similarity.compare(exercises, workers=1)
    report = similarity.SimilarityReport(
        "02_autograd", similarity.Settings(), found, {e.grade_id: e.answers for e in exercises}
    )
    history = items.analyse(planted.example_results("02_autograd")).items + analysis.items
    (out / "01_tensors.html").write_text(report_page(results, analysis=Analysis(analysis, report, history)))
    (out / "similarity.html").write_text(views.similarity_page(report, "01_tensors.html"))
    students = progress.from_results(
        [planted.example_results("01_tensors"), planted.example_results("02_autograd")],
        {"01_tensors": {"nb01-ex2": "01_tensors, 3 · Reductions"}},
    )
    (out / "aturing.html").write_text(progress.student_page(students["aturing"]))
    (out / "overview.html").write_text(progress.overview_page(students))
    return out


@pytest.fixture(scope="module")
def page(browser):
    pg = new_page(browser)
    dialogs = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.dialogs = dialogs
    yield pg
    pg.close()


def _axe(pg, name: str) -> list[dict]:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(pg).response["violations"]
    RESULTS[name] = [(v["id"], v["impact"], len(v["nodes"])) for v in violations]
    print(f"axe on {name}: {RESULTS[name] or 'no violation'}")
    return [v for v in violations if v["impact"] in SERIOUS]


def _nothing_ran(pg) -> None:
    assert pg.evaluate("window.__pwned") is None and not pg.dialogs


def test_report_is_accessible_and_its_table_sorts(page, pages):
    page.goto((pages / "01_tensors.html").as_uri())
    table = page.locator("table.sortable").first
    table.wait_for()
    serious = _axe(page, "report")
    assert not serious, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in serious]
    header = table.locator("thead th").filter(has_text="difficulty")
    first_ids = lambda: table.locator("tbody tr td:first-child").all_inner_texts()  # noqa: E731
    before = first_ids()
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    after = first_ids()
    assert after != before and after[0] == planted.MISKEYED  # the hardest item first
    header.locator("button").press("Enter")  # by keyboard, the other way round
    assert header.get_attribute("aria-sort") == "descending" and first_ids()[0] == planted.EASY
    shoot(page, "analysis_report.png")
    _nothing_ran(page)


def test_a_similarity_pair_is_accessible_and_hostile_code_runs_nothing(page, pages):
    page.goto((pages / "similarity.html").as_uri())
    link = page.locator("a", has_text="fallen and ghopper")
    link.click()
    section = page.locator("section:target")
    section.wait_for()
    assert section.locator("mark.ln").count() >= 10 and "fallen" in section.inner_text()
    serious = _axe(page, "similarity pair")
    assert not serious, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in serious]
    shoot(page, "analysis_similarity_pair.png")
    hostile = page.locator("section", has_text="mallory")
    assert hostile.count() == 1
    hostile.scroll_into_view_if_needed()
    text = hostile.inner_text()
    assert HOSTILE_ID in text and "<script>window.__pwned = 2</script>" in text  # shown as text
    assert page.locator("main img").count() == 0 and page.locator("script").count() == 1
    _nothing_ran(page)


def test_progress_page_and_overview_are_accessible(page, pages):
    page.goto((pages / "aturing.html").as_uri())
    page.locator("h1", has_text="Progress: aturing").wait_for()
    serious = _axe(page, "progress page")
    assert not serious, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in serious]
    assert "Revisit: 01_tensors, 3 · Reductions" in page.locator("main").inner_text()
    shoot(page, "analysis_progress.png")
    page.goto((pages / "overview.html").as_uri())
    serious = _axe(page, "class overview")
    assert not serious, [(v["id"], v["help"]) for v in serious]
    _nothing_ran(page)
