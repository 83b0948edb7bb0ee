"""What a student's code produced, as plain data that a judge can trust.

``describe`` runs next to the student's code and turns its results into records made of
plain Python values and detached CPU tensors. Only exact types are described by value:
a ``torch.Tensor`` subclass, or any object with home-made ``__eq__``/``__float__``,
becomes an :class:`Opaque` record holding only its type name, which no check accepts
(noted "look-alike" when the class names a library class it is not). So a judge never
calls a method of a student's object. The facts are read with the references of
:mod:`course.checking.pristine`, torch modes off.

``encode``/``decode`` carry these records between processes as JSON plus a dict of
tensors (for safetensors): no pickle is ever involved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from course.checking.pristine import REAL, lookalike, modes_off

#: The largest tensor a check will copy out of the student's process.
MAX_ELEMENTS = 5_000_000

_SCALARS = (bool, int, float, str, type(None))
#: The same, by identity (``in`` would ask a class's own ``__eq__``, which can lie).
_SCALAR_IDS = frozenset(id(t) for t in _SCALARS)


@dataclass(frozen=True)
class TensorValue:
    """A tensor as data: its metadata and a detached CPU copy of its values."""

    dtype: torch.dtype
    shape: tuple[int, ...]
    device: str
    requires_grad: bool = False
    is_leaf: bool = True
    grad_fn: str | None = None
    contiguous: bool = True
    parameter: bool = False
    data: torch.Tensor | None = field(default=None, repr=False, compare=False)

    @property
    def ndim(self) -> int:
        return len(self.shape)


@dataclass(frozen=True)
class ArrayValue:
    """A NumPy array as data."""

    dtype: str
    shape: tuple[int, ...]
    data: np.ndarray = field(repr=False, compare=False)


@dataclass(frozen=True)
class Token:
    """A value of a few safe torch types, by name: a dtype or a device."""

    kind: str  # "dtype" or "device"
    text: str


@dataclass(frozen=True)
class Opaque:
    """Anything not described by value: only its type name is kept."""

    type_name: str
    note: str = ""


@dataclass(frozen=True)
class Raised:
    """The student's code raised instead of returning."""

    type_name: str
    message: str


def type_name(obj: Any) -> str:
    """The name ``obj``'s class gives itself (for messages: a name can lie, see ``pristine.lookalike``).
    Read with ``type``'s own descriptors: no metaclass of the student's is asked."""
    t = REAL.type(obj)
    module, name = REAL.class_module(t), REAL.class_qualname(t)
    if REAL.type(name) is not str:
        return "?"
    return f"{module}.{name}" if REAL.type(module) is str and module != "builtins" else name


def describe(obj: Any, _depth: int = 0) -> Any:
    """Plain-data description of ``obj`` (see the module docstring).

    Computed with the references of :mod:`course.checking.pristine` and with torch modes
    off: what it reports about a tensor (its values, dtype, device, graph) is the tensor's
    own, whatever the student's code redirected or left on.
    """
    with modes_off():
        return _describe(obj, _depth)


def _describe(obj: Any, depth: int) -> Any:
    """One value: the leaves known by identity here, in this order; containers and the rest
    in :func:`_describe_container`."""
    t = REAL.type(obj)
    if depth > 20:
        return Opaque(type_name(obj), "nested too deeply")
    if t is REAL.Tensor or t is REAL.Parameter:
        return _describe_tensor(obj)
    if REAL.id(t) in _SCALAR_IDS:
        return obj
    if t is REAL.ndarray:
        return _describe_array(obj)
    if REAL.id(t) in REAL.numpy_scalars:
        return REAL.scalar_item(obj)
    if t is REAL.Size:
        return tuple(int(n) for n in tuple.__iter__(obj))
    if t is REAL.dtype:
        return Token("dtype", str(obj))
    if t is REAL.device:
        return Token("device", str(obj))
    return _describe_container(obj, t, depth)


def _describe_container(obj: Any, t: Any, depth: int) -> Any:
    """A list, a tuple or a dict with string keys, item by item; anything else opaque."""
    if t is list or t is tuple:
        return t(_describe(x, depth + 1) for x in t.__iter__(obj))
    if t is dict and all(REAL.type(k) is str for k in dict.keys(obj)):
        return {k: _describe(v, depth + 1) for k, v in dict.items(obj)}
    return Opaque(type_name(obj), "look-alike" if lookalike(obj) else "")


def _describe_array(obj: np.ndarray) -> ArrayValue | Opaque:
    """A plain NumPy array's copy; an object array or a too large one opaque."""
    if obj.dtype.hasobject:
        return Opaque("numpy.ndarray", "object dtype")
    if obj.size > MAX_ELEMENTS:
        return Opaque("numpy.ndarray", f"too large ({obj.size} elements)")
    return ArrayValue(str(obj.dtype), tuple(int(n) for n in obj.shape), REAL.np_array(obj, copy=True))


def _describe_tensor(x: torch.Tensor) -> TensorValue | Opaque:
    """A plain tensor's facts, read with TensorBase's own descriptors (modes are off)."""
    if REAL.layout(x) is not REAL.strided:
        return Opaque(type_name(x), f"layout {REAL.layout(x)}")
    numel = int(REAL.numel(x))
    if numel > MAX_ELEMENTS:
        return Opaque(type_name(x), f"too large ({numel} elements)")
    grad_fn = REAL.grad_fn(x)
    device = REAL.t_device(x)
    data = None
    if device.type != "meta":
        data = REAL.resolve_neg(REAL.resolve_conj(REAL.to(REAL.detach(x), "cpu", copy=True)))
    return TensorValue(
        dtype=REAL.t_dtype(x),
        shape=tuple(int(n) for n in REAL.shape(x)),
        device=str(device),
        requires_grad=bool(REAL.requires_grad(x)),
        is_leaf=bool(REAL.is_leaf(x)),
        grad_fn=None if grad_fn is None else REAL.type(grad_fn).__name__,
        contiguous=bool(REAL.is_contiguous(x)),
        parameter=REAL.type(x) is REAL.Parameter,
        data=data,
    )


def inputs_changed(case: dict, after: Any) -> list[str]:
    """Keys of the case's plain tensors that differ in ``after`` (the described inputs as the
    student's code left them; a key missing from it, or not a tensor record, counts as changed).

    The one mutation check: it compares data, so it gives the same answer next to the
    student's code and in the grading engine's judge, which never runs student code.
    """
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


# --- transport between processes: JSON plus tensors, never pickle -------------------


def encode(value: Any, tensors: dict[str, torch.Tensor] | None = None) -> tuple[Any, dict[str, torch.Tensor]]:
    """(json-able object, tensors by name) for a described value."""
    tensors = {} if tensors is None else tensors
    return _encode(value, tensors), tensors


def _encode(v: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """One described value; its tensors are added to ``tensors`` under new names."""
    if type(v) in _SCALARS:
        return _encode_scalar(v)
    if isinstance(v, TensorValue):
        return _encode_tensor(v, tensors)
    if isinstance(v, ArrayValue):
        key = f"t{len(tensors)}"
        tensors[key] = torch.from_numpy(np.ascontiguousarray(v.data))
        return {"$array": {"dtype": v.dtype, "shape": list(v.shape), "data": key}}
    if isinstance(v, Token):
        return {"$token": [v.kind, v.text]}
    if isinstance(v, Opaque):
        return {"$opaque": [v.type_name, v.note]}
    if isinstance(v, Raised):
        return {"$raised": [v.type_name, v.message]}
    return _encode_container(v, tensors)


def _encode_scalar(v: Any) -> Any:
    """JSON has no inf or nan: those travel as their repr."""
    if type(v) is float and not np.isfinite(v):
        return {"$float": repr(v)}
    return v


def _encode_tensor(v: TensorValue, tensors: dict[str, torch.Tensor]) -> dict:
    """The metadata as JSON, the values (if any: a meta tensor has none) in ``tensors``."""
    key = None
    if v.data is not None:
        key = f"t{len(tensors)}"
        tensors[key] = v.data.contiguous()
    return {
        "$tensor": {
            "dtype": str(v.dtype).removeprefix("torch."),
            "shape": list(v.shape),
            "device": v.device,
            "requires_grad": v.requires_grad,
            "is_leaf": v.is_leaf,
            "grad_fn": v.grad_fn,
            "contiguous": v.contiguous,
            "parameter": v.parameter,
            "data": key,
        }
    }


def _encode_container(v: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """A tuple (tagged: JSON would make it a list), a list or a dict, item by item."""
    if isinstance(v, tuple):
        return {"$tuple": [_encode(x, tensors) for x in v]}
    if isinstance(v, list):
        return [_encode(x, tensors) for x in v]
    if isinstance(v, dict):
        return {"$dict": {k: _encode(x, tensors) for k, x in v.items()}}
    raise TypeError(f"cannot encode {type(v).__name__}: describe() it first")


def decode(obj: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """The inverse of :func:`encode`."""
    if isinstance(obj, list):
        return [decode(x, tensors) for x in obj]
    if not isinstance(obj, dict):
        return obj
    ((tag, body),) = obj.items()
    return _decode_tagged(tag, body, tensors)


def _decode_tagged(tag: str, body: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """One tagged object of :func:`encode`'s (an if-chain, not a table: nothing to change in place)."""
    if tag == "$float":
        return float(body)
    if tag == "$tensor":
        return _decode_tensor(body, tensors)
    if tag == "$array":
        return ArrayValue(body["dtype"], tuple(body["shape"]), tensors[body["data"]].numpy())
    if tag == "$token":
        return Token(*body)
    if tag == "$opaque":
        return Opaque(*body)
    if tag == "$raised":
        return Raised(*body)
    if tag == "$tuple":
        return tuple(decode(x, tensors) for x in body)
    if tag == "$dict":
        return {k: decode(x, tensors) for k, x in body.items()}
    raise ValueError(f"unknown tag {tag!r}")


def _decode_tensor(body: dict, tensors: dict[str, torch.Tensor]) -> TensorValue:
    data = tensors[body["data"]] if body["data"] is not None else None
    return TensorValue(
        getattr(torch, body["dtype"]),
        tuple(body["shape"]),
        body["device"],
        body["requires_grad"],
        body["is_leaf"],
        body["grad_fn"],
        body["contiguous"],
        body["parameter"],
        data,
    )
