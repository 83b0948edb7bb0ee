"""What runs in a sandbox: a child forked from the zygote, holding one submission.

``prepare()`` runs once in the zygote (the shell, matplotlib, the integrity baseline).
``run(request)`` runs in the forked child and never returns:

1. confine: own session, stdin/stdout/stderr to /dev/null, no other descriptors but
   the record channel, a scrubbed environment, a working directory holding only the
   submission, and the jail (``jail.lock_in``: resource limits and, when the grader is
   root, an unprivileged uid in its own mount, IPC and network namespaces). The record
   channel is a FIFO opened before all that, and the job's files are read before it too,
   so neither the namespaces nor the uid touch it;
2. execute the planned cells in an IPython shell (magics work), capturing outputs;
3. at each exercise's test position, call ``Exercise.collect`` on the cases it was
   given as data (visible, then hidden), never ``decide``;
4. after every step, send the record (``records.DoneStep``) with what the integrity
   check found changed and what the step left running (``leftovers``: threads, timers,
   signal handlers, processes); when either names anything, stop (the worker leaves
   that cell out and replays without it), else go on.

It never judges: what it sends is data for the trusted side.
"""

from __future__ import annotations

import gc
import io
import json
import os
import sys
import time
from typing import Any, Callable, NamedTuple

import msgspec

from autograder.engine import integrity, jail, leftovers, protocol
from autograder.engine.records import (
    Broken,
    CaseOutcome,
    Collected,
    Crash,
    DoneStep,
    End,
    ForkRequest,
    Hello,
    Output,
    SandboxJob,
    Start,
    Step,
    StepKind,
)
from safetensors.torch import save

from course.checking.exercise import Outcome, collect_cases
from course.checking.pristine import modes_off
from course.checking.values import Raised, encode, type_name

SHELL: Any = None  #: the sandbox's InteractiveShell, made in the zygote by prepare()
WATCHER: Any = None  #: the tripwire (integrity.Watcher), its baseline taken in the zygote
SEALED: Any = None  #: Sealed: made in the zygote by seal(), read by a sandbox before any student code
#: Records encoded in advance, sent without JSON or Python builtins when a cell broke them
#: (a tuple: no cell can change it): ``_BROKEN[cell + 1]``, ``_BROKEN[0]`` for no cell.
_BROKEN = tuple(protocol.frame(Broken(i)) for i in range(-1, 4000))


#: Environment the student's code sees (everything else is dropped: no COURSE_SECRET).
def _clean_env(workdir: str) -> dict:
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": workdir,
        "TMPDIR": workdir,
        "LANG": "C.UTF-8",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "MPLCONFIGDIR": workdir,
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "COURSE_OFFLINE": "1",
        "COURSE_DEVICE": "cpu",
        "NBGRADER_EXECUTION": "autograde",
    }


# --- the shell -------------------------------------------------------------------------


class _Capture:
    """Where a cell's outputs go, in nbformat's shape, with a cap on text."""

    def __init__(self, cap_bytes: int):
        self.outputs: list[dict] = []
        self.cap = cap_bytes
        self.size = 0
        self.cut = False

    def stream(self, name: str, text: str) -> None:
        if self.cut:
            return
        if self.size + len(text) > self.cap:
            text = text[: max(0, self.cap - self.size)] + f"\n[output cut at {self.cap // 1024} KB]\n"
            self.cut = True
        self.size += len(text)
        if self.outputs and self.outputs[-1].get("output_type") == "stream" and self.outputs[-1]["name"] == name:
            self.outputs[-1]["text"] += text
        else:
            self.outputs.append({"output_type": "stream", "name": name, "text": text})

    def rich(self, kind: str, data: dict, count: int | None = None) -> None:
        if self.cut:
            return
        size = sum(len(v) if isinstance(v, str) else len(json.dumps(v, default=str)) for v in data.values())
        if self.size + size > self.cap:
            self.stream("stdout", " " * (self.cap - self.size + 1))  # cuts, with the note
            return
        self.size += size
        out: dict[str, Any] = {"output_type": kind, "data": data, "metadata": {}}
        if kind == "execute_result":
            out["execution_count"] = count
        self.outputs.append(out)


CAPTURE = _Capture(1 << 18)


class _Stream(io.TextIOBase):
    def __init__(self, name: str):
        self.name = name

    def write(self, s) -> int:
        s = str(s)
        CAPTURE.stream(self.name, s)
        return len(s)

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]  # TextIOBase's is read-only too
        return "utf-8"


def _jsonable(data: dict) -> dict:
    out = {}
    for mime, value in data.items():
        if isinstance(value, bytes):
            import base64

            value = base64.b64encode(value).decode()
        elif not isinstance(value, (str, dict, list)):
            value = str(value)
        out[mime] = value
    return out


def _shell():
    """An InteractiveShell whose outputs and errors become nbformat outputs in ``CAPTURE``."""
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class SandboxHook(DisplayHook):
        def start_displayhook(self):
            pass

        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            CAPTURE.rich("execute_result", _jsonable(format_dict), self.shell.execution_count)

        def finish_displayhook(self):
            pass

    class SandboxPublisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
            CAPTURE.rich("display_data", _jsonable(data))

        def clear_output(self, wait=False):
            CAPTURE.outputs.clear()

    class SandboxShell(InteractiveShell):
        def enable_gui(self, gui=None):  # `%matplotlib inline` needs no event loop
            pass

        def _showtraceback(self, etype, evalue, stb):
            CAPTURE.outputs.append(
                {
                    "output_type": "error",
                    "ename": getattr(etype, "__name__", str(etype)),
                    "evalue": str(evalue),
                    "traceback": list(stb),
                }
            )

    c = Config()
    c.HistoryManager.enabled = False
    c.InteractiveShell.colors = "nocolor"
    c.InteractiveShell.xmode = "Plain"
    return SandboxShell.instance(config=c, displayhook_class=SandboxHook, display_pub_class=SandboxPublisher)


def prepare() -> None:
    """In the zygote: build the shell (no student code yet); :func:`seal` comes after."""
    global SHELL, WATCHER
    from autograder.engine import records
    from autograder.engine.integrity import Watcher

    records.prime()
    SHELL = _shell()
    SHELL.run_line_magic("matplotlib", "inline")
    # one harmless cell, so what a first run_cell installs (sys.excepthook...) is in the baseline
    SHELL.run_cell("import torch\n1", store_history=True)
    SHELL.run_cell("raise ValueError()", store_history=True)
    SHELL.execution_count = 1
    CAPTURE.outputs.clear()
    WATCHER = Watcher(SHELL)
    _quiet_libraries()


def _quiet_libraries() -> None:
    """What libraries would leave running on their own: tqdm's monitor thread (it only tunes how
    often a bar redraws) would count as a thread a cell left behind."""
    import tqdm

    tqdm.tqdm.monitor_interval = 0


#: The record channel's descriptor in every sandbox (the FIFO is moved there before any student
#: code), so that the tripwire's functions, made in the zygote, know where to report.
CHANNEL_FD = 255


class Sealed(NamedTuple):
    """What the sandbox uses between student steps, made in the zygote by :func:`seal`."""

    baseline: Any  #: integrity.Baseline: the Watcher's probes, frozen
    verify: Callable[[], None]  #: integrity: reports on CHANNEL_FD and exits if anything it reads changed
    hook: Callable  #: integrity.audit_hook, to install: reports code, defaults and class changes
    exercises: Any  #: exercise id -> (run, answers, may_mutate_inputs), as the zygote had them (read-only)


def seal() -> None:
    """In the zygote, after every import and before any fork: the tripwire's baseline, what it
    verifies, and each exercise's ``run`` as imported. A sandbox reads :data:`SEALED` before its
    first student cell and uses nothing else to watch, collect and report (``integrity``);
    checkers reach ``verify`` as ``course.checking.pristine.SETTLE``.

    Everything made so far is then frozen out of the cyclic collector (``gc.freeze``): a
    sandbox's ``gc.collect`` after each step looks only at what the student's code made (so
    its finalizers run in the step that made them, cheaply), and ``gc.get_objects`` there
    lists none of the grader's objects. Only ``verify`` and the audit hook are made after:
    a sweep through ``gc`` that rewrites the grader's functions finds them, and is reported.
    """
    global SEALED
    import gc
    import types

    from course.checking import pristine
    from course.checking.exercise import REGISTRY

    exercises = types.MappingProxyType(
        {ex_id: (ex._run, ex.answers, ex.may_mutate_inputs) for ex_id, ex in REGISTRY.items()}
    )
    baseline = WATCHER.take_baseline(fresh=True)
    data, snap = integrity.hook_data(baseline), integrity.snapshot()
    gc.collect()
    gc.freeze()
    verify, hook = integrity.sealed_functions(CHANNEL_FD, data, snap)
    pristine.SETTLE = verify
    SEALED = Sealed(baseline, verify, hook, exercises)


# --- the run ---------------------------------------------------------------------------


def _live(value):
    """Decoded case data -> the objects ``run`` expects (tensors, arrays, numbers)."""
    from course.checking.values import ArrayValue, Opaque, TensorValue, Token

    import torch

    if isinstance(value, TensorValue):
        t = value.data.clone() if value.data is not None else torch.empty(value.shape, dtype=value.dtype, device="meta")
        if value.requires_grad:
            t.requires_grad_(True)
        return torch.nn.Parameter(t, requires_grad=value.requires_grad) if value.parameter else t
    if isinstance(value, ArrayValue):
        return value.data.copy()
    if isinstance(value, Token):
        return getattr(torch, value.text.removeprefix("torch.")) if value.kind == "dtype" else torch.device(value.text)
    if isinstance(value, Opaque):
        raise ValueError(f"a case holds an object that cannot travel: {value.type_name}")
    if isinstance(value, list):
        return [_live(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_live(v) for v in value)
    if isinstance(value, dict):
        return {k: _live(v) for k, v in value.items()}
    return value


def _confine(fd: int, workdir: str, uid: int | None, limits) -> None:
    """Nothing but the record channel open, a clean environment, then the jail."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for target in (0, 1, 2):
        os.dup2(devnull, target)
    os.closerange(3, fd)
    os.closerange(fd + 1, 4096)
    os.environ.clear()
    os.environ.update(_clean_env(workdir))
    jail.DEFENCES.update(jail.lock_in(workdir, uid, limits))  # in place: the tripwire watches it


def load_cases(job_dir: str) -> dict:
    from safetensors.torch import load_file

    from course.checking.values import decode

    with open(os.path.join(job_dir, "cases.json")) as f:
        encoded = json.load(f)
    path = os.path.join(job_dir, "cases.safetensors")
    tensors = load_file(path) if os.path.exists(path) else {}
    return {ex: {part: _live(decode(obj, tensors)) for part, obj in parts.items()} for ex, parts in encoded.items()}


def _collect(exercise_id: str, cases: dict, limits, verify) -> tuple[Collected, bytes]:
    """The exercise's ``run`` on the visible and hidden cases: the outcomes as data, and their tensors.

    The ``run`` is the one the zygote imported (``SEALED.exercises``), not whatever the
    exercise object holds now; after each call of the student's code ``verify`` checks,
    before anything is used, that nothing the grader reads was changed.
    """
    run, answers, may_mutate = SEALED.exercises[exercise_id]
    ns = SHELL.user_ns
    missing = [name for name in answers if name not in ns]
    objects = () if missing else tuple(ns[name] for name in answers)
    tensors: dict = {}
    global CAPTURE
    visible = _outcomes(run, may_mutate, objects, missing, cases.get("visible", []), tensors, verify)
    shown, CAPTURE = CAPTURE, _Capture(CAPTURE.cap)  # what the code prints about hidden inputs stays hidden
    hidden = _outcomes(run, may_mutate, objects, missing, cases.get("hidden", []), tensors, verify)
    if CAPTURE.outputs:
        shown.stream("stdout", "[output printed on the hidden inputs is not shown]\n")
    CAPTURE = shown
    with modes_off():  # safetensors reads each tensor's memory by its data_ptr: a mode could answer that
        blob = save(tensors) if tensors else b""
    if len(blob) > limits.result_mb << 20:
        raise MemoryError(f"the results of {exercise_id} exceed {limits.result_mb} MB")
    return Collected(visible, hidden), blob


def _outcomes(
    run, may_mutate: bool, objects: tuple, missing: list[str], cases: list, tensors: dict, verify
) -> list[CaseOutcome]:
    """``collect_cases`` on the student's objects, encoded (values and inputs after the call)."""
    if missing:
        outcomes = [Outcome(Raised("NameError", f"name {missing[0]!r} is not defined"), []) for _ in cases]
    else:
        try:
            outcomes = collect_cases(run, may_mutate, objects, cases)
        except BaseException as exc:  # SystemExit, KeyboardInterrupt from the student's code
            why = (type_name(exc), str(exc)[:400])  # its __str__ is the student's code too
            verify()
            outcomes = [Outcome(Raised(*why), []) for _ in cases]
    with modes_off():  # what the student's code left on does not touch the grader's own tensors
        return [
            CaseOutcome(
                encode(o.value, tensors)[0],
                [str(w)[:400] for w in o.warnings][:20],
                None if o.inputs_after is None else encode(o.inputs_after, tensors)[0],
            )
            for o in outcomes
        ]


def _step(step: Step, cases: dict, limits, verify) -> tuple[DoneStep, bytes]:
    """Run one step: a cell's source in the shell, or ``collect`` at a test position."""
    t = time.perf_counter()
    blob = b""
    record = DoneStep(step.cell, step.kind, [], 0.0, [])
    if step.kind == StepKind.CODE:
        result = SHELL.run_cell(step.source, store_history=True)
        record.error = not result.success
        record.execution_count = result.execution_count
    else:
        try:
            record.collected, blob = _collect(step.exercise or "", cases.get(step.exercise, {}), limits, verify)
        except Exception as exc:
            record.collect_error = f"{type(exc).__name__}: {str(exc)[:300]}"
    record.seconds = time.perf_counter() - t
    return record, blob


def _send_step(fd: int, record: DoneStep, blob: bytes, verify, look: leftovers.Look) -> bool:
    """The step's record with its outputs, what the tripwire saw changed and what the step left
    running; True when it names any (the sandbox then stops: the worker leaves the cell out).

    Called after ``verify`` found nothing changed. The step's garbage is collected first, so
    a finalizer it left runs now, in this step (and ``verify`` looks again after it).
    """
    gc.collect()
    verify()
    record.changed = integrity.check(SEALED.baseline)
    record.left = look.check()
    try:
        record.outputs = msgspec.convert(CAPTURE.outputs, list[Output])
        data = protocol.frame(record, blob)
    except (msgspec.MsgspecError, TypeError, ValueError, OverflowError):  # outputs the schema cannot hold
        record.outputs = [Output("stream", name="stderr", text="[outputs could not be recorded]\n")]
        data = protocol.frame(record, blob)
    protocol.write_frame(fd, data)
    return bool(record.changed or record.left)


def _start(request: ForkRequest) -> tuple[int, SandboxJob, dict]:
    """Before any student code: the channel, the job, the cases, then the confinement."""
    os.setsid()
    opened = os.open(request.fifo, os.O_WRONLY)
    fd = os.dup2(opened, CHANNEL_FD)
    os.close(opened)
    with open(os.path.join(request.job_dir, "job.json"), "rb") as f:
        job = msgspec.json.decode(f.read(), type=SandboxJob)
    cases = load_cases(request.job_dir)
    _confine(fd, os.path.join(request.job_dir, "work"), request.uid, job.limits)
    return fd, job, cases


def run(request: ForkRequest) -> None:
    """The child's whole life (never returns)."""
    status = 70
    fd = -1
    try:
        t0 = time.perf_counter()
        fd, job, cases = _start(request)
        sys.stdout, sys.stderr = _Stream("stdout"), _Stream("stderr")
        import torch

        torch.set_num_threads(1)
        protocol.write_record(fd, Hello(os.getpid(), time.perf_counter() - t0, dict(jail.DEFENCES)))
        _steps(fd, job, cases)
        status = 0
    except BaseException as exc:  # report what broke the sandbox itself, then exit
        try:
            if fd >= 0:
                protocol.write_record(fd, Crash(f"{type(exc).__name__}: {str(exc)[:300]}"))
        except BaseException:
            pass
    finally:
        os._exit(status)


def _steps(fd: int, job: SandboxJob, cases: dict) -> None:
    """The planned steps, each reported, then the end. Everything used between student steps is
    taken here, before the first one: the tripwire's baseline, its ``verify`` and its audit hook
    (installed here) and these functions, so no cell can swap what watches it. After every step
    ``verify`` runs first."""
    global CAPTURE
    sealed, step_of, send, write, broken, capture = SEALED, _step, _send_step, os.write, _BROKEN, _Capture
    verify = sealed.verify
    look = leftovers.Look(leftovers.start())
    sys.addaudithook(sealed.hook)  # from now on it cannot be removed
    skip = set(job.skip)
    for step in job.steps:
        if step.cell in skip:
            continue
        protocol.write_record(fd, Start(step.cell))
        CAPTURE = capture(job.limits.output_kb * 1024)
        record, blob = step_of(step, cases, job.limits, verify)
        verify()  # nothing below runs before this: a change is reported, never used
        try:
            stop = send(fd, record, blob, verify, look)
        except BaseException:  # the cell broke what the sandbox itself relies on
            write(fd, broken[step.cell + 1] if 0 <= step.cell < len(broken) - 1 else broken[0])
            raise
        if stop:  # the worker leaves this cell out and replays without it
            return
    protocol.write_record(fd, End())
