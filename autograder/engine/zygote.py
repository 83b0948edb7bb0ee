"""The zygote: an interpreter that has imported everything once and forks sandboxes.

A new kernel plus ``import torch`` costs seconds; a fork of this process costs
milliseconds. It is started with ``subprocess`` (Dask workers are daemonic and cannot
have ``multiprocessing`` children, dask/distributed#2142) and never runs student code
itself. Single-threaded (``OMP_NUM_THREADS=1``, ``torch.set_num_threads(1)`` before any
torch op), so forking after ``import torch`` cannot inherit a held lock.

Protocol on stdin/stdout, one JSON object per line:

    <- {"ready": true, "defences": {...}, ...}       imported; which sandbox defences work here
    -> {"job_dir": ..., "fifo": ..., "uid": ...}   fork a sandbox for this job
    <- {"pid": N}                                   it runs
    <- {"exit": code (-signal), "maxrss_kb": ..., "cpu_s": ...}   it ended; its leftovers are killed

It is also a child subreaper, so processes that a sandbox leaves behind become its
children and are killed after every run.
"""

from __future__ import annotations

import json
import os
import signal
import sys

_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def _load(extra_checks: list[str]) -> None:
    for var in _THREAD_VARS:
        os.environ[var] = "1"
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    import torch

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    import matplotlib
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import safetensors.torch  # noqa: F401
    import sklearn  # noqa: F401
    import psutil  # noqa: F401
    import tqdm  # noqa: F401

    matplotlib.use("module://matplotlib_inline.backend_inline")
    import matplotlib.pyplot  # noqa: F401

    import course
    import course.checking  # noqa: F401
    import course.checks
    import course.data  # noqa: F401
    import course.plots  # noqa: F401

    load_checks(extra_checks)
    _warm_up()


def _warm_up() -> None:
    """Take, once, the paths notebooks take, so that sandboxes never import anew.

    A sandbox may run as another user who cannot read the Python installation (it can
    live in a 0700 home directory), so a module first imported inside a sandbox fails
    there. Everything the course's notebooks import, and what torch imports lazily on
    first use (the first optimizer step pulls in torch._dynamo, ~800 modules), is
    imported here, in the zygote, before any fork.
    """
    import ast
    import importlib
    import io

    import torch

    x = torch.randn(8, 8, requires_grad=True)
    (torch.nn.functional.relu(x @ x.T).sum()).backward()
    model = torch.nn.Linear(4, 2)
    for make in (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), lambda p: torch.optim.Adam(p),
                 lambda p: torch.optim.RMSprop(p), lambda p: torch.optim.AdamW(p)):
        opt = make(model.parameters())
        schedule = torch.optim.lr_scheduler.StepLR(opt, step_size=1)
        model(torch.ones(3, 4)).sum().backward()
        opt.step()
        opt.zero_grad()
        schedule.step()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.ones(4, 4)), batch_size=2)
    for _ in loader:
        pass
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    torch.load(io.BytesIO(buffer.getvalue()))
    try:  # the first error on the meta device imports more of torch
        torch.ones(1) + torch.ones(1, device="meta")
    except RuntimeError:
        pass
    names = {"encodings.ascii", "encodings.latin_1", "encodings.utf_16", "encodings.utf_32", "encodings.idna",
             "cProfile", "pstats", "copy", "io", "tempfile", "csv", "zipfile", "gzip", "pickle",
             "sklearn.compose", "sklearn.preprocessing", "sklearn.model_selection", "sklearn.metrics",
             "tqdm.auto", "torch.utils.data", "torch.nn.init", "torch.autograd.functional"}
    from autograder.paths import SOLUTIONS

    for path in SOLUTIONS.glob("*.ipynb"):  # whatever the course's notebooks import
        try:
            cells = json.loads(path.read_text())["cells"]
        except (OSError, ValueError, KeyError):
            continue
        for cell in cells:
            if cell.get("cell_type") != "code":
                continue
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            try:
                tree = ast.parse("\n".join(l for l in src.splitlines() if not l.lstrip().startswith(("%", "!"))))
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.add(node.module)
    for name in sorted(names):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a warm-up, never a reason to fail
            pass


def load_checks(extra_checks=()) -> dict[str, str]:
    """Import every ``course.checks.nbNN`` module and the extra files; {module: error} of those that failed.

    One checker module being written with a syntax error must not stop the grading of
    the other notebooks; the driver refuses to grade an assignment whose own checkers failed.
    """
    import importlib
    import pkgutil

    import course.checks

    failed = {}
    for info in pkgutil.iter_modules(course.checks.__path__):
        if info.name.startswith("nb"):
            try:
                importlib.import_module(f"course.checks.{info.name}")
            except Exception as exc:
                failed[info.name] = f"{type(exc).__name__}: {exc}"
    for path in extra_checks:
        load_checks_file(path)
    return failed


def load_checks_file(path: str):
    """Import a checkers file as ``course.checks.<stem>`` (test-only exercises)."""
    import importlib.util

    import course.checks

    name = os.path.splitext(os.path.basename(path))[0]
    full = f"course.checks.{name}"
    if full in sys.modules:
        return sys.modules[full]
    spec = importlib.util.spec_from_file_location(full, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[full] = module
    spec.loader.exec_module(module)
    setattr(course.checks, name, module)
    return module


def _subreaper() -> None:
    import ctypes

    try:
        ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def _kill_leftovers(uid: int | None) -> None:
    """Kill every process the sandbox left behind, then reap them.

    As a subreaper the zygote inherits every orphan, so its children are all there is
    to find; as root it also kills everything the sandbox's own uid still runs.
    """
    import psutil

    me = psutil.Process()
    if not me.children(recursive=True):
        return
    if uid is not None and os.geteuid() == 0:
        pid = os.fork()
        if pid == 0:  # as the sandbox user, kill(-1) reaches exactly its processes
            try:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
    for _ in range(10):
        children = me.children(recursive=True)
        if not children:
            break
        for child in children:
            try:
                child.kill()
            except psutil.Error:
                pass
        _reap()
    _reap()


def _remove_leftover_files(uid: int | None) -> None:
    """Remove what the sandbox's own uid left in the shared scratch places.

    Only a sandbox run as its own uid (the grader is root) can be told apart by owner;
    files there would otherwise pile up run after run and could fill the disk or memory
    that later students' runs need.
    """
    import shutil

    from autograder.engine.sandbox import SCRATCH_DIRS

    if uid is None or os.geteuid() != 0:
        return
    for folder in SCRATCH_DIRS:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _send(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def serve(extra_checks: list[str]) -> None:
    import time

    t0 = time.perf_counter()
    _load(extra_checks)
    from autograder.engine import sandbox

    sandbox.prepare()
    _subreaper()
    defences = sandbox.probe()
    off = sorted(k for k, v in defences.items() if not v)
    if off:  # the log the worker keeps (worker.SLOT_DIR/zygote-N.log)
        why = "the grader is not root" if os.geteuid() != 0 else "no CAP_SYS_ADMIN or no namespaces"
        print(f"zygote: sandbox defences NOT active ({why}): {', '.join(off)}", file=sys.stderr, flush=True)
    _send({"ready": True, "import_s": time.perf_counter() - t0,
           "pid": os.getpid(), "defences": defences})
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            sandbox.run(request)  # never returns
            os._exit(70)
        _send({"pid": pid})
        _, status, usage = os.wait4(pid, 0)
        _kill_leftovers(request.get("uid"))
        _remove_leftover_files(request.get("uid"))
        _send({"exit": os.waitstatus_to_exitcode(status), "maxrss_kb": usage.ru_maxrss,
               "cpu_s": usage.ru_utime + usage.ru_stime})


def main() -> None:
    # the protocol owns stdout: anything an import prints goes to stderr instead
    protocol_out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = protocol_out
    serve(sys.argv[1:])


if __name__ == "__main__":
    main()
