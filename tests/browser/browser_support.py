"""Shared pieces of the browser tests: a real Jupyter server on a folder, Chromium, screenshots."""

from __future__ import annotations

import contextlib
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

from support import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = ROOT / "out" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def require_browser() -> None:
    """Skip (before anything slow is built) where Chromium or Playwright is missing."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it")
    pytest.importorskip("playwright")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyter(app: str, root: Path, home: Path, *args: str, env: dict[str, str] | None = None):
    """``jupyter <app>`` (``lab`` or ``server``) serving ``root``; yields (base URL, token).

    It runs from ``root``, so that nbgrader reads an ``nbgrader_config.py`` there; its
    Jupyter config dir is ``home/.jupyter`` and its log ``home/<app>.log``.
    """
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyter", app, "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", *args]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / ".jupyter"), **(env or {}))
    log_path = home / f"{app}.log"
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=root, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.time() + 90
            while True:
                try:
                    urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                    break
                except OSError:
                    if proc.poll() is not None:
                        pytest.fail(f"jupyter {app} exited: {log_path.read_text()[-2000:]}")
                    if time.time() > deadline:
                        pytest.fail(f"jupyter {app} did not start within 90 s: {log_path.read_text()[-2000:]}")
                    time.sleep(0.5)
            yield base, token
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def new_page(browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(60_000)
    return page


def shoot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    page.screenshot(path=str(path))
    return path
