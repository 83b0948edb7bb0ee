"""Grading on this machine without Dask: zygotes driven from threads of the driver.

A Dask ``LocalCluster`` costs what the sandboxes do not need on one machine: a scheduler,
a nanny and a worker process per core, each importing Dask, the engine and torch,
seconds of start-up before the first submission runs. Here each thread of the driver
owns one zygote and runs :func:`worker.run_submission` with it (the same runs, replays and
records as on a Dask worker); the threads only wait on pipes, so the driver judges and
writes while they run.

The first zygote starts at once (``warmup.launch``, before the driver imports torch).
The others are forked from a warm one (``Zygote.clone``, tens of milliseconds, its pages
shared) whenever a submission waits and fewer than ``max_zygotes`` run: a fresh start
would take seconds of a core the sandboxes and the driver need, which is why an earlier
engine gave a small class a single zygote. A zygote that breaks is replaced by a fresh start.
"""

from __future__ import annotations

import collections
import sys
import threading
from concurrent.futures import Future

from autograder.engine import worker
from autograder.engine.records import Job, RunResult, ZygoteSpec
from autograder.engine.warmup import Launched


class PoolClosed(worker.ZygoteError):
    """The pool was closed while a submission ran (it is not graded)."""


class _Slot:
    """One thread's zygote: adopted from an early launch, started on first use, replaced when it breaks."""

    def __init__(self, pool: "LocalPool", launched: Launched | None, zygote: worker.Zygote | None = None):
        self.pool = pool
        self.launched = launched
        self.zygote = zygote

    def __call__(self, spec: ZygoteSpec) -> tuple[worker.Zygote, bool]:
        zyg = self.zygote
        if zyg is not None and zyg.alive() and zyg.spec.extra_checks == spec.extra_checks:
            zyg.warm(spec)
            self.pool.grow_from(zyg)
            return zyg, False
        if self.pool.closed:
            raise PoolClosed("the grader is stopping")
        if zyg is not None:
            zyg.close()
        launched, self.launched = self.launched, None
        self.zygote = worker.Zygote(spec, launched)
        self.pool.grow_from(self.zygote)
        return self.zygote, True

    def stop(self) -> None:
        """Kill the sandbox running now (if any) and the zygote (it holds nothing to save: killing
        it spares the seconds its interpreter takes to tear torch down)."""
        zyg = self.zygote
        proc = zyg.proc if zyg is not None else self.launched.proc if self.launched is not None else None
        if zyg is not None:
            zyg.broken = True
            worker._killpg(zyg.current)
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()


class LocalPool:
    """Submissions in, :class:`RunResult` futures out (see the module docstring)."""

    def __init__(self, spec: ZygoteSpec, max_zygotes: int, first: Launched | None = None):
        self.spec = spec
        self.max_zygotes = max(1, max_zygotes)
        self.queue: collections.deque = collections.deque()
        self.cond = threading.Condition()
        self.closed = False
        self.cloning = True  #: False once a clone failed: further zygotes start afresh
        self.slots: list[_Slot] = []
        self.threads: list[threading.Thread] = []
        self._spawn(first)

    @property
    def zygotes(self) -> int:
        return len(self.slots)

    def _spawn(self, launched: Launched | None = None, zygote: worker.Zygote | None = None) -> None:
        slot = _Slot(self, launched, zygote)
        self.slots.append(slot)
        thread = threading.Thread(
            target=self._serve, args=(slot,), name=f"autograder-zygote-{len(self.slots)}", daemon=True
        )
        self.threads.append(thread)
        thread.start()

    def submit(self, job: Job, shared: dict) -> Future:
        future: Future = Future()
        with self.cond:
            if self.closed:
                raise PoolClosed("the pool is closed")
            self.queue.append((future, job, shared))
            self.cond.notify()
        return future

    def _serve(self, slot: _Slot) -> None:
        try:
            self._take_jobs(slot)
        except BaseException as exc:  # a bug here, not a sandbox's doing: never a driver waiting forever
            self._orphaned(exc)
            raise
        finally:
            slot.stop()

    def _orphaned(self, exc: BaseException) -> None:
        """This thread ends on an error of its own: when no other thread is left to run them,
        the submissions still waiting fail with it (each gets an ``engine-error`` row)."""
        with self.cond:
            if any(t.is_alive() for t in self.threads if t is not threading.current_thread()):
                return
            waiting = list(self.queue)
            self.queue.clear()
        for future, _job, _shared in waiting:
            if future.set_running_or_notify_cancel():
                future.set_exception(PoolClosed(f"the pool's last thread failed: {type(exc).__name__}: {exc}"))

    def _take_jobs(self, slot: _Slot) -> None:
        while True:
            with self.cond:
                while not self.queue and not self.closed:
                    self.cond.wait()
                if self.closed:
                    return
                future, job, shared = self.queue.popleft()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result: RunResult = worker.run_submission(job, shared, slot)
            except BaseException as exc:  # noqa: BLE001 - the driver gives the submission a row
                future.set_exception(exc)
                continue
            if self.closed:
                future.set_exception(PoolClosed("the grader is stopping"))
                return
            future.set_result(result)

    def grow_from(self, zygote: worker.Zygote) -> None:
        """A zygote more while a submission waits and fewer than ``max_zygotes`` run: cloned from
        ``zygote`` (warm, between its runs), or, where cloning failed once (a kernel without
        pidfds), started afresh."""
        with self.cond:
            if self.closed or not self.queue or len(self.slots) >= self.max_zygotes:
                return
            if not self.cloning:
                self._spawn()
                return
        try:
            clone = zygote.clone()
        except (worker.ZygoteError, OSError, RuntimeError) as exc:
            print(f"autograder: no zygote could be cloned ({exc}); further ones start afresh", file=sys.stderr)
            with self.cond:
                self.cloning = False
                if not self.closed:
                    self._spawn()
            return
        with self.cond:
            if self.closed:
                clone.close()
                return
            self._spawn(zygote=clone)

    def warm_up(self) -> None:
        """Start the first zygote now if it is not starting yet (``watch``: warm before the first hand-in)."""
        with self.cond:
            if not self.slots:
                self._spawn()

    def close(self) -> None:
        """Stop: waiting submissions are cancelled, running sandboxes killed, zygotes ended."""
        with self.cond:
            self.closed = True
            waiting = list(self.queue)
            self.queue.clear()
            self.cond.notify_all()
        for future, _job, _shared in waiting:
            future.cancel()
        for slot in self.slots:
            slot.stop()
        for thread in self.threads:
            thread.join(timeout=30)
