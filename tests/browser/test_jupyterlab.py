"""A student's first minutes in real JupyterLab, driven in a real browser (Chromium).

JupyterLab opens the released 00_start_here notebook; "Run All Cells" shows the check
boxes (the deliberate wrong example says "Not yet"); typing an answer into the answer
cell and running its check shows "Passed". Screenshots go to out/screenshots/.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from support import NOTEBOOKS, ROOT

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = ROOT / "out" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it")
    pytest.importorskip("playwright")
    workdir = tmp_path_factory.mktemp("lab")
    shutil.copy(NOTEBOOKS / "00_start_here.ipynb", workdir)
    # Render every cell (no virtual scrolling) so that what the page holds is what ran.
    settings = workdir / ".settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    news = workdir / ".settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={workdir}",
           "--ServerApp.disable_check_xsrf=False", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(workdir / ".jupyter"),
               JUPYTERLAB_SETTINGS_DIR=str(workdir / ".settings"), MPLBACKEND="module://matplotlib_inline.backend_inline")
    log = open(workdir / "lab.log", "w")
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited: {(workdir / 'lab.log').read_text()[-2000:]}")
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("JupyterLab did not start within 90 s")
    yield base, token, workdir
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def page(lab):
    from playwright.sync_api import sync_playwright

    base, token, _ = lab
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        pg = browser.new_page(viewport={"width": 1280, "height": 900})
        pg.set_default_timeout(60_000)
        pg.goto(f"{base}/lab/tree/00_start_here.ipynb?token={token}")
        pg.wait_for_selector(".jp-Notebook .jp-Cell", state="visible")
        _accept_kernel_dialog(pg)
        yield pg
        browser.close()


def _accept_kernel_dialog(pg, wait_s: float = 10):
    """JupyterLab may ask which kernel to start; the notebook's own (Python 3) is right."""
    deadline = time.time() + wait_s
    while time.time() < deadline:
        accept = pg.locator(".jp-Dialog button.jp-mod-accept")
        if accept.count():
            accept.first.click()
            return
        time.sleep(0.25)


def _kernel_idle(pg, timeout_ms=90_000):
    pg.wait_for_selector(".jp-StatusBar-TextItem:text-matches('Python 3.*Idle')", timeout=timeout_ms)


def _run_all(pg):
    """Run All Cells once the kernel is idle; JupyterLab drops a request sent while it starts."""
    for _ in range(3):
        _kernel_idle(pg)
        pg.click(".lm-MenuBar-itemLabel:text-is('Run')")
        pg.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
        try:
            pg.wait_for_selector(".jp-InputPrompt:text-matches('\\[[0-9*]+\\]')", timeout=20_000)
            return
        except Exception:
            continue
    raise AssertionError("Run All Cells did not start any cell")


def test_run_all_shows_check_boxes_in_words(page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    _run_all(page)
    try:
        page.wait_for_function("document.querySelectorAll('.course-check').length >= 2", timeout=120_000)
    finally:
        page.screenshot(path=str(SHOTS / "00_run_all.png"))
    boxes = page.locator(".course-check")
    texts = boxes.all_text_contents()
    assert any("Not yet" in t and "wrong-dtype" in t for t in texts), texts
    assert any("not-implemented" in t for t in texts), texts
    outputs = page.locator(".jp-OutputArea-output").all_text_contents()
    assert any("torch" in t and "| device" in t and "course" in t for t in outputs), outputs[:3]


def test_typing_an_answer_turns_the_check_to_passed(page):
    _kernel_idle(page)  # Run All has finished
    answer = page.locator(".jp-CodeCell").filter(has_text="def ones_like_shape(x):").filter(has_text="YOUR CODE HERE")
    answer.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text("def ones_like_shape(x):\n    return torch.ones(x.shape, dtype=torch.float32)\n")
    page.keyboard.press("Escape")  # command mode: Shift+Enter runs the selected cell
    page.keyboard.press("Shift+Enter")  # runs the answer, selects the check cell
    _kernel_idle(page)
    page.keyboard.press("Shift+Enter")  # runs the check
    check = page.locator(".jp-CodeCell").filter(has_text="nb00.ex1.check(ones_like_shape)")
    try:
        check.locator(".course-check-passed").wait_for(timeout=60_000)
    finally:
        page.screenshot(path=str(SHOTS / "00_passed.png"))
    text = check.locator(".course-check").first.text_content()
    assert "Passed" in text and "\u2714" in text
    check.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "00_passed.png"))
