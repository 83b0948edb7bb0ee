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
2. decides the assignment (file name, then content) and the student (file name,
   folders, the roster when there is one);
3. matches the notebook's cells to the released notebook's graded cells (grade id, then
   cell id, then a fingerprint of the content) and writes nbgrader's metadata back from
   the release, never from the submission (a cell the student re-marked as a test cell
   is not honoured);
4. keeps the newest of two files for one student and assignment and lists the other;
5. writes ``timestamp.txt`` (file time, zip entry time, or the date in an LMS name), so
   nbgrader's late policy applies.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import json
import re
import shutil
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

import nbformat

from autograder import cells as matcher
from autograder.cells import STUB_LINES
from autograder.cells import source_text as _text
from autograder.paths import NOTEBOOKS

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"
#: Files and folders that zip tools and Jupyter add: never submissions.
JUNK_PARTS = {"__MACOSX", ".ipynb_checkpoints", ".DS_Store", "Thumbs.db", ".git"}
#: Folder and name words that say nothing about who the student is.
GENERIC_WORDS = {"submission", "submissions", "submitted", "assignment", "assignments", "late",
                 "homework", "hw", "download", "downloads", "class", "copy", "of", "files", "ipynb",
                 "attempt", "notebook", "notebooks", "final", "version"}
#: How sure the content must be before it overrules or replaces the file name.
CONTENT_MIN = 0.3


# -- the report -------------------------------------------------------------------------
@dataclass
class CellMatch:
    """How one graded cell of the release was found in the submission."""
    grade_id: str
    kind: str          # answer | test | locked
    how: str           # grade_id | cell_id | fingerprint | reinserted | missing
    restored: bool     # True when nbgrader metadata was written back (missing or altered)
    detail: str = ""


@dataclass
class Placed:
    origin: str
    student: str
    assignment: str
    path: str                  # the notebook written under submitted/
    timestamp: str
    timestamp_from: str        # file-mtime | zip-entry | lms-name
    assignment_by: str         # file-name | content | file-name+content
    student_by: str            # file-name | folder | roster:<key>
    read_status: str           # ok | decoded-cp1252 | ...
    cells: list[CellMatch] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def restored(self) -> list[CellMatch]:
        return [c for c in self.cells if c.restored]


@dataclass
class Unplaced:
    origin: str
    reason: str                # empty-file | corrupt-json | not-a-notebook | unknown-assignment | unknown-student | ...
    detail: str
    kept_at: str               # original bytes, under <course>/collect/quarantine


@dataclass
class Duplicate:
    origin: str
    student: str
    assignment: str
    kept: str                  # the origin that was placed instead (the newest)
    kept_at: str


@dataclass
class CollectReport:
    placed: list[Placed] = field(default_factory=list)
    unplaced: list[Unplaced] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (origin, why): junk, not notebooks

    @property
    def restored(self) -> list[Placed]:
        return [p for p in self.placed if p.restored]

    def find(self, student: str, assignment: str) -> Placed | None:
        return next((p for p in self.placed if p.student == student and p.assignment == assignment), None)

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        for p, d in zip(self.placed, out["placed"]):
            d["restored"] = [c.grade_id for c in p.restored]
        return out

    def summary(self) -> str:
        lines = [f"placed {len(self.placed)}, restored metadata in {len(self.restored)}, "
                 f"unplaced {len(self.unplaced)}, duplicates {len(self.duplicates)}, ignored {len(self.ignored)}"]
        for p in sorted(self.placed, key=lambda p: (p.assignment, p.student)):
            extra = f"  restored: {', '.join(c.grade_id + ' by ' + c.how for c in p.restored)}" if p.restored else ""
            lines.append(f"  placed    {p.student:<14} {p.assignment:<14} <- {p.origin}{extra}")
        for u in self.unplaced:
            lines.append(f"  UNPLACED  {u.origin}: {u.reason} ({u.detail}) kept at {u.kept_at}")
        for d in self.duplicates:
            lines.append(f"  duplicate {d.student} {d.assignment}: {d.origin} (kept the newer {d.kept})")
        return "\n".join(lines)


# -- reading -----------------------------------------------------------------------------
@dataclass
class _Entry:
    origin: str               # path as shown to people: relative path, or zip!/entry
    parts: tuple[str, ...]    # relative path parts, file name last
    data: bytes
    mtime: datetime


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
        parts = prefix + tuple(p for p in PurePosixPath(info.filename).parts if p not in ("", "."))
        origin = f"{label}!/{info.filename}"
        if _is_junk(parts):
            ignored.append((origin, "system file (macOS, Jupyter checkpoint)"))
            continue
        content = archive.read(info)
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
    if path.is_file():
        return _zip_entries(path.read_bytes(), path.name, (), ignored)
    entries = []
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        parts = file.relative_to(path).parts
        origin = str(file.relative_to(path))
        if _is_junk(parts):
            ignored.append((origin, "system file (macOS, Jupyter checkpoint)"))
            continue
        if file.suffix.lower() == ".zip":
            try:
                entries += _zip_entries(file.read_bytes(), origin, parts[:-1] + (file.stem,), ignored)
            except ValueError as exc:
                ignored.append((origin, str(exc)))
            continue
        when = datetime.fromtimestamp(file.stat().st_mtime, tz=timezone.utc)
        entries.append(_Entry(origin, parts, file.read_bytes(), when))
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
        return matcher.RefCell(self.index, str(self.cell.get("cell_type")), self.kind, self.grade_id,
                               frozenset(i for i in (self.cell.get("id"), self.grade_id) if isinstance(i, str)),
                               frozenset({matcher.fingerprint(text)}), tuple(self.lines), names)


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
            graded.append(_Graded(i, meta["grade_id"], kind, cell,
                                  _signature(src) if kind == "answer" else matcher.norm_lines(src)))
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
    position: dict[str, int] = {}   # grade id -> index in out_cells
    claims: dict[int, object] = {}   # what the submission's matched cells said about themselves
    for i, cell in enumerate(nb["cells"]):
        cell = copy.deepcopy(cell)
        ctype = cell.get("cell_type", "code")
        new = {"cell_type": ctype, "metadata": cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {},
               "source": _text(cell.get("source"))}
        if ctype == "code":
            new["outputs"] = cell.get("outputs") if isinstance(cell.get("outputs"), list) else []
            new["execution_count"] = cell.get("execution_count") if isinstance(cell.get("execution_count"), int) else None
        if ctype in ("markdown", "raw") and isinstance(cell.get("attachments"), dict):
            new["attachments"] = cell["attachments"]
        claimed = new["metadata"].pop("nbgrader", None)
        if i in taken:
            g = taken[i][0]
            new["metadata"]["nbgrader"] = copy.deepcopy(g.cell["metadata"]["nbgrader"])
            for key in ("editable", "deletable"):
                if key in g.cell.get("metadata", {}):
                    new["metadata"][key] = g.cell["metadata"][key]
            cid = g.cell.get("id") or g.grade_id
            position[g.grade_id] = len(out_cells)
            claims[i] = claimed
        else:
            if claimed:
                notes.append(f"cell {i}: nbgrader metadata {_short(claimed)} matches no cell of the release: removed")
            cid = next((c for c in (cell.get("id"), new["metadata"].get("id")) if isinstance(c, str) and _ID_OK.match(c)), None)
        if cid is None or cid in seen_ids:
            if cid is not None:
                notes.append(f"cell {i}: duplicate cell id {cid!r} renamed")
            base, k = (cid or f"cell-{i}"), 1
            cid = base
            while cid in seen_ids:
                cid, k = f"{base}-{k}", k + 1
        seen_ids.add(cid)
        new["id"] = cid
        out_cells.append(new)

    matches: list[CellMatch] = []
    for i, (g, how) in sorted(taken.items(), key=lambda kv: kv[1][0].index):
        claimed = claims[i]
        same = claimed == g.cell["metadata"]["nbgrader"]
        detail = "" if same or claimed is None else f"submission claimed {_short(claimed)}"
        matches.append(CellMatch(g.grade_id, g.kind, how, restored=not same, detail=detail))
    matched = {m.grade_id for m in matches}
    for g in source.graded:   # graded cells the student deleted
        if g.grade_id in matched:
            continue
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
        matches.append(CellMatch(g.grade_id, g.kind, "reinserted", True, "deleted by the student; put back from the release"))

    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    meta = copy.deepcopy(meta)
    meta["kernelspec"] = copy.deepcopy(source.nb.get("metadata", {}).get("kernelspec", meta.get("kernelspec", {})))
    out = {"cells": out_cells, "metadata": meta, "nbformat": 4, "nbformat_minor": max(5, nb.get("nbformat_minor") if isinstance(nb.get("nbformat_minor"), int) else 0)}
    return out, matches, notes


def _short(meta) -> str:
    if not isinstance(meta, dict):
        return repr(meta)[:60]
    keys = ("grade_id", "grade", "solution", "locked", "points")
    return "{" + ", ".join(f"{k}={meta[k]!r}" for k in keys if k in meta) + "}"


# -- names: which assignment, which student, when -------------------------------------------------
_COPY_OF = re.compile(r"^(copy of\s+)+", re.I)
_DUP_SUFFIX = re.compile(r"(\s*\(\d+\)|\s*-\s*copy(\s*\d+)?|-checkpoint)$", re.I)
_LMS_DATE = re.compile(r"([A-Z][a-z]{2})\s+(\d{1,2}),\s*(\d{4})\s+(\d{1,2})(\d{2})\s*([AP]M)", re.I)
_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}


def _key(text: str) -> str:
    """Lower-case ASCII letters and digits only: 'Ó Brien-Smith' -> 'obriensmith'."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


@dataclass
class NameInfo:
    assignment: str | None
    name_tokens: list[str]
    lms_ids: list[str]
    when: datetime | None


def parse_file_name(name: str, assignments: list[str]) -> NameInfo:
    """What a submission's file name says: the assignment, the student's name, a date.

    Knows "Copy of X", "X (1)", LMS names such as ``Smith_John_12345_submission_01_tensors``
    and ``12345-67890 - John Smith - Jan 5, 2026 301 PM - 01_tensors``.
    """
    stem = name[:-len(".ipynb")] if name.lower().endswith(".ipynb") else name
    stem = _DUP_SUFFIX.sub("", _COPY_OF.sub("", stem.strip())).strip()
    when, name_part = None, None
    pieces = [p.strip() for p in stem.split(" - ")]
    if len(pieces) >= 3:   # "ids - First Last - date - original name"
        for k, piece in enumerate(pieces):
            m = _LMS_DATE.search(piece)
            if m and m.group(1).lower()[:3] in _MONTHS:
                hour = int(m.group(4)) % 12 + (12 if m.group(6).upper() == "PM" else 0)
                when = datetime(int(m.group(3)), _MONTHS[m.group(1).lower()[:3]], int(m.group(2)), hour,
                                int(m.group(5)), tzinfo=timezone.utc)
                if k >= 1:
                    name_part = pieces[k - 1]
                stem = " ".join([pieces[0]] + pieces[k + 1:])
                break
    slug = _slug(stem)
    found = None
    for a in sorted(assignments, key=len, reverse=True):
        s = _slug(a)
        hit = re.search(rf"(^|_){re.escape(s)}(_|$)", slug)
        if hit:
            found = a
            slug = (slug[:hit.start()] + "_" + slug[hit.end():]).strip("_")
            break
    tokens = [t for t in (_slug(name_part) if name_part else slug).split("_") if t]
    lms_ids = [t for t in slug.split("_") if t.isdigit()]
    tokens = [t for t in tokens if not t.isdigit() and t not in GENERIC_WORDS]
    return NameInfo(found, tokens, lms_ids, when)


@dataclass
class RosterEntry:
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""

    def keys(self) -> set[str]:
        keys = {_key(self.id)}
        if self.email:
            keys.add(_key(self.email.split("@")[0]))
        if self.first_name or self.last_name:
            f, l = _key(self.first_name), _key(self.last_name)
            keys |= {f + l, l + f}
            if f and l:
                keys |= {f[0] + l, l + f[0]}
        return keys - {""}


def _roster_match(candidates: list[list[str]], roster: list[RosterEntry]) -> tuple[str | None, str]:
    index: dict[str, set[str]] = {}
    for r in roster:
        for k in r.keys():
            index.setdefault(k, set()).add(r.id)
    for tokens in candidates:
        if not tokens:
            continue
        tries = ["".join(tokens), "".join(reversed(tokens))] + tokens
        for t in tries:
            ids = index.get(_key(t), set())
            if len(ids) == 1:
                return next(iter(ids)), f"roster:{t}"
    return None, ""


def _student_of(entry: _Entry, info: NameInfo, assignments: list[str],
                roster: list[RosterEntry] | None) -> tuple[str | None, str]:
    folders = []
    for folder in reversed(entry.parts[:-1]):
        f = parse_file_name(folder, assignments)
        if f.assignment and not f.name_tokens:   # <student>/<assignment>/<file>
            continue
        folders.append(f.name_tokens)
    candidates = [info.name_tokens] + folders
    if roster is not None:
        sid, how = _roster_match(candidates, roster)
        return sid, how
    for tokens, how in zip(candidates, ["file-name"] + ["folder"] * len(folders)):
        if tokens:
            return "_".join(tokens), how
    return None, ""


def _default_sources(course_root: Path, assignments: list[str] | None) -> dict[str, Path]:
    found = {}
    release = course_root / "release"
    for folder in sorted(release.glob("*")) if release.is_dir() else []:
        nb = folder / f"{folder.name}.ipynb"
        if nb.exists():
            found[folder.name] = nb
    for nb in sorted(NOTEBOOKS.glob("*.ipynb")):
        found.setdefault(nb.stem, nb)
    if assignments:
        missing = set(assignments) - set(found)
        if missing:
            raise FileNotFoundError(f"no released notebook for {', '.join(sorted(missing))}")
        found = {a: found[a] for a in assignments}
    return found


def _place(entry: _Entry, srcs: dict[str, Source], known: list[str], roster, unplace):
    """Read one file and decide its assignment and student; None when it was unplaced."""
    nb, status, detail = read_notebook(entry.data)
    if nb is None:
        unplace(entry, status, detail)
        return None
    info = parse_file_name(entry.parts[-1], known)
    if info.assignment is None:   # <student>/<assignment>/<any name>.ipynb
        for folder in reversed(entry.parts[:-1]):
            info.assignment = parse_file_name(folder, known).assignment
            if info.assignment:
                break
    scores = {a: content_score(nb, s) for a, s in srcs.items()}
    best = max(scores, key=scores.get) if scores else None
    notes = []
    if info.assignment and scores.get(info.assignment, 0) >= CONTENT_MIN:
        assignment, assignment_by = info.assignment, "file-name+content"
    elif best and scores[best] >= CONTENT_MIN:
        assignment, assignment_by = best, "content"
        if info.assignment:
            notes.append(f"the file name says {info.assignment} but the content is {best} "
                         f"({scores[best]:.0%} of its graded cells found)")
    else:
        reason = "content-mismatch" if info.assignment in srcs else "unknown-assignment"
        said = info.assignment or "nothing"
        if info.assignment and info.assignment not in srcs:
            said += " (not an assignment being collected)"
        unplace(entry, reason, f"file name says {said}; best content match "
                               f"{best} with {scores.get(best, 0):.0%} of its graded cells" if best else "no assignments")
        return None
    student, student_by = _student_of(entry, info, known, roster)
    if student is None:
        unplace(entry, "unknown-student", "no roster entry matches the file or folder names"
                if roster is not None else "neither the file name nor a folder names a student")
        return None
    fixed, cells, restore_notes = restore(nb, srcs[assignment])
    try:
        nbformat.validate(nbformat.from_dict(fixed))
    except nbformat.ValidationError as exc:
        unplace(entry, "invalid-notebook", f"still invalid after repair: {str(exc).splitlines()[0]}")
        return None
    minor = nb.get("nbformat_minor") if isinstance(nb.get("nbformat_minor"), int) else 0
    if not (minor >= 5 and all("id" in c for c in nb["cells"])):
        notes.append(f"nbformat 4.{minor} without cell ids: ids assigned")
    when, when_from = (info.when, "lms-name") if info.when else (entry.mtime, "zip-entry" if "!/" in entry.origin else "file-mtime")
    placed = Placed(entry.origin, student, assignment, "", when.strftime(TIMESTAMP_FORMAT), when_from,
                    assignment_by, student_by, status, cells, notes + restore_notes)
    return entry, placed, fixed


# -- the whole step --------------------------------------------------------------------------
def collect(path: str | Path, course_root: str | Path, assignments: list[str] | None = None,
            roster: list[RosterEntry] | None = None, sources: dict[str, Path] | None = None) -> CollectReport:
    """Place every notebook under ``path`` (a folder or a .zip) into ``course_root/submitted``.

    ``assignments``: the assignment names to expect (default: every released notebook,
    from ``course_root/release`` or the repository's ``notebooks/``). ``roster``: when given
    (see :func:`autograder.roster.read_roster`), a student must be on it. ``sources``:
    assignment -> released notebook, to override where the trusted metadata comes from.
    Writes ``course_root/collect/report.json`` and keeps the original bytes of everything
    unplaced or duplicated under ``course_root/collect/quarantine``.
    """
    path, course_root = Path(path), Path(course_root)
    srcs = {a: Source.load(a, p) for a, p in (sources or _default_sources(course_root, assignments)).items()}
    names = list(srcs)
    # every notebook name the course knows, so that "03_modules" is never read as a student
    known = sorted(set(names) | {nb.stem for nb in NOTEBOOKS.glob("*.ipynb")})
    report = CollectReport()
    quarantine = course_root / "collect" / "quarantine"
    originals = course_root / "collect" / "originals"
    for folder in (quarantine, originals):
        if folder.exists():
            shutil.rmtree(folder)

    def keep(entry: _Entry, where: Path) -> str:
        where.mkdir(parents=True, exist_ok=True)
        name = "_".join(entry.parts)
        stem, suffix = (name[:-6], ".ipynb") if name.lower().endswith(".ipynb") else (name, "")
        target = where / f"{len(list(where.iterdir())):03d}_{_slug(stem)[:80] or 'file'}{suffix}"
        target.write_bytes(entry.data)
        return str(target.relative_to(course_root))

    def unplace(entry: _Entry, reason: str, detail: str) -> None:
        report.unplaced.append(Unplaced(entry.origin, reason, detail, keep(entry, quarantine)))

    candidates: list[tuple[_Entry, Placed, dict]] = []
    for entry in _entries(path, report.ignored):
        if not entry.parts[-1].lower().endswith(".ipynb"):
            report.ignored.append((entry.origin, "not a notebook (.ipynb)"))
            continue
        try:
            item = _place(entry, srcs, known, roster, unplace)
        except Exception as exc:  # one odd file must never stop the class's collect
            unplace(entry, "internal-error", f"{type(exc).__name__}: {exc}")
            continue
        if item is not None:
            candidates.append(item)

    # duplicates: the newest file of a student for an assignment wins
    groups: dict[tuple[str, str], list] = {}
    for item in candidates:
        groups.setdefault((item[1].student, item[1].assignment), []).append(item)
    for (student, assignment), items in sorted(groups.items()):
        items.sort(key=lambda it: it[1].timestamp, reverse=True)
        entry, placed, fixed = items[0]
        for other, p, _ in items[1:]:
            report.duplicates.append(Duplicate(other.origin, student, assignment, entry.origin, keep(other, quarantine)))
        folder = course_root / "submitted" / student / assignment
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        target = folder / f"{assignment}.ipynb"
        target.write_text(json.dumps(fixed, indent=1, ensure_ascii=False) + "\n")
        (folder / "timestamp.txt").write_text(placed.timestamp)
        keep(entry, originals / student / assignment)
        placed.path = str(target.relative_to(course_root))
        report.placed.append(placed)

    (course_root / "collect").mkdir(parents=True, exist_ok=True)
    (course_root / "collect" / "report.json").write_text(json.dumps(report.to_dict(), indent=1, default=str) + "\n")
    return report
