"""The zygote: an interpreter that has imported everything once and forks sandboxes.

A new kernel plus ``import torch`` costs seconds; a fork of this process costs
milliseconds. It is started with ``subprocess`` (Dask workers are daemonic and cannot
have ``multiprocessing`` children, dask/distributed#2142) and never runs student code
itself. Single-threaded (``OMP_NUM_THREADS=1``, ``torch.set_num_threads(1)`` before any
torch op), so forking after ``import torch`` cannot inherit a held lock.

Protocol on stdin/stdout, one JSON record per line (``autograder.engine.records``):

    <- Ready(pid, import_s, defences)        imported; which sandbox defences work here
    -> ForkRequest(job_dir, fifo, uid)       fork a sandbox for this job
    <- Forked(pid)                           it runs
    <- Exited(exit (-signal), maxrss_kb, cpu_s)   it ended; its leftovers are killed

The protocol's pipes are the zygote's own: a sandbox closes them before any student code
runs, and the zygote is not dumpable, so a sandbox of the same uid cannot open them
through ``/proc``. It is also a child subreaper, so processes that a sandbox leaves
behind become its children and are killed after every run.

What it imports before it forks comes from its ``ZygoteSpec`` (the first argument, as
JSON): the extra checker files, and the modules the assignment's notebooks import (the
driver reads them from the course's ``source/``).
"""

from __future__ import annotations

import os
import signal
import sys

import msgspec

from autograder.engine import jail
from autograder.engine.records import (
    CloneRequest,
    Cloned,
    Exited,
    ForkRequest,
    Forked,
    Ready,
    WarmRequest,
    ZygoteRequest,
    ZygoteSpec,
    encode,
)

_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def _load(spec: ZygoteSpec) -> None:
    """What every sandbox needs (torch, the sandbox's shell and plots, the checkers), then what
    this assignment needs (``warmup.needs``: its imports and torch's lazy paths it reaches)."""
    from autograder.engine.warmup import BASE_IMPORTS

    for var in _THREAD_VARS:
        os.environ[var] = "1"
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    import torch

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    import matplotlib
    import numpy  # noqa: F401
    import psutil  # noqa: F401
    import safetensors.torch  # noqa: F401

    matplotlib.use("module://matplotlib_inline.backend_inline")
    import matplotlib.pyplot  # noqa: F401

    import course
    import course.checking  # noqa: F401
    import course.checks

    if spec.all_checkers:
        course.checks.load_all(spec.extra_checks, errors={})
    else:
        for path in spec.extra_checks:
            try:
                course.checks.load_file(path)
            except Exception:  # noqa: BLE001 - the driver has refused an assignment whose checkers fail
                pass
    from autograder.engine.integrity import WATCHED_MODULES

    # the libraries the tripwire watches, loaded before its baseline whatever the assignment
    # imports: a patch of one a student imports first (numpy.testing) is still seen
    _warm_imports(BASE_IMPORTS + spec.warm_imports + tuple(WATCHED_MODULES))
    _warm_checkers()
    _warm_torch(spec.warm_paths)


def _warm_torch(paths=None) -> None:
    """Take, once, the lazy paths of torch that ``paths`` name (None: every one).

    A sandbox may run as another user who cannot read the Python installation (it can
    live in a 0700 home directory), so a module first imported inside a sandbox fails
    there. What torch imports lazily on first use (the first optimizer step pulls in
    torch._dynamo, ~800 modules) is imported here, in the zygote, before any fork; an
    assignment whose notebooks and checkers never reach a path does not pay for it
    (``warmup.PATHS`` says which words reach which path).
    """
    import io

    import torch

    x = torch.randn(8, 8, requires_grad=True)
    (torch.nn.functional.relu(x @ x.T).sum()).backward()
    model = torch.nn.Linear(4, 2)
    if paths is None or "optimizer" in paths:
        for make in (
            lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
            lambda p: torch.optim.Adam(p),
            lambda p: torch.optim.RMSprop(p),
            lambda p: torch.optim.AdamW(p),
        ):
            opt = make(model.parameters())
            schedule = torch.optim.lr_scheduler.StepLR(opt, step_size=1)
            model(torch.ones(3, 4)).sum().backward()
            opt.step()
            opt.zero_grad()
            schedule.step()
    if paths is None or "data-loader" in paths:
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.ones(4, 4)), batch_size=2)
        for _ in loader:
            pass
    if paths is None or "serialization" in paths:
        buffer = io.BytesIO()
        torch.save(model.state_dict(), buffer)
        torch.load(io.BytesIO(buffer.getvalue()))
    if paths is None or "meta" in paths:
        try:  # the first error on the meta device imports more of torch
            torch.ones(1) + torch.ones(1, device="meta")
        except RuntimeError:
            pass


def _warm_imports(names) -> None:
    """Import what the assignment's notebooks and checkers import (a failure is never a reason to stop:
    ``from course import plots`` names a submodule, ``from torch import nn`` a name that is one too)."""
    import importlib

    for name in sorted(set(names)):
        if name in sys.modules:
            continue
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a warm-up
            pass


def _warm_checkers() -> None:
    """Call ``warm_up()`` of each checker module that has one: what every sandbox would load
    again (project 09's data frame) is loaded once here and shared by the forks."""
    for name, module in sorted(sys.modules.items()):
        warm = getattr(module, "warm_up", None) if name.startswith("course.checks.") else None
        if callable(warm):
            try:
                warm()
            except Exception:  # noqa: BLE001 - a warm-up: the sandbox loads it itself then
                pass


def _capture_pristine() -> None:
    """After every import, before any fork (no student code has ever run here): the references
    facts are computed with, and the tripwire, fixed for every sandbox this zygote forks.

    ``course.checking.pristine.REAL`` was taken when the course was imported, in this
    process; here it is checked against the objects as they are now, and no torch mode may
    be on. ``sandbox.seal`` then takes the tripwire's baseline, the namespaces it verifies
    and each exercise's ``run``, and freezes what exists out of the cyclic collector.
    """
    from autograder.engine import sandbox
    from course.checking import pristine

    now = pristine.capture()
    moved = [
        name for name, a, b in zip(pristine.Refs._fields, pristine.REAL, now, strict=True) if a is not b and a != b
    ]
    if moved or pristine.mode_depths() != (0, 0):
        raise RuntimeError(f"the objects facts are computed with changed before any submission ran: {moved}")
    sandbox.seal()


def _subreaper() -> None:
    """Orphans of the sandboxes become the zygote's children (to be killed after each run)."""
    jail.prctl(jail.PR_SET_CHILD_SUBREAPER, 1)


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

    if uid is None or os.geteuid() != 0:
        return
    for folder in jail.SCRATCH_DIRS:
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


def _send(message) -> None:
    sys.stdout.write(encode(message).decode() + "\n")
    sys.stdout.flush()


def _start(spec: ZygoteSpec) -> None:
    """Import, build the sandbox's shell and tripwire, say which defences work here."""
    import time

    t0 = time.perf_counter()
    _load(spec)
    from autograder.engine import sandbox

    sandbox.prepare()
    _subreaper()
    jail.prctl(jail.PR_SET_DUMPABLE, 0)  # no sandbox of the same uid opens this process's pipes
    defences = jail.probe()
    off = sorted(k for k, v in defences.items() if not v)
    if off:  # the log the worker keeps (worker.SLOT_DIR/zygote-N.log)
        why = "the grader is not root" if os.geteuid() != 0 else "no CAP_SYS_ADMIN or no namespaces"
        print(f"zygote: sandbox defences NOT active ({why}): {', '.join(off)}", file=sys.stderr, flush=True)
    _capture_pristine()
    _send(Ready(os.getpid(), time.perf_counter() - t0, defences))


def _fork(request: ForkRequest) -> None:
    """One sandbox: fork it, wait for it, clean up after it, report how it ended."""
    from autograder.engine import sandbox

    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        sandbox.run(request)  # never returns
        os._exit(70)
    _send(Forked(pid))
    _, status, usage = os.wait4(pid, 0)
    _kill_leftovers(request.uid)
    _remove_leftover_files(request.uid)
    _send(Exited(os.waitstatus_to_exitcode(status), usage.ru_maxrss, usage.ru_utime + usage.ru_stime))


def _warm(request: WarmRequest) -> None:
    """More imports (another assignment's), then a new tripwire baseline: no student code ran here."""
    import time

    t0 = time.perf_counter()
    _warm_imports(request.imports)
    _warm_checkers()
    _warm_torch(request.paths)
    _capture_pristine()
    _send(Ready(os.getpid(), time.perf_counter() - t0, jail.probe()))


def _clone(request: CloneRequest) -> None:
    """A second zygote, forked from this warm one: ready in milliseconds instead of the
    seconds of a fresh start, and sharing this one's pages copy-on-write.

    No student code has run in this process (sandboxes are its children), so the clone is
    as pristine as the zygote, its tripwire baseline included. It is forked twice, with this
    zygote no subreaper meanwhile, so that it is no descendant of this zygote (after each
    sandbox the zygote kills every descendant it has). The clone takes the FIFOs the worker
    made for it as its stdin and stdout and goes on serving in the loop it was forked in;
    this zygote answers ``Cloned`` with the clone's pid.
    """
    import time

    t0 = time.perf_counter()
    sys.stdout.flush()
    report_r, report_w = os.pipe()
    jail.prctl(jail.PR_SET_CHILD_SUBREAPER, 0)
    middle = os.fork()
    if middle == 0:  # the middle process: fork the clone, say its pid, end
        os.close(report_r)
        clone = os.fork()
        if clone == 0:
            os.close(report_w)
            _become_clone(request, t0)
            return
        os.write(report_w, str(clone).encode())
        os._exit(0)
    os.close(report_w)
    os.waitpid(middle, 0)
    _subreaper()
    with os.fdopen(report_r, "rb") as report:
        pid = int(report.read() or 0)
    if pid <= 0:
        raise RuntimeError("the clone was not forked")
    _send(Cloned(pid))


def _become_clone(request: CloneRequest, t0: float) -> None:
    """In the clone: the worker's FIFOs in place of the zygote's pipes (the zygote's own are
    closed here, so that its end is still seen), a subreaper of its own, then ``Ready``."""
    import time

    signal.alarm(30)  # a worker that never opens its ends: the clone ends instead of waiting forever
    replies = os.open(request.replies, os.O_WRONLY)  # the worker holds its read end already
    requests = os.open(request.requests, os.O_RDONLY)  # returns once the worker opens it to write
    signal.alarm(0)
    os.dup2(requests, sys.stdin.fileno())
    os.dup2(replies, sys.stdout.fileno())
    os.close(requests)
    os.close(replies)
    _subreaper()
    _send(Ready(os.getpid(), time.perf_counter() - t0, jail.probe()))


def serve(spec: ZygoteSpec) -> None:
    _start(spec)
    decoder = msgspec.json.Decoder(ZygoteRequest)
    for line in sys.stdin:
        if line.strip():
            request = decoder.decode(line)  # the worker's own request: a bad one ends the zygote
            if isinstance(request, ForkRequest):
                _fork(request)
            elif isinstance(request, CloneRequest):
                _clone(request)  # returns in both: the clone serves its own worker from here on
            else:
                _warm(request)


def main() -> None:
    # the protocol owns stdout: anything an import prints goes to stderr instead
    protocol_out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = protocol_out
    serve(msgspec.json.decode(sys.argv[1], type=ZygoteSpec) if len(sys.argv) > 1 else ZygoteSpec())


if __name__ == "__main__":
    main()
