"""The class list and the deadlines, kept where nbgrader keeps them.

Instructors get the roster as an export of their LMS (Canvas's gradebook CSV, Moodle's
grade or participants export, Blackboard's Grade Center download, often UTF-16 and
tab-separated) or as a spreadsheet saved as CSV. :func:`read_roster` takes any of them:

- columns are found by their header *and* by what their values look like: Canvas's
  ``Student`` column holds "Curie, Marie", which is a name, not an id, whatever its
  header says; a column of e-mail addresses is the e-mail column;
- the student id nbgrader uses is, in this order, a login (``SIS Login ID``,
  ``Username``), a student number (``SIS User ID``, ``Student ID``, ``ID number``), a
  plain ``id``, then the e-mail's local part (said, row by row), then Canvas's own user
  id; ``--id-column`` chooses another;
- rows that are not students (Canvas's "Points Possible" and its test student) are
  skipped and said; a row that cannot be used is listed with the reason.

:func:`import_roster` writes the students into nbgrader's gradebook
(``Gradebook.update_or_create_student``, with Canvas's user id as nbgrader's
``lms_user_id``) and the LMS's own identities of each student (user id, SIS ids, login,
section, the name as the LMS writes it) into ``<course>/roster.json``, so that ``collect``
matches hand-ins by any of them and ``export`` writes back the ids the LMS's grade import
expects. :func:`set_due_date` and :func:`set_late_policy` use nbgrader's own mechanisms
(the assignment's ``duedate`` in the gradebook, the ``LateSubmissionPlugin`` in
``nbgrader_config.py``), so plain ``nbgrader autograde`` applies the same penalties.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timezone, tzinfo
from pathlib import Path

from autograder.errors import UsageError
from autograder.nbgrader_setup import write_late_policy

ROSTER_FILE = "roster.json"


@dataclass
class RosterEntry:
    """One student: nbgrader's id and names, and the LMS's own identities (may be empty)."""

    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_user_id: str = ""  #: the LMS's internal user id (Canvas's "ID"): nbgrader's lms_user_id
    sis_user_id: str = ""  #: the institution's student number (Canvas's "SIS User ID")
    login: str = ""  #: the login (Canvas's "SIS Login ID", Blackboard's "Username")
    section: str = ""
    lms_name: str = ""  #: the name as the LMS writes it ("Curie, Marie"), for the LMS export

    def identities(self) -> set[str]:
        """Every string that names this student exactly (lower case): id, login, e-mail..."""
        out = {self.id, self.login, self.sis_user_id, self.lms_user_id, self.email}
        if "@" in self.email:
            out.add(self.email.split("@")[0])
        if "@" in self.login:
            out.add(self.login.split("@")[0])
        return {v.strip().lower() for v in out if v and v.strip()}

    def name_keys(self) -> set[str]:
        """The name written as letters only, both orders, with the first given name or initial."""
        f, last = _letters(self.first_name), _letters(self.last_name)
        f1 = _letters(self.first_name.split()[0]) if self.first_name.split() else ""
        keys = set()
        for first in {f, f1} - {""}:
            if last:
                keys |= {first + last, last + first}
        if f and last:
            keys |= {f[0] + last, last + f[0]}
        return keys


def _letters(text: str) -> str:
    """Lower-case ASCII letters and digits only: 'Ó Brien-Smith' -> 'obriensmith'."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


# -- reading an export ------------------------------------------------------------------------
#: Header spellings, compared lower-case without spaces, dashes, dots or underscores.
LOGIN = {"sisloginid", "login", "loginid", "username", "user", "netid", "uid", "account", "userlogin"}
NUMBER = {
    "sisuserid",
    "sisid",
    "studentid",
    "studentnumber",
    "idnumber",
    "matriculationnumber",
    "registrationnumber",
    "studentno",
    "matrikelnummer",
    "personnumber",
    "enrolmentnumber",
}
PLAIN_ID = {"id", "userid", "identifier", "studentidentifier"}
EMAIL = {"email", "emailaddress", "mail", "courriel", "emailadresse"}
FIRST = {"firstname", "first", "givenname", "forename", "prenom", "vorname", "givennames"}
LAST = {"lastname", "last", "surname", "familyname", "nom", "nachname", "familynames"}
NAME = {"name", "fullname", "studentname", "student", "displayname", "sortablename", "participant"}
SECTION = {"section", "sections", "group", "groups", "class"}
CANVAS_MARKS = {"sisuserid", "sisloginid"}

_VALID_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
_NOT_STUDENTS = {
    "points possible": 'Canvas\'s "Points Possible" row',
    "student, test": "Canvas's test student",
    "test student": "the LMS's test student",
}


@dataclass
class Columns:
    """Which column holds what (the CSV's own header names), and why the id column was chosen."""

    id: str | None = None
    id_why: str = ""
    login: str | None = None
    number: str | None = None
    lms_id: str | None = None
    email: str | None = None
    first: str | None = None
    last: str | None = None
    name: str | None = None
    section: str | None = None


@dataclass
class RosterReport:
    students: list[RosterEntry] = field(default_factory=list)
    bad_rows: list[tuple[int, str]] = field(default_factory=list)  # (line number, what is wrong)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line number, which non-student row)
    columns: dict[str, str] = field(default_factory=dict)  # our name -> the CSV's header
    assumed: list[str] = field(default_factory=list)  # what was assumed, in words
    kind: str = "CSV"  # Canvas export, Moodle export...
    new: int = 0  # after import: students created
    updated: int = 0  #               students updated

    def summary(self) -> str:
        lines = [f"read as {self.kind}; columns: " + ", ".join(f"{k} = {v!r}" for k, v in self.columns.items())]
        lines += [f"  assumed: {a}" for a in self.assumed]
        lines += [f"  skipped line {n}: {why}" for n, why in self.skipped]
        lines.append(
            f"{len(self.students)} student(s) imported, {len(self.bad_rows)} row(s) not imported"
            + (f" ({self.new} new, {self.updated} updated)" if self.new or self.updated else "")
        )
        lines += [f"  line {n}: {why}" for n, why in self.bad_rows]
        return "\n".join(lines)


def _norm(header: str) -> str:
    return re.sub(r"[\s_\-.]", "", (header or "").strip().lower())


def read_text_file(path: str | Path) -> str:
    """A roster file as text (UTF-8 with or without BOM, UTF-16 as Blackboard writes, else
    Windows-1252), or a :class:`UsageError` that says what the file is instead."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"no roster file {path}", "give the CSV exported from your LMS or spreadsheet")
    if path.is_dir():
        raise UsageError(f"{path} is a folder", "give the roster CSV file inside it")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path} ({exc.strerror or exc})", "check that the file is readable") from None
    if raw[:4] == b"PK\x03\x04" or raw[:4] == b"\xd0\xcf\x11\xe0":
        raise UsageError(
            f"{path} is an Excel workbook or a zip, not a CSV",
            "export the roster as CSV (Canvas: Grades > Export; Moodle: Grades > Export > Plain text; "
            "Blackboard: Grade Center > Work Offline > Download) or save the sheet as CSV",
        )
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = raw.decode("utf-16")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise UsageError(f"{path} is not a text file", "give the roster as a CSV file")
    if not text.strip():
        raise UsageError(f"{path} is empty", "export the roster again")
    return text.lstrip("\ufeff")


def _kind(headers: list[str]) -> str:
    h = {_norm(x) for x in headers}
    if h & CANVAS_MARKS:
        return "a Canvas gradebook export"
    if "idnumber" in h or ("surname" in h and "emailaddress" in h):
        return "a Moodle export"
    if "username" in h and h & {"lastaccess", "availability", "childcourseid"}:
        return "a Blackboard Grade Center export"
    return "a plain CSV"


def _profile(values: list[str]) -> dict:
    vals = [v for v in values if v]
    n = len(vals) or 1
    return {
        "filled": len(vals),
        "fill": len(vals) / (len(values) or 1),
        "unique": len(set(vals)) == len(vals),
        "ids": sum(bool(_VALID_ID.match(v)) for v in vals) / n,
        "emails": sum(bool(_EMAIL.match(v)) for v in vals) / n,
        "names": sum(bool(re.search(r"[A-Za-z]", v)) and bool(re.search(r"[\s,]", v.strip())) for v in vals) / n,
        "digits": sum(v.isdigit() for v in vals) / n,
        "with_digit": sum(any(c.isdigit() for c in v) for v in vals) / n,
    }


def _columns(headers: list[str], rows: list[dict], id_column: str | None) -> Columns:
    """Each role's column, from the header and from the values underneath it."""
    prof = {h: _profile([(r.get(h) or "").strip() for r in rows if not _skip_reason(r)]) for h in headers}
    canvas = bool({_norm(h) for h in headers} & CANVAS_MARKS)
    cols = Columns()

    def first(spellings, test=lambda p: True):
        return next((h for h in headers if _norm(h) in spellings and prof[h]["filled"] and test(prof[h])), None)

    cols.email = first(EMAIL) or next((h for h in headers if prof[h]["filled"] and prof[h]["emails"] >= 0.9), None)
    cols.first, cols.last = first(FIRST), first(LAST)
    cols.name = first(NAME, lambda p: p["names"] >= 0.5)
    cols.section = first(SECTION)
    # a header that says "id" is believed unless most values say otherwise (the rest: bad rows)
    ids = lambda p: p["ids"] >= 0.5 and p["names"] <= 0.5 and p["emails"] < 0.5  # noqa: E731
    cols.login = first(LOGIN, lambda p: ids(p) or p["emails"] >= 0.8)
    cols.number = first(NUMBER, ids)
    if canvas:
        cols.lms_id = first(PLAIN_ID, lambda p: p["digits"] >= 0.8)
    # a "Student" or "Name" column is the id column only when nearly all its values are ids
    plain = None if canvas else (first(PLAIN_ID, ids) or first(NAME, lambda p: p["ids"] >= 0.9 and p["unique"]))
    if id_column is not None:
        cols.id, cols.id_why = _column_named(headers, id_column), "chosen with --id-column"
    else:
        _choose_id(cols, prof, plain, _unnamed_id_column(headers, prof, cols))
    return cols


def _column_named(headers: list[str], id_column: str) -> str:
    match = next((h for h in headers if _norm(h) == _norm(id_column)), None)
    if match is None:
        raise UsageError(
            f"no column {id_column!r} in the roster (columns: {', '.join(headers)})",
            "give one of its columns to --id-column",
        )
    return match


def _unnamed_id_column(headers: list[str], prof: dict, cols: Columns) -> str | None:
    """A column of no known role whose every value is a unique id with digits, in a
    roster that names its students; None otherwise."""
    if not (cols.first or cols.last or cols.name):
        return None
    known = {
        c for c in (cols.email, cols.first, cols.last, cols.name, cols.section, cols.login, cols.number, cols.lms_id)
    }
    return next(
        (
            h
            for h in headers
            if h not in known
            and prof[h]["filled"]
            and prof[h]["ids"] == 1.0
            and prof[h]["unique"]
            and prof[h]["with_digit"] >= 0.8
        ),
        None,
    )


def _choose_id(cols: Columns, prof: dict, plain: str | None, by_values: str | None) -> None:
    """The id column, in order of trust: a login, a student number, a column called id, one
    found by its values, logins that are e-mails; else the e-mail or the LMS's own id."""
    if cols.email:  # an id column filled for only some rows would mix two kinds of id: use the e-mail
        sparse = lambda h: h is not None and prof[h]["fill"] < 0.8  # noqa: E731
        login, number, plain = (None if sparse(h) else h for h in (cols.login, cols.number, plain))
    else:
        login, number = cols.login, cols.number
    if login and prof[login]["emails"] < 0.8:
        cols.id, cols.id_why = login, "a login: its values look like ids"
    elif number:
        cols.id, cols.id_why = number, "a student number: its values look like ids"
    elif plain:
        cols.id, cols.id_why = plain, "its values look like ids"
    elif by_values:
        cols.id, cols.id_why = by_values, "unnamed, but every value is a unique id with digits"
    elif login:
        cols.id, cols.id_why = login, "logins that are e-mail addresses: the id is the part before @"
    elif cols.email:
        cols.id, cols.id_why = None, "no id column: the id is the e-mail's part before @"
    elif cols.lms_id:
        cols.id, cols.id_why = cols.lms_id, "the LMS's own user id (no login, number or e-mail column)"


def _skip_reason(row: dict) -> str | None:
    for value in list(row.values())[:2]:
        if isinstance(value, str) and value.strip().lower() in _NOT_STUDENTS:
            return _NOT_STUDENTS[value.strip().lower()]
    return None


def _split_name(name: str) -> tuple[str, str]:
    if "," in name:  # "Last, First" (Canvas, most gradebooks)
        last, first = (p.strip() for p in name.split(",", 1))
        return first, last
    parts = name.split()
    return (" ".join(parts[:-1]), parts[-1]) if len(parts) > 1 else ("", name.strip())


def _dialect(text: str):
    head = "\n".join(text.splitlines()[:5])
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t")
    except csv.Error:
        first = head.splitlines()[0] if head else ""

        class Guessed(csv.excel):
            delimiter = max(",;\t", key=first.count)

        return Guessed


def read_roster(
    csv_path: str | Path | None = None, text: str | None = None, id_column: str | None = None
) -> RosterReport:
    """Parse a roster export (path or text) into entries, skipped and bad rows; no side effects."""
    if text is None:
        text = read_text_file(csv_path)
    text, dialect = _body_and_dialect(text.lstrip("\ufeff"))
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    headers = [h for h in (reader.fieldnames or []) if h is not None]
    rows = [(reader.line_num, row) for row in reader]
    report = RosterReport(kind=_kind(headers))
    cols = _columns(headers, [r for _, r in rows], id_column)
    report.columns = {k: v for k, v in asdict(cols).items() if v and k != "id_why"}
    if cols.id is None and cols.email is None:
        report.bad_rows.append((1, f"no student id or e-mail column among {headers}"))
        return report
    report.assumed.append(f"student id from {('column ' + repr(cols.id)) if cols.id else 'the e-mail'}: {cols.id_why}")
    if cols.name and not (cols.first or cols.last):
        report.assumed.append(
            f'names from {cols.name!r}, read as "Last, First" where there is a comma, else "First Last"'
        )
    from_email = _read_rows(rows, cols, report)
    if from_email and cols.id:
        report.assumed.append(
            f"ids made from the e-mail for {len(from_email)} row(s) with no {cols.id!r}: "
            f"line(s) {', '.join(map(str, from_email[:10]))}{' ...' if len(from_email) > 10 else ''}"
        )
    return report


def _body_and_dialect(text: str):
    """The CSV without Excel's "sep=;" line, and its dialect (that line's delimiter, or sniffed)."""
    first, _, rest = text.partition("\n")
    if re.fullmatch(r"sep=.", first.rstrip("\r\n")):

        class Named(csv.excel):
            delimiter = first[4]

        return rest, Named
    return text, _dialect(text)


def _field(row: dict, col: str | None) -> str:
    """A row's value in a column, stripped ('' when there is no such column)."""
    return (row.get(col) or "").strip() if col else ""


def _read_rows(rows: list[tuple[int, dict]], cols: Columns, report: RosterReport) -> list[int]:
    """Each row into the report: a student, a skipped row or a bad one (blank lines say
    nothing). The lines whose id was made from the e-mail."""
    from_email: list[int] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # a blank line
        why = _skip_reason(row)
        if why is None and not any(
            _field(row, c)
            for c in (cols.id, cols.email, cols.first, cols.last, cols.name, cols.login, cols.number, cols.lms_id)
        ):
            why = "no student in this row (no id, name or e-mail: an LMS's extra row)"
        if why:
            report.skipped.append((line, why))
            continue
        sid, made = _student_id(row, cols)
        if made:
            from_email.append(line)
        bad = _bad_row(sid, _field(row, cols.email), cols, seen)
        if bad:
            report.bad_rows.append((line, bad))
            continue
        seen[sid] = line
        report.students.append(_entry(sid, row, cols))
    return from_email


def _student_id(row: dict, cols: Columns) -> tuple[str, bool]:
    """The row's student id ('' when there is none), and whether it was made from the e-mail."""
    email, sid = _field(row, cols.email), _field(row, cols.id)
    if sid and "@" in sid and cols.id in (cols.login, cols.email):
        sid = sid.split("@")[0]
    if not sid and email and _EMAIL.match(email):
        return email.split("@")[0], True
    return sid, False


def _bad_row(sid: str, email: str, cols: Columns, seen: dict[str, int]) -> str | None:
    """Why the row cannot be a student (no id, one nbgrader cannot use, a bad e-mail, an id
    seen before); None when it can."""
    if not sid:
        return (
            f"no student id ({cols.id!r} is empty) and no e-mail to make one from"
            if cols.id
            else "no e-mail to make a student id from"
        )
    if not _VALID_ID.match(sid):
        return (
            f"student id {sid!r} has characters nbgrader cannot use in folder names "
            "(letters, digits, '.', '_' and '-' only)"
        )
    if email and not _EMAIL.match(email):
        return f"e-mail {email!r} is not an e-mail address"
    if sid in seen:
        return f"student id {sid!r} repeats line {seen[sid]}"
    return None


def _entry(sid: str, row: dict, cols: Columns) -> RosterEntry:
    first, last = _field(row, cols.first), _field(row, cols.last)
    lms_name = _field(row, cols.name)
    if not (first or last) and lms_name:
        first, last = _split_name(lms_name)
    return RosterEntry(
        sid,
        first,
        last,
        _field(row, cols.email),
        lms_user_id=_field(row, cols.lms_id),
        sis_user_id=_field(row, cols.number),
        login=_field(row, cols.login),
        section=_field(row, cols.section),
        lms_name=lms_name,
    )


# -- the course's roster ------------------------------------------------------------------------
def import_roster(
    csv_path: str | Path, db_url: str, course_root: str | Path | None = None, report: RosterReport | None = None
) -> RosterReport:
    """Create or update each good row's student in nbgrader's gradebook; with ``course_root``,
    keep the LMS identities in ``<course>/roster.json`` too."""
    from nbgrader.api import Gradebook, MissingEntry

    report = report or read_roster(csv_path)
    with Gradebook(db_url) as gb:
        for s in report.students:
            try:
                gb.find_student(s.id)
                report.updated += 1
            except MissingEntry:
                report.new += 1
            gb.update_or_create_student(
                s.id,
                first_name=s.first_name or None,
                last_name=s.last_name or None,
                email=s.email or None,
                lms_user_id=s.lms_user_id or None,
            )
    if course_root is not None:
        path = Path(course_root) / ROSTER_FILE
        kept = _read_roster_file(Path(course_root))
        for s in report.students:
            kept[s.id] = {k: v for k, v in asdict(s).items() if k not in ("id",)}
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps({"students": kept}, indent=1, ensure_ascii=False) + "\n")
        tmp.replace(path)
    return report


def _read_roster_file(course_root: Path) -> dict[str, dict]:
    try:
        data = json.loads((Path(course_root) / ROSTER_FILE).read_text())
        return {str(k): v for k, v in data.get("students", {}).items() if isinstance(v, dict)}
    except (OSError, ValueError, AttributeError):
        return {}


def roster_from_gradebook(db_url: str, course_root: str | Path | None = None) -> list[RosterEntry]:
    """The students nbgrader knows, with the LMS identities ``import_roster`` kept for them."""
    import warnings

    from nbgrader.api import Gradebook

    warnings.filterwarnings("ignore", module="nbgrader.api")
    extra = _read_roster_file(Path(course_root)) if course_root is not None else {}
    names = {f.name for f in RosterEntry.__dataclass_fields__.values()} - {"id"}
    out = []
    with Gradebook(db_url) as gb:
        for s in gb.students:
            kept = {k: str(v) for k, v in extra.get(s.id, {}).items() if k in names and v}
            entry = RosterEntry(s.id, **kept)
            entry.first_name, entry.last_name = s.first_name or entry.first_name, s.last_name or entry.last_name
            entry.email, entry.lms_user_id = s.email or entry.email, s.lms_user_id or entry.lms_user_id
            out.append(entry)
    return out


def lms_identities(course_root: str | Path) -> dict[str, RosterEntry]:
    """Student id -> the roster entry kept in ``roster.json`` (for the LMS export)."""
    names = {f.name for f in RosterEntry.__dataclass_fields__.values()} - {"id"}
    return {
        sid: RosterEntry(sid, **{k: str(v) for k, v in d.items() if k in names and v})
        for sid, d in _read_roster_file(Path(course_root)).items()
    }


# -- due dates and the late policy ---------------------------------------------------------------
def time_zone(name: str | None) -> tuple[tzinfo | None, str]:
    """(zone, words): the IANA zone ``name``, or None for the machine's own (said in words)."""
    if name:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            return ZoneInfo(name), f"{name} (--tz)"
        except (ZoneInfoNotFoundError, ValueError):
            raise UsageError(
                f"unknown time zone {name!r}", "give an IANA name such as Europe/Berlin, America/New_York or UTC"
            ) from None
    local = datetime.now().astimezone()
    return (
        None,
        f"the machine's time zone, {local.tzname()} (UTC{local.strftime('%z')[:3]}:{local.strftime('%z')[3:]}); "
        "give --tz to choose another",
    )


def parse_due(value: str | datetime, tz: tzinfo | None = timezone.utc) -> datetime:
    """'2026-01-12 12:00' in ``tz`` (None: the machine's zone) unless it names its own zone,
    or a datetime -> aware UTC datetime. A date alone means the end of that day (23:59)."""
    if isinstance(value, datetime):
        when = value
    else:
        text = value.strip().replace(" UTC", "+00:00").replace("Z", "+00:00")
        named = re.fullmatch(r"(.*\d)\s+([A-Za-z_]+/[A-Za-z_/+-]+)", text)  # "2026-01-12 12:00 Europe/Berlin"
        if named:
            tz, _ = time_zone(named.group(2))
            text = named.group(1)
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            raise UsageError(
                f"bad date {value!r}",
                "write it as YYYY-MM-DD HH:MM, e.g. 2026-01-12 12:00 (optionally with a zone: +01:00 or Z)",
            ) from None
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            when = datetime.combine(when.date(), time(23, 59))
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz) if tz is not None else when.astimezone()
    return when.astimezone(timezone.utc)


def set_due_date(db_url: str, assignment: str, due: str | datetime, tz: tzinfo | None = timezone.utc) -> datetime:
    """Record the assignment's due date in nbgrader's gradebook (nbgrader stores naive UTC)."""
    from nbgrader.api import Gradebook

    when = parse_due(due, tz)
    with Gradebook(db_url) as gb:
        gb.update_or_create_assignment(assignment, duedate=when.replace(tzinfo=None))
    return when


def set_late_policy(course_root: str | Path, points_per_hour: float | None) -> Path:
    """Write the late policy into the course's ``nbgrader_config.py``: ``points_per_hour`` off
    per started hour late (nbgrader's LateSubmissionPlugin mechanism); None for no penalty."""
    return write_late_policy(course_root, points_per_hour)
