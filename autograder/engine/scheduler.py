"""The driver of ``autograder grade``: lock, journal, Dask, judge, gradebook, progress.

- One grader per course: an exclusive ``flock`` on ``<course>/engine/lock``; a second
  grader waits up to ``wait_s`` and then refuses with a clear message.
- Resumable: each finished submission is journalled atomically (``journal.Journal``)
  before its gradebook rows are written, and marked recorded after. Killed at any point
  and run again, the grader skips what was recorded, re-records what was judged, and
  runs the rest: the same grades, and nbgrader's ``update_or_create`` rows are never
  duplicated.
- On this machine the driver runs the submissions itself (``pool.LocalPool``: zygotes
  driven from its threads, the first started before the driver imports torch, more as
  the class pays for them); on a Dask cluster (``scheduler="tcp://..."``, or a client
  given) one submission notebook is one task (``worker.run_submission``). Results come
  back as data; only this process judges (``grading.grade_notebook``) and writes.
- Every submission gets a row and the run always ends with ``summary.csv``: a notebook
  whose grading fails in this process gets a row with status ``engine-error`` and the reason.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from pathlib import Path

from autograder.engine import grading
from autograder.engine import judge as judging
from autograder.engine import notebook as nbmod
from autograder.engine import repairs
from autograder.engine.fingerprints import fingerprints
from autograder.engine.gradebook import GradebookWriter, write_autograded
from autograder.engine.journal import Journal, JournalEntry
from autograder.engine.limits import Limits
from autograder.engine.pool import LocalPool
from autograder.engine.records import Job, Row, RowStatus, RunResult, ZygoteSpec
from autograder.engine.warmup import Launched, needs


class GraderBusy(RuntimeError):
    """Another grader holds this course's lock."""


# --- lock ---------------------------------------------------------------------------------


class CourseLock:
    """``flock`` on ``<course>/engine/lock``, held for a whole run; the holder's pid is written in it."""

    def __init__(self, course: Path, wait_s: float = 0.0):
        self.path = course / "engine" / "lock"
        self.wait_s = wait_s

    def __enter__(self) -> "CourseLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(self.path, "a+")
        deadline = time.monotonic() + self.wait_s
        while True:
            try:
                fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    self.file.seek(0)
                    holder = self.file.read().strip() or "another process"
                    self.file.close()
                    raise GraderBusy(
                        f"another grader is already grading this course ({holder}); "
                        f"wait for it to finish or use --wait SECONDS"
                    ) from None
                time.sleep(0.2)
        self.file.seek(0)
        self.file.truncate()
        self.file.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        self.file.flush()
        return self

    def __exit__(self, *exc) -> None:
        self.file.truncate(0)  # no stale holder named in a later refusal
        self.file.flush()
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()


# --- the assignment -------------------------------------------------------------------------


class Grader:
    """What grading one assignment needs: its sources, points, checkers, cases and journal."""

    def __init__(self, assignment: str, course: Path, limits: Limits, extra_checks=(), all_cells: bool = False):
        from autograder.nbgrader_setup import make_config
        from course.checks import load_all

        self.assignment = assignment
        self.course = Path(course).resolve()
        self.limits = limits
        self.all_cells = all_cells  #: run every cell (no leaving out what grading does not need)
        self.extra_checks = tuple(str(Path(p).resolve()) for p in extra_checks)
        self._config = make_config(self.course)
        self._writer: GradebookWriter | None = None
        self._max_scores: dict[str, dict[str, float]] | None = None
        self._released_checksums: dict[str, dict[str, str]] = {}
        self.journal = Journal(self.course, assignment)
        self._load_sources()
        broken: dict[str, str] = {}
        modules = {(c.exercise or "").split(".")[0] for s in self.sources.values() for c in s.tests}
        load_all(self.extra_checks, errors=broken, only=modules)  # this assignment's checkers, no other
        self._refuse_broken_checkers(broken)
        self.collected = repairs.placed(self.course, assignment)  #: student -> what collect repaired
        exercises = [
            c.exercise
            for s in self.sources.values()
            for c in s.tests
            if c.exercise and judging.answers_of(c.exercise) is not None
        ]
        self.cases = judging.Cases(exercises, judging.load_secret(self.course))
        self.fingerprints = fingerprints(exercises)  # for `autograder regrade`
        self.zygote = zygote_spec(list(self.source_bytes.values()), self.extra_checks)

    def _load_sources(self) -> None:
        src_dir = self.course / "source" / self.assignment
        paths = sorted(src_dir.glob("*.ipynb"))
        if not paths:
            raise FileNotFoundError(f"no source notebooks in {src_dir}")
        self.sources: dict[str, nbmod.Source] = {}
        self.source_bytes: dict[str, bytes] = {}
        for p in paths:
            self.source_bytes[p.stem] = p.read_bytes()
            self.sources[p.stem] = nbmod.Source.load(p.stem, self.source_bytes[p.stem])

    # -- the gradebook (opened once the sandboxes run: nbgrader takes a second to import) --
    @property
    def writer(self) -> GradebookWriter:
        if self._writer is None:
            db = self._config.CourseDirectory
            self._writer = GradebookWriter(db.db_url, db.course_id, self.course)
        return self._writer

    @property
    def max_scores(self) -> dict[str, dict[str, float]]:
        """notebook -> grade id -> max score, as ``generate_assignment`` recorded them."""
        if self._max_scores is None:
            scores, checksums = {}, {}
            for nb_name in self.sources:
                try:
                    scores[nb_name] = self.writer.grade_cells(self.assignment, nb_name)
                    checksums[nb_name] = self.writer.solution_cells(self.assignment, nb_name)
                except Exception:
                    raise RuntimeError(
                        f"{self.assignment}/{nb_name}.ipynb is not in the gradebook: run "
                        f"`nbgrader generate_assignment {self.assignment}` first"
                    ) from None
            self._max_scores, self._released_checksums = scores, checksums
        return self._max_scores

    @property
    def released_checksums(self) -> dict[str, dict[str, str]]:
        """notebook -> grade id -> checksum of the released answer (nbgrader's "No response." for
        written answers), read with :attr:`max_scores`."""
        self.max_scores  # noqa: B018
        return self._released_checksums

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()

    def _refuse_broken_checkers(self, broken: dict[str, str]) -> None:
        for s in self.sources.values():
            for c in s.tests:
                module = (c.exercise or "").split(".")[0]
                if module in broken:
                    raise RuntimeError(
                        f"the checkers of {c.grade_id} (course.checks.{module}) do not import: {broken[module]}"
                    )

    # -- submissions -------------------------------------------------------------------
    def students(self) -> list[str]:
        root = self.course / "submitted"
        return sorted(p.name for p in root.iterdir() if (p / self.assignment).is_dir()) if root.exists() else []

    def key(self, student: str) -> str:
        """The journal key of ``student``'s submission as it is now."""
        return self.journal.key(student, self.source_bytes, self.limits, ALL_CELLS if self.all_cells else "")

    def job(self, student: str, nb_name: str) -> tuple[Job | None, nbmod.Plan, grading.NotRun | None]:
        """(the Dask job, or None when there is nothing to run; the plan; why it is not run)."""
        path = self.course / "submitted" / student / self.assignment / f"{nb_name}.ipynb"
        try:
            data = path.read_bytes()
            cells, not_run = nbmod.read_cells(data), None
        except FileNotFoundError:
            cells, not_run = [], grading.NotRun(RowStatus.MISSING, "missing: no submitted notebook")
        except nbmod.Unreadable as exc:
            cells, not_run = [], grading.NotRun(RowStatus.UNREADABLE, f"unreadable: {exc}")
        plan = nbmod.plan(self.sources[nb_name], cells, judging.answers_of, all_cells=self.all_cells)
        if not_run is not None:
            return None, plan, not_run
        repairs.apply(plan, repairs.of(self.collected.get(student), self.sources[nb_name], data))
        return Job(student, nb_name, plan.steps, self.limits, {path.name: data}, self.zygote), plan, None

    def rehearsal(self, nb_name: str) -> tuple[Job, nbmod.Plan]:
        """The instructor's own notebook as if it were handed in (``watch`` grades it once at
        its start and keeps nothing: the lazy paths of judging are then taken)."""
        data = self.source_bytes[nb_name]
        plan = nbmod.plan(self.sources[nb_name], nbmod.read_cells(data), judging.answers_of, all_cells=self.all_cells)
        return Job(REHEARSAL, nb_name, plan.steps, self.limits, {f"{nb_name}.ipynb": data}, self.zygote), plan

    # -- judging -----------------------------------------------------------------------
    def judge(
        self, student: str, nb_name: str, plan: nbmod.Plan, result: RunResult | None, not_run: grading.NotRun | None
    ) -> tuple[Row, dict | None]:
        """The row and the feedback notebook (None when grading it failed: the row says why).

        On one torch thread: the checkers' tensors are small, and the cores are the sandboxes'
        (a second thread of the driver's waits on them; 09's judging took 1.5 s a student on
        two busy cores, 0.3 s on one thread)."""
        from course.env import one_thread

        g = grading.Grading(
            student,
            nb_name,
            self.sources[nb_name],
            plan,
            result,
            not_run,
            self.max_scores[nb_name],
            self.cases,
            self.limits.cell_timeout_s,
            self.released_checksums.get(nb_name, {}),
        )
        try:
            with one_thread():
                return grading.grade_notebook(g)
        except Exception as exc:  # noqa: BLE001 - never an aborted run: a row that says why
            why = f"engine-error: grading failed in the driver ({type(exc).__name__}: {exc})"
            return grading.failed_row(student, nb_name, self.sources[nb_name], self.max_scores[nb_name], why), None

    def gradebook_entries(self, nb_name: str, row: Row) -> tuple[dict, dict]:
        scores = {g: v.score for g, v in row.cells.items()}
        comments: dict[str, str | None] = {}
        for s in self.sources[nb_name].cells:
            if s.role == nbmod.ANSWER and s.grade_id:
                test = next((v for v in row.cells.values() if v.exercise == s.exercise), None)
                text = "; ".join(test.flags) if test and test.flags else None
                parts = (["No response."] if s.grade_id in row.unchanged else []) + (
                    [f"Grading engine: {text}"] if text else []
                )
                comments[s.grade_id] = " ".join(parts) or None
        return scores, comments

    def record(self, student: str, entry: JournalEntry) -> float:
        """The entry's rows into the gradebook; the seconds it took."""
        t0 = time.perf_counter()
        stamp = self.course / "submitted" / student / self.assignment / "timestamp.txt"
        timestamp = stamp.read_text().strip() if stamp.exists() else None
        for nb_name, item in entry.notebooks.items():
            scores, comments = self.gradebook_entries(nb_name, item.row)
            self.writer.record(self.assignment, student, nb_name, scores, comments, timestamp)
        return time.perf_counter() - t0

    def save(self, student: str, entry: JournalEntry) -> None:
        """Journal, gradebook, journal again marked recorded (the order that makes a rerun safe)."""
        self.journal.write(student, entry)
        dt = self.record(student, entry)
        for row in entry.rows():
            row.timings.gradebook_s = dt / len(entry.notebooks)
        entry.recorded = True
        self.journal.write(student, entry)


# --- one grading run ------------------------------------------------------------------------


class Run:
    """One pass over the submissions: resume what the journal holds, run the rest, judge, save."""

    def __init__(self, g: Grader, students: list[str], progress: bool):
        self.g = g
        self.rows: list[Row] = []
        self.todo: list[str] = []
        for student in students:
            if not self._resume(student):
                self.todo.append(student)
        older = [s for s, why in g.journal.problems.items() if s in self.todo]
        if older and progress:
            print(
                f"{len(older)} journal entr{'y' if len(older) == 1 else 'ies'} could not be used "
                f"({g.journal.problems[older[0]]}): graded again",
                file=sys.stderr,
            )
        self.bar = _progress(len(students), len(self.rows), progress)
        self.pending: dict[str, dict[str, tuple]] = {s: {} for s in self.todo}
        self.jobs: list[tuple[Job, str, str, nbmod.Plan]] = []
        self.keys: dict[str, str] = {}  #: the journal key of what was read (a hand-in may change meanwhile)

    def _resume(self, student: str) -> bool:
        entry = self.g.journal.valid(student, self.g.key(student))
        if entry is None:
            return False
        if not entry.recorded:
            self.g.record(student, entry)
            entry.recorded = True
            self.g.journal.write(student, entry)
        for row in entry.rows():
            row.resumed = True
            self.rows.append(row)
        return True

    def plan(self) -> None:
        """A job per notebook to run; those with nothing to run are finished at once."""
        for student in self.todo:
            self.keys[student] = self.g.key(student)
            for nb_name in self.g.sources:
                job, plan, not_run = self.g.job(student, nb_name)
                if job is None:
                    self.pending[student][nb_name] = (plan, None, not_run)
                else:
                    self.jobs.append((job, student, nb_name, plan))
        for student in self.todo:
            self.finish(student)

    def arrived(
        self, student: str, nb_name: str, plan: nbmod.Plan, result: RunResult | None, not_run: grading.NotRun | None
    ) -> None:
        self.pending[student][nb_name] = (plan, result, not_run)
        self.finish(student)

    def finish(self, student: str) -> None:
        """Once every notebook of ``student`` is back: judge, keep, write, save."""
        if len(self.pending[student]) < len(self.g.sources):
            return
        g = self.g
        rows = []
        for nb_name, (plan, result, not_run) in self.pending.pop(student).items():
            g.journal.keep(student, nb_name, result)  # for `autograder regrade`
            row, nb = g.judge(student, nb_name, plan, result, not_run)
            if nb is not None:
                write_autograded(g.course, student, g.assignment, nb_name, nb)
            rows.append(row)
        g.save(student, g.journal.new_entry(self.keys.get(student) or g.key(student), rows, g.fingerprints, g.limits))
        self.rows += rows
        self.bar.update(1, failed=any(r.status != RowStatus.GRADED for r in rows))

    def dispatch(self, executor) -> None:
        """Every job to the pool or the cluster; each student is finished as their last notebook comes back."""
        shared = {"json": self.g.cases.json, "blob": self.g.cases.blob}
        if isinstance(executor, LocalPool):
            import concurrent.futures

            futures = [executor.submit(job, shared) for job, *_ in self.jobs]
            done, key = concurrent.futures.as_completed(futures), _identity
        else:
            import dask.distributed

            from autograder.engine.worker import run_submission

            scattered = executor.scatter(shared, broadcast=True)
            futures = [executor.submit(run_submission, job, scattered, pure=False, retries=1) for job, *_ in self.jobs]
            done, key = dask.distributed.as_completed(futures), _dask_key
        index = {key(f): i for i, f in enumerate(futures)}
        self.g.max_scores  # noqa: B018 - the gradebook, read while the sandboxes run (refuses a missing release)
        for future in done:
            _job, student, nb_name, plan = self.jobs[index[key(future)]]
            try:
                result, not_run = future.result(), None
            except Exception as exc:  # the worker itself died twice: still a row
                result, not_run = (
                    None,
                    grading.NotRun(RowStatus.ENGINE_ERROR, f"engine-error: {type(exc).__name__}: {exc}"),
                )
            self.arrived(student, nb_name, plan, result, not_run)

    def close(self) -> list[Row]:
        """The rows, and ``summary.csv`` of them (whatever happened before)."""
        self.bar.close()
        self.g.journal.write_summary(self.rows)
        return self.rows


def _identity(future) -> object:
    return id(future)


def _dask_key(future) -> object:
    return future.key


#: Who hands in the instructor's own notebook in :meth:`Grader.rehearsal` (no student id has parentheses).
REHEARSAL = "(rehearsal)"

#: The journal key's variant of a run with ``all_cells`` (every cell run).
ALL_CELLS = "all-cells"


def zygote_spec(sources: list[bytes], extra_checks=()) -> ZygoteSpec:
    """What the zygotes of an assignment import and warm (``warmup.needs``), as the record."""
    import msgspec

    return msgspec.convert(needs(sources, extra_checks).spec(extra_checks), ZygoteSpec)


def _anything_to_run(
    course: Path, assignment: str, limits: Limits, students: list[str] | None, variant: str = ""
) -> bool:
    """Cheap look at the journal (no gradebook), to start workers early or not at all."""
    sources = {p.stem: p.read_bytes() for p in sorted((course / "source" / assignment).glob("*.ipynb"))}
    root = course / "submitted"
    names = students or (sorted(p.name for p in root.iterdir() if (p / assignment).is_dir()) if root.exists() else [])
    journal = Journal(course, assignment)
    return any(journal.valid(s, journal.key(s, sources, limits, variant)) is None for s in names)


def _warm(client, spec: ZygoteSpec) -> list:
    """One task per worker that starts its zygote; keep the futures until the end."""
    from autograder.engine.worker import warm

    try:
        addresses = list(client.scheduler_info()["workers"])
    except Exception:  # noqa: BLE001 - warming is an optimisation
        return []
    return [client.submit(warm, spec, workers=[a], allow_other_workers=False, pure=False) for a in addresses]


def _client(scheduler: str | None, workers: int | None):
    """A Dask client: on the cluster at ``scheduler``, or on a new LocalCluster (then returned too)."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    n = workers or os.cpu_count() or 1
    cluster = LocalCluster(
        n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None, memory_limit=0, silence_logs=40
    )
    return Client(cluster), cluster


def _source_bytes(course: Path, assignment: str) -> list[bytes]:
    return [p.read_bytes() for p in sorted((course / "source" / assignment).glob("*.ipynb"))]


def grade(
    assignment: str,
    course: str | Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    limits: Limits | None = None,
    extra_checks=(),
    wait_s: float = 0.0,
    progress: bool = True,
    students: list[str] | None = None,
    client=None,
    all_cells: bool = False,
    launched: Launched | None = None,
) -> list[Row]:
    """Grade every submission of ``assignment`` in nbgrader course ``course``; rows back.

    On this machine (no ``scheduler``, no ``client``) the submissions run in the driver's own
    zygotes (``pool.LocalPool``, at most ``workers``, default one per core); ``launched`` is
    the first of them, when the caller started it early (``warmup.launch``). ``client``: a
    Dask client, or a ``LocalPool`` the caller keeps warm across assignments (its zygotes
    import what each one needs, as a Dask worker's do).
    """
    course = Path(course).resolve()
    limits = limits or Limits()
    executor, own = client, []
    try:
        with CourseLock(course, wait_s):
            if os.geteuid() == 0:
                os.chmod(course, 0o700)  # sandboxes run as other uids: nothing in here is theirs to read
            warming: list = []
            if client is None and _anything_to_run(
                course, assignment, limits, students, ALL_CELLS if all_cells else ""
            ):
                spec = zygote_spec(
                    _source_bytes(course, assignment), tuple(str(Path(p).resolve()) for p in extra_checks)
                )
                executor, own = _executor(scheduler, workers, spec, launched)
                launched = None
                if scheduler:  # workers start their zygotes (seconds: torch...) while this process sets up
                    warming = _warm(executor, spec)
            g = Grader(assignment, course, limits, extra_checks, all_cells)
            try:
                return grade_locked(g, students, progress, executor, scheduler, workers)
            finally:
                g.close()
                del warming
    finally:
        if launched is not None:  # started early, then not needed (nothing to run, or the course was busy)
            launched.stop()
        for thing in own:
            thing.close()


def _executor(scheduler: str | None, workers: int | None, spec: ZygoteSpec, launched: Launched | None = None):
    """(what runs the submissions, what to close after): a Dask client, or the driver's own zygotes."""
    if scheduler:
        client, cluster = _client(scheduler, workers)
        return client, [client] + ([cluster] if cluster is not None else [])
    pool = LocalPool(spec, workers or os.cpu_count() or 1, first=launched)
    return pool, [pool]


def grade_locked(
    g: Grader,
    students: list[str] | None,
    progress: bool,
    executor,
    scheduler: str | None = None,
    workers: int | None = None,
) -> list[Row]:
    """The body of :func:`grade`, under the lock, with the zygotes or workers (if any) starting."""
    run = Run(g, students or g.students(), progress)
    late: list = []
    try:
        run.plan()
        if run.jobs:
            if executor is None:  # everything looked journalled, but something must run after all
                executor, late = _executor(scheduler, workers, g.zygote)
            run.dispatch(executor)
    finally:
        for thing in late:
            thing.close()
        rows = run.close()
    return rows


class _progress:
    """A one-line progress bar on stderr: done/total, failures, time left."""

    def __init__(self, total: int, done: int, enabled: bool):
        self.total, self.done, self.failed = total, done, 0
        self.enabled = enabled and total > 0
        self.t0 = time.perf_counter()
        self.start_done = done
        self._draw()

    def update(self, n: int, failed: bool = False) -> None:
        self.done += n
        self.failed += int(failed)
        self._draw()

    def _draw(self) -> None:
        if not self.enabled:
            return
        width = 30
        filled = int(width * self.done / self.total) if self.total else width
        rate_n = self.done - self.start_done
        elapsed = time.perf_counter() - self.t0
        left = (self.total - self.done) * elapsed / rate_n if rate_n else float("nan")
        eta = f"{left:5.0f} s left" if rate_n else "  ... s left"
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} graded, "
            f"{self.failed} not clean, {eta}"
        )
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
