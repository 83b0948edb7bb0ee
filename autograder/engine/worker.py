"""One submission on one Dask worker: fork a sandbox, watch it, replay around bad cells.

The worker is trusted: it enforces the wall limit per cell (killing the sandbox's whole
session), reads the sandbox's records through a validating :class:`protocol.Channel`,
kills a sandbox whose integrity record names a change or whose records break the
channel, and decides which cell was bad when a run ends early (died, timed out,
tampered, broke the sandbox, sent what the channel refuses). Each bad cell is left out
and the submission replayed from a fresh fork, so one exercise's crash costs that
exercise (and those that need its names), never the honest ones around it.

Nothing a sandbox sends can raise here: the channel turns it into a violation. Anything
that goes wrong between the worker and its zygote (an answer that is not the protocol's,
a zygote that died or went silent) discards that zygote, so the next submission gets a
fresh one and never reads a message meant for another run.

It returns a :class:`records.RunResult` (data only) to the driver.
"""

from __future__ import annotations

import errno
import os
import select
import selectors
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field

import msgspec
import psutil

from autograder.engine.protocol import Channel
from autograder.engine.warmup import MAX_SLOTS, SLOT_DIR, Launched, launch, slot  # noqa: F401  (MAX_SLOTS: the tests)
from autograder.engine.records import (
    KILLS,
    BadCell,
    Broken,
    CloneRequest,
    Cloned,
    Crash,
    DoneStep,
    End,
    Exited,
    Fault,
    ForkRequest,
    Forked,
    Job,
    Kill,
    Ready,
    RunResult,
    RunStatus,
    RunSummary,
    SandboxJob,
    Start,
    Tampered,
    WarmRequest,
    WorkerTimings,
    ZygoteMessage,
    ZygoteSpec,
    encode,
)

#: Job folders (the hidden cases of one run), one subfolder per worker process, so that
#: what a killed worker left behind is found and removed by the next one.
JOBS_DIR = os.path.join(tempfile.gettempdir(), "autograder-engine-jobs")
_JOB_PARENT: str | None = None
#: Sandbox uids when the grader runs as root: one per concurrent sandbox slot.
UID_BASE = 62000
#: Seconds a sandbox may take to start (fork, confine, say hello) on top of a cell's limit.
START_S = 30.0
#: Seconds the zygote has to report a sandbox the worker killed.
REPORT_S = 30.0


#: A zygote with nothing beyond the course's own checkers.
PLAIN = ZygoteSpec()


class ZygoteError(RuntimeError):
    """The zygote broke the protocol, died or went silent: it is discarded."""


@dataclass
class RunOutcome:
    """One sandbox run as the worker saw it: the channel's records, how it ended, why it was killed."""

    channel: Channel
    exited: Exited | None = None
    kill: Kill | None = None
    kept: int = 1 << 62  #: records from the first one that condemned the run on are not the run's to keep
    wall_s: float = 0.0


@dataclass
class _Watch:
    """Deadlines and kills of one run: what each record of the channel means for the sandbox."""

    pid: int
    cell_timeout: float
    deadline: float = 0.0
    kill: Kill | None = None
    killed_at: float | None = None
    kill_record: int = 1 << 62  #: the channel's record that condemned the run (what came later is not kept)
    seen: int = 0  #: records of the channel already looked at
    alive: bool = True  #: False once the zygote reported the sandbox's end (its pid may be reused)

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.cell_timeout + START_S

    def on_records(self, channel: Channel) -> None:
        for i in range(self.seen, len(channel.records)):
            record = channel.records[i][0]
            if isinstance(record, (Start, DoneStep)):
                self.deadline = time.monotonic() + self.cell_timeout
            if isinstance(record, Tampered):
                self.stop(Kill(Fault.TAMPERED, channel.running[i], record.what), i)
            elif isinstance(record, Broken):
                self.stop(Kill(Fault.TAMPERED, record.cell, "what the sandbox relies on (it broke after this cell)"), i)
            elif isinstance(record, DoneStep) and record.changed:
                self.stop(Kill(Fault.TAMPERED, record.cell, ", ".join(record.changed)), i)
            elif isinstance(record, DoneStep) and record.left:
                self.stop(Kill(Fault.LEFT_BEHIND, record.cell, ", ".join(record.left)), i)
        self.seen = len(channel.records)
        if channel.violation is not None:
            self.stop(Kill(Fault.CHANNEL, channel.blame, channel.violation), len(channel.records))

    def on_clock(self, channel: Channel) -> None:
        if time.monotonic() > self.deadline:
            half = channel.half_frame()  # the sandbox writes a record whole: a half one is not its own
            if half is not False:
                self.stop(
                    Kill(
                        Fault.CHANNEL,
                        half if half is not None else channel.current,
                        "a record that announced more than it held",
                    ),
                    len(channel.records),
                )
            self.stop(Kill(Fault.TIMEOUT, channel.current, "ran past the time limit"), len(channel.records))
        if self.killed_at is not None and time.monotonic() - self.killed_at > REPORT_S:
            raise ZygoteError("the zygote did not report a killed sandbox")

    def stop(self, kill: Kill, record: int) -> None:
        if self.kill is None:
            self.kill, self.killed_at, self.kill_record = kill, time.monotonic(), record
            if self.alive:
                _killpg(self.pid)


class ClonedProcess:
    """What :class:`Zygote` uses of a ``Popen``, for a zygote forked from another one: it is
    no child of this process, so its pipes are FIFOs and its life is watched and ended
    through a pidfd (which, unlike a pid, never names another process later)."""

    def __init__(self, pid: int, pidfd: int, requests_fd: int, replies_fd: int):
        self.pid = pid
        self.pidfd = pidfd
        self.stdin = os.fdopen(requests_fd, "wb", buffering=0)
        self.stdout = os.fdopen(replies_fd, "rb", buffering=0)
        self.returncode: int | None = None
        self._lock = threading.Lock()  # the pool's threads stop a zygote while its own thread may too

    def _ended(self, timeout: float | None) -> bool:
        if self.returncode is None and select.select([self.pidfd], [], [], timeout)[0]:
            with self._lock:
                if self.returncode is None:
                    self.returncode = -1  # ended; its exit status is its parent's to read
                    self.stdin.close()
        return self.returncode is not None

    def __del__(self) -> None:  # the pidfd lives as long as the handle: another thread may select on it
        try:
            os.close(self.pidfd)
        except OSError:
            pass

    def poll(self) -> int | None:
        self._ended(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended(timeout):
            raise subprocess.TimeoutExpired(f"zygote {self.pid}", timeout or 0)
        return -1

    def kill(self) -> None:
        with self._lock:
            if self.returncode is None:
                try:
                    signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def _open_writer(path: str, pidfd: int, deadline: float) -> int:
    """Open a FIFO to write once its reader (the clone) has it open; give up when it ended or at ``deadline``."""
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            os.set_blocking(fd, True)
            return fd
        except OSError as exc:
            if exc.errno != errno.ENXIO or time.monotonic() > deadline:
                raise ZygoteError(f"the clone did not open its requests ({exc})") from None
        if select.select([pidfd], [], [], 0.005)[0]:
            raise ZygoteError("the clone ended before it opened its requests")


class Zygote:
    """The worker's handle on its zygote process (started once, reused until it fails)."""

    def __init__(self, spec: ZygoteSpec = PLAIN, launched: Launched | None = None):
        """Start a zygote on ``spec`` (or adopt one ``warmup.launch`` started on it) and wait until it is warm."""
        if launched is None:
            try:
                launched = launch(encode(spec).decode())
            except RuntimeError as exc:
                raise ZygoteError(str(exc)) from None
        self.slot, self._slot_file, self.log, self.proc = launched.slot, launched.slot_file, launched.log, launched.proc
        t0 = launched.t0
        self.uid = UID_BASE + self.slot if os.geteuid() == 0 else None
        self.spec = spec
        self.broken = False
        self.current: int | None = None  #: the sandbox running now
        self._buf = b""
        self._decoder = msgspec.json.Decoder(ZygoteMessage)
        try:
            self.ready = self._expect(Ready, timeout=180)
        except ZygoteError as exc:
            self.proc.kill()
            with open(self.log, errors="replace") as f:
                raise ZygoteError(f"{exc}; its log ends with:\n{f.read()[-2000:]}") from None
        self.start_s = time.perf_counter() - t0
        self.lock = threading.Lock()

    # -- the protocol ------------------------------------------------------------------
    def _message(self) -> ZygoteMessage | None:
        """The next whole line from the zygote, decoded (its own buffer first: two may come in one read)."""
        if b"\n" not in self._buf:
            return None
        line, self._buf = self._buf.split(b"\n", 1)
        try:
            return self._decoder.decode(line)
        except (msgspec.DecodeError, RecursionError, ValueError) as exc:
            raise ZygoteError(f"the zygote said something that is not the protocol's ({exc})") from None

    def _stdout(self):
        assert self.proc.stdout is not None  # Popen(stdout=PIPE)
        return self.proc.stdout

    def _read(self) -> None:
        data = os.read(self._stdout().fileno(), 65536)
        if not data:
            raise ZygoteError("zygote exited")
        self._buf += data

    def _expect(self, kind: type, timeout: float):
        """The zygote's next message, which must be a ``kind``."""
        deadline = time.monotonic() + timeout
        sel = selectors.DefaultSelector()
        sel.register(self._stdout(), selectors.EVENT_READ)
        try:
            while (msg := self._message()) is None:
                if not sel.select(max(0.0, deadline - time.monotonic())):
                    raise ZygoteError("zygote did not answer")
                self._read()
        finally:
            sel.close()
        if not isinstance(msg, kind):
            raise ZygoteError(f"the zygote answered {type(msg).__name__} where {kind.__name__} was due")
        return msg

    def warm(self, spec: ZygoteSpec) -> None:
        """Import what another assignment needs, take its paths (nothing when all is done already)."""
        missing = tuple(sorted(set(spec.warm_imports) - set(self.spec.warm_imports)))
        have = self.spec.warm_paths
        paths = () if have is None else tuple(p for p in (spec.warm_paths or ()) if p not in have)
        if spec.warm_paths is None and have is not None:
            paths = ("optimizer", "data-loader", "serialization", "meta")
        if not missing and not paths:
            return
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(encode(WarmRequest(missing, paths)) + b"\n")
            self._expect(Ready, timeout=180)
        except BaseException:
            self.broken = True
            self.close()
            raise
        self.spec = ZygoteSpec(
            self.spec.extra_checks,
            tuple(sorted(set(self.spec.warm_imports) | set(missing))),
            None if have is None else tuple(sorted(set(have) | set(paths))),
            self.spec.all_checkers,
        )

    def clone(self) -> "Zygote":
        """Another zygote, forked from this warm one (``zygote._clone``): milliseconds, where a
        fresh one takes seconds of a core the sandboxes need. Between runs only; a clone that
        fails to start is killed, and this zygote is discarded only if its answer was wrong."""
        n, lock = slot()
        folder = tempfile.mkdtemp(prefix="autograder-clone-")
        requests, replies = os.path.join(folder, "requests"), os.path.join(folder, "replies")
        os.mkfifo(requests, 0o600)
        os.mkfifo(replies, 0o600)
        t0 = time.perf_counter()
        replies_fd = os.open(replies, os.O_RDONLY | os.O_NONBLOCK)
        try:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write(encode(CloneRequest(requests, replies)) + b"\n")
                pid = self._expect(Cloned, timeout=30).pid
            except BaseException:
                self.broken = True  # out of step with its worker
                self.close()
                raise
            pidfd = os.pidfd_open(pid)
            try:
                requests_fd = _open_writer(requests, pidfd, time.monotonic() + 30)
            except BaseException:
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                os.close(pidfd)
                raise
        except BaseException:
            os.close(replies_fd)
            lock.close()  # type: ignore[attr-defined]
            raise
        finally:
            shutil.rmtree(folder, ignore_errors=True)  # both ends are open (or never will be)
        proc = ClonedProcess(pid, pidfd, requests_fd, replies_fd)
        try:
            return Zygote(self.spec, Launched(n, lock, self.log, proc, t0))  # type: ignore[arg-type]
        except BaseException:
            proc.kill()
            lock.close()  # type: ignore[attr-defined]
            raise

    def alive(self) -> bool:
        return not self.broken and self.proc.poll() is None

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            try:
                self.proc.stdin.close()
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()

    # -- one run ---------------------------------------------------------------------
    def run(self, job_dir: str, channel: Channel, cell_timeout: float) -> RunOutcome:
        """Fork a sandbox on ``job_dir`` and watch it to its end. A protocol failure breaks this zygote."""
        t0 = time.perf_counter()
        fifo = os.path.join(job_dir, "channel")
        os.mkfifo(fifo, 0o600)
        rfd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        outcome = RunOutcome(channel)
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(encode(ForkRequest(job_dir, fifo, self.uid)) + b"\n")
            watch = _Watch(self._expect(Forked, timeout=30).pid, cell_timeout)
            self.current = watch.pid
            outcome.exited = self._watch(rfd, channel, watch)
            watch.alive = False
            self.current = None
            _drain(rfd, channel)
            watch.on_records(channel)  # what came after the last look: a tampered last cell too
            outcome.kill, outcome.kept = watch.kill, watch.kill_record
        except BaseException:
            self.broken = True  # out of step, or gone: never used again
            self.close()
            raise
        finally:
            os.close(rfd)
            outcome.wall_s = time.perf_counter() - t0
        return outcome

    def _watch(self, rfd: int, channel: Channel, watch: _Watch) -> Exited:
        """Read the channel and the zygote until the zygote reports the sandbox's end."""
        sel = selectors.DefaultSelector()
        sel.register(rfd, selectors.EVENT_READ, "fifo")
        sel.register(self._stdout(), selectors.EVENT_READ, "zygote")
        try:
            while (msg := self._message()) is None:
                wait = max(0.0, watch.deadline - time.monotonic())
                for key, _ in sel.select(timeout=min(wait, 1.0)):
                    if key.data == "zygote":
                        self._read()
                    elif not _read_channel(rfd, channel):  # every writer closed: the sandbox is gone
                        sel.unregister(rfd)
                watch.on_records(channel)
                watch.on_clock(channel)
        finally:
            sel.close()
        if not isinstance(msg, Exited):
            raise ZygoteError(f"the zygote answered {type(msg).__name__} where Exited was due")
        return msg


def _read_channel(rfd: int, channel: Channel) -> bool:
    """Feed what the FIFO holds to the channel; False when every writer has closed it."""
    try:
        data = os.read(rfd, 1 << 20)
    except BlockingIOError:
        return True
    if not data:
        return False
    channel.feed(data)
    return True


def _drain(rfd: int, channel: Channel) -> None:
    """What the sandbox wrote before it ended, then the end of the channel."""
    while True:
        try:
            data = os.read(rfd, 1 << 20)
        except BlockingIOError:
            break
        if not data:
            break
        channel.feed(data)
    channel.close()


def _killpg(pid: int | None) -> None:
    if pid:
        for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
            try:
                target()
            except (ProcessLookupError, PermissionError):
                pass


_ZYGOTE: Zygote | None = None
_ZYGOTE_LOCK = threading.Lock()


def zygote(spec: ZygoteSpec = PLAIN) -> tuple[Zygote, bool]:
    """This process's zygote, started on first use (and again if it died, broke or has another spec)."""
    global _ZYGOTE
    with _ZYGOTE_LOCK:
        if (
            _ZYGOTE is not None
            and _ZYGOTE.alive()
            and _ZYGOTE.spec.extra_checks == spec.extra_checks
            and (_ZYGOTE.spec.all_checkers or not spec.all_checkers)
        ):
            try:
                _ZYGOTE.warm(spec)  # another assignment: its imports too, no new start
                return _ZYGOTE, False
            except ZygoteError:
                pass  # discarded: a fresh one below
        if _ZYGOTE is not None:
            _ZYGOTE.close()
        _ZYGOTE = Zygote(spec)
        return _ZYGOTE, True


def warm(spec: ZygoteSpec = PLAIN) -> float:
    """Start this worker's zygote now (a Dask task sent to each worker at start)."""
    zyg, fresh = zygote(spec)
    return zyg.start_s if fresh else 0.0


# --- one submission, with replays ---------------------------------------------------------


def blame(outcome: RunOutcome) -> tuple[int | None, BadCell]:
    """(the bad cell or None, why) of a run that did not reach its end."""
    channel = outcome.channel
    pending = channel.current
    kill = outcome.kill
    if kill is not None:
        cell = kill.cell if kill.cell is not None else pending
        if kill.fault == Fault.TAMPERED:
            return cell, BadCell(
                Fault.TAMPERED, "changed " + kill.detail if kill.detail else "changed the grading environment"
            )
        if kill.fault == Fault.CHANNEL:
            return cell, BadCell(Fault.CHANNEL, f"sent records the grader cannot accept: {kill.detail}")
        if kill.fault == Fault.LEFT_BEHIND:
            return cell, BadCell(Fault.LEFT_BEHIND, f"left running after it ended: {kill.detail}")
        return cell, BadCell(kill.fault, kill.detail)
    crash = next((r for r, _ in channel.records if isinstance(r, Crash)), None)
    code = outcome.exited.exit if outcome.exited is not None else None
    if code is not None and code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        why = {"SIGXCPU": "used up its CPU time", "SIGKILL": "was killed (CPU time or memory)"}.get(
            name, f"died of {name}"
        )
        return pending, BadCell(Fault.CPU_LIMIT if name == "SIGXCPU" else Fault.DIED, f"the process {why}")
    if crash is not None and pending is None:
        return None, BadCell(Fault.ENGINE_ERROR, crash.error)
    return pending, BadCell(
        Fault.DIED, f"the process exited with status {code}" + (f" ({crash.error})" if crash else "")
    )


def _ended(outcome: RunOutcome) -> bool:
    return outcome.kill is None and any(isinstance(r, End) for r, _ in outcome.channel.records)


@dataclass
class _Runs:
    """What the runs of one submission have gathered so far."""

    job: Job
    result: RunResult = field(default_factory=RunResult)

    def keep(self, outcome: RunOutcome) -> None:
        """The steps a run finished: not the step whose cell was killed, nor any step the sandbox
        reported after the record that condemned it (it ran on in a process already tampered with)."""
        kill = outcome.kill
        self.result.runs.append(RunSummary(outcome.wall_s, outcome.exited, kill))
        for record, blob in outcome.channel.records[: outcome.kept]:
            if isinstance(record, DoneStep):
                if kill is not None and kill.fault in KILLS and kill.cell == record.cell:
                    continue
                self.result.steps[record.cell] = record
                self.result.blobs[record.cell] = blob

    def leave_out(self, cell: int | None, why: BadCell) -> bool:
        """Mark a bad cell; False when the runs must stop (no cell to blame, or blamed twice)."""
        if cell is None or cell in self.result.bad:
            self.result.status = RunStatus.STOPPED
            self.result.bad.setdefault(-1, why)
            return False
        self.result.bad[cell] = why
        self.result.steps.pop(cell, None)
        self.result.blobs.pop(cell, None)
        return True

    def channel(self) -> Channel:
        skip = set(self.result.bad)
        steps = [(s.cell, s.kind) for s in self.job.steps if s.cell not in skip]
        return Channel(steps, (self.job.limits.result_mb + 1) << 20)


def run_submission(job: Job, shared: dict, zygotes=None) -> RunResult:
    """The Dask task: run one submission (see module docstring); data back, never an exception
    caused by what a sandbox did.

    ``shared`` holds the encoded cases (``json``, ``blob``), sent once to every worker.
    ``zygotes`` (spec -> (zygote, fresh)) gives the zygote to use: by default this process's
    own; ``pool.LocalPool`` gives each of its threads its own.
    """
    zygotes = zygotes or zygote
    t_start = time.perf_counter()
    zyg, fresh = zygotes(job.zygote)
    startup_s = time.perf_counter() - t_start if fresh else 0.0  # this task's wait for its zygote
    runs = _Runs(job)
    failures = 0
    for _attempt in range(job.limits.max_runs):
        try:
            outcome = _one_run(zyg, job, shared, sorted(runs.result.bad), runs.channel())
        except ZygoteError as exc:  # it was discarded: this run again, once, on a fresh one
            failures += 1
            if failures > 1:
                runs.leave_out(None, BadCell(Fault.ENGINE_ERROR, f"the sandbox's zygote failed: {exc}"))
                break
            t_zygote = time.perf_counter()
            zyg, fresh = zygotes(job.zygote)
            startup_s += time.perf_counter() - t_zygote
            continue
        runs.keep(outcome)
        if _ended(outcome):
            break
        if not runs.leave_out(*blame(outcome)):
            break
    else:
        runs.result.status = RunStatus.TOO_MANY_FAILURES
    runs.result.timings = _timings(runs.result, zyg, startup_s, t_start)
    return runs.result


def _one_run(zyg: Zygote, job: Job, shared: dict, skip: list[int], channel: Channel) -> RunOutcome:
    job_dir = tempfile.mkdtemp(prefix="ag-job-", dir=_job_parent())
    try:
        _write_job(job_dir, job, shared, skip, zyg.uid)
        return zyg.run(job_dir, channel, job.limits.cell_timeout_s)
    finally:
        shutil.rmtree(job_dir, ignore_errors=True)


def _timings(result: RunResult, zyg: Zygote, startup_s: float, t_start: float) -> WorkerTimings:
    maxrss = max([r.exit.maxrss_kb for r in result.runs if r.exit is not None] + [0])
    return WorkerTimings(
        startup_s=startup_s,
        compute_s=time.perf_counter() - t_start - startup_s,
        maxrss_kb=maxrss,
        worker_pid=os.getpid(),
        zygote_pid=zyg.proc.pid,
        zygote_start_s=zyg.start_s,
        worker_maxrss_kb=_peak_rss_kb("self"),
        zygote_rss_kb=_peak_rss_kb(zyg.proc.pid),
    )


def _job_parent() -> str:
    """This worker's folder for job folders; first, those of workers that died (a SIGKILL) go."""
    global _JOB_PARENT
    if _JOB_PARENT is None or not os.path.isdir(_JOB_PARENT):
        os.makedirs(JOBS_DIR, mode=0o711, exist_ok=True)
        os.chmod(JOBS_DIR, 0o711)  # sandboxes pass through to their own job folder, list nothing
        for entry in os.scandir(JOBS_DIR):
            if entry.name.isdigit() and not psutil.pid_exists(int(entry.name)):
                shutil.rmtree(entry.path, ignore_errors=True)
        _JOB_PARENT = os.path.join(JOBS_DIR, str(os.getpid()))
        os.makedirs(_JOB_PARENT, mode=0o711, exist_ok=True)
    return _JOB_PARENT


def _peak_rss_kb(pid) -> int:
    """VmHWM: the peak resident set of a process (ru_maxrss survives exec, this does not)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _write_job(job_dir: str, job: Job, shared: dict, skip: list[int], uid: int | None) -> None:
    os.chmod(job_dir, 0o711)
    work = os.path.join(job_dir, "work")
    os.mkdir(work, 0o700)
    for name, data in job.files.items():
        with open(os.path.join(work, os.path.basename(name)), "wb") as f:
            f.write(data)
    if uid is not None:
        for root, dirs, files in os.walk(work):
            for n in dirs + files:
                os.chown(os.path.join(root, n), uid, uid)
        os.chown(work, uid, uid)
    spec = encode(SandboxJob(job.steps, job.limits, skip))
    for name, data in (
        ("job.json", spec),
        ("cases.json", shared["json"] or b"{}"),
        ("cases.safetensors", shared["blob"]),
    ):
        if data:
            fd = os.open(os.path.join(job_dir, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
