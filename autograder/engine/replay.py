"""What ``autograder regrade`` needs from a grading run: checker fingerprints and kept data.

After a checker is fixed, only the exercises whose checker changed should be graded
again, and, where only the judging changed, without running student code again. So at
grading time the driver keeps, per submission notebook:

- the fingerprint of each exercise's checker (:func:`fingerprints`), in the journal
  entry under ``"checkers"``: a hash of the source of its ``cases`` and ``run``
  functions (what the sandbox computes: ``collect``) and one of its ``judge`` (what the
  driver decides), each with the helpers, closures and constants they use, plus the
  checking library's files on that side (``course.checking``: exercise.py and values.py
  for collecting, judge.py and result.py for judging; the misconception catalogue only
  words the feedback and is left out);
- the sandbox's result as it came back (:func:`save`): the collected data of every
  test position (JSON) and its tensors (safetensors, as the sandbox sent them), in
  ``<course>/engine/results/<assignment>/kept/<student>/<notebook>.*``. Kept data is
  only ever decoded as data by the judge, exactly as on the first run. Above
  ``MAX_KEPT_BYTES`` of tensors nothing is kept and a regrade runs the sandbox again.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import shutil
import types
from pathlib import Path

MAX_KEPT_BYTES = 32 << 20
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
        if not isinstance(obj, types.FunctionType):
            continue
        for cell in obj.__closure__ or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if isinstance(value, (types.FunctionType, type)):
                todo.append(value)
            elif isinstance(value, _SIMPLE):
                h.update(repr(value).encode())
        codes = [obj.__code__]
        while codes:
            code = codes.pop()
            codes.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
            for name in code.co_names:
                value = obj.__globals__.get(name)
                if isinstance(value, (types.FunctionType, type)) and getattr(value, "__module__", None) == module:
                    todo.append(value)
                elif isinstance(value, _SIMPLE + (tuple,)) and name.isupper():
                    h.update(f"{name}={value!r}".encode())
    return h.hexdigest()[:16]


def fingerprint(exercise) -> dict[str, str]:
    """``{"collect": ..., "judge": ...}`` of one :class:`course.checking.Exercise`."""
    module = getattr(exercise._judge or exercise._run, "__module__", "")
    runs = repr((exercise.answers, exercise.visible_cases, exercise.hidden_cases, exercise.may_mutate_inputs))
    says = repr((exercise.title, exercise.points))
    return {"collect": _digest([exercise._cases, exercise._run], module) + _short(runs + _library("collect")),
            "judge": _digest([exercise._judge], module) + _short(says + _library("judge"))}


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


# --- kept sandbox results -------------------------------------------------------------------

def kept_dir(results_dir: Path, student: str) -> Path:
    return Path(results_dir) / "kept" / student


def save(results_dir: Path, student: str, notebook: str, result: dict | None) -> bool:
    """Keep one sandbox result (atomically); False when none or too big to keep."""
    folder = kept_dir(results_dir, student)
    for p in folder.glob(f"{notebook}.*"):
        p.unlink()
    if not result:
        return False
    blobs = {k: v for k, v in (result.get("blobs") or {}).items() if v}
    if sum(len(v) for v in blobs.values()) > MAX_KEPT_BYTES:
        return False
    folder.mkdir(parents=True, exist_ok=True)
    for k, blob in blobs.items():
        _atomic(folder / f"{notebook}.{int(k)}.safetensors", blob)
    data = {k: v for k, v in result.items() if k != "blobs"}
    data["blob_steps"] = sorted(int(k) for k in blobs)
    _atomic(folder / f"{notebook}.json", json.dumps(data).encode())  # last: present means complete
    return True


def load(results_dir: Path, student: str, notebook: str) -> dict | None:
    """The kept result in the shape the worker returned it, or None."""
    folder = kept_dir(results_dir, student)
    try:
        data = json.loads((folder / f"{notebook}.json").read_text())
        data["blobs"] = {str(k): (folder / f"{notebook}.{k}.safetensors").read_bytes()
                         for k in data.pop("blob_steps", [])}
    except (OSError, ValueError):
        return None
    return data


def forget(results_dir: Path, student: str) -> None:
    shutil.rmtree(kept_dir(results_dir, student), ignore_errors=True)


def _atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
