"""The journal: what grading decided, per student, in ``<course>/engine/results/<assignment>/``.

The one owner of that folder; the scheduler, ``regrade`` and ``results`` read and write it
only through :class:`Journal`:

- ``<student>.json``: a :class:`records.JournalEntry`, written atomically before the
  gradebook rows and again, marked ``recorded``, after them. Its key hashes the engine's
  version, the limits, the source notebooks and the submission: an entry whose key does
  not match is graded again.
- ``kept/<student>/<notebook>.*``: the sandbox's result as it came back (JSON, and each
  test cell's tensors as safetensors), so that ``autograder regrade`` can judge again
  without running student code. Above ``MAX_KEPT_BYTES`` of tensors nothing is kept.
- ``summary.csv``: a row per graded notebook.

An entry written by an older engine (before ``FORMAT``), or one that cannot be read, is
never trusted: :meth:`Journal.read` returns None and says why in :attr:`Journal.problems`,
so ``grade`` grades that student again and ``results`` shows them as not graded.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
from pathlib import Path

import msgspec

from autograder.engine.limits import Limits
from autograder.engine.records import JournalEntry, Row, RunResult, encode

#: The journal's format; entries of another format are graded again.
FORMAT = 2
#: Part of every key: a new engine grades everything again.
ENGINE_VERSION = "2"
#: Tensors of one notebook above this are not kept (a regrade runs the sandbox again).
MAX_KEPT_BYTES = 32 << 20
OLD_FORMAT = "graded by an older version of the engine: run `autograder grade` again"

_HEAD = msgspec.json.Decoder(dict[str, object])
_ENTRY = msgspec.json.Decoder(JournalEntry)
_RESULT = msgspec.json.Decoder(RunResult)


class Journal:
    """One assignment's journal folder (see the module docstring)."""

    def __init__(self, course: str | Path, assignment: str):
        self.course = Path(course)
        self.assignment = assignment
        self.folder = self.course / "engine" / "results" / assignment
        self.problems: dict[str, str] = {}  #: student -> why their entry was not read

    def path(self, student: str) -> Path:
        return self.folder / f"{student}.json"

    def students(self) -> list[str]:
        """Every student with an entry on disk (readable or not)."""
        return sorted(p.stem for p in self.folder.glob("*.json")) if self.folder.is_dir() else []

    # -- entries -----------------------------------------------------------------------
    def key(self, student: str, sources: dict[str, bytes], limits: Limits, variant: str = "") -> str:
        """What an entry is valid for: the engine, the limits, the source, the submission (and
        ``variant``: how it was graded, when not the default, e.g. with every cell run)."""
        h = hashlib.sha256(ENGINE_VERSION.encode() + (f":{variant}".encode() if variant else b""))
        h.update(json.dumps({k: float(v) for k, v in limits.to_dict().items()}, sort_keys=True).encode())
        for nb in sorted(sources):
            h.update(sources[nb])
            p = self.course / "submitted" / student / self.assignment / f"{nb}.ipynb"
            h.update(p.read_bytes() if p.exists() else b"<missing>")
        return h.hexdigest()

    def read(self, student: str) -> JournalEntry | None:
        """The student's entry, or None when there is none or it cannot be trusted (see :attr:`problems`)."""
        try:
            data = self.path(student).read_bytes()
        except OSError:
            return None
        try:
            if _HEAD.decode(data).get("format") != FORMAT:
                self.problems[student] = OLD_FORMAT
                return None
            return _ENTRY.decode(data)
        except (msgspec.DecodeError, RecursionError, ValueError) as exc:
            self.problems[student] = f"its journal entry cannot be read ({exc}): run `autograder grade` again"
            return None

    def valid(self, student: str, key: str) -> JournalEntry | None:
        """The entry, when it was made for exactly this key."""
        entry = self.read(student)
        return entry if entry is not None and entry.key == key else None

    def entries(self) -> dict[str, JournalEntry]:
        """Every readable entry, by student."""
        return {s: e for s in self.students() if (e := self.read(s)) is not None}

    def new_entry(self, key: str, rows: list[Row], checkers: dict, limits: Limits, regraded=()) -> JournalEntry:
        from autograder.engine.records import NotebookEntry

        return JournalEntry(
            FORMAT, key, False, {r.notebook: NotebookEntry(r) for r in rows}, checkers, limits, list(regraded)
        )

    def write(self, student: str, entry: JournalEntry) -> None:
        """Atomically (a grader killed mid-write leaves the old entry or the new one)."""
        _atomic(self.path(student), encode(entry))

    def remove(self, student: str) -> None:
        self.path(student).unlink(missing_ok=True)

    # -- summary.csv -------------------------------------------------------------------
    def write_summary(self, rows: list[Row]) -> Path:
        """``summary.csv`` of ``rows``: student, notebook, status, score, max score, flags."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / ".summary.csv.tmp"
        with open(tmp, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["student", "notebook", "status", "score", "max_score", "flags"])
            for r in sorted(rows, key=lambda r: (r.student, r.notebook)):
                w.writerow([r.student, r.notebook, str(r.status), r.score, r.max_score, " | ".join(r.flags)])
        os.replace(tmp, self.folder / "summary.csv")
        return self.folder / "summary.csv"

    def rewrite_summary(self) -> Path:
        """``summary.csv`` of every journalled student (a partial run must not shrink it)."""
        return self.write_summary([row for entry in self.entries().values() for row in entry.rows()])

    # -- kept sandbox results, for regrade ------------------------------------------------
    def kept_dir(self, student: str) -> Path:
        return self.folder / "kept" / student

    def keep(self, student: str, notebook: str, result: RunResult | None) -> bool:
        """Keep one sandbox result (the JSON last: present means complete); False when none or too big."""
        folder = self.kept_dir(student)
        for p in folder.glob(f"{notebook}.*"):
            p.unlink()
        if result is None:
            return False
        blobs = {k: v for k, v in result.blobs.items() if v}
        if sum(len(v) for v in blobs.values()) > MAX_KEPT_BYTES:
            return False
        folder.mkdir(parents=True, exist_ok=True)
        for k, blob in blobs.items():
            _atomic(folder / f"{notebook}.{k}.safetensors", blob)
        meta = msgspec.structs.replace(result, blobs={k: b"" for k in blobs})
        _atomic(folder / f"{notebook}.json", encode(meta))
        return True

    def kept(self, student: str, notebook: str) -> RunResult | None:
        """The kept result, as the worker returned it, or None."""
        folder = self.kept_dir(student)
        try:
            result = _RESULT.decode((folder / f"{notebook}.json").read_bytes())
            result.blobs = {k: (folder / f"{notebook}.{k}.safetensors").read_bytes() for k in result.blobs}
        except (OSError, msgspec.DecodeError, RecursionError, ValueError):
            return None
        return result

    def forget(self, student: str) -> None:
        shutil.rmtree(self.kept_dir(student), ignore_errors=True)


def _atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
