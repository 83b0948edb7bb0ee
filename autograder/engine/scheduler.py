"""The driver of ``autograder grade``: lock, journal, Dask, judge, gradebook, progress.

- One grader per course: an exclusive ``flock`` on ``<course>/engine/lock``; a second
  grader waits up to ``wait_s`` and then refuses with a clear message.
- Resumable: each finished submission is journalled atomically (``journal.Journal``)
  before its gradebook rows are written, and marked recorded after. Killed at any point
  and run again, the grader skips what was recorded, re-records what was judged, and
  runs the rest: the same grades, and nbgrader's ``update_or_create`` rows are never
  duplicated.
- Dask runs one submission notebook per task (``worker.run_submission``): a
  ``LocalCluster`` (one single-threaded worker process per core) or an existing
  cluster (``scheduler="tcp://..."``). Results come back as data; only this process
  judges (``grading.grade_notebook``) and writes.
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
from autograder.engine.records import Job, Row, RowStatus, RunResult, ZygoteSpec


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
                    raise GraderBusy(f"another grader is already grading this course ({holder}); "
                                     f"wait for it to finish or use --wait SECONDS") from None
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

    def __init__(self, assignment: str, course: Path, limits: Limits, extra_checks=()):
        from autograder.nbgrader_setup import make_config
        from course.checks import load_all

        self.assignment = assignment
        self.course = Path(course).resolve()
        self.limits = limits
        self.extra_checks = tuple(str(Path(p).resolve()) for p in extra_checks)
        broken: dict[str, str] = {}
        load_all(self.extra_checks, errors=broken)
        config = make_config(self.course)
        self.writer = GradebookWriter(config.CourseDirectory.db_url, config.CourseDirectory.course_id, self.course)
        self.journal = Journal(self.course, assignment)
        self._load_sources()
        self._refuse_broken_checkers(broken)
        self.collected = repairs.placed(self.course, assignment)  #: student -> what collect repaired
        exercises = [c.exercise for s in self.sources.values() for c in s.tests
                     if c.exercise and judging.answers_of(c.exercise) is not None]
        self.cases = judging.Cases(exercises, judging.load_secret(self.course))
        self.fingerprints = fingerprints(exercises)  # for `autograder regrade`
        self.zygote = ZygoteSpec(self.extra_checks, nbmod.imports_of(self.source_bytes.values()))

    def _load_sources(self) -> None:
        src_dir = self.course / "source" / self.assignment
        paths = sorted(src_dir.glob("*.ipynb"))
        if not paths:
            raise FileNotFoundError(f"no source notebooks in {src_dir}")
        self.sources: dict[str, nbmod.Source] = {}
        self.source_bytes: dict[str, bytes] = {}
        self.max_scores: dict[str, dict[str, float]] = {}
        self.released_checksums: dict[str, dict[str, str]] = {}  #: nbgrader's "No response." for written answers
        for p in paths:
            try:
                self.max_scores[p.stem] = self.writer.grade_cells(self.assignment, p.stem)
                self.released_checksums[p.stem] = self.writer.solution_cells(self.assignment, p.stem)
            except Exception:
                raise RuntimeError(f"{self.assignment}/{p.name} is not in the gradebook: run "
                                   f"`nbgrader generate_assignment {self.assignment}` first") from None
            self.source_bytes[p.stem] = p.read_bytes()
            self.sources[p.stem] = nbmod.Source.load(p.stem, self.source_bytes[p.stem])

    def _refuse_broken_checkers(self, broken: dict[str, str]) -> None:
        for s in self.sources.values():
            for c in s.tests:
                module = (c.exercise or "").split(".")[0]
                if module in broken:
                    raise RuntimeError(f"the checkers of {c.grade_id} (course.checks.{module}) do not import: "
                                       f"{broken[module]}")

    # -- submissions -------------------------------------------------------------------
    def students(self) -> list[str]:
        root = self.course / "submitted"
        return sorted(p.name for p in root.iterdir() if (p / self.assignment).is_dir()) if root.exists() else []

    def key(self, student: str) -> str:
        """The journal key of ``student``'s submission as it is now."""
        return self.journal.key(student, self.source_bytes, self.limits)

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
        plan = nbmod.plan(self.sources[nb_name], cells, judging.answers_of)
        if not_run is not None:
            return None, plan, not_run
        repairs.apply(plan, repairs.of(self.collected.get(student), self.sources[nb_name], data))
        return Job(student, nb_name, plan.steps, self.limits, {path.name: data}, self.zygote), plan, None

    # -- judging -----------------------------------------------------------------------
    def judge(self, student: str, nb_name: str, plan: nbmod.Plan, result: RunResult | None,
              not_run: grading.NotRun | None) -> tuple[Row, dict | None]:
        """The row and the feedback notebook (None when grading it failed: the row says why)."""
        g = grading.Grading(student, nb_name, self.sources[nb_name], plan, result, not_run,
                            self.max_scores[nb_name], self.cases, self.limits.cell_timeout_s,
                            self.released_checksums.get(nb_name, {}))
        try:
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
                parts = (["No response."] if s.grade_id in row.unchanged else []) + \
                    ([f"Grading engine: {text}"] if text else [])
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
            print(f"{len(older)} journal entr{'y' if len(older) == 1 else 'ies'} could not be used "
                  f"({g.journal.problems[older[0]]}): graded again", file=sys.stderr)
        self.bar = _progress(len(students), len(self.rows), progress)
        self.pending: dict[str, dict[str, tuple]] = {s: {} for s in self.todo}
        self.jobs: list[tuple[Job, str, str, nbmod.Plan]] = []

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
            for nb_name in self.g.sources:
                job, plan, not_run = self.g.job(student, nb_name)
                if job is None:
                    self.pending[student][nb_name] = (plan, None, not_run)
                else:
                    self.jobs.append((job, student, nb_name, plan))
        for student in self.todo:
            self.finish(student)

    def arrived(self, student: str, nb_name: str, plan: nbmod.Plan, result: RunResult | None,
                not_run: grading.NotRun | None) -> None:
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
        g.save(student, g.journal.new_entry(g.key(student), rows, g.fingerprints, g.limits))
        self.rows += rows
        self.bar.update(1, failed=any(r.status != RowStatus.GRADED for r in rows))

    def dispatch(self, client) -> None:
        """Every job on the cluster; each student is finished as their last notebook comes back."""
        from dask.distributed import as_completed

        from autograder.engine.worker import run_submission

        shared = client.scatter({"json": self.g.cases.json, "blob": self.g.cases.blob}, broadcast=True)
        futures = [client.submit(run_submission, job, shared, pure=False, retries=1) for job, *_ in self.jobs]
        index = {f.key: i for i, f in enumerate(futures)}
        for future in as_completed(futures):
            _job, student, nb_name, plan = self.jobs[index[future.key]]
            try:
                result, not_run = future.result(), None
            except Exception as exc:  # the worker itself died twice: still a row
                result, not_run = None, grading.NotRun(RowStatus.ENGINE_ERROR,
                                                       f"engine-error: {type(exc).__name__}: {exc}")
            self.arrived(student, nb_name, plan, result, not_run)

    def close(self) -> list[Row]:
        """The rows, and ``summary.csv`` of them (whatever happened before)."""
        self.bar.close()
        self.g.journal.write_summary(self.rows)
        return self.rows


def _anything_to_run(course: Path, assignment: str, limits: Limits, students: list[str] | None) -> bool:
    """Cheap look at the journal (no gradebook), to start workers early or not at all."""
    sources = {p.stem: p.read_bytes() for p in sorted((course / "source" / assignment).glob("*.ipynb"))}
    root = course / "submitted"
    names = students or (sorted(p.name for p in root.iterdir() if (p / assignment).is_dir()) if root.exists() else [])
    journal = Journal(course, assignment)
    return any(journal.valid(s, journal.key(s, sources, limits)) is None for s in names)


def _warm(client, spec: ZygoteSpec) -> list:
    """One task per worker that starts its zygote; keep the futures until the end."""
    from autograder.engine.worker import warm

    try:
        addresses = list(client.scheduler_info()["workers"])
    except Exception:  # noqa: BLE001 - warming is an optimisation
        return []
    return [client.submit(warm, spec, workers=[a], allow_other_workers=False, pure=False) for a in addresses]


def _client(scheduler: str | None, workers: int | None):
    from dask.distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    n = workers or os.cpu_count() or 1
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                           memory_limit=0, silence_logs=40)
    return Client(cluster), cluster


def grade(assignment: str, course: str | Path, *, scheduler: str | None = None, workers: int | None = None,
          limits: Limits | None = None, extra_checks=(), wait_s: float = 0.0, progress: bool = True,
          students: list[str] | None = None, client=None) -> list[Row]:
    """Grade every submission of ``assignment`` in nbgrader course ``course``; rows back."""
    course = Path(course).resolve()
    limits = limits or Limits()
    with CourseLock(course, wait_s):
        if os.geteuid() == 0:
            os.chmod(course, 0o700)  # sandboxes run as other uids: nothing in here is theirs to read
        own_cluster, warming = None, []
        if client is None and _anything_to_run(course, assignment, limits, students):
            # workers start their zygotes (seconds: torch...) while this process sets up
            client, own_cluster = _client(scheduler, workers)
            sources = [p.read_bytes() for p in sorted((course / "source" / assignment).glob("*.ipynb"))]
            spec = ZygoteSpec(tuple(str(Path(p).resolve()) for p in extra_checks), nbmod.imports_of(sources))
            warming = _warm(client, spec)
        try:
            g = Grader(assignment, course, limits, extra_checks)
            try:
                return grade_locked(g, students, progress, client, scheduler, workers)
            finally:
                g.writer.close()
        finally:
            del warming
            if own_cluster is not None:
                client.close()
                own_cluster.close()


def grade_locked(g: Grader, students: list[str] | None, progress: bool, client, scheduler: str | None = None,
                 workers: int | None = None) -> list[Row]:
    """The body of :func:`grade`, under the lock, with the workers (if any) starting."""
    run = Run(g, students or g.students(), progress)
    late_cluster = None
    try:
        run.plan()
        if run.jobs:
            if client is None:  # everything looked journalled, but something must run after all
                client, late_cluster = _client(scheduler, workers)
            run.dispatch(client)
    finally:
        if late_cluster is not None:
            client.close()
            late_cluster.close()
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
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} graded, "
                         f"{self.failed} not clean, {eta}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
