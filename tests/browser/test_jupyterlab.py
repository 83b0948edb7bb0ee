"""A student's first minutes in real JupyterLab, driven in a real browser (Chromium).

JupyterLab opens the released 00_start_here notebook; "Run All Cells" shows the check
boxes (the deliberate wrong example says "Not yet"); nbgrader's "Validate" button says
the blank notebook fails its test, with the checker's report whole and nothing of its
internals; typing an answer into the answer cell and running its check shows "Passed",
and Validate then reports success. The tests share one lab and one page and run in file
order. Last, on its own page, Run All on the blank release of 01_tensors goes through
every cell, unanswered graded cells included, and renders every figure. Screenshots go
to out/screenshots/.
"""

from __future__ import annotations

import shutil
import time

import pytest

from browser_support import new_page, require_browser, shoot
from jupyter_support import jupyter
from support import NOTEBOOKS, figures_of, run_like_a_student

pytestmark = pytest.mark.browser

ANSWER = "def ones_like_shape(x):\n    return torch.ones(x.shape, dtype=torch.float32)\n"
RUN_ALL = "01_tensors.ipynb"  # the blank release that Run All must go through


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    require_browser()
    workdir = tmp_path_factory.mktemp("lab")
    shutil.copy(NOTEBOOKS / "00_start_here.ipynb", workdir)
    shutil.copy(NOTEBOOKS / RUN_ALL, workdir)
    # Render every cell (no virtual scrolling) so that what the page holds is what ran.
    settings = workdir / ".settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    news = workdir / ".settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    # nbgrader's extensions (Validate among them) read the course's configuration: its
    # exchange and kernel timeouts. It sits in the lab's (hidden) Jupyter config dir.
    (workdir / ".jupyter").mkdir()
    (workdir / ".jupyter" / "nbgrader_config.py").write_text(
        "from autograder.nbgrader_setup import configure\n\n"
        f"configure(get_config(), {str(workdir)!r}, exchange={str(workdir / '.exchange')!r})\n"
    )
    with jupyter(
        "lab",
        workdir,
        workdir,
        "--ServerApp.disable_check_xsrf=False",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        env={
            "JUPYTERLAB_SETTINGS_DIR": str(workdir / ".settings"),
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        },
    ) as (base, token):
        yield base, token, workdir


@pytest.fixture(scope="module")
def page(lab, browser):
    base, token, _ = lab
    pg = new_page(browser)
    pg.goto(f"{base}/lab/tree/00_start_here.ipynb?token={token}")
    pg.wait_for_selector(".jp-Notebook .jp-Cell", state="visible")
    _accept_kernel_dialog(pg)
    yield pg
    pg.close()


def _accept_kernel_dialog(pg, wait_s: float = 10, until_idle: bool = False):
    """JupyterLab may ask which kernel to start; the notebook's own (Python 3) is right.
    ``until_idle``: stop waiting as soon as the kernel is idle (then no dialog is coming)."""
    deadline = time.time() + wait_s
    while time.time() < deadline:
        accept = pg.locator(".jp-Dialog button.jp-mod-accept")
        if accept.count():
            accept.first.click()
            return
        if until_idle and pg.locator(".jp-StatusBar-TextItem:text-matches('Python 3.*Idle')").count():
            return
        time.sleep(0.25)


def _kernel_idle(pg, timeout_ms=90_000):
    pg.wait_for_selector(".jp-StatusBar-TextItem:text-matches('Python 3.*Idle')", timeout=timeout_ms)


def _run_all(pg):
    """Run All Cells once the kernel is idle; JupyterLab drops a request sent while it starts
    (and a kernel dialog that came late, on a loaded machine, would swallow the click)."""
    for _ in range(3):
        _accept_kernel_dialog(pg, wait_s=1)
        _kernel_idle(pg)
        pg.click(".lm-MenuBar-itemLabel:text-is('Run')")
        pg.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
        try:
            pg.wait_for_selector(".jp-InputPrompt:text-matches('\\[[0-9*]+\\]')", timeout=30_000)
            return
        except Exception:
            continue
    raise AssertionError("Run All Cells did not start any cell")


def _answer_cell(pg):
    return pg.locator(".jp-CodeCell").filter(has_text="def ones_like_shape(x):").first


def _type_answer(pg):
    """Replace the answer cell's stub with a right answer and run it (the check cell gets selected)."""
    _answer_cell(pg).locator(".cm-content").click()
    pg.keyboard.press("Control+a")
    pg.keyboard.insert_text(ANSWER)
    pg.keyboard.press("Escape")  # command mode: Shift+Enter runs the selected cell
    pg.keyboard.press("Shift+Enter")  # runs the answer, selects the check cell
    _kernel_idle(pg)


def _validate(pg, shot: str):
    """Click nbgrader's Validate (it saves, then validates on the server); screenshot its
    dialog; return the dialog's title and words and the result's CSS classes; close it."""
    _kernel_idle(pg)
    button = pg.locator(".jp-NotebookPanel-toolbar jp-button.validate-button")
    button.click()
    dialog = pg.locator(".jp-Dialog")
    message = dialog.locator("#validation-message")
    try:
        # the server runs the whole notebook in a new kernel (import torch: seconds, more under load)
        dialog.wait_for(state="visible", timeout=180_000)
        # scroll a long report to its end, where the error's last line (the check's message) is
        dialog.evaluate("d => d.querySelectorAll('*').forEach(e => { e.scrollTop = e.scrollHeight; })")
    finally:
        shoot(pg, shot)
    title = dialog.locator(".jp-Dialog-header").inner_text()
    body = dialog.locator(".jp-Dialog-body").inner_text()
    # every line shows whole: no text box of the report is wider than what it shows
    cut = dialog.evaluate(
        "d => [...d.querySelectorAll('pre')].filter(p => p.scrollWidth > p.clientWidth + 1).map(p => p.innerText)"
    )
    assert not cut, f"the Validate dialog cuts these at the right edge: {cut}"
    kind = set((message.get_attribute("class") or "").split()) if message.count() else set()
    dialog.locator("button.jp-mod-accept").click()
    dialog.wait_for(state="detached")
    return title, body, kind


def test_run_all_shows_check_boxes_in_words(page):
    _run_all(page)
    try:
        page.wait_for_function("document.querySelectorAll('.course-check').length >= 2", timeout=120_000)
    finally:
        shoot(page, "00_run_all.png")
    boxes = page.locator(".course-check")
    texts = boxes.all_text_contents()
    assert any("Not yet" in t and "wrong-dtype" in t for t in texts), texts
    assert any("not-implemented" in t for t in texts), texts
    outputs = page.locator(".jp-OutputArea-output").all_text_contents()
    assert any("torch" in t and "| device" in t and "course" in t for t in outputs), outputs[:3]


def test_validate_on_the_blank_notebook_reports_the_failing_test(page):
    assert "NotImplementedError" in _answer_cell(page).inner_text()  # still the release's stub
    title, body, kind = _validate(page, "00_validate_blank.png")
    assert title.strip() == "Validation Results", (title, body)
    assert "validation-failed" in kind, (kind, body)
    assert "The following cell failed:" in body, body
    assert "nb00.ex1.grade(ones_like_shape)" in body, body  # the graded test cell's source
    words = " ".join(body.split())
    assert "Not yet: nb00.ex1" in words and "still raises NotImplementedError" in words, body
    assert "[not-implemented]" in words and "Hint:" in words, body
    assert "exercise.py" not in body and "Traceback" not in body, body  # no checker internals
    assert "Success!" not in body


def test_typing_an_answer_turns_the_check_to_passed(page):
    _kernel_idle(page)  # Run All has finished
    _type_answer(page)
    page.keyboard.press("Shift+Enter")  # runs the check
    check = page.locator(".jp-CodeCell").filter(has_text="nb00.ex1.check(ones_like_shape)")
    try:
        check.locator(".course-check-passed").wait_for(timeout=60_000)
    finally:
        shoot(page, "00_passed.png")
    text = check.locator(".course-check").first.text_content()
    assert "Passed" in text and "\u2714" in text
    check.scroll_into_view_if_needed()
    shoot(page, "00_passed.png")


def test_validate_after_the_answer_reports_success(page):
    if "NotImplementedError" in _answer_cell(page).inner_text():  # run on its own
        _type_answer(page)
    title, body, kind = _validate(page, "00_validate_answered.png")
    assert title.strip() == "Validation Results", (title, body)
    assert "validation-success" in kind, (kind, body)
    assert "Success! Your notebook passes all the tests." in body, body
    assert "failed" not in body.lower()


def test_run_all_on_a_blank_release_reaches_the_last_cell_and_draws_every_figure(lab, browser):
    base, token, workdir = lab
    figures = figures_of(run_like_a_student(workdir / RUN_ALL))
    assert figures > 0, f"{RUN_ALL} draws no figure: pick a blank release that does"
    pg = new_page(browser)
    try:
        # a workspace of its own: only this notebook open (the default one restores 00_start_here's tab)
        pg.goto(f"{base}/lab/workspaces/run-all/tree/{RUN_ALL}?token={token}&reset")
        pg.wait_for_selector(".jp-Notebook .jp-Cell", state="visible")
        _accept_kernel_dialog(pg, wait_s=120, until_idle=True)
        try:
            _run_all(pg)
        finally:
            shoot(pg, "01_run_all_blank.png")
        cells = pg.locator(".jp-Notebook .jp-CodeCell")
        last = cells.nth(cells.count() - 1).locator(".jp-InputPrompt")
        try:  # the last code cell gets its number only when every cell before it ran
            pg.wait_for_function("p => /\\[[0-9]+\\]/.test(p.textContent)", arg=last.element_handle(), timeout=300_000)
            _kernel_idle(pg)
        finally:
            shoot(pg, "01_run_all_blank.png")
        prompts = [p.strip() for p in cells.locator(".jp-InputPrompt").all_text_contents()]
        assert all(p[1:-2].isdigit() for p in prompts), f"cells that did not run: {prompts}"
        outputs = " ".join(pg.locator(".jp-OutputArea-output").all_text_contents())
        assert "Traceback" not in outputs and "NotImplementedError:" not in outputs, outputs[-2000:]
        assert pg.locator(".course-check-failed").count() > 0  # the graded cells showed their boxes
        assert pg.locator(".jp-RenderedImage img").count() == figures
    finally:
        pg.close()
