"""The checkers: ``course.checks.nbNN`` holds notebook NN's exercises, one per ``exK``.

:func:`load_all` imports every checker module, so that ``REGISTRY`` knows every exercise
(the grading engine looks exercises up by id); :func:`load_file` imports a checkers file
from elsewhere (an instructor's private checks, the engine's test fixture) as
``course.checks.<stem>``. They are the one way checkers are loaded.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import sys
from types import ModuleType

from course.checking.exercise import REGISTRY, Exercise


def load_all(extra_files=(), errors: dict[str, str] | None = None, only=None) -> dict[str, Exercise]:
    """Import every ``course.checks.nbNN`` module (only those named in ``only``, when given:
    grading one assignment needs its own) and ``extra_files``; the registry back.

    With ``errors`` (a dict), a module that fails to import is recorded there
    (``{module: "ExceptionType: message"}``) instead of raising: one checker module being
    written with a syntax error must not stop the grading of the other notebooks.
    """
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("nb") and (only is None or info.name in only):
            try:
                importlib.import_module(f"{__name__}.{info.name}")
            except Exception as exc:
                if errors is None:
                    raise
                errors[info.name] = f"{type(exc).__name__}: {exc}"
    for path in extra_files:
        load_file(path)
    return REGISTRY


def load_file(path: str | os.PathLike) -> ModuleType:
    """Import a checkers file as ``course.checks.<stem>`` (once per process)."""
    name = os.path.splitext(os.path.basename(os.fspath(path)))[0]
    full = f"{__name__}.{name}"
    if full in sys.modules:
        return sys.modules[full]
    spec = importlib.util.spec_from_file_location(full, os.fspath(path))
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[full] = module
    spec.loader.exec_module(module)
    setattr(sys.modules[__name__], name, module)
    return module
