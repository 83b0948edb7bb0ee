import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # `attacks`, `redteam_support`
sys.path.insert(0, str(HERE.parent / "engine"))  # `engine_support`

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """Every attack and malformed submission, graded together in one engine run."""
    from redteam_support import build_and_grade

    return build_and_grade(tmp_path_factory.mktemp("redteam") / "course")


@pytest.fixture(scope="session")
def one_worker():
    """One single-threaded Dask worker: every submission of a run goes through the same zygote."""
    from autograder.engine.scheduler import _client

    client, cluster = _client(None, 1)
    yield client
    client.close()
    cluster.close()
