"""A real Jupyter server (``jupyter lab`` or ``jupyter server``) on a folder, for the tests
that talk to one: the browser tests and the formgrader's HTTP test."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


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
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        app,
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        *args,
    ]
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
