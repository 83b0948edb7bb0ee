"""The tripwire: everything student code could change to fool the grader, seen by identity.

Three parts, all made in the zygote before any submission exists (``seal``) and used
by the sandbox through references it took before the first student cell ran, so no
cell can swap the tripwire's own code or data before it looks:

1. :func:`audit_hook` (``sys.addaudithook``: it cannot be removed) reports, the moment
   it happens, any change to the code, defaults or keyword defaults of a function of
   the grader (``course``, ``autograder``, ``safetensors.torch``: the tripwire's own
   functions too), any ``__class__`` assignment on an object of one of the grader's
   classes or that turns an object into a tensor, a parameter or an optimizer, and any
   other audit hook added. The report is a ``tampered`` record written straight into
   the record channel, then the sandbox exits: nothing the cell does afterwards can
   take it back.
2. ``verify`` (made by :func:`sealed_functions` from :func:`_verify`) compares, before the grader uses anything after student code ran (a
   cell, each call of the student's function in ``collect``), the identity of every
   entry of the namespaces it reads: its modules, its classes, the checkers
   (``REGISTRY`` and each exercise's attributes), ``builtins``, ``sys.modules`` and the
   library classes it calls. A change is never used: the sandbox reports it by name and
   exits. So a patch that would put itself back when first called is caught too.
3. :class:`Watcher` and :func:`check`, after every step: the identity of what the
   student's own code and the course rely on (``torch.equal``/``allclose``/``testing``,
   ``numpy.testing``, ``torch.Tensor``'s and the storage classes' methods, torch's
   function-mode and dispatch-mode stacks, ``copy``'s dispatch tables, IPython's input
   and AST transformers, events, exception handlers and shell methods, ``sys``
   hooks, import hooks, ``gc.callbacks``, each checker's class, the tripwire's own
   records), compared with the baseline; any change is tampering.

The worker kills the sandbox for any of them, leaves the cell out and replays without
it (``Fault.TAMPERED``, the names in the flag). This is defence in depth, not the trust
boundary: scores come from data the judge decides on in a trusted process.
"""

from __future__ import annotations

import builtins
import copy
import copyreg
import sys
import types
from typing import Any, Callable, NamedTuple

#: Modules whose namespaces the Watcher compares (name -> also every loaded submodule).
WATCHED_MODULES = {
    "builtins": False, "torch": False, "torch.nn": False, "torch.nn.functional": False,
    "torch.testing": True, "torch.nn.modules.module": False, "torch._tensor": False,
    "torch.storage": False, "torch.optim": False, "torch.optim.sgd": False, "torch.optim.optimizer": False,
    "torch.overrides": False, "torch.utils._python_dispatch": False,
    "numpy": False, "numpy.testing": True, "copy": False, "copyreg": False, "warnings": False, "json": False,
    "hashlib": False, "math": False, "os": False, "gc": False, "signal": False, "threading": False,
    "_thread": False, "faulthandler": False, "safetensors.torch": False, "msgspec": False,
    "course": True, "autograder": True, "IPython.core.interactiveshell": False,
}

#: Classes whose attributes are compared (tensor comparisons, conversions, storage, optimizers).
WATCHED_CLASSES = ("torch.Tensor", "torch._C.TensorBase", "torch.nn.Parameter", "torch.nn.Module",
                   "torch.UntypedStorage", "torch.TypedStorage", "torch.storage._StorageBase",
                   "torch.optim.SGD", "torch.optim.Optimizer", "torch.overrides.TorchFunctionMode",
                   "torch.utils._python_dispatch.TorchDispatchMode", "warnings.catch_warnings", "numpy.ndarray")

#: What no object may be turned into by ``__class__`` assignment (it would pass for the real thing).
CLAIMED_CLASSES = ("torch.Tensor", "torch.nn.Parameter", "torch.optim.SGD", "torch.optim.Optimizer",
                   "torch.UntypedStorage")

#: Shell methods a student could replace on the instance.
SHELL_METHODS = ("run_cell", "run_cell_async", "run_code", "run_ast_nodes", "transform_cell", "showtraceback",
                 "_showtraceback", "showsyntaxerror", "ex", "ev", "excepthook", "get_ipython", "safe_execfile")

#: Libraries whose namespaces the grader itself reads after student code ran (``verify``).
READ_MODULES = ("torch", "torch.nn", "numpy", "os", "gc", "signal", "threading", "_thread", "faulthandler",
                "warnings", "msgspec", "safetensors.torch", "struct", "time")

#: Names of the grader's modules that change while a sandbox runs (the current output capture).
CHANGING = {"autograder.engine.sandbox": ("CAPTURE", "SEALED"),
            "course.checking.pristine": ("SETTLE",),  # set to ``verify`` after the snapshot; ``verify`` checks it
            "builtins": ("exit", "quit", "get_ipython"),  # IPython takes them out and puts them back per cell
            "warnings": ("showwarning", "_showwarnmsg_impl", "filters")}  # warnings.catch_warnings swaps them
#: Names Python or a library adds to a namespace on its own (a warning's registry, a lazy cache).
LAZY_NAMES = ("__warningregistry__", "__slotnames__", "__annotations__", "__msgspec_cache__", "__abstractmethods__")

_MISSING = object()


def _own(name: str) -> bool:
    """A module of the grader: the course's checkers, the engine, what they are made of."""
    return name.split(".")[0] in ("course", "autograder")


def _resolve(dotted: str):
    module, _, attr = dotted.rpartition(".")
    obj = sys.modules.get(module)
    return getattr(obj, attr, None) if obj is not None else None


def _ids(seq) -> tuple:
    return tuple(id(x) for x in seq)


def own_modules() -> list[types.ModuleType]:
    return [m for name, m in sorted(sys.modules.items()) if _own(name) and isinstance(m, types.ModuleType)]


def own_classes() -> list[type]:
    """Every class defined in a module of the grader (what its records and checkers are made of)."""
    out: dict[int, type] = {}
    for module in own_modules():
        for value in list(vars(module).values()):
            if isinstance(value, type) and _own(getattr(value, "__module__", "") or "") and id(value) not in out:
                out[id(value)] = value
    return list(out.values())


def own_functions() -> list[types.FunctionType]:
    """Every function of the grader's modules and classes (and of ``safetensors.torch``, which
    writes the results), as found in their namespaces."""
    found: dict[int, types.FunctionType] = {}

    def take(value) -> None:
        fn = getattr(value, "__func__", value)
        if isinstance(value, property):
            fn = value.fget
        if isinstance(fn, types.FunctionType):
            found.setdefault(id(fn), fn)

    namespaces = [vars(m) for m in own_modules()] + [vars(c) for c in own_classes()]
    namespaces += [vars(m) for m in (sys.modules.get("safetensors.torch"),) if m is not None]
    for ns in namespaces:
        for value in list(ns.values()):
            take(value)
    from course.checking.exercise import REGISTRY

    for ex in REGISTRY.values():
        for value in list(vars(ex).values()):
            take(value)
    return list(found.values())


# --- 1. the audit hook --------------------------------------------------------------------------

def _report(what: str) -> bytes:
    """A ``tampered`` record, framed ahead of time (the hook and :func:`verify` encode nothing)."""
    from autograder.engine import protocol
    from autograder.engine.records import Tampered

    return protocol.frame(Tampered(what[:300]))


class HookData(NamedTuple):
    """What the audit hook reports, made in the zygote: the reports are framed records."""

    functions: dict  #: id(function or module of the grader) -> the report of an audited change to it
    classes: dict  #: id(class of the grader) -> the report of an object of it changing class
    claimed: dict  #: id(class) -> the report of an object turned into it
    added_hook: bytes  #: the report of another audit hook


def hook_data() -> HookData:
    functions = {id(fn): _report(f"{fn.__module__}.{fn.__qualname__} (its code or defaults)")
                 for fn in own_functions()}
    functions.update({id(m): _report(f"the module {m.__name__} (its class)") for m in own_modules()})
    classes = {id(c): _report(f"the class of an object of {c.__module__}.{c.__qualname__}")
               for c in own_classes()}
    claimed = {id(c): _report(f"an object turned into {name} (__class__ assigned)")
               for name in CLAIMED_CLASSES for c in [_resolve(name)] if c is not None}
    return HookData(functions, classes, claimed, _report("another audit hook added"))


def audit_hook(event, args, functions=None, classes=None, claimed=None, added_hook=None, fd=-1, write=None,
               leave=None, type_of=None, id_of=None):
    """Installed in the sandbox (``sys.addaudithook``): reports what the module docstring says, then exits.

    It uses only its defaults (set by :func:`sealed_functions` in the zygote) and their
    methods: a cell that rebinds a name, a builtin or a module attribute does not reach
    it, and changing its defaults or its code is itself reported.
    """
    if event == "object.__setattr__":
        frame = functions.get(id_of(args[0]))
        if frame is None and args[1] == "__class__":
            frame = classes.get(id_of(type_of(args[0])))
            if frame is None:
                frame = claimed.get(id_of(args[2]))
    elif event == "sys.addaudithook":
        frame = added_hook
    else:
        return
    if frame is not None:
        try:
            write(fd, frame)
        finally:
            leave(0)


# --- 2. verify before use ------------------------------------------------------------------------

def _verify(snapshot=(), missing=None, size_of=None, fd=-1, write=None, leave=None):
    """Nothing in ``snapshot`` changed; else its report is written to the channel and the sandbox
    exits (see :func:`sealed_functions`). It calls nothing but the mappings' methods and its defaults."""
    for mapping, items, size, added, uncounted in snapshot:
        for key, value, report in items:
            if mapping.get(key, missing) is not value:
                try:
                    write(fd, report)
                finally:
                    leave(0)
        if size >= 0:
            n = size_of(mapping)
            for name in uncounted:
                if name in mapping:
                    n -= 1
            if n != size:
                try:
                    write(fd, added)
                finally:
                    leave(0)


def _mappings() -> list[tuple[str, Any, bool, bool]]:
    """(label, mapping, count its names, all its names: else only its code) of every namespace
    the grader reads after student code ran. A library's data may change (a lock made anew
    after the fork, a counter); its code, and anything of the grader's, may not."""
    from course.checking.exercise import REGISTRY

    out: list[tuple[str, Any, bool, bool]] = [("builtins", vars(builtins), True, True)]
    out += [(m.__name__, vars(m), True, True) for m in own_modules()]
    out += [(f"{c.__module__}.{c.__qualname__}", c.__dict__, True, True) for c in own_classes()]
    out += [("REGISTRY", REGISTRY, False, True)]
    out += [(f"REGISTRY[{ex_id}]", vars(ex), True, True) for ex_id, ex in sorted(REGISTRY.items())]
    out += [("sys.modules", sys.modules, False, True)]
    for name in READ_MODULES:
        if name in sys.modules:
            out.append((name, vars(sys.modules[name]), False, False))
    for name in WATCHED_CLASSES:
        cls = _resolve(name)
        if isinstance(cls, type):
            copyreg._slotnames(cls)  # type: ignore[attr-defined]  # the cache copy and pickle fill on first use
            out.append((name, cls.__dict__, True, True))
    return out


def snapshot() -> tuple:
    """The namespaces of :func:`_mappings` as they are now, for :func:`_verify`: ((mapping,
    ((key, value, report), ...), number of names or -1, report of a name added, names not counted), ...)."""
    own_names = {m.__name__ for m in own_modules()}
    out = []
    for label, mapping, count, every in _mappings():
        changing = CHANGING.get(label, ())
        keys = [k for k, v in list(mapping.items()) if isinstance(k, str) and k not in changing and k not in LAZY_NAMES
                and (every or callable(v) or isinstance(v, (types.ModuleType, dict)))]
        if label == "sys.modules":
            keys = [k for k in keys if k in own_names or k in WATCHED_MODULES]
        items = tuple((k, mapping[k], _report(f"sys.modules[{k}]" if label == "sys.modules" else f"{label}.{k}"))
                      for k in keys)
        uncounted = LAZY_NAMES + changing  # names that come and go on their own
        size = len(mapping) - sum(1 for name in uncounted if name in mapping) if count else -1
        out.append((mapping, items, size, _report(f"{label} (a name was added)"), uncounted))
    return tuple(out)


def sealed_functions(fd: int, data: HookData, snap: tuple) -> tuple[Callable[[], None], Callable]:
    """In the zygote: ``verify`` (:func:`_verify` on ``snap``, and on ``pristine.SETTLE`` being
    ``verify``: the caller sets it) and the audit hook, both reporting on the sandbox's channel ``fd``. Each is a function of its own, made from the code object
    (which cannot be changed) with no globals and no builtins: only its defaults, a tuple.
    The sandbox installs the hook (``sys.addaudithook``) before its first student cell."""
    import os

    from course.checking import pristine

    defaults = (snap, _MISSING, len, fd, os.write, os._exit)
    verify = types.FunctionType(_verify.__code__, {"__builtins__": {}}, "verify", defaults)
    settle = ((vars(pristine), (("SETTLE", verify, _report("course.checking.pristine.SETTLE")),), -1, b"", ()),)
    verify.__defaults__ = (snap + settle,) + defaults[1:]  # it checks that checkers reach it
    hook = types.FunctionType(audit_hook.__code__, {"__builtins__": {}}, "audit_hook",
                              (data.functions, data.classes, data.claimed, data.added_hook, fd, os.write, os._exit,
                               type, id))
    for fn in (verify, hook):
        fn.__module__, fn.__qualname__ = __name__, fn.__name__  # what it is, for anyone who looks
        data.functions[id(fn)] = _report(f"the tripwire's own {fn.__name__} (its code or defaults)")
    return verify, hook


# --- 3. the Watcher ------------------------------------------------------------------------------

class Baseline(NamedTuple):
    """The Watcher's probes, frozen (tuples): what :func:`check` compares after every step."""

    slots: tuple  #: (label, mapping, key, value)
    functions: tuple  #: (label, fn, facts)
    calls: tuple  #: (label, probe, expected, the probe's own facts)


class Watcher:
    """Builds the baseline in the zygote; ``shell`` is the sandbox's InteractiveShell (or None)."""

    def __init__(self, shell=None):
        self.shell = shell
        self.slots: list[tuple[str, Any, str, object]] = []
        self.functions: list[tuple[str, types.FunctionType, tuple]] = []
        self.calls: list[tuple[str, Callable[[], object], object, tuple]] = []
        self.baseline = Baseline((), (), ())

    def check(self) -> list[str]:
        return check(self.baseline)

    # -- baseline ----------------------------------------------------------------------
    def take_baseline(self, fresh: bool = False) -> Baseline:
        if fresh or self.slots:
            self.slots, self.functions, self.calls = [], [], []
        names = sorted(name for name in list(sys.modules) if any(
            name == m or (sub and name.startswith(m + ".")) for m, sub in WATCHED_MODULES.items()))
        for name in names:
            module = sys.modules[name]
            if not isinstance(module, types.ModuleType):
                continue
            self.slots.append((f"sys.modules[{name}]", sys.modules, name, module))
            own = _own(name)
            self._namespace(name, vars(module), own=own, skip=CHANGING.get(name, ()))
            if own:  # a name added to a checker module shadows a builtin inside it
                self._keys(name, vars(module), package=name)
        for name in WATCHED_CLASSES:
            cls = _resolve(name)
            if cls is not None:
                # copy and pickle cache `__slotnames__` in the class on first use (copyreg):
                # fill that cache now, so an honest deepcopy or torch.save is no change.
                copyreg._slotnames(cls)  # type: ignore[attr-defined]  # what copy and pickle call
                self._namespace(name, cls.__dict__, own=False)
                self._keys(name, cls.__dict__)  # an added __eq__ shadows the base class's
        self._checkers()
        self._hooks()
        self._torch_modes()
        self._tables()
        if self.shell is not None:
            self._shell()
        records = self._own_records()  # in the frozen baseline only: the lists it looks at stay as they are
        calls = tuple(self.calls) + (("the tripwire's own records", records, records(), _facts(records)),)
        self.baseline = Baseline(tuple(self.slots), tuple(self.functions), calls)
        return self.baseline

    def _checkers(self) -> None:
        from course.checking.exercise import REGISTRY

        for ex_id, ex in list(REGISTRY.items()):
            self.slots.append((f"REGISTRY[{ex_id}]", REGISTRY, ex_id, ex))
            self._namespace(f"REGISTRY[{ex_id}]", vars(ex), own=True)
            self._keys(f"REGISTRY[{ex_id}]", vars(ex))  # an added `collect` shadows the class's
            self._call(f"REGISTRY[{ex_id}].__class__", lambda ex=ex: id(type(ex)))

    def _hooks(self) -> None:
        import gc
        import threading

        self._call("sys.settrace", sys.gettrace)
        self._call("sys.setprofile", sys.getprofile)
        self._call("threading.settrace", lambda: getattr(threading, "_trace_hook", None))
        self._call("threading.setprofile", lambda: getattr(threading, "_profile_hook", None))
        self._call("threading.excepthook", lambda: id(threading.excepthook))
        self._call("sys.excepthook", lambda: id(sys.excepthook))
        self._call("sys.unraisablehook", lambda: id(sys.unraisablehook))
        self._call("sys.breakpointhook", lambda: id(sys.breakpointhook))
        self._call("sys.meta_path", lambda: _ids(sys.meta_path))
        self._call("sys.path_hooks", lambda: _ids(sys.path_hooks))
        self._call("builtins.__import__", lambda: id(builtins.__import__))
        self._call("sys.displayhook", lambda: id(sys.displayhook))
        self._call("gc.callbacks", lambda: _ids(gc.callbacks))
        for name in ("settrace", "setprofile", "gettrace", "getprofile", "exit", "excepthook", "addaudithook"):
            self._call(f"sys.{name} function", lambda name=name: id(getattr(sys, name, None)))

    def _torch_modes(self) -> None:
        """Torch function modes and dispatch modes (a mode left on answers every torch call), and
        whether __torch_function__ and the Python dispatch keys are on as they were."""
        import torch

        from course.checking.pristine import REAL

        ctx = sys.modules.get("torch.utils._device")
        device_mode = getattr(ctx, "DeviceContext", None)  # torch.set_default_device's own mode

        def modes() -> tuple:
            fn = [type(torch._C._get_function_stack_at(i)) for i in range(REAL.function_mode_depth())]
            dispatch = [type(torch._C._get_dispatch_stack_at(i)) for i in range(REAL.dispatch_mode_depth())]
            return tuple(_ids(t for t in fn if t is not device_mode)), tuple(_ids(dispatch))

        self._call("torch's function or dispatch mode stack (a mode left on)", modes)
        self._call("torch's __torch_function__ state", lambda: (torch._C._is_torch_function_enabled(),
                                                                torch._C._is_torch_function_mode_enabled()))
        self._call("torch's dispatch keys (included or excluded)",
                   lambda: (repr(torch._C._dispatch_tls_local_include_set()),
                            repr(torch._C._dispatch_tls_local_exclude_set())))

    def _tables(self) -> None:
        """Tables that decide how objects are copied and pickled (a home-made copier can lie)."""
        for label, table in (("copy._deepcopy_dispatch", getattr(copy, "_deepcopy_dispatch", {})),
                             ("copy._copy_dispatch", getattr(copy, "_copy_dispatch", {})),
                             ("copyreg.dispatch_table", copyreg.dispatch_table)):
            self._call(label, lambda table=table: tuple(sorted((id(k), id(v)) for k, v in list(table.items()))))

    def _own_records(self) -> Callable[[], tuple]:
        """The Watcher instance as the zygote left it: its class, its attributes, its lists' contents."""
        state = {"slots": self.slots, "functions": self.functions, "calls": self.calls}

        def probe(w=self, state=state) -> tuple:
            return (id(type(w)), tuple(sorted((k, id(v)) for k, v in vars(w).items() if k != "baseline")),
                    tuple((k, len(v), _ids(x[1] for x in v)) for k, v in state.items()))

        return probe

    def _keys(self, label: str, ns, package: str | None = None) -> None:
        def names(ns=ns, package=package) -> frozenset:
            return frozenset(k for k, v in list(ns.items()) if k not in LAZY_NAMES and not (
                package and isinstance(v, types.ModuleType) and getattr(v, "__name__", "") == f"{package}.{k}"))

        self._call(f"{label} (names added)", names)

    def _call(self, label: str, probe) -> None:
        self.calls.append((label, probe, probe(), _facts(probe)))

    def _function(self, label: str, value) -> None:
        fn = getattr(value, "__func__", value)
        if isinstance(value, property):
            fn = value.fget
        if isinstance(fn, types.FunctionType):
            self.functions.append((label, fn, _facts(fn)))

    def _namespace(self, prefix: str, ns, own: bool, skip=()) -> None:
        for key, value in list(ns.items()):
            if not isinstance(key, str) or key in skip or key in LAZY_NAMES:
                continue
            if not own and not (callable(value) or isinstance(value, (types.ModuleType, dict))):
                continue  # a library's data (a counter, a cache, sys.stdout) may change; its code may not
            self.slots.append((f"{prefix}.{key}", ns, key, value))
            if own or key in ("equal", "allclose", "isclose", "assert_close", "assert_allclose", "array_equal"):
                self._function(f"{prefix}.{key}", value)
            if own and isinstance(value, type) and _own(getattr(value, "__module__", "") or ""):
                self._keys(f"{prefix}.{key}", value.__dict__)
                for k, v in list(vars(value).items()):
                    if k not in LAZY_NAMES:
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


# -- after every step ----------------------------------------------------------------------------

def check(baseline: Baseline) -> list[str]:
    """Names changed since ``baseline`` (at most 20); empty when untouched."""
    changed = []
    for label, ns, key, value in baseline.slots:
        if ns.get(key, _MISSING) is not value:
            changed.append(label)
    for label, fn, facts in baseline.functions:
        if _facts(fn) != facts:
            changed.append(label + ".__code__")
    for label, probe, expected, facts in baseline.calls:
        try:
            if _facts(probe) != facts or probe() != expected:
                changed.append(label)
        except Exception:
            changed.append(label)
    return changed[:20]


def _facts(fn) -> tuple:
    if not isinstance(fn, types.FunctionType):
        return (id(fn),)  # a builtin: nothing of it can change
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
