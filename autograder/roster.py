"""The class list and the deadlines, kept where nbgrader keeps them.

Instructors get the roster as a CSV from an LMS or a spreadsheet, with headers that vary
("Student ID", "First Name", "e-mail", a BOM from Excel). :func:`import_roster` reads it
into nbgrader's gradebook (``Gradebook.update_or_create_student``) and reports every row
it could not use instead of skipping it silently. :func:`set_due_date` and
:func:`set_late_policy` use nbgrader's own mechanisms (the assignment's ``duedate`` in the
gradebook, the ``LateSubmissionPlugin`` in ``nbgrader_config.py``), so plain
``nbgrader autograde`` applies the same penalties as our own steps.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from autograder.collect import RosterEntry
from autograder.nbgrader_setup import write_late_policy

#: Accepted spellings of each column, compared lower-case without spaces, dashes or underscores.
HEADERS = {
    "id": {"id", "studentid", "student", "username", "userid", "login", "sisuserid", "sisid", "netid", "studentnumber"},
    "first_name": {"firstname", "first", "givenname", "forename", "prenom"},
    "last_name": {"lastname", "last", "surname", "familyname", "nom"},
    "email": {"email", "emailaddress", "mail"},
    "name": {"name", "fullname", "studentname"},
}
_VALID_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class RosterReport:
    students: list[RosterEntry] = field(default_factory=list)
    bad_rows: list[tuple[int, str]] = field(default_factory=list)   # (line number, what is wrong)
    columns: dict[str, str] = field(default_factory=dict)            # our name -> the CSV's header

    def summary(self) -> str:
        lines = [f"{len(self.students)} student(s) imported, {len(self.bad_rows)} row(s) not imported"]
        lines += [f"  line {n}: {why}" for n, why in self.bad_rows]
        return "\n".join(lines)


def _norm(header: str) -> str:
    return re.sub(r"[\s_\-.]", "", header.strip().lower())


def _columns(headers: list[str]) -> dict[str, str]:
    found = {}
    for h in headers:
        for ours, spellings in HEADERS.items():
            if _norm(h) in spellings and ours not in found:
                found[ours] = h
    return found


def read_roster(csv_path: str | Path | None = None, text: str | None = None) -> RosterReport:
    """Parse a roster CSV (path or text) into entries and a list of bad rows; no side effects."""
    if text is None:
        raw = Path(csv_path).read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
    text = text.lstrip("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text.strip() else ",", delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    report = RosterReport()
    report.columns = _columns(reader.fieldnames or [])
    if "id" not in report.columns and "email" not in report.columns:
        report.bad_rows.append((1, f"no student id or email column among {reader.fieldnames}"))
        return report
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        get = lambda k: (row.get(report.columns[k]) or "").strip() if k in report.columns else ""  # noqa: E731
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue   # blank line
        sid, email = get("id"), get("email")
        first, last = get("first_name"), get("last_name")
        if not (first or last) and get("name"):
            name = get("name")
            if "," in name:   # "Last, First"
                last, first = (p.strip() for p in name.split(",", 1))
            else:
                first, _, last = name.rpartition(" ") if " " in name else ("", "", name)
                first, last = (first or last), (last if first else "")
        if not sid and email:
            sid = email.split("@")[0]
        if not sid:
            report.bad_rows.append((line, "no student id (and no email to derive one from)"))
            continue
        if not _VALID_ID.match(sid):
            report.bad_rows.append((line, f"student id {sid!r} has characters nbgrader cannot use in folder names"))
            continue
        if email and not _EMAIL.match(email):
            report.bad_rows.append((line, f"email {email!r} is not an email address"))
            continue
        if sid in seen:
            report.bad_rows.append((line, f"student id {sid!r} repeats line {seen[sid]}"))
            continue
        seen[sid] = line
        report.students.append(RosterEntry(sid, first, last, email))
    return report


def import_roster(csv_path: str | Path, db_url: str) -> RosterReport:
    """Read the CSV and create or update each good row's student in nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    report = read_roster(csv_path)
    with Gradebook(db_url) as gb:
        for s in report.students:
            gb.update_or_create_student(s.id, first_name=s.first_name or None,
                                        last_name=s.last_name or None, email=s.email or None)
    return report


def roster_from_gradebook(db_url: str) -> list[RosterEntry]:
    """The students nbgrader knows, as entries that :func:`autograder.collect.collect` matches against."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        return [RosterEntry(s.id, s.first_name or "", s.last_name or "", s.email or "") for s in gb.students]


def parse_due(value: str | datetime) -> datetime:
    """'2026-01-12 12:00' (UTC unless it names a zone) or a datetime -> aware UTC datetime."""
    if isinstance(value, datetime):
        when = value
    else:
        text = value.strip().replace(" UTC", "+00:00").replace("Z", "+00:00")
        when = datetime.fromisoformat(text)
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)


def set_due_date(db_url: str, assignment: str, due: str | datetime) -> datetime:
    """Record the assignment's due date in nbgrader's gradebook (nbgrader stores naive UTC)."""
    from nbgrader.api import Gradebook

    when = parse_due(due)
    with Gradebook(db_url) as gb:
        gb.update_or_create_assignment(assignment, duedate=when.replace(tzinfo=None))
    return when


def set_late_policy(course_root: str | Path, points_per_hour: float | None) -> Path:
    """Write the late policy into the course's ``nbgrader_config.py``: ``points_per_hour`` off
    per started hour late (nbgrader's LateSubmissionPlugin mechanism); None for no penalty."""
    return write_late_policy(course_root, points_per_hour)
