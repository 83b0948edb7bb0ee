"""Checkers of project 07, linear regression with autograd.

Graded mostly by behaviour: the student's training functions are called on fresh noisy
lines (other slopes, intercepts, noise levels and sizes) and judged with tolerances that
any correct fit meets on every seed. References come from the case's inputs (closed-form
least squares, or the gradient-descent trajectory recomputed in float64), never from a
seed-dependent number. Each hidden check trains a 1-1 model for at most a few hundred
epochs, so it stays well under 300 ms.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn

from course.checking import Exercise
from course.data import linear

#: The notebook's data set: course.data.linear(seed=DATA_SEED) (final loss ~0.250).
DATA_SEED = 6


def _u(gen, lo, hi):
    return float(lo + (hi - lo) * torch.rand((), generator=gen))


def _fresh_line(gen, n_lo=60, n_hi=200):
    """A line the student never saw: |slope| >= 2, intercept in [-5, 5], noise 0.2-1.0."""
    n = int(torch.randint(n_lo, n_hi + 1, (), generator=gen))
    slope = _u(gen, 2.0, 6.0) * (1 if torch.rand((), generator=gen) < 0.5 else -1)
    intercept, noise = _u(gen, -5.0, 5.0), _u(gen, 0.2, 1.0)
    x, y = linear(n=n, noise=noise, seed=int(torch.randint(0, 2**31 - 1, (), generator=gen)),
                  slope=slope, intercept=intercept)
    return {"x": x, "y": y, "slope": slope, "intercept": intercept, "noise": noise}


def _gd_trajectory(X, Y, w0, b0, lr, epochs, *, accumulate=False, lag=False):
    """Full-batch gradient descent on MSE for y = w x + b, in float64.

    ``accumulate``: gradients never zeroed (each step uses the sum of all gradients so
    far). ``lag``: optimizer.step() before backward (each step uses the previous
    gradient; the first step does nothing). Returns (w, b, losses).
    """
    x, y = X.reshape(-1).double(), Y.reshape(-1).double()
    w, b = float(w0), float(b0)
    gw_acc = gb_acc = 0.0
    prev = None
    losses = []
    for _ in range(epochs):
        r = w * x + b - y
        losses.append(float((r * r).mean()))
        gw, gb = float((2 * r * x).mean()), float((2 * r).mean())
        if accumulate:
            gw_acc, gb_acc = gw_acc + gw, gb_acc + gb
            gw, gb = gw_acc, gb_acc
        if lag:
            prev, (gw, gb) = (gw, gb), (prev if prev is not None else (0.0, 0.0))
        w, b = w - lr * gw, b - lr * gb
        if not (math.isfinite(w) and math.isfinite(b)) or abs(w) > 1e30:
            losses.append(float("inf"))
            break
    return w, b, losses


def _losses_record(v, losses, epochs, name="losses"):
    data = v.tensor(losses, name, dtype=torch.float64)
    if data.shape != (epochs,):
        v.fail("wrong-shape", f"{name} should hold one loss per epoch ({epochs} values), "
                              f"but it holds {data.numel()}.")
    return data


def _as_loss_tensor(losses):
    """The student's losses (floats, 0-d tensors or a 1-d tensor) as float64 values."""
    return torch.tensor([float(l) for l in losses], dtype=torch.float64)


# --- ex1: data as a batch of one-feature rows ------------------------------------------
ex1 = Exercise("nb07.ex1", title="Data as (N, 1) batches", points=1, answers="as_batch")


@ex1.cases
def ex1_cases(gen, hidden):
    cases = []
    if not hidden:
        x, y = linear(seed=DATA_SEED)
        cases.append({"x": x, "y": y})
    while len(cases) < 4:
        n = int(torch.randint(3, 40, (), generator=gen))
        cases.append({"x": torch.randn(n, generator=gen), "y": torch.randn(n, generator=gen)})
    return cases


@ex1.run
def ex1_run(case, as_batch):
    return tuple(as_batch(case["x"], case["y"]))


@ex1.judge
def ex1_judge(v, case, got):
    n = case["x"].shape[0]
    if type(got) is not tuple or len(got) != 2:
        v.fail("wrong-type", "as_batch(x, y) should return two tensors: (X, Y).")
    X, Y = got
    for value, name in ((X, "X"), (Y, "Y")):
        if isinstance(getattr(value, "shape", None), tuple) and value.shape == (n,):
            v.fail("target-shape-n-vs-n1", f"{name} still has shape ({n},); nn.Linear needs one row per "
                   f"sample, (N, 1), and the loss needs predictions and targets of the same shape.")
    X = v.tensor(X, "X", dtype=torch.float32, shape=(n, 1))
    Y = v.tensor(Y, "Y", dtype=torch.float32, shape=(n, 1))
    if n > 1 and v.matches(X, case["y"].unsqueeze(1)):
        v.fail("wrong-values", "X holds the targets: the first result is the inputs x, the second the targets y.")
    v.close(X, case["x"].unsqueeze(1), "X", atol=0, rtol=0)
    v.close(Y, case["y"].unsqueeze(1), "Y", atol=0, rtol=0)


# --- ex2: one gradient-descent step written by hand -------------------------------------
ex2 = Exercise("nb07.ex2", title="One update by hand", points=2, answers="manual_step")


@ex2.cases
def ex2_cases(gen, hidden):
    cases = []
    if not hidden:
        x, y = linear(seed=DATA_SEED)
        cases.append({"X": x.unsqueeze(1), "Y": y.unsqueeze(1), "w0": 0.5, "b0": -0.3, "lr": 0.005})
    while len(cases) < 4:
        line = _fresh_line(gen, 5, 50)
        cases.append({"X": line["x"].unsqueeze(1), "Y": line["y"].unsqueeze(1), "w0": _u(gen, -1, 1),
                      "b0": _u(gen, -1, 1), "lr": _u(gen, 0.01, 0.2)})
    return cases


@ex2.run
def ex2_run(case, manual_step):
    model = nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(case["w0"])
        model.bias.fill_(case["b0"])
    loss1 = manual_step(model, case["X"], case["Y"], case["lr"])
    w1, b1 = model.weight.detach().clone(), model.bias.detach().clone()
    loss2 = manual_step(model, case["X"], case["Y"], case["lr"])
    return {"loss1": loss1, "loss2": loss2, "w1": w1, "b1": b1,
            "w2": model.weight.detach().clone(), "b2": model.bias.detach().clone()}


@ex2.judge
def ex2_judge(v, case, got):
    args = (case["X"], case["Y"], case["w0"], case["b0"], case["lr"])
    w1, b1, _ = _gd_trajectory(*args, 1)
    w2, b2, ref_losses = _gd_trajectory(*args, 2)
    loss1 = v.number(got["loss1"], "the loss that manual_step returned")
    got_w1 = float(v.tensor(got["w1"], "model.weight after one step", shape=(1, 1)).item())
    got_b1 = float(v.tensor(got["b1"], "model.bias after one step", shape=(1,)).item())
    got_w2 = float(got["w2"].data.item())
    got_b2 = float(got["b2"].data.item())
    if abs(got_w1 - case["w0"]) < 1e-6 and abs(got_b1 - case["b0"]) < 1e-6:
        v.fail("rebinding-leaf", "After manual_step the model's weight and bias are unchanged.",
               "`p = p - lr * p.grad` only rebinds a local name; update in place: "
               "`with torch.no_grad(): p -= lr * p.grad`.")
    g_w, g_b = (case["w0"] - w1) / case["lr"], (case["b0"] - b1) / case["lr"]
    if abs(got_w1 - (case["w0"] + case["lr"] * g_w)) < 1e-5 and abs(got_b1 - (case["b0"] + case["lr"] * g_b)) < 1e-5:
        v.fail("update-sign", "The parameters moved uphill: the loss grows after your step.")
    v.close(torch.tensor([got_w1, got_b1]), torch.tensor([w1, b1]), "weight and bias after one step",
            atol=1e-5, rtol=1e-5)
    wa, ba, _ = _gd_trajectory(*args, 2, accumulate=True)
    if abs(got_w2 - wa) < 1e-5 and abs(got_b2 - ba) < 1e-5 and abs(wa - w2) > 1e-4:
        v.fail("zero-grad-missing", "The first step is right, but the second step used the first step's "
                                    "gradient as well.")
    v.close(torch.tensor([got_w2, got_b2]), torch.tensor([w2, b2]), "weight and bias after two steps",
            atol=1e-5, rtol=1e-5)
    if abs(loss1 - ref_losses[0]) < 1e-5 * max(1.0, ref_losses[0]):
        v.passed("loss")
        return
    if abs(loss1 - ref_losses[0] / 2) < 1e-5 * max(1.0, ref_losses[0]):
        v.fail("mse-half-factor", "The returned loss is half the mean squared error.")
    v.close(torch.tensor(loss1), torch.tensor(ref_losses[0]), "the returned loss (before the update)",
            atol=1e-5, rtol=1e-5)


# --- ex3: fit a line with the hand-written loop (graded by behaviour) --------------------
ex3 = Exercise("nb07.ex3", title="Fit any line by hand", points=3, answers="fit_line")


@ex3.cases
def ex3_cases(gen, hidden):
    cases = []
    if not hidden:
        x, y = linear(seed=DATA_SEED)
        cases.append({"x": x, "y": y, "slope": 4.0, "intercept": 5.5, "noise": 0.5, "lr": 0.2, "epochs": 150})
    while len(cases) < 4:
        line = _fresh_line(gen)
        line.update(lr=_u(gen, 0.2, 0.5), epochs=int(torch.randint(150, 201, (), generator=gen)))
        cases.append(line)
    return cases


@ex3.run
def ex3_run(case, fit_line):
    w, b, losses = fit_line(case["x"], case["y"], case["lr"], case["epochs"])
    return w, b, _as_loss_tensor(losses)


def _tolerances(case):
    """Six standard errors of least squares: a correct fit misses them with p ~ 2e-9."""
    x = case["x"].double()
    se_w = case["noise"] / float(((x - x.mean()) ** 2).sum().sqrt())
    se_b = case["noise"] * math.sqrt(1 / x.numel() + float(x.mean()) ** 2 / float(((x - x.mean()) ** 2).sum()))
    return 6 * se_w + 1e-3, 6 * se_b + 1e-3


@ex3.judge
def ex3_judge(v, case, got):
    if type(got) is not tuple or len(got) != 3:
        v.fail("wrong-type", "fit_line should return three things: (w, b, losses).")
    w = v.number(got[0], "w")
    b = v.number(got[1], "b")
    losses = _losses_record(v, got[2], case["epochs"])
    if any("Using a target size" in m for m in v.warnings):
        v.fail("target-shape-n-vs-n1", "PyTorch warned that your predictions and targets have different "
                                        "shapes while training, so the loss compared every prediction "
                                        "with every target.")
    finite = math.isfinite(w) and math.isfinite(b) and bool(torch.isfinite(losses).all())
    tol_w, tol_b = _tolerances(case)
    off = not finite or abs(w - case["slope"]) > tol_w or abs(b - case["intercept"]) > tol_b
    ups = int((losses[1:] > losses[:-1] * (1 + 1e-4) + 1e-7).sum()) if finite else 0
    downs = int((losses[1:] < losses[:-1] * (1 - 1e-4) - 1e-7).sum()) if finite else 0
    if finite and off and ups >= 3 and downs >= 3:
        v.fail("zero-grad-missing", f"The loss went up {ups} times and down {downs} times during training "
                                     f"and the fit did not settle: gradients from earlier epochs kept adding up.")
    if not finite or float(losses[-1]) > float(losses[0]):
        v.fail("lr-diverges", f"The training blew up: the loss went from {float(losses[0]):.3g} to "
                              f"{float(losses[-1]):.3g} (the learning rate was {case['lr']:.3g}).",
               "Check that the loss is a mean, not a sum (a sum multiplies the step by N), and that "
               "the learning rate you use is the one passed in.")
    v.passed("loss curve")
    y_mean = float(case["y"].double().mean())
    if abs(w) < 0.1 * abs(case["slope"]) and abs(b - y_mean) < tol_b:
        v.fail("target-shape-n-vs-n1", "The fitted line is flat through the mean of y: the loss compared "
                                        "every prediction with every target ((N,1) against (N,)).")
    where = "on a line you have not seen" if v.hidden else f"(slope {case['slope']:g}, intercept {case['intercept']:g})"
    ok_w, ok_b = abs(w - case["slope"]) <= tol_w, abs(b - case["intercept"]) <= tol_b
    if not (ok_w and ok_b):
        which = " and ".join(n for n, ok in (("w", ok_w), ("b", ok_b)) if not ok)
        got_txt = "" if v.hidden else f" (got w={w:.4g}, b={b:.4g})"
        v.fail("wrong-values", f"{which} missed the true line {where} by more than six standard errors of "
                               f"the noise (tolerance w: {tol_w:.3g}, b: {tol_b:.3g}){got_txt}.",
               "Use the lr and epochs passed in, a mean squared error, and update both w and b.")
    v.passed("fit")


# --- ex4: the same training with optim.SGD ---------------------------------------------
ex4 = Exercise("nb07.ex4", title="The same with optim.SGD", points=2, answers="train_sgd")


@ex4.cases
def ex4_cases(gen, hidden):
    cases = []
    if not hidden:
        x, y = linear(seed=DATA_SEED)
        cases.append({"X": x.unsqueeze(1), "Y": y.unsqueeze(1), "w0": -0.2, "b0": 0.7, "lr": 0.05, "epochs": 100})
    while len(cases) < 4:
        line = _fresh_line(gen, 20, 120)
        cases.append({"X": line["x"].unsqueeze(1), "Y": line["y"].unsqueeze(1), "w0": _u(gen, -1, 1),
                      "b0": _u(gen, -1, 1), "lr": _u(gen, 0.02, 0.3),
                      "epochs": int(torch.randint(60, 121, (), generator=gen))})
    return cases


@ex4.run
def ex4_run(case, train_sgd):
    model = nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(case["w0"])
        model.bias.fill_(case["b0"])
    losses = train_sgd(model, case["X"], case["Y"], case["lr"], case["epochs"])
    return {"w": model.weight.detach().clone(), "b": model.bias.detach().clone(),
            "losses": _as_loss_tensor(losses)}


@ex4.judge
def ex4_judge(v, case, got):
    args = (case["X"], case["Y"], case["w0"], case["b0"], case["lr"], case["epochs"])
    w = float(v.tensor(got["w"], "model.weight after training", shape=(1, 1)).item())
    b = float(v.tensor(got["b"], "model.bias after training", shape=(1,)).item())
    losses = _losses_record(v, got["losses"], case["epochs"])
    if any("Using a target size" in m for m in v.warnings):
        v.fail("target-shape-n-vs-n1", "PyTorch warned that predictions and targets have different shapes.")
    if abs(w - case["w0"]) < 1e-6 and abs(b - case["b0"]) < 1e-6:
        v.fail("optimizer-wrong-params", "The model's weight and bias did not change: the optimizer did not "
                                         "update the model it was given.")
    ref_w, ref_b, ref_losses = _gd_trajectory(*args)
    acc_w, acc_b, _ = _gd_trajectory(*args, accumulate=True)
    lag_w, lag_b, _ = _gd_trajectory(*args, lag=True)
    near = lambda a, c: abs(a[0] - c[0]) < 1e-4 * max(1, abs(c[0])) and abs(a[1] - c[1]) < 1e-4 * max(1, abs(c[1]))
    if not near((w, b), (ref_w, ref_b)):
        if near((w, b), (acc_w, acc_b)) or (not math.isfinite(acc_w) and not math.isfinite(w)):
            v.fail("zero-grad-missing", "The weights follow gradients that add up across epochs.")
        if near((w, b), (lag_w, lag_b)):
            v.fail("step-before-backward", "Each update used the previous epoch's gradient.")
        if not (math.isfinite(w) and math.isfinite(b)):
            v.fail("lr-diverges", "The weights became inf or nan.")
    v.close(torch.tensor([w, b]), torch.tensor([ref_w, ref_b]),
            "weight and bias after training (compared with the hand-written update from the same start)",
            atol=1e-4, rtol=1e-4)
    v.close(losses, torch.tensor(ref_losses[: case["epochs"]], dtype=torch.float64),
            "the losses per epoch (each measured before that epoch's update)", atol=1e-4, rtol=1e-4)
