"""The engine's vocabulary: every record that crosses a process or module boundary.

One place for what the engine's processes say to each other, each a typed record
(``msgspec.Struct``: a dataclass-like class that is checked field by field, types,
ranges and sizes, while it is decoded) and every status a closed enum::

    driver  --Job-->  worker  --SandboxJob (job.json)-->  sandbox
    worker  --ForkRequest | WarmRequest | CloneRequest-->  zygote  --Ready | Forked | Exited | Cloned-->  worker
    sandbox --Hello | Start | DoneStep | Tampered | Broken | Crash | End (framed, protocol.py)-->  worker
    worker  --RunResult-->  driver  --Verdict, Row-->  JournalEntry (on disk)

What a sandbox sends is untrusted: :func:`decode_sandbox_record` parses it against the
schema below (a record of another shape, a wrong type, a number out of range, a string
or a list too long, values nested too deeply) and raises :class:`ChannelError` with the
reason, never anything else. The other directions are the engine's own, but they are
decoded by the same schemas (a journal written by an older engine, a zygote that died
mid-line), so no module reads a raw dict from another process.
"""

from __future__ import annotations

import enum
import math
from typing import Annotated, Any, Literal, Union

import msgspec
from msgspec import Meta, Struct

from autograder.engine.limits import Limits
from course.checking.result import CheckResult

#: Bounds of the channel's schema. A notebook has far fewer cells; a checker far fewer cases.
MAX_CELLS = 100_000
MAX_CASES = 1_000
MAX_OUTPUTS = 1_000
MAX_TEXT = 64 << 20  #: a string (an output's text is capped by the sandbox, well below)
MAX_SHORT = 4_000  #: a name, a reason, an error line
MAX_NAMES = 100  #: names in a list (tampered names, warnings, defences)
#: Depth of a value the student's code returned, as ``course.checking.values.encode`` writes
#: it (``describe`` stops at 20 levels; each level may add a ``$tuple``/``$dict`` wrapper).
MAX_VALUE_DEPTH = 64

Cell = Annotated[int, Meta(ge=0, lt=MAX_CELLS)]
AnyCell = Annotated[int, Meta(ge=-1, lt=MAX_CELLS)]  #: -1: no cell (the run as a whole)
Short = Annotated[str, Meta(max_length=MAX_SHORT)]
Text = Annotated[str, Meta(max_length=MAX_TEXT)]
Seconds = Annotated[float, Meta(ge=0.0, le=1e9)]
Count = Annotated[int, Meta(ge=0, le=1 << 62)]
Names = Annotated[list[Short], Meta(max_length=MAX_NAMES)]


class Word(str, enum.Enum):
    """A status word: compares equal to its text, prints as its text, travels as its text."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class StepKind(Word):
    CODE = "code"  #: a cell's source runs in the shell
    TEST = "test"  #: a test position: the exercise's ``collect`` runs


class Fault(Word):
    """Why a cell was left out of a submission's run (and the run replayed without it)."""

    TAMPERED = "tampered"  #: it changed what the grader relies on (the tripwire saw it)
    CHANNEL = "channel"  #: it sent records that break the channel's schema or order
    TIMEOUT = "timeout"  #: it ran past the wall limit of a cell
    DIED = "died"  #: the process died in it (os._exit, a signal, the memory limit)
    CPU_LIMIT = "cpu-limit"  #: the run used up its CPU seconds in it
    LEFT_BEHIND = "left-behind"  #: it left a thread, timer, signal handler or process running after it
    ENGINE_ERROR = "engine-error"  #: the engine itself failed (no cell is to blame)


#: The faults a watching worker kills a sandbox for (the others end it by themselves).
KILLS = (Fault.TAMPERED, Fault.CHANNEL, Fault.TIMEOUT, Fault.LEFT_BEHIND)


class RunStatus(Word):
    """How the runs of one submission notebook ended."""

    OK = "ok"  #: a run reached its end (cells may have been left out on the way)
    STOPPED = "stopped"  #: a fault no cell is to blame for (``RunResult.bad[-1]``)
    TOO_MANY_FAILURES = "too-many-failures"  #: ``Limits.max_runs`` runs, each with a bad cell


class VerdictStatus(Word):
    """What one graded cell got."""

    PASSED = "passed"
    PARTIAL = "partial"
    FAILED = "failed"
    FLAGGED = "flagged"  #: zero (or a score a person should look at), with the reason
    CRASHED = "crashed"
    TIMEOUT = "timeout"
    NOT_RUN = "not-run"
    MANUAL = "manual"  #: graded by hand in formgrader


#: The verdict a cell's fault gives its exercise.
FAULT_VERDICT = {
    Fault.TAMPERED: VerdictStatus.FLAGGED,
    Fault.CHANNEL: VerdictStatus.FLAGGED,
    Fault.TIMEOUT: VerdictStatus.TIMEOUT,
    Fault.DIED: VerdictStatus.CRASHED,
    Fault.CPU_LIMIT: VerdictStatus.CRASHED,
    Fault.LEFT_BEHIND: VerdictStatus.FLAGGED,
    Fault.ENGINE_ERROR: VerdictStatus.CRASHED,
}


class RowStatus(Word):
    """One submission notebook's status (``summary.csv``, the journal, ``autograder grade``)."""

    GRADED = "graded"
    FLAGGED = "flagged"
    ERRORS = "errors"  #: an exercise crashed or timed out
    UNREADABLE = "unreadable"  #: empty, not UTF-8, not JSON, not a notebook
    MISSING = "missing"
    ENGINE_ERROR = "engine-error"
    TOO_MANY_FAILURES = "too-many-failures"


#: The row status a run's fault gives when no cell is to blame for it.
FAULT_ROW = {
    Fault.TAMPERED: RowStatus.FLAGGED,
    Fault.CHANNEL: RowStatus.FLAGGED,
    Fault.TIMEOUT: RowStatus.ERRORS,
    Fault.DIED: RowStatus.ERRORS,
    Fault.CPU_LIMIT: RowStatus.ERRORS,
    Fault.LEFT_BEHIND: RowStatus.FLAGGED,
    Fault.ENGINE_ERROR: RowStatus.ENGINE_ERROR,
}


class ChannelError(ValueError):
    """A record from a sandbox that breaks the channel's schema or order; the message says how."""


# --- driver -> worker -> sandbox: the job ---------------------------------------------------


class Step(Struct, frozen=True, forbid_unknown_fields=True):
    """One thing a sandbox does, in order: run a cell's source, or collect at a test position."""

    cell: Cell  #: the cell of the output notebook
    kind: StepKind
    source: Text = ""
    exercise: Short | None = None


#: A lazy path of torch a zygote takes before it forks (``warmup.PATHS``).
WarmPath = Literal["optimizer", "data-loader", "serialization", "meta"]


class ZygoteSpec(Struct, frozen=True, forbid_unknown_fields=True):
    """What a worker's zygote imports before it forks (``warmup.needs``): extra checker files,
    the assignment's imports (its checker modules among them), the lazy paths it takes."""

    extra_checks: tuple[str, ...] = ()
    warm_imports: tuple[str, ...] = ()
    warm_paths: tuple[WarmPath, ...] | None = None  #: None: every path
    all_checkers: bool = True  #: import every ``course.checks`` module, not only those in ``warm_imports``


class Job(Struct, frozen=True):
    """One submission notebook, from the driver to a worker (Dask carries it)."""

    student: str
    notebook: str
    steps: list[Step]
    limits: Limits
    files: dict[str, bytes]
    zygote: ZygoteSpec = ZygoteSpec()


class SandboxJob(Struct, frozen=True, forbid_unknown_fields=True):
    """``job.json``: what a sandbox runs (the worker writes it; the sandbox reads it before confinement)."""

    steps: list[Step]
    limits: Limits
    skip: list[int] = []  #: cells left out of this run (bad in an earlier one)


# --- worker <-> zygote ----------------------------------------------------------------------


class ForkRequest(Struct, frozen=True, tag="fork", tag_field="t", forbid_unknown_fields=True):
    job_dir: str
    fifo: str
    uid: int | None = None


class WarmRequest(Struct, frozen=True, tag="warm", tag_field="t", forbid_unknown_fields=True):
    """Import these too (another assignment's modules), take these paths, before the next fork;
    answered with Ready."""

    imports: tuple[str, ...]
    paths: tuple[WarmPath, ...] = ()


class CloneRequest(Struct, frozen=True, tag="clone", tag_field="t", forbid_unknown_fields=True):
    """Fork a second zygote from this warm one (answered with Cloned): it reads its requests
    from the FIFO ``requests`` and writes its messages, a Ready first, to the FIFO ``replies``."""

    requests: str
    replies: str


ZygoteRequest = Union[ForkRequest, WarmRequest, CloneRequest]


class Ready(Struct, frozen=True, tag="ready", tag_field="t", forbid_unknown_fields=True):
    pid: int
    import_s: Seconds
    defences: dict[Short, bool]


class Forked(Struct, frozen=True, tag="forked", tag_field="t", forbid_unknown_fields=True):
    pid: Annotated[int, Meta(gt=0)]


class Exited(Struct, frozen=True, tag="exited", tag_field="t", forbid_unknown_fields=True):
    """A sandbox ended: its exit status (negative: the signal), peak memory and CPU time."""

    exit: int
    maxrss_kb: Count = 0
    cpu_s: Seconds = 0.0


class Cloned(Struct, frozen=True, tag="cloned", tag_field="t", forbid_unknown_fields=True):
    pid: Annotated[int, Meta(gt=0)]


ZygoteMessage = Union[Ready, Forked, Exited, Cloned]


# --- sandbox -> worker: the channel (untrusted) ----------------------------------------------


class Hello(Struct, frozen=True, tag="hello", tag_field="t", forbid_unknown_fields=True):
    pid: int
    setup_s: Seconds
    defences: Annotated[dict[Short, bool], Meta(max_length=MAX_NAMES)]


class Start(Struct, frozen=True, tag="start", tag_field="t", forbid_unknown_fields=True):
    cell: Cell


class CaseOutcome(Struct, frozen=True, forbid_unknown_fields=True):
    """One case's outcome as ``course.checking.values.encode`` wrote it (tensors in the blob)."""

    value: Any
    warnings: Names = []
    inputs_after: Any = None  #: the case's tensors as the student's code left them (None: may change)


Outcomes = Annotated[list[CaseOutcome], Meta(max_length=MAX_CASES)]


class Collected(Struct, frozen=True, forbid_unknown_fields=True):
    visible: Outcomes
    hidden: Outcomes


class Output(Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """One nbformat output of a cell (stream, display_data, execute_result or error)."""

    output_type: Annotated[str, Meta(pattern="^(stream|display_data|execute_result|error)$")]
    name: Annotated[str, Meta(pattern="^(stdout|stderr)$")] | None = None
    text: Text | None = None
    data: Annotated[dict[Short, Any], Meta(max_length=MAX_NAMES)] | None = None
    metadata: Annotated[dict[Short, Any], Meta(max_length=MAX_NAMES)] | None = None
    execution_count: Annotated[int, Meta(ge=0)] | None = None
    ename: Short | None = None
    evalue: Text | None = None
    traceback: Annotated[list[Text], Meta(max_length=MAX_OUTPUTS)] | None = None

    def to_nbformat(self) -> dict:
        """The output as an nbformat 4 dict, with the keys its type requires."""
        kind = self.output_type
        if kind == "stream":
            return {"output_type": kind, "name": self.name, "text": self.text}
        if kind == "error":
            return {"output_type": kind, "ename": self.ename, "evalue": self.evalue, "traceback": self.traceback}
        out: dict[str, Any] = {"output_type": kind, "data": self.data, "metadata": self.metadata or {}}
        if kind == "execute_result":
            out["execution_count"] = self.execution_count
        return out

    def problem(self) -> str | None:
        """What this output lacks for its type (None: it is whole)."""
        need = {"stream": (self.name, self.text), "error": (self.ename, self.evalue, self.traceback)}
        missing = any(v is None for v in need.get(self.output_type, (self.data,)))
        return f"a {self.output_type} output without its fields" if missing else None


class DoneStep(Struct, tag="done-step", tag_field="t", forbid_unknown_fields=True):
    """A step finished: its outputs, what the tripwire saw changed, and for a test what ``collect`` got."""

    cell: Cell
    kind: StepKind
    outputs: Annotated[list[Output], Meta(max_length=MAX_OUTPUTS)]
    seconds: Seconds
    changed: Names  #: what the integrity check found changed (empty: untouched)
    left: Names = []  #: threads, timers, signal handlers, processes the step left running (empty: none)
    error: bool = False  #: a code cell raised
    execution_count: Annotated[int, Meta(ge=0)] | None = None
    collected: Collected | None = None
    collect_error: Short | None = None


class Tampered(Struct, frozen=True, tag="tampered", tag_field="t", forbid_unknown_fields=True):
    """The running cell changed what the grader relies on, seen the moment it happened (the
    sandbox's audit hook) or before the grader used it (``integrity``); sent pre-encoded."""

    what: Short


class Broken(Struct, frozen=True, tag="broken", tag_field="t", forbid_unknown_fields=True):
    """The cell broke what the sandbox itself relies on (sent pre-encoded, without JSON)."""

    cell: AnyCell


class Crash(Struct, frozen=True, tag="crash", tag_field="t", forbid_unknown_fields=True):
    error: Short


class End(Struct, frozen=True, tag="end", tag_field="t", forbid_unknown_fields=True):
    pass


SandboxRecord = Union[Hello, Start, DoneStep, Tampered, Broken, Crash, End]
_SANDBOX_DECODER = msgspec.json.Decoder(SandboxRecord)
_ENCODER = msgspec.json.Encoder()


def encode(record: Any) -> bytes:
    """Any record of this module as JSON (the one encoder)."""
    return _ENCODER.encode(record)


def prime() -> None:
    """Encode and decode each record type once. msgspec keeps what it learnt of a type on the
    class (``__msgspec_cache__``): done in the zygote, before the tripwire's baseline, no
    sandbox adds a name to a class of the engine."""
    job = SandboxJob([Step(0, StepKind.CODE)], Limits())
    msgspec.json.decode(encode(job), type=SandboxJob)
    msgspec.json.decode(encode(ForkRequest("", "")), type=ZygoteRequest)
    step = DoneStep(
        0,
        StepKind.TEST,
        [Output("stream", name="stdout", text="")],
        0.0,
        [],
        collected=Collected([CaseOutcome(None)], []),
    )
    decode_sandbox_record(encode(step))
    msgspec.convert([{"output_type": "stream", "name": "stdout", "text": ""}], list[Output])
    for record in (Hello(0, 0.0, {}), Start(0), Tampered(""), Broken(0), Crash(""), End()):
        decode_sandbox_record(encode(record))


def decode_sandbox_record(data: bytes) -> SandboxRecord:
    """A record header from a sandbox, checked against the schema; raises only :class:`ChannelError`."""
    try:
        record = _SANDBOX_DECODER.decode(data)
    except (msgspec.DecodeError, RecursionError, MemoryError, ValueError) as exc:
        raise ChannelError(f"a record that is not the grader's ({_short(exc)})") from None
    if isinstance(record, DoneStep) and record.collected is not None:
        for part in (record.collected.visible, record.collected.hidden):
            for case in part:
                _check_depth(case.value, "a result")
                _check_depth(case.inputs_after, "the inputs after the call")
    for out in record.outputs if isinstance(record, DoneStep) else ():
        problem = out.problem()
        if problem:
            raise ChannelError(problem)
        _check_depth(out.data, "an output")
    return record


def _check_depth(value: Any, what: str) -> None:
    """No deeper than ``MAX_VALUE_DEPTH``, and no float that is not finite (iterative: bounded)."""
    stack = [(value, 0)]
    while stack:
        obj, depth = stack.pop()
        if depth > MAX_VALUE_DEPTH:
            raise ChannelError(f"{what} nested deeper than {MAX_VALUE_DEPTH} levels")
        if isinstance(obj, dict):
            stack.extend((v, depth + 1) for v in obj.values())
        elif isinstance(obj, list):
            stack.extend((v, depth + 1) for v in obj)
        elif isinstance(obj, float) and not math.isfinite(obj):
            raise ChannelError(f"{what} holds a number that is not finite")


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + " ..."


# --- worker -> driver: a submission's runs ---------------------------------------------------


class BadCell(Struct, frozen=True, forbid_unknown_fields=True):
    """A cell left out of a submission's runs, and why (in words, for the flag)."""

    fault: Fault
    reason: Short


class Kill(Struct, frozen=True, forbid_unknown_fields=True):
    """The worker killed a sandbox: why, in which cell (None: before any), and what it saw."""

    fault: Fault
    cell: AnyCell | None
    detail: Short = ""


class RunSummary(Struct, frozen=True, forbid_unknown_fields=True):
    """One sandbox run of a submission: how long, how it ended."""

    wall_s: Seconds
    exit: Exited | None = None
    kill: Kill | None = None


class WorkerTimings(Struct, forbid_unknown_fields=True):
    startup_s: Seconds = 0.0  #: this task's share of starting the zygote
    compute_s: Seconds = 0.0  #: the runs, replays included
    maxrss_kb: Count = 0  #: the largest sandbox
    worker_pid: int = 0
    zygote_pid: int = 0
    zygote_start_s: Seconds = 0.0
    worker_maxrss_kb: Count = 0
    zygote_rss_kb: Count = 0


class RunResult(Struct, forbid_unknown_fields=True):
    """What the worker hands back for one submission notebook: data only."""

    steps: dict[int, DoneStep] = {}  #: cell -> its last good record
    blobs: dict[int, bytes] = {}  #: test cell -> the tensors ``collect`` sent (safetensors)
    bad: dict[int, BadCell] = {}  #: cells left out; -1: a fault no cell is to blame for
    status: RunStatus = RunStatus.OK
    runs: list[RunSummary] = []
    timings: WorkerTimings = msgspec.field(default_factory=WorkerTimings)


# --- the driver: verdicts, rows, the journal --------------------------------------------------


class Verdict(Struct, forbid_unknown_fields=True):
    """The score of one graded cell and why, with what the checker decided as data."""

    grade_id: str
    exercise: str | None
    title: str  #: the exercise's title (the grade id for cells without a checker)
    score: float | None
    max_score: float
    status: VerdictStatus
    message: str = ""  #: in words: the checker's own message, or the engine's reason
    flags: list[str] = []
    result: CheckResult | None = None  #: the checker's result (the failing part, else the hidden one)

    @property
    def code(self) -> str | None:
        """The misconception the checker named, when the verdict is the checker's (a flag on
        it, such as a repair by collect, keeps what the checker found)."""
        judged = self.status in (VerdictStatus.FAILED, VerdictStatus.PARTIAL, VerdictStatus.FLAGGED)
        return self.result.code if judged and self.result is not None else None

    @property
    def hint(self) -> str | None:
        """The checker's hint, else the catalogue's fix for the misconception."""
        judged = self.status in (
            VerdictStatus.FAILED,
            VerdictStatus.PARTIAL,
            VerdictStatus.PASSED,
            VerdictStatus.FLAGGED,
        )
        return self.result.fix() if judged and self.result is not None else None


class Timings(Struct, forbid_unknown_fields=True):
    """Where one submission notebook's time went (``WorkerTimings`` plus the driver's part)."""

    startup_s: float = 0.0
    compute_s: float = 0.0
    runs: int = 0
    maxrss_kb: int = 0
    worker_pid: int | None = None
    zygote_pid: int | None = None  #: which zygote forked its sandboxes (a clone has its own)
    zygote_start_s: float = 0.0
    worker_maxrss_kb: int = 0
    zygote_rss_kb: int = 0
    judge_s: float = 0.0
    gradebook_s: float = 0.0
    exercise_s: dict[str, float] = {}  #: sandbox seconds per exercise (the report's time in grading)


class Row(Struct, forbid_unknown_fields=True):
    """One submission notebook's outcome: every submission gets one, whatever happens."""

    student: str
    notebook: str
    status: RowStatus
    score: float = 0.0
    max_score: float = 0.0
    cells: dict[str, Verdict] = {}  #: grade id -> verdict
    flags: list[str] = []
    notes: list[str] = []
    timings: Timings = msgspec.field(default_factory=Timings)
    unchanged: list[str] = []  #: answer cells left as released ("No response.")
    resumed: bool = False  #: read from the journal, not graded in this run (not journalled)


class RegradeNote(Struct, frozen=True, forbid_unknown_fields=True):
    at: str
    how: str
    exercises: list[str]


class NotebookEntry(Struct, forbid_unknown_fields=True):
    row: Row


class JournalEntry(Struct, forbid_unknown_fields=True):
    """``<course>/engine/results/<assignment>/<student>.json``: one student's graded notebooks."""

    format: int
    key: str  #: what the entry is valid for (journal.key: engine, limits, source, submission)
    recorded: bool  #: the gradebook holds it
    notebooks: dict[str, NotebookEntry]
    checkers: dict[str, dict[str, str]] = {}  #: exercise -> checker fingerprint (for regrade)
    limits: Limits = msgspec.field(default_factory=Limits)
    regraded: list[RegradeNote] = []

    def rows(self) -> list[Row]:
        return [nb.row for nb in self.notebooks.values()]
