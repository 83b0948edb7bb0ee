"""The driver of ``autograder grade``: lock, journal, Dask, judge, gradebook, progress.

- One grader per course: an exclusive ``flock`` on ``<course>/engine/lock``; a second
  grader waits up to ``wait_s`` and then refuses with a clear message.
- Resumable: each finished submission is journalled atomically in
  ``<course>/engine/results/<assignment>/<student>.json`` before its gradebook rows are
  written, and marked recorded after. Killed at any point and run again, the grader
  skips what was recorded, re-records what was judged, and runs the rest: the same
  grades, and nbgrader's ``update_or_create`` rows are never duplicated.
- Dask runs one submission notebook per task (``worker.run_submission``): a
  ``LocalCluster`` (one single-threaded worker process per core) or an existing
  cluster (``scheduler="tcp://..."``). Results come back as data; only this process
  judges and writes.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.engine import judge as judging
from autograder.engine import notebook as nbmod
from autograder.engine import replay
from autograder.engine.gradebook import GradebookWriter, write_autograded
from autograder.engine.limits import Limits

ENGINE_VERSION = "1"


class GraderBusy(RuntimeError):
    """Another grader holds this course's lock."""


@dataclass
class Row:
    """One submission notebook's outcome: every submission gets one, whatever happens."""

    student: str
    notebook: str
    status: str
    score: float = 0.0
    max_score: float = 0.0
    cells: dict = field(default_factory=dict)  #: grade id -> verdict dict
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    resumed: bool = False
    unchanged: list = field(default_factory=list)  #: answer cells left as released ("No response.")


# --- lock ---------------------------------------------------------------------------------

class CourseLock:
    def __init__(self, course: Path, wait_s: float = 0.0):
        self.path = course / "engine" / "lock"
        self.wait_s = wait_s
        self.file = None

    def __enter__(self):
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

    def __exit__(self, *exc):
        self.file.truncate(0)  # no stale holder named in a later refusal
        self.file.flush()
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()


# --- journal ------------------------------------------------------------------------------

def journal_key(course: Path, assignment: str, source_bytes: dict[str, bytes], limits: Limits, student: str) -> str:
    """What a journal entry is valid for: the engine, the limits, the source, the submission."""
    h = hashlib.sha256(ENGINE_VERSION.encode())
    h.update(json.dumps({k: float(v) for k, v in limits.to_dict().items()}, sort_keys=True).encode())
    for nb in sorted(source_bytes):
        h.update(source_bytes[nb])
        p = course / "submitted" / student / assignment / f"{nb}.ipynb"
        h.update(p.read_bytes() if p.exists() else b"<missing>")
    return h.hexdigest()


def _anything_to_run(course: Path, assignment: str, limits: Limits, students: list[str] | None) -> bool:
    """Cheap look at the journal (no torch, no gradebook), to start workers early or not at all."""
    sources = {p.stem: p.read_bytes() for p in sorted((course / "source" / assignment).glob("*.ipynb"))}
    root = course / "submitted"
    names = students or (sorted(p.name for p in root.iterdir() if (p / assignment).is_dir()) if root.exists() else [])
    for student in names:
        try:
            entry = json.loads((course / "engine" / "results" / assignment / f"{student}.json").read_text())
        except (OSError, ValueError):
            return True
        if entry.get("key") != journal_key(course, assignment, sources, limits, student):
            return True
    return False


def _atomic_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# --- the driver ---------------------------------------------------------------------------

class Grader:
    def __init__(self, assignment: str, course: Path, limits: Limits, extra_checks=()):
        from autograder.engine.zygote import load_checks
        from autograder.nbgrader_setup import make_config

        self.assignment = assignment
        self.course = Path(course).resolve()
        self.limits = limits
        self.extra_checks = tuple(str(Path(p).resolve()) for p in extra_checks)
        broken = load_checks(self.extra_checks)
        config = make_config(self.course)
        self.writer = GradebookWriter(config.CourseDirectory.db_url, config.CourseDirectory.course_id, self.course)
        src_dir = self.course / "source" / assignment
        paths = sorted(src_dir.glob("*.ipynb"))
        if not paths:
            raise FileNotFoundError(f"no source notebooks in {src_dir}")
        self.sources = {}
        self.source_bytes = {}
        for p in paths:
            try:
                self.writer.grade_cells(assignment, p.stem)
            except Exception:
                raise RuntimeError(f"{assignment}/{p.name} is not in the gradebook: run "
                                   f"`nbgrader generate_assignment {assignment}` first") from None
            self.source_bytes[p.stem] = p.read_bytes()
            self.sources[p.stem] = nbmod.Source.load(p.stem, self.source_bytes[p.stem])
        self.max_scores = {nb: self.writer.grade_cells(assignment, nb) for nb in self.sources}
        self.solution_checksums = {nb: self.writer.solution_cells(assignment, nb) for nb in self.sources}
        for s in self.sources.values():
            for c in s.tests:
                module = (c.exercise or "").split(".")[0]
                if module in broken:
                    raise RuntimeError(f"the checkers of {c.grade_id} (course.checks.{module}) do not import: "
                                       f"{broken[module]}")
        secret = judging.load_secret(self.course)
        exercises = [c.exercise for s in self.sources.values() for c in s.tests
                     if c.exercise and judging.answers_of(c.exercise) is not None]
        self.cases = judging.Cases(exercises, secret)
        self.fingerprints = replay.fingerprints(exercises)  # for `autograder regrade`
        self.results_dir = self.course / "engine" / "results" / assignment

    # -- submissions -------------------------------------------------------------------
    def students(self) -> list[str]:
        root = self.course / "submitted"
        return sorted(p.name for p in root.iterdir() if (p / self.assignment).is_dir()) if root.exists() else []

    def _key(self, student: str) -> str:
        return journal_key(self.course, self.assignment, self.source_bytes, self.limits, student)

    def journal(self, student: str) -> dict | None:
        path = self.results_dir / f"{student}.json"
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return data if data.get("key") == self._key(student) else None

    def job(self, student: str, nb_name: str) -> tuple[dict | None, nbmod.Plan, list[str], str | None]:
        """(Dask job or None when there is nothing to run, plan, notes, unreadable reason)."""
        path = self.course / "submitted" / student / self.assignment / f"{nb_name}.ipynb"
        source = self.sources[nb_name]
        reason = None
        try:
            cells = nbmod.read_cells(path.read_bytes())
        except FileNotFoundError:
            cells, reason = [], "missing: no submitted notebook"
        except nbmod.Unreadable as exc:
            cells, reason = [], f"unreadable: {exc}"
        plan = nbmod.plan(source, cells, judging.answers_of)
        if reason:
            return None, plan, plan.notes, reason
        job = {"student": student, "notebook": nb_name, "steps": plan.steps, "limits": self.limits.to_dict(),
               "files": {path.name: path.read_bytes()}, "extra_checks": self.extra_checks}
        return job, plan, plan.notes, None

    # -- judging -----------------------------------------------------------------------
    def judge(self, student: str, nb_name: str, plan: nbmod.Plan, result: dict | None,
              reason: str | None) -> tuple[Row, dict]:
        """Verdicts for one notebook, and the executed notebook for feedback."""
        t0 = time.perf_counter()
        source = self.sources[nb_name]
        max_scores = self.max_scores[nb_name]
        steps = {int(k): v for k, v in (result or {}).get("steps", {}).items()}
        blobs = {int(k): v for k, v in (result or {}).get("blobs", {}).items()}
        bad = {int(k): v for k, v in (result or {}).get("bad", {}).items()}
        cells = plan.cells
        for k, step in steps.items():  # outputs into the feedback notebook
            if cells[k]["cell_type"] == "code":
                cells[k]["outputs"] = list(step.get("outputs") or [])
                cells[k]["execution_count"] = step.get("execution_count")
        for k, info in bad.items():
            if k >= 0 and cells[k]["cell_type"] == "code":
                cells[k]["outputs"] = cells[k].get("outputs", []) + [judging._note(
                    f"[grading engine] This cell was left out: it {info['reason']} ({info['status']}).")]
        verdicts: dict[str, judging.Verdict] = {}
        for s in source.tests:
            gid = s.grade_id
            k = plan.tests.get(gid)
            max_score = max_scores.get(gid, float(s.points or 0))
            if reason:
                verdicts[gid] = judging.Verdict(gid, s.exercise, 0.0, max_score, "not-run", reason)
            elif s.role != nbmod.TEST:  # manually graded answers: nbgrader's rule
                # zero when left as released (the release's checksum, from the gradebook), else None:
                # "needs manual grading"
                out_cell = next((c for c in cells if nbmod._nbgrader(c).get("grade_id") == gid), None)
                released = self.solution_checksums.get(nb_name, {}).get(gid)
                score = None
                if out_cell is not None and released:
                    from nbgrader.utils import compute_checksum
                    import nbformat

                    score = 0.0 if compute_checksum(nbformat.from_dict(out_cell)) == released else None
                verdicts[gid] = judging.Verdict(gid, None, score, max_score, "manual",
                                                "No response." if score == 0.0 else "Needs manual grading.")
            elif gid in plan.by_outputs:
                verdicts[gid] = judging.by_outputs(gid, max_score, cells[k]) if k in steps else \
                    judging.Verdict(gid, None, 0.0, max_score, "not-run", "The cell did not run.")
            else:
                verdicts[gid] = judging.decide(gid, s.exercise, max_score, steps.get(k), blobs.get(k, b""), self.cases)
            if k is not None and cells[k]["cell_type"] == "code" and verdicts[gid].outputs:
                cells[k]["outputs"] = verdicts[gid].outputs
        by_exercise = {v.exercise: v for v in verdicts.values() if v.exercise}
        for k, info in sorted(bad.items()):
            if k < 0:
                for v in verdicts.values():
                    if v.status == "not-run":
                        v.flags.append(info["reason"])
                continue
            v = by_exercise.get(plan.owner.get(k))
            if v is not None:
                v.score = 0.0
                v.status = judging.BAD_STATUS.get(info["status"], "crashed")
                what = "its test" if plan.tests.get(v.grade_id) == k else f"cell {k}"
                v.flags.append(f"{what} {info['reason']} ({info['status']})")
                v.message = f"Zero: {what} {info['reason']}."
        for ex_id, why in plan.missing_answers.items():
            v = by_exercise.get(ex_id)
            if v is not None and not reason:
                v.flags.append(why)
                if not v.score:  # a deleted or re-marked answer cell: zero, and a person should look
                    v.status = "flagged"
        for ex_id, whys in getattr(plan, "altered", {}).items():  # test/locked cells or metadata changed
            v = by_exercise.get(ex_id)
            if v is not None and not reason:
                v.flags.extend(whys)  # the source's cells ran: the score stands, a person should look
                v.status = "flagged"
        status = reason.split(":")[0] if reason else "graded"
        if any(v.status == "flagged" for v in verdicts.values()):
            status = "flagged"
        elif any(v.status in ("crashed", "timeout") for v in verdicts.values()):
            status = "errors"
        elif result and result.get("status") not in (None, "ok"):
            status = result["status"]
        row = Row(student, nb_name, status,
                  score=round(sum(v.score or 0 for v in verdicts.values()), 4),
                  max_score=sum(v.max_score for v in verdicts.values()),
                  cells={g: v.to_dict() for g, v in verdicts.items()},
                  flags=[f"{g}: {f}" for g, v in verdicts.items() for f in v.flags],
                  notes=list(plan.notes) + ([reason] if reason else []))
        if result:
            row.timings = {"startup_s": result.get("startup_s", 0.0), "compute_s": result.get("compute_s", 0.0),
                           "runs": len(result.get("runs", [])), "maxrss_kb": result.get("maxrss_kb", 0),
                           "worker_pid": result.get("worker_pid"), "zygote_start_s": result.get("zygote_start_s", 0.0),
                           "worker_maxrss_kb": result.get("worker_maxrss_kb", 0),
                           "zygote_rss_kb": result.get("zygote_rss_kb", 0)}
        row.timings["judge_s"] = time.perf_counter() - t0
        row.unchanged = _unchanged_answers(cells)
        nb = dict(source.nb)
        nb["cells"] = cells
        return row, nb

    def gradebook_entries(self, nb_name: str, row: Row) -> tuple[dict, dict]:
        scores = {g: v["score"] for g, v in row.cells.items()}
        comments: dict[str, str | None] = {}
        source = self.sources[nb_name]
        for s in source.cells:
            if s.role == nbmod.ANSWER and s.grade_id:
                test = next((v for v in row.cells.values() if v["exercise"] == s.exercise), None)
                text = "; ".join(test["flags"]) if test and test["flags"] else None
                parts = (["No response."] if s.grade_id in row.unchanged else []) + \
                    ([f"Grading engine: {text}"] if text else [])
                comments[s.grade_id] = " ".join(parts) or None
        return scores, comments

    def record(self, student: str, entry: dict) -> None:
        stamp = self.course / "submitted" / student / self.assignment / "timestamp.txt"
        timestamp = stamp.read_text().strip() if stamp.exists() else None
        for nb_name, data in entry["notebooks"].items():
            row = Row(**data["row"])
            scores, comments = self.gradebook_entries(nb_name, row)
            self.writer.record(self.assignment, student, nb_name, scores, comments, timestamp)


def _unchanged_answers(cells: list[dict]) -> list[str]:
    """Answer cells whose checksum is the released one (nbgrader's "No response.")."""
    import nbformat
    from nbgrader.utils import compute_checksum

    out = []
    for cell in cells:
        meta = nbmod._nbgrader(cell)
        if meta.get("solution") and meta.get("checksum"):
            try:
                if compute_checksum(nbformat.from_dict(cell)) == meta["checksum"]:
                    out.append(meta["grade_id"])
            except Exception:
                pass
    return out


def _warm(client, extra_checks: tuple) -> list:
    """One task per worker that starts its zygote; keep the futures until the end."""
    from autograder.engine.worker import warm

    try:
        addresses = list(client.scheduler_info()["workers"])
    except Exception:
        return []
    return [client.submit(warm, extra_checks, workers=[a], allow_other_workers=False, pure=False)
            for a in addresses]


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
            warming = _warm(client, tuple(str(Path(p).resolve()) for p in extra_checks))
        try:
            return _run(assignment, course, limits, extra_checks, students, progress, client, scheduler, workers)
        finally:
            del warming
            if own_cluster is not None:
                client.close()
                own_cluster.close()


def _run(assignment, course, limits, extra_checks, students, progress, client, scheduler, workers) -> list[Row]:
    """The body of :func:`grade`, under the lock, with the workers (if any) starting."""
    from autograder.engine.worker import run_submission

    g = Grader(assignment, course, limits, extra_checks)
    rows: list[Row] = []
    todo = []
    names = students or g.students()
    for student in names:
        entry = g.journal(student)
        if entry is not None:
            if not entry.get("recorded"):
                g.record(student, entry)
                entry["recorded"] = True
                _atomic_json(g.results_dir / f"{student}.json", entry)
            for data in entry["notebooks"].values():
                rows.append(Row(**{**data["row"], "resumed": True}))
            continue
        todo.append(student)
    bar = _progress(len(names), len(rows), progress)
    pending: dict[str, dict] = {s: {} for s in todo}
    expected = {s: len(g.sources) for s in todo}
    jobs, meta = [], []
    for student in todo:
        for nb_name in g.sources:
            job, plan, _notes, reason = g.job(student, nb_name)
            if job is None:
                pending[student][nb_name] = (plan, None, reason)
            else:
                jobs.append(job)
                meta.append((student, nb_name, plan))

    def finish(student: str) -> None:
        if len(pending[student]) < expected[student]:
            return
        entry = {"key": g._key(student), "recorded": False, "notebooks": {}, "checkers": g.fingerprints,
                 "limits": g.limits.to_dict()}
        for nb_name, (plan, result, reason) in pending[student].items():
            replay.save(g.results_dir, student, nb_name, result)  # kept for `autograder regrade`
            row, nb = g.judge(student, nb_name, plan, result, reason)
            write_autograded(course, student, assignment, nb_name, nb)
            entry["notebooks"][nb_name] = {"row": row.__dict__}
            rows.append(row)
        _atomic_json(g.results_dir / f"{student}.json", entry)
        t0 = time.perf_counter()
        g.record(student, entry)
        dt = time.perf_counter() - t0
        for data in entry["notebooks"].values():
            data["row"]["timings"]["gradebook_s"] = dt / len(entry["notebooks"])
        for r in rows[-len(entry["notebooks"]):]:
            r.timings["gradebook_s"] = dt / len(entry["notebooks"])
        entry["recorded"] = True
        _atomic_json(g.results_dir / f"{student}.json", entry)
        bar.update(1, failed=any(r.status != "graded" for r in rows[-len(entry["notebooks"]):]))

    for student in todo:
        finish(student)  # those with nothing to run
    late_cluster = None
    try:
        if jobs:
            from dask.distributed import as_completed

            if client is None:  # everything looked journalled, but something must run after all
                client, late_cluster = _client(scheduler, workers)
            shared = client.scatter({"json": g.cases.json, "blob": g.cases.blob}, broadcast=True)
            futures = [client.submit(run_submission, job, shared, pure=False, retries=1) for job in jobs]
            index = {f.key: i for i, f in enumerate(futures)}
            for future in as_completed(futures):
                student, nb_name, plan = meta[index[future.key]]
                try:
                    result = future.result()
                    reason = None
                except Exception as exc:  # the worker itself died twice: still a row
                    result, reason = None, f"engine-error: {type(exc).__name__}: {exc}"
                pending[student][nb_name] = (plan, result, reason)
                finish(student)
    finally:
        if late_cluster is not None:
            client.close()
            late_cluster.close()
    bar.close()
    g.writer.close()
    _summary(g.results_dir, rows)
    return rows


def _summary(folder: Path, rows: list[Row]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / ".summary.csv.tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", "notebook", "status", "score", "max_score", "flags"])
        for r in sorted(rows, key=lambda r: (r.student, r.notebook)):
            w.writerow([r.student, r.notebook, r.status, r.score, r.max_score, " | ".join(r.flags)])
    os.replace(tmp, folder / "summary.csv")


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
