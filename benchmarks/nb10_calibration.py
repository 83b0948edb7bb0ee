"""Calibration of notebook 10's behaviour-graded checks, over many secrets.

    python benchmarks/nb10_calibration.py [N] [ex4 ex5 ex9]   (N secrets, default 200; all three)

Three checks judge a measured behaviour against a bar: ex4 and ex5 the last training loss
of a classifier that the checker trains from the student's class (full marks at or below
the bar), ex9 the share of the fixed script's loss fall that the student's training reaches
(full marks at or above the bar). For each, this runs the reference solution, other correct
fixes and every named wrong answer of tests/variants/nb10.py on the hidden cases of N
secrets, and prints per answer the worst and best value, how often the check gave full
marks, and the codes it named; then the margin between the correct fixes' worst case and
the bar, and the best value that a wrong model reached.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import torch  # noqa: E402

from course.checks import nb10  # noqa: E402
from support import solution_answers, variant_answers  # noqa: E402
from variants.nb10 import WRONG  # noqa: E402

_BINARY = """
class BinaryNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential({layers})

    def forward(self, x):
        return self.layers(x)


def predict(model, X):
    with torch.no_grad():
        return (model(X).squeeze(1) > 0).long()
"""

_CLASSES = """
class ClassNet(nn.Module):
    def __init__(self, n_classes=3):
        super().__init__()
        self.layers = nn.Sequential({layers})

    def forward(self, x):
        return self.layers(x)
"""

_TRAIN_ON = """
def train_on(make_model, X, y, device, steps, lr):
    X, y = X.to(device), y.to(device)
    model = make_model()
    model.to(device)
    optimizer = torch.optim.SGD({params}, lr=lr)
    losses = []
    for step in range(steps):
        optimizer.zero_grad()
        loss = F.mse_loss(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses
"""

#: Other correct fixes: what the prompts allow besides the reference.
CORRECT = {
    "nb10.ex4": {
        "width 32, tanh": _BINARY.format(layers="nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 1)"),
        "two hidden layers of 8": _BINARY.format(
            layers="nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1)"
        ),
    },
    "nb10.ex5": {
        "ends in LogSoftmax": _CLASSES.format(
            layers="nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, n_classes), nn.LogSoftmax(dim=1)"
        ),
        "width 32, tanh": _CLASSES.format(layers="nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, n_classes)"),
        "two hidden layers of 8": _CLASSES.format(
            layers="nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, n_classes)"
        ),
    },
    "nb10.ex9": {
        "data first, model moved in place": _TRAIN_ON.format(params="model.parameters()"),
        "optimizer over a list": _TRAIN_ON.format(params="list(model.parameters())"),
    },
}


#: Wrong answers whose trained model is right: the check names them by something else than the
#: bar (predict() thresholds logits at 0.5), so they do not count as the best wrong value.
RIGHT_MODEL = {"threshold-logits-at-half"}


def _value(ex_id, case, got):
    """The measured behaviour of one run: the last training loss, or the share of the fall."""
    if ex_id == "nb10.ex9":
        if "final_loss" not in got:
            return float("nan")
        start, reference = nb10._reference_fall(case)
        return (start - got["final_loss"]) / (start - reference)
    return float(got["losses"][-1])


def measure(ex_id, answers, secrets):
    ex = getattr(nb10, ex_id.split(".")[1])
    values, full, codes = [], 0, Counter()
    for secret in secrets:
        cases = ex.make_cases(True, secret)
        outcomes = ex.collect(answers, cases)
        for case, outcome in zip(cases, outcomes, strict=True):
            values.append(_value(ex_id, case, outcome.value) if isinstance(outcome.value, dict) else float("nan"))
        result = ex.decide(cases, outcomes, hidden=True)
        full += result.points == ex.points
        codes[result.code or "-"] += 1
    return values, full, codes


def main(argv: list[str]) -> int:
    torch.set_num_threads(1)  # tiny models: extra threads only cost time (course.env.one_thread)
    n = int(argv[0]) if argv else 200
    only = {f"nb10.{name}" for name in argv[1:]}
    secrets = [f"calibration-{i}" for i in range(n)]
    bars = {
        "nb10.ex4": ("last training loss", nb10.BINARY_LOSS_BAR, min),
        "nb10.ex5": ("last training loss", nb10.CLASSES_LOSS_BAR, min),
        "nb10.ex9": ("share of the fixed script's fall", nb10.FALL_SHARE, max),
    }
    t0 = time.perf_counter()
    for ex_id, (what, bar, better) in bars.items():
        if only and ex_id not in only:
            continue
        ex = getattr(nb10, ex_id.split(".")[1])
        print(
            f"\n{ex_id} {ex.title}: {what}, full marks {'<=' if better is min else '>='} {bar:g} "
            f"({n} secrets x {ex.hidden_cases} hidden cases)"
        )
        print(f"  {'answer':<42} {'worst':>8} {'best':>8} {'full marks':>11}  named")
        rows = [("reference", "correct", solution_answers(ex))]
        rows += [(name, "correct", variant_answers(ex, src)) for name, src in CORRECT[ex_id].items()]
        rows += [(f"wrong [{code}]", code, variant_answers(ex, src)) for code, src in WRONG[ex_id]]
        worst_correct, best_wrong = None, None
        for name, kind, answers in rows:
            values, full, codes = measure(ex_id, answers, secrets)
            finite = [x for x in values if x == x]
            worst = (max if better is min else min)(finite) if finite else float("nan")
            best = better(finite) if finite else float("nan")
            named = ", ".join(f"{c} {k}" for c, k in codes.most_common())
            print(f"  {name:<42} {worst:>8.4f} {best:>8.4f} {full:>5}/{n:<5}  {named}")
            if kind == "correct":
                worst_correct = (
                    worst if worst_correct is None else (max if better is min else min)(worst_correct, worst)
                )
            elif finite and kind not in RIGHT_MODEL:
                best_wrong = best if best_wrong is None else better(best_wrong, best)
        margin = (bar - worst_correct) if better is min else (worst_correct - bar)
        print(
            f"  correct fixes' worst case {worst_correct:.4f}: margin {margin:.4f} to the bar {bar:g}; "
            f"best value of a wrong model {best_wrong:.4f} (margin {abs(best_wrong - bar):.4f})"
        )
    print(f"\n{time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
