"""Checker fingerprints: what ``autograder regrade`` compares to find what a checker fix touches.

After a checker is fixed, only the exercises whose checker changed should be graded
again, and, where only the judging changed, without running student code again (from
the sandbox results the journal keeps, ``journal.Journal.kept``). So at grading time the
driver records in each journal entry, under ``checkers``, the fingerprint of each
exercise's checker (:func:`fingerprints`): a hash of the source of its ``cases`` and
``run`` functions (what the sandbox computes: ``collect``) and one of its ``judge``
(what the driver decides), each with the helpers, closures and constants they use, plus
the checking library's files on that side (``course.checking``: exercise.py and
values.py for collecting, judge.py and result.py for judging; the misconception
catalogue only words the feedback and is left out).
"""

from __future__ import annotations

import hashlib
import inspect
import types
from pathlib import Path

_SIMPLE = (int, float, str, bytes, bool, type(None))


def _source(obj) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        code = getattr(obj, "__code__", None)
        return repr(code.co_code) + repr(code.co_consts) if code is not None else repr(obj)


def _digest(fns, module: str) -> str:
    """Source of ``fns`` and of what they use from their own module, transitively."""
    h = hashlib.sha256()
    seen: set[int] = set()
    todo = [f for f in fns if f is not None]
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        h.update(_source(obj).encode())
        if isinstance(obj, types.FunctionType):
            todo += _closure(obj, h) + _globals_used(obj, module, h)
    return h.hexdigest()[:16]


def _closure(fn: types.FunctionType, h) -> list:
    """Functions and classes in ``fn``'s closure (to digest next); its simple constants into ``h``."""
    out = []
    for cell in fn.__closure__ or ():
        try:
            value = cell.cell_contents
        except ValueError:
            continue
        if isinstance(value, (types.FunctionType, type)):
            out.append(value)
        elif isinstance(value, _SIMPLE):
            h.update(repr(value).encode())
    return out


def _globals_used(fn: types.FunctionType, module: str, h) -> list:
    """Functions and classes of ``module`` that ``fn``'s code names; its CONSTANTS into ``h``."""
    out = []
    codes = [fn.__code__]
    while codes:
        code = codes.pop()
        codes.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
        for name in code.co_names:
            value = fn.__globals__.get(name)
            if isinstance(value, (types.FunctionType, type)) and getattr(value, "__module__", None) == module:
                out.append(value)
            elif isinstance(value, _SIMPLE + (tuple,)) and name.isupper():
                h.update(f"{name}={value!r}".encode())
    return out


def fingerprint(exercise) -> dict[str, str]:
    """``{"collect": ..., "judge": ...}`` of one :class:`course.checking.Exercise`."""
    module = getattr(exercise._judge or exercise._run, "__module__", "")
    runs = repr((exercise.answers, exercise.visible_cases, exercise.hidden_cases, exercise.may_mutate_inputs))
    says = repr((exercise.title, exercise.points))
    return {
        "collect": _digest([exercise._cases, exercise._run], module) + _short(runs + _library("collect")),
        "judge": _digest([exercise._judge], module) + _short(says + _library("judge")),
    }


#: the checking library's own files, by the side of the trust boundary they act on
#: (the misconception catalogue only words the feedback: a new entry regrades nothing)
_LIBRARY = {"collect": ("exercise.py", "values.py"), "judge": ("judge.py", "result.py")}
_library_cache: dict[str, str] = {}


def _library(side: str) -> str:
    if side not in _library_cache:
        import course.checking

        folder = Path(course.checking.__file__).parent
        _library_cache[side] = "".join(_short((folder / f).read_text()) for f in _LIBRARY[side])
    return _library_cache[side]


def _short(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def fingerprints(exercise_ids) -> dict[str, dict[str, str]]:
    """exercise id -> fingerprint, for the exercises an assignment grades with checkers."""
    from course.checking.exercise import REGISTRY

    return {ex: fingerprint(REGISTRY[ex]) for ex in sorted(set(exercise_ids)) if ex in REGISTRY}
