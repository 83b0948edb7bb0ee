"""What runs in a sandbox: a child forked from the zygote, holding one submission.

``prepare()`` runs once in the zygote (the shell, matplotlib, the integrity baseline).
``run(request)`` runs in the forked child and never returns:

1. confine: own session, stdin/stdout/stderr to /dev/null, no other descriptors but
   the record channel, a scrubbed environment, a working directory holding only the
   submission, resource limits, and (when the grader is root) an unprivileged uid;
2. execute the planned cells in an IPython shell (magics work), capturing outputs;
3. at each exercise's test position, call ``Exercise.collect`` on the cases it was
   given as data (visible, then hidden), never ``decide``;
4. after every step, send the record and what the integrity check found changed, then go on.

It never judges: what it sends is data for the trusted side.
"""

from __future__ import annotations

import ctypes
import io
import json
import os
import resource
import sys
import time

from autograder.engine import protocol

SHELL = None
WATCHER = None
_LIBC = None
#: Records encoded in advance, sent without JSON or Python builtins when a cell broke them.
_BROKEN = {i: protocol.frame({"t": "broken", "cell": i}) for i in range(-1, 4000)}

#: Environment the student's code sees (everything else is dropped: no COURSE_SECRET).
def _clean_env(workdir: str) -> dict:
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir,
            "LANG": "C.UTF-8", "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            "MPLCONFIGDIR": workdir, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "COURSE_OFFLINE": "1", "COURSE_DEVICE": "cpu", "NBGRADER_EXECUTION": "autograde"}


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
        out = {"output_type": kind, "data": data, "metadata": {}}
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
    def encoding(self) -> str:
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


def prepare() -> None:
    """In the zygote: build the shell and the integrity baseline (no student code yet)."""
    global SHELL, WATCHER
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    from autograder.engine.integrity import Watcher

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
        """An InteractiveShell whose outputs and errors become nbformat outputs."""

        def enable_gui(self, gui=None):  # `%matplotlib inline` needs no event loop
            pass

        def _showtraceback(self, etype, evalue, stb):
            CAPTURE.outputs.append({"output_type": "error", "ename": getattr(etype, "__name__", str(etype)),
                                    "evalue": str(evalue), "traceback": list(stb)})

    c = Config()
    c.HistoryManager.enabled = False
    c.InteractiveShell.colors = "nocolor"
    c.InteractiveShell.xmode = "Plain"
    SHELL = SandboxShell.instance(config=c, displayhook_class=SandboxHook, display_pub_class=SandboxPublisher)
    SHELL.run_line_magic("matplotlib", "inline")
    # one harmless cell, so what a first run_cell installs (sys.excepthook...) is in the baseline
    SHELL.run_cell("import torch\n1", store_history=True)
    SHELL.run_cell("raise ValueError()", store_history=True)
    SHELL.execution_count = 1
    CAPTURE.outputs.clear()
    WATCHER = Watcher(SHELL)
    WATCHER.take_baseline()


# --- confinement -----------------------------------------------------------------------

def _prctl(option: int, arg: int) -> None:
    global _LIBC
    try:
        _LIBC = _LIBC or ctypes.CDLL(None, use_errno=True)
        _LIBC.prctl(option, arg, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _vm_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _confine(fd: int, workdir: str, uid: int | None, limits: dict) -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    for target in (0, 1, 2):
        os.dup2(devnull, target)
    os.closerange(3, fd)
    os.closerange(fd + 1, 4096)
    os.chdir(workdir)
    os.environ.clear()
    os.environ.update(_clean_env(workdir))
    mb = 1 << 20
    cpu = int(limits["cpu_s"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_mb"] * mb, limits["file_mb"] * mb))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    memory = _vm_bytes() + limits["memory_mb"] * mb
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    if uid is not None and os.geteuid() == 0:
        _hide(HIDDEN_PATHS)
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    nproc = int(limits["processes"])
    if uid is None:  # same user as the grader: count what it already runs
        nproc += _count_tasks()
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    _prctl(38, 1)  # PR_SET_NO_NEW_PRIVS: no setuid binaries
    _prctl(1, 9)  # PR_SET_PDEATHSIG = SIGKILL: die with the zygote (after setuid, which clears it)


def _repository_secrets() -> tuple[str, ...]:
    """Folders of the course's repository that hold solutions (its history too), when it is a checkout."""
    import course

    root = os.path.dirname(os.path.dirname(os.path.abspath(course.__file__)))
    return tuple(p for p in (os.path.join(root, n) for n in ("solutions", "tests", ".git", "out"))
                 if os.path.isdir(p))


#: Hidden from the sandbox (an empty read-only tmpfs on top, in its own mount namespace).
HIDDEN_PATHS = _repository_secrets()


def _hide(paths) -> bool:
    """As root, before the uid drop: a private mount namespace in which ``paths`` are empty.

    The repository stays installed and world-readable (the sandbox imports from it), but
    its ``solutions/`` and its git history must not be readable by student code. Without
    CAP_SYS_ADMIN (some containers) this does nothing and says so (False).
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if not paths or libc.unshare(0x00020000) != 0:  # CLONE_NEWNS
        return False
    if libc.mount(b"none", b"/", None, 0x4000 | 0x40000, None) != 0:  # MS_REC | MS_PRIVATE: nothing leaks out
        return False
    ok = True
    for path in paths:  # MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC
        ok &= libc.mount(b"tmpfs", path.encode(), b"tmpfs", 1 | 2 | 4 | 8, b"size=4k,mode=0555") == 0
    return ok


def _count_tasks() -> int:
    uid = os.getuid()
    n = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.stat(f"/proc/{pid}").st_uid == uid:
                    n += len(os.listdir(f"/proc/{pid}/task"))
            except OSError:
                pass
    return n


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


def load_cases(job_dir: str) -> dict:
    from safetensors.torch import load_file

    from course.checking.values import decode

    with open(os.path.join(job_dir, "cases.json")) as f:
        encoded = json.load(f)
    path = os.path.join(job_dir, "cases.safetensors")
    tensors = load_file(path) if os.path.exists(path) else {}
    return {ex: {part: _live(decode(obj, tensors)) for part, obj in parts.items()} for ex, parts in encoded.items()}


def _collect(exercise_id: str, cases: dict, limits: dict) -> tuple[dict, bytes]:
    """Run ``collect`` for the visible and hidden cases; (JSON header part, safetensors)."""
    from safetensors.torch import save

    from course.checking.exercise import REGISTRY, Outcome
    from course.checking.values import Raised, describe, encode, type_name

    ex = REGISTRY[exercise_id]
    ns = SHELL.user_ns
    missing = [name for name in ex.answers if name not in ns]
    tensors: dict = {}
    parts = {}
    global CAPTURE
    for part in ("visible", "hidden"):
        part_cases = cases.get(part, [])
        if part == "hidden":  # what the student's code prints about hidden inputs stays hidden
            shown, CAPTURE = CAPTURE, _Capture(CAPTURE.cap)
        if missing:
            outcomes = [Outcome(Raised("NameError", f"name {missing[0]!r} is not defined"), [], [])
                        for _ in part_cases]
        else:
            after: list = []  # each case's inputs as the student's code left them, for the judge
            real_run = ex._run

            def run_and_keep(case, *answers, _run=real_run, _after=after):
                try:
                    return _run(case, *answers)
                finally:
                    _after.append(describe(case))

            ex._run = run_and_keep
            try:
                outcomes = ex.collect(tuple(ns[name] for name in ex.answers), part_cases)
            except BaseException as exc:  # SystemExit, KeyboardInterrupt from the student's code
                outcomes = [Outcome(Raised(type_name(exc), str(exc)[:400]), [], []) for _ in part_cases]
            finally:
                ex._run = real_run
        encoded = []
        for n, o in enumerate(outcomes):
            value, _ = encode(o.value, tensors)
            encoded.append({"value": value, "warnings": [str(w)[:400] for w in o.warnings][:20],
                            "mutated": [str(m) for m in o.mutated]})
            if not missing and len(after) == len(outcomes):
                encoded[-1]["inputs_after"] = encode(after[n], tensors)[0]
        parts[part] = encoded
    if CAPTURE.outputs:
        shown.stream("stdout", "[output printed on the hidden inputs is not shown]\n")
    CAPTURE = shown
    blob = save(tensors) if tensors else b""
    if len(blob) > limits["result_mb"] << 20:
        raise MemoryError(f"the results of {exercise_id} exceed {limits['result_mb']} MB")
    return parts, blob


def run(request: dict) -> None:
    """The child's whole life (never returns)."""
    global CAPTURE
    status = 70
    fd = -1
    try:
        t0 = time.perf_counter()
        os.setsid()
        fd = os.open(request["fifo"], os.O_WRONLY)
        job_dir = request["job_dir"]
        with open(os.path.join(job_dir, "job.json")) as f:
            job = json.load(f)
        limits = job["limits"]
        cases = load_cases(job_dir)
        _confine(fd, os.path.join(job_dir, "work"), request.get("uid"), limits)
        cap = int(limits["output_kb"]) * 1024
        sys.stdout, sys.stderr = _Stream("stdout"), _Stream("stderr")
        import torch

        torch.set_num_threads(1)
        protocol.write_record(fd, {"t": "hello", "pid": os.getpid(), "setup_s": time.perf_counter() - t0})
        skip = set(job.get("skip", []))
        for step in job["steps"]:
            i = step["cell"]
            if i in skip:
                continue
            protocol.write_record(fd, {"t": "start", "cell": i})
            CAPTURE = _Capture(cap)
            t = time.perf_counter()
            blob = b""
            header = {"t": "done-step", "cell": i, "kind": step["kind"]}
            if step["kind"] == "code":
                result = SHELL.run_cell(step["source"], store_history=True)
                header["error"] = not result.success
                header["execution_count"] = result.execution_count
            else:
                ex_id = step["exercise"]
                try:
                    header["collect"], blob = _collect(ex_id, cases.get(ex_id, {}), limits)
                except Exception as exc:
                    header["collect_error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
            try:
                header["outputs"] = CAPTURE.outputs
                header["seconds"] = time.perf_counter() - t
                header["changed"] = WATCHER.check()
                try:
                    protocol.write_record(fd, header, blob)
                except (TypeError, ValueError):  # outputs that JSON cannot hold
                    header["outputs"] = [{"output_type": "stream", "name": "stderr",
                                          "text": "[outputs could not be recorded]\n"}]
                    protocol.write_record(fd, header, blob)
            except BaseException:  # the cell broke what the sandbox itself relies on
                os.write(fd, _BROKEN.get(i, _BROKEN[-1]))
                raise
        protocol.write_record(fd, {"t": "end"})
        status = 0
    except BaseException as exc:  # report what broke the sandbox itself, then exit
        try:
            if fd >= 0:
                protocol.write_record(fd, {"t": "crash", "error": f"{type(exc).__name__}: {str(exc)[:300]}"})
        except BaseException:
            pass
    finally:
        os._exit(status)
