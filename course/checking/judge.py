"""The judge's toolkit: checks on described values, cheapest first.

A judge function receives a :class:`Judge` ``v`` and calls, in order, ``v.tensor(...)``
(type, dtype, shape, device, graph) and then ``v.close(...)`` (values, with stated
tolerances). The first failing check raises :class:`Failed` with a misconception code;
every check that passed is recorded in ``v.steps`` so the feedback can say what was
already right.
"""

from __future__ import annotations

from typing import Any, NoReturn

import numpy as np
import torch

from course.checking.values import ArrayValue, Opaque, TensorValue, Token
from course.env import same_device
from course.misconceptions import lookup

_FLOATS = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


class Failed(Exception):
    """A check failed: ``code`` names the mistake in the misconception catalogue."""

    def __init__(self, code: str, message: str, hint: str | None = None):
        lookup(code)  # unknown codes are a bug in the checker, caught at once
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


def _shape(s) -> str:
    return "(" + ", ".join(str(n) for n in s) + ("," if len(s) == 1 else "") + ")"


def kind_of(value: Any) -> str:
    """A short phrase for what a described value is, for messages."""
    if isinstance(value, TensorValue):
        return f"a tensor of shape {_shape(value.shape)} and dtype {value.dtype}"
    if isinstance(value, ArrayValue):
        return f"a NumPy array of shape {_shape(value.shape)}"
    if isinstance(value, Opaque):
        return f"an object of type {value.type_name}"
    if isinstance(value, Token):
        return f"a torch {value.kind} {value.text}"
    return f"a {type(value).__name__}"


class Judge:
    """Checks for one case; ``hidden`` cases never show expected values."""

    def __init__(self, hidden: bool = False, warnings: list[str] | None = None):
        self.hidden = hidden
        self.warnings = list(warnings or [])
        self.steps: list[str] = []
        self.fraction: float | None = None
        self.partial_message: str | None = None

    # -- outcomes -----------------------------------------------------------------
    def fail(self, code: str, message: str, hint: str | None = None) -> NoReturn:
        raise Failed(code, message, hint)

    def require(self, condition: bool, code: str, message: str, hint: str | None = None) -> None:
        if not condition:
            self.fail(code, message, hint)

    def passed(self, step: str) -> None:
        if step not in self.steps:
            self.steps.append(step)

    def partial(self, fraction: float, message: str) -> None:
        """Award ``fraction`` of the points (projects graded by thresholds)."""
        self.fraction = max(0.0, min(1.0, float(fraction)))
        self.partial_message = message

    # -- structure: type, dtype, shape, device, graph ------------------------------
    def tensor(
        self,
        value: Any,
        name: str,
        *,
        dtype: torch.dtype | None = None,
        shape: tuple[int, ...] | None = None,
        device: str | None = None,
        requires_grad: bool | None = None,
        float_ok: bool = False,
    ) -> torch.Tensor:
        """Check that ``value`` is a plain tensor with the given properties; return its data.

        ``float_ok`` accepts any floating dtype where ``dtype`` is a float type.
        """
        if not isinstance(value, TensorValue):
            self.fail("wrong-type", f"{name} should be a torch.Tensor, but it is {kind_of(value)}.")
        self.passed("type")
        if dtype is not None:
            self._check_dtype(value, name, dtype, float_ok)
        if shape is not None:
            self._check_shape(value, name, tuple(shape))
        if device is not None:
            if not same_device(value.device, device):
                self.fail("device-mismatch", f"{name} is on {value.device}, expected {device}.")
            self.passed("device")
        if requires_grad is not None:
            self._check_graph(value, name, requires_grad)
        if value.data is None:
            self.fail("wrong-values", f"{name} is on the meta device and holds no values.")
        return value.data

    def _check_dtype(self, value: TensorValue, name: str, dtype: torch.dtype, float_ok: bool) -> None:
        if value.dtype != dtype and not (float_ok and dtype in _FLOATS and value.dtype in _FLOATS):
            code = "wrong-dtype"
            if dtype == torch.float32 and value.dtype == torch.float64:
                code = "float64-not-float32"
            self.fail(code, f"{name} has dtype {value.dtype}, expected {dtype}.")
        self.passed("dtype")

    def _check_shape(self, value: TensorValue, name: str, shape: tuple[int, ...]) -> None:
        if value.shape != shape:
            code = "wrong-shape"
            n = shape[0] if shape else None
            if len(shape) in (1, 2) and value.shape == (n, n) and n and n > 1:
                code = "broadcast-n-by-n"  # (n,) - (n, 1) broadcast to (n, n)
            self.fail(code, f"{name} has shape {_shape(value.shape)}, expected {_shape(shape)}.")
        self.passed("shape")

    def _check_graph(self, value: TensorValue, name: str, requires_grad: bool) -> None:
        if value.requires_grad != requires_grad:
            if requires_grad:
                self.fail("detached-graph", f"{name} does not require grad (grad_fn: {value.grad_fn}).")
            self.fail("result-requires-grad", f"{name} still requires grad (grad_fn: {value.grad_fn}).")
        self.passed("graph")

    def number(self, value: Any, name: str) -> float:
        """A Python number, or a one-element tensor; anything else fails."""
        if type(value) in (int, float) and type(value) is not bool:
            self.passed("type")
            return float(value)
        if isinstance(value, TensorValue) and value.data is not None and value.data.numel() == 1:
            self.passed("type")
            return float(value.data.reshape(()).item())
        self.fail("wrong-type", f"{name} should be a number, but it is {kind_of(value)}.")

    def numbers(self, value: Any, name: str, length: int, what: str, hint: str | None = None) -> torch.Tensor:
        """A list or tuple of ``length`` Python numbers (a loss history, the learning rates of a
        schedule), as a float64 tensor; names the usual wrong forms: tensors still on the graph,
        tensors or arrays instead of floats (``hint`` says how to make one), the wrong length.
        ``what`` is the plural of one entry ("losses, one per epoch")."""
        if type(value) not in (list, tuple):
            self.fail("wrong-type", f"{name} should be a list of {what} (Python floats), but it is {kind_of(value)}.")
        if any(isinstance(x, TensorValue) and x.requires_grad for x in value):
            self.fail(
                "loss-history-tensors",
                f"{name} holds tensors that are still attached to the graph (requires_grad=True).",
            )
        odd = [x for x in value if type(x) not in (int, float)]
        if odd:
            self.fail(
                "wrong-type",
                f"{name} should hold Python floats, but one entry is {kind_of(odd[0])}.",
                hint or "Use .item() on a one-element tensor.",
            )
        if len(value) != length:
            self.fail("wrong-shape", f"{name} has {len(value)} entries; expected {length} {what}.")
        self.passed("type")
        return torch.tensor([float(x) for x in value], dtype=torch.float64)

    def boolean(self, value: Any, name: str) -> bool:
        if type(value) is bool:
            self.passed("type")
            return value
        self.fail("wrong-type", f"{name} should be True or False, but it is {kind_of(value)}.")

    def shape_of(self, value: Any, name: str) -> tuple[int, ...]:
        """A shape given as a tuple/list of ints or a torch.Size."""
        if type(value) in (tuple, list) and all(type(n) is int for n in value):
            self.passed("type")
            return tuple(value)
        self.fail("wrong-type", f"{name} should be a shape such as (2, 3), but it is {kind_of(value)}.")

    # -- values, last --------------------------------------------------------------
    def close(
        self,
        got: torch.Tensor,
        expected: torch.Tensor,
        name: str,
        *,
        atol: float = 1e-6,
        rtol: float = 1e-5,
        code: str = "wrong-values",
        hint: str | None = None,
    ) -> None:
        """Values within ``atol + rtol * |expected|`` of the reference."""
        got = torch.as_tensor(got).detach().cpu()
        expected = torch.as_tensor(expected).detach().cpu()
        if got.shape != expected.shape:
            self.fail("wrong-shape", f"{name} has shape {_shape(got.shape)}, expected {_shape(expected.shape)}.")
        g64 = got.to(torch.float64) if not got.is_complex() else got
        e64 = expected.to(torch.float64) if not expected.is_complex() else expected
        if torch.allclose(g64, e64, atol=atol, rtol=rtol, equal_nan=True):
            self.passed("values")
            return
        tol = f"(tolerance: atol={atol:g}, rtol={rtol:g})"
        if self.hidden:
            self.fail(code, f"{name} has wrong values on inputs you have not seen {tol}.", hint)
        diff = (g64 - e64).abs()
        diff = torch.where(torch.isnan(diff), torch.full_like(diff, float("inf")), diff)
        idx = np.unravel_index(int(torch.argmax(diff.reshape(-1))), tuple(diff.shape)) if diff.ndim else ()
        at = f" at index {tuple(int(i) for i in idx)}" if idx else ""
        self.fail(
            code, f"{name} differs{at}: got {got[idx].item():.6g}, expected {expected[idx].item():.6g} {tol}.", hint
        )

    @staticmethod
    def matches(got: torch.Tensor, candidate: torch.Tensor, atol: float = 1e-5, rtol: float = 1e-4) -> bool:
        """True when ``got`` equals a known wrong answer (used to name a mistake)."""
        got = torch.as_tensor(got).detach().cpu()
        candidate = torch.as_tensor(candidate).detach().cpu()
        if got.shape != candidate.shape:
            return False
        return bool(torch.allclose(got.to(torch.float64), candidate.to(torch.float64), atol=atol, rtol=rtol))
