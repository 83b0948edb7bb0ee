"""The zygote: an interpreter that has imported everything once and forks sandboxes.

A new kernel plus ``import torch`` costs seconds; a fork of this process costs
milliseconds. It is started with ``subprocess`` (Dask workers are daemonic and cannot
have ``multiprocessing`` children, dask/distributed#2142) and never runs student code
itself. Single-threaded (``OMP_NUM_THREADS=1``, ``torch.set_num_threads(1)`` before any
torch op), so forking after ``import torch`` cannot inherit a held lock.

Protocol on stdin/stdout, one JSON object per line:

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
    # warm up the paths every notebook takes, single-threaded
    x = torch.randn(8, 8, requires_grad=True)
    (torch.nn.functional.relu(x @ x.T).sum()).backward()
    torch.nn.Linear(4, 2)(torch.ones(1, 4))


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
    _send({"ready": True, "import_s": time.perf_counter() - t0,
           "pid": os.getpid()})
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
