"""The type checker on the grading engine and the checking library (``[tool.mypy]`` in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys

from support import ROOT


def test_mypy_is_clean_on_the_engine_and_the_checking_library():
    out = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "Success" in out.stdout
