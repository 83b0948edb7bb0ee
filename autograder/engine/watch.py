"""``autograder watch``: grade each hand-in as it lands in ``submitted/``, with warm zygotes.

Plain nbgrader grades when someone runs ``autograde``; here grading is cheap once a
zygote is warm (a fork and the student's cells), so the watcher keeps one warm and
grades each submission as it arrives, whether nbgrader's exchange ``collect`` or
``autograder collect`` put it there: the gradebook rows, the journal entry and the
student's feedback page are written seconds after the file.

- **What it watches.** ``submitted/<student>/<assignment>/``, by polling: a scan of the
  folders' file names, sizes and modification times every ``poll_s`` (0.25 s). Polling
  rather than inotify (``watchdog``): course directories often live on NFS or another
  network file system shared with a JupyterHub, where inotify does not see what other
  machines write; a scan of 500 students' folders costs a few milliseconds.
- **A notebook still being written** is graded once its folder has not changed for
  ``settle_s`` and its notebooks read as JSON; a file that stays unreadable for
  ``corrupt_s`` is graded as it is (a row that says why; the watcher goes on).
- **A re-submission** (the folder changes again) is graded again; a change while its
  grading runs is noticed after it, and graded again.
- **Restarts.** At start it grades every submission the journal does not hold for the
  bytes on disk (those that arrived while it was down, or whose grading it was killed
  in), and only those. A stop (Ctrl-C, SIGTERM) kills the sandboxes that are running;
  their students have no journal entry yet and are graded at the next start.
- **Warm before the first hand-in.** At its start it grades the instructor's own notebook
  once, in the background, and keeps nothing but a line that says its score: the zygote is
  adopted, and the driver takes the lazy paths of judging (the checkers' libraries, the
  cases' data) before a student waits on them. (A source notebook that does not earn full
  marks is worth knowing about, too.)
- **The roster.** When the course has one (students in the gradebook when the watcher
  starts), as ``autograder grade`` it grades only roster students, and says once per
  hand-in that it leaves another one alone; a student added to the roster meanwhile is
  graded at their next hand-in or at once if one waits.
- It holds the course's grader lock for its whole life: ``autograder grade`` refuses
  meanwhile (one writer of the gradebook).
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from autograder.engine import grading
from autograder.engine.limits import Limits
from autograder.engine.pool import LocalPool
from autograder.engine.records import Row, RowStatus
from autograder.engine.scheduler import REHEARSAL, CourseLock, Grader, Run, zygote_spec
from autograder.engine.warmup import Launched

Signature = tuple[tuple[str, int, int], ...]  #: (file name, size, mtime in ns) of a hand-in's folder


@dataclass
class Arrival:
    """A hand-in that changed and is waiting to be graded."""

    signature: Signature
    seen: float  #: when this signature was first seen (monotonic)
    readable: bool
    arrived: float = 0.0  #: when it was written, at the latest (wall clock: after the scan before)


@dataclass
class Graded:
    """What the watcher reports for each graded hand-in."""

    student: str
    rows: list[Row]
    seconds: float  #: from the notebook's last write to its feedback page written
    feedback: list[Path] = field(default_factory=list)


@dataclass
class _InFlight:
    run: Run
    arrival: Arrival
    waiting: int  #: notebooks still running


class Watcher:
    """See the module docstring; :meth:`serve` runs until ``stop`` is set."""

    def __init__(
        self,
        assignment: str,
        course: str | Path,
        *,
        workers: int | None = None,
        limits: Limits | None = None,
        extra_checks=(),
        poll_s: float = 0.25,
        settle_s: float = 0.25,
        corrupt_s: float = 3.0,
        wait_s: float = 0.0,
        launched: Launched | None = None,
        on_graded: Callable[[Graded], None] | None = None,
        log: Callable[[str], None] = print,
    ):
        self.assignment = assignment
        self.course = Path(course).resolve()
        self.workers = workers or os.cpu_count() or 1
        self.limits = limits or Limits()
        self.extra_checks = tuple(extra_checks)
        self.poll_s, self.settle_s, self.corrupt_s, self.wait_s = poll_s, settle_s, corrupt_s, wait_s
        self.launched = launched
        self.on_graded = on_graded or (lambda graded: None)
        self.log = log
        self.graded: dict[str, Signature] = {}  #: student -> the folder as last graded
        self.arrivals: dict[str, Arrival] = {}
        self.inflight: dict[str, _InFlight] = {}
        self.futures: dict = {}  #: future -> (student, notebook, plan)
        self.last_scan = time.time()  #: wall clock of the scan before this one
        self.rehearsal_t0 = 0.0
        self.roster: set[str] | None = None  #: None: the course has no roster (everybody is graded)
        self.off_roster: dict[str, Signature] = {}  #: hand-ins left alone, as last seen

    # -- the folders --------------------------------------------------------------------
    def _folder(self, student: str) -> Path:
        return self.course / "submitted" / student / self.assignment

    def _scan(self) -> dict[str, Signature]:
        root = self.course / "submitted"
        out: dict[str, Signature] = {}
        try:
            students = [e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith(".")]
        except OSError:
            return out
        for student in students:
            sig = signature(self._folder(student))
            if sig is not None and self._on_roster(student, sig):
                out[student] = sig
        return out

    def _on_roster(self, student: str, sig: Signature) -> bool:
        if self.roster is None or student in self.roster:
            return True
        if self.off_roster.get(student) == sig:
            return False
        self.roster |= self.grader.writer.students()  # it may have grown since
        if student in self.roster:
            self.off_roster.pop(student, None)
            return True
        self.off_roster[student] = sig
        self.log(
            f"{student}: not graded, not on the roster (import them with `autograder roster` "
            "or move their folder out of submitted/)"
        )
        return False

    def _readable(self, student: str) -> bool:
        for nb_name in self.grader.sources:
            try:
                json.loads(self._folder(student).joinpath(f"{nb_name}.ipynb").read_bytes())
            except (OSError, ValueError):
                return False
        return True

    # -- the loop -----------------------------------------------------------------------
    def serve(self, stop: threading.Event) -> None:
        try:
            self._serve(stop)
        finally:
            if self.launched is not None:  # started early, never adopted (the course was busy)
                self.launched.stop()
                self.launched = None

    def _serve(self, stop: threading.Event) -> None:
        with CourseLock(self.course, self.wait_s):
            if os.geteuid() == 0:
                os.chmod(self.course, 0o700)
            sources = [p.read_bytes() for p in sorted((self.course / "source" / self.assignment).glob("*.ipynb"))]
            if not sources:
                raise FileNotFoundError(f"no source notebooks in {self.course / 'source' / self.assignment}")
            checks = tuple(str(Path(p).resolve()) for p in self.extra_checks)
            spec = zygote_spec(sources, checks)
            launched = self.launched or _launch(spec)
            self.launched = None
            self.pool = LocalPool(spec, self.workers, first=launched)
            try:
                self.grader = Grader(self.assignment, self.course, self.limits, self.extra_checks)
                try:
                    self.grader.max_scores  # noqa: B018 - refuse an assignment nbgrader did not release, now
                    self.roster = self.grader.writer.students() or None
                    self._catch_up()
                    if not self.arrivals:  # hand-ins waiting warm it up themselves
                        self._rehearse()
                    self.log(
                        f"watching {self.course / 'submitted'}/*/{self.assignment}/ "
                        f"({len(self.graded)} graded already); Ctrl-C stops"
                    )
                    while not stop.is_set():
                        self._step()
                        stop.wait(self.poll_s)
                finally:
                    self.pool.close()  # the sandboxes still running: killed, graded at the next start
                    self.grader.journal.rewrite_summary()
                    self.grader.close()
            finally:
                self.pool.close()

    def _rehearse(self) -> None:
        """The instructor's notebooks graded once, kept nowhere (see the module docstring)."""
        shared = {"json": self.grader.cases.json, "blob": self.grader.cases.blob}
        self.rehearsal_t0 = time.monotonic()
        for nb_name in self.grader.sources:
            job, plan = self.grader.rehearsal(nb_name)
            self.futures[self.pool.submit(job, shared)] = (REHEARSAL, nb_name, plan)

    def _rehearsed(self, nb_name: str, plan, future) -> None:
        try:
            row, _feedback = self.grader.judge(REHEARSAL, nb_name, plan, future.result(), None)
        except Exception as exc:  # noqa: BLE001 - a warm-up: hand-ins are graded all the same
            self.log(f"warm-up: the instructor's {nb_name} could not be graded ({type(exc).__name__}: {exc})")
            return
        seconds = time.monotonic() - self.rehearsal_t0
        worry = "" if row.score == row.max_score else "; NOT full marks: look at the source notebook and its checkers"
        self.log(
            f"warm-up: the instructor's {nb_name} graded in {seconds:.1f} s, {row.score:g}/{row.max_score:g}{worry}"
        )

    def _catch_up(self) -> None:
        """What the journal holds for the bytes on disk is graded; the rest arrives now."""
        now = time.monotonic()
        for student, sig in self._scan().items():
            if self.grader.journal.valid(student, self.grader.key(student)) is not None:
                self.graded[student] = sig
            else:
                self.arrivals[student] = Arrival(sig, now - self.settle_s, self._readable(student), time.time())

    def _step(self) -> None:
        now, before = time.monotonic(), self.last_scan
        self.last_scan = time.time()
        for student, sig in self._scan().items():
            waiting = self.arrivals.get(student)
            if sig == self.graded.get(student) and waiting is None:
                continue
            if waiting is None or waiting.signature != sig:
                written = max((mtime / 1e9 for _name, _size, mtime in sig), default=before)
                self.arrivals[student] = Arrival(sig, now, self._readable(student), max(written, before))
                if not self.arrivals[student].readable and (waiting is None or waiting.readable):
                    self.log(f"{student}: the hand-in is not a whole notebook yet; waiting for it")
            elif not waiting.readable:
                waiting.readable = self._readable(student)
        for student, arrival in list(self.arrivals.items()):
            settled = now - arrival.seen >= self.settle_s
            if student in self.inflight or not settled:
                continue
            if not arrival.readable and now - arrival.seen < self.corrupt_s:
                continue  # still being written, most likely
            del self.arrivals[student]
            self._start(student, arrival)
        self._collect()

    def _start(self, student: str, arrival: Arrival) -> None:
        sig = arrival.signature
        run = Run(self.grader, [student], progress=False)
        if not run.todo:  # the journal holds exactly these bytes
            self.graded[student] = sig
            return
        run.plan()
        if student not in run.pending:  # nothing to run (missing, unreadable): finished already
            self._done(student, run, arrival)
            return
        shared = {"json": self.grader.cases.json, "blob": self.grader.cases.blob}
        self.inflight[student] = _InFlight(run, arrival, len(run.jobs))
        for job, who, nb_name, plan in run.jobs:
            self.futures[self.pool.submit(job, shared)] = (who, nb_name, plan)

    def _collect(self) -> None:
        for future in [f for f in self.futures if f.done()]:
            student, nb_name, plan = self.futures.pop(future)
            if student == REHEARSAL:
                self._rehearsed(nb_name, plan, future)
                continue
            item = self.inflight[student]
            try:
                result, not_run = future.result(), None
            except Exception as exc:  # noqa: BLE001 - still a row
                result, not_run = (
                    None,
                    grading.NotRun(RowStatus.ENGINE_ERROR, f"engine-error: {type(exc).__name__}: {exc}"),
                )
            item.run.arrived(student, nb_name, plan, result, not_run)
            item.waiting -= 1
            if item.waiting == 0:
                del self.inflight[student]
                self._done(student, item.run, item.arrival)

    def _done(self, student: str, run: Run, arrival: Arrival) -> None:
        """Journalled and in the gradebook: the feedback page, the summary, a line."""
        from autograder import feedback

        self.graded[student] = arrival.signature
        pages = feedback.write(self.course, self.assignment, [student])
        self.grader.journal.rewrite_summary()
        seconds = max(0.0, time.time() - arrival.arrived)
        rows = [r for r in run.rows if r.student == student]
        for r in rows:
            self.log(
                f"{student}  {r.notebook}  {r.score:g}/{r.max_score:g}  {r.status}  ({seconds:.1f} s after it arrived)"
            )
        self.on_graded(Graded(student, rows, seconds, pages))


def signature(folder: Path) -> Signature | None:
    """The names, sizes and modification times of a hand-in's files (None: no such folder)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return None
    out = []
    for e in entries:
        try:
            if e.is_file():
                st = e.stat()
                out.append((e.name, st.st_size, st.st_mtime_ns))
        except OSError:
            continue
    return tuple(sorted(out))


def _launch(spec) -> Launched | None:
    from autograder.engine.records import encode
    from autograder.engine.warmup import launch

    try:
        return launch(encode(spec).decode())
    except (OSError, RuntimeError):
        return None
