"""What a cell leaves running behind it: threads, timers, signal handlers, processes.

A cell that starts something which acts later (a thread that calls ``os._exit`` once a
later answer exists, ``signal.setitimer``, ``signal.alarm``, a forked process that kills
its parent, a signal handler, a ``faulthandler`` timer) would make a later cell crash
and take the blame. So after every step the sandbox looks (:func:`check`) and a step
that left any of them is reported (``DoneStep.left``): the worker kills the sandbox,
leaves that cell out (``Fault.LEFT_BEHIND``, its exercise zero and flagged with what
was left) and replays without it. Garbage the step made is collected before the look,
so a finalizer (``__del__``, ``weakref.finalize``) runs in the step that made it.

The look is cheap (a few system calls): processes are looked for only among the ids
the kernel handed out since the last look (``/proc/loadavg`` holds the last one), and a
process is the sandbox's if its parent is the sandbox, the zygote (a child subreaper:
orphans of the sandbox become its children) or another of those.
"""

from __future__ import annotations

import _thread
import faulthandler
import os
import signal
import time
from typing import Iterable, NamedTuple

#: Timers of a process (``setitimer``; ``alarm`` is ITIMER_REAL).
TIMERS = (
    ("ITIMER_REAL (setitimer or alarm)", signal.ITIMER_REAL),
    ("ITIMER_VIRTUAL", signal.ITIMER_VIRTUAL),
    ("ITIMER_PROF", signal.ITIMER_PROF),
)
#: Signals whose handler a cell cannot change (the kernel's own).
FIXED_SIGNALS = (signal.SIGKILL, signal.SIGSTOP)
#: How long threads that are ending get to go before they count as left running.
GRACE_S = 0.2
#: Process ids to look at one by one at most; beyond, all of /proc is listed.
MAX_NEW_IDS = 4096


class State(NamedTuple):
    """The sandbox as it was before the first student cell."""

    pid: int
    zygote: int
    handlers: tuple  #: (signal, id of its handler)
    allowed: frozenset  #: ids of code objects of handlers that libraries install on their own


def _handlers() -> tuple:
    out = []
    for sig in sorted(signal.valid_signals()):
        if sig not in FIXED_SIGNALS:
            try:
                out.append((int(sig), id(signal.getsignal(sig))))
            except (OSError, ValueError):
                pass
    return tuple(out)


def _library_handlers() -> frozenset:
    """Handlers torch installs by itself (a DataLoader with workers sets one for SIGCHLD)."""
    try:
        from torch.utils.data._utils import signal_handling
    except ImportError:
        return frozenset()
    code = signal_handling._set_SIGCHLD_handler.__code__
    return frozenset(id(c) for c in code.co_consts if getattr(c, "co_name", None) == "handler")


def start() -> State:
    """In the sandbox, before any student code."""
    return State(os.getpid(), os.getppid(), _handlers(), _library_handlers())


def _last_pid() -> int:
    with open("/proc/loadavg", "rb") as f:
        return int(f.read().split()[-1])


class Look:
    """One sandbox's looks: :meth:`check` after every step."""

    def __init__(self, state: State):
        self.state = state
        self.seen_pid = _last_pid()

    def check(self) -> list[str]:
        """What the step left running, in words (empty: nothing)."""
        s = self.state
        if os.getpid() != s.pid:
            return ["the process that ran the cell forked and ended: a copy of it went on"]
        left = self._threads() + self._timers() + self._handlers() + self._processes()
        return left[:10]

    def _threads(self) -> list[str]:
        deadline = time.monotonic() + GRACE_S
        while True:
            python = _thread._count()
            system = _os_threads() - 1
            if not python and not system:
                return []
            if time.monotonic() > deadline:
                break
            time.sleep(0.005)
        if python:
            return [f"{python} thread{'s' if python > 1 else ''} still running"]
        faulthandler.cancel_dump_traceback_later()  # its watchdog is a thread outside Python
        time.sleep(0.02)
        if _os_threads() - 1 < system:
            return ["a faulthandler timer (dump_traceback_later)"]
        import torch

        if torch.get_num_threads() == 1:  # torch's own pool of threads is not the cell's doing
            return [f"{system} thread{'s' if system > 1 else ''} outside Python still running"]
        return []

    @staticmethod
    def _timers() -> list[str]:
        out = [f"a timer ({name})" for name, which in TIMERS if signal.getitimer(which) != (0.0, 0.0)]
        try:
            with open("/proc/self/timers", "rb") as f:
                if f.read().strip():
                    out.append("a POSIX timer (timer_create)")
        except OSError:
            pass
        return out

    def _handlers(self) -> list[str]:
        before = dict(self.state.handlers)
        out = []
        for sig, handler in _handlers():
            if handler != before.get(sig):
                fn = signal.getsignal(sig)
                if id(getattr(fn, "__code__", None)) in self.state.allowed:
                    continue
                out.append(f"a handler for {signal.Signals(sig).name}")
        return out

    def _processes(self) -> list[str]:
        last = _last_pid()
        first, self.seen_pid = self.seen_pid, last
        if last == first:
            return []
        candidates: Iterable[int]
        if 0 < last - first <= MAX_NEW_IDS:
            candidates = range(first + 1, last + 1)
        else:  # the ids wrapped around, or very many processes started: every process
            candidates = sorted(int(n) for n in os.listdir("/proc") if n.isdigit())
        ours = {self.state.pid, self.state.zygote}
        found = []
        for pid in candidates:
            status = _status(pid)
            if status is None or status.get("Tgid") != str(pid) or status.get("State", "Z")[0] in "ZX":
                continue  # gone, a thread, a zombie
            if int(status.get("PPid", "0")) in ours and pid != self.state.pid:
                ours.add(pid)
                found.append(pid)
        if not found:
            return []
        return [
            f"{len(found)} process{'es' if len(found) > 1 else ''} still running (pid {', '.join(map(str, found[:5]))})"
        ]


def _os_threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1


def _status(pid: int) -> dict | None:
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            data = f.read(2048).decode(errors="replace")
    except OSError:
        return None
    out = {}
    for line in data.splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out
