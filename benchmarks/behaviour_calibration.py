"""How far correct answers stay from the bars of the exercises graded by behaviour.

    python benchmarks/behaviour_calibration.py [--secrets N] [--first K] [EXERCISE ...]

An exercise graded by behaviour (a training run, an accuracy, a loss or error threshold)
is only fair if no correct answer can fall under its bar on an unlucky secret (issue 20).
For each such exercise this grades, on the hidden cases of N secrets (default 300: a
correct answer that loses points on 1% of the secrets is missed with probability
0.99^300 = 5%):

- the reference solution (the answer cell of the solution notebook) and the other correct
  answers of ``tests/variants/correct.py`` (another optimizer, batch size or method);
- the named wrong answers of ``tests/variants/nbNN.py``, and answers that are not what the
  exercise asks for (``NOT_IMPROVED``).

Per exercise it prints each bar (read from the checker module when the table is built, so
it stays true when someone moves a bar), each correct answer's worst value over the secrets
and its margin to the bar, the number of secrets on which it lost points, and the best value
any wrong answer reached with the code that named it. It exits with status 1 when a correct
answer lost points on any secret. ``--first K`` uses secrets K, K+1, ... (to split a run).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the answers: tests/variants, read with tests/support.py


@dataclass(frozen=True)
class Bar:
    """One threshold of a checker: values on the wrong side of it lose points."""

    metric: str
    value: float
    higher_is_better: bool

    def margin(self, worst: float) -> float:
        """How far a value is on the right side of the bar (negative: under it)."""
        return worst - self.value if self.higher_is_better else self.value - worst

    def worse(self, a: float, b: float) -> float:
        return min(a, b) if self.higher_is_better else max(a, b)

    def better(self, a: float, b: float) -> float:
        return max(a, b) if self.higher_is_better else min(a, b)


@dataclass(frozen=True)
class Spec:
    """An exercise graded by behaviour: its bars (read on demand) and how to measure a case."""

    exercise: str
    bars: Callable[[], list[Bar]]
    measure: Callable[[dict, Any], list[float | None]]  #: one value per bar, from the case and what run returned


def _tensor(value):
    return getattr(value, "data", None)


# --- the measurements, one per exercise, with the checkers' own functions where they exist ----
def _nb05_ex1_bars():
    from course.checks import nb05

    return [Bar(f"parameter error / (atol {nb05.LOOP_ATOL:g} + rtol {nb05.LOOP_RTOL:g} |ref|)", 1.0, False)]


def _nb05_ex1(case, got):
    import torch

    from course.checks import nb05

    w, b = _tensor(got.get("weight")), _tensor(got.get("bias"))
    if w is None or b is None:
        return [None]
    _, rw, rb, _ = nb05._loop(case, "zfbs")
    ref = torch.cat([rw.reshape(-1), rb.reshape(-1)]).double()
    params = torch.cat([w.reshape(-1), b.reshape(-1)]).double()
    if params.shape != ref.shape:
        return [None]
    return [float(((params - ref).abs() / (nb05.LOOP_ATOL + nb05.LOOP_RTOL * ref.abs())).max())]


def _nb05_ex7_bars():
    return [Bar("relative error of the converged runs' final losses (the judge's rtol is inline: 1e-3)", 1e-3, False)]


def _nb05_ex7(case, got):
    import torch

    from course.checks import nb05

    finals = got.get("finals")
    if type(finals) not in (list, tuple) or len(finals) != len(case["lrs"]):
        return [None]
    got_t = torch.tensor([float(f) for f in finals], dtype=torch.float64)
    ref, firsts = nb05._sweep(case)
    ok = ~nb05._diverged(ref, firsts) & ~nb05._diverged(got_t, firsts)
    if not bool(ok.any()):
        return [0.0]
    return [float(((got_t[ok] - ref[ok]).abs() / ref[ok].abs().clamp(min=1e-12)).max())]


def _nb07_ex1_bars():
    from course.checks import nb07

    return [Bar("training MSE above the least-squares optimum (relative)", nb07.EX1_EXCESS_FOR_FULL, False)]


def _nb07_ex1(case, got):
    from course.checks import nb07

    if type(got) not in (tuple, list) or len(got) != 2:
        return [None]
    w = _tensor(got[0])
    b = got[1] if type(got[1]) in (int, float) else getattr(_tensor(got[1]), "item", lambda: None)()
    if w is None or b is None or w.numel() != case["features"].shape[1]:
        return [None]
    return [nb07.ex1_excess(case, w, float(b))]


def _nb07_ex3_bars():
    from course.checks import nb07

    return [Bar(f"error / (atol {nb07.EX3_ATOL:g} + rtol {nb07.EX3_RTOL:g} |ref|), worse of the two", 1.0, False)]


def _nb07_ex3(case, got):
    from course.checks import nb07

    if type(got) not in (tuple, list) or len(got) != 2 or not all(type(g) in (int, float) for g in got):
        return [None]
    ref = nb07._fit_errors(case["x_train"], case["y_train"], case["x_val"], case["y_val"], case["degree"])
    return [max(abs(g - r) / (nb07.EX3_ATOL + nb07.EX3_RTOL * abs(r)) for g, r in zip(got, ref, strict=True))]


def _nb07_ex4_bars():
    from course.checks import nb07

    return [
        Bar("standard errors from the expected mean, worse of the two", nb07.EX4_Z_FOR_FULL, False),
        Bar("spread of single trials / expected spread, log-distance from 1", math.log(nb07.EX4_SPREAD_FACTOR), False),
    ]


def _nb07_ex4(case, got):
    from course.checks import nb07

    if type(got) not in (tuple, list) or len(got) != 2:
        return [None, None]
    train, new = _tensor(got[0]), _tensor(got[1])
    if train is None or new is None or train.shape != new.shape or train.numel() != case["trials"]:
        return [None, None]
    z = max(abs(s) for s in nb07.ex4_z_scores(case, train, new))
    spread = nb07.ex4_spread(case, train)
    return [z, abs(math.log(spread)) if spread > 0 else float("inf")]


def _nb08_ex2_bars():
    from course.checks import nb08

    return [
        Bar(
            f"final loss above a correct run's, in allowances ({nb08.LOSS_SLACK:g} + "
            f"{nb08.LOSS_SLACK_FRACTION:g} x its loss)",
            1.0,
            False,
        ),
        Bar("points misclassified where a correct run classifies all four", 0.0, False),
    ]


def _nb08_ex2(case, got):
    import torch.nn.functional as F

    from course.checks import nb08

    logits = _tensor(got.get("logits"))
    if logits is None or logits.shape != (4, 1):
        return [None, None]
    y = case["y"]
    ref = nb08._train_reference(case)
    ref_final = float(F.binary_cross_entropy_with_logits(ref, y))
    final = float(F.binary_cross_entropy_with_logits(logits, y))
    allowance = nb08.LOSS_SLACK + nb08.LOSS_SLACK_FRACTION * ref_final
    ref_right = bool(((ref > 0) == (y > 0.5)).all())
    wrong = int(((logits > 0) != (y > 0.5)).sum()) if ref_right else 0
    return [(final - ref_final) / allowance, float(wrong)]


def _nb09_ex4_bars():
    from course.checks import nb09

    return [
        Bar("accuracy on the held-out part", nb09.ACCURACY_FOR_FULL, True),
        Bar(">50K recall on the held-out part", nb09.RECALL_FOR_FULL, True),
    ]


def _nb09_ex4(case, got):
    from course.checks import nb09

    pred = _tensor(got.get("predictions")) if isinstance(got, dict) else None
    if pred is None or pred.dim() != 1:
        return [None, None]
    return list(nb09.ex4_scores(case, got))


def _nb09_ex8_bars():
    from course.checks import nb09

    return [Bar(">50K F1 on the held-out part", nb09.F1_FOR_FULL, True)]


def _nb09_ex8(case, got):
    from course.checks import nb09

    pred = _tensor(got.get("predictions")) if isinstance(got, dict) else None
    if pred is None or pred.dim() != 1:
        return [None]
    return [nb09.ex8_f1(case, got)]


SPECS = {
    s.exercise: s
    for s in (
        Spec("nb05.ex1", _nb05_ex1_bars, _nb05_ex1),
        Spec("nb05.ex7", _nb05_ex7_bars, _nb05_ex7),
        Spec("nb07.ex1", _nb07_ex1_bars, _nb07_ex1),
        Spec("nb07.ex3", _nb07_ex3_bars, _nb07_ex3),
        Spec("nb07.ex4", _nb07_ex4_bars, _nb07_ex4),
        Spec("nb08.ex2", _nb08_ex2_bars, _nb08_ex2),
        Spec("nb09.ex4", _nb09_ex4_bars, _nb09_ex4),
        Spec("nb09.ex8", _nb09_ex8_bars, _nb09_ex8),
    )
}


# --- grading -------------------------------------------------------------------------------
@dataclass
class Tally:
    """One answer over many secrets."""

    name: str
    kind: str  #: "correct", "wrong" (named mistake) or "not asked" (not what the exercise asks)
    expected_code: str | None = None
    secrets: int = 0
    lost: list[str] = field(default_factory=list)  #: secrets on which a correct answer lost points
    caught: int = 0  #: secrets on which a wrong answer lost points
    codes: dict[str, int] = field(default_factory=dict)
    extreme: list[float | None] = field(default_factory=list)  #: worst (correct) or best (wrong) per bar
    seconds: float = 0.0


def secret_list(n: int, first: int = 0) -> list[str]:
    return [f"calibration-{i}" for i in range(first, first + n)]


def answers(spec: Spec) -> list[tuple[str, str, str | None, tuple]]:
    """(name, kind, expected code, answer objects) of every answer measured for ``spec``."""
    from course.checks import load_all
    from support import solution_answers, variant_answers, variant_module
    from variants.correct import CORRECT, NOT_IMPROVED

    ex = load_all()[spec.exercise]
    out = [("reference", "correct", None, solution_answers(ex))]
    out += [(name, "correct", None, variant_answers(ex, src)) for name, src in CORRECT.get(spec.exercise, [])]
    wrong = getattr(variant_module(spec.exercise.split(".")[0]), "WRONG", {}).get(spec.exercise, [])
    out += [(f"[{code}]", "wrong", code, variant_answers(ex, src)) for code, src in wrong]
    out += [(name, "not asked", None, variant_answers(ex, src)) for name, src in NOT_IMPROVED.get(spec.exercise, [])]
    return out


def grade_once(spec: Spec, answer: tuple, secret: str):
    """(CheckResult, one value per bar: the worst over the hidden cases) on one secret."""
    from course.checks import load_all

    ex = load_all()[spec.exercise]
    bars = spec.bars()
    cases = ex.make_cases(hidden=True, secret=secret)
    outcomes = ex.collect(answer, cases)
    result = ex.decide(cases, outcomes, hidden=True)
    values: list[float | None] = [None] * len(bars)
    for case, outcome in zip(cases, outcomes, strict=True):
        try:
            measured = spec.measure(case, outcome.value)
        except Exception:  # a wrong answer may return anything; it is then not measured
            measured = [None] * len(bars)
        for i, (bar, m) in enumerate(zip(bars, measured, strict=True)):
            if m is not None and math.isfinite(m):
                values[i] = m if values[i] is None else bar.worse(values[i], m)
            elif m is not None:
                values[i] = m
    return result, values


def calibrate(
    spec: Spec,
    secrets: list[str],
    progress: bool = True,
    wrong_secrets: int | None = None,
    fewer: dict[str, int] | None = None,
) -> list[Tally]:
    """Grade every answer of ``spec`` on ``secrets``: wrong answers on the first ``wrong_secrets``,
    an answer named in ``fewer`` on its first ``fewer[name]``."""
    import torch

    bars = spec.bars()
    tallies = []
    for name, kind, code, answer in answers(spec):
        tally = Tally(name, kind, code, extreme=[None] * len(bars))
        start = time.perf_counter()
        limit = (fewer or {}).get(name, None if kind == "correct" else wrong_secrets)
        for secret in secrets[:limit]:
            with torch.random.fork_rng():
                result, values = grade_once(spec, answer, secret)
            tally.secrets += 1
            full = result.points >= result.max_points
            if kind == "correct" and not full:
                tally.lost.append(f"{secret}: {result.points:g}/{result.max_points:g} [{result.code}]")
            if kind != "correct" and not full:
                tally.caught += 1
            if result.code:
                tally.codes[result.code] = tally.codes.get(result.code, 0) + 1
            for i, (bar, value) in enumerate(zip(bars, values, strict=True)):
                if value is None:
                    continue
                old = tally.extreme[i]
                pick = bar.worse if kind == "correct" else bar.better
                tally.extreme[i] = value if old is None else pick(old, value)
        tally.seconds = time.perf_counter() - start
        if progress:
            print(f"  {spec.exercise} {name}: {tally.seconds:.0f} s", file=sys.stderr, flush=True)
        tallies.append(tally)
    return tallies


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value == 0 or 1e-3 <= abs(value) < 1e4:
        return f"{value:.4f}"
    return f"{value:.2e}"


def report(spec: Spec, tallies: list[Tally], n: int) -> list[str]:
    from course.checks import load_all

    ex = load_all()[spec.exercise]
    bars = spec.bars()
    lines = [
        f"\n{spec.exercise} {ex.title} ({ex.points:g} points, {ex.hidden_cases} hidden case(s) per secret), "
        f"{n} secrets (wrong answers: {max((t.secrets for t in tallies if t.kind != 'correct'), default=0)})"
    ]
    for i, bar in enumerate(bars):
        lines.append(f"  bar {i + 1}: {bar.metric} {'>=' if bar.higher_is_better else '<='} {_fmt(bar.value)}")
    head = f"  {'answer':<44} {'lost points':>11}" + "".join(
        f" {'bar ' + str(i + 1) + ' worst/best':>18} {'margin':>9}" for i in range(len(bars))
    )
    lines.append(head)
    for t in tallies:
        if t.kind == "correct":
            lost = f"{len(t.lost)}/{t.secrets}"
            cells = "".join(
                f" {_fmt(v):>18} {_fmt(bar.margin(v)) if v is not None else '-':>9}"
                for bar, v in zip(bars, t.extreme, strict=True)
            )
        else:
            named = ", ".join(f"{c} x{k}" for c, k in sorted(t.codes.items(), key=lambda kv: -kv[1]))
            lost = f"{t.caught}/{t.secrets}"
            cells = "".join(f" {_fmt(v):>18} {'':>9}" for v in t.extreme) + f"  named: {named or '-'}"
        label = t.name if t.kind == "correct" else f"{t.kind}: {t.name}"
        lines.append(f"  {label[:44]:<44} {lost:>11}{cells}")
        for failure in t.lost[:5]:
            lines.append(f"      lost on {failure}")
    correct = [t for t in tallies if t.kind == "correct"]
    for i, bar in enumerate(bars):
        worst = [t.extreme[i] for t in correct if t.extreme[i] is not None]
        best_wrong = [t.extreme[i] for t in tallies if t.kind == "wrong" and t.extreme[i] is not None]
        if worst:
            w = worst[0]
            for v in worst[1:]:
                w = bar.worse(w, v)
            text = f"  bar {i + 1}: worst correct {_fmt(w)}, margin {_fmt(bar.margin(w))}"
            if best_wrong:
                b = best_wrong[0]
                for v in best_wrong[1:]:
                    b = bar.better(b, v)
                side = (
                    "beyond the bar by " + _fmt(-bar.margin(b))
                    if bar.margin(b) < 0
                    else "on the passing side: only its named check catches it"
                )
                text += f"; best wrong answer {_fmt(b)} ({side})"
            lines.append(text)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("exercises", nargs="*", help="exercise ids (default: all)")
    parser.add_argument("--secrets", type=int, default=300)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument(
        "--wrong-secrets",
        type=int,
        default=None,
        help="grade the wrong answers on the first M secrets only (default: all N)",
    )
    parser.add_argument(
        "--fewer",
        action="append",
        default=[],
        metavar="NAME=M",
        help="grade the answer NAME (as printed) on the first M secrets only",
    )
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)  # as the grading engine and the notebooks compute: one thread
    wanted = args.exercises or list(SPECS)
    unknown = [e for e in wanted if e not in SPECS]
    if unknown:
        parser.error(f"not graded by behaviour here: {', '.join(unknown)} (choose from {', '.join(SPECS)})")
    secrets = secret_list(args.secrets, args.first)
    failed = False
    for ex_id in wanted:
        spec = SPECS[ex_id]
        fewer = dict((name, int(m)) for name, m in (f.rsplit("=", 1) for f in args.fewer))
        tallies = calibrate(spec, secrets, wrong_secrets=args.wrong_secrets, fewer=fewer)
        print("\n".join(report(spec, tallies, len(secrets))), flush=True)
        failed |= any(t.lost for t in tallies if t.kind == "correct")
    print(
        "\nverdict:",
        "a correct answer lost points" if failed else "every correct answer earned full marks on every secret",
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
