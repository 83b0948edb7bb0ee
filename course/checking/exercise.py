"""An exercise: its cases, how to run the student's answer, and how to judge it.

See the contract in :mod:`course.checking`. The split into ``run`` (next to the
student's code) and ``judge`` (on plain data) is what lets the grading engine judge in
a process that student code never touched; in a notebook both run in the kernel.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any, Callable

import torch

from course.checking import pristine
from course.checking.judge import Failed, Judge
from course.checking.pristine import REAL, fresh_copy
from course.checking.result import CheckResult
from course.checking.values import Raised, describe, inputs_changed, type_name
from course.misconceptions import match_error

#: Every exercise defined so far, by id ("nb01.ex2" -> Exercise).
REGISTRY: dict[str, "Exercise"] = {}

SECRET_ENV = "COURSE_SECRET"

#: Set in the kernel by nbgrader's autograde ("autograde") and validate ("validate").
GRADING_ENV = "NBGRADER_EXECUTION"

#: Width of the lines of a failure's report: nbgrader's validate cuts longer lines (at 87
#: characters on the command line), and JupyterLab's Validate dialog shows them unwrapped
#: in a box about 75 characters wide.
REPORT_WIDTH = 68


def grading() -> bool:
    """True when nbgrader grades or validates this kernel; a student's Run All is not."""
    return bool(os.environ.get(GRADING_ENV))


def case_seed(exercise_id: str, hidden: bool, secret: str | None = None) -> int:
    """The seed of an exercise's cases: public for visible ones, secret for hidden ones."""
    if not hidden:
        material = f"visible:{exercise_id}"
    else:
        secret = secret if secret is not None else os.environ.get(SECRET_ENV)
        material = f"hidden:{exercise_id}:{secret}" if secret else os.urandom(16).hex()
    return int.from_bytes(hashlib.sha256(material.encode()).digest()[:8], "little") >> 1


class Outcome:
    """What ``run`` produced on one case, as plain data, plus what happened around it.

    ``inputs_after``: the case's tensors as the student's code left them (described, so
    plain data), or None when the exercise may change its inputs. Whether they changed is
    decided by :meth:`Exercise.decide` against its own copy of the case, never next to the
    student's code, where a comparison that lies could be in force.
    """

    __slots__ = ("value", "warnings", "inputs_after")

    def __init__(self, value: Any, warnings: list[str], inputs_after: dict | None = None):
        self.value, self.warnings, self.inputs_after = value, warnings, inputs_after


class Exercise:
    """One graded exercise; found as ``course.checks.nbNN.exK``."""

    def __init__(
        self,
        id: str,
        *,
        title: str,
        points: float,
        answers: tuple[str, ...] | str,
        visible_cases: int = 1,
        hidden_cases: int = 3,
        may_mutate_inputs: bool = False,
    ):
        if id in REGISTRY:
            raise ValueError(f"exercise {id!r} is defined twice")
        self.id = id
        self.title = title
        self.points = float(points)
        self.answers = (answers,) if isinstance(answers, str) else tuple(answers)
        self.visible_cases = visible_cases
        self.hidden_cases = hidden_cases
        self.may_mutate_inputs = may_mutate_inputs
        self._cases: Callable | None = None
        self._run: Callable = call_with_case
        self._judge: Callable | None = None
        REGISTRY[id] = self

    @property
    def grade_id(self) -> str:
        """The nbgrader grade id of the exercise's test cell (nbgrader allows no dots)."""
        return self.id.replace(".", "-")

    # -- definition (decorators) ----------------------------------------------------
    def cases(self, fn: Callable[[torch.Generator, bool], list[dict]]) -> Callable:
        self._cases = fn
        return fn

    def run(self, fn: Callable[..., Any]) -> Callable:
        """Only when the default (:func:`call_with_case`) is not what the exercise needs."""
        self._run = fn
        return fn

    def judge(self, fn: Callable[[Judge, dict, Any], None]) -> Callable:
        self._judge = fn
        return fn

    # -- the three phases -------------------------------------------------------------
    def make_cases(self, hidden: bool, secret: str | None = None) -> list[dict]:
        if self._cases is None:
            raise TypeError(f"{self.id} defines no cases (@{self.id.split('.')[1]}.cases)")
        gen = torch.Generator().manual_seed(case_seed(self.id, hidden, secret))
        cases = self._cases(gen, hidden)
        wanted = self.hidden_cases if hidden else self.visible_cases
        return list(cases)[:wanted]

    def collect(self, answers: tuple, cases: list[dict]) -> list[Outcome]:
        """Run the student's answers on each case (in the student's process)."""
        return collect_cases(self._run, self.may_mutate_inputs, answers, cases)

    def decide(self, cases: list[dict], outcomes: list[Outcome], hidden: bool) -> CheckResult:
        """Judge the outcomes (plain data only) and return the result record."""
        if self._judge is None:
            raise TypeError(f"{self.id} defines no judge (@{self.id.split('.')[1]}.judge)")
        steps: list[str] = []
        fraction = None
        partial_messages = []
        try:
            if not cases:
                raise Failed("raised-error", "This exercise has no cases to check.")
            for case, outcome in zip(cases, outcomes, strict=False):  # the engine checked the counts
                v = Judge(hidden=hidden, warnings=outcome.warnings)
                _fail_on_exception(outcome.value)
                mutated = [] if self.may_mutate_inputs else inputs_changed(case, outcome.inputs_after)
                if mutated:
                    v.fail("mutated-input", f"Your code changed its input {', '.join(mutated)} in place.")
                try:
                    self._judge(v, case, outcome.value)
                finally:
                    steps = [s for s in steps if s in v.steps] if steps else list(v.steps)
                if v.fraction is not None:
                    fraction = v.fraction if fraction is None else min(fraction, v.fraction)
                    partial_messages.append(v.partial_message)
        except Failed as f:
            return CheckResult(
                self.id, self.title, 0.0, self.points, False, f.message, f.code, f.hint, hidden, steps, len(cases)
            )
        if fraction is not None and fraction < 1.0:
            return CheckResult(
                self.id,
                self.title,
                round(self.points * fraction, 4),
                self.points,
                False,
                partial_messages[-1] or "Partly right.",
                None,
                None,
                hidden,
                steps,
                len(cases),
            )
        msg = f"All {len(cases)} {'hidden ' if hidden else ''}case{'s' if len(cases) != 1 else ''} right."
        return CheckResult(
            self.id, self.title, self.points, self.points, True, msg, None, None, hidden, steps, len(cases)
        )

    def evaluate(self, *answers: Any, hidden: bool = False) -> CheckResult:
        """All three phases in this process."""
        self._check_arity(answers)
        cases = self.make_cases(hidden)
        return self.decide(cases, self.collect(answers, cases), hidden)

    # -- what notebooks call ---------------------------------------------------------
    def check(self, *answers: Any) -> CheckResult:
        """Instant feedback after the answer cell; never raises.

        Returns the result record, which Jupyter shows as a pass/fail box when it is the
        cell's last expression (and ``print`` shows as one line).
        """
        return self.evaluate(*answers)

    def grade(self, *answers: Any, hidden: bool = False) -> float | None:
        """For the graded test cell: shows the box; under grading, fails the cell when not passed.

        In a student's kernel it never raises, so that Run All goes on to the last cell
        (the box already says everything). Under nbgrader's autograde or validate (they set
        ``NBGRADER_EXECUTION`` in the kernel) it raises :class:`NotPassed` on a failure and
        returns the points earned when they are partial, which plain ``nbgrader autograde``
        reads as partial credit. The grading engine never runs this: it judges test
        positions itself.
        """
        result = self.evaluate(*answers, hidden=hidden)
        _show(result)
        if result.passed or not grading():
            return None
        if result.points > 0:
            return result.points
        raise NotPassed(result)

    def _check_arity(self, answers: tuple) -> None:
        if len(answers) != len(self.answers):
            raise TypeError(
                f"{self.id} checks {len(self.answers)} object(s): {', '.join(self.answers)}; got {len(answers)}"
            )

    def __repr__(self) -> str:
        return f"<Exercise {self.id}: {self.title} ({self.points:g} points; answers: {', '.join(self.answers)})>"


def collect_cases(run: Callable, may_mutate_inputs: bool, answers: tuple, cases: list[dict]) -> list[Outcome]:
    """``run`` on a fresh copy of each case, what it returned described, with the warnings
    it raised and (unless it may) the case's tensors as it left them.

    The copy, the descriptions and the plain-dict reads use the references of
    :mod:`course.checking.pristine` (taken before any student code), so nothing the
    student's code redirected or left on can make them lie; ``pristine.SETTLE`` runs right
    after each stretch of the student's code (the call, its exception's and its warnings'
    text), before anything else is used.
    """
    settle = pristine.SETTLE
    outcomes = []
    for case in cases:
        given = fresh_copy(case)
        with REAL.catch_warnings(record=True) as caught:
            REAL.simplefilter("always")
            try:
                result, error = run(given, *answers), None
            except Exception as exc:  # the student's code may raise anything
                result, error = None, exc
        settle()
        texts = [str(w.message) for w in caught][:20]  # a warning's text, like an exception's, is its own code
        why = None if error is None else (type_name(error), _first_lines(str(error)))
        if texts or why is not None:  # their text was the student's code too
            settle()
        try:
            value = describe(result) if why is None else Raised(*why)
        except Exception as exc:  # noqa: BLE001 - never the student's code: describe reads by identity
            value = Raised(type_name(exc), _first_lines(str(exc)))
        after = None if may_mutate_inputs else describe({k: dict.get(given, k) for k in _tensor_keys(case)})
        outcomes.append(Outcome(value, texts, after))
    return outcomes


class NotPassed(AssertionError):
    """A graded test cell that did not pass, raised only under grading.

    Its traceback is the report alone, in short lines: the checker's own frames say
    nothing to a student (IPython and ipykernel show what ``_render_traceback_`` returns
    instead of the frames; ``__tracebackhide__`` cannot hide the frame that raises).
    """

    def __init__(self, result: CheckResult):
        self.lines = result.report(REPORT_WIDTH)
        super().__init__("\n".join(self.lines))

    def _render_traceback_(self) -> list[str]:
        return list(self.lines)


def call_with_case(case: dict, *answers: Any) -> Any:
    """The default ``run``: call the one answer with the case's values, in order."""
    (answer,) = answers
    return answer(*dict.values(case))


def _fail_on_exception(value: Any) -> None:
    if isinstance(value, Raised):
        if value.type_name == "NotImplementedError":
            raise Failed("not-implemented", "This exercise still raises NotImplementedError.")
        code = match_error(value.message) or "raised-error"
        raise Failed(code, f"Your code raised {value.type_name}: {value.message}")


def _first_lines(text: str, limit: int = 400) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + " ..."


def _tensor_keys(case: dict) -> list[str]:
    """The inputs whose in-place change is a mistake: the case's plain tensors."""
    return [key for key, value in dict.items(case) if REAL.type(value) is REAL.Tensor]


def _show(result: CheckResult) -> None:
    """Display in Jupyter when there is a kernel, else print one line."""
    try:
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is not None and getattr(get_ipython(), "kernel", None) is not None:
            display(result)
            return
    except ImportError:
        pass
    print(str(result))
