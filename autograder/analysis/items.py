"""Item analysis: how each exercise of an assignment behaved, and which need a look.

Per exercise (an *item*), over the *participants* (graded students who attempted at least
one exercise of the assignment; a blank hand-in says nothing about any item, and counting
it as the weakest student makes every item, a broken one too, look as if it separated
strong from weak):

- **difficulty**: mean fraction of the points; the **pass rate** (full marks) with its
  90% Wilson interval;
- **discrimination**, among the participants who attempted the item (one who stopped
  before it says nothing about its checker): the corrected point-biserial *r* (the
  item's fraction of points against the rest of the assignment's points, the item itself
  left out) with a 90% interval (Fisher's z), and the upper-lower index *D* (mean item
  score of the top 27% by the rest score minus that of the bottom 27%; students tied at a
  cut share the places);
- the share **not attempted** (the answer left as released, or still raising
  ``NotImplementedError``);
- the most frequent **misconceptions** among the failed attempts;
- **time in grading**: sandbox seconds on the exercise's cells (median and maximum).

Flags, each with its evidence in words (thresholds in :class:`Thresholds`):

- *negative discrimination* (a mis-keyed or broken checker?): the 90% interval of r lies
  below 0, a one-sided 95% test that those who do well elsewhere do worse here;
- *near-zero discrimination*: the whole interval lies between -0.2 and 0.2 (an item
  that tells no one apart); a class needs about 70 attempts before this can be shown,
  and below that an r whose interval reaches from below 0 to above 0.2 is noted as too
  uncertain, not flagged;
- *almost everyone passes* / *almost no one passes*: the pass rate is at least 90% (at
  most 10%) and even the pessimistic end of its interval is at least 80% (at most 20%);
  in a class of 15 only a clean sweep qualifies, one student more or less being noise;
- *one misconception takes most failures* (a prompt that misleads?): at least 3
  students and more than half of the failed attempts name the same mistake.

Where the data cannot support a flag, the item says so in ``notes`` instead of flagging
noise (an r whose interval spans both "works" and "broken", too few participants).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum

#: z for a two-sided 90% interval (= a one-sided 95% bound at each end)
Z90 = 1.6448536269514722
NOT_A_MISTAKE = frozenset({"not-implemented", "raised-error"})  #: not an attempt / a crash, not a reading of the prompt


@dataclass(frozen=True)
class Thresholds:
    """Every cut-off of the flags, in one place (the module docstring says why)."""

    easy_rate: float = 0.90
    easy_floor: float = 0.80  #: the pass rate's 90% interval must start at least here
    hard_rate: float = 0.10
    hard_ceiling: float = 0.20
    weak_r: float = 0.20  #: near-zero: r's 90% interval ends below this
    group: float = 0.27  #: upper and lower groups of the D index
    mistake_share: float = 0.5
    mistake_min: int = 3
    min_participants: int = 5  #: below this no statistic is computed at all


class Flag(str, Enum):
    NEGATIVE = "negative discrimination"
    NEAR_ZERO = "near-zero discrimination"
    EASY = "almost everyone passes"
    HARD = "almost no one passes"
    ONE_MISTAKE = "one misconception takes most failures"


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass
class ItemFlag:
    flag: Flag
    why: str  #: the evidence, in words


@dataclass
class MistakeCount:
    code: str
    title: str
    count: int


@dataclass
class ItemStats:
    assignment: str
    grade_id: str
    exercise: str | None
    title: str
    max_points: float
    n: int  #: participants with a score on this item
    attempts: int = 0  #: of them, those who attempted it (r and D are over these)
    difficulty: float | None = None  #: mean fraction of the points
    pass_rate: float | None = None
    pass_interval: Interval | None = None
    not_attempted: float | None = None  #: share of the participants
    r: float | None = None  #: corrected point-biserial
    r_interval: Interval | None = None
    d: float | None = None  #: upper-lower 27% index
    failed_attempts: int = 0
    mistakes: list[MistakeCount] = field(default_factory=list)
    grading_s_median: float | None = None
    grading_s_max: float | None = None
    flags: list[ItemFlag] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


@dataclass
class ItemAnalysis:
    assignment: str
    graded: int  #: graded students
    participants: int
    left_out: int  #: graded students who attempted nothing
    items: list[ItemStats]
    thresholds: Thresholds = field(default_factory=Thresholds)

    @property
    def flagged(self) -> list[ItemStats]:
        return [i for i in self.items if i.flags]


# --- attempts ------------------------------------------------------------------------------------


def attempted(e, nb) -> bool:
    """Whether a student attempted an exercise (``e``: an ``ExerciseResult`` of notebook
    ``nb``): the answer was changed from the release and no longer raises
    ``NotImplementedError``, and the exercise ran."""
    if e.code == "not-implemented" or e.status == "not-run":
        return False
    return f"{e.grade_id}-answer" not in (getattr(nb, "unchanged", None) or [])


# --- statistics ------------------------------------------------------------------------------------


def wilson(k: float, n: int, z: float = Z90) -> Interval | None:
    """Wilson's score interval of a proportion k/n."""
    if n <= 0:
        return None
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def pearson(x: list[float], y: list[float]) -> float | None:
    n = len(x)
    if n < 3:
        return None
    mx, my = statistics.fmean(x), statistics.fmean(y)
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True)) / math.sqrt(sxx * syy)


def fisher_interval(r: float, n: int, z: float = Z90) -> Interval | None:
    if n < 4:
        return None
    c = math.atanh(max(-0.9999, min(0.9999, r)))
    half = z / math.sqrt(n - 3)
    return Interval(math.tanh(c - half), math.tanh(c + half))


def upper_lower(x: list[float], rest: list[float], share: float = 0.27) -> float | None:
    """Mean item score of the top ``share`` by rest score minus that of the bottom; a tie
    block that straddles a cut is in the group with a weight for the places left."""
    n = len(x)
    size = share * n
    if n < 2 or size <= 0:
        return None

    def group(order: list[int]) -> float:
        total, weight_left, i = 0.0, size, 0
        while i < n and weight_left > 1e-12:
            j = i
            while j < n and rest[order[j]] == rest[order[i]]:
                j += 1
            block = order[i:j]
            w = min(1.0, weight_left / len(block))
            total += w * sum(x[k] for k in block)
            weight_left -= w * len(block)
            i = j
        return total / size

    by_rest = sorted(range(n), key=lambda k: rest[k])
    return group(by_rest[::-1]) - group(by_rest)


# --- the analysis ------------------------------------------------------------------------------------


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def analyse(results, thresholds: Thresholds = Thresholds()) -> ItemAnalysis:
    """Item statistics of a graded assignment (``results``: ``autograder.results.AssignmentResults``)."""
    from course.misconceptions import CATALOGUE

    t = thresholds
    graded = [s for s in results.students if s.notebooks]
    rows = {}  # student -> grade id -> (exercise result, notebook)
    for s in graded:
        rows[s.student] = {e.grade_id: (e, nb) for nb in s.notebooks for e in nb.exercises}
    participants = [s for s in graded if any(attempted(e, nb) for e, nb in rows[s.student].values())]
    items = []
    for gid in results.exercise_ids():
        present = [
            (s, *rows[s.student][gid])
            for s in participants
            if gid in rows[s.student] and rows[s.student][gid][0].points is not None
        ]
        if not present:
            continue
        e0 = present[0][1]
        maxp = max(e.max_points for _, e, _ in present) or 1.0
        it = ItemStats(results.assignment, gid, e0.exercise, e0.title, maxp, len(present))
        items.append(it)
        x = [min(max(float(e.points) / maxp, 0.0), 1.0) for _, e, _ in present]
        passed = [e.passed for _, e, _ in present]
        tried = [attempted(e, nb) for _, e, nb in present]
        rest = [sum(float(o.points or 0) for g, (o, _) in rows[s.student].items() if g != gid) for s, _, _ in present]
        it.difficulty = statistics.fmean(x)
        it.pass_rate = sum(passed) / len(passed)
        it.pass_interval = wilson(sum(passed), len(passed))
        it.not_attempted = 1 - sum(tried) / len(tried)
        failed = [(e, nb) for (_, e, nb), ok, a in zip(present, passed, tried, strict=True) if a and not ok]
        it.failed_attempts = len(failed)
        codes = Counter(e.code for e, _ in failed if e.code and e.code not in NOT_A_MISTAKE)
        it.mistakes = [MistakeCount(c, CATALOGUE[c].title if c in CATALOGUE else c, k) for c, k in codes.most_common(3)]
        times = [
            float(nb.timings.exercise_s[e.exercise]) for _, e, nb in present if e.exercise in nb.timings.exercise_s
        ]
        if times:
            it.grading_s_median, it.grading_s_max = statistics.median(times), max(times)
        if it.n < t.min_participants:
            it.notes.append(f"{it.n} participants: too few for any statistic to mean much; nothing is flagged.")
            continue
        # discrimination among those who attempted it: who stopped before an item says nothing about its checker
        xa = [v for v, a in zip(x, tried, strict=True) if a]
        ra = [v for v, a in zip(rest, tried, strict=True) if a]
        it.attempts = len(xa)
        it.r = pearson(xa, ra)
        it.d = upper_lower(xa, ra, t.group)
        it.r_interval = fisher_interval(it.r, len(xa)) if it.r is not None else None
        _flag(it, t)
    left_out = len(graded) - len(participants)
    return ItemAnalysis(results.assignment, len(graded), len(participants), left_out, items, t)


def _flag(it: ItemStats, t: Thresholds) -> None:
    """Flags (and notes, where the evidence is too thin to flag) on the pass rate, the
    discrimination and the most common mistake."""
    _flag_pass_rate(it, t)
    _flag_discrimination(it, t)
    _flag_one_mistake(it, t)


def _flag_pass_rate(it: ItemStats, t: Thresholds) -> None:
    n = it.n
    k = round(it.pass_rate * n)
    iv = it.pass_interval
    if it.pass_rate >= t.easy_rate and iv.low >= t.easy_floor:
        it.flags.append(
            ItemFlag(
                Flag.EASY,
                f"{k} of {n} passed (90% interval {_pct(iv.low)} to {_pct(iv.high)}): "
                "the item tells no one apart; is it checking what it should?",
            )
        )
    elif it.pass_rate <= t.hard_rate and iv.high <= t.hard_ceiling:
        why = f"{k} of {n} passed (90% interval {_pct(iv.low)} to {_pct(iv.high)})"
        if it.not_attempted and it.not_attempted >= 0.5:
            why += f"; {_pct(it.not_attempted)} did not attempt it (time, or its place in the notebook?)"
        it.flags.append(ItemFlag(Flag.HARD, why + ": a broken checker, or a prompt that asks for something else?"))
    elif it.pass_rate >= t.easy_rate or it.pass_rate <= t.hard_rate:
        it.notes.append(
            f"{k} of {n} passed: near the edge, but with {n} participants the 90% interval "
            f"({_pct(iv.low)} to {_pct(iv.high)}) is too wide to call it."
        )


def _flag_discrimination(it: ItemStats, t: Thresholds) -> None:
    if it.r is None:
        it.notes.append("No discrimination: every participant scored the same on it, or on the rest.")
        return
    if it.r_interval is None:
        return
    lo, hi = it.r_interval.low, it.r_interval.high
    evidence = f"r = {it.r:+.2f} (90% interval {lo:+.2f} to {hi:+.2f}), D = {it.d:+.2f}"
    if hi < 0:
        it.flags.append(
            ItemFlag(
                Flag.NEGATIVE,
                f"{evidence}: students who do well on the rest do worse on "
                "this one; is the checker mis-keyed or broken?",
            )
        )
    elif -t.weak_r < lo and hi < t.weak_r:
        it.flags.append(
            ItemFlag(
                Flag.NEAR_ZERO,
                f"{evidence}: the item barely relates to the rest; a broken checker, or it measures something else?",
            )
        )
    elif lo <= 0:
        it.notes.append(
            f"{evidence}: with {it.attempts} attempts too uncertain to tell a working item from a "
            "broken one; not flagged."
        )


def _flag_one_mistake(it: ItemStats, t: Thresholds) -> None:
    if not (it.mistakes and it.failed_attempts):
        return
    top = it.mistakes[0]
    if top.count >= t.mistake_min and top.count / it.failed_attempts > t.mistake_share:
        it.flags.append(
            ItemFlag(
                Flag.ONE_MISTAKE,
                f"{top.count} of {it.failed_attempts} failed attempts are "
                f"'{top.title}' [{top.code}]: does the prompt lead there, or does the "
                "checker's key disagree with it?",
            )
        )


def graded_assignments(course) -> list[str]:
    """The assignments the engine graded in a course, in name order (the term's order)."""
    from pathlib import Path

    return sorted(p.name for p in (Path(course) / "engine" / "results").glob("*") if p.is_dir())


def course_history(
    course, assignments: list[str] | None = None, thresholds: Thresholds = Thresholds()
) -> list[ItemStats]:
    """Every item of every graded assignment of a course, in assignment order: each
    exercise's history across the term (and across re-uses of the same exercise)."""
    from autograder.results import load

    assignments = graded_assignments(course) if assignments is None else assignments
    out: list[ItemStats] = []
    for a in assignments:
        out += analyse(load(course, a), thresholds).items
    return out
