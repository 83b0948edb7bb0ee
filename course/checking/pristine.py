"""The real torch, NumPy and Python objects, taken before any student code runs.

A checker computes some facts next to the student's code: whether a result shares
storage with its input, whether it shares memory with a NumPy array, whether an input
was changed in place, what type an object really is. Student code can redirect the
public names those facts would naturally use (``torch.UntypedStorage.data_ptr = ...``,
``numpy.shares_memory = ...``, ``builtins.type = ...``, ``copy.deepcopy``) or leave a
torch function mode or dispatch mode on that answers ``untyped_storage``, ``detach`` or
``numpy`` with whatever it likes. So facts are computed here, with:

- :data:`REAL`, a record (a tuple: it cannot be changed in place) of the objects
  themselves, taken when this module is imported: in the grading engine that is the
  zygote, before any submission exists (``autograder.engine.zygote`` takes them again,
  explicitly, before it forks); in a notebook, the setup cell. Tensor facts come from
  the descriptors of ``torch._C.TensorBase`` and ``torch._C.StorageBase``, which are
  immutable types (no attribute of theirs can be replaced);
- torch function modes and dispatch modes off (:func:`modes_off`), so no mode left on
  by a cell, and no tensor subclass, is asked anything;
- types compared by identity with the real classes (``type(x) is REAL.Tensor``), never
  by name: a class can call itself ``torch.optim.sgd.SGD`` (:func:`lookalike` names it).
"""

from __future__ import annotations

import builtins
import copy
import sys
import warnings
from typing import Any, Callable, NamedTuple

import numpy as np
import torch


class Refs(NamedTuple):
    """The objects the facts are computed with (see the module docstring)."""

    # Python
    type: Callable
    isinstance: Callable
    id: Callable
    getattr: Callable
    class_module: Callable  #: a class's __module__, read past any metaclass of the student's
    class_qualname: Callable  #: a class's __qualname__, the same way
    modules: dict  #: sys.modules itself (the dict, not the name)
    deepcopy: Callable  #: only for case values of no known type (a notebook's own objects)
    catch_warnings: builtins.type
    simplefilter: Callable
    # torch classes, by identity
    Tensor: builtins.type
    Parameter: builtins.type
    Size: builtins.type
    dtype: builtins.type
    device: builtins.type
    Module: builtins.type
    SGD: builtins.type
    strided: Any
    # tensor facts: TensorBase's own descriptors and methods (an immutable type)
    layout: Callable
    shape: Callable
    t_dtype: Callable
    t_device: Callable
    requires_grad: Callable
    is_leaf: Callable
    grad_fn: Callable
    grad: Callable
    numel: Callable
    is_contiguous: Callable
    detach: Callable
    clone: Callable
    to: Callable
    resolve_conj: Callable
    resolve_neg: Callable
    requires_grad_: Callable
    untyped_storage: Callable
    storage_data_ptr: Callable
    to_numpy: Callable
    # torch modes
    no_function_modes: builtins.type  #: context manager: no __torch_function__ (modes or subclasses)
    no_dispatch_modes: builtins.type  #: context manager: no __torch_dispatch__ (modes or subclasses)
    function_mode_depth: Callable
    dispatch_mode_depth: Callable
    # NumPy
    ndarray: builtins.type
    np_array: Callable
    array_copy: Callable
    shares_memory: Callable
    numpy_scalars: frozenset  #: ids of NumPy's numeric scalar types (ids: a class's __eq__ can lie)
    scalar_item: Callable


def capture() -> Refs:
    """The objects as they are now (call it before any student code: see the module docstring)."""
    base = torch._C.TensorBase.__dict__
    shares = np.shares_memory
    return Refs(
        type=builtins.type,
        isinstance=builtins.isinstance,
        id=builtins.id,
        getattr=builtins.getattr,
        class_module=type.__dict__["__module__"].__get__,
        class_qualname=type.__dict__["__qualname__"].__get__,
        modules=sys.modules,
        deepcopy=copy.deepcopy,
        catch_warnings=warnings.catch_warnings,
        simplefilter=warnings.simplefilter,
        Tensor=torch.Tensor,
        Parameter=torch.nn.Parameter,
        Size=torch.Size,
        dtype=torch.dtype,
        device=torch.device,
        Module=torch.nn.Module,
        SGD=torch.optim.SGD,
        strided=torch.strided,
        layout=base["layout"].__get__,
        shape=base["shape"].__get__,
        t_dtype=base["dtype"].__get__,
        t_device=base["device"].__get__,
        requires_grad=base["requires_grad"].__get__,
        is_leaf=base["is_leaf"].__get__,
        grad_fn=base["grad_fn"].__get__,
        grad=base["grad"].__get__,
        numel=base["numel"],
        is_contiguous=base["is_contiguous"],
        detach=base["detach"],
        clone=base["clone"],
        to=base["to"],
        resolve_conj=base["resolve_conj"],
        resolve_neg=base["resolve_neg"],
        requires_grad_=base["requires_grad_"],
        untyped_storage=base["untyped_storage"],
        storage_data_ptr=torch._C.StorageBase.__dict__["data_ptr"],
        to_numpy=base["numpy"],
        no_function_modes=torch._C.DisableTorchFunction,
        no_dispatch_modes=torch._C._DisableTorchDispatch,
        function_mode_depth=torch._C._len_torch_function_stack,
        dispatch_mode_depth=torch._C._len_torch_dispatch_stack,
        ndarray=np.ndarray,
        np_array=np.array,
        array_copy=np.ndarray.copy,
        shares_memory=getattr(shares, "_implementation", shares),
        numpy_scalars=frozenset(id(t) for t in np.sctypeDict.values() if issubclass(t, (np.number, np.bool_))),
        scalar_item=np.generic.item,
    )


#: Taken at import (see the module docstring); a tuple, so no field can be replaced.
REAL: Refs = capture()


def _nothing() -> None:
    """Outside the grading engine there is nothing to settle."""


#: Called right after student code returns, before a checker uses anything: in the grading
#: engine's sandbox the tripwire's ``verify`` (``autograder.engine.integrity``), which stops
#: the sandbox when that code changed what the grader reads (a checker's helper, a builtin,
#: a class), so that a patch that would put itself back when first used is never used. A
#: checker's ``run`` takes it *before* it calls the student's code (``settle = pristine.SETTLE``)
#: and calls it right after; in a notebook it does nothing.
SETTLE: Callable[[], None] = _nothing


class modes_off:
    """``with modes_off():`` no torch function mode, dispatch mode or tensor subclass is consulted."""

    __slots__ = ("_guards",)

    def __enter__(self) -> "modes_off":
        self._guards = (REAL.no_function_modes(), REAL.no_dispatch_modes())
        for guard in self._guards:
            guard.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        for guard in reversed(self._guards):
            guard.__exit__(None, None, None)


def mode_depths() -> tuple[int, int]:
    """(torch function modes, torch dispatch modes) on their stacks now: (0, 0) when none is on."""
    return int(REAL.function_mode_depth()), int(REAL.dispatch_mode_depth())


def is_tensor(obj: Any) -> bool:
    """A plain tensor or a parameter, by identity of its class (no subclass, no look-alike)."""
    t = REAL.type(obj)
    return t is REAL.Tensor or t is REAL.Parameter


def storage_address(t: Any) -> int | None:
    """Where the storage under a plain tensor starts (None for anything else, or no data)."""
    if not is_tensor(t):
        return None
    with modes_off():
        if REAL.t_device(t).type == "meta":
            return None
        return int(REAL.storage_data_ptr(REAL.untyped_storage(t)))


def same_storage(a: Any, b: Any) -> bool:
    """Whether two plain tensors are views of one storage (a view shares it; a copy has its own)."""
    pa = storage_address(a)
    return pa is not None and pa == storage_address(b)


def shares_memory(t: Any, array: Any) -> bool:
    """Whether a plain CPU tensor with elements uses the memory of a NumPy array."""
    if not is_tensor(t) or REAL.type(array) is not REAL.ndarray:
        return False
    with modes_off():
        if REAL.t_device(t).type != "cpu" or REAL.numel(t) == 0:
            return False
        return bool(REAL.shares_memory(REAL.to_numpy(REAL.detach(t)), array))


def lookalike(obj: Any) -> bool:
    """Whether ``obj``'s class says it is some library's class (its ``__module__`` and
    ``__qualname__`` name one) that it is not: ``class SGD: ...`` with
    ``SGD.__module__ = 'torch.optim.sgd'``, or a subclass of Adam renamed the same way."""
    cls = REAL.type(obj)
    module, qualname = REAL.class_module(cls), REAL.class_qualname(cls)
    if REAL.type(module) is not str or REAL.type(qualname) is not str or module == "__main__":
        return False
    home: Any = REAL.modules.get(module)
    for part in qualname.split("."):
        home = REAL.getattr(home, part, None) if REAL.type(home) is _MODULE or REAL.type(home) is type else None
    return home is not None and home is not cls


_MODULE = type(sys)


def fresh_copy(value: Any, memo: dict | None = None) -> Any:
    """A case as the student's code gets it: every tensor and array copied, the rest as is.

    Copied with the real methods, modes off, so nothing the student's code left behind
    can make the copy share memory with the case or be of another type. What a case
    holds beyond data (a notebook's own objects) is deep-copied as Python does.
    """
    memo = {} if memo is None else memo
    key = REAL.id(value)
    if key in memo:
        return memo[key]
    t = REAL.type(value)
    if t is dict:
        out: Any = {k: fresh_copy(v, memo) for k, v in dict.items(value)}
    elif t is list:
        out = [fresh_copy(v, memo) for v in list.__iter__(value)]
    elif t is tuple:
        out = tuple(fresh_copy(v, memo) for v in tuple.__iter__(value))
    elif REAL.id(t) in _IMMUTABLE:
        return value
    elif t is REAL.Tensor or t is REAL.Parameter:
        out = _tensor_copy(value)
    elif t is REAL.ndarray:
        out = REAL.array_copy(value)
    else:
        with modes_off():
            out = REAL.deepcopy(value, memo)
    memo[key] = out
    return out


#: Values a case may hold that need no copy (ids: a class's ``__eq__`` can lie).
_IMMUTABLE = frozenset(
    id(t) for t in (int, float, bool, str, bytes, type(None), complex, torch.dtype, torch.device, torch.Size)
)


def _tensor_copy(t: Any) -> Any:
    with modes_off():
        if not REAL.is_leaf(t) or REAL.grad(t) is not None or REAL.layout(t) is not REAL.strided:
            return REAL.deepcopy(t)  # what deepcopy keeps besides the data (a grad), or its refusal
        data = REAL.clone(REAL.detach(t))
        grad = bool(REAL.requires_grad(t))
        if REAL.type(t) is REAL.Parameter:
            return REAL.Parameter(data, requires_grad=grad)
        return REAL.requires_grad_(data, True) if grad else data
