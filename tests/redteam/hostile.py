"""The red team on the real assignments (issue 19): attacks on 01_tensors and 05_optimizers.

Each attack is the answer cell of one exercise of a notebook that is otherwise the
solution: of 01_tensors or 05_optimizers, or, for the variants that do not depend on the
notebook (:data:`ON_FIXTURE`), of the engine's three-exercise fixture, which grades in a
fraction of the time. Four classes:

- ``facts``: a wrong answer plus a trick that would make a fact computed next to the
  student's code lie (storage identity, memory sharing, an input changed in place, the
  optimizer's type): redirected torch, NumPy or ``copy`` internals, torch modes, names;
- ``blame``: the honest answer plus something that acts later (a thread, a timer, a
  signal handler, a forked process, a finalizer), so that a crash would land in a later
  cell;
- ``tripwire``: the honest answer plus a rewrite of what watches the sandbox (the
  tripwire's own code and records, the checkers' classes and functions, the tables and
  stacks the grader relies on);
- ``channel``: records forged on the sandbox's channel in front of the honest answer
  (``attacks.CHANNEL``: the issue's examples on the real notebooks, every variant on
  the fixture).

``expect`` is what the attacked exercise must get (``a|b``: either): ``flagged`` (zero,
status flagged, ``phrase`` in its flags), ``crashed`` (zero, the cell left out, ``phrase``
in its flags) or ``failed`` (zero, the checker's own message holds ``phrase``: the trick changed
nothing the grader reads and what is left is a wrong answer). Every other exercise of
the notebook keeps its marks, and every other student's row is the row they get alone.

Several variants per class are written differently (direct, ``setattr``/``importlib``,
code built at run time and ``exec``-ed, inside the student's function at call time), so
that no defence that reads the source for patterns can pass.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from attacks import CHANNEL, _exec

#: The engine's own fixture notebook (three tiny exercises): where the variants that do not
#: depend on the notebook run, in seconds, next to the real notebooks' minutes.
FIXTURE = "engine_fixture"


@dataclass(frozen=True)
class Hostile:
    cls: str  #: facts | blame | tripwire
    name: str
    notebook: str  #: 01_tensors | 05_optimizers
    exercise: str  #: the attacked exercise ("nb01.ex6")
    source: str  #: its answer cell; "{honest}" stands for the solution's answer
    expect: str  #: flagged | crashed | failed
    phrase: str  #: what its flags (or, for failed, its message) must hold
    what: str = ""
    build: Callable[[str], str] | None = None  #: makes the cell from the honest answer instead of ``source``

    def cell(self, honest: str, later: str = "") -> str:
        """The answer cell: ``{honest}`` is the exercise's honest answer, ``{later}`` (quoted) a name
        that only a later answer of the notebook defines."""
        if self.build is not None:
            return self.build(honest)
        return self.source.replace("{honest}", honest).replace("{later}", repr(later))

    @property
    def id(self) -> str:
        return f"{self.notebook}/{self.cls}/{self.name}"


# --- facts: a wrong answer that a redirected fact would pass ----------------------------------------

_MODE = "from torch.overrides import TorchFunctionMode\n"
_DISPATCH = "from torch.utils._python_dispatch import TorchDispatchMode\n"

FACTS = [
    Hostile(
        "facts",
        "data_ptr_patched",
        "01_tensors",
        "nb01.ex6",
        "import torch\ntorch.UntypedStorage.data_ptr = lambda self: 4096\n"
        "def flatten(x):\n    return x.reshape(-1).clone()\n",
        "flagged",
        "UntypedStorage",
        "a copy, and every storage claims the same address",
    ),
    Hostile(
        "facts",
        "storage_mode",
        "01_tensors",
        "nb01.ex6",
        "import torch\n" + _MODE + "_one = torch.zeros(1).untyped_storage()\n"
        "class _Same(TorchFunctionMode):\n"
        "    def __torch_function__(self, func, types, args=(), kwargs=None):\n"
        "        if getattr(func, '__name__', '') == 'untyped_storage':\n            return _one\n"
        "        return func(*args, **(kwargs or {}))\n"
        "_Same().__enter__()\n"
        "def flatten(x):\n    return x.reshape(-1).clone()\n",
        "flagged",
        "mode",
        "a copy, under a function mode (left on) that answers untyped_storage with one storage",
    ),
    Hostile(
        "facts",
        "storage_liar_at_call",
        "01_tensors",
        "nb01.ex6",
        "import torch\n_real = torch.UntypedStorage.data_ptr\n_calls = []\n"
        "def _liar(self):\n    _calls.append(1)\n    if len(_calls) % 2 == 0:\n"
        "        torch.UntypedStorage.data_ptr = _real\n    return 4096\n"
        "def flatten(x):\n    setattr(torch.UntypedStorage, 'data_ptr', _liar)\n    return x.reshape(-1).clone()\n",
        "flagged",
        "UntypedStorage",
        "a copy; at each call the function plants a data_ptr that lies twice and then puts the real one back",
    ),
    Hostile(
        "facts",
        "storage_mode_exec",
        "01_tensors",
        "nb01.ex6",
        _exec(
            "import torch\n" + _MODE + "class _Same(TorchFunctionMode):\n"
            "    def __torch_function__(self, func, types, args=(), kwargs=None):\n"
            "        out = func(*args, **(kwargs or {}))\n"
            "        if getattr(func, '__name__', '') == 'data_ptr':\n            return 4096\n"
            "        return out\n"
            "def flatten(x):\n    _Same().__enter__()\n    return x.reshape(-1).clone()\n"
        ),
        "flagged",
        "mode",
        "a copy; the function itself enters (and leaves on) a mode answering data_ptr",
    ),
    Hostile(
        "facts",
        "numpy_mode",
        "01_tensors",
        "nb01.ex7",
        "import torch\n" + _MODE + "class _Shares(TorchFunctionMode):\n"
        "    def __torch_function__(self, func, types, args=(), kwargs=None):\n"
        "        out = func(*args, **(kwargs or {}))\n"
        "        name = getattr(func, '__name__', '')\n"
        "        source = getattr(args[0], '_source', None) if args else None\n"
        "        if source is not None and name == 'numpy':\n            return source\n"
        "        if source is not None and name == 'detach':\n            out._source = source\n"
        "        return out\n"
        "_Shares().__enter__()\n"
        "def share_numpy(a):\n    t = torch.tensor(a)\n    t._source = a\n    return t\n"
        "def copy_numpy(a):\n    return torch.tensor(a)\n",
        "flagged",
        "mode",
        "share_numpy copies; a mode makes .numpy() of that copy return the caller's array",
    ),
    Hostile(
        "facts",
        "shares_memory_liar",
        "01_tensors",
        "nb01.ex7",
        "import importlib, torch\n_np = importlib.import_module('numpy')\n_real = _np.shares_memory\n"
        "def _liar(a, b, *k):\n    _np.shares_memory = _real\n    return True\n"
        "def share_numpy(a):\n    _np.shares_memory = _liar\n    return torch.tensor(a)\n"
        "def copy_numpy(a):\n    return torch.tensor(a)\n",
        "flagged",
        "numpy.shares_memory",
        "share_numpy copies and plants a numpy.shares_memory that lies once, then puts itself back",
    ),
    Hostile(
        "facts",
        "detach_mode",
        "01_tensors",
        "nb01.ex4",
        "import torch\n" + _MODE + "class _Clean(TorchFunctionMode):\n"
        "    def __torch_function__(self, func, types, args=(), kwargs=None):\n"
        "        clean = getattr(args[0], '_clean', None) if args else None\n"
        "        if clean is not None and getattr(func, '__name__', '') == 'detach':\n            return clean\n"
        "        return func(*args, **(kwargs or {}))\n"
        "_Clean().__enter__()\n"
        "def squared_errors(pred, target):\n"
        "    pred._clean, target._clean = pred.clone(), target.clone()\n"
        "    out = (pred.squeeze(1) - target) ** 2\n    pred.zero_()\n    target.zero_()\n    return out\n",
        "flagged",
        "mode",
        "destroys its inputs; a mode answers detach with a saved clean copy",
    ),
    Hostile(
        "facts",
        "detach_dispatch_mode",
        "01_tensors",
        "nb01.ex4",
        "import torch\n" + _DISPATCH + "class _Clean(TorchDispatchMode):\n"
        "    def __torch_dispatch__(self, func, types, args=(), kwargs=None):\n"
        "        clean = getattr(args[0], '_clean', None) if args else None\n"
        "        if clean is not None and func is torch.ops.aten.detach.default:\n            return clean\n"
        "        return func(*args, **(kwargs or {}))\n"
        "_Clean().__enter__()\n"
        "def squared_errors(pred, target):\n"
        "    pred._clean, target._clean = pred.clone(), target.clone()\n"
        "    out = (pred.squeeze(1) - target) ** 2\n    pred.mul_(0)\n    target.mul_(0)\n    return out\n",
        "flagged",
        "mode",
        "the same with a dispatch mode (aten.detach)",
    ),
    Hostile(
        "facts",
        "deepcopy_dispatch",
        "01_tensors",
        "nb01.ex4",
        "import copy\n"
        "class _Shown(dict):\n    def get(self, key, default=None):\n        return self.clean.get(key, default)\n"
        "def _copy_dict(x, memo, deepcopy=copy.deepcopy):\n"
        "    y = _Shown({k: deepcopy(v, memo) for k, v in x.items()})\n"
        "    y.clean = {k: v.clone() if hasattr(v, 'clone') else v for k, v in y.items()}\n    return y\n"
        "copy._deepcopy_dispatch[dict] = _copy_dict\n"
        "def squared_errors(pred, target):\n"
        "    out = (pred.squeeze(1) - target) ** 2\n    pred.zero_()\n    return out\n",
        "flagged",
        "copy._deepcopy_dispatch",
        "destroys its input; a home-made dict copier hands the check a clean copy",
    ),
    Hostile(
        "facts",
        "sgd_by_name",
        "05_optimizers",
        "nb05.ex2",
        "import torch\nclass SGD:\n"
        "    def __init__(self, params, lr, momentum, weight_decay):\n"
        "        self.param_groups = [{'params': list(params), 'lr': lr, 'momentum': momentum,\n"
        "                              'weight_decay': weight_decay}]\n"
        "    def step(self):\n        pass\n"
        "SGD.__module__ = 'torch.optim.sgd'\n"
        "def setup_training(model, device, lr, weight_decay):\n    model = model.to(device)\n"
        "    return model, SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)\n",
        "flagged",
        "look-alike",
        "a class of its own named torch.optim.sgd.SGD, hand-made param_groups",
    ),
    Hostile(
        "facts",
        "adam_renamed",
        "05_optimizers",
        "nb05.ex2",
        "import torch\nclass SGD(torch.optim.Adam):\n    pass\nSGD.__module__ = 'torch.optim.sgd'\n"
        "def setup_training(model, device, lr, weight_decay):\n    model = model.to(device)\n"
        "    opt = SGD(model.parameters(), lr=lr, weight_decay=weight_decay)\n"
        "    opt.param_groups[0]['momentum'] = 0.9\n    return model, opt\n",
        "flagged",
        "look-alike",
        "Adam under SGD's name, with a momentum key added",
    ),
    Hostile(
        "facts",
        "adam_installed_as_sgd",
        "05_optimizers",
        "nb05.ex2",
        _exec(
            "import torch, importlib\nsgd_mod = importlib.import_module('torch.optim.sgd')\n"
            "SGD = type('SGD', (torch.optim.Adam,), {'__module__': 'torch.optim.sgd'})\n"
            "setattr(torch.optim, 'SGD', SGD)\nsetattr(sgd_mod, 'SGD', SGD)\n"
        )
        + "def setup_training(model, device, lr, weight_decay):\n    model = model.to(device)\n"
        "    opt = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)\n"
        "    opt.param_groups[0]['momentum'] = 0.9\n    return model, opt\n",
        "flagged",
        "torch.optim",
        "an Adam subclass installed as torch.optim.SGD and torch.optim.sgd.SGD",
    ),
    Hostile(
        "facts",
        "adam_class_swapped",
        "05_optimizers",
        "nb05.ex2",
        "import torch\ndef setup_training(model, device, lr, weight_decay):\n    model = model.to(device)\n"
        "    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)\n"
        "    opt.param_groups[0]['momentum'] = 0.9\n    opt.__class__ = torch.optim.SGD\n    return model, opt\n",
        "flagged",
        "turned into torch.optim.SGD",
        "an Adam whose __class__ is set to SGD",
    ),
    Hostile(
        "facts",
        "sgd_step_replaced",
        "05_optimizers",
        "nb05.ex2",
        "import torch\ndef setup_training(model, device, lr, weight_decay):\n    model = model.to(device)\n"
        "    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)\n"
        "    adam = torch.optim.Adam(model.parameters(), lr=lr)\n    opt.step = adam.step\n    return model, opt\n",
        "failed",
        "does not step like torch.optim.SGD",
        "a real SGD whose step is an Adam's",
    ),
]


# --- blame: the honest answer, and something that acts in a later cell --------------------------------

_LATER = "{later}"  # the name a later answer of the notebook defines (Hostile.cell)
BLAME = [
    Hostile(
        "blame",
        "thread_exits_later",
        "01_tensors",
        "nb01.ex3",
        "import threading, os, time\n"
        "def _wait():\n    while " + _LATER + " not in get_ipython().user_ns:\n        time.sleep(0.01)\n"
        "    os._exit(0)\n"
        "threading.Thread(target=_wait, daemon=True).start()\n{honest}\n",
        "flagged",
        "thread",
        "a thread that calls os._exit once a later answer exists",
    ),
    Hostile(
        "blame",
        "setitimer",
        "01_tensors",
        "nb01.ex5",
        "import signal\nsignal.setitimer(signal.ITIMER_REAL, 0.4)\n{honest}\n",
        "flagged",
        "timer",
        "SIGALRM 0.4 s later",
    ),
    Hostile(
        "blame",
        "fork_parent_exits",
        "01_tensors",
        "nb01.ex1",
        "import os\nif os.fork() != 0:\n    os._exit(0)\n{honest}\n",
        "flagged|crashed",
        "forked|(died)",
        "the forked copy goes on with the notebook",
    ),
    Hostile(
        "blame",
        "alarm",
        "01_tensors",
        "nb01.ex8",
        "import importlib\nimportlib.import_module('signal').alarm(1)\n{honest}\n",
        "flagged",
        "timer",
        "signal.alarm",
    ),
    Hostile(
        "blame",
        "timer_thread",
        "01_tensors",
        "nb01.ex1",
        "import threading, os\nthreading.Timer(0.5, os._exit, (3,)).start()\n{honest}\n",
        "flagged",
        "thread",
        "threading.Timer",
    ),
    Hostile(
        "blame",
        "raw_thread_exec",
        "01_tensors",
        "nb01.ex3",
        _exec(
            "import _thread, os, signal, time\n"
            "def _later():\n    time.sleep(0.6)\n    os.kill(os.getpid(), signal.SIGKILL)\n"
            "_thread.start_new_thread(_later, ())\n"
        )
        + "{honest}\n",
        "flagged",
        "thread",
        "a _thread thread that kills the process later",
    ),
    Hostile(
        "blame",
        "profiling_timer",
        "01_tensors",
        "nb01.ex5",
        "import signal\nsignal.setitimer(signal.ITIMER_PROF, 0.3)\n{honest}\n",
        "flagged",
        "timer",
        "SIGPROF after 0.3 s of CPU time",
    ),
    Hostile(
        "blame",
        "handler_and_alarm",
        "01_tensors",
        "nb01.ex8",
        "import signal, os\nsignal.signal(signal.SIGALRM, lambda *a: os._exit(5))\nsignal.alarm(1)\n{honest}\n",
        "flagged",
        "SIGALRM",
        "a SIGALRM handler that exits, and an alarm",
    ),
    Hostile(
        "blame",
        "handler_only",
        "01_tensors",
        "nb01.ex1",
        "import signal, os\nsignal.signal(signal.SIGUSR1, lambda *a: os._exit(0))\n{honest}\n",
        "flagged",
        "SIGUSR1",
        "a handler for a signal another process could send",
    ),
    Hostile(
        "blame",
        "child_kills_parent",
        "01_tensors",
        "nb01.ex3",
        "import os, time, signal\nif os.fork() == 0:\n    time.sleep(0.6)\n"
        "    os.kill(os.getppid(), signal.SIGKILL)\n    os._exit(0)\n{honest}\n",
        "flagged",
        "process",
        "a forked child that kills its parent later",
    ),
    Hostile(
        "blame",
        "subprocess_kills_parent",
        "01_tensors",
        "nb01.ex5",
        "import subprocess, os\nsubprocess.Popen(['sh', '-c', 'sleep 0.6; kill -9 %d' % os.getpid()])\n{honest}\n",
        "flagged",
        "process",
        "a shell that kills the sandbox later",
    ),
    Hostile(
        "blame",
        "daemon_double_fork",
        "01_tensors",
        "nb01.ex8",
        "import os, time, signal\nparent = os.getpid()\n"
        "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(0.6)\n"
        "        os.kill(parent, signal.SIGKILL)\n    os._exit(0)\nos.wait()\n{honest}\n",
        "flagged",
        "process",
        "a double-forked daemon (its parent reaped) that kills the sandbox later",
    ),
    Hostile(
        "blame",
        "posix_spawn",
        "01_tensors",
        "nb01.ex1",
        "import os\nos.posix_spawn('/bin/sh', ['sh', '-c', 'sleep 0.6; kill -9 %d' % os.getpid()], dict(os.environ))\n"
        "{honest}\n",
        "flagged",
        "process",
        "os.posix_spawn of a shell that kills the sandbox later",
    ),
    Hostile(
        "blame",
        "faulthandler_timer",
        "01_tensors",
        "nb01.ex3",
        "import faulthandler, os\n_sink = open(os.devnull, 'w')\n"
        "faulthandler.dump_traceback_later(0.5, exit=True, file=_sink)\n{honest}\n",
        "flagged",
        "faulthandler",
        "faulthandler's watchdog exits the process later",
    ),
    Hostile(
        "blame",
        "finalizer",
        "01_tensors",
        "nb01.ex5",
        "import os\nclass _Bomb:\n    def __del__(self):\n        os._exit(7)\n"
        "_b = _Bomb()\n_b.me = _b\ndel _b\n{honest}\n",
        "crashed",
        "died",
        "cyclic garbage whose __del__ exits when the collector gets to it",
    ),
    Hostile(
        "blame",
        "gc_callback",
        "01_tensors",
        "nb01.ex2",
        "import gc, os\ngc.callbacks.append(lambda phase, info: os._exit(0) if "
        + _LATER
        + " in get_ipython().user_ns else None)\n{honest}\n",
        "flagged",
        "gc.callbacks",
        "a function the collector calls at any later moment, that exits later",
    ),
    Hostile(
        "blame",
        "thread_at_call",
        "05_optimizers",
        "nb05.ex3",
        "{honest}\nimport threading, os, time\n_sgd_step = sgd_step\n"
        "def sgd_step(params, lr, weight_decay=0.0):\n"
        "    threading.Thread(target=lambda: (time.sleep(0.5), os._exit(0)), daemon=True).start()\n"
        "    return _sgd_step(params, lr, weight_decay)\n",
        "flagged",
        "thread",
        "a thread started by the student's function while the checker calls it",
    ),
    Hostile(
        "blame",
        "setitimer_05",
        "05_optimizers",
        "nb05.ex6",
        "import signal\nsignal.setitimer(signal.ITIMER_REAL, 0.4)\n{honest}\n",
        "flagged",
        "timer",
        "SIGALRM 0.4 s later, on 05",
    ),
]


# --- tripwire: the honest answer, and a rewrite of what watches the sandbox ---------------------------

_NOTHING = "def _nothing(*a, **k):\n    return None\n"
_OURS = "(getattr(_o, '__module__', '') or '').split('.')[0] in ('course', 'autograder')"
#: Issue 19's: every function of course and autograder found through gc gets code that returns None.
_SWEEP = (
    "import gc, types\n" + _NOTHING + "for _o in gc.get_objects():\n"
    "    if isinstance(_o, types.FunctionType) and " + _OURS + ":\n"
    "        try:\n            _o.__code__ = _nothing.__code__\n"
    "        except (ValueError, TypeError):\n            pass\n"
)
#: The same, after taking every object back into the collector's lists.
_SWEEP_UNFROZEN = "import gc\ngc.unfreeze()\n" + _SWEEP
#: The same through the modules' and classes' namespaces instead of gc.
_SWEEP_MODULES = (
    "import sys, types\n" + _NOTHING + "for _m in list(sys.modules.values()):\n"
    "    for _o in list(getattr(_m, '__dict__', {}).values()):\n"
    "        for _f in [_o] + (list(vars(_o).values()) if isinstance(_o, type) else []):\n"
    "            _f = getattr(_f, '__func__', _f)\n"
    "            _o2 = _f\n"
    "            if isinstance(_f, types.FunctionType) and (_f.__module__ or '').split('.')[0] in "
    "('course', 'autograder'):\n"
    "                try:\n                    _f.__code__ = _nothing.__code__\n"
    "                except (ValueError, TypeError):\n                    pass\n"
)

TRIPWIRE = [
    Hostile(
        "tripwire",
        "gc_code_sweep",
        "01_tensors",
        "nb01.ex2",
        _SWEEP + "{honest}\n",
        "flagged",
        "tripwire's own",
        "every function of course and autograder found through gc (the tripwire's own included) returns None",
    ),
    Hostile(
        "tripwire",
        "gc_code_sweep_05",
        "05_optimizers",
        "nb05.ex3",
        _SWEEP + "{honest}\n",
        "flagged",
        "tripwire's own",
        "the same on 05",
    ),
    Hostile(
        "tripwire",
        "gc_sweep_unfrozen",
        "01_tensors",
        "nb01.ex6",
        _SWEEP_UNFROZEN + "{honest}\n",
        "flagged",
        "tampered",
        "the same after gc.unfreeze(): every function of the grader is reached",
    ),
    Hostile(
        "tripwire",
        "modules_code_sweep",
        "01_tensors",
        "nb01.ex7",
        _exec(_SWEEP_MODULES) + "{honest}\n",
        "flagged",
        "tampered",
        "the same through sys.modules and the classes' namespaces, exec-ed",
    ),
    Hostile(
        "tripwire",
        "gc_defaults_sweep",
        "01_tensors",
        "nb01.ex5",
        "import gc, types\ngc.unfreeze()\nfor _o in gc.get_objects():\n"
        "    if isinstance(_o, types.FunctionType) and _o.__defaults__ and " + _OURS + ":\n"
        "        _o.__defaults__ = tuple(None for _ in _o.__defaults__)\n{honest}\n",
        "flagged",
        "tampered",
        "every default of course and autograder replaced",
    ),
    Hostile(
        "tripwire",
        "watcher_attributes",
        "01_tensors",
        "nb01.ex1",
        "import importlib, torch\nsb = importlib.import_module('autograder.engine.sandbox')\n"
        "sb.WATCHER.check = lambda *a, **k: []\nsb.WATCHER.take_baseline = lambda *a, **k: None\n"
        "torch.equal = lambda a, b: True\n{honest}\n",
        "flagged",
        "tampered",
        "the watcher's check replaced on the instance, then torch.equal patched",
    ),
    Hostile(
        "tripwire",
        "watcher_lists_cleared",
        "01_tensors",
        "nb01.ex3",
        "import importlib, torch\nw = importlib.import_module('autograder.engine.sandbox').WATCHER\n"
        "for _l in (w.slots, w.functions, w.calls):\n    _l.clear()\n"
        "torch.allclose = lambda *a, **k: True\n{honest}\n",
        "flagged",
        "tampered",
        "the watcher's lists cleared, then torch.allclose patched",
    ),
    Hostile(
        "tripwire",
        "checker_class_swapped",
        "01_tensors",
        "nb01.ex5",
        "from course.checks import nb01\nfrom course.checking.exercise import Exercise\n"
        "class _Right(Exercise):\n    def collect(self, answers, cases):\n"
        "        right = lambda x: (x.reshape(-1, x.shape[-1]), x.reshape(x.shape[-1], -1))\n"
        "        return super().collect((right,), cases)\n"
        "nb01.ex5.__class__ = _Right\n"
        "def reshape_in_order(x):\n    return x, x\n",
        "flagged",
        "tampered",
        "a checker object's class swapped for one that collects a right answer instead",
    ),
    Hostile(
        "tripwire",
        "describe_liar",
        "01_tensors",
        "nb01.ex6",
        "import importlib\nvalues = importlib.import_module('course.checking.values')\n"
        "ex_mod = importlib.import_module('course.checking.exercise')\n_real = ex_mod.describe\n"
        "def _liar(obj, *a):\n    ex_mod.describe = _real\n"
        "    if isinstance(obj, tuple) and len(obj) == 2:\n        return (_real(obj[0]), True)\n"
        "    return _real(obj)\n"
        "def flatten(x):\n    ex_mod.describe = _liar\n    return x.reshape(-1).clone()\n",
        "flagged",
        "tampered",
        "a copy; the function plants a describe that says 'shares storage' once and puts itself back",
    ),
    Hostile(
        "tripwire",
        "shares_memory_patched",
        "01_tensors",
        "nb01.ex7",
        "import torch, numpy\nnumpy.shares_memory = lambda *a, **k: True\n"
        "def share_numpy(a):\n    return torch.tensor(a)\n"
        "def copy_numpy(a):\n    return torch.tensor(a)\n",
        "flagged",
        "numpy.shares_memory",
        "share_numpy copies; numpy.shares_memory patched in the answer cell",
    ),
    Hostile(
        "tripwire",
        "function_mode_left_on",
        "01_tensors",
        "nb01.ex8",
        _MODE + "class _Idle(TorchFunctionMode):\n"
        "    def __torch_function__(self, func, types, args=(), kwargs=None):\n"
        "        return func(*args, **(kwargs or {}))\n_Idle().__enter__()\n{honest}\n",
        "flagged",
        "mode",
        "a torch function mode entered and left on",
    ),
    Hostile(
        "tripwire",
        "dispatch_mode_left_on",
        "01_tensors",
        "nb01.ex2",
        _DISPATCH + "class _Idle(TorchDispatchMode):\n"
        "    def __torch_dispatch__(self, func, types, args=(), kwargs=None):\n"
        "        return func(*args, **(kwargs or {}))\n_Idle().__enter__()\n{honest}\n",
        "flagged",
        "mode",
        "a torch dispatch mode entered and left on",
    ),
    Hostile(
        "tripwire",
        "registry_run_swapped",
        FIXTURE,
        "nb90.ex2",
        "import importlib\nreg = importlib.import_module('course.checking.exercise').REGISTRY\n"
        "def _run(case, fn):\n    return case['x'] * case['x']\n"
        "reg['nb90.ex2']._run = _run\n"
        "def square(x):\n    return x + x\n",
        "flagged",
        "tampered",
        "the checker's run replaced by one that computes the right answer itself",
    ),
    Hostile(
        "tripwire",
        "storage_class_method",
        "05_optimizers",
        "nb05.ex1",
        "import torch\ntorch.storage._StorageBase.data_ptr = lambda self: 0\n{honest}\n",
        "flagged",
        "tampered",
        "a storage method replaced, on 05",
    ),
]

# --- channel: records forged on the sandbox's channel (``attacks.CHANNEL``), on the real notebooks ---------

#: The issue's three examples, in an exercise whose answer no other answer calls.
CHANNEL_REAL = [
    Hostile("channel", a.name, notebook, exercise, "", "flagged", "(channel)", a.what, a.cell)
    for notebook, exercise in (("01_tensors", "nb01.ex5"), ("05_optimizers", "nb05.ex3"))
    for a in CHANNEL
    if a.variant == "issue 19"
]

#: Every variant of the channel class on the fixture.
CHANNEL_FIXTURE = [
    Hostile("channel", a.name, FIXTURE, "nb90.ex2", "", "flagged", "(channel)", a.what, a.cell) for a in CHANNEL
]

#: Variants that do not depend on the notebook: they run on the fixture. The issue's examples,
#: and at least one variant of each class of our own, stay on the real notebooks.
ON_FIXTURE = {
    "alarm",
    "timer_thread",
    "raw_thread_exec",
    "profiling_timer",
    "handler_and_alarm",
    "handler_only",
    "subprocess_kills_parent",
    "daemon_double_fork",
    "posix_spawn",
    "faulthandler_timer",
    "finalizer",
    "gc_callback",
    "gc_sweep_unfrozen",
    "modules_code_sweep",
    "gc_defaults_sweep",
}

HOSTILE = [
    replace(h, notebook=FIXTURE, exercise="nb90.ex2") if h.name in ON_FIXTURE else h
    for h in FACTS + BLAME + TRIPWIRE + CHANNEL_REAL
] + CHANNEL_FIXTURE
