"""``collect PATH``: turn whatever a class handed in into nbgrader's ``submitted/`` layout.

Submissions arrive as a folder or a zip in many layouts (``<student>/<notebook>.ipynb``,
flat ``<student>_<notebook>.ipynb``, LMS download names, Colab's "Copy of ..." names),
and the notebooks themselves are often damaged: Colab saves nbformat 4.0 without cell
ids and may drop nbgrader's cell metadata, students recreate deleted cells, files get
truncated (nbgrader #424, #1398). nbgrader needs each notebook at
``<course>/submitted/<student>/<assignment>/<assignment>.ipynb`` with the nbgrader
metadata of its cells intact, so this module:

1. reads every file robustly and gives each one a status; nothing is dropped: what
   cannot be placed is listed with the reason and its original bytes are kept;
2. decides the assignment (file name, then content) and the student: with a roster
   (the course's gradebook, or a roster file), only a roster student, found by id,
   login, e-mail, LMS user id or name in the file name or in any folder above it; a
   file that names nobody on the roster is listed with the closest roster match,
   never filed under a made-up student;
3. matches the notebook's cells to the released notebook's graded cells (grade id, then
   cell id, then a fingerprint of the content) and writes nbgrader's metadata back from
   the release, never from the submission (a cell the student re-marked as a test cell
   is not honoured);
4. keeps the newest of two files for one student and assignment and lists the other;
5. writes ``timestamp.txt`` (file time, zip entry time, or the date in an LMS name, read
   in the given time zone), so nbgrader's late policy applies.

Every run keeps its own record in ``<course>/collect/runs/<time>/`` (its report, the
original bytes of what it placed, quarantined or replaced); nothing of an earlier run is
deleted. ``<course>/collect/report.json`` is the course's current view over all runs:
per student and assignment the latest run's word (placed, or why not), which is what
feedback, export and report read.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import hashlib
import io
import json
import re
import shutil
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from pathlib import Path, PurePosixPath

from autograder import cells as matcher
from autograder.cells import STUB_LINES
from autograder.cells import source_text as _text
from autograder.errors import UsageError
from autograder.paths import NOTEBOOKS
from autograder.roster import RosterEntry

__all__ = ["RosterEntry", "collect", "parse_file_name", "read_notebook", "CollectReport"]

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"
#: Files and folders that zip tools and Jupyter add: never submissions.
JUNK_PARTS = {"__MACOSX", ".ipynb_checkpoints", ".DS_Store", "Thumbs.db", ".git", "desktop.ini"}
#: Folder and name words that say nothing about who the student is.
GENERIC_WORDS = {
    "submission",
    "submissions",
    "submitted",
    "assignment",
    "assignments",
    "late",
    "homework",
    "hw",
    "download",
    "downloads",
    "class",
    "copy",
    "of",
    "files",
    "ipynb",
    "attempt",
    "notebook",
    "notebooks",
    "final",
    "version",
    "assignsubmission",
    "file",
    "onlinetext",
    "week",
    "lab",
    "labs",
    "term",
    "semester",
    "section",
    "group",
    "export",
    "handin",
    "handins",
    "draft",
    "old",
    "new",
    "resubmission",
    "graded",
    "ungraded",
}
#: How sure the content must be before it overrules or replaces the file name.
CONTENT_MIN = 0.3
#: How alike a name must be to a roster entry to be shown as "closest" (never used to place).
CLOSEST_MIN = 0.6


# -- the report -------------------------------------------------------------------------
@dataclass
class CellMatch:
    """How one graded cell of the release was found in the submission."""

    grade_id: str
    kind: str  # answer | test | locked
    how: str  # grade_id | cell_id | fingerprint | reinserted | missing | claim-removed
    restored: bool  # True when nbgrader metadata was written back (missing or altered)
    # claim-removed: a cell that matches no cell of the release claimed this grade id (which
    # may be no grade id of the release); its nbgrader metadata was removed
    detail: str = ""


@dataclass
class Placed:
    origin: str
    student: str
    assignment: str
    path: str  # the notebook written under submitted/
    timestamp: str
    timestamp_from: str  # file-mtime | zip-entry | lms-name
    assignment_by: str  # file-name | content | file-name+content
    student_by: str  # roster: how it was matched | file-name | folder (no roster)
    read_status: str  # ok | decoded-cp1252 | ...
    cells: list[CellMatch] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    run: str = ""  # the run that placed it (collect/runs/<run>/)
    sha256: str = ""  # of the notebook written under submitted/ (what the grader reads)

    @property
    def restored(self) -> list[CellMatch]:
        return [c for c in self.cells if c.restored]


@dataclass
class Unplaced:
    origin: str
    reason: str  # empty-file | corrupt-json | not-a-notebook | unknown-assignment | unknown-student | ...
    detail: str
    kept_at: str  # original bytes, under <course>/collect/runs/<run>/quarantine
    student: str | None = None  # when the names say whose it is (the cause of their missing grade)
    assignment: str | None = None  # when the name or the content says which assignment
    closest: str = ""  # unknown students: the closest roster match, in words
    sha256: str = ""
    run: str = ""


@dataclass
class Duplicate:
    origin: str
    student: str
    assignment: str
    kept: str  # the origin that was placed instead (the newest)
    kept_at: str
    sha256: str = ""
    run: str = ""


@dataclass
class CollectReport:
    placed: list[Placed] = field(default_factory=list)
    unplaced: list[Unplaced] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (origin, why): junk, not notebooks
    run: str = ""  # collect/runs/<run>/ ("" for a dry run)
    source: str = ""  # the zip or folder collected
    assignments: list[str] = field(default_factory=list)
    roster: str = ""  # where the roster came from, in words
    tz: str = "UTC"  # the zone LMS dates in file names were read in
    dry_run: bool = False
    missing: dict[str, list[str]] = field(default_factory=dict)  # assignment -> roster students without it

    @property
    def restored(self) -> list[Placed]:
        return [p for p in self.placed if p.restored]

    def find(self, student: str, assignment: str) -> Placed | None:
        return next((p for p in self.placed if p.student == student and p.assignment == assignment), None)

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        for p, d in zip(self.placed, out["placed"], strict=True):
            d["restored"] = [c.grade_id for c in p.restored]
        return out

    def summary(self) -> str:
        verb = "would place" if self.dry_run else "placed"
        lines = [
            f"{verb} {len(self.placed)}, restored metadata in {len(self.restored)}, "
            f"unplaced {len(self.unplaced)}, duplicates {len(self.duplicates)}, ignored {len(self.ignored)}"
        ]
        if self.roster:
            lines.append(f"  roster: {self.roster}")
        for p in sorted(self.placed, key=lambda p: (p.assignment, p.student)):
            extra = f"  restored: {', '.join(c.grade_id + ' by ' + c.how for c in p.restored)}" if p.restored else ""
            unchanged = "  (unchanged)" if any(n.startswith("unchanged") for n in p.notes) else ""
            lines.append(
                f"  {'placed':<9} {p.student:<14} {p.assignment:<14} <- {p.origin}  [{p.student_by}]{extra}{unchanged}"
            )
        for u in self.unplaced:
            who = f" [{u.student}, {u.assignment or '?'}]" if u.student else ""
            closest = f"; closest roster match: {u.closest}" if u.closest else ""
            kept = f" kept at {u.kept_at}" if u.kept_at else ""
            lines.append(f"  UNPLACED  {u.origin}{who}: {u.reason} ({u.detail}{closest}){kept}")
        for d in self.duplicates:
            lines.append(f"  duplicate {d.student} {d.assignment}: {d.origin} (kept {d.kept})")
        for a, students in sorted(self.missing.items()):
            if students:
                lines.append(f"  nothing placed for {a}: {', '.join(students)}")
        if self.run:
            lines.append(f"record of this run: collect/runs/{self.run}/ (report.json, originals, quarantine)")
        elif self.dry_run:
            lines.append("dry run: nothing was written")
        return "\n".join(lines)


# -- reading -----------------------------------------------------------------------------
@dataclass
class _Entry:
    origin: str  # path as shown to people: relative path, or zip!/entry
    parts: tuple[str, ...]  # relative path parts, file name last
    data: bytes
    mtime: datetime

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _is_junk(parts: tuple[str, ...]) -> bool:
    return any(p in JUNK_PARTS or p.startswith("._") for p in parts)


def _zip_entries(data: bytes, label: str, prefix: tuple[str, ...], ignored: list) -> list[_Entry]:
    entries = []
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ValueError(f"{label} is not a readable zip: {exc}") from exc
    for info in archive.infolist():
        if info.is_dir():
            continue
        name = info.filename.replace("\\", "/")  # zips made on Windows may separate folders with backslashes
        parts = prefix + tuple(p for p in PurePosixPath(name).parts if p not in ("", "."))
        origin = f"{label}!/{info.filename}"
        if _is_junk(parts):
            ignored.append((origin, "system file (macOS, Jupyter checkpoint)"))
            continue
        try:
            content = archive.read(info)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
            ignored.append((origin, f"cannot be read from the zip ({exc})"))
            continue
        if parts[-1].lower().endswith(".zip"):  # LMS downloads sometimes nest zips
            try:
                entries += _zip_entries(content, origin, parts[:-1] + (parts[-1][:-4],), ignored)
            except ValueError as exc:
                ignored.append((origin, str(exc)))
            continue
        when = datetime(*info.date_time, tzinfo=timezone.utc)
        entries.append(_Entry(origin, parts, content, when))
    return entries


def _entries(path: Path, ignored: list) -> list[_Entry]:
    """Every file of the hand-in; a :class:`UsageError` when ``path`` is not one."""
    if not path.exists():
        raise UsageError(f"no such file or folder {path}", "give the zip or the folder of the hand-ins")
    try:
        return _file_entries(path, ignored) if path.is_file() else _folder_entries(path, ignored)
    except PermissionError as exc:
        raise UsageError(f"cannot read {exc.filename or path} (permission denied)", "check its permissions") from None


def _file_entries(path: Path, ignored: list) -> list[_Entry]:
    """One file handed in: a zip (read whole, or refused as damaged) or one notebook."""
    data = path.read_bytes()
    if zipfile.is_zipfile(io.BytesIO(data)):
        try:
            return _zip_entries(data, path.name, (), ignored)
        except ValueError:
            pass
        raise UsageError(f"{path} is a damaged zip", "download it again")
    if data[:4] == b"PK\x03\x04" or path.suffix.lower() == ".zip" and data[:2] == b"PK":
        raise UsageError(f"{path} is a damaged zip (cut short or corrupted)", "download it again")
    if path.suffix.lower() == ".ipynb":
        when = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
        return [_Entry(path.name, (path.name,), data, when)]
    raise UsageError(
        f"{path} is not a zip or a notebook",
        "give the zip your LMS downloaded, a folder of hand-ins, or one .ipynb file",
    )


def _folder_entries(path: Path, ignored: list) -> list[_Entry]:
    """Every file under a folder, the zips in it opened; what cannot be read goes to ``ignored``."""
    entries = []
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        parts = file.relative_to(path).parts
        origin = str(file.relative_to(path))
        if _is_junk(parts):
            ignored.append((origin, "system file (macOS, Jupyter checkpoint)"))
            continue
        try:
            data = file.read_bytes()
        except OSError as exc:
            ignored.append((origin, f"cannot be read ({exc.strerror or exc})"))
            continue
        if file.suffix.lower() == ".zip":
            try:
                entries += _zip_entries(data, origin, parts[:-1] + (file.stem,), ignored)
            except ValueError as exc:
                ignored.append((origin, str(exc)))
            continue
        when = datetime.fromtimestamp(file.stat().st_mtime, tz=timezone.utc)
        entries.append(_Entry(origin, parts, data, when))
    return entries


def read_notebook(data: bytes) -> tuple[dict | None, str, str]:
    """Bytes -> (notebook as plain JSON, status, detail). Never raises.

    Status ``ok`` or ``decoded-<codec>`` means usable; anything else is a reason not to place it.
    """
    if not data.strip():
        return None, "empty-file", f"{len(data)} bytes, nothing but whitespace"
    status = "ok"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        status = "decoded-cp1252"
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text, status = data.decode("latin-1"), "decoded-latin-1"
        status += f" (not UTF-8 at byte {exc.start})"
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, "corrupt-json", f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return None, "not-a-notebook", "JSON without a list of cells"
    if nb.get("nbformat") != 4:
        return None, "unsupported-nbformat", f"nbformat {nb.get('nbformat')!r}; only nbformat 4 is read"
    for i, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            return None, "not-a-notebook", f"cell {i} is not a code, markdown or raw cell"
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = {}
    return nb, status, ""


# -- fingerprints of the release's graded cells (the matcher is autograder.cells) --------------
def _signature(source: str) -> list[str]:
    """The non-solution lines of an answer stub (the ``def name(`` lines and their frame)."""
    return [line for line in matcher.norm_lines(source) if line not in STUB_LINES]


@dataclass
class _Graded:
    index: int
    grade_id: str
    kind: str
    cell: dict
    lines: list[str]

    @property
    def ref(self) -> matcher.RefCell:
        """This cell as the matcher looks for it."""
        text = _text(self.cell.get("source"))
        names = tuple(sorted(matcher.defined_names("\n".join(self.lines)))) if self.kind == "answer" else ()
        return matcher.RefCell(
            self.index,
            str(self.cell.get("cell_type")),
            self.kind,
            self.grade_id,
            frozenset(i for i in (self.cell.get("id"), self.grade_id) if isinstance(i, str)),
            frozenset({matcher.fingerprint(text)}),
            tuple(self.lines),
            names,
        )


@dataclass
class Source:
    """A released notebook: the trusted origin of cell metadata and of the locked cells."""

    assignment: str
    nb: dict
    graded: list[_Graded]

    @classmethod
    def load(cls, assignment: str, path: Path) -> "Source":
        nb = json.loads(Path(path).read_text())
        graded = []
        for i, cell in enumerate(nb["cells"]):
            meta = cell.get("metadata", {}).get("nbgrader")
            if not meta or not meta.get("grade_id"):
                continue
            kind = "answer" if meta.get("solution") else "test" if meta.get("grade") else "locked"
            src = _text(cell.get("source"))
            graded.append(
                _Graded(
                    i, meta["grade_id"], kind, cell, _signature(src) if kind == "answer" else matcher.norm_lines(src)
                )
            )
        return cls(assignment, nb, graded)


def content_score(nb: dict, source: Source) -> float:
    """Share of the release's graded cells found in ``nb`` by grade id or by content."""
    if not source.graded:
        return 0.0
    subs = [matcher.SubCell.of(j, c) for j, c in enumerate(nb["cells"])]
    gids = {c.grade_id for c in subs}
    found = sum(1 for g in source.graded if g.grade_id in gids or any(matcher.fits(g.ref, c) for c in subs))
    return found / len(source.graded)


def match_cells(nb: dict, source: Source) -> tuple[dict[int, tuple[_Graded, str]], list[str]]:
    """Sub cell index -> (release cell, how): by grade id, then cell id, then content (``autograder.cells``)."""
    by_index = {g.index: g for g in source.graded}
    m = matcher.match([g.ref for g in source.graded], nb["cells"])
    hows = {matcher.How.NAMES: "fingerprint"}
    taken = {j: (by_index[i], hows.get(how, how.value)) for i, (j, how) in m.found.items()}
    return taken, m.notes


_ID_OK = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def restore(nb: dict, source: Source) -> tuple[dict, list[CellMatch], list[str]]:
    """The submission rebuilt as nbformat 4.5 with the release's nbgrader metadata.

    Every nbgrader field comes from the release. Cells that match nothing lose any
    nbgrader metadata they claim; locked and test cells the student deleted are put back
    from the release (nbgrader takes their source from the gradebook anyway).
    """
    taken, notes = match_cells(nb, source)
    out_cells: list[dict] = []
    seen_ids: set[str] = set()
    position: dict[str, int] = {}  # grade id -> index in out_cells
    claims: dict[int, object] = {}  # what the submission's matched cells said about themselves
    removed: list[CellMatch] = []  # what cells that match nothing claimed
    for i, cell in enumerate(nb["cells"]):
        cell = copy.deepcopy(cell)
        new = _plain_cell(cell)
        claimed = new["metadata"].pop("nbgrader", None)
        if i in taken:
            g = taken[i][0]
            cid = _take_release_metadata(new, g)
            position[g.grade_id] = len(out_cells)
            claims[i] = claimed
        else:
            if claimed:
                notes.append(f"cell {i}: nbgrader metadata {_short(claimed)} matches no cell of the release: removed")
                gid = claimed.get("grade_id") if isinstance(claimed, dict) else None
                if isinstance(gid, str) and gid:
                    removed.append(
                        CellMatch(
                            gid,
                            _claimed_kind(claimed),
                            "claim-removed",
                            False,
                            f"a cell that matches no cell of the release claimed {_short(claimed)}",
                        )
                    )
            cid = next(
                (c for c in (cell.get("id"), new["metadata"].get("id")) if isinstance(c, str) and _ID_OK.match(c)), None
            )
        new["id"] = _unique_id(cid, f"cell-{i}", seen_ids, notes, f"cell {i}")
        out_cells.append(new)

    matches: list[CellMatch] = []
    for i, (g, how) in sorted(taken.items(), key=lambda kv: kv[1][0].index):
        claimed = claims[i]
        same = claimed == g.cell["metadata"]["nbgrader"]
        detail = "" if same or claimed is None else f"submission claimed {_short(claimed)}"
        matches.append(CellMatch(g.grade_id, g.kind, how, restored=not same, detail=detail))
    matched = {m.grade_id for m in matches}
    matches += _put_back_deleted(
        [g for g in source.graded if g.grade_id not in matched], source, out_cells, position, seen_ids
    )
    matches.extend(removed)

    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    meta = copy.deepcopy(meta)
    meta["kernelspec"] = copy.deepcopy(source.nb.get("metadata", {}).get("kernelspec", meta.get("kernelspec", {})))
    out = {
        "cells": out_cells,
        "metadata": meta,
        "nbformat": 4,
        "nbformat_minor": max(5, nb.get("nbformat_minor") if isinstance(nb.get("nbformat_minor"), int) else 0),
    }
    return out, matches, notes


def _plain_cell(cell: dict) -> dict:
    """The fields nbformat 4.5 allows for the cell's type, each of the right type (or empty)."""
    ctype = cell.get("cell_type", "code")
    new = {
        "cell_type": ctype,
        "metadata": cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {},
        "source": _text(cell.get("source")),
    }
    if ctype == "code":
        new["outputs"] = cell.get("outputs") if isinstance(cell.get("outputs"), list) else []
        new["execution_count"] = cell.get("execution_count") if isinstance(cell.get("execution_count"), int) else None
    if ctype in ("markdown", "raw") and isinstance(cell.get("attachments"), dict):
        new["attachments"] = cell["attachments"]
    return new


def _take_release_metadata(new: dict, g: _Graded) -> str:
    """The release cell's nbgrader metadata (and its editable/deletable flags) onto the
    matched cell; the cell id to give it, the release's."""
    new["metadata"]["nbgrader"] = copy.deepcopy(g.cell["metadata"]["nbgrader"])
    for key in ("editable", "deletable"):
        if key in g.cell.get("metadata", {}):
            new["metadata"][key] = g.cell["metadata"][key]
    return g.cell.get("id") or g.grade_id


def _unique_id(cid: str | None, fallback: str, seen_ids: set[str], notes: list[str], where: str) -> str:
    """``cid``, or ``fallback`` when there is none, with a suffix when a cell took it already."""
    if cid is None or cid in seen_ids:
        if cid is not None:
            notes.append(f"{where}: duplicate cell id {cid!r} renamed")
        base, k = (cid or fallback), 1
        cid = base
        while cid in seen_ids:
            cid, k = f"{base}-{k}", k + 1
    seen_ids.add(cid)
    return cid


def _put_back_deleted(
    deleted: list[_Graded], source: Source, out_cells: list[dict], position: dict[str, int], seen_ids: set[str]
) -> list[CellMatch]:
    """Graded cells the student deleted: a locked or test cell goes back in after the graded
    cells that come before it in the release; a missing answer scores 0."""
    matches = []
    for g in deleted:
        if g.kind == "answer":
            matches.append(CellMatch(g.grade_id, g.kind, "missing", False, "no cell defines it: the exercise scores 0"))
            continue
        prev = [position[h.grade_id] for h in source.graded if h.index < g.index and h.grade_id in position]
        at = max(prev) + 1 if prev else len(out_cells)
        cell = copy.deepcopy(g.cell)
        cell["id"] = cell.get("id") if cell.get("id") not in seen_ids else f"{g.grade_id}-restored"
        seen_ids.add(cell["id"])
        out_cells.insert(at, cell)
        for gid, p in position.items():
            if p >= at:
                position[gid] = p + 1
        position[g.grade_id] = at
        matches.append(
            CellMatch(g.grade_id, g.kind, "reinserted", True, "deleted by the student; put back from the release")
        )
    return matches


def _claimed_kind(meta: dict) -> str:
    """What nbgrader metadata makes a cell: test, answer or locked."""
    if meta.get("grade") and not meta.get("solution"):
        return "test"
    return "answer" if meta.get("solution") else "locked"


def _short(meta) -> str:
    if not isinstance(meta, dict):
        return repr(meta)[:60]
    keys = ("grade_id", "grade", "solution", "locked", "points")
    return "{" + ", ".join(f"{k}={meta[k]!r}" for k in keys if k in meta) + "}"


# -- names: which assignment, which student, when -------------------------------------------------
_COPY_OF = re.compile(r"^(copy of\s+)+", re.I)
_DUP_SUFFIX = re.compile(r"(\s*\(\d+\)|\s*-\s*copy(\s*\d+)?|-checkpoint)$", re.I)
_LMS_DATE = re.compile(r"([A-Z][a-z]{2})\s+(\d{1,2}),\s*(\d{4})\s+(\d{1,2})(\d{2})\s*([AP]M)", re.I)
_ATTEMPT_DATE = re.compile(r"_attempt_(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})")  # Blackboard
_MONTHS = {
    m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)
}
_RECEIPT = re.compile(r"_attempt_\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.txt$", re.I)  # Blackboard's receipt per hand-in


def _key(text: str) -> str:
    """Lower-case ASCII letters and digits only: 'Ó Brien-Smith' -> 'obriensmith'."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def _clean(name: str) -> str:
    """A file or folder name without its extension, "Copy of" and "(1)"."""
    stem = re.sub(r"\.(ipynb|py|txt|html|pdf|json|zip)$", "", name.strip(), flags=re.I)
    return _DUP_SUFFIX.sub("", _COPY_OF.sub("", stem.strip())).strip()


@dataclass
class NameInfo:
    assignment: str | None
    name_tokens: list[str]
    lms_ids: list[str]
    when: datetime | None


def _local(naive: datetime, tz: tzinfo | None) -> datetime:
    """A wall-clock time in ``tz`` (None: the machine's own zone), as UTC."""
    return (naive.replace(tzinfo=tz) if tz is not None else naive.astimezone()).astimezone(timezone.utc)


def parse_file_name(name: str, assignments: list[str], tz: tzinfo | None = timezone.utc) -> NameInfo:
    """What a submission's file name says: the assignment, the student's name, a date.

    Knows "Copy of X", "X (1)", LMS names such as ``Smith_John_12345_submission_01_tensors``
    and ``12345-67890 - John Smith - Jan 5, 2026 301 PM - 01_tensors`` (the date read in
    ``tz``, the LMS's time zone), Blackboard's ``..._attempt_2026-01-05-15-01-00_...``.
    """
    stem = _clean(name)
    when, name_part = None, None
    pieces = [p.strip() for p in stem.split(" - ")]
    if len(pieces) >= 3:  # "ids - First Last - date - original name"
        for k, piece in enumerate(pieces):
            m = _LMS_DATE.search(piece)
            if m and m.group(1).lower()[:3] in _MONTHS:
                hour = int(m.group(4)) % 12 + (12 if m.group(6).upper() == "PM" else 0)
                when = _local(
                    datetime(int(m.group(3)), _MONTHS[m.group(1).lower()[:3]], int(m.group(2)), hour, int(m.group(5))),
                    tz,
                )
                if k >= 1:
                    name_part = pieces[k - 1]
                stem = " ".join([pieces[0]] + pieces[k + 1 :])
                break
    m = _ATTEMPT_DATE.search(stem)
    if m and when is None:
        when = _local(datetime(*(int(g) for g in m.groups())), tz)
        stem = stem[: m.start()] + "_" + stem[m.end() :]
    slug = _slug(stem)
    found = None
    for a in sorted(assignments, key=len, reverse=True):
        s = _slug(a)
        hit = re.search(rf"(^|_){re.escape(s)}(_|$)", slug)
        if hit:
            found = a
            slug = (slug[: hit.start()] + "_" + slug[hit.end() :]).strip("_")
            break
    tokens = [t for t in (_slug(name_part) if name_part else slug).split("_") if t]
    lms_ids = [t for t in slug.split("_") if t.isdigit()]
    tokens = [t for t in tokens if not t.isdigit() and t not in GENERIC_WORDS]
    return NameInfo(found, tokens, lms_ids, when)


# -- which student: the roster decides ---------------------------------------------------------------
#: Evidence and its weight: the whole name is an id, login or e-mail; one of its words is an id,
#: login or student number; a run of its words is the student's full name; one of its words is
#: the part before @ of an e-mail (often a first name: weaker). Kinds add up, per student.
WHOLE, TOKEN, FULL_NAME, MAIL_PART = 3.0, 2.0, 2.0, 1.5


@dataclass
class StudentMatch:
    student: str | None
    how: str = ""
    ambiguous: list[str] = field(default_factory=list)
    closest: str = ""


class _Evidence:
    """What one name says about each student: per kind of evidence the strongest finding."""

    def __init__(self) -> None:
        self.found: dict[str, dict[str, tuple[float, str]]] = {}

    def add(self, ids: set[str], kind: str, weight: float, how: str) -> None:
        for sid in ids:
            if weight > self.found.setdefault(sid, {}).get(kind, (0.0, ""))[0]:
                self.found[sid][kind] = (weight, how)

    def totals(self) -> dict[str, tuple[float, str]]:
        """student -> (the kinds' weights added up, how the strongest said it)."""
        return {sid: (sum(w for w, _ in kinds.values()), max(kinds.values())[1]) for sid, kinds in self.found.items()}


class RosterIndex:
    """A roster, looked up by every way a file or folder name can name a student."""

    def __init__(self, roster: list[RosterEntry]):
        self.entries = {r.id: r for r in roster}
        self.identity: dict[str, set[str]] = {}  # ids, logins, numbers, e-mails
        self.mail_part: dict[str, set[str]] = {}  # e-mails' part before @
        self.names: dict[str, set[str]] = {}
        self.label: dict[tuple[str, str], str] = {}  # (key, student) -> "id", "login", ...
        for r in roster:
            for k in r.identities():
                self.identity.setdefault(k, set()).add(r.id)
            for value, label in (
                (r.email, "e-mail"),
                (r.lms_user_id, "LMS user id"),
                (r.sis_user_id, "student number"),
                (r.login, "login"),
                (r.id, "id"),
            ):
                if value:
                    self.label[(value.strip().lower(), r.id)] = label
            for mail in (r.email, r.login):
                if "@" in mail:
                    k = mail.split("@")[0].lower()
                    self.mail_part.setdefault(k, set()).add(r.id)
            for k in r.name_keys():
                self.names.setdefault(k, set()).add(r.id)

    def evidence(self, text: str, assignments: list[str]) -> dict[str, tuple[float, str]]:
        """student -> (weight, how) from one file or folder name; each kind of evidence counts once."""
        cleaned = _clean(text)
        found = _Evidence()
        whole = cleaned.lower().strip()
        self._identities(found, whole, self.identity.get(whole, set()), "whole", WHOLE)
        tokens = {t.lower() for t in re.split(r"[\s_]+|\s-\s", cleaned) if t}
        tokens |= {piece for t in tokens if "-" in t and "@" not in t for piece in t.split("-") if piece}  # hw1-login
        for token in tokens - {whole}:
            if len(token) >= (4 if token.isdigit() else 3):  # shorter words name no one
                self._token(found, token)
        self._names(found, [t for t in parse_file_name(cleaned, assignments).name_tokens if t])
        return found.totals()

    def _identities(self, found: _Evidence, key: str, ids: set[str], kind: str, weight: float) -> None:
        for sid in ids:
            found.add({sid}, kind, weight, f"{self.label.get((key, sid), 'e-mail')} {key!r}")

    def _token(self, found: _Evidence, token: str) -> None:
        """One word of the name: an id, login or number; an e-mail's part before @; an e-mail
        whose part before @ is a login or an id."""
        self._identities(
            found,
            token,
            {sid for sid in self.identity.get(token, set()) if (token, sid) in self.label},  # not an e-mail's part
            "token",
            TOKEN,
        )
        found.add(self.mail_part.get(token, set()), "mail", MAIL_PART, f"e-mail name {token!r}")
        local = token.split("@")[0] if "@" in token else ""
        if local and local not in self.mail_part:  # an e-mail whose name is a login or an id
            for sid in self.identity.get(local, set()):
                if (local, sid) in self.label:
                    found.add(
                        {sid}, "token", TOKEN, f"{self.label[(local, sid)]} {local!r} (from the e-mail {token!r})"
                    )

    def _names(self, found: _Evidence, words: list[str]) -> None:
        """Runs of up to 4 words, in either order, that are a student's full name (longer runs weigh more)."""
        for size in range(min(4, len(words)), 0, -1):
            for i in range(len(words) - size + 1):
                window = words[i : i + size]
                for key in {"".join(window), "".join(reversed(window))}:
                    if key in self.names:
                        found.add(self.names[key], "name", FULL_NAME + 0.1 * size, f"name {' '.join(window)!r}")

    def match(self, texts: list[str], assignments: list[str]) -> StudentMatch:
        """The student named by the innermost text (file name first, then folders outward)
        that names anyone on the roster; ambiguous when two are named equally strongly."""
        for text in texts:
            found = self.evidence(text, assignments)
            if not found:
                continue
            best = max(w for w, _ in found.values())
            top = sorted(sid for sid, (w, _) in found.items() if w == best)
            if len(top) == 1:
                return StudentMatch(top[0], f"roster {found[top[0]][1]} in {text!r}")
            return StudentMatch(None, ambiguous=top, how=f"{text!r} names {', '.join(top)} equally")
        return StudentMatch(None, closest=self.closest(texts, assignments))

    def closest(self, texts: list[str], assignments: list[str]) -> str:
        """The roster entry most like any of the names, in words ('' when none is alike)."""
        best: tuple[float, str] = (0.0, "")
        for text in texts:
            words = [_key(w) for w in re.split(r"[\s_]+", _clean(text)) if _key(w)]
            words = [
                w
                for w in words
                if w not in GENERIC_WORDS
                and not w.isdigit()
                and w not in {_key(p) for a in assignments for p in a.split("_")}
            ]
            tries = {"".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, min(len(words), i + 3) + 1)}
            for sid, r in self.entries.items():
                keys = {_key(k) for k in r.identities()} | r.name_keys()
                for t in tries:
                    for k in keys:
                        ratio = difflib.SequenceMatcher(None, t, k).ratio()
                        if ratio > best[0]:
                            best = (ratio, sid)
        if best[0] < CLOSEST_MIN:
            return ""
        r = self.entries[best[1]]
        name = " ".join(x for x in (r.first_name, r.last_name) if x)
        return f"{best[1]}{f' ({name})' if name else ''}, {best[0]:.0%} alike"


def _texts(entry: _Entry) -> list[str]:
    """The file's name, then its folders from the innermost out."""
    return [entry.parts[-1]] + list(reversed(entry.parts[:-1]))


def _student_of(entry: _Entry, info: NameInfo, assignments: list[str], roster: RosterIndex | None) -> StudentMatch:
    if roster is not None:
        return roster.match(_texts(entry), assignments)
    folders = []  # no roster: the names themselves (said in the report)
    for folder in reversed(entry.parts[:-1]):
        f = parse_file_name(folder, assignments)
        if f.assignment and not f.name_tokens:  # <student>/<assignment>/<file>
            continue
        folders.append(f.name_tokens)
    for tokens, how in zip([info.name_tokens] + folders, ["file-name"] + ["folder"] * len(folders), strict=True):
        if tokens:
            return StudentMatch("_".join(tokens), how)
    return StudentMatch(None)


def _default_sources(course_root: Path, assignments: list[str] | None) -> dict[str, Path]:
    found = {}
    release = course_root / "release"
    for folder in sorted(release.glob("*")) if release.is_dir() else []:
        nb = folder / f"{folder.name}.ipynb"
        if nb.exists():
            found[folder.name] = nb
    if not found:  # a bare folder (tests, the Python API): the repository's own release
        for nb in sorted(NOTEBOOKS.glob("*.ipynb")):
            found.setdefault(nb.stem, nb)
    if assignments:
        missing = set(assignments) - set(found)
        if missing:
            raise UsageError(
                f"no released notebook for {', '.join(sorted(missing))}",
                f"collect one of {', '.join(found)}, or add it with `python -m autograder init`",
            )
        found = {a: found[a] for a in assignments}
    return found


def _assignment_by_name(entry: _Entry, known: list[str], tz: tzinfo | None) -> NameInfo:
    info = parse_file_name(entry.parts[-1], known, tz)
    if info.assignment is None:  # <student>/<assignment>/<any name>.ipynb
        for folder in reversed(entry.parts[:-1]):
            info.assignment = parse_file_name(folder, known).assignment
            if info.assignment:
                break
    return info


def _place(
    entry: _Entry,
    srcs: dict[str, Source],
    known: list[str],
    roster: RosterIndex | None,
    unplace,
    tz: tzinfo | None = timezone.utc,
):
    """Read one file and decide its assignment and student; None when it was unplaced."""
    info = _assignment_by_name(entry, known, tz)
    who = _student_of(entry, info, known, roster)
    named = info.assignment if info.assignment in srcs else None
    nb, status, detail = read_notebook(entry.data)
    if nb is None:
        unplace(entry, status, detail, who.student, named)
        return None
    scores = {a: content_score(nb, s) for a, s in srcs.items()}
    best = max(scores, key=scores.get) if scores else None
    notes = []
    if info.assignment and scores.get(info.assignment, 0) >= CONTENT_MIN:
        assignment, assignment_by = info.assignment, "file-name+content"
    elif best and scores[best] >= CONTENT_MIN:
        assignment, assignment_by = best, "content"
        if info.assignment:
            notes.append(
                f"the file name says {info.assignment} but the content is {best} "
                f"({scores[best]:.0%} of its graded cells found)"
            )
    else:
        reason = "content-mismatch" if info.assignment in srcs else "unknown-assignment"
        said = info.assignment or "nothing"
        if info.assignment and info.assignment not in srcs:
            said += " (not an assignment being collected)"
        unplace(
            entry,
            reason,
            f"file name says {said}; best content match {best} with {scores.get(best, 0):.0%} of its graded cells"
            if best
            else "no assignments",
            who.student,
            named,
        )
        return None
    if who.student is None:
        if who.ambiguous:
            unplace(entry, "ambiguous-student", who.how, None, assignment)
        else:
            unplace(
                entry,
                "unknown-student",
                "no roster entry matches the file or folder names"
                if roster is not None
                else "neither the file name nor a folder names a student",
                None,
                assignment,
                who.closest,
            )
        return None
    import nbformat  # here, not at the top: the command line's checks run without it

    fixed, cells, restore_notes = restore(nb, srcs[assignment])
    try:
        nbformat.validate(nbformat.from_dict(fixed))
    except nbformat.ValidationError as exc:
        unplace(
            entry,
            "invalid-notebook",
            f"still invalid after repair: {str(exc).splitlines()[0]}",
            who.student,
            assignment,
        )
        return None
    minor = nb.get("nbformat_minor") if isinstance(nb.get("nbformat_minor"), int) else 0
    if not (minor >= 5 and all("id" in c for c in nb["cells"])):
        notes.append(f"nbformat 4.{minor} without cell ids: ids assigned")
    when, when_from = (
        (info.when, "lms-name") if info.when else (entry.mtime, "zip-entry" if "!/" in entry.origin else "file-mtime")
    )
    placed = Placed(
        entry.origin,
        who.student,
        assignment,
        "",
        when.strftime(TIMESTAMP_FORMAT),
        when_from,
        assignment_by,
        who.how,
        status,
        cells,
        notes + restore_notes,
    )
    return entry, placed, fixed


def _not_a_notebook(entry: _Entry, srcs: dict, known: list[str], roster: RosterIndex | None, tz: tzinfo | None):
    """(student, assignment) when a non-notebook file's own name claims to be a hand-in, else None."""
    if _RECEIPT.search(entry.parts[-1]):
        return None
    info = parse_file_name(entry.parts[-1], known, tz)
    if info.assignment not in srcs:
        return None
    return _student_of(entry, info, known, roster).student, info.assignment


def _is_notebook(entry: _Entry) -> bool:
    """An .ipynb file, or a notebook under another name (``01_tensors.ipynb.json``, or ``.txt``
    where a system hid the extension): decided by the content, never by the name alone."""
    if entry.parts[-1].lower().endswith(".ipynb"):
        return True
    if not entry.data.lstrip()[:1] == b"{" or len(entry.data) > 50_000_000:
        return False
    return read_notebook(entry.data)[0] is not None


def hand_in(path: str | Path, ignored: list | None = None) -> list[_Entry]:
    """Every file of a hand-in, or a :class:`UsageError` when ``path`` does not exist, is not a
    zip, a folder or a notebook, or holds no notebook (cheap: the command line checks first)."""
    path = Path(path)
    entries = _entries(path, [] if ignored is None else ignored)
    if not any(_is_notebook(e) for e in entries):
        others = [e.origin for e in entries]
        raise UsageError(
            f"{path} holds no notebook (.ipynb)"
            + (f"; it holds {len(others)} other file(s), e.g. {others[0]}" if others else ""),
            "give the zip or the folder of the hand-ins",
        )
    return entries


# -- run records and the course's current view ------------------------------------------------------
def _new_run(course_root: Path) -> str:
    runs = course_root / "collect" / "runs"
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    name, k = stamp, 2
    while (runs / name).exists():
        name, k = f"{stamp}-{k}", k + 1
    return name


def _stamp(path: Path) -> datetime | None:
    try:
        from nbgrader.utils import parse_utc

        when = parse_utc(path.read_text().strip())
        return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when
    except Exception:  # no file or a time nbgrader cannot read: treat as unknown
        return None


def current_view(course_root: Path) -> dict:
    """The course's collect state over every run, oldest first: per (student, assignment)
    the latest run's placement; unplaced files and duplicates of every run (each once),
    except a file unplaced for a student whose hand-in a later run placed."""
    runs_dir = Path(course_root) / "collect" / "runs"
    reports = []
    for folder in sorted(p for p in runs_dir.iterdir() if p.is_dir()) if runs_dir.is_dir() else []:
        try:
            reports.append((folder.name, json.loads((folder / "report.json").read_text())))
        except (OSError, ValueError):
            continue
    placed: dict[tuple, dict] = {}
    unplaced: dict[tuple, tuple[int, dict]] = {}
    duplicates: dict[tuple, dict] = {}
    for order, (run, rep) in enumerate(reports):
        for p in rep.get("placed") or []:
            placed[(p.get("student"), p.get("assignment"))] = {**p, "run": p.get("run") or run}
        for u in rep.get("unplaced") or []:
            unplaced[(u.get("origin"), u.get("sha256"))] = (order, {**u, "run": u.get("run") or run})
        for d in rep.get("duplicates") or []:
            duplicates[(d.get("origin"), d.get("sha256"))] = {**d, "run": d.get("run") or run}
    run_order = {run: k for k, (run, _) in enumerate(reports)}
    still = []
    for order, u in unplaced.values():
        p = placed.get((u.get("student"), u.get("assignment")))
        if u.get("student") and p is not None and run_order.get(p["run"], -1) > order:
            continue  # a later run placed this student's hand-in
        still.append(u)
    return {
        "runs": [run for run, _ in reports],
        "placed": list(placed.values()),
        "unplaced": still,
        "duplicates": list(duplicates.values()),
    }


def _write_current(course_root: Path) -> Path:
    collect_dir = Path(course_root) / "collect"
    path = collect_dir / "report.json"
    if path.exists():  # a report from before run records: keep it as a run of its own
        try:
            old = json.loads(path.read_text())
        except ValueError:
            old = {}
        if "runs" not in old:
            legacy = (
                collect_dir
                / "runs"
                / datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).strftime("%Y%m%dT%H%M%SZ-earlier")
            )
            legacy.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, legacy / "report.json")
    tmp = collect_dir / ".report.json.tmp"
    tmp.write_text(json.dumps(current_view(course_root), indent=1, default=str) + "\n")
    tmp.replace(path)
    return path


# -- the whole step --------------------------------------------------------------------------
def collect(
    path: str | Path,
    course_root: str | Path,
    assignments: list[str] | None = None,
    roster: list[RosterEntry] | None = None,
    sources: dict[str, Path] | None = None,
    tz: tzinfo | None = timezone.utc,
    dry_run: bool = False,
    roster_from: str = "",
) -> CollectReport:
    """Place every notebook under ``path`` (a folder, a .zip or one .ipynb) into ``course_root/submitted``.

    ``assignments``: the assignment names to expect (default: every released notebook,
    from ``course_root/release`` or the repository's ``notebooks/``). ``roster``: when given
    (see :mod:`autograder.roster`), a student must be on it. ``sources``: assignment ->
    released notebook, to override where the trusted metadata comes from. ``tz``: the
    time zone of dates in LMS file names. ``dry_run``: decide everything, write nothing.
    Bad input (no such path, not a zip, no notebook in it) raises
    :class:`~autograder.errors.UsageError` before anything is written.
    """
    path, course_root = Path(path), Path(course_root)
    srcs = {a: Source.load(a, p) for a, p in (sources or _default_sources(course_root, assignments)).items()}
    names = list(srcs)
    # every notebook name the course knows, so that "03_modules" is never read as a student
    in_course = {p.name for p in (course_root / "source").iterdir()} if (course_root / "source").is_dir() else set()
    known = sorted(set(names) | in_course | {nb.stem for nb in NOTEBOOKS.glob("*.ipynb")})
    report = CollectReport(
        source=str(path),
        assignments=names,
        dry_run=dry_run,
        tz=str(tz) if tz is not None else "the machine's time zone",
        roster=roster_from
        or (
            f"{len(roster)} student(s)"
            if roster is not None
            else "none: student ids are taken from file and folder names"
        ),
    )
    entries = hand_in(path, report.ignored)
    index = RosterIndex(roster) if roster is not None else None
    report.run = "" if dry_run else _new_run(course_root)
    writes = _RunWrites(course_root, report)
    candidates: list[tuple[_Entry, Placed, dict]] = []
    for entry in entries:
        item = _candidate(entry, srcs, known, index, tz, writes)
        if item is not None:
            candidates.append(item)

    # duplicates: the newest file of a student for an assignment wins, in this run and over earlier runs
    groups: dict[tuple[str, str], list] = {}
    for item in candidates:
        groups.setdefault((item[1].student, item[1].assignment), []).append(item)
    for (student, assignment), items in sorted(groups.items()):
        writes.place_newest(student, assignment, items)

    if roster is not None:
        have = {(p.student, p.assignment) for p in report.placed}
        for a in names:
            done = {s for s, a2 in have if a2 == a} | {
                p.parent.parent.name for p in (course_root / "submitted").glob(f"*/{a}/{a}.ipynb")
            }
            report.missing[a] = sorted(r.id for r in roster if r.id not in done)
    writes.save_report()
    return report


def _candidate(
    entry: _Entry,
    srcs: dict[str, Source],
    known: list[str],
    index: RosterIndex | None,
    tz: tzinfo | None,
    writes: _RunWrites,
) -> tuple[_Entry, Placed, dict] | None:
    """A notebook with its student, assignment and rebuilt content, to place; None when it is
    ignored or quarantined (said in the report)."""
    if not _is_notebook(entry):
        claim = _not_a_notebook(entry, srcs, known, index, tz)
        if claim is None:
            writes.report.ignored.append((entry.origin, "not a notebook (.ipynb)"))
        else:
            writes.unplace(
                entry,
                "not-a-notebook-file",
                f"a {Path(entry.parts[-1]).suffix or 'file without extension'} file, not a Jupyter notebook (.ipynb)",
                *claim,
            )
        return None
    try:
        return _place(entry, srcs, known, index, writes.unplace, tz)
    except Exception as exc:  # one odd file must never stop the class's collect
        writes.unplace(entry, "internal-error", f"{type(exc).__name__}: {exc}")
        return None


class _RunWrites:
    """What one run writes: copies of the files it saw under ``collect/runs/<run>/`` and the
    placed notebooks under ``submitted/``; nothing at all in a dry run."""

    def __init__(self, course_root: Path, report: CollectReport):
        self.course_root, self.report, self.run = course_root, report, report.run
        self.record = course_root / "collect" / "runs" / report.run if report.run else None
        self.counters: dict[Path, int] = {}

    def keep(self, entry: _Entry, where: str) -> str:
        """A copy of the file under the run's record, numbered; its path ('' in a dry run)."""
        if self.record is None:
            return ""
        folder = self.record / where
        folder.mkdir(parents=True, exist_ok=True)
        name = "_".join(entry.parts)
        stem, suffix = (name[:-6], ".ipynb") if name.lower().endswith(".ipynb") else (name, "")
        self.counters[folder] = self.counters.get(folder, 0) + 1
        target = folder / f"{self.counters[folder]:03d}_{_slug(stem)[:80] or 'file'}{suffix}"
        target.write_bytes(entry.data)
        return str(target.relative_to(self.course_root))

    def unplace(
        self,
        entry: _Entry,
        reason: str,
        detail: str,
        student: str | None = None,
        assignment: str | None = None,
        closest: str = "",
    ) -> None:
        self.report.unplaced.append(
            Unplaced(
                entry.origin,
                reason,
                detail,
                self.keep(entry, "quarantine"),
                student,
                assignment,
                closest,
                entry.sha256,
                self.run,
            )
        )

    def place_newest(self, student: str, assignment: str, items: list[tuple[_Entry, Placed, dict]]) -> None:
        """The newest of a student's files for an assignment into ``submitted/``; the older
        ones are duplicates, kept in quarantine."""
        items.sort(key=lambda it: it[1].timestamp, reverse=True)
        entry, placed, fixed = items[0]
        for other, _placed, _ in items[1:]:
            self.report.duplicates.append(
                Duplicate(
                    other.origin,
                    student,
                    assignment,
                    f"the newer {entry.origin}",
                    self.keep(other, "quarantine"),
                    other.sha256,
                    self.run,
                )
            )
        folder = self.course_root / "submitted" / student / assignment
        target = folder / f"{assignment}.ipynb"
        text = json.dumps(fixed, indent=1, ensure_ascii=False) + "\n"
        placed.path, placed.run = str(target.relative_to(self.course_root)), self.run
        placed.sha256 = hashlib.sha256(text.encode()).hexdigest()
        if target.exists() and not self._replaces(entry, placed, folder, text):
            return
        if self.record is not None:
            folder.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode())  # UTF-8 whatever the locale (the hash above is of these bytes)
            (folder / "timestamp.txt").write_text(placed.timestamp)
            self.keep(entry, f"originals/{student}/{assignment}")
        self.report.placed.append(placed)

    def _replaces(self, entry: _Entry, placed: Placed, folder: Path, text: str) -> bool:
        """Whether the file goes over the hand-in ``submitted/`` holds. Not when that one is
        the same (reported placed, unchanged) or newer (this file is a duplicate); else the
        earlier one moves to ``collect/runs/<run>/replaced/``, never deleted."""
        student, assignment = placed.student, placed.assignment
        same = (
            (folder / f"{assignment}.ipynb").read_text(errors="replace") == text
            and (folder / "timestamp.txt").exists()
            and (folder / "timestamp.txt").read_text() == placed.timestamp
        )
        if same:
            placed.notes.append("unchanged: the same notebook is already in submitted/")
            self.keep(entry, f"originals/{student}/{assignment}")
            self.report.placed.append(placed)
            return False
        theirs = _stamp(folder / "timestamp.txt")
        mine = datetime.strptime(placed.timestamp, TIMESTAMP_FORMAT).replace(tzinfo=timezone.utc)
        if theirs is not None and theirs > mine:
            self.report.duplicates.append(
                Duplicate(
                    entry.origin,
                    student,
                    assignment,
                    f"the newer hand-in already in {placed.path} ({theirs:%Y-%m-%d %H:%M} UTC)",
                    self.keep(entry, "quarantine"),
                    entry.sha256,
                    self.run,
                )
            )
            return False
        if self.record is not None:
            dest = self.record / "replaced" / student / assignment
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(folder), str(dest))
        placed.notes.append(f"replaced the earlier hand-in (kept in collect/runs/{self.run}/replaced/)")
        return True

    def save_report(self) -> None:
        """The run's report.json, and the current view over all runs (not in a dry run)."""
        if self.record is not None:
            self.record.mkdir(parents=True, exist_ok=True)
            (self.record / "report.json").write_text(json.dumps(self.report.to_dict(), indent=1, default=str) + "\n")
            _write_current(self.course_root)
