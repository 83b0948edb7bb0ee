"""The Linux jail around a sandbox: namespaces, mounts, resource limits, the uid drop.

A sandbox is a fork of the zygote (milliseconds, everything already imported), so its
jail is built in the forked child itself, with the kernel's own calls through ``ctypes``
(``unshare``, ``mount``, ``prctl``): a jail tool that starts a new program (bubblewrap's
``bwrap``, nsjail) would lose the pre-imported interpreter that makes the engine fast.
:func:`lock_in` applies every defence, in this order:

1. :func:`isolate` (root only): private mount, IPC and network namespaces; the
   repository's solutions hidden; ``/run`` emptied; one bounded private scratch tmpfs;
2. :func:`set_limits`: ``setrlimit`` on CPU, file size, core dumps, open files, memory;
3. :func:`drop_privileges` (root only): the sandbox's own uid, no groups;
4. :func:`limit_processes`, :func:`no_new_privileges`, :func:`die_with_parent`.

Each defence that cannot be had here (no root, no ``CAP_SYS_ADMIN``, a kernel without
namespaces) is skipped and reported False in :data:`DEFENCES`; the sandbox still runs.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import stat
import sys
from dataclasses import dataclass

from autograder.engine.limits import Limits

# --- the kernel's constants (linux/sched.h, linux/mount.h, linux/prctl.h, linux/sockios.h, net/if.h)
CLONE_NEWNS = 0x00020000  #: a private mount namespace
CLONE_NEWIPC = 0x08000000  #: private SysV IPC and POSIX message queues
CLONE_NEWNET = 0x40000000  #: a network namespace of its own
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_BIND, MS_REC, MS_PRIVATE = 0x1000, 0x4000, 0x40000
MNT_DETACH = 0x2  #: umount2: detach now, free when no longer busy
PR_SET_PDEATHSIG = 1  #: a signal the process gets when its parent dies
PR_SET_DUMPABLE = 4  #: 0: /proc/PID of the process is root's (its descriptors cannot be opened)
PR_SET_CHILD_SUBREAPER = 36  #: orphans of the process's descendants become its children
PR_SET_NO_NEW_PRIVS = 38  #: execve never grants privileges (setuid binaries, file capabilities)
SIOCSIFFLAGS = 0x8914  #: ioctl: set a network interface's flags
IFF_UP, IFF_LOOPBACK, IFF_RUNNING = 0x1, 0x8, 0x40
_IFREQ = "16sH22x"  #: struct ifreq with ifr_flags: the name, the flags, padding

#: Shared scratch places a sandbox user can write to outside its working directory: as root
#: with CAP_SYS_ADMIN each sandbox gets its own, bounded (:func:`scratch`); otherwise the zygote
#: removes what the sandbox's uid left there after each run.
SCRATCH_DIRS = ("/tmp", "/var/tmp", "/dev/shm")
#: Where local services keep their Unix sockets, which a network namespace does not cover.
SOCKET_DIRS = ("/run",)
#: The defences :func:`isolate` sets up; in the sandbox, which of them are active (sent in its hello).
DEFENCES = {"mounts": False, "hidden": False, "network": False, "sockets": False, "scratch": False}
#: Open files of a sandbox.
OPEN_FILES = 256

_LIBC = None


def _libc():
    global _LIBC
    _LIBC = _LIBC or ctypes.CDLL(None, use_errno=True)
    return _LIBC


def _hidden_paths() -> tuple[str, ...]:
    """What student code must not read although the sandbox imports from beside it:
    a checkout's ``solutions/``, ``tests/``, ``.git`` and ``out/``, and the solution
    notebooks the package ships for its example class."""
    import autograder
    import course

    root = os.path.dirname(os.path.dirname(os.path.abspath(course.__file__)))
    places = [os.path.join(root, n) for n in ("solutions", "tests", ".git", "out")]
    places.append(os.path.join(os.path.dirname(os.path.abspath(autograder.__file__)), "example", "source"))
    return tuple(p for p in places if os.path.isdir(p))


#: Hidden from the sandbox (an empty read-only tmpfs on top, in its own mount namespace).
HIDDEN_PATHS = _hidden_paths()


def prctl(option: int, arg: int) -> bool:
    """One ``prctl`` call; False where the C library or the kernel refuses it."""
    try:
        return _libc().prctl(option, arg, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


# --- the whole jail ---------------------------------------------------------------------------


def lock_in(workdir: str, uid: int | None, limits: Limits) -> dict[str, bool]:
    """Every defence of the module docstring, in order; {defence: active} of :func:`isolate`."""
    root = uid is not None and os.geteuid() == 0
    defences = isolate(workdir, limits.scratch_mb) if root else dict.fromkeys(DEFENCES, False)
    os.chdir(workdir)
    set_limits(limits)
    if root and uid is not None:
        drop_privileges(uid)
    limit_processes(limits.processes, same_user=not root)
    no_new_privileges()
    die_with_parent()
    return defences


def set_limits(limits: Limits) -> None:
    """Kernel limits (``setrlimit``): CPU seconds (SIGXCPU, then SIGKILL 5 s later), the size
    of a file written, no core dumps, open files, and the address space: the zygote's size
    now plus ``limits.memory_mb``, so an allocation beyond it fails inside the cell."""
    mb = 1 << 20
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb * mb, limits.file_mb * mb))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))
    memory = _vm_bytes() + limits.memory_mb * mb
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def drop_privileges(uid: int) -> None:
    """The sandbox's own uid and gid (62000 + slot), no supplementary groups: it reads only
    what any user may, and the course directory (0700, the grader's) is closed to it."""
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def limit_processes(processes: int, same_user: bool) -> None:
    """``RLIMIT_NPROC``: processes and threads of the sandbox's uid (as the grader's user,
    on top of what that user runs already): a fork bomb stops at the limit."""
    if same_user:
        processes += _count_tasks()
    resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))


def no_new_privileges() -> None:
    """No setuid binary or file capability can give the sandbox more than it has."""
    prctl(PR_SET_NO_NEW_PRIVS, 1)


def die_with_parent() -> None:
    """SIGKILL when the zygote dies (set after the uid drop, which clears it)."""
    prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))


def _vm_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


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


# --- namespaces -------------------------------------------------------------------------------


def isolate(workdir: str | None, scratch_mb: int) -> dict[str, bool]:
    """As root, before the uid drop: own mount, IPC and network namespaces; {defence: active}.

    - mounts: a private mount namespace (nothing mounted here is seen outside);
    - hidden: :data:`HIDDEN_PATHS` are empty read-only tmpfs mounts (:func:`hide`);
    - network: a network namespace holding only its own loopback (no route out, and the
      host's 127.0.0.1 is another namespace's); SysV IPC and POSIX queues are private too;
    - sockets: :data:`SOCKET_DIRS` are empty, so no local service's Unix socket can be reached;
    - scratch: /tmp, /var/tmp, /dev/shm and the working directory share one fresh tmpfs
      of ``scratch_mb`` (plus the submission's files, copied in), gone with the sandbox.

    Without CAP_SYS_ADMIN (an unprivileged container) or namespaces in the kernel, what
    cannot be had is skipped and reported False; the sandbox works as before without it.
    """
    out = dict.fromkeys(DEFENCES, False)
    mounts, out["network"] = _unshare()
    if out["network"]:
        loopback_up()
    # MS_REC | MS_PRIVATE first: without it a mount below would show on the host too
    if not mounts or _libc().mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        return out
    out["mounts"] = True
    out["hidden"] = hide(HIDDEN_PATHS)
    out["sockets"] = _empty_socket_dirs(workdir)
    out["scratch"] = scratch(workdir, scratch_mb)
    return out


def _unshare() -> tuple[bool, bool]:
    """(mount namespace, network namespace) made; all three at once, else one by one
    (a kernel or a seccomp filter may refuse some)."""
    libc = _libc()
    if libc.unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET) == 0:
        return True, True
    mounts = libc.unshare(CLONE_NEWNS) == 0
    network = libc.unshare(CLONE_NEWNET) == 0
    libc.unshare(CLONE_NEWIPC)
    return mounts, network


def probe() -> dict[str, bool]:
    """In the zygote, once: which defences its sandboxes get ({defence: active}), tried in a throwaway child."""
    if os.geteuid() != 0:
        return dict.fromkeys(DEFENCES, False)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            os.write(w, "".join("1" if v else "0" for v in isolate(None, 1).values()).encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        data = f.read().decode(errors="replace")
    os.waitpid(pid, 0)
    if len(data) != len(DEFENCES):
        return dict.fromkeys(DEFENCES, False)
    return {k: flag == "1" for k, flag in zip(DEFENCES, data, strict=True)}


def loopback_up() -> bool:
    """The namespace's own ``lo`` up (libraries that bind 127.0.0.1 work; it reaches nothing outside)."""
    import fcntl
    import socket
    import struct

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack(_IFREQ, b"lo", IFF_UP | IFF_LOOPBACK | IFF_RUNNING))
        return True
    except OSError:
        return False


def hide(paths, mode: str = "0555") -> bool:
    """In the private mount namespace: an empty read-only tmpfs on each of ``paths``.

    The repository stays installed and world-readable (the sandbox imports from it), but
    its ``solutions/`` and its git history must not be readable by student code.
    """
    libc = _libc()
    ok = True
    for path in paths:
        ok &= (
            libc.mount(
                b"tmpfs",
                path.encode(),
                b"tmpfs",
                MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                f"size=4k,mode={mode}".encode(),
            )
            == 0
        )
    return ok


def _empty_socket_dirs(workdir: str | None) -> bool:
    """:data:`SOCKET_DIRS` hidden, unless one holds a scratch place or the work dir."""
    keep = [os.path.realpath(p) for p in SCRATCH_DIRS] + ([os.path.realpath(workdir)] if workdir else [])
    present = [p for p in SOCKET_DIRS if os.path.isdir(p)]
    sockets = [p for p in present if not any(_under(k, os.path.realpath(p)) for k in keep)]
    return hide(sockets, mode="0755") and len(sockets) == len(present)


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


# --- the private scratch tmpfs ----------------------------------------------------------------


@dataclass
class _WorkDir:
    """The work dir to carry into the tmpfs: an open fd, its size, and where it goes."""

    path: str
    fd: int
    size: int  #: bytes in 4 KiB pages
    count: int  #: entries
    home: int | None  #: index of the scratch place that holds it (None: outside them)
    chain: list[tuple[str, os.stat_result]]  #: its path below there, part by part, with lstat


def scratch(workdir: str | None, scratch_mb: int) -> bool:
    """One bounded tmpfs behind /tmp, /var/tmp, /dev/shm and ``workdir`` (a copy of it).

    The tmpfs is mounted on the first scratch place, where it holds one folder per place
    (mode 1777) and, for a work dir outside them, ``work``; each is bound on its place,
    the first one last (over the tmpfs's own root, which no path reaches after that). The
    work dir keeps its path: under /tmp (the worker's ``mkdtemp``) it is made again in the
    new /tmp with its parents' modes and owners, and the submission's files are copied in
    (the original is the worker's, on the host's disk, where writing would not be bounded).
    What the sandbox imports from inside a place (a checkout or a venv in /tmp) is bound
    into the new place at its path, with the mounts below it (the hidden folders): that
    folder alone, never the shared folder that holds it (``/tmp/X`` of ``/tmp/X/checkout``
    may hold other checkouts, their solutions among them).
    """
    places, kept = _scratch_places()
    if not places:
        return False
    carried: dict[int, list[tuple[str, int]]] = {}  # place index -> (name below it, O_PATH fd)
    mounted: list[str] = []
    work = None
    try:
        carried = _carry(places)
        work = _open_workdir(workdir, places) if workdir else None
        slots = _mount_tmpfs(places, scratch_mb, work, mounted)
        if work is not None:
            _copy_workdir(work, places, slots, mounted)
        _bind_slots(slots, places, carried, mounted)
        return not kept
    except OSError:
        for path in reversed(mounted):  # as it was: the work dir must stay where the worker put it
            _libc().umount2(path.encode(), MNT_DETACH)
        return False
    finally:
        if work is not None:
            os.close(work.fd)
        for fds in carried.values():
            for _name, fd in fds:
                os.close(fd)


def _scratch_places() -> tuple[list[str], list[str]]:
    """(places to cover, places kept as the host's because the sandbox imports from them)."""
    places: list[str] = []
    for path in SCRATCH_DIRS:
        real = os.path.realpath(path)
        if os.path.isdir(real) and real not in places:
            places.append(real)
    needed = _needed_paths()
    kept = [p for p in places if any(n == p for n in needed)]
    return [p for p in places if p not in kept], kept


def _carry(places: list[str]) -> dict[int, list[tuple[str, int]]]:
    """What the sandbox imports from inside a scratch place: each needed path below it that no
    other one holds (the interpreter, a checkout, a venv; not the folder around them), as a
    path relative to the place, opened now (O_PATH), before the place is covered."""
    needed = [n for n in _needed_paths() if os.path.exists(n)]  # sys.path may name what is not there
    carried: dict[int, list[tuple[str, int]]] = {}
    for i, place in enumerate(places):
        inside = [n for n in needed if _under(n, place) and n != place]
        top = sorted(n for n in inside if not any(m != n and _under(n, m) for m in inside))
        carried[i] = [(os.path.relpath(n, place), os.open(n, os.O_PATH)) for n in top]
    return carried


def _open_workdir(workdir: str, places: list[str]) -> _WorkDir:
    path = os.path.realpath(workdir)
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    size, count = _tree_size(fd)
    home = next((i for i, p in enumerate(places) if _under(path, p) and path != p), None)
    chain: list[tuple[str, os.stat_result]] = []
    if home is None:
        chain = [("work", os.fstat(fd))]
    else:
        host = places[home]
        for part in os.path.relpath(path, host).split(os.sep):
            host = os.path.join(host, part)
            chain.append((part, os.lstat(host)))
    return _WorkDir(path, fd, size, count, home, chain)


def _mount_tmpfs(places: list[str], scratch_mb: int, work: _WorkDir | None, mounted: list[str]) -> list[str]:
    """The tmpfs on the first place, sized for the scratch plus the work dir's copy; its slots back."""
    size, count = (work.size, work.count) if work else (0, 0)
    stage = places[0]
    options = f"size={(scratch_mb << 20) + size},nr_inodes={max(4096, scratch_mb * 256) + count},mode=0755"
    if _libc().mount(b"tmpfs", stage.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options.encode()) != 0:
        raise OSError(ctypes.get_errno(), f"cannot mount a tmpfs on {stage}")
    mounted.append(stage)
    slots = []
    for i in range(len(places)):
        slots.append(os.path.join(stage, f"s{i}"))
        os.mkdir(slots[-1])
        os.chmod(slots[-1], 0o1777)
    return slots


def _copy_workdir(work: _WorkDir, places: list[str], slots: list[str], mounted: list[str]) -> None:
    """The work dir made again in the tmpfs at its path (its parents' modes and owners), its files copied."""
    copy = places[0] if work.home is None else slots[work.home]
    for part, st in work.chain:
        copy = os.path.join(copy, part)
        os.mkdir(copy, 0o700)
        os.chown(copy, st.st_uid, st.st_gid)
        os.chmod(copy, st.st_mode & 0o7777)
    _copy_tree(work.fd, copy)
    if work.home is None:
        _bind(copy, work.path, mounted)


def _bind_slots(
    slots: list[str], places: list[str], carried: dict[int, list[tuple[str, int]]], mounted: list[str]
) -> None:
    """What was carried into each slot, then each slot on its place (the first one last)."""
    for i, slot in enumerate(slots):
        for relative, fd in carried[i]:
            target = os.path.join(slot, relative)
            os.makedirs(os.path.dirname(target), 0o755, exist_ok=True)  # only the way to it: nothing else
            if stat.S_ISDIR(os.fstat(fd).st_mode):
                os.mkdir(target, 0o755)
            else:  # a file on sys.path (a zip of modules)
                os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
            _bind(f"/proc/self/fd/{fd}", target, mounted, recursive=True)
    for slot, place in list(zip(slots, places, strict=True))[1:]:  # recursive: with what was carried into them
        _bind(slot, place, mounted, recursive=True)
    _bind(slots[0], places[0], mounted, recursive=True)


def _needed_paths() -> list[str]:
    """Where the sandbox's code and data come from (the interpreter, sys.path, this repository)."""
    import autograder
    import course

    paths = [sys.prefix, sys.base_prefix, sys.exec_prefix, *(p for p in sys.path if p)]
    paths += [os.path.dirname(os.path.dirname(os.path.abspath(m.__file__ or ""))) for m in (course, autograder)]
    return sorted({os.path.realpath(p) for p in paths})


def _bind(source: str, target: str, mounted: list, recursive: bool = False) -> None:
    flags = MS_BIND | (MS_REC if recursive else 0)  # recursive: the hidden folders' mounts come along
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
