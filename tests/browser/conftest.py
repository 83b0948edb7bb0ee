import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # `browser_support`
sys.path.insert(0, str(HERE.parent / "engine"))  # `engine_support` (the graded course of the formgrader page)
sys.path.insert(0, str(HERE.parent / "reports"))  # `reports_support`
sys.path.insert(0, str(HERE.parent / "analysis"))  # `planted` (the analysis pages)

import pytest  # noqa: E402

from browser_support import CHROMIUM, CHROMIUM_ARGS, require_browser  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (closed before the next module's tests run)."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
