"""Shared test helpers: answer cells as code, wrong-answer variants, hard-coded answers."""

from __future__ import annotations

import contextlib
import copy
import importlib
import os
import types
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
NOTEBOOKS = ROOT / "notebooks"
VARIANTS = Path(__file__).resolve().parent / "variants"

#: What an answer cell may assume the notebook imported before it.
PRELUDE = """
import math
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
"""


def notebook_for(exercise_id: str) -> Path:
    nb = exercise_id.split(".")[0][2:]
    matches = sorted(SOLUTIONS.glob(f"{nb}_*.ipynb"))
    assert matches, f"no solution notebook for {exercise_id}"
    return matches[0]


def cell_source(path: Path, grade_id: str) -> str:
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            src = cell["source"]
            return "".join(src) if isinstance(src, list) else src
    raise KeyError(f"{path.name} has no cell {grade_id}")


def strip_solution_markers(source: str) -> str:
    return "\n".join(
        line for line in source.splitlines() if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
    )


def variant_module(notebook_key: str):
    """tests/variants/nbNN.py: WRONG, HARDCODED, SETUP for the notebook's exercises.

    A missing file gives an empty namespace, so that the proofs of that notebook fail
    one by one with a clear message instead of stopping every other notebook's proofs.
    """
    try:
        return importlib.import_module(f"variants.{notebook_key}")
    except ModuleNotFoundError as exc:
        if exc.name != f"variants.{notebook_key}":
            raise
        return types.SimpleNamespace()


def setup_code(exercise_id: str) -> str:
    mod = variant_module(exercise_id.split(".")[0])
    return PRELUDE + getattr(mod, "SETUP", {}).get(exercise_id, "")


def namespace_from(source: str, exercise_id: str) -> dict:
    """Run an answer cell's source (with the notebook's setup) and return its names."""
    ns: dict = {}
    exec(compile(setup_code(exercise_id), f"<setup {exercise_id}>", "exec"), ns)
    exec(compile(source, f"<answer {exercise_id}>", "exec"), ns)
    return ns


def solution_answers(exercise) -> tuple:
    src = strip_solution_markers(cell_source(notebook_for(exercise.id), exercise.grade_id + "-answer"))
    ns = namespace_from(src, exercise.id)
    return tuple(ns[name] for name in exercise.answers)


def variant_answers(exercise, source: str) -> tuple:
    ns = namespace_from(source, exercise.id)
    return tuple(ns[name] for name in exercise.answers)


def hardcoded_answers(exercise, reference: tuple) -> tuple:
    """Answers that return the reference's outputs on the visible cases, whatever the input.

    A copy of the visible answer typed into the notebook does exactly this; the hidden
    cases must catch it. Works for exercises whose answers are plain functions.
    """
    cases = exercise.make_cases(hidden=False)
    recorded: list = []

    def recorder(i):
        def call(*args, **kwargs):
            out = reference[i](*args, **kwargs)
            recorded.append((i, _frozen_copy(out)))
            return out

        return call

    for case in cases:
        exercise._run(copy.deepcopy(case), *(recorder(i) for i in range(len(reference))))
    by_answer: dict[int, list] = {}
    for i, out in recorded:
        by_answer.setdefault(i, []).append(out)

    def replay(i):
        outputs = by_answer.get(i, [])
        state = {"n": 0}

        def call(*args, **kwargs):
            out = outputs[state["n"] % len(outputs)]
            state["n"] += 1
            return _frozen_copy(out)

        return call

    return tuple(replay(i) for i in range(len(reference)))


def _frozen_copy(obj):
    """A deep copy in which tensors are detached (graph tensors refuse deepcopy)."""
    import torch

    if isinstance(obj, torch.Tensor):
        return obj.detach().clone()
    if isinstance(obj, (list, tuple)):
        return type(obj)(_frozen_copy(x) for x in obj)
    if isinstance(obj, dict):
        return {k: _frozen_copy(v) for k, v in obj.items()}
    return copy.deepcopy(obj)


@contextlib.contextmanager
def _students_environment():
    """The environment a kernel started now inherits: a student's, not nbgrader's."""
    saved = {k: os.environ.get(k) for k in ("NBGRADER_EXECUTION", "MPLBACKEND")}
    os.environ.pop("NBGRADER_EXECUTION", None)
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # figures as in JupyterLab
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_like_a_student(path: Path, timeout: int = 600):
    """Run a notebook top to bottom in a fresh real kernel, as Run All in a student's
    JupyterLab does (not under nbgrader); errors are kept in the outputs. Returns it."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    with _students_environment():
        NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(Path(path).parent)}},
        ).execute()
    return nb


def figures_of(nb) -> int:
    """How many figures (PNG outputs) an executed notebook holds."""
    return sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
