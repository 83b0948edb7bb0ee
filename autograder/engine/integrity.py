"""A tripwire: the identity of everything a student could patch to fool a check.

The zygote records the probes once (``Watcher.take_baseline``); the sandbox runs
``Watcher.check()`` after every cell and sends the names that changed. The worker
treats any change as tampering: the cell is excluded, its exercise flagged.

This is defence in depth, not the trust boundary: scores come only from the data the
judge decides on in a trusted process. It catches what the course has seen tried:
patched ``torch.equal``/``allclose``/``testing``, ``numpy.testing``, replaced
``sys.modules`` entries, checker functions or their ``__code__``, builtins, IPython
input/AST transformers, event hooks, a replaced ``run_cell``, custom exception
handlers, ``sys.settrace``/``setprofile``, import hooks.

Only what existed in the zygote is compared, by identity (``is``): a check costs a few
milliseconds. Names added later (a module attribute cached on first use) do not count.
"""

from __future__ import annotations

import builtins
import copyreg
import sys
import types
from typing import Any, Callable

#: Modules whose namespaces are watched (name -> also every loaded submodule).
WATCHED_MODULES = {
    "builtins": False, "torch": False, "torch.nn": False, "torch.nn.functional": False,
    "torch.testing": True, "torch.nn.modules.module": False, "torch._tensor": False,
    "numpy": False, "numpy.testing": True, "copy": False, "warnings": False, "json": False,
    "hashlib": False, "math": False, "os": False, "safetensors.torch": False,
    "course": True, "autograder.engine": True, "IPython.core.interactiveshell": False,
}

#: Classes whose attributes are watched (tensor comparisons and conversions).
WATCHED_CLASSES = ("torch.Tensor", "torch._C.TensorBase", "torch.nn.Parameter", "torch.nn.Module",
                   "numpy.ndarray")

#: Shell methods a student could replace on the instance.
SHELL_METHODS = ("run_cell", "run_cell_async", "run_code", "run_ast_nodes", "transform_cell", "showtraceback",
                 "_showtraceback", "showsyntaxerror", "ex", "ev", "excepthook", "get_ipython", "safe_execfile")

_MISSING = object()


def _resolve(dotted: str):
    module, _, attr = dotted.rpartition(".")
    obj = sys.modules.get(module)
    return getattr(obj, attr, None) if obj is not None else None


def _ids(seq) -> tuple:
    return tuple(id(x) for x in seq)


class Watcher:
    """Probes fixed at zygote time; ``shell`` is the sandbox's InteractiveShell (or None)."""

    def __init__(self, shell=None):
        self.shell = shell
        self.slots: list[tuple[str, Any, str, object]] = []  # (label, mapping, key, value)
        self.functions: list[tuple[str, types.FunctionType, tuple]] = []  # (label, fn, facts)
        self.calls: list[tuple[str, Callable[[], object], object]] = []  # (label, probe(), expected)

    # -- baseline ----------------------------------------------------------------------
    def take_baseline(self, fresh: bool = False) -> None:
        if fresh:
            self.slots, self.functions, self.calls = [], [], []
        names = sorted(name for name in list(sys.modules) if any(
            name == m or (sub and name.startswith(m + ".")) for m, sub in WATCHED_MODULES.items()))
        for name in names:
            module = sys.modules[name]
            self.slots.append((f"sys.modules[{name}]", sys.modules, name, module))
            own = name.startswith(("course", "autograder.engine"))
            self._namespace(name, vars(module), own=own)
            if own:  # a name added to a checker module shadows a builtin inside it
                self._keys(name, vars(module))
        for name in WATCHED_CLASSES:
            cls = _resolve(name)
            if cls is not None:
                # copy and pickle cache `__slotnames__` in the class on first use (copyreg):
                # fill that cache now, so an honest deepcopy or torch.save is no change.
                copyreg._slotnames(cls)  # type: ignore[attr-defined]  # what copy and pickle call
                self._namespace(name, cls.__dict__, own=False)
                self._keys(name, cls.__dict__)  # an added __eq__ shadows the base class's
        from course.checking.exercise import REGISTRY

        for ex_id, ex in list(REGISTRY.items()):
            self.slots.append((f"REGISTRY[{ex_id}]", REGISTRY, ex_id, ex))
            self._namespace(f"REGISTRY[{ex_id}]", vars(ex), own=True)
        threading = sys.modules.get("threading")
        self._call("sys.settrace", sys.gettrace)
        self._call("sys.setprofile", sys.getprofile)
        self._call("threading.settrace", lambda: getattr(threading, "_trace_hook", None))
        self._call("threading.setprofile", lambda: getattr(threading, "_profile_hook", None))
        self._call("sys.excepthook", lambda: id(sys.excepthook))
        self._call("sys.meta_path", lambda: _ids(sys.meta_path))
        self._call("sys.path_hooks", lambda: _ids(sys.path_hooks))
        self._call("builtins.__import__", lambda: id(builtins.__import__))
        self._call("sys.displayhook", lambda: id(sys.displayhook))
        for name in ("settrace", "setprofile", "gettrace", "getprofile", "exit", "excepthook", "addaudithook"):
            self._call(f"sys.{name} function", lambda name=name: id(getattr(sys, name, None)))
        if self.shell is not None:
            self._shell()

    def _keys(self, label: str, ns) -> None:
        self._call(f"{label} (names added)", lambda: frozenset(ns.keys()))

    def _call(self, label: str, probe) -> None:
        self.calls.append((label, probe, probe()))

    def _function(self, label: str, value) -> None:
        fn = getattr(value, "__func__", value)
        if isinstance(value, property):
            fn = value.fget
        if isinstance(fn, types.FunctionType):
            self.functions.append((label, fn, _facts(fn)))

    def _namespace(self, prefix: str, ns, own: bool) -> None:
        for key, value in list(ns.items()):
            if not isinstance(key, str) or not (callable(value) or isinstance(value, (types.ModuleType, dict))):
                continue  # data (a counter, a cache, sys.stdout) may change; code and namespaces may not
            if own and key.isupper() and not isinstance(value, dict):
                continue
            self.slots.append((f"{prefix}.{key}", ns, key, value))
            if own or key in ("equal", "allclose", "isclose", "assert_close", "assert_allclose", "array_equal"):
                self._function(f"{prefix}.{key}", value)
            if own and isinstance(value, type) and value.__module__.startswith(("course", "autograder.engine")):
                self._keys(f"{prefix}.{key}", value.__dict__)
                for k, v in list(vars(value).items()):
                    self.slots.append((f"{prefix}.{key}.{k}", value.__dict__, k, v))
                    self._function(f"{prefix}.{key}.{k}", v)

    def _shell(self) -> None:
        sh = self.shell
        watched = sorted({k for k, v in sh.__dict__.items() if callable(v) and not isinstance(v, type)} | set(SHELL_METHODS))
        self._call("shell.methods", lambda: _ids(sh.__dict__.get(k) for k in watched))
        self._call("shell.class", lambda: (id(type(sh)),) + _ids(vars(type(sh)).values()))
        for cls in type(sh).__mro__:
            if cls is not object:
                self._namespace(f"shell.{cls.__name__}", cls.__dict__, own=True)
        for attr in ("input_transformers_cleanup", "input_transformers_post", "ast_transformers"):
            self._call(f"shell.{attr}", lambda attr=attr: _ids(getattr(sh, attr)))
        itm = sh.input_transformer_manager
        for attr in ("cleanup_transforms", "line_transforms", "token_transformers"):
            self._call(f"shell.input_transformer_manager.{attr}", lambda attr=attr: _ids(getattr(itm, attr, ())))
        self._call("shell.events", lambda: tuple(sorted((k, _ids(v)) for k, v in sh.events.callbacks.items())))
        self._call("shell.custom_exceptions", lambda: repr(sh.custom_exceptions))
        self._call("shell.CustomTB", lambda: id(getattr(sh, "CustomTB", None)))
        self._call("shell.displayhook", lambda: (id(sh.displayhook), id(type(sh.displayhook))))
        self._call("shell.display_pub", lambda: (id(sh.display_pub), id(type(sh.display_pub))))
        self._call("shell.compile", lambda: (id(sh.compile), id(type(sh.compile))))

    # -- after every cell --------------------------------------------------------------
    def check(self) -> list[str]:
        """Names changed since the baseline (at most 20); empty when untouched."""
        changed = []
        for label, ns, key, value in self.slots:
            if ns.get(key, _MISSING) is not value:
                changed.append(label)
        for label, fn, facts in self.functions:
            if _facts(fn) != facts:
                changed.append(label + ".__code__")
        for label, probe, expected in self.calls:
            try:
                if probe() != expected:
                    changed.append(label)
            except Exception:
                changed.append(label)
        return changed[:20]


def _facts(fn: types.FunctionType) -> tuple:
    facts: tuple[int, ...] = (id(fn.__code__), id(fn.__defaults__), id(fn.__kwdefaults__), id(fn.__globals__))
    if fn.__closure__:
        cells = []
        for cell in fn.__closure__:
            try:
                cells.append(id(cell.cell_contents))
            except ValueError:
                cells.append(0)
        facts += tuple(cells)
    return facts
