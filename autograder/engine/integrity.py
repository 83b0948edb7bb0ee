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
2. ``verify`` (made by :func:`sealed_functions` from :func:`_verify`) compares, before
   the grader uses anything after student code ran (a cell, each call of the student's
   function in ``collect``), the identity of every entry of the namespaces it and the
   checks rely on, and their number where names may not be added: its modules, its
   classes, the checkers (``REGISTRY`` and each exercise's attributes), ``builtins``,
   ``sys.modules``, the libraries' code (:func:`library_modules`: ``torch.equal``,
   ``allclose``, ``testing``, ``numpy.testing``, ``copy``, the optimizers...) and the
   library classes of :data:`WATCHED_CLASSES` (``torch.Tensor``'s and the storage
   classes' methods...). A change is never used: the sandbox reports it by name and
   exits. So a patch that would put itself back when first called is caught too.
3. :class:`Watcher` and :func:`check`, after every step, what a name does not show or
   needs a call to see: the contents of the grader's closures and the libraries'
   comparison functions' code, torch's function-mode and dispatch-mode stacks,
   ``copy``'s and ``copyreg``'s dispatch tables, IPython's input and AST transformers,
   events, exception handlers and shell methods, ``sys`` hooks, import hooks,
   ``gc.callbacks``, each checker's class, the tripwire's own records, compared with
   the baseline; any change is tampering.

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

#: Modules whose namespaces ``verify`` compares (name -> also every loaded submodule); of a
#: library, only its code (callables, modules, dicts): its data (a counter, a cache) may change.
WATCHED_MODULES = {
    "builtins": False,
    "torch": False,
    "torch.nn": False,
    "torch.nn.functional": False,
    "torch.testing": True,
    "torch.nn.modules.module": False,
    "torch._tensor": False,
    "torch.storage": False,
    "torch.optim": False,
    "torch.optim.sgd": False,
    "torch.optim.optimizer": False,
    "torch.overrides": False,
    "torch.utils._python_dispatch": False,
    "numpy": False,
    "numpy.testing": True,
    "copy": False,
    "copyreg": False,
    "warnings": False,
    "json": False,
    "hashlib": False,
    "math": False,
    "os": False,
    "gc": False,
    "signal": False,
    "threading": False,
    "_thread": False,
    "faulthandler": False,
    "safetensors.torch": False,
    "msgspec": False,
    "course": True,
    "autograder": True,
    "IPython.core.interactiveshell": False,
}

#: Classes whose attributes are compared (tensor comparisons, conversions, storage, optimizers).
WATCHED_CLASSES = (
    "torch.Tensor",
    "torch._C.TensorBase",
    "torch.nn.Parameter",
    "torch.nn.Module",
    "torch.UntypedStorage",
    "torch.TypedStorage",
    "torch.storage._StorageBase",
    "torch.optim.SGD",
    "torch.optim.Optimizer",
    "torch.overrides.TorchFunctionMode",
    "torch.utils._python_dispatch.TorchDispatchMode",
    "warnings.catch_warnings",
    "numpy.ndarray",
)

#: What no object may be turned into by ``__class__`` assignment (it would pass for the real thing).
CLAIMED_CLASSES = (
    "torch.Tensor",
    "torch.nn.Parameter",
    "torch.optim.SGD",
    "torch.optim.Optimizer",
    "torch.UntypedStorage",
)

#: The libraries' comparison functions (student code and the checks' own helpers use them).
COMPARISONS = ("equal", "allclose", "isclose", "assert_close", "assert_allclose", "array_equal")

#: Shell methods a student could replace on the instance.
SHELL_METHODS = (
    "run_cell",
    "run_cell_async",
    "run_code",
    "run_ast_nodes",
    "transform_cell",
    "showtraceback",
    "_showtraceback",
    "showsyntaxerror",
    "ex",
    "ev",
    "excepthook",
    "get_ipython",
    "safe_execfile",
)

#: Libraries whose namespaces the grader itself reads after student code ran (``verify``).
READ_MODULES = (
    "torch",
    "torch.nn",
    "numpy",
    "os",
    "gc",
    "signal",
    "threading",
    "_thread",
    "faulthandler",
    "warnings",
    "msgspec",
    "safetensors.torch",
    "struct",
    "time",
)

#: Names of the grader's modules that change while a sandbox runs (the current output capture).
CHANGING = {
    "autograder.engine.sandbox": ("CAPTURE", "SEALED"),
    "course.checking.pristine": ("SETTLE",),  # set to ``verify`` after the snapshot; ``verify`` checks it
    "builtins": ("exit", "quit", "get_ipython"),  # IPython takes them out and puts them back per cell
    "warnings": ("showwarning", "_showwarnmsg_impl", "filters"),
}  # warnings.catch_warnings swaps them
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


def hook_data(baseline: "Baseline | None" = None) -> HookData:
    """The hook's reports: the grader's functions, and those of the Watcher's ``baseline`` (the
    libraries' comparisons, its own probes), by the ids they have for good (all of them live
    as long as the sandbox)."""
    functions = {id(fn): _report(f"{fn.__module__}.{fn.__qualname__} (its code or defaults)") for fn in own_functions()}
    if baseline is not None:
        functions.update(
            {id(fn): _report(f"{label} (its code or defaults)") for label, fn, _facts in baseline.functions}
        )
        functions.update(
            {
                id(probe): _report(f"the tripwire's probe of {label} (its code or defaults)")
                for label, probe, _expected in baseline.calls
                if isinstance(probe, types.FunctionType)
            }
        )
    functions.update({id(m): _report(f"the module {m.__name__} (its class)") for m in own_modules()})
    classes = {id(c): _report(f"the class of an object of {c.__module__}.{c.__qualname__}") for c in own_classes()}
    claimed = {
        id(c): _report(f"an object turned into {name} (__class__ assigned)")
        for name in CLAIMED_CLASSES
        for c in [_resolve(name)]
        if c is not None
    }
    return HookData(functions, classes, claimed, _report("another audit hook added"))


def audit_hook(
    event,
    args,
    functions=None,
    classes=None,
    claimed=None,
    added_hook=None,
    fd=-1,
    write=None,
    leave=None,
    type_of=None,
    id_of=None,
):
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
    out += [(name, vars(sys.modules[name]), False, False) for name in library_modules()]
    for name in WATCHED_CLASSES:
        cls = _resolve(name)
        if isinstance(cls, type):
            copyreg._slotnames(cls)  # type: ignore[attr-defined]  # the cache copy and pickle fill on first use
            out.append((name, cls.__dict__, True, True))
    return out


def library_modules() -> list[str]:
    """The libraries' modules whose code the grader or the student's checks rely on, loaded now:
    :data:`READ_MODULES` and the libraries of :data:`WATCHED_MODULES` (with their submodules
    where it says so)."""
    wanted = [(m, sub) for m, sub in WATCHED_MODULES.items() if not _own(m) and m != "builtins"]  # those: all
    wanted += [(m, False) for m in READ_MODULES]
    return sorted(
        name
        for name, module in list(sys.modules.items())
        if isinstance(module, types.ModuleType)
        and any(name == m or (sub and name.startswith(m + ".")) for m, sub in wanted)
    )


def _submodule_names(module: types.ModuleType) -> tuple[str, ...]:
    """Names of a package's submodules: importing one later adds it to the package (not a change)."""
    import pkgutil

    path = getattr(module, "__path__", None)
    return tuple(info.name for info in pkgutil.iter_modules(path)) if path else ()


def snapshot() -> tuple:
    """The namespaces of :func:`_mappings` as they are now, for :func:`_verify`: ((mapping,
    ((key, value, report), ...), number of names or -1, report of a name added, names not counted), ...)."""
    own_names = {m.__name__ for m in own_modules()}
    out = []
    for label, mapping, count, every in _mappings():
        changing = CHANGING.get(label, ())
        keys = [
            k
            for k, v in list(mapping.items())
            if isinstance(k, str)
            and k not in changing
            and k not in LAZY_NAMES
            and (every or callable(v) or isinstance(v, (types.ModuleType, dict)))
        ]
        if label == "sys.modules":
            keys = [k for k in keys if k in own_names or k in WATCHED_MODULES]
        items = tuple(
            (k, mapping[k], _report(f"sys.modules[{k}]" if label == "sys.modules" else f"{label}.{k}")) for k in keys
        )
        # names that come and go on their own (a submodule imported later is added to its package)
        uncounted = LAZY_NAMES + changing + (_submodule_names(sys.modules[label]) if label in own_names else ())
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
    hook = types.FunctionType(
        audit_hook.__code__,
        {"__builtins__": {}},
        "audit_hook",
        (data.functions, data.classes, data.claimed, data.added_hook, fd, os.write, os._exit, type, id),
    )
    for fn in (verify, hook):
        fn.__module__, fn.__qualname__ = __name__, fn.__name__  # what it is, for anyone who looks
        data.functions[id(fn)] = _report(f"the tripwire's own {fn.__name__} (its code or defaults)")
    return verify, hook


# --- 3. the Watcher ------------------------------------------------------------------------------


class Baseline(NamedTuple):
    """The Watcher's probes, frozen (tuples): what :func:`check` compares after every step."""

    slots: tuple  #: (label, mapping, key, value)
    functions: tuple  #: (label, fn, what its closure holds); their code and defaults: the audit hook's
    calls: tuple  #: (label, probe, expected); the probes' code and defaults: the audit hook's


class Watcher:
    """Builds the baseline in the zygote; ``shell`` is the sandbox's InteractiveShell (or None)."""

    def __init__(self, shell=None):
        self.shell = shell
        self.slots: list[tuple[str, Any, str, object]] = []
        self.functions: list[tuple[str, types.FunctionType, tuple]] = []
        self.calls: list[tuple[str, Callable[[], object], object]] = []
        self.baseline = Baseline((), (), ())

    def check(self) -> list[str]:
        return check(self.baseline)

    # -- baseline ----------------------------------------------------------------------
    def take_baseline(self, fresh: bool = False) -> Baseline:
        """What ``verify`` compares (every namespace of the grader and of the libraries it and
        the checks rely on, by identity and by count) is not repeated here: the Watcher keeps
        what a name does not show (the contents of closures, the code of the libraries'
        comparisons), what needs a call to see (hooks, torch's mode stacks, copy's tables, the
        shell, each checker's class) and its own records."""
        self.slots, self.functions, self.calls = [], [], []
        self._functions()
        self._checkers()
        self._hooks()
        self._torch_modes()
        self._tables()
        if self.shell is not None:
            self._shell()
        records = self._own_records()  # in the frozen baseline only: the lists it looks at stay as they are
        calls = tuple(self.calls) + (("the tripwire's own records", records, records()),)
        self.baseline = Baseline(tuple(self.slots), tuple(self.functions), calls)
        return self.baseline

    def _functions(self) -> None:
        """The grader's functions with closures (the audit hook sees new code or defaults, not a
        closure's contents) and the libraries' comparisons (their code, defaults and closures)."""
        for fn in own_functions():
            if fn.__closure__:
                self._function(f"{fn.__module__}.{fn.__qualname__}", fn)
        for name in library_modules():
            ns = vars(sys.modules[name])
            for key in COMPARISONS:
                if key in ns:
                    self._function(f"{name}.{key}", ns[key])

    def _checkers(self) -> None:
        from course.checking.exercise import REGISTRY

        for ex_id, ex in list(REGISTRY.items()):
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
        self._call(
            "torch's __torch_function__ state",
            lambda: (torch._C._is_torch_function_enabled(), torch._C._is_torch_function_mode_enabled()),
        )
        self._call(
            "torch's dispatch keys (included or excluded)",
            lambda: (
                repr(torch._C._dispatch_tls_local_include_set()),
                repr(torch._C._dispatch_tls_local_exclude_set()),
            ),
        )

    def _tables(self) -> None:
        """Tables that decide how objects are copied and pickled (a home-made copier can lie)."""
        for label, table in (
            ("copy._deepcopy_dispatch", getattr(copy, "_deepcopy_dispatch", {})),
            ("copy._copy_dispatch", getattr(copy, "_copy_dispatch", {})),
            ("copyreg.dispatch_table", copyreg.dispatch_table),
        ):
            self._call(label, lambda table=table: tuple(sorted((id(k), id(v)) for k, v in list(table.items()))))

    def _own_records(self) -> Callable[[], bool]:
        """The Watcher instance as the zygote left it (True): its class, its attributes, its lists' contents."""
        lists = (self.slots, self.functions, self.calls)
        held = tuple(tuple(lst) for lst in lists)
        attributes = {k: v for k, v in vars(self).items() if k != "baseline"}
        cls = type(self)  # taken now, held as a default like the rest (the audit hook guards defaults)

        def probe(w=self, cls=cls, lists=lists, held=held, attributes=attributes) -> bool:
            now = {k: v for k, v in vars(w).items() if k != "baseline"}
            return (
                type(w) is cls
                and now.keys() == attributes.keys()
                and all(now[k] is v for k, v in attributes.items())
                and all(_same(tuple(lst), items) for lst, items in zip(lists, held, strict=True))
            )

        return probe

    def _call(self, label: str, probe) -> None:
        self.calls.append((label, probe, probe()))

    def _function(self, label: str, value) -> None:
        fn = getattr(value, "__func__", value)
        if isinstance(value, property):
            fn = value.fget
        if isinstance(fn, types.FunctionType):
            self.functions.append((label, fn, _facts(fn)))

    def _namespace(self, prefix: str, ns) -> None:
        """Every entry of ``ns`` by identity, and the code of its functions."""
        for key, value in list(ns.items()):
            if isinstance(key, str) and key not in LAZY_NAMES:
                self.slots.append((f"{prefix}.{key}", ns, key, value))
                self._function(f"{prefix}.{key}", value)

    def _shell(self) -> None:
        sh = self.shell
        watched = sorted(
            {k for k, v in sh.__dict__.items() if callable(v) and not isinstance(v, type)} | set(SHELL_METHODS)
        )
        self._call("shell.methods", lambda: _ids(sh.__dict__.get(k) for k in watched))
        self._call("shell.class", lambda: (id(type(sh)),) + _ids(vars(type(sh)).values()))
        for cls in type(sh).__mro__:
            if cls is not object:
                self._namespace(f"shell.{cls.__name__}", cls.__dict__)
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
        if not _same(_facts(fn), facts):
            changed.append(label + " (what its closure holds)")
    for label, probe, expected in baseline.calls:
        try:
            if probe() != expected:
                changed.append(label)
        except Exception:
            changed.append(label)
    return changed[:20]


def _facts(fn: types.FunctionType) -> tuple:
    """What a function's closure holds (the objects themselves: compared by identity, they ask
    nothing of a student's object). Its code and defaults are the audit hook's: a change is
    reported the moment it is made (``hook_data`` knows every function of the baseline)."""
    facts: tuple = ()
    for cell in fn.__closure__ or ():
        try:
            facts += (cell.cell_contents,)
        except ValueError:  # an empty cell
            facts += (_MISSING,)
    return facts


def _same(a: tuple, b: tuple) -> bool:
    """Two tuples of the same objects (``==`` would ask the objects themselves)."""
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))
