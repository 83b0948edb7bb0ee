"""Checkers of project 08, XOR and the bridge from the NumPy framework.

The network and training checks run the student's code on XOR-like data it never saw
(flipped labels, +-1 encodings, other widths, learning rates and starting weights) and
judge by behaviour: the trained model must classify as well, and reach a loss as low, as
a correct full-batch SGD run from the same start (recomputed in the judge). Known
mistakes are named by recomputing what they would produce. The bridge checks compare
PyTorch with the NumPy reference framework (course.numpy_nn) from the same weights,
within 1e-6.
"""

from __future__ import annotations


import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from course.checking import Exercise
from course.env import one_thread
from course.data import xor
from course.numpy_nn import Dense, Network, ReLU, Sigmoid


def _u(gen, lo, hi, *shape):
    return lo + (hi - lo) * torch.rand(shape, generator=gen)


def _init(gen, hidden, n_in=2):
    """Starting weights like nn.Linear's default: uniform in +-1/sqrt(fan_in)."""
    b1, b2 = 1 / n_in**0.5, 1 / hidden**0.5
    return {
        "W1": _u(gen, -b1, b1, hidden, n_in),
        "b1": _u(gen, -b1, b1, hidden),
        "W2": _u(gen, -b2, b2, 1, hidden),
        "b2": _u(gen, -b2, b2, 1),
    }


def _mlp(init, dtype=torch.float32):
    """nn.Sequential(Linear, ReLU, Linear) holding the given weights."""
    hidden, n_in = init["W1"].shape
    model = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, 1)).to(dtype)
    with torch.no_grad():
        model[0].weight.copy_(init["W1"])
        model[0].bias.copy_(init["b1"])
        model[2].weight.copy_(init["W2"])
        model[2].bias.copy_(init["b2"])
    return model


def _xor_variant(gen, hidden):
    """XOR as the student never saw it: rows shuffled, maybe XNOR, maybe +-1 inputs."""
    X, y = xor()
    if torch.rand((), generator=gen) < 0.5:
        y = 1 - y
    if torch.rand((), generator=gen) < 0.5:
        X = 2 * X - 1
    order = torch.randperm(4, generator=gen)
    return X[order], y[order]


def _forward(init, X):
    return F.relu(X @ init["W1"].T + init["b1"]) @ init["W2"].T + init["b2"]


# --- ex1: the network ------------------------------------------------------------------
ex1 = Exercise("nb08.ex1", title="The XOR network", points=2, answers="XorNet")


@ex1.cases
def ex1_cases(gen, hidden):
    cases = []
    if not hidden:
        X, _ = xor()
        cases.append({"hidden": 3, "X": X, "seed": 0})
    while len(cases) < 4:
        h = [2, 4, 5, 8][int(torch.randint(0, 4, (), generator=gen))]
        n = int(torch.randint(3, 12, (), generator=gen))
        cases.append(
            {
                "hidden": h,
                "X": 3 * torch.randn(n, 2, generator=gen),
                "seed": int(torch.randint(0, 10_000, (), generator=gen)),
            }
        )
    return cases


@ex1.run
def ex1_run(case, XorNet):
    torch.manual_seed(case["seed"])
    net = XorNet(case["hidden"])
    return {
        "is_module": isinstance(net, nn.Module),
        "params": [p.detach().clone() for p in net.parameters()],
        "out": net(case["X"]),
    }


@ex1.judge
def ex1_judge(v, case, got):
    h, X = case["hidden"], case["X"]
    v.require(got["is_module"] is True, "wrong-type", "XorNet should subclass nn.Module.")
    v.passed("type")
    shapes = [tuple(p.shape) for p in got["params"]]
    if not shapes:
        v.fail(
            "plain-list-layers",
            "XorNet(hidden) registered no parameters.",
            "Assign the layers as attributes (self.hidden = nn.Linear(...)) or use nn.Sequential.",
        )
    want = [(h, 2), (h,), (1, h), (1,)]
    if shapes != want:
        v.fail(
            "wrong-shape",
            f"XorNet({h}) has parameters of shapes {shapes}; expected {want} (Linear(2, {h}) then Linear({h}, 1)).",
        )
    v.passed("parameters")
    out = v.tensor(got["out"], f"XorNet({h})(X)", dtype=torch.float32, shape=(X.shape[0], 1), requires_grad=True)
    W1, b1, W2, b2 = (p.data for p in got["params"])
    init = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    logits = _forward(init, X)
    if v.matches(out, torch.sigmoid(logits)):
        v.fail(
            "sigmoid-before-bce-logits",
            "The network ends in a sigmoid: it returns probabilities, but BCEWithLogitsLoss expects raw logits.",
        )
    if v.matches(out, (X @ W1.T + b1) @ W2.T + b2) and not v.matches(out, logits):
        v.fail(
            "activation-missing",
            "The output is a straight linear function of the input: the ReLU between "
            "the layers is missing, and no linear model can solve XOR.",
        )
    v.close(out, logits, f"XorNet({h})(X)", atol=1e-5, rtol=1e-4)


# --- ex2: training (graded by behaviour) -------------------------------------------------
ex2 = Exercise("nb08.ex2", title="Train on XOR", points=3, answers="train_xor")

#: ex2, full marks: a final loss at most LOSS_SLACK + LOSS_SLACK_FRACTION * (a correct SGD run's
#: final loss from the same start) above that run's (benchmarks/behaviour_calibration.py).
LOSS_SLACK, LOSS_SLACK_FRACTION = 0.02, 0.1


@ex2.cases
def ex2_cases(gen, hidden):
    cases = []
    if not hidden:
        X, y = xor()
        cases.append({"X": X, "y": y, "init": _init(gen, 8), "lr": 1.0, "epochs": 100})
    while len(cases) < 4:
        h = int(torch.randint(6, 11, (), generator=gen))
        X, y = _xor_variant(gen, h)
        cases.append(
            {
                "X": X,
                "y": y,
                "init": _init(gen, h),
                "lr": float(_u(gen, 0.5, 1.0)),
                "epochs": int(torch.randint(100, 141, (), generator=gen)),
            }
        )
    return cases


@ex2.run
def ex2_run(case, train_xor):
    model = _mlp(case["init"])
    with one_thread():
        losses = train_xor(model, case["X"], case["y"], case["lr"], case["epochs"])
    with torch.no_grad():
        logits = model(case["X"])
    return {"losses": torch.tensor([float(l) for l in losses], dtype=torch.float64), "logits": logits}


def _train_reference(case, mode="right"):
    """Full-batch SGD from the case's start; ``mode`` recomputes a known mistake."""
    with one_thread():
        return _train(case, mode)


def _train(case, mode):
    model = _mlp(case["init"])
    opt = torch.optim.SGD(model.parameters(), lr=case["lr"])
    X, y = case["X"], case["y"]
    for _ in range(case["epochs"]):
        if mode != "no-zero-grad":
            opt.zero_grad()
        out = model(X)
        if mode == "sigmoid-twice":
            out = torch.sigmoid(out)
        F.binary_cross_entropy_with_logits(out, y).backward()
        opt.step()
    with torch.no_grad():
        return model(X)


@ex2.judge
def ex2_judge(v, case, got):
    X, y, epochs = case["X"], case["y"], case["epochs"]
    losses = v.tensor(got["losses"], "losses", dtype=torch.float64)
    if losses.shape != (epochs,):
        v.fail("wrong-shape", f"train_xor should return one loss per epoch ({epochs}), got {losses.numel()}.")
    logits = v.tensor(got["logits"], "the trained model's output", dtype=torch.float32, shape=(4, 1))
    with torch.no_grad():  # the first loss recorded tells which loss was trained
        start = _mlp(case["init"])(X)
    first_bce, first_mse = float(F.binary_cross_entropy_with_logits(start, y)), float(F.mse_loss(start, y))
    if abs(float(losses[0]) - first_mse) < 1e-5 and abs(float(losses[0]) - first_bce) > 1e-4:
        v.fail(
            "loss-task-mismatch",
            "The losses are the mean squared error of the logits; a classifier's "
            "logits are trained with BCEWithLogitsLoss.",
        )
    if not bool(torch.isfinite(losses).all()) or not bool(torch.isfinite(logits).all()):
        v.fail("lr-diverges", "The loss or the model's output became inf or nan.")
    v.passed("loss curve")
    ref = _train_reference(case)
    final = float(F.binary_cross_entropy_with_logits(logits, y))
    ref_final = float(F.binary_cross_entropy_with_logits(ref, y))
    ref_right = bool(((ref > 0) == (y > 0.5)).all())
    right = ((logits > 0) == (y > 0.5)).reshape(-1)
    limit = ref_final + LOSS_SLACK + LOSS_SLACK_FRACTION * ref_final
    # Accumulated gradients act like a heavy momentum and can still fit XOR: always compare.
    piled_up = _train_reference(case, "no-zero-grad")
    if v.matches(logits, piled_up, atol=1e-3, rtol=1e-3) and not v.matches(piled_up, ref, atol=1e-3, rtol=1e-3):
        v.fail("zero-grad-missing", "The model trained with gradients that add up across epochs.")
    if ((ref_right and not bool(right.all())) or final > limit) and v.matches(
        logits, _train_reference(case, "sigmoid-twice"), atol=1e-3, rtol=1e-3
    ):
        v.fail(
            "sigmoid-before-bce-logits",
            "Training applied a sigmoid before BCEWithLogitsLoss, which applies "
            "its own: the loss cannot fall below about 0.5 and learning crawls.",
        )
    if ref_right and not bool(right.all()):
        v.fail(
            "wrong-values",
            f"After training, {int((~right).sum())} of the 4 points are still on the wrong "
            f"side (a correct SGD run from the same start classifies all four).",
        )
    v.passed("accuracy")
    if final > limit:
        where = "" if v.hidden else f" (correct SGD from the same start reaches {ref_final:.3g})"
        v.fail(
            "wrong-values",
            f"The final loss is {final:.3g}, above the limit {limit:.3g}{where}.",
            "Use BCEWithLogitsLoss on the raw output, optim.SGD with the lr given, and all the epochs.",
        )
    v.passed("loss")


# --- ex3: predictions ------------------------------------------------------------------
ex3 = Exercise("nb08.ex3", title="Predictions from logits", points=1, answers="predict")


@ex3.cases
def ex3_cases(gen, hidden):
    cases = []
    while len(cases) < 4:
        h = int(torch.randint(2, 9, (), generator=gen))
        n = 4 if not hidden and not cases else int(torch.randint(6, 30, (), generator=gen))
        X = xor()[0] if n == 4 else 2 * torch.randn(n, 2, generator=gen)
        init = _init(gen, h)
        logits = _forward(init, X)
        if bool(((logits > 0) & (logits < 0.5)).any()) and bool((logits.abs() > 1e-3).all()):
            cases.append({"X": X, "init": init})
    return cases


@ex3.run
def ex3_run(case, predict):
    return predict(_mlp(case["init"]), case["X"])


@ex3.judge
def ex3_judge(v, case, got):
    n = case["X"].shape[0]
    data = v.tensor(got, "predict(model, X)", dtype=torch.float32, shape=(n, 1), requires_grad=False)
    logits = _forward(case["init"], case["X"])
    if v.matches(data, (logits > 0.5).float()):
        v.fail(
            "threshold-logits-at-half",
            "Some points with a logit between 0 and 0.5 (a probability above 0.5) were predicted as class 0.",
        )
    if not bool(((data == 0) | (data == 1)).all()):
        v.fail("probabilities-not-classes", "Predictions should be 0.0 or 1.0, not probabilities.")
    v.close(data, (torch.sigmoid(logits) > 0.5).float(), "predict(model, X)", atol=0, rtol=0)


# --- ex4: many networks in one computation -----------------------------------------------
ex4 = Exercise("nb08.ex4", title="Many networks at once", points=2, answers="batched_logits")


@ex4.cases
def ex4_cases(gen, hidden):
    cases = []
    if not hidden:
        cases.append({"R": 4, "H": 3, "X": xor()[0]})
    while len(cases) < 4:
        cases.append(
            {
                "R": int(torch.randint(2, 9, (), generator=gen)),
                "H": int(torch.randint(2, 9, (), generator=gen)),
                "X": torch.randn(int(torch.randint(10, 16, (), generator=gen)), 2, generator=gen),
            }
        )
    if hidden:  # as many runs as samples: a bias without its sample axis adds silently to the wrong runs
        cases[0]["R"] = cases[0]["X"].shape[0]
    for case in cases:
        R, H = case["R"], case["H"]
        case.update(
            W1=torch.randn(R, H, 2, generator=gen),
            b1=torch.randn(R, H, generator=gen),
            W2=torch.randn(R, 1, H, generator=gen),
            b2=torch.randn(R, 1, generator=gen),
        )
    return cases


@ex4.run
def ex4_run(case, batched_logits):
    return batched_logits(case["W1"], case["b1"], case["W2"], case["b2"], case["X"])


def _batched_reference(case, bias_slip=False, out_slip=False, relu=True):
    """The R networks' logits; ``bias_slip`` / ``out_slip`` line b1 / b2 up with the samples
    axis (what a bias without its sample axis does when R == N), ``relu`` False leaves it out."""
    runs = []
    for r in range(case["R"]):
        h = case["X"] @ case["W1"][r].T + (case["b1"] if bias_slip else case["b1"][r])
        h = F.relu(h) if relu else h
        runs.append(h @ case["W2"][r].T + (case["b2"] if out_slip else case["b2"][r]))
    return torch.stack(runs)


@ex4.judge
def ex4_judge(v, case, got):
    R, n = case["R"], case["X"].shape[0]
    data = v.tensor(got, "batched_logits(...)", dtype=torch.float32, shape=(R, n, 1))
    ref = _batched_reference(case)
    if v.matches(data, torch.sigmoid(ref)):
        v.fail("sigmoid-before-bce-logits", "The output went through a sigmoid; return raw logits.")
    if R == n and v.matches(data, _batched_reference(case, bias_slip=True)):
        v.fail(
            "batched-bias-broadcast",
            "The hidden biases were added to the wrong runs: b1 of shape (R, H) "
            "lined up with the samples axis of (R, N, H).",
        )
    if R == n and any(v.matches(data, _batched_reference(case, bias_slip=b, out_slip=True)) for b in (False, True)):
        v.fail(
            "batched-bias-broadcast",
            "The output biases were added to the wrong runs: b2 of shape (R, 1) "
            "lined up with the samples axis of (R, N, 1).",
        )
    if v.matches(data, _batched_reference(case, relu=False)):
        v.fail("activation-missing", "The logits are those of the networks without the ReLU between the layers.")
    v.close(data, ref, "batched_logits(...)", atol=1e-4, rtol=1e-4)


# --- ex5: one loss for many runs ---------------------------------------------------------
ex5 = Exercise("nb08.ex5", title="One loss for many runs", points=2, answers="batched_loss")


@ex5.cases
def ex5_cases(gen, hidden):
    cases = []
    if not hidden:
        cases.append({"logits": torch.randn(4, 4, 1, generator=gen), "y": xor()[1]})
    while len(cases) < 4:
        R, n = int(torch.randint(2, 9, (), generator=gen)), int(torch.randint(3, 10, (), generator=gen))
        cases.append(
            {"logits": 3 * torch.randn(R, n, 1, generator=gen), "y": (torch.rand(n, 1, generator=gen) < 0.5).float()}
        )
    return cases


@ex5.run
def ex5_run(case, batched_loss):
    logits = case["logits"].clone().requires_grad_(True)
    with one_thread():
        loss = batched_loss(logits, case["y"])
    grad = torch.autograd.grad(loss, logits)[0] if isinstance(loss, torch.Tensor) and loss.requires_grad else None
    return {"loss": loss, "grad": grad}


@ex5.judge
def ex5_judge(v, case, got):
    logits, y = case["logits"], case["y"]
    R, n = logits.shape[0], logits.shape[1]
    loss = v.tensor(got["loss"], "batched_loss(logits, y)", dtype=torch.float32, shape=(), requires_grad=True)
    per_run = F.binary_cross_entropy_with_logits(logits, y.expand_as(logits), reduction="none").mean(dim=(1, 2))
    if v.matches(loss, per_run.mean()):
        v.fail(
            "batched-loss-averaged",
            f"The loss is the mean over all runs, so each run's gradient is divided by the number of runs ({R}).",
        )
    sig = torch.sigmoid(logits)
    twice = F.binary_cross_entropy_with_logits(sig, y.expand_as(sig), reduction="none").mean(dim=(1, 2))
    if v.matches(loss, twice.sum()) or v.matches(loss, twice.mean()):
        v.fail("sigmoid-before-bce-logits", "A sigmoid was applied before the loss that applies its own.")
    v.close(loss, per_run.sum(), "batched_loss(logits, y)", atol=1e-5, rtol=1e-5)
    grad = v.tensor(got["grad"], "the gradient of the loss with respect to the logits", shape=(R, n, 1))
    v.close(
        grad, (torch.sigmoid(logits) - y) / n, "the gradient with respect to each run's logits", atol=1e-5, rtol=1e-4
    )


# --- ex6: the bridge, one layer ----------------------------------------------------------
ex6 = Exercise("nb08.ex6", title="A Dense layer as nn.Linear", points=1, answers="linear_from_dense")


@ex6.cases
def ex6_cases(gen, hidden):
    cases = []
    if not hidden:
        d = Dense(2, 3, seed=0)
        cases.append({"W": torch.from_numpy(d.W.copy()), "b": torch.from_numpy(d.b.copy())})
    while len(cases) < 4:
        n_in = int(torch.randint(1, 6, (), generator=gen))
        n_out = n_in if len(cases) == 1 else int(torch.randint(1, 6, (), generator=gen))
        if len(cases) == 2:  # a layout where reshaping W scrambles it: in and out above 1, different
            n_in, n_out = int(torch.randint(2, 5, (), generator=gen)), int(torch.randint(5, 7, (), generator=gen))
        cases.append(
            {
                "W": torch.randn(n_in, n_out, generator=gen, dtype=torch.float64),
                "b": torch.randn(n_out, generator=gen, dtype=torch.float64),
            }
        )
    return cases


@ex6.run
def ex6_run(case, linear_from_dense):
    W, b = case["W"].numpy().copy(), case["b"].numpy().copy()
    dense = Dense(*W.shape)
    dense.W[...], dense.b[...] = W, b
    lin = linear_from_dense(dense)
    return {"is_linear": isinstance(lin, nn.Linear), "weight": lin.weight, "bias": lin.bias}


@ex6.judge
def ex6_judge(v, case, got):
    W, b = case["W"], case["b"]
    n_in, n_out = W.shape
    v.require(got["is_linear"] is True, "wrong-type", "linear_from_dense should return an nn.Linear.")
    weight = got["weight"]
    if getattr(weight, "shape", None) == (n_in, n_out) and n_in != n_out:
        v.fail(
            "weights-transposed-bridge",
            f"linear.weight has the Dense layout (in, out) = {(n_in, n_out)}; "
            f"nn.Linear needs (out, in) = {(n_out, n_in)}.",
        )
    weight = v.tensor(weight, "linear.weight", dtype=torch.float64, shape=(n_out, n_in), requires_grad=True)
    bias = v.tensor(got["bias"], "linear.bias", dtype=torch.float64, shape=(n_out,), requires_grad=True)
    if n_in == n_out and n_in > 1 and v.matches(weight, W) and not v.matches(W, W.T):
        v.fail(
            "weights-transposed-bridge",
            "linear.weight holds W itself; nn.Linear computes x @ weight.T, so it needs W.T.",
        )
    if v.matches(weight, W.reshape(n_out, n_in)) and not v.matches(W.reshape(n_out, n_in), W.T):
        v.fail(
            "weights-transposed-bridge",
            "linear.weight holds W reshaped to (out, in): the shape is right, "
            "but the numbers are scrambled; a reshape is not a transpose.",
        )
    v.close(weight, W.T, "linear.weight", atol=0, rtol=0)
    v.close(bias, b, "linear.bias", atol=0, rtol=0)


# --- ex7: the bridge, one training step ----------------------------------------------------
ex7 = Exercise("nb08.ex7", title="One step, both frameworks", points=3, answers="torch_step_from_numpy")


@ex7.cases
def ex7_cases(gen, hidden):
    cases = []
    if not hidden:
        X, y = xor(torch.float64)
        cases.append({"sizes": (2, 3), "seeds": (0, 1), "X": X, "y": y, "lr": 0.1})
    while len(cases) < 4:
        h = 2 if len(cases) == 1 else int(torch.randint(2, 9, (), generator=gen))
        n = int(torch.randint(4, 12, (), generator=gen))
        cases.append(
            {
                "sizes": (2, h),
                "seeds": tuple(int(s) for s in torch.randint(0, 10_000, (2,), generator=gen)),
                "X": torch.randn(n, 2, generator=gen, dtype=torch.float64),
                "y": (torch.rand(n, 1, generator=gen) < 0.5).double(),
                "lr": float(_u(gen, 0.05, 1.0)),
            }
        )
    return cases


def _numpy_net(case):
    n_in, h = case["sizes"]
    return Network([Dense(n_in, h, seed=case["seeds"][0]), ReLU(), Dense(h, 1, seed=case["seeds"][1]), Sigmoid()])


@ex7.run
def ex7_run(case, torch_step_from_numpy):
    net = _numpy_net(case)
    before = net.state()
    model = torch_step_from_numpy(net, case["X"].numpy().copy(), case["y"].numpy().copy(), case["lr"])
    after = net.state()
    params = list(model.parameters())
    return {
        "params": [p.detach().clone() for p in params],
        "grads": [None if p.grad is None else p.grad.clone() for p in params],
        "numpy_changed": any(not np.array_equal(before[k], after[k]) for k in before),
    }


def _numpy_step(case):
    """The NumPy framework's gradients and weights after one step, in PyTorch's layout."""
    net = _numpy_net(case)
    from course.numpy_nn import BCE

    loss = BCE()
    loss.forward(net.forward(case["X"].numpy()), case["y"].numpy())
    net.backward(loss.backward())
    d1, d2 = net.layers[0], net.layers[2]
    grads = [d1.dW.T, d1.db, d2.dW.T, d2.db]
    net.sgd_step(case["lr"])
    params = [d1.W.T, d1.b, d2.W.T, d2.b]
    return [torch.from_numpy(np.ascontiguousarray(a)) for a in grads], [
        torch.from_numpy(np.ascontiguousarray(a)) for a in params
    ]


def _torch_twin_step(case, *, reshape=False, sigmoid_twice=False):
    net = _numpy_net(case)
    d1, d2 = net.layers[0], net.layers[2]
    lay = (
        (lambda W: torch.from_numpy(W.copy()).reshape(W.shape[1], W.shape[0]))
        if reshape
        else (lambda W: torch.from_numpy(W.T.copy()))
    )
    init = {"W1": lay(d1.W), "b1": torch.from_numpy(d1.b.copy()), "W2": lay(d2.W), "b2": torch.from_numpy(d2.b.copy())}
    model = _mlp(init, torch.float64)
    out = model(case["X"])
    if sigmoid_twice:
        out = torch.sigmoid(out)
    F.binary_cross_entropy_with_logits(out, case["y"]).backward()
    return [p.grad.clone() for p in model.parameters()]


@ex7.judge
def ex7_judge(v, case, got):
    h = case["sizes"][1]
    if got["numpy_changed"] is True:
        v.fail(
            "numpy-shared-not-copied",
            "The NumPy network's weights changed: the PyTorch model shares their "
            "memory (torch.from_numpy), so its update also moved the NumPy arrays.",
            "Copy the weights: torch.tensor(W.T) or torch.from_numpy(W.T).clone().",
        )
    shapes = [(h, 2), (h,), (1, h), (1,)]
    if [tuple(p.shape) for p in got["params"]] != shapes:
        v.fail("wrong-shape", f"The model's parameters should have shapes {shapes}.")
    if any(g is None for g in got["grads"]):
        v.fail("gradients-cleared", "Some parameters have no .grad after the step.")
    ref_grads, ref_params = _numpy_step(case)
    names = ["first layer weight", "first layer bias", "second layer weight", "second layer bias"]
    grads = [
        v.tensor(g, f"the gradient of the {name}", dtype=torch.float64)
        for g, name in zip(got["grads"], names, strict=True)
    ]
    for mode, code, msg in (
        (
            {"sigmoid_twice": True},
            "sigmoid-before-bce-logits",
            "The gradients are those of a model that ends in a sigmoid before BCEWithLogitsLoss.",
        ),
        (
            {"reshape": True},
            "weights-transposed-bridge",
            "The weights were reshaped from (in, out) to (out, in) instead of transposed (W.T).",
        ),
    ):
        wrong = _torch_twin_step(case, **mode)
        if all(v.matches(g, w, atol=1e-9, rtol=1e-7) for g, w in zip(grads, wrong, strict=True)) and not all(
            v.matches(w, r, atol=1e-9, rtol=1e-7) for w, r in zip(wrong, ref_grads, strict=True)
        ):
            v.fail(code, msg)
    for g, r, name in zip(grads, ref_grads, names, strict=True):
        v.close(
            g, r, f"the gradient of the {name} (compared with the NumPy framework's, transposed)", atol=1e-6, rtol=0
        )
    for p, r, name in zip(got["params"], ref_params, names, strict=True):
        p = v.tensor(p, f"the {name} after the step", dtype=torch.float64)
        v.close(p, r, f"the {name} after one step (compared with the NumPy framework's)", atol=1e-6, rtol=0)
