"""What runs in a sandbox: a child forked from the zygote, holding one submission.

``prepare()`` runs once in the zygote (the shell, matplotlib, the integrity baseline).
``run(request)`` runs in the forked child and never returns:

1. confine: own session, stdin/stdout/stderr to /dev/null, no other descriptors but
   the record channel, a scrubbed environment, a working directory holding only the
   submission, resource limits, and (when the grader is root) an unprivileged uid in its
   own mount, IPC and network namespaces (``_isolate``: no network, the repository's
   solutions and /run hidden, one bounded private tmpfs for /tmp, /var/tmp, /dev/shm and
   the working directory). The record channel is a FIFO opened before all that, and the
   job's files are read before it too, so neither the namespaces nor the uid touch it;
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
    try:
        _libc().prctl(option, arg, 0, 0, 0)
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
    if uid is not None and os.geteuid() == 0:  # before the limits: the copy of the work dir is the grader's
        DEFENCES.update(_isolate(workdir, int(limits["scratch_mb"])))  # in place: the tripwire watches it
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
#: Shared scratch places a sandbox user can write to outside its working directory: as root
#: with CAP_SYS_ADMIN each sandbox gets its own, bounded (``_scratch``); otherwise the zygote
#: removes what the sandbox's uid left there after each run.
SCRATCH_DIRS = ("/tmp", "/var/tmp", "/dev/shm")
#: Where local services keep their Unix sockets, which a network namespace does not cover.
SOCKET_DIRS = ("/run",)
#: Defences of this sandbox, as ``_isolate`` set them up (sent in the "hello" record).
DEFENCES = {"mounts": False, "hidden": False, "network": False, "sockets": False, "scratch": False}

_CLONE_NEWNS, _CLONE_NEWIPC, _CLONE_NEWNET = 0x00020000, 0x08000000, 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_BIND, _MS_REC, _MS_PRIVATE = 0x1000, 0x4000, 0x40000


def _libc():
    global _LIBC
    _LIBC = _LIBC or ctypes.CDLL(None, use_errno=True)
    return _LIBC


def _isolate(workdir: str | None, scratch_mb: int) -> dict:
    """As root, before the uid drop: own mount, IPC and network namespaces; {defence: active}.

    - mounts: a private mount namespace (nothing mounted here is seen outside);
    - hidden: the repository's ``HIDDEN_PATHS`` are empty read-only tmpfs mounts;
    - network: a network namespace holding only its own loopback (no route out, and the
      host's 127.0.0.1 is another namespace's); SysV IPC and POSIX queues are private too;
    - sockets: ``SOCKET_DIRS`` are empty, so no local service's Unix socket can be reached;
    - scratch: /tmp, /var/tmp, /dev/shm and the working directory share one fresh tmpfs
      of ``scratch_mb`` (plus the submission's files, copied in), gone with the sandbox.

    Without CAP_SYS_ADMIN (an unprivileged container) or namespaces in the kernel, what
    cannot be had is skipped and reported False; the sandbox works as before without it.
    """
    out = dict.fromkeys(DEFENCES, False)
    libc = _libc()
    if libc.unshare(_CLONE_NEWNS | _CLONE_NEWIPC | _CLONE_NEWNET) == 0:
        mounts = out["network"] = True
    else:  # one by one: a kernel or a seccomp filter may refuse some
        mounts = libc.unshare(_CLONE_NEWNS) == 0
        out["network"] = libc.unshare(_CLONE_NEWNET) == 0
        libc.unshare(_CLONE_NEWIPC)
    if out["network"]:
        _loopback_up()
    # MS_REC | MS_PRIVATE first: without it a mount below would show on the host too
    if not mounts or libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        return out
    out["mounts"] = True
    out["hidden"] = _hide(HIDDEN_PATHS)
    real_scratch = [os.path.realpath(p) for p in SCRATCH_DIRS]
    keep = real_scratch + ([os.path.realpath(workdir)] if workdir else [])
    present = [p for p in SOCKET_DIRS if os.path.isdir(p)]
    sockets = [p for p in present if not any(_under(k, os.path.realpath(p)) for k in keep)]
    out["sockets"] = _hide(sockets, mode="0755") and len(sockets) == len(present)
    out["scratch"] = _scratch(workdir, scratch_mb)
    return out


def probe() -> dict:
    """In the zygote, once: which defences its sandboxes get ({defence: active}), tried in a throwaway child."""
    if os.geteuid() != 0:
        return dict.fromkeys(DEFENCES, False)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            os.write(w, json.dumps(_isolate(None, 1)).encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    try:
        return {k: bool(v) for k, v in json.loads(data).items()}
    except ValueError:
        return dict.fromkeys(DEFENCES, False)


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _loopback_up() -> bool:
    """The namespace's own ``lo`` up (libraries that bind 127.0.0.1 work; it reaches nothing outside)."""
    import fcntl
    import socket
    import struct

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:  # SIOCSIFFLAGS: IFF_UP | IFF_LOOPBACK | IFF_RUNNING
            fcntl.ioctl(s, 0x8914, struct.pack("16sH22x", b"lo", 0x1 | 0x8 | 0x40))
        return True
    except OSError:
        return False


def _hide(paths, mode: str = "0555") -> bool:
    """In the private mount namespace: an empty read-only tmpfs on each of ``paths``.

    The repository stays installed and world-readable (the sandbox imports from it), but
    its ``solutions/`` and its git history must not be readable by student code.
    """
    libc = _libc()
    ok = True
    for path in paths:
        ok &= libc.mount(b"tmpfs", path.encode(), b"tmpfs", _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC,
                         f"size=4k,mode={mode}".encode()) == 0
    return ok


def _scratch(workdir: str | None, scratch_mb: int) -> bool:
    """One bounded tmpfs behind /tmp, /var/tmp, /dev/shm and ``workdir`` (a copy of it).

    The tmpfs is mounted on the first scratch place, where it holds one folder per place
    (mode 1777) and, for a work dir outside them, ``work``; each is bound on its place,
    the first one last (over the tmpfs's own root, which no path reaches after that). The
    work dir keeps its path: under /tmp (the worker's ``mkdtemp``) it is made again in the
    new /tmp with its parents' modes and owners, and the submission's files are copied in
    (the original is the worker's, on the host's disk, where writing would not be bounded).
    A folder of a place that holds what the sandbox imports (a checkout or a venv in /tmp)
    is bound into the new place at its path, with the mounts below it (the hidden folders).
    """
    places, needed = [], _needed_paths()
    for path in SCRATCH_DIRS:
        real = os.path.realpath(path)
        if os.path.isdir(real) and real not in places:
            places.append(real)
    # What the sandbox imports may live in a scratch place (a checkout or a venv in /tmp): the
    # folder just below the place that holds it is carried into the new place, bound from an
    # fd opened now, before the place is covered. A place that is itself needed stays the host's.
    kept = [p for p in places if any(n == p for n in needed)]
    places = [p for p in places if p not in kept]
    if not places:
        return False
    carried: dict[int, list[tuple[str, int]]] = {}  # place index -> (name below it, O_PATH fd)
    libc = _libc()
    mounted: list[str] = []
    src = -1
    try:
        for i, place in enumerate(places):
            names = sorted({os.path.relpath(n, place).split(os.sep)[0] for n in needed if _under(n, place) and n != place})
            carried[i] = [(name, os.open(os.path.join(place, name), os.O_PATH | os.O_DIRECTORY)) for name in names]
        size = count = 0
        home, chain = None, []  # the place holding the work dir; its path below there, with lstat
        if workdir:
            workdir = os.path.realpath(workdir)
            src = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY)
            size, count = _tree_size(src)
            home = next((i for i, p in enumerate(places) if _under(workdir, p) and workdir != p), None)
            if home is None:
                chain = [("work", os.fstat(src))]
            else:
                host = places[home]
                for part in os.path.relpath(workdir, host).split(os.sep):
                    host = os.path.join(host, part)
                    chain.append((part, os.lstat(host)))
        stage = places[0]
        options = f"size={(scratch_mb << 20) + size},nr_inodes={max(4096, scratch_mb * 256) + count},mode=0755"
        if libc.mount(b"tmpfs", stage.encode(), b"tmpfs", _MS_NOSUID | _MS_NODEV, options.encode()) != 0:
            return False
        mounted.append(stage)
        slots = []
        for i in range(len(places)):
            slots.append(os.path.join(stage, f"s{i}"))
            os.mkdir(slots[-1])
            os.chmod(slots[-1], 0o1777)
        copy = stage if home is None else slots[home]
        for part, st in chain:
            copy = os.path.join(copy, part)
            os.mkdir(copy, 0o700)
            os.chown(copy, st.st_uid, st.st_gid)
            os.chmod(copy, st.st_mode & 0o7777)
        if workdir:
            _copy_tree(src, copy)
            if home is None:
                _bind(copy, workdir, mounted)
        for i, slot in enumerate(slots):
            for name, fd in carried[i]:
                os.mkdir(os.path.join(slot, name), 0o755)
                _bind(f"/proc/self/fd/{fd}", os.path.join(slot, name), mounted, recursive=True)
        for slot, place in list(zip(slots, places))[1:]:  # recursive: with what was carried into them
            _bind(slot, place, mounted, recursive=True)
        _bind(slots[0], places[0], mounted, recursive=True)
        return not kept
    except OSError:
        for path in reversed(mounted):  # as it was: the work dir must stay where the worker put it
            libc.umount2(path.encode(), 2)  # MNT_DETACH
        return False
    finally:
        if src >= 0:
            os.close(src)
        for fds in carried.values():
            for _name, fd in fds:
                os.close(fd)


def _needed_paths() -> list[str]:
    """Where the sandbox's code and data come from (the interpreter, sys.path, this repository)."""
    import autograder
    import course

    paths = [sys.prefix, sys.base_prefix, sys.exec_prefix, *(p for p in sys.path if p)]
    paths += [os.path.dirname(os.path.dirname(os.path.abspath(m.__file__))) for m in (course, autograder)]
    return sorted({os.path.realpath(p) for p in paths})


def _bind(source: str, target: str, mounted: list, recursive: bool = False) -> None:
    flags = _MS_BIND | (_MS_REC if recursive else 0)  # recursive: the hidden folders' mounts come along
    if _libc().mount(source.encode(), target.encode(), None, flags, None) != 0:
        raise OSError(ctypes.get_errno(), f"cannot bind {source} on {target}")
    mounted.append(target)


def _tree_size(dir_fd: int) -> tuple[int, int]:
    """(bytes in 4 KiB pages, entries) under an open folder, without following links."""
    size = count = 0
    for entry in os.scandir(dir_fd):
        st = entry.stat(follow_symlinks=False)
        count += 1
        size += (st.st_size + 4095) // 4096 * 4096 + 4096
        if entry.is_dir(follow_symlinks=False):
            sub = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
            try:
                s, c = _tree_size(sub)
            finally:
                os.close(sub)
            size, count = size + s, count + c
    return size, count


def _copy_tree(src_fd: int, dst: str) -> None:
    """Copy an open folder's files, folders and links into ``dst``, with their modes and owners."""
    import shutil
    import stat

    for entry in os.scandir(src_fd):
        st = entry.stat(follow_symlinks=False)
        target = os.path.join(dst, entry.name)
        if stat.S_ISDIR(st.st_mode):
            os.mkdir(target, 0o700)
            sub = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=src_fd)
            try:
                _copy_tree(sub, target)
            finally:
                os.close(sub)
        elif stat.S_ISREG(st.st_mode):
            fin = os.open(entry.name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=src_fd)
            with os.fdopen(fin, "rb") as f, open(target, "xb") as g:
                shutil.copyfileobj(f, g, 1 << 20)
        elif stat.S_ISLNK(st.st_mode):
            os.symlink(os.readlink(entry.name, dir_fd=src_fd), target)
        else:
            continue
        os.chown(target, st.st_uid, st.st_gid, follow_symlinks=False)
        if not stat.S_ISLNK(st.st_mode):
            os.chmod(target, stat.S_IMODE(st.st_mode))


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
        protocol.write_record(fd, {"t": "hello", "pid": os.getpid(), "setup_s": time.perf_counter() - t0,
                                   "defences": DEFENCES})
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
