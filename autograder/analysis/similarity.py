"""Similar submissions, per exercise: a list of answer pairs for the instructor to read.

Never a verdict. Two answers are *similar* when most of what each student wrote, once
copying's usual changes are undone, is also in the other's answer; students converge on
short and textbook code honestly, so what everyone writes is left out before comparing.

How, per exercise (every pair of attempted answers of the same exercise):

1. each answer is put in canonical form (``normalise.canonical``: independent statements
   in one order, no comments or docstrings, one layout);
2. copydetect (``copydetect.CodeFingerprint``) tokenizes it with Pygments, replaces every
   name by ``V`` and every string literal by ``S``, and hashes its k-grams; with a
   window of 1 every k-gram is kept (answer cells are short, and it makes the result
   independent of Python's per-process string hashing);
3. boilerplate is removed from every answer's fingerprints: the release's stub, the
   instructor's solution, and any k-gram found in many answers of the class
   (:attr:`Settings.common_answers`);
4. all pairs are screened at once by their shared fingerprints (a sparse product), and
   the candidates are compared by ``copydetect.compare_files``, which gives each side's
   share of matching code and where it is; a pair is reported when both shares reach
   :attr:`Settings.threshold`, with the matching lines of each cell.

An exercise whose answers are too short (after the boilerplate is gone) gets a note
instead of pairs: there, identical answers are what honest students write.

Why copydetect: a maintained, pure-Python (MIT) implementation of MOSS's winnowing with
Pygments tokenization and the matched regions mapped back to the source, installable from
PyPI on every Python the project supports. Dolos (tree-sitter, npm) and JPlag (Java) are
stronger at whole-project scale but would bring a second runtime into the instructor's
Python environment; pycode_similar works per function and has not been released since 2020.
"""

from __future__ import annotations

import functools
import io
import math
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from autograder.analysis.normalise import Canonical, canonical


@dataclass(frozen=True)
class Settings:
    """The thresholds, with why."""

    #: k-gram length, in characters of copydetect's filtered code (a name is one ``V``):
    #: about one short statement, so a single shared idiom is not a match.
    k: int = 12
    #: a pair is listed when at least this share of *each* answer matches the other.
    threshold: float = 0.6
    #: a k-gram found in at least this many answers is what the class writes, not a copy...
    common_answers: int = 5
    #: ...or in at least this share of them (whichever is larger).
    common_share: float = 0.25
    #: an exercise whose median answer keeps fewer filtered characters than this, once
    #: the boilerplate is gone, is too short to judge (a couple of statements).
    min_length: int = 40
    #: fewer attempted answers than this: nothing to compare.
    min_answers: int = 2


@dataclass
class ExerciseAnswers:
    """What is compared for one exercise."""

    grade_id: str
    title: str
    answers: dict[str, str]  #: student -> the source of their answer cell(s), attempted answers only
    boilerplate: list[str] = field(default_factory=list)  #: the release's stub, the instructor's solution


@dataclass
class Pair:
    """Two students' answers to one exercise that share most of their code."""

    grade_id: str
    a: str
    b: str
    similarity: float  #: the smaller of the two shares
    share_a: float  #: share of a's (fingerprinted) code that matches b's
    share_b: float
    lines_a: list[int]  #: a's lines (1-based, as the student wrote them) that hold matching code
    lines_b: list[int]

    def other(self, student: str) -> str:
        return self.b if student == self.a else self.a


@dataclass
class ExerciseSimilarity:
    grade_id: str
    title: str
    compared: int  #: attempted answers compared
    median_length: int  #: filtered characters left per answer after the boilerplate (median)
    pairs: list[Pair] = field(default_factory=list)
    note: str | None = None  #: why no pairs are listed (too short, too few answers)


@dataclass
class SimilarityReport:
    assignment: str
    settings: Settings
    exercises: list[ExerciseSimilarity]
    #: grade id -> student -> source, for the page (never in the JSON export)
    sources: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)

    @property
    def pairs(self) -> list[Pair]:
        return [p for e in self.exercises for p in e.pairs]

    @functools.cached_property
    def _by_student(self) -> dict[tuple[str, str], list[Pair]]:
        index: dict[tuple[str, str], list[Pair]] = {}
        for p in self.pairs:
            for s in (p.a, p.b):
                index.setdefault((s, p.grade_id), []).append(p)
        return index

    def similar_to(self, student: str, grade_id: str) -> list[Pair]:
        """The listed pairs of one student's answer to one exercise."""
        return self._by_student.get((student, grade_id), [])


# --- comparing ---------------------------------------------------------------------------------


def _fingerprint(text: str, k: int):
    from copydetect import CodeFingerprint

    return CodeFingerprint("answer.py", k, 1, fp=io.StringIO(text), language="python")


def _drop(fp, hashes: set) -> None:
    """Remove boilerplate fingerprints from a ``CodeFingerprint`` (as its own ``boilerplate``
    argument would, but exact when a k-gram repeats within the answer)."""
    from copydetect.utils import get_token_coverage

    keep = {h: idx for h, idx in fp.hash_idx.items() if h not in hashes}
    fp.hash_idx = keep
    fp.hashes = set(keep)
    fp.token_coverage = get_token_coverage(keep, fp.k, len(fp.filtered_code))


def _lines(forms: Canonical, slices) -> list[int]:
    return sorted(forms.marked_lines([(int(start), int(end)) for start, end in zip(*slices, strict=True)]))


def compare_exercise(ex: ExerciseAnswers, settings: Settings = Settings()) -> ExerciseSimilarity:
    """Every pair of answers of one exercise; the similar ones back."""
    from copydetect import compare_files

    students = sorted(ex.answers)
    result = ExerciseSimilarity(ex.grade_id, ex.title, len(students), 0)
    if len(students) < settings.min_answers:
        result.note = f"{len(students)} attempted answer(s): nothing to compare."
        return result
    forms = {s: canonical(ex.answers[s]) for s in students}
    prints = _own_fingerprints(ex, students, forms, settings)
    lengths = sorted(int(prints[s].token_coverage) for s in students)
    result.median_length = lengths[len(lengths) // 2]
    if result.median_length < settings.min_length:
        result.note = (
            f"Too short to judge: the median answer keeps {result.median_length} characters of code "
            f"once the stub, the solution and what the class shares are left out (fewer than "
            f"{settings.min_length}); identical answers are what honest students write here."
        )
        return result
    for a, b in _screened_pairs(students, prints, settings.threshold / 2):
        _, (share_a, share_b), slices = compare_files(prints[a], prints[b])
        share_a, share_b = float(share_a), float(share_b)
        if min(share_a, share_b) >= settings.threshold:
            result.pairs.append(
                Pair(
                    ex.grade_id,
                    a,
                    b,
                    round(min(share_a, share_b), 3),
                    round(share_a, 3),
                    round(share_b, 3),
                    _lines(forms[a], slices[0]),
                    _lines(forms[b], slices[1]),
                )
            )
    result.pairs.sort(key=lambda p: (-p.similarity, p.a, p.b))
    return result


def _own_fingerprints(
    ex: ExerciseAnswers, students: list[str], forms: dict[str, Canonical], settings: Settings
) -> dict:
    """Each student's fingerprints less what was given (stub, solution) and what at least
    ``common_answers`` (or ``common_share``) of the class wrote."""
    by_text: dict[str, object] = {}  # equal canonical texts (the textbook answer...) are fingerprinted once
    prints = {
        s: by_text.get(forms[s].text) or by_text.setdefault(forms[s].text, _fingerprint(forms[s].text, settings.k))
        for s in students
    }
    given: set = set()
    for text in ex.boilerplate:
        given |= _fingerprint(canonical(text).text, settings.k).hashes
    counts: dict = {}
    for s in students:
        for h in prints[s].hashes - given:
            counts[h] = counts.get(h, 0) + 1
    common_at = max(settings.common_answers, math.ceil(settings.common_share * len(students)))
    common = {h for h, n in counts.items() if n >= common_at}
    for fp in by_text.values():
        _drop(fp, given | common)
    return prints


def _screened_pairs(students: list[str], prints: dict, share: float) -> list[tuple[str, str]]:
    """All pairs screened at once: those whose shared fingerprints reach ``share`` of the
    smaller answer's, the ones worth copydetect's comparison."""
    import numpy as np
    from scipy import sparse

    column: dict = {}
    rows, cols = [], []
    for i, s in enumerate(students):
        for h in prints[s].hashes:
            rows.append(i)
            cols.append(column.setdefault(h, len(column)))
    if not column:
        return []
    m = sparse.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(len(students), len(column)))
    shared = (m @ m.T).toarray()
    size = np.diag(shared).astype(float)
    smaller = np.minimum.outer(size, size)
    with np.errstate(divide="ignore", invalid="ignore"):
        screen = np.where(smaller > 0, shared / smaller, 0.0)
    ii, jj = np.nonzero(np.triu(screen >= share, k=1))
    return [(students[i], students[j]) for i, j in zip(ii.tolist(), jj.tolist(), strict=True)]


def compare(
    exercises: list[ExerciseAnswers], settings: Settings = Settings(), workers: int | None = None
) -> list[ExerciseSimilarity]:
    """:func:`compare_exercise` for each exercise, on ``workers`` processes (default: one
    per core when there is enough to do, else in this process)."""
    total = sum(len(e.answers) for e in exercises)
    workers = workers if workers is not None else (min(os.cpu_count() or 1, len(exercises)) if total > 300 else 1)
    if workers <= 1 or len(exercises) < 2:
        return [compare_exercise(e, settings) for e in exercises]
    import multiprocessing
    import threading

    # the biggest first, so that the workers finish together. A fork starts at once with
    # everything imported, but forking a process with threads can deadlock: then spawn.
    order = sorted(range(len(exercises)), key=lambda i: -sum(map(len, exercises[i].answers.values())))
    method = "fork" if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
        done = dict(
            zip(order, pool.map(compare_exercise, [exercises[i] for i in order], [settings] * len(order)), strict=True)
        )
    return [done[i] for i in range(len(exercises))]


# --- a graded assignment ------------------------------------------------------------------------


def _cells(path: Path, role: str) -> dict[str, str]:
    """grade id -> source of a notebook's answer cells (``role="answer"``) or, for the
    instructor's source, the solution with its markers removed (``role="solution"``)."""
    import json

    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out = {}
    for cell in nb.get("cells", []):
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if cell.get("cell_type") == "code" and meta.get("solution") and meta.get("grade_id"):
            src = cell.get("source", "")
            src = "".join(src) if isinstance(src, list) else str(src)
            if role == "solution":
                src = "\n".join(
                    ln for ln in src.splitlines() if ln.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
                )
            out[meta["grade_id"]] = src
    return out


def _stubs(course: Path, assignment: str, notebook: str) -> dict[str, str]:
    """The answer cells as released: nbgrader's ``release/`` copy, else the source with the
    solution regions cut out (what ``generate_assignment`` replaces them with is boilerplate
    either way)."""
    released = _cells(course / "release" / assignment / f"{notebook}.ipynb", "answer")
    if released:
        return released
    import re

    block = re.compile(r"^[ \t]*### BEGIN SOLUTION.*?^[ \t]*### END SOLUTION[^\n]*\n?", re.M | re.S)
    return {
        g: block.sub("", s) for g, s in _cells(course / "source" / assignment / f"{notebook}.ipynb", "answer").items()
    }


def answers_of(course: Path, results) -> list[ExerciseAnswers]:
    """Every exercise's attempted answers in a graded assignment (``results``: an
    ``autograder.results.AssignmentResults``), from the engine's ``autograded/`` copies."""
    from autograder.analysis.items import attempted
    from autograder.feedback import answer_cells

    course = Path(course)
    by_gid: dict[str, ExerciseAnswers] = {}
    for s in results.students:
        for nb in s.notebooks:
            cells = answer_cells(course, s.student, results.assignment, nb.notebook)
            for e in nb.exercises:
                if e.exercise is None:
                    continue
                ex = by_gid.get(e.grade_id)
                if ex is None:
                    stubs = _stubs(course, results.assignment, nb.notebook)
                    solutions = _cells(course / "source" / results.assignment / f"{nb.notebook}.ipynb", "solution")
                    mine = [g for g in {**stubs, **solutions} if g == e.grade_id or g.startswith(e.grade_id + "-")]
                    ex = by_gid[e.grade_id] = ExerciseAnswers(
                        e.grade_id,
                        e.title,
                        {},
                        [stubs[g] for g in mine if g in stubs] + [solutions[g] for g in mine if g in solutions],
                    )
                if not attempted(e, nb):
                    continue
                text = "\n\n".join(
                    src for gid, src in sorted(cells.items()) if gid == e.grade_id or gid.startswith(e.grade_id + "-")
                )
                if text.strip():
                    ex.answers[s.student] = text
    order = results.exercise_ids()
    return sorted(by_gid.values(), key=lambda x: order.index(x.grade_id) if x.grade_id in order else len(order))


def for_assignment(
    course: str | Path, results, settings: Settings = Settings(), workers: int | None = None
) -> SimilarityReport:
    """The similarity report of a graded assignment."""
    exercises = answers_of(Path(course), results)
    found = compare(exercises, settings, workers)
    return SimilarityReport(results.assignment, settings, found, {e.grade_id: dict(e.answers) for e in exercises})
