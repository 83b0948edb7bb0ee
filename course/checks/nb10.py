"""Checkers of notebook 10, debugging: ten broken training scripts, each fixed by the student.

A fix is judged by what it does, never by its source. ``run`` calls the student's
function or class on fresh inputs (a model built from the case's weights, data drawn
from the case's generator) and, where the behaviour of a training run is the point,
watches it: the gradient and the learning rate that each ``optimizer.step()`` uses,
whether two evaluations agree, what a trained classifier outputs. The judge recomputes
the right behaviour from the same inputs and names the mistake that produces what it
sees; the unfixed script of the notebook fails with the mistake it was built around.

Two checks train a small classifier and judge the training loss it reaches, against a
bar that sits between what correct fixes reach and a floor that the named mistakes cannot
go below; one judges how far a regression loss falls, against the judge's own run of the
fixed script. ``benchmarks/nb10_calibration.py`` measures all three over 200 secrets.
"""

from __future__ import annotations

import contextlib
import functools
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.optimizer import register_optimizer_step_pre_hook

from course.checking import Exercise
from course.checking.judge import kind_of
from course.data.synthetic import clusters
from course.env import device as course_device
from course.env import new_parameters_on_move, one_thread, same_device

#: The training loop that the classifier scripts (ex4, ex5) use, as in the notebook.
FIT_STEPS, FIT_LR = 60, 0.05
#: Full marks when the last training loss is at most this. A model whose outputs pass through
#: a sigmoid (ex4) cannot go below softplus(-1) = 0.313 (0.693 for class 0); one whose outputs
#: pass through a softmax (ex5) cannot go below log(1 + (C - 1) / e) = 0.551 for C = 3. Over 200
#: secrets (benchmarks/nb10_calibration.py) correct models stay under 0.10 (binary: the
#: reference 0.070, two hidden layers of 8 units 0.097) and 0.33 (classes: the reference and a
#: final LogSoftmax 0.174, two hidden layers of 8 units 0.328).
BINARY_LOSS_BAR = 0.2
CLASSES_LOSS_BAR = 0.45
#: ex9: the trained model's loss must have fallen at least this share of the way that the
#: judge's own run of the fixed script (same weights, data, steps and rate) falls. Correct fixes
#: reproduce that run (share 1.0 up to rounding, on any of 200 secrets); an optimizer that holds
#: stale parameters leaves the loss where it started (share 0).
FALL_SHARE = 0.5
#: ex10: the schedule of the script.
STEP_SIZE, GAMMA = 2, 0.5


# --- helpers shared by the checkers ------------------------------------------------


def _randint(gen, lo, hi):
    """An int in [lo, hi]."""
    return int(torch.randint(lo, hi + 1, (), generator=gen))


def _uniform(gen, lo, hi):
    return float(lo + (hi - lo) * torch.rand((), generator=gen))


_ITEM_HINT = "Append loss.item(), a Python float, not the loss tensor."


def _is_number(x):
    return type(x) in (int, float)


def _layers(weights, activation, dropout=None):
    """nn.Sequential(Linear, activation, [Dropout], Linear) holding the given weights."""
    w1, b1, w2, b2 = weights
    middle = [activation] + ([nn.Dropout(dropout)] if dropout is not None else [])
    model = nn.Sequential(nn.Linear(w1.shape[1], w1.shape[0]), *middle, nn.Linear(w2.shape[1], w2.shape[0]))
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights, strict=True):
            p.copy_(w)
    return model


def _weights(gen, n_in, hidden, n_out):
    """Weights like nn.Linear's default: uniform in +-1/sqrt(fan_in)."""

    def u(bound, *shape):
        return (torch.rand(shape, generator=gen) * 2 - 1) * bound

    return [u(n_in**-0.5, hidden, n_in), u(n_in**-0.5, hidden), u(hidden**-0.5, n_out, hidden), u(hidden**-0.5, n_out)]


def _flat(tensors):
    return torch.cat([t.detach().reshape(-1).cpu() for t in tensors])


@contextlib.contextmanager
def _watch_steps():
    """Record, at each ``optimizer.step()`` of any optimizer: the learning rate of its first
    group, its parameters and their gradients (flattened; None where a gradient is missing)."""
    record = {"lr": [], "params": [], "grads": []}

    def before_step(optimizer, args, kwargs):
        params = [p for group in optimizer.param_groups for p in group["params"]]
        record["lr"].append(float(optimizer.param_groups[0]["lr"]))
        record["params"].append(_flat(params).clone())
        grads = [p.grad for p in params]
        record["grads"].append(None if any(g is None for g in grads) else _flat(grads).clone())

    handle = register_optimizer_step_pre_hook(before_step)
    try:
        yield record
    finally:
        handle.remove()


def fit(model, X, y, loss_fn, steps=FIT_STEPS, lr=FIT_LR):
    """The training loop of the classifier scripts: full-batch Adam; the loss of every step."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def _on_one_thread(judge):
    """Judges recompute small trainings; on a busy machine extra threads make them far slower."""

    @functools.wraps(judge)
    def wrapped(v, case, got):
        with one_thread():
            return judge(v, case, got)

    return wrapped


def _relu_clipped(out):
    """Outputs that went through a final ReLU: none negative, and many exactly zero."""
    return bool(out.min() >= 0) and float((out == 0).float().mean()) >= 0.05


# --- Exercise 1: the mean of a boolean tensor -------------------------------------------
# accuracy(logits, y) -> share of rows whose argmax is the label; the script's
# (preds == y).mean() raises; named: mean of an integer tensor (from its error), // division.

ex1 = Exercise("nb10.ex1", title="Accuracy of a batch", points=1, answers="accuracy")


@ex1.cases
def ex1_cases(gen, hidden):
    cases = []
    for _ in range(1 if not hidden else 3):
        n, c = (12, 3) if not hidden else (_randint(gen, 20, 60), _randint(gen, 2, 6))
        logits = torch.randn(n, c, generator=gen)
        pred = logits.argmax(dim=1)
        right = torch.rand(n, generator=gen) < 0.6
        right[0], right[1] = True, False  # some right, some wrong
        y = torch.where(right, pred, (pred + torch.randint(1, c, (n,), generator=gen)) % c)
        cases.append({"logits": logits, "y": y})
    return cases


@ex1.judge
@_on_one_thread
def ex1_judge(v, case, got):
    value = v.number(got, "accuracy(logits, y)")
    expected = float((case["logits"].argmax(dim=1) == case["y"]).float().mean())
    if value == 0.0:
        v.fail(
            "integer-division",
            "accuracy(...) returned 0 although some predictions are right: an "
            "integer division (//) rounds the share down to 0.",
        )
    if abs(value - expected) > 1e-6:
        if abs(value - expected * len(case["y"])) < 1e-6:
            v.fail(
                "wrong-values",
                "accuracy(...) returned the number of right predictions; the share is "
                "that count divided by the number of rows.",
            )
        v.close(torch.tensor(value), torch.tensor(expected), "accuracy(logits, y)", atol=1e-6, rtol=0)
    v.passed("values")


# --- Exercise 2: view after transpose ---------------------------------------------------
# to_features(x): (B, C, T) -> (B, T * C), time step by time step; the script's
# x.transpose(1, 2).view(B, -1) raises; named: view on a non-contiguous tensor (its error),
# flattening without the transpose (or with view(B, T, C), which gives the same order).

ex2 = Exercise("nb10.ex2", title="Flatten a batch of recordings", points=1, answers="to_features")


@ex2.cases
def ex2_cases(gen, hidden):
    if not hidden:
        return [{"x": torch.arange(24.0).reshape(2, 3, 4)}]
    return [
        {"x": torch.randn(_randint(gen, 2, 5), _randint(gen, 2, 5), _randint(gen, 2, 6), generator=gen)}
        for _ in range(3)
    ]


@ex2.judge
@_on_one_thread
def ex2_judge(v, case, got):
    x = case["x"]
    b, c, t = x.shape
    data = v.tensor(got, "to_features(x)", dtype=torch.float32, shape=(b, t * c))
    expected = x.transpose(1, 2).reshape(b, t * c)
    if v.matches(data, x.reshape(b, t * c), atol=0, rtol=0) and not v.matches(data, expected, atol=0, rtol=0):
        v.fail(
            "flatten-without-transpose",
            "The features are in the order of the channels (all of channel 0, "
            "then channel 1, ...), not time step by time step: the axes were never swapped.",
        )
    v.close(data, expected, "to_features(x)", atol=0, rtol=0)


# --- Exercise 3: gradients that pile up ---------------------------------------------------
# train_line(model, X, y, lr, steps): SGD on the MSE; watches every optimizer.step() and
# compares the gradient it finds with the gradient of the loss at the parameters of that
# moment. Named: no zero_grad (the gradient is the sum of all so far, also with a lowered
# learning rate), zero_grad between backward and step (no gradient at all).

ex3 = Exercise("nb10.ex3", title="Gradients that pile up", points=2, answers="train_line", hidden_cases=2)


@ex3.cases
def ex3_cases(gen, hidden):
    cases = []
    for _ in range(1 if not hidden else 2):
        if not hidden:
            n, d, steps, lr = 16, 1, 10, 0.1
            X = torch.linspace(-1, 1, n).unsqueeze(1)
        else:
            n, d, steps, lr = _randint(gen, 10, 30), _randint(gen, 1, 3), _randint(gen, 6, 12), _uniform(gen, 0.05, 0.2)
            X = torch.randn(n, d, generator=gen)
        y = X @ (torch.randn(d, 1, generator=gen) * 3) + 2 + 0.5 * torch.randn(n, 1, generator=gen)
        cases.append(
            {
                "X": X,
                "y": y,
                "w0": 0.5 * torch.randn(1, d, generator=gen),
                "b0": 0.5 * torch.randn(1, generator=gen),
                "lr": lr,
                "steps": steps,
            }
        )
    return cases


def _linear(w0, b0):
    model = nn.Linear(w0.shape[1], 1)
    with torch.no_grad():
        model.weight.copy_(w0)
        model.bias.copy_(b0)
    return model


@ex3.run
def ex3_run(case, train_line):
    model = _linear(case["w0"], case["b0"])
    with one_thread(), _watch_steps() as steps:
        losses = train_line(model, case["X"], case["y"], case["lr"], case["steps"])
    return {"losses": losses, "params": steps["params"], "grads": steps["grads"]}


def _mse_and_grad(case, flat):
    """The MSE and its gradient (weight then bias, flattened) at the given parameters."""
    d = case["w0"].shape[1]
    w = flat[:d].reshape(1, d).double().requires_grad_()
    b = flat[d:].double().requires_grad_()
    loss = ((case["X"].double() @ w.T + b - case["y"].double()) ** 2).mean()
    loss.backward()
    return float(loss.detach()), torch.cat([w.grad.reshape(-1), b.grad])


@ex3.judge
@_on_one_thread
def ex3_judge(v, case, got):
    losses = v.numbers(
        got["losses"], "The list train_line(...) returned", case["steps"], "losses, one per step", _ITEM_HINT
    )
    params, grads = got["params"], got["grads"]
    if len(params) != case["steps"]:
        v.fail(
            "wrong-values",
            f"train_line made {len(params)} optimizer steps; the script makes one per "
            f"iteration, {case['steps']} in all.",
        )
    total = None
    for k, (p, g) in enumerate(zip(params, grads, strict=True)):
        p = v.tensor(p, "the parameters", dtype=torch.float32)
        loss, right = _mse_and_grad(case, p)
        total = right if total is None else total + right
        g = None if g is None else v.tensor(g, "the gradient", dtype=torch.float32).double()
        if g is None or not bool(g.abs().sum() > 0):
            v.fail(
                "zero-grad-after-backward",
                f"At step {k + 1}, optimizer.step() found no gradient (None or "
                "all zeros): the gradients were cleared after backward() and before step().",
            )
        if k > 0 and v.matches(g, total, 1e-5, 1e-4) and not v.matches(g, right, 1e-5, 1e-4):
            v.fail(
                "zero-grad-missing",
                f"At step {k + 1}, the gradient that optimizer.step() used is the sum of "
                f"the gradients of all {k + 1} steps so far: they pile up in .grad.",
            )
        v.close(g, right, f"The gradient used at step {k + 1}", atol=1e-5, rtol=1e-4)
        v.close(
            losses[k],
            loss,
            f"The loss recorded at step {k + 1}",
            atol=1e-5,
            rtol=1e-4,
            hint="Record loss.item() of each step, computed before that step's update.",
        )
    v.passed("gradients")
    if not losses[-1] < losses[0]:
        v.fail("wrong-values", "The loss did not fall over the run.")
    v.passed("loss falls")


# --- Exercise 4: a sigmoid too many -------------------------------------------------------
# BinaryNet() and predict(model, X): the checker trains a fresh BinaryNet with the script's
# loop (BCEWithLogitsLoss, Adam) on clusters drawn from the case, then judges the outputs,
# the last training loss (bar above) and the 0/1 predictions. Named: a sigmoid in the model
# (outputs all in [0, 1]), another activation on the output, logits thresholded at 0.5.

ex4 = Exercise("nb10.ex4", title="A sigmoid too many", points=2, answers=("BinaryNet", "predict"), hidden_cases=2)


def _boundary_line(classes, n):
    """Points on the segment between the first two cluster centres: the decision boundary
    crosses it, so some logits there lie between 0 and 0.5."""
    a, b = 0.3, 0.3 + 2 * math.pi / classes
    start = 1.5 * torch.tensor([math.cos(a), math.sin(a)])
    end = 1.5 * torch.tensor([math.cos(b), math.sin(b)])
    t = torch.linspace(0, 1, n).unsqueeze(1)
    return start + t * (end - start)


def _classifier_case(gen, hidden, classes, spreads):
    n = 120 if not hidden else _randint(gen, 100, 140)
    spread = 0.5 if not hidden else _uniform(gen, *spreads)
    X, y = clusters(n, classes, spread, generator=gen)
    X_new, _ = clusters(40, classes, spread, generator=gen)
    return {
        "X": X,
        "y": y,
        "X_new": torch.cat([X_new, _boundary_line(classes, 201)]),
        "seed": 0 if not hidden else _randint(gen, 0, 10_000),
        "classes": classes,
    }


@ex4.cases
def ex4_cases(gen, hidden):
    return [_classifier_case(gen, hidden, 2, (0.45, 0.65)) for _ in range(1 if not hidden else 2)]


@ex4.run
def ex4_run(case, BinaryNet, predict):
    with one_thread(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(case["seed"])
        model = BinaryNet()
        losses = fit(model, case["X"], case["y"].float().unsqueeze(1), nn.BCEWithLogitsLoss())
        model.eval()
        with torch.no_grad():
            outputs = model(case["X_new"])
        predictions = predict(model, case["X_new"])
    return {"losses": losses, "outputs": outputs, "predictions": predictions}


@ex4.judge
@_on_one_thread
def ex4_judge(v, case, got):
    n = len(case["X_new"])
    out = v.tensor(got["outputs"], "BinaryNet()(X)", dtype=torch.float32, shape=(n, 1))
    losses = v.numbers(got["losses"], "The training losses", FIT_STEPS, "losses, one per step", _ITEM_HINT)
    if _relu_clipped(out):
        v.fail(
            "activation-on-output",
            "The outputs are never negative and many are exactly 0: a ReLU after "
            "the last Linear layer clips the logits.",
        )
    if bool(out.min() >= 0) and bool(out.max() <= 1):
        v.fail(
            "sigmoid-before-bce-logits",
            "Every output of the trained model lies between 0 and 1: the model "
            "ends in a sigmoid, and BCEWithLogitsLoss applies another one.",
        )
    last = float(losses[-1])
    if not last <= BINARY_LOSS_BAR:
        if bool(out.abs().max() <= 1):
            v.fail(
                "activation-on-output",
                f"The training loss stalls at {last:.3f} and every output lies "
                "between -1 and 1: an activation (tanh?) after the last Linear layer squeezes the logits.",
            )
        v.fail(
            "wrong-values",
            f"The training loss stalls at {last:.3f}; a model that outputs logits gets "
            f"below {BINARY_LOSS_BAR} with this loop.",
        )
    v.passed(f"training loss below {BINARY_LOSS_BAR}")
    pred = v.tensor(got["predictions"], "predict(model, X)", dtype=torch.long, shape=(n,))
    logits = out.squeeze(1)
    expected = (logits > 0).long()
    if v.matches(pred, (logits > 0.5).long(), 0, 0) and not v.matches(pred, expected, 0, 0):
        v.fail(
            "threshold-logits-at-half",
            "The predictions are logits > 0.5; the model now outputs logits, so a probability of 0.5 is a logit of 0.",
        )
    v.close(pred, expected, "predict(model, X)", atol=0, rtol=0)


# --- Exercise 5: softmax before cross-entropy --------------------------------------------
# ClassNet(n_classes): trained by the checker with CrossEntropyLoss; named: a softmax on the
# output (rows in [0, 1] that add up to 1), another activation on the output. A final
# LogSoftmax is correct (cross_entropy's own log-softmax leaves it unchanged).

ex5 = Exercise("nb10.ex5", title="Softmax before cross-entropy", points=2, answers="ClassNet", hidden_cases=2)


@ex5.cases
def ex5_cases(gen, hidden):
    return [
        _classifier_case(gen, hidden, 3 if not hidden else _randint(gen, 3, 4), (0.4, 0.55))
        for _ in range(1 if not hidden else 2)
    ]


@ex5.run
def ex5_run(case, ClassNet):
    with one_thread(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(case["seed"])
        model = ClassNet(case["classes"])
        losses = fit(model, case["X"], case["y"], nn.CrossEntropyLoss())
        model.eval()
        with torch.no_grad():
            outputs = model(case["X_new"])
    return {"losses": losses, "outputs": outputs}


@ex5.judge
@_on_one_thread
def ex5_judge(v, case, got):
    c = case["classes"]
    out = v.tensor(got["outputs"], f"ClassNet({c})(X)", dtype=torch.float32, shape=(len(case["X_new"]), c))
    losses = v.numbers(got["losses"], "The training losses", FIT_STEPS, "losses, one per step", _ITEM_HINT)
    in_unit = bool(out.min() >= 0) and bool(out.max() <= 1)
    if in_unit and v.matches(out.sum(dim=1), torch.ones(len(out)), 1e-4, 0):
        v.fail(
            "softmax-before-ce",
            "Every row of the model's output is a set of probabilities (between 0 and 1, "
            "adding up to 1): the model ends in a softmax, and CrossEntropyLoss applies log-softmax on top.",
        )
    if _relu_clipped(out):
        v.fail(
            "activation-on-output",
            "The outputs are never negative and many are exactly 0: a ReLU after "
            "the last Linear layer clips the logits.",
        )
    last = float(losses[-1])
    if not last <= CLASSES_LOSS_BAR:
        if in_unit:
            v.fail(
                "activation-on-output",
                f"The training loss stalls at {last:.3f} and every output lies "
                "between 0 and 1: a sigmoid after the last Linear layer squeezes the logits.",
            )
        v.fail(
            "wrong-values",
            f"The training loss stalls at {last:.3f}; a model that outputs logits gets "
            f"below {CLASSES_LOSS_BAR} with this loop.",
        )
    v.passed(f"training loss below {CLASSES_LOSS_BAR}")


# --- Exercise 6: softmax over the wrong axis ---------------------------------------------
# class_proba(model, X) -> (N, C) probabilities; run also predicts two rows alone and the
# batch in reverse order. Named: softmax over dim 0 (also when rows are renormalised
# afterwards: a sample's probabilities then depend on the batch), scores that are not
# probabilities (logits, log-probabilities, a sigmoid per class).

ex6 = Exercise("nb10.ex6", title="Probabilities of each class", points=2, answers="class_proba")


@ex6.cases
def ex6_cases(gen, hidden):
    if not hidden:
        return [{"weights": _weights(gen, 4, 8, 3), "X": torch.randn(6, 4, generator=gen) * 2}]
    cases = []
    for _ in range(3):
        f, c = _randint(gen, 2, 6), _randint(gen, 3, 6)
        n = _randint(gen, 5, 12)
        cases.append({"weights": _weights(gen, f, _randint(gen, 4, 10), c), "X": torch.randn(n, f, generator=gen) * 2})
    return cases


@ex6.run
def ex6_run(case, class_proba):
    model = _layers(case["weights"], nn.ReLU()).eval()
    X = case["X"]
    return {
        "batch": class_proba(model, X),
        "alone": [class_proba(model, X[i : i + 1]) for i in range(2)],
        "reversed": class_proba(model, X.flip(0)),
    }


@ex6.judge
@_on_one_thread
def ex6_judge(v, case, got):
    X = case["X"]
    n, c = len(X), case["weights"][2].shape[0]
    with torch.no_grad():
        logits = _layers(case["weights"], nn.ReLU())(X)
    p = v.tensor(got["batch"], "class_proba(model, X)", dtype=torch.float32, shape=(n, c))
    if v.matches(p, F.softmax(logits, dim=0)):
        v.fail(
            "softmax-wrong-dim",
            "Each column adds up to 1, not each row: the softmax ran over the samples "
            "(dim=0) instead of over the classes.",
        )
    if bool(p.min() < 0) or bool(p.max() > 1):
        v.fail(
            "not-probabilities",
            "Some values lie outside [0, 1]: these are scores (logits or log-probabilities), not probabilities.",
        )
    if not v.matches(p.sum(dim=1), torch.ones(n), 1e-5, 0):
        v.fail(
            "not-probabilities",
            "The probabilities of a sample do not add up to 1 over the classes (a sigmoid "
            "per class gives each class its own, unrelated number).",
        )
    v.passed("rows add up to 1")
    for i, alone in enumerate(got["alone"]):
        alone = v.tensor(alone, f"class_proba(model, X[{i}:{i + 1}])", dtype=torch.float32, shape=(1, c))
        if not v.matches(alone[0], p[i], 1e-5, 1e-4):
            v.fail(
                "softmax-wrong-dim",
                f"Sample {i} predicted alone gets other probabilities than inside the "
                "batch: each sample's probabilities must come from its own logits only.",
            )
    back = v.tensor(got["reversed"], "class_proba(model, X.flip(0))", dtype=torch.float32, shape=(n, c))
    if not v.matches(back.flip(0), p, 1e-5, 1e-4):
        v.fail("softmax-wrong-dim", "Reordering the batch changes the probabilities of its samples.")
    v.passed("each sample on its own")
    v.close(p, F.softmax(logits, dim=1), "class_proba(model, X)", atol=1e-6, rtol=1e-5)


# --- Exercise 7: dropout at evaluation --------------------------------------------------
# evaluate(model, X, y) -> (loss, accuracy) of a model with dropout, in training mode when it
# is called; called twice, then once on a copy whose dropout is 0. Named: dropout still on
# (two calls differ, or repeatable values that only a model without dropout would not give),
# the model left in eval mode afterwards.

ex7 = Exercise("nb10.ex7", title="Evaluate without dropout", points=2, answers="evaluate")


def _dropout_case(gen, hidden):
    f, h, c = (4, 16, 3) if not hidden else (_randint(gen, 2, 6), _randint(gen, 8, 24), _randint(gen, 2, 5))
    n = 40 if not hidden else _randint(gen, 30, 60)
    return {
        "weights": _weights(gen, f, h, c),
        "X": torch.randn(n, f, generator=gen) * 2,
        "y": torch.randint(0, c, (n,), generator=gen),
        "p": 0.5 if not hidden else _uniform(gen, 0.3, 0.6),
        "seed": 0 if not hidden else _randint(gen, 0, 10_000),
    }


@ex7.cases
def ex7_cases(gen, hidden):
    return [_dropout_case(gen, hidden) for _ in range(1 if not hidden else 3)]


@ex7.run
def ex7_run(case, evaluate):
    model = _layers(case["weights"], nn.ReLU(), dropout=case["p"]).train()
    plain = _layers(case["weights"], nn.ReLU(), dropout=0.0).train()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(case["seed"])
        first = evaluate(model, case["X"], case["y"])
        second = evaluate(model, case["X"], case["y"])
        training_after = model.training
        without_dropout = evaluate(plain, case["X"], case["y"])
    return {"first": first, "second": second, "training_after": training_after, "without_dropout": without_dropout}


def _pair(v, value, name):
    if type(value) not in (tuple, list) or len(value) != 2:
        v.fail("wrong-type", f"{name} should be a pair (loss, accuracy), but it is {kind_of(value)}.")
    return torch.tensor(
        [v.number(value[0], f"the loss of {name}"), v.number(value[1], f"the accuracy of {name}")], dtype=torch.float64
    )


@ex7.judge
@_on_one_thread
def ex7_judge(v, case, got):
    first = _pair(v, got["first"], "evaluate(model, X, y)")
    second = _pair(v, got["second"], "evaluate(model, X, y)")
    with torch.no_grad():
        logits = _layers(case["weights"], nn.ReLU()).double()(case["X"].double())
    expected = torch.tensor(
        [float(F.cross_entropy(logits, case["y"])), float((logits.argmax(dim=1) == case["y"]).double().mean())],
        dtype=torch.float64,
    )
    if not v.matches(first, second, 1e-6, 1e-5):
        v.fail(
            "no-eval-dropout",
            "Two evaluations of the same model on the same data gave different results: dropout was still active.",
        )
    v.passed("repeatable")
    if not v.matches(first, expected, 1e-5, 1e-4):
        plain = _pair(v, got["without_dropout"], "evaluate(...) of a model without dropout")
        if v.matches(plain, expected, 1e-5, 1e-4):
            v.fail(
                "no-eval-dropout",
                "The results are repeatable but not those of the model in eval mode: "
                "dropout was still active (a fixed seed makes it repeat, not switch off).",
            )
        v.close(
            first,
            expected,
            "(loss, accuracy) of evaluate(model, X, y)",
            atol=1e-5,
            rtol=1e-4,
            hint="The loss is the mean cross-entropy, the accuracy the share of rows whose largest logit is the label.",
        )
    v.passed("eval-mode values")
    if not got["training_after"]:
        v.fail(
            "train-mode-not-restored",
            "The model was in training mode before evaluate(...) and in eval mode "
            "after it: the next epoch would train without dropout.",
        )
    v.passed("training mode restored")


# --- Exercise 8: statistics from the training part ---------------------------------------
# split_and_standardise(X, y, seed) -> (X_train, y_train, X_test, y_test); y is given as the
# row numbers, so the judge knows which rows went where. Named: statistics of all rows, or
# of the test part for the test part; a part left unnormalised.

ex8 = Exercise("nb10.ex8", title="Normalise with the training part", points=2, answers="split_and_standardise")


@ex8.cases
def ex8_cases(gen, hidden):
    cases = []
    for _ in range(1 if not hidden else 3):
        n, f = (20, 3) if not hidden else (_randint(gen, 25, 60), _randint(gen, 2, 5))
        scale = torch.rand(f, generator=gen) * 20 + 1
        shift = torch.randn(f, generator=gen) * 50
        cases.append(
            {
                "X": torch.randn(n, f, generator=gen) * scale + shift,
                "y": torch.arange(n),
                "seed": 0 if not hidden else _randint(gen, 0, 10_000),
            }
        )
    return cases


def _standardised(rows, mean, std):
    return (rows - mean) / std


def _which(v, part, raw, fits):
    """The name of the statistics that ``part`` was standardised with, or None."""
    if v.matches(part, raw, 1e-5, 1e-4):
        return "none"
    for name, (mean, std) in fits.items():
        if v.matches(part, _standardised(raw, mean, std), 1e-5, 1e-4):
            return name
    return None


@ex8.judge
@_on_one_thread
def ex8_judge(v, case, got):
    X = case["X"]
    n, f = X.shape
    n_test = n // 5
    if type(got) not in (tuple, list) or len(got) != 4:
        v.fail(
            "wrong-type",
            f"split_and_standardise should return (X_train, y_train, X_test, y_test), but it returned {kind_of(got)}.",
        )
    X_train = v.tensor(got[0], "X_train", dtype=torch.float32, shape=(n - n_test, f))
    y_train = v.tensor(got[1], "y_train", dtype=case["y"].dtype, shape=(n - n_test,))
    X_test = v.tensor(got[2], "X_test", dtype=torch.float32, shape=(n_test, f))
    y_test = v.tensor(got[3], "y_test", dtype=case["y"].dtype, shape=(n_test,))
    rows = torch.cat([y_train, y_test])
    if not torch.equal(rows.sort().values, case["y"]):
        v.fail(
            "wrong-values",
            "y_train and y_test together should hold every row's target exactly once, in the "
            "same order as the rows of X_train and X_test.",
        )
    train, test = X[y_train], X[y_test]
    fits = {
        "the training part's": (train.mean(0), train.std(0)),
        "the training part's (biased std)": (train.mean(0), train.std(0, unbiased=False)),
        "all rows'": (X.mean(0), X.std(0)),
        "all rows' (biased std)": (X.mean(0), X.std(0, unbiased=False)),
        "the test part's": (test.mean(0), test.std(0)),
        "the test part's (biased std)": (test.mean(0), test.std(0, unbiased=False)),
    }
    for part, raw, name in ((X_train, train, "X_train"), (X_test, test, "X_test")):
        used = _which(v, part, raw, fits)
        if used == "none":
            v.fail("normalisation-missing", f"{name} holds the raw features: it was never standardised.")
        if used is not None and not used.startswith("the training part"):
            v.fail(
                "norm-stats-leak",
                f"{name} was standardised with {used.split(' (')[0]} mean and standard "
                "deviation; both parts must use the training part's.",
            )
        if used is None:
            v.close(part, _standardised(raw, *fits["the training part's"]), name, atol=1e-5, rtol=1e-4)
    v.passed("training statistics")


# --- Exercise 9: the optimizer built before .to(device) ----------------------------------
# train_on(make_model, X, y, device, steps, lr) -> (model, losses), run with .to() making new
# Parameter objects (new_parameters_on_move); the loss must fall at least half as far as the
# judge's own run of the fixed script. Named: an optimizer over the parameters from before the
# move (the model never changes), a model not on the device.

ex9 = Exercise(
    "nb10.ex9", title="Build the optimizer after moving the model", points=2, answers="train_on", hidden_cases=2
)


@ex9.cases
def ex9_cases(gen, hidden):
    cases = []
    for _ in range(1 if not hidden else 2):
        d, h, n = (2, 8, 32) if not hidden else (_randint(gen, 1, 3), _randint(gen, 6, 12), _randint(gen, 24, 48))
        X = torch.randn(n, d, generator=gen)
        y = torch.sin(X @ torch.randn(d, 1, generator=gen)) + 0.1 * torch.randn(n, 1, generator=gen)
        cases.append(
            {
                "weights": _weights(gen, d, h, 1),
                "X": X,
                "y": y,
                "steps": 30 if not hidden else _randint(gen, 25, 40),
                "lr": 0.2 if not hidden else _uniform(gen, 0.15, 0.3),
            }
        )
    return cases


@ex9.run
def ex9_run(case, train_on):
    def make_model():
        return _layers(case["weights"], nn.Tanh())

    asked = course_device()
    with one_thread(), new_parameters_on_move():
        out = train_on(make_model, case["X"], case["y"], asked, case["steps"], case["lr"])
    if type(out) not in (tuple, list) or len(out) != 2 or not isinstance(out[0], nn.Module):
        return {"returned": type(out).__name__}
    model, losses = out
    params = list(model.parameters())
    where = params[0].device
    with torch.no_grad():
        final = F.mse_loss(model(case["X"].to(where)), case["y"].to(where)).item()
    return {"losses": losses, "final_loss": final, "params": _flat(params), "device": str(where), "asked": str(asked)}


@ex9.judge
@_on_one_thread
def ex9_judge(v, case, got):
    if "returned" in got:
        v.fail("wrong-type", f"train_on should return the pair (model, losses), but it returned a {got['returned']}.")
    v.numbers(got["losses"], "The losses train_on returned", case["steps"], "losses, one per step", _ITEM_HINT)
    if not same_device(got["device"], got["asked"]):
        v.fail("model-not-on-device", f"The trained model is on {got['device']}, not on {got['asked']}.")
    params = v.tensor(got["params"], "the model's parameters", dtype=torch.float32)
    if v.matches(params, _flat(case["weights"]), 0, 0):
        v.fail(
            "optimizer-before-to-device",
            "The model's parameters did not change at all: the optimizer holds "
            "the parameter objects from before .to(device), which the moved model no longer uses.",
        )
    start, reference = _reference_fall(case)
    final = got["final_loss"]
    share = (start - final) / (start - reference) if _is_number(final) else float("nan")
    if not share >= FALL_SHARE:
        v.fail(
            "wrong-values",
            f"The loss of the trained model went from {start:.4f} to {final:.4f}; the script, "
            f"fixed, brings it to {reference:.4f}. Train with the script's optimizer, steps and learning rate.",
        )
    v.passed("loss falls")


def _reference_fall(case):
    """The loss before and after the fixed script's training (full-batch SGD on the MSE)."""
    model = _layers(case["weights"], nn.Tanh())
    optimizer = torch.optim.SGD(model.parameters(), lr=case["lr"])
    with torch.no_grad():
        start = float(F.mse_loss(model(case["X"]), case["y"]))
    for _ in range(case["steps"]):
        optimizer.zero_grad()
        F.mse_loss(model(case["X"]), case["y"]).backward()
        optimizer.step()
    with torch.no_grad():
        return start, float(F.mse_loss(model(case["X"]), case["y"]))


# --- Exercise 10: a scheduler stepped per batch --------------------------------------------
# train_scheduled(model, batches, epochs, lr) -> mean loss per epoch, with SGD and
# StepLR(step_size=2, gamma=0.5); watches the learning rate of every optimizer step. Named:
# the scheduler stepped per batch, never stepped, or stepped before the epoch's steps.

ex10 = Exercise("nb10.ex10", title="A schedule that counts epochs", points=2, answers="train_scheduled")


@ex10.cases
def ex10_cases(gen, hidden):
    cases = []
    for _ in range(1 if not hidden else 3):
        d, n_batches, epochs = (
            (2, 3, 6) if not hidden else (_randint(gen, 1, 3), _randint(gen, 2, 5), _randint(gen, 5, 8))
        )
        w_true = torch.randn(d, 1, generator=gen) * 2
        batches = []
        for _ in range(n_batches):
            X = torch.randn(8, d, generator=gen)
            batches.append((X, X @ w_true + 1 + 0.3 * torch.randn(8, 1, generator=gen)))
        cases.append(
            {
                "w0": 0.5 * torch.randn(1, d, generator=gen),
                "b0": 0.5 * torch.randn(1, generator=gen),
                "batches": batches,
                "epochs": epochs,
                "lr": 0.1 if not hidden else _uniform(gen, 0.05, 0.2),
            }
        )
    return cases


@ex10.run
def ex10_run(case, train_scheduled):
    model = _linear(case["w0"], case["b0"])
    with one_thread(), _watch_steps() as steps:
        history = train_scheduled(model, case["batches"], case["epochs"], case["lr"])
    return {"history": history, "lrs": steps["lr"], "params": _flat(model.parameters())}


def _scheduled_reference(case):
    """The script, fixed: per-epoch mean losses and the final parameters."""
    model = _linear(case["w0"], case["b0"])
    optimizer = torch.optim.SGD(model.parameters(), lr=case["lr"])
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=STEP_SIZE, gamma=GAMMA)
    history = []
    for _ in range(case["epochs"]):
        total = 0.0
        for X, y in case["batches"]:
            optimizer.zero_grad()
            loss = F.mse_loss(model(X), y)
            loss.backward()
            optimizer.step()
            total += loss.item()
        scheduler.step()
        history.append(total / len(case["batches"]))
    return torch.tensor(history, dtype=torch.float64), _flat(model.parameters())


@ex10.judge
@_on_one_thread
def ex10_judge(v, case, got):
    epochs, per_epoch, lr = case["epochs"], len(case["batches"]), case["lr"]
    history = v.numbers(got["history"], "The list train_scheduled(...) returned", epochs, "mean losses, one per epoch")
    lrs = torch.tensor(got["lrs"], dtype=torch.float64)
    if len(lrs) != epochs * per_epoch:
        v.fail(
            "wrong-values",
            f"train_scheduled made {len(lrs)} optimizer steps; the script makes one per batch, "
            f"{epochs * per_epoch} in all.",
        )
    epoch_of_step = torch.arange(epochs * per_epoch) // per_epoch

    def schedule(counter):
        return lr * GAMMA ** (counter // STEP_SIZE).double()

    if v.matches(lrs, schedule(torch.arange(epochs * per_epoch)), 1e-12, 1e-9):
        v.fail(
            "scheduler-per-batch",
            f"The learning rate halved every {STEP_SIZE} batches, not every {STEP_SIZE} "
            "epochs: scheduler.step() ran once per batch.",
        )
    if v.matches(lrs, torch.full_like(lrs, lr), 1e-12, 1e-9):
        v.fail(
            "scheduler-not-stepped",
            f"The learning rate stayed at {lr:g} in every epoch: the scheduler was never stepped.",
        )
    if v.matches(lrs, schedule(epoch_of_step + 1), 1e-12, 1e-9):
        v.fail(
            "scheduler-before-optimizer",
            "Each learning rate came one epoch too early: scheduler.step() ran before the epoch's optimizer steps.",
        )
    v.close(lrs, schedule(epoch_of_step), "The learning rate of each step", atol=1e-12, rtol=1e-9)
    v.passed("schedule per epoch")
    ref_history, ref_params = _scheduled_reference(case)
    v.close(
        v.tensor(got["params"], "the parameters after training", dtype=torch.float32),
        ref_params,
        "The parameters after train_scheduled(...)",
        atol=1e-5,
        rtol=1e-4,
    )
    v.close(
        history,
        ref_history,
        "The mean losses per epoch",
        atol=1e-5,
        rtol=1e-4,
        hint="Average loss.item() over the batches of each epoch.",
    )
