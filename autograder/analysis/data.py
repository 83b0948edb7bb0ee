"""``autograder report --json``: an assignment's results and analysis as one typed document.

For an LMS or a script. The document is :class:`ReportData` (dataclasses all the way
down) serialised with :func:`to_json`; :func:`from_json` reads it back into the same
types and refuses a document of another schema. Student code is never in it (the
similarity pairs carry student ids, shares and line numbers only).

Top level: ``schema`` (``"autograder-report/1"``), ``assignment``, ``max_score``,
``students`` (per student: status, score, late figures, and per exercise its points,
status, whether it was attempted, the misconception named and the students whose answer
is similar), ``items`` (the item analysis, :mod:`autograder.analysis.items`),
``item_thresholds``, ``similarity`` (per exercise the pairs and the note) and
``similarity_settings``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from dataclasses import dataclass, field
from enum import Enum

from autograder.analysis.items import ItemAnalysis, ItemStats, Thresholds, attempted
from autograder.analysis.similarity import ExerciseSimilarity, Settings, SimilarityReport

SCHEMA = "autograder-report/1"


@dataclass
class ExerciseRecord:
    grade_id: str
    exercise: str | None
    title: str
    points: float | None
    max_points: float
    status: str
    attempted: bool
    misconception: str | None = None
    misconception_title: str | None = None
    similar_to: list[str] = field(default_factory=list)


@dataclass
class StudentRecord:
    student: str
    status: str
    score: float | None  #: None when nothing was graded
    max_score: float
    late_penalty: float
    hours_late: float
    late_days: int  #: started days after the due date
    submitted: str | None
    reasons: list[str] = field(default_factory=list)
    exercises: list[ExerciseRecord] = field(default_factory=list)


@dataclass
class ReportData:
    schema: str
    assignment: str
    max_score: float
    students: list[StudentRecord]
    items: list[ItemStats]
    item_thresholds: Thresholds
    similarity: list[ExerciseSimilarity]
    similarity_settings: Settings


def late_days(seconds_late: float) -> int:
    return math.ceil(seconds_late / 86400) if seconds_late > 0 else 0


def build(results, analysis: ItemAnalysis, similar: SimilarityReport) -> ReportData:
    """The document of a graded assignment (``results``: ``autograder.results.AssignmentResults``)."""
    from course.misconceptions import CATALOGUE

    students = []
    for s in results.students:
        rec = StudentRecord(
            s.student,
            s.status,
            s.score if s.notebooks else None,
            s.max_score,
            s.late_penalty,
            round(s.seconds_late / 3600, 2),
            late_days(s.seconds_late),
            s.timestamp,
            list(s.reasons),
        )
        for nb in s.notebooks:
            for x in nb.exercises:
                m = CATALOGUE.get(x.code) if x.code else None
                rec.exercises.append(
                    ExerciseRecord(
                        x.grade_id,
                        x.exercise,
                        x.title,
                        x.points,
                        x.max_points,
                        x.status,
                        attempted(x, nb),
                        x.code,
                        m.title if m else None,
                        sorted(p.other(s.student) for p in similar.similar_to(s.student, x.grade_id)),
                    )
                )
        students.append(rec)
    return ReportData(
        SCHEMA,
        results.assignment,
        results.max_score,
        students,
        analysis.items,
        analysis.thresholds,
        similar.exercises,
        similar.settings,
    )


def _plain(obj):
    if isinstance(obj, Enum):
        return obj.value
    if dataclasses.is_dataclass(obj):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [_plain(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def to_json(data: ReportData, indent: int | None = 1) -> str:
    return json.dumps(_plain(data), indent=indent, ensure_ascii=False)


def _load(tp, value, where: str):
    """``value`` (parsed JSON) as type ``tp``; a ValueError names where it does not fit."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return _load_union(typing.get_args(tp), value, where)
    if origin is list:
        return _load_list(tp, value, where)
    if origin is dict:
        return _load_dict(tp, value, where)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(value)
    if dataclasses.is_dataclass(tp):
        return _load_dataclass(tp, value, where)
    return _load_scalar(tp, value, where)


def _load_union(options: tuple, value, where: str):
    """The first option ``value`` fits (None where the union allows it)."""
    if value is None and type(None) in options:
        return None
    errors = []
    for option in options:
        if option is type(None):
            continue
        try:
            return _load(option, value, where)
        except ValueError as exc:
            errors.append(str(exc))
    raise ValueError("; ".join(errors))


def _load_list(tp, value, where: str) -> list:
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a list")
    (item,) = typing.get_args(tp)
    return [_load(item, v, f"{where}[{i}]") for i, v in enumerate(value)]


def _load_dict(tp, value, where: str) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object")
    _, item = typing.get_args(tp)
    return {k: _load(item, v, f"{where}.{k}") for k, v in value.items()}


def _load_dataclass(tp, value, where: str):
    """The dataclass from an object of its fields; a field with a default may be missing."""
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object")
    hints = typing.get_type_hints(tp)
    kwargs = {}
    for f in dataclasses.fields(tp):
        if f.name in value:
            kwargs[f.name] = _load(hints[f.name], value[f.name], f"{where}.{f.name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ValueError(f"{where}: {f.name} is missing")
    return tp(**kwargs)


def _load_scalar(tp, value, where: str):
    """A number, string or bool of exactly that type (an int is a float, a bool is no number)."""
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{where}: expected a number")
        return float(value)
    if tp in (int, str, bool):
        if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
            raise ValueError(f"{where}: expected {tp.__name__}")
        return value
    raise ValueError(f"{where}: cannot read type {tp!r}")


def from_json(text: str) -> ReportData:
    """A document written by :func:`to_json`, back as :class:`ReportData` (ValueError when it is not one)."""
    raw = json.loads(text)
    if not isinstance(raw, dict) or raw.get("schema") != SCHEMA:
        raise ValueError(f"not an {SCHEMA} document")
    return _load(ReportData, raw, "report")
