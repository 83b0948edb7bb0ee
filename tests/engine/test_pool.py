"""The driver's own zygote threads (``autograder/engine/pool.py``) never leave it waiting.

A failure of the pool's own code (not of a sandbox: those come back as data) ends its
thread; when it was the last one, what was still waiting fails with the reason, so that
``grade`` writes an ``engine-error`` row for it instead of waiting forever.
"""

from __future__ import annotations

import pytest

from autograder.engine.pool import LocalPool, PoolClosed
from autograder.engine.records import Job, ZygoteSpec
from autograder.engine.limits import Limits


def _take_one_then_fail(self, slot):
    with self.cond:
        while not self.queue:
            self.cond.wait()
    raise RuntimeError("a bug in the pool")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the thread's own report
def test_when_the_last_thread_fails_what_waits_fails_with_the_reason(monkeypatch):
    monkeypatch.setattr(LocalPool, "_take_jobs", _take_one_then_fail)
    pool = LocalPool(ZygoteSpec(), 1)
    try:
        job = Job("ada", "nb", [], Limits(), {})
        futures = [pool.submit(job, {}), pool.submit(job, {})]
        for future in futures:
            with pytest.raises(PoolClosed, match="a bug in the pool"):
                future.result(timeout=60)  # a guard against a hang, not a speed bound
    finally:
        pool.close()


def test_a_clone_is_no_descendant_of_its_zygote_serves_on_its_own_and_outlives_it():
    """``Zygote.clone``: the second zygote is forked from the first, twice, so the first's
    after-run sweep (it kills every descendant it has) never reaches it; it answers on its
    own FIFOs, holds its own slot, and goes on when the first is gone."""
    import psutil

    from autograder.engine import worker

    spec = ZygoteSpec(warm_paths=(), all_checkers=False)
    first = worker.Zygote(spec)
    clone = None
    try:
        clone = first.clone()
        assert clone.ready.pid == clone.proc.pid != first.proc.pid
        assert clone.proc.pid not in {p.pid for p in psutil.Process(first.proc.pid).children(recursive=True)}
        assert clone.slot != first.slot
        first.close()
        assert first.proc.poll() is not None
        clone.warm(ZygoteSpec(warm_imports=("wave",), warm_paths=(), all_checkers=False))  # asks, waits for Ready
        assert "wave" in clone.spec.warm_imports and clone.alive()
    finally:
        first.close()
        if clone is not None:
            clone.close()
    assert clone.proc.poll() is not None  # closing its requests ends it


def _idle(self, slot):
    with self.cond:
        while not self.closed:
            self.cond.wait()


class _CannotClone:
    def clone(self):
        raise OSError(38, "Function not implemented (pidfd_open)")


def test_when_cloning_fails_further_zygotes_start_afresh(monkeypatch, capsys):
    """A kernel without pidfds: the pool says so once and starts the next zygote as a new
    process, so a class still gets a zygote per core."""
    monkeypatch.setattr(LocalPool, "_take_jobs", _idle)
    pool = LocalPool(ZygoteSpec(), 3)
    try:
        with pool.cond:
            pool.queue.extend([object(), object()])  # two submissions waiting
        pool.grow_from(_CannotClone())
        assert not pool.cloning and pool.zygotes == 2 and pool.slots[1].zygote is None
        pool.grow_from(_CannotClone())  # no second try at cloning
        assert pool.zygotes == 3
        assert capsys.readouterr().err.count("no zygote could be cloned") == 1
    finally:
        with pool.cond:
            pool.queue.clear()
        pool.close()
