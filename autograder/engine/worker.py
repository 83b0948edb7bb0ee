"""One submission on one Dask worker: fork a sandbox, watch it, replay around bad cells.

The worker is trusted: it enforces the wall limit per cell (killing the sandbox's whole
session), kills a sandbox whose integrity record names a change, and decides which cell
was bad when a run ends early (died, timed out, tampered, broke the sandbox, sent garbage). Each bad cell is left out
and the submission replayed from a fresh fork, so one exercise's crash costs that
exercise (and those that need its names), never the honest ones around it.

It returns plain data (JSON-able dicts and safetensors bytes) to the driver.
"""

from __future__ import annotations

import fcntl
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import psutil

from autograder.engine.protocol import Reader

SLOT_DIR = os.path.join(tempfile.gettempdir(), "autograder-engine-slots")
#: Job folders (the hidden cases of one run), one subfolder per worker process, so that
#: what a killed worker left behind is found and removed by the next one.
JOBS_DIR = os.path.join(tempfile.gettempdir(), "autograder-engine-jobs")
_JOB_PARENT: str | None = None
#: Sandbox uids when the grader runs as root: one per concurrent sandbox slot.
UID_BASE = 62000
MAX_SLOTS = 256


class ZygoteError(RuntimeError):
    pass


def _slot() -> tuple[int, object]:
    """A slot number no other live zygote on this machine holds (flock, freed on death)."""
    os.makedirs(SLOT_DIR, mode=0o700, exist_ok=True)
    for n in range(MAX_SLOTS):
        f = open(os.path.join(SLOT_DIR, f"slot-{n}.lock"), "w")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return n, f
        except OSError:
            f.close()
    raise ZygoteError("no free sandbox slot")


class Zygote:
    """The worker's handle on its zygote process (started once, reused)."""

    def __init__(self, extra_checks: tuple[str, ...] = ()):
        self.slot, self._slot_file = _slot()
        self.uid = UID_BASE + self.slot if os.geteuid() == 0 else None
        env = {k: v for k, v in os.environ.items()
               if k in ("PATH", "LANG", "LC_ALL", "HOME", "PYTHONPATH", "VIRTUAL_ENV", "TMPDIR")}
        t0 = time.perf_counter()
        self.log = os.path.join(SLOT_DIR, f"zygote-{self.slot}.log")
        with open(self.log, "wb") as log:  # its stderr: why it failed to start, if it does
            self.proc = subprocess.Popen([sys.executable, "-m", "autograder.engine.zygote", *extra_checks],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                         env=env, cwd="/", bufsize=0)
        self._buf = b""
        try:
            hello = self._line(timeout=180)
        except ZygoteError as exc:
            self.proc.kill()
            with open(self.log, errors="replace") as f:
                raise ZygoteError(f"{exc}; its log ends with:\n{f.read()[-2000:]}") from None
        if not hello.get("ready"):
            raise ZygoteError(f"zygote did not start: {hello}")
        self.start_s = time.perf_counter() - t0
        self.extra_checks = tuple(extra_checks)
        self.lock = threading.Lock()

    def _pop_line(self) -> dict | None:
        if b"\n" not in self._buf:
            return None
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def _read(self) -> None:
        data = os.read(self.proc.stdout.fileno(), 65536)
        if not data:
            raise ZygoteError("zygote exited")
        self._buf += data

    def _line(self, timeout: float) -> dict:
        """The zygote's next message (its own buffer first: two may come in one read)."""
        deadline = time.monotonic() + timeout
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        while (msg := self._pop_line()) is None:
            if not sel.select(max(0.0, deadline - time.monotonic())):
                raise ZygoteError("zygote did not answer")
            self._read()
        return msg

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.alive():
            self.proc.stdin.close()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    # -- one run ---------------------------------------------------------------------
    def run(self, job_dir: str, cell_timeout: float, max_blob: int) -> dict:
        """Fork a sandbox on ``job_dir``; return its records and how it ended."""
        fifo = os.path.join(job_dir, "channel")
        os.mkfifo(fifo, 0o600)
        rfd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        reader = Reader(max_blob)
        records: list[tuple[dict, bytes]] = []
        ended = None
        killed = None
        pid = None
        current = None
        deadline = time.monotonic() + cell_timeout + 30  # start-up
        t0 = time.perf_counter()
        try:
            self.proc.stdin.write((json.dumps({"job_dir": job_dir, "fifo": fifo, "uid": self.uid}) + "\n").encode())
            pid = self._line(timeout=30)["pid"]
            sel = selectors.DefaultSelector()
            sel.register(rfd, selectors.EVENT_READ, "fifo")
            sel.register(self.proc.stdout, selectors.EVENT_READ, "zygote")
            killed_at = None
            while ended is None:
                ended = self._pop_line()
                if ended is not None:
                    break
                if killed_at is not None and time.monotonic() - killed_at > 30:
                    raise ZygoteError("the zygote did not report a killed sandbox")
                wait = max(0.0, deadline - time.monotonic())
                events = sel.select(timeout=min(wait, 1.0))
                for key, _ in events:
                    if key.data == "fifo":
                        try:
                            data = os.read(rfd, 1 << 20)
                        except BlockingIOError:
                            data = b""
                        if not data:  # every writer closed: the sandbox is gone
                            sel.unregister(rfd)
                            continue
                        for header, blob in reader.feed(data):
                            records.append((header, blob))
                            kind = header.get("t")
                            if kind == "start":
                                current = header.get("cell")
                                deadline = time.monotonic() + cell_timeout
                            elif kind == "broken" and killed is None:
                                killed = ("tampered", header.get("cell"),
                                          ["what the sandbox relies on (it broke after this cell)"])
                                _killpg(pid)
                            elif kind == "done-step":
                                current = None
                                deadline = time.monotonic() + cell_timeout
                                if header.get("changed", ["(no integrity record)"]) and killed is None:
                                    killed = ("tampered", header.get("cell"), header.get("changed") or [])
                                    _killpg(pid)
                        if reader.error and killed is None:
                            killed = ("garbage", current, reader.error)
                            _killpg(pid)
                    else:
                        self._read()
                if ended is None and time.monotonic() > deadline and killed is None:
                    killed = ("timeout", current, None)
                    _killpg(pid)
                if killed is not None and killed_at is None:
                    killed_at = time.monotonic()
            # drain what the sandbox wrote before it ended
            while True:
                try:
                    data = os.read(rfd, 1 << 20)
                except BlockingIOError:
                    break
                if not data:
                    break
                records.extend(reader.feed(data))
        finally:
            os.close(rfd)
        return {"records": records, "exit": ended, "killed": killed, "wall_s": time.perf_counter() - t0}


def _killpg(pid: int | None) -> None:
    if pid:
        for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
            try:
                target()
            except (ProcessLookupError, PermissionError):
                pass


_ZYGOTE: Zygote | None = None
_ZYGOTE_LOCK = threading.Lock()


def zygote(extra_checks: tuple[str, ...] = ()) -> tuple[Zygote, bool]:
    """This process's zygote, started on first use (and again if it died)."""
    global _ZYGOTE
    with _ZYGOTE_LOCK:
        fresh = False
        if _ZYGOTE is None or not _ZYGOTE.alive() or _ZYGOTE.extra_checks != tuple(extra_checks):
            if _ZYGOTE is not None:
                _ZYGOTE.close()
            _ZYGOTE = Zygote(tuple(extra_checks))
            fresh = True
        return _ZYGOTE, fresh


def warm(extra_checks: tuple[str, ...] = ()) -> float:
    """Start this worker's zygote now (a Dask task sent to each worker at start)."""
    zyg, fresh = zygote(tuple(extra_checks))
    return zyg.start_s if fresh else 0.0


# --- one submission, with replays ---------------------------------------------------------

def _failed_step(run: dict) -> tuple[int | None, str, str]:
    """(cell, status, reason) of a run that did not reach its end."""
    records = run["records"]
    done = {h.get("cell") for h, _ in records if h.get("t") == "done-step"}
    started = [h.get("cell") for h, _ in records if h.get("t") == "start"]
    last = started[-1] if started else None
    pending = last if last is not None and last not in done else None
    killed = run["killed"]
    if killed:
        kind, cell, detail = killed
        if kind == "tampered":
            return cell, "tampered", "changed " + ", ".join(detail) if detail else "changed the grading environment"
        if kind == "timeout":
            return (cell if cell is not None else pending), "timeout", "ran past the time limit"
        return (cell if cell is not None else pending), "garbage", str(detail)
    crash = next((h for h, _ in records if h.get("t") == "crash"), None)
    ex = run["exit"] or {}
    code = ex.get("exit")
    if code is not None and code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        why = {"SIGXCPU": "used up its CPU time", "SIGKILL": "was killed (CPU time or memory)"}.get(name, f"died of {name}")
        status = "cpu-limit" if name in ("SIGXCPU",) else "died"
        return pending, status, f"the process {why}"
    if crash and pending is None:
        return None, "engine-error", crash.get("error", "sandbox failed")
    return pending, "died", f"the process exited with status {code}" + (f" ({crash['error']})" if crash else "")


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


def run_submission(job: dict, shared: dict) -> dict:
    """The Dask task: run one submission (see module docstring); plain data back.

    ``shared`` holds the encoded cases (``json``, ``blob``), sent once to every worker.
    """
    t_start = time.perf_counter()
    zyg, fresh = zygote(tuple(job.get("extra_checks", ())))
    startup_s = zyg.start_s if fresh else 0.0
    limits = job["limits"]
    steps: dict[int, dict] = {}
    blobs: dict[int, bytes] = {}
    bad: dict[int, dict] = {}
    runs = []
    status = "ok"
    for attempt in range(int(limits["max_runs"])):
        job_dir = tempfile.mkdtemp(prefix="ag-job-", dir=_job_parent())
        try:
            _write_job(job_dir, job, shared, sorted(bad), zyg.uid)
            run = zyg.run(job_dir, float(limits["cell_timeout_s"]), (limits["result_mb"] + 1) << 20)
        finally:
            shutil.rmtree(job_dir, ignore_errors=True)
        runs.append({"wall_s": run["wall_s"], "exit": run["exit"], "killed": run["killed"] and list(run["killed"][:2])})
        for header, blob in run["records"]:
            if header.get("t") == "done-step":
                cell = header["cell"]
                if run["killed"] and run["killed"][0] == "tampered" and run["killed"][1] == cell:
                    continue
                steps[cell] = header
                blobs[cell] = blob
        if any(h.get("t") == "end" for h, _ in run["records"]) and not run["killed"]:
            break
        cell, why, reason = _failed_step(run)
        if cell is None or cell in bad:
            status = why if why != "ok" else "engine-error"
            bad.setdefault(-1, {"status": why, "reason": reason})
            break
        bad[cell] = {"status": why, "reason": reason}
        steps.pop(cell, None)
        blobs.pop(cell, None)
    else:
        status = "too-many-failures"
    maxrss = max([(r["exit"] or {}).get("maxrss_kb", 0) for r in runs] + [0])
    return {
        "steps": {str(k): v for k, v in steps.items()}, "blobs": {str(k): v for k, v in blobs.items()},
        "bad": {str(k): v for k, v in bad.items()}, "status": status, "runs": runs,
        "startup_s": startup_s, "compute_s": time.perf_counter() - t_start - startup_s,
        "maxrss_kb": maxrss, "worker_pid": os.getpid(), "zygote_pid": zyg.proc.pid, "zygote_start_s": zyg.start_s,
        "worker_maxrss_kb": _peak_rss_kb("self"), "zygote_rss_kb": _peak_rss_kb(zyg.proc.pid),
    }


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


def _write_job(job_dir: str, job: dict, shared: dict, skip: list[int], uid: int | None) -> None:
    os.chmod(job_dir, 0o711)
    work = os.path.join(job_dir, "work")
    os.mkdir(work, 0o700)
    for name, data in job["files"].items():
        with open(os.path.join(work, os.path.basename(name)), "wb") as f:
            f.write(data)
    if uid is not None:
        for root, dirs, files in os.walk(work):
            for n in dirs + files:
                os.chown(os.path.join(root, n), uid, uid)
        os.chown(work, uid, uid)
    spec = {"steps": job["steps"], "limits": job["limits"], "skip": skip}
    for name, data in (("job.json", json.dumps(spec).encode()), ("cases.json", shared["json"] or b"{}"),
                       ("cases.safetensors", shared["blob"])):
        if data:
            fd = os.open(os.path.join(job_dir, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
