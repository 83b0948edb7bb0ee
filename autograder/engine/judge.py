"""The trusted side: the secret, the cases, and the verdicts.

Runs in the driver, a process that student code never touched. It makes the cases
(hidden ones from the instructor's secret), hands them to sandboxes as data, and
decides each exercise from the data that came back with ``Exercise.decide`` (visible
and hidden). Everything else a sandbox says (its outputs, its printed numbers) is
shown in the feedback and never scored.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path

from course.checking.exercise import REGISTRY, SECRET_ENV, Outcome
from course.checking.values import describe, decode, encode

SECRET_FILE = ".secret"


def load_secret(course_dir: Path) -> str:
    """``COURSE_SECRET`` from the grader's environment, else ``<course>/.secret`` (0600, made once)."""
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV]
    path = Path(course_dir) / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(16) + "\n")
    return path.read_text().strip()


def answers_of(exercise_id: str | None):
    ex = REGISTRY.get(exercise_id) if exercise_id else None
    return ex.answers if ex is not None else None


class Cases:
    """Every exercise's cases, made once per assignment, and their encoding for sandboxes."""

    def __init__(self, exercise_ids, secret: str):
        self.cases = {}
        for ex_id in sorted(set(exercise_ids)):
            ex = REGISTRY[ex_id]
            self.cases[ex_id] = {"visible": ex.make_cases(False), "hidden": ex.make_cases(True, secret)}
        tensors: dict = {}
        encoded = {ex: {part: encode(describe(cs), tensors)[0] for part, cs in parts.items()}
                   for ex, parts in self.cases.items()}
        self.json = json.dumps(encoded).encode()
        from safetensors.torch import save

        self.blob = save(tensors) if tensors else b""


@dataclass
class Verdict:
    """The score of one graded cell and why."""

    grade_id: str
    exercise: str | None
    score: float | None
    max_score: float
    status: str  #: passed, partial, failed, flagged, crashed, timeout, not-run, manual
    message: str = ""
    flags: list[str] = field(default_factory=list)
    outputs: list[dict] = field(default_factory=list)  #: the test cell's outputs for the feedback
    code: str | None = None  #: misconception code (course.misconceptions) of the failing check
    hint: str | None = None  #: the checker's own hint, when it gave one

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("outputs")
        return d


def _outcomes(parts: list, tensors: dict, cases: list | None = None, may_mutate: bool = True) -> list[Outcome]:
    out = []
    for n, item in enumerate(parts):
        warnings = [str(w)[:400] for w in item.get("warnings", [])][:20]
        mutated = [str(m) for m in item.get("mutated", [])][:20]
        if cases is not None and not may_mutate and n < len(cases):  # decided here, not next to the student's code
            after = decode(item["inputs_after"], tensors) if "inputs_after" in item else None
            mutated += [k for k in _mutated(cases[n], after) if k not in mutated]
        out.append(Outcome(decode(item["value"], tensors), warnings, mutated))
    return out


def _mutated(case: dict, after) -> list[str]:
    """Keys of the case's plain tensors that the student's code changed in place (or that were not sent back)."""
    import torch

    from course.checking.values import TensorValue

    changed = []
    for key, before in case.items():
        if type(before) is not torch.Tensor:
            continue
        got = after.get(key) if isinstance(after, dict) else None
        if not isinstance(got, TensorValue) or tuple(got.shape) != tuple(before.shape) or got.dtype != before.dtype:
            changed.append(key)
        elif before.device.type != "meta" and (got.data is None or not torch.equal(got.data, before.detach().cpu())):
            changed.append(key)
    return changed


def _render(result) -> dict:
    return {"output_type": "display_data", "metadata": {},
            "data": {"text/plain": str(result), "text/html": result._repr_html_()}}


def _note(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text.rstrip("\n") + "\n"}


BAD_STATUS = {"tampered": "flagged", "garbage": "flagged", "timeout": "timeout", "died": "crashed",
              "cpu-limit": "crashed", "engine-error": "crashed"}


def decide(grade_id: str, exercise_id: str, max_score: float, step: dict | None, blob: bytes,
           cases: Cases) -> Verdict:
    """One exercise's verdict from its collected data (visible and hidden)."""
    ex = REGISTRY[exercise_id]
    if step is None:
        return Verdict(grade_id, exercise_id, 0.0, max_score, "not-run", "The exercise was not reached.")
    outputs = list(step.get("outputs") or [])
    if "collect_error" in step:
        return Verdict(grade_id, exercise_id, 0.0, max_score, "crashed",
                       f"Collecting the results failed: {step['collect_error']}", outputs=outputs)
    try:
        from safetensors.torch import load

        tensors = load(blob) if blob else {}
        collected = step["collect"]
        results = []
        for part, hidden in (("visible", False), ("hidden", True)):
            part_cases = cases.cases[exercise_id][part]
            outcomes = _outcomes(collected[part], tensors, part_cases, ex.may_mutate_inputs)
            if len(outcomes) != len(part_cases):
                raise ValueError("wrong number of results")
            results.append(ex.decide(part_cases, outcomes, hidden))
    except Exception as exc:  # malformed data from the sandbox: nothing to trust
        return Verdict(grade_id, exercise_id, 0.0, max_score, "flagged", "The results could not be read.",
                       [f"malformed results from the sandbox ({type(exc).__name__})"], outputs)
    fraction = min(r.points / r.max_points if r.max_points else 0.0 for r in results)
    if not all(r.passed for r in results) and any(r.points == 0 for r in results):
        fraction = 0.0
    score = round(max_score * fraction, 4)
    status = "passed" if fraction >= 1 else "partial" if fraction > 0 else "failed"
    failing = next((r for r in results if not r.passed), None)
    message = str(failing) if failing else str(results[-1])
    flags = [f"returned an object no check reads by value: {name} (a class of the notebook or a look-alike "
             "of a torch type)" for name in _lookalikes([collected[p] for p in ("visible", "hidden")])]
    return Verdict(grade_id, exercise_id, score, max_score, "flagged" if flags and not score else status, message,
                   flags=flags, outputs=outputs + [_render(r) for r in results],
                   code=failing.code if failing else None, hint=failing.hint if failing else None)


_LOOKALIKE_NAMES = ("torch.Tensor", "torch.nn.Parameter", "torch.nn.parameter.Parameter", "numpy.ndarray")


def _lookalikes(encoded) -> list[str]:
    """Type names of opaque results that a student's class produced (defined in the notebook,
    or named like a torch type that is never opaque by itself): tensor subclasses and objects
    whose ``__eq__``/``__float__``/``__bool__``/``__torch_function__`` would lie."""
    found: list[str] = []

    def walk(obj):
        if isinstance(obj, list):
            for x in obj:
                walk(x)
        elif isinstance(obj, dict):
            if set(obj) == {"$opaque"} and isinstance(obj["$opaque"], list) and len(obj["$opaque"]) == 2:
                name, note = obj["$opaque"]
                if not note and isinstance(name, str) and (name.startswith("__main__.") or name in _LOOKALIKE_NAMES):
                    if name not in found:
                        found.append(name)
                return
            for x in obj.values():
                walk(x)

    walk(encoded)
    return found[:3]


def by_outputs(grade_id: str, max_score: float, cell: dict) -> Verdict:
    """A test cell without a checker: nbgrader's own rule on its outputs (not tamper-proof)."""
    import nbformat
    from nbgrader.utils import determine_grade

    node = nbformat.from_dict(cell)
    score, _ = determine_grade(node)
    status = "passed" if score == max_score else "partial" if score else "failed"
    return Verdict(grade_id, None, score, max_score, status, "Scored by its outputs (no checker).",
                   ["scored by outputs: no course checker for this cell"], list(cell.get("outputs", [])))
