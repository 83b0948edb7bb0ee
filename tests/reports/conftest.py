import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # `reports_support`
sys.path.insert(0, str(HERE.parent / "engine"))  # `engine_support`

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """The small class of ``reports_support``, graded once by the engine: (course, checks file)."""
    import reports_support

    base = tmp_path_factory.mktemp("reports")
    checks = reports_support.copy_checks(base / "checks")
    return reports_support.build(base / "course", checks), checks
