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
from pathlib import Path

from autograder.engine.records import CaseOutcome, Collected, DoneStep, Verdict, VerdictStatus
from course.checking.exercise import REGISTRY, SECRET_ENV, Outcome
from course.checking.result import CheckResult
from course.checking.values import decode, describe, encode

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
        encoded = {
            ex: {part: encode(describe(cs), tensors)[0] for part, cs in parts.items()}
            for ex, parts in self.cases.items()
        }
        self.json = json.dumps(encoded).encode()
        from safetensors.torch import save

        self.blob = save(tensors) if tensors else b""


def _outcomes(parts: list[CaseOutcome], tensors: dict) -> list[Outcome]:
    """The sandbox's encoded outcomes as the checker's ``Outcome`` records (data only)."""
    return [
        Outcome(
            decode(item.value, tensors),
            [str(w)[:400] for w in item.warnings][:20],
            None if item.inputs_after is None else decode(item.inputs_after, tensors),
        )
        for item in parts
    ]


def rendered(result: CheckResult) -> dict:
    """A check result as the display output the notebook would show."""
    return {
        "output_type": "display_data",
        "metadata": {},
        "data": {"text/plain": str(result), "text/html": result._repr_html_()},
    }


def note(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text.rstrip("\n") + "\n"}


def title_of(exercise_id: str | None, grade_id: str) -> str:
    ex = REGISTRY.get(exercise_id) if exercise_id else None
    return ex.title if ex is not None else grade_id


def not_run(grade_id: str, exercise_id: str | None, max_score: float, why: str) -> Verdict:
    return Verdict(grade_id, exercise_id, title_of(exercise_id, grade_id), 0.0, max_score, VerdictStatus.NOT_RUN, why)


def decide(
    grade_id: str, exercise_id: str, max_score: float, step: DoneStep | None, blob: bytes, cases: Cases
) -> tuple[Verdict, list[dict]]:
    """One exercise's verdict from its collected data (visible and hidden), and the test cell's outputs."""
    if step is None:
        return not_run(grade_id, exercise_id, max_score, "The exercise was not reached."), []
    ex = REGISTRY[exercise_id]
    outputs = [o.to_nbformat() for o in step.outputs]
    verdict = Verdict(grade_id, exercise_id, ex.title, 0.0, max_score, VerdictStatus.CRASHED)
    if step.collect_error is not None or step.collected is None:
        verdict.message = f"Collecting the results failed: {step.collect_error}"
        return verdict, outputs
    try:
        results = _results(ex, step.collected, blob, cases)
    except Exception as exc:  # malformed data from the sandbox: nothing to trust
        verdict.status, verdict.message = VerdictStatus.FLAGGED, "The results could not be read."
        verdict.flags = [f"malformed results from the sandbox ({type(exc).__name__})"]
        return verdict, outputs
    fraction = min(r.points / r.max_points if r.max_points else 0.0 for r in results)
    if not all(r.passed for r in results) and any(r.points == 0 for r in results):
        fraction = 0.0
    verdict.score = round(max_score * fraction, 4)
    verdict.result = next((r for r in results if not r.passed), results[-1])
    verdict.message = verdict.result.message
    verdict.status = (
        VerdictStatus.PASSED if fraction >= 1 else VerdictStatus.PARTIAL if fraction > 0 else VerdictStatus.FAILED
    )
    verdict.flags = [
        f"returned an object no check reads by value: {name} (a class of the notebook or a look-alike of a torch type)"
        for name in _lookalikes(step.collected)
    ]
    if verdict.flags and not verdict.score:
        verdict.status = VerdictStatus.FLAGGED
    return verdict, outputs + [rendered(r) for r in results]


def _results(ex, collected: Collected, blob: bytes, cases: Cases) -> list[CheckResult]:
    """``decide`` on the visible, then the hidden outcomes, with the judge's own copies of the cases."""
    from safetensors.torch import load

    tensors = load(blob) if blob else {}
    results = []
    for part, hidden in ((collected.visible, False), (collected.hidden, True)):
        part_cases = cases.cases[ex.id]["hidden" if hidden else "visible"]
        outcomes = _outcomes(part, tensors)
        if len(outcomes) != len(part_cases):
            raise ValueError("wrong number of results")
        results.append(ex.decide(part_cases, outcomes, hidden))
    return results


_LOOKALIKE_NAMES = ("torch.Tensor", "torch.nn.Parameter", "torch.nn.parameter.Parameter", "numpy.ndarray")


def _lookalikes(collected: Collected) -> list[str]:
    """Type names of opaque results that a student's class produced (defined in the notebook,
    or named like a torch type that is never opaque by itself): tensor subclasses and objects
    whose ``__eq__``/``__float__``/``__bool__``/``__torch_function__`` would lie."""
    found: list[str] = []
    encoded = [case.value for case in collected.visible + collected.hidden]

    def walk(obj):
        if isinstance(obj, list):
            for x in obj:
                walk(x)
        elif isinstance(obj, dict):
            if set(obj) == {"$opaque"} and isinstance(obj["$opaque"], list) and len(obj["$opaque"]) == 2:
                name, note = obj["$opaque"]
                named_like = note == "look-alike"  # its class names a library class it is not (values.describe)
                if isinstance(name, str) and (
                    named_like or not note and (name.startswith("__main__.") or name in _LOOKALIKE_NAMES)
                ):
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
    status = VerdictStatus.PASSED if score == max_score else VerdictStatus.PARTIAL if score else VerdictStatus.FAILED
    return Verdict(
        grade_id,
        None,
        grade_id,
        score,
        max_score,
        status,
        "Scored by its outputs (no checker).",
        ["scored by outputs: no course checker for this cell"],
    )
