"""Checkers of notebook 05, optimizers and learning-rate schedules.

The training-loop exercises never receive the student's own model or optimizer: ``run``
builds a fresh small model (and optimizer) from the case, calls the student's function,
and returns plain results (losses, learning rates, final parameters). The judge computes
the right loop from the same initial weights, and the usual wrong loops too (no
``zero_grad``, ``step`` before ``backward``, a scheduler stepped per batch...), so that a
wrong answer is named by the mistake that produces exactly its numbers.
"""

from __future__ import annotations

import math
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F

from course.checking import Exercise, pristine
from course.checking.values import TensorValue, type_name

#: Tolerances. Parameters after a few float32 steps agree to about 1e-7 when the same
#: formula is computed in a different order; wrong formulas differ by 1e-4 or more.
ATOL, RTOL = 1e-6, 1e-5
LOOP_ATOL, LOOP_RTOL = 1e-5, 1e-4

_SGD = "torch.optim.sgd.SGD"


# --- helpers shared by the checkers ------------------------------------------------


def _uniform(gen, lo, hi):
    return float(lo + (hi - lo) * torch.rand((), generator=gen))


def _randint(gen, lo, hi):
    """An int in [lo, hi]."""
    return int(torch.randint(lo, hi + 1, (), generator=gen))


def _regression(gen, n, d, noise=0.3):
    """X (n, d) and y (n, 1) on a random line, plus initial weights (1, d) and bias (1,)."""
    X = torch.randn(n, d, generator=gen)
    w_true = torch.randn(d, generator=gen) * 2
    y = (X @ w_true + torch.randn((), generator=gen) + noise * torch.randn(n, generator=gen)).unsqueeze(1)
    w0 = torch.randn(1, d, generator=gen) * 0.5
    b0 = torch.randn(1, generator=gen) * 0.5
    return X, y, w0, b0


def _linear(w0, b0):
    model = nn.Linear(w0.shape[1], w0.shape[0])
    with torch.no_grad():
        model.weight.copy_(w0)
        model.bias.copy_(b0)
    return model


def _loop(case, order, scheduler=None, per_batch=False):
    """Train a fresh copy of the case's linear model with SGD, doing the steps in ``order``.

    ``order`` spells one iteration: z = zero_grad, f = forward and loss (recorded),
    b = backward, s = step. "zfbs" is right. Returns (losses, weight, bias, lrs).
    With ``case["batches"]`` the iteration runs per batch and ``scheduler`` (a function of
    the optimizer) is stepped per epoch, or per batch when ``per_batch``.
    """
    model = _linear(case["w0"], case["b0"])
    opt = torch.optim.SGD(model.parameters(), lr=case["lr"])
    sched = scheduler(opt) if scheduler else None
    batches = case.get("batches") or [(case["X"], case["y"])]
    losses, lrs = [], []
    for _ in range(case["epochs"]):
        lrs.append(opt.param_groups[0]["lr"])
        for X, y in batches:
            loss = None
            for op in order:
                if op == "z":
                    opt.zero_grad()
                elif op == "f":
                    loss = F.mse_loss(model(X), y)
                    losses.append(loss.item())
                elif op == "b":
                    loss.backward()
                elif op == "s":
                    opt.step()
            if sched is not None and per_batch:
                sched.step()
        if sched is not None and not per_batch:
            sched.step()
    return torch.tensor(losses, dtype=torch.float64), model.weight.detach(), model.bias.detach(), lrs


def _trajectory(case, make_optimizer):
    """Parameters (w and b, flattened together) after each of ``case["steps"]`` steps.

    The loss is the mean squared error of the linear model ``X @ w + b`` on the case's
    data; gradients are cleared by setting ``.grad = None`` before each backward.
    """
    w = nn.Parameter(case["w0"].clone())
    b = nn.Parameter(case["b0"].clone())
    opt = make_optimizer([w, b])
    out = []
    for _ in range(case["steps"]):
        w.grad = None
        b.grad = None
        loss = ((case["X"] @ w + b - case["y"]) ** 2).mean()
        loss.backward()
        opt.step()
        out.append(torch.cat([w.detach().reshape(-1), b.detach().reshape(-1)]).clone())
    return torch.stack(out)


class _Rule:
    """A tiny optimizer for the judges' wrong versions: ``update(p, g, state, t)`` per tensor."""

    def __init__(self, params, update):
        self.params, self.update, self.state, self.t = list(params), update, {}, 0

    @torch.no_grad()
    def step(self):
        self.t += 1
        for i, p in enumerate(self.params):
            self.update(p, p.grad, self.state.setdefault(i, {}), self.t)


def _trajectory_case(gen, hidden, steps_range, lr_range):
    n, d = (8, 3) if not hidden else (_randint(gen, 6, 16), _randint(gen, 1, 4))
    X = torch.randn(n, d, generator=gen)
    y = X @ torch.randn(d, generator=gen) + 0.5 * torch.randn(n, generator=gen)
    return {
        "X": X,
        "y": y,
        "w0": 0.5 * torch.randn(d, generator=gen),
        "b0": 0.5 * torch.randn((), generator=gen),
        "steps": 5 if not hidden else _randint(gen, *steps_range),
        "lr": None if not hidden else _uniform(gen, *lr_range),
    }


# --- Exercise 1: the training loop ----------------------------------------------------
# train(model, X, y, optimizer, loss_fn, epochs): zero_grad / forward / loss / backward / step,
# returning the loss of every epoch as floats; named: zero_grad missing, step before backward,
# loss history kept as tensors.

ex1 = Exercise("nb05.ex1", title="The training loop", points=3, answers="train")


@ex1.cases
def ex1_cases(gen, hidden):
    cases = []
    for _ in range(1 if not hidden else 3):
        n, d = (8, 2) if not hidden else (_randint(gen, 6, 16), _randint(gen, 1, 4))
        X, y, w0, b0 = _regression(gen, n, d)
        cases.append(
            {
                "X": X,
                "y": y,
                "w0": w0,
                "b0": b0,
                "lr": 0.1 if not hidden else _uniform(gen, 0.03, 0.2),
                "epochs": 5 if not hidden else _randint(gen, 3, 8),
            }
        )
    return cases


@ex1.run
def ex1_run(case, train):
    model = _linear(case["w0"], case["b0"])
    optimizer = torch.optim.SGD(model.parameters(), lr=case["lr"])
    steps = []
    real_step = optimizer.step

    def counted_step(*args, **kwargs):  # how often the optimizer it was given stepped
        steps.append(1)
        return real_step(*args, **kwargs)

    optimizer.step = counted_step
    losses = train(model, case["X"], case["y"], optimizer, nn.MSELoss(), case["epochs"])
    return {
        "losses": losses,
        "weight": model.weight.detach().clone(),
        "bias": model.bias.detach().clone(),
        "steps": len(steps),
    }


@ex1.judge
def ex1_judge(v, case, got):
    losses = v.numbers(got["losses"], "The list train(...) returned", case["epochs"], "losses, one per epoch")
    w = v.tensor(got["weight"], "model.weight after train(...)", dtype=torch.float32, shape=tuple(case["w0"].shape))
    b = v.tensor(got["bias"], "model.bias after train(...)", dtype=torch.float32, shape=tuple(case["b0"].shape))
    params = torch.cat([w.reshape(-1), b.reshape(-1)])
    ref_losses, rw, rb, _ = _loop(case, "zfbs")
    ref = torch.cat([rw.reshape(-1), rb.reshape(-1)])
    start = torch.cat([case["w0"].reshape(-1), case["b0"].reshape(-1)])
    if got["steps"] == 0 and not v.matches(params, start, 0, 0):
        v.fail(
            "optimizer-not-used",
            "The model's parameters changed, but the optimizer train(...) was "
            "given never stepped: they were updated by an optimizer (or a loop) of your own.",
        )
    if not v.matches(params, ref, LOOP_ATOL, LOOP_RTOL):
        if v.matches(params, start, 0, 0):
            v.fail(
                "step-before-backward",
                "The model's parameters did not change at all: optimizer.step() found no gradients "
                "(it ran before loss.backward(), zero_grad() ran between backward and step, or step "
                "was never called).",
            )
        wrong = [
            (
                "zero-grad-missing",
                "fbs",
                "The parameters are those of a loop without optimizer.zero_grad(): the gradients of "
                "all earlier epochs were added into every step.",
            ),
            (
                "step-before-backward",
                "fszb",
                "The parameters are those of a loop that calls optimizer.step() before loss.backward(): "
                "each step used the gradient of the previous epoch.",
            ),
            (
                "step-before-backward",
                "fsb",
                "The parameters are those of a loop that calls optimizer.step() before loss.backward() "
                "(and never zeroes the gradients).",
            ),
        ]
        for code, order, message in wrong:
            _, ww, wb, _ = _loop(case, order)
            if v.matches(params, torch.cat([ww.reshape(-1), wb.reshape(-1)]), LOOP_ATOL, LOOP_RTOL):
                v.fail(code, message)
    v.close(params, ref, "The parameter vector after train(...)", atol=LOOP_ATOL, rtol=LOOP_RTOL)
    after_step = torch.cat([ref_losses[1:], F.mse_loss(case["X"] @ rw.T + rb, case["y"]).reshape(1).double()])
    if v.matches(losses, after_step, LOOP_ATOL, LOOP_RTOL) and not v.matches(losses, ref_losses, LOOP_ATOL, LOOP_RTOL):
        v.fail(
            "loss-recorded-after-step",
            "Each loss you recorded is the loss after that epoch's step, computed with a second forward pass.",
        )
    v.close(
        losses,
        ref_losses,
        "The list of losses train(...) returned",
        atol=LOOP_ATOL,
        rtol=LOOP_RTOL,
        hint="Record loss.item() of each epoch's forward pass (the loss before that epoch's step).",
    )


# --- Exercise 2: an optimizer over the right parameters, on the right device ------------
# setup_training(model, device, lr, weight_decay) -> (model, SGD with momentum 0.9); run on the
# "meta" device, where moving a model creates new Parameter objects, so an optimizer built
# before the move is seen; named: optimizer before .to(device), wrong parameters, weight decay
# passed as the learning rate, model not moved.

ex2 = Exercise("nb05.ex2", title="Build the optimizer", points=2, answers="setup_training")


@ex2.cases
def ex2_cases(gen, hidden):
    # "probe", "probe_grads": a parameter the optimizer is stepped on (in its own param group, with the
    # hyperparameters of the first), proving it steps like torch.optim.SGD whatever its class calls itself
    if not hidden:
        return [
            {
                "sizes": (4, 8),
                "lr": 0.05,
                "weight_decay": 1e-4,
                "device": "meta",
                "probe": torch.tensor([0.5, -1.0, 2.0]),
                "probe_grads": torch.tensor([[0.1, -0.2, 0.3], [0.05, 0.4, -0.1]]),
            }
        ]
    return [
        {
            "sizes": (_randint(gen, 2, 6), _randint(gen, 3, 10)),
            "lr": round(_uniform(gen, 0.01, 0.2), 4),
            "weight_decay": round(_uniform(gen, 1e-5, 1e-3), 6),
            "device": "meta",
            "probe": torch.randn(3, generator=gen),
            "probe_grads": torch.randn(_randint(gen, 2, 4), 3, generator=gen),
        }
        for _ in range(3)
    ]


@ex2.run
def ex2_run(case, setup_training):
    d, h = case["sizes"]
    model = nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, 1))
    settle = pristine.SETTLE  # taken before the student's code runs, called right after it
    model_out, optimizer = setup_training(model, case["device"], case["lr"], case["weight_decay"])
    settle()
    # the class by identity with the real one (a class can name itself torch.optim.sgd.SGD), and what it does
    is_sgd = pristine.REAL.type(optimizer) is pristine.REAL.SGD
    if not pristine.REAL.isinstance(model_out, nn.Module):
        return {"model": type(model_out).__qualname__}
    mine = list(model_out.parameters())
    ids = {id(p) for p in mine}
    groups = getattr(optimizer, "param_groups", None) or [{}]
    held = [p for g in groups for p in g.get("params", [])]
    # a class that names itself after a library class travels as itself (the engine flags it as a
    # look-alike); any other optimizer by the name its class gives
    named = optimizer if pristine.lookalike(optimizer) else type_name(optimizer)
    return {
        "model": "Module",
        "optimizer": named,
        "is_sgd": is_sgd,
        "model_devices": tuple(str(p.device) for p in mine),
        "held_in_model": tuple(id(p) in ids for p in held),
        "held_devices": tuple(str(p.device) for p in held),
        "lr": groups[0].get("lr"),
        "momentum": groups[0].get("momentum"),
        "weight_decay": groups[0].get("weight_decay"),
        "probe": _probe_steps(optimizer, case) if is_sgd else None,
    }


def _probe_steps(optimizer, case):
    """The probe after ``optimizer`` stepped it with the case's gradients (a string: why it could not)."""
    try:
        group = {k: v for k, v in optimizer.param_groups[0].items() if k != "params"}
        probe = nn.Parameter(case["probe"].clone())
        optimizer.add_param_group({**group, "params": [probe]})
        with pristine.modes_off():  # torch's own arithmetic: no mode can make another rule's steps look like SGD's
            for grad in case["probe_grads"]:
                probe.grad = grad.clone()
                optimizer.step()
            return probe.detach().clone()
    except Exception as exc:  # noqa: BLE001 - an optimizer of the student's making may raise anything
        return f"{type(exc).__name__}: {exc}"[:200]


def _probe_reference(case):
    """The probe stepped by torch.optim.SGD with the settings the exercise asks for."""
    probe = nn.Parameter(case["probe"].clone())
    optimizer = torch.optim.SGD([probe], lr=case["lr"], momentum=0.9, weight_decay=case["weight_decay"])
    for grad in case["probe_grads"]:
        probe.grad = grad.clone()
        optimizer.step()
    return probe.detach()


@ex2.judge
def ex2_judge(v, case, got):
    if got["model"] != "Module":
        v.fail("wrong-type", f"setup_training should return (model, optimizer); the first item is a {got['model']}.")
    v.passed("type")
    device = case["device"]
    if any(dv != device for dv in got["model_devices"]):
        v.fail(
            "model-not-on-device",
            f"Called with device={device!r}, the model's parameters are on {sorted(set(got['model_devices']))}.",
        )
    v.passed("device")
    _ex2_is_sgd(v, got)
    _ex2_holds_the_model_parameters(v, case, got)
    v.passed("parameters")
    _ex2_settings(v, case, got)
    v.passed("values")
    _ex2_steps_like_sgd(v, case, got)
    v.passed("behaviour")


def _ex2_is_sgd(v, got):
    """The optimizer is torch.optim.SGD itself, not a class that only takes its name."""
    if not got["is_sgd"]:
        name = got["optimizer"] if isinstance(got["optimizer"], str) else getattr(got["optimizer"], "type_name", "?")
        if name == _SGD:  # named like it, but another class: the name is all it has of SGD
            v.fail("wrong-type", f"The optimizer's class calls itself {_SGD} but is not torch.optim.SGD.")
        v.fail("wrong-type", f"The optimizer is a {name}; the exercise asks for torch.optim.SGD.")


def _ex2_holds_the_model_parameters(v, case, got):
    """Every parameter of the model, as it is after model.to(device), and nothing else."""
    held, n_model = got["held_in_model"], len(got["model_devices"])
    if not all(held):
        if any(dv == "cpu" for dv in got["held_devices"]):
            v.fail(
                "optimizer-before-to-device",
                f"The optimizer holds tensors on the cpu while the model is on {case['device']!r}: it was built "
                "over the parameters as they were before model.to(device).",
            )
        v.fail("optimizer-wrong-params", "The optimizer holds tensors that are not the model's parameters.")
    if sum(held) != n_model:
        v.fail(
            "optimizer-wrong-params",
            f"The optimizer holds {sum(held)} of the model's {n_model} parameter tensors; it should hold all.",
        )


def _ex2_settings(v, case, got):
    """lr, weight_decay and momentum as asked (lr and weight_decay swapped named first)."""
    lr = v.number(got["lr"], "The optimizer's lr")
    wd = v.number(got["weight_decay"], "The optimizer's weight_decay")
    if math.isclose(lr, case["weight_decay"], rel_tol=1e-9) and math.isclose(wd, case["lr"], rel_tol=1e-9):
        v.fail("weight-decay-as-lr", "The optimizer's lr and weight_decay are swapped.")
    if not math.isclose(lr, case["lr"], rel_tol=1e-9):
        v.fail(
            "weight-decay-as-lr" if math.isclose(lr, case["weight_decay"], rel_tol=1e-9) else "wrong-values",
            "The optimizer's lr is not the lr passed to setup_training.",
        )
    if not math.isclose(wd, case["weight_decay"], rel_tol=1e-9):
        v.fail(
            "optimizer-setting-missing",
            f"The optimizer's weight_decay is {wd:g}, not the weight_decay passed to setup_training.",
        )
    if got["momentum"] is None or not math.isclose(v.number(got["momentum"], "momentum"), 0.9, rel_tol=1e-9):
        v.fail(
            "optimizer-setting-missing", f"The optimizer's momentum is {got['momentum']}; the exercise asks for 0.9."
        )


def _ex2_steps_like_sgd(v, case, got):
    """A parameter of its own, stepped by the optimizer, moves where torch.optim.SGD moves it."""
    if not isinstance(got["probe"], TensorValue):
        v.fail("wrong-type", f"The optimizer could not take a step on a parameter of its own ({got['probe']}).")
    probe = v.tensor(
        got["probe"], "A parameter stepped by the optimizer", dtype=torch.float32, shape=tuple(case["probe"].shape)
    )
    if not v.matches(probe, _probe_reference(case), ATOL, RTOL):
        v.fail(
            "wrong-type",
            "The optimizer does not step like torch.optim.SGD with these settings "
            "(a parameter it stepped moved elsewhere).",
        )


# --- Exercise 3: one SGD step by hand ----------------------------------------------------
# sgd_step(params, lr, weight_decay=0.0) updates each p in place like torch.optim.SGD;
# named: rebinding instead of updating in place, the sign, weight decay used as a step size.

ex3 = Exercise("nb05.ex3", title="SGD by hand", points=2, answers="sgd_step")


@ex3.cases
def ex3_cases(gen, hidden):
    def one(shapes, lr, wd):
        return {
            "params": [torch.randn(*s, generator=gen) for s in shapes],
            "grads": [torch.randn(*s, generator=gen) for s in shapes],
            "lr": lr,
            "weight_decay": wd,
        }

    if not hidden:
        return [one([(3, 4), (3,)], 0.1, 0.01)]
    cases = []
    for i in range(3):
        out, inp = _randint(gen, 1, 5), _randint(gen, 1, 6)
        wd = None if i == 2 else round(_uniform(gen, 0.01, 0.1), 4)
        cases.append(one([(out, inp), (out,)], round(_uniform(gen, 0.05, 0.5), 4), wd))
    return cases


@ex3.run
def ex3_run(case, sgd_step):
    params = [nn.Parameter(t.clone()) for t in case["params"]]
    for p, g in zip(params, case["grads"], strict=True):
        p.grad = g.clone()
    if case["weight_decay"] is None:
        sgd_step(params, case["lr"])  # weight_decay left at its default
    else:
        sgd_step(params, case["lr"], weight_decay=case["weight_decay"])
    # strict=False: sgd_step may have changed the list's length; the judge names that, not zip
    kept = all(p.grad is not None and torch.equal(p.grad, g) for p, g in zip(params, case["grads"], strict=False))
    return {"params": [p.detach().clone() for p in params], "grads_kept": kept}


def _sgd_reference(case):
    params = [nn.Parameter(t.clone()) for t in case["params"]]
    for p, g in zip(params, case["grads"], strict=True):
        p.grad = g.clone()
    torch.optim.SGD(params, lr=case["lr"], weight_decay=case["weight_decay"] or 0.0).step()
    return torch.cat([p.detach().reshape(-1) for p in params])


@ex3.judge
def ex3_judge(v, case, got):
    kept, got = got["grads_kept"], got["params"]
    got_flat = _ex3_params_after(v, case, got)
    ref = _sgd_reference(case)
    if not v.matches(got_flat, ref, ATOL, RTOL):
        _ex3_named_mistakes(v, case, got_flat)
    v.close(got_flat, ref, "The parameter vector after sgd_step", atol=ATOL, rtol=RTOL)
    if not kept:
        v.fail(
            "gradients-cleared",
            "After sgd_step the parameters' .grad were no longer the gradients they held before the step.",
        )


def _ex3_params_after(v, case, got):
    """The parameters after sgd_step, one per tensor of the case, flattened into one vector."""
    if type(got) is not list or len(got) != len(case["params"]):
        v.fail("wrong-type", "sgd_step should update the tensors of the list it is given.")
    flat = []
    for i, (value, p0) in enumerate(zip(got, case["params"], strict=True)):
        flat.append(
            v.tensor(value, f"params[{i}] after sgd_step", dtype=torch.float32, shape=tuple(p0.shape)).reshape(-1)
        )
    return torch.cat(flat)


def _ex3_named_mistakes(v, case, got_flat):
    """A wrong step that one of the usual mistakes makes exactly: nothing changed, the sign,
    then (with weight decay) weight decay used as a step size or left out."""
    p = torch.cat([t.reshape(-1) for t in case["params"]])
    g = torch.cat([t.reshape(-1) for t in case["grads"]])
    lr, wd = case["lr"], case["weight_decay"] or 0.0
    if v.matches(got_flat, p, 0, 0):
        v.fail(
            "rebinding-leaf",
            "The tensors in params did not change. `p = p - lr * p.grad` only rebinds the "
            "name p; update each tensor in place under torch.no_grad().",
        )
    if v.matches(got_flat, p + lr * (g + wd * p), ATOL, RTOL):
        v.fail("update-sign", "The parameters moved along the gradient instead of against it.")
    if wd:
        for wrong in (p - wd * (g + wd * p), p - wd * g, p - lr * g - wd * p, p - lr * wd * g, p - (lr + wd) * g):
            if v.matches(got_flat, wrong, ATOL, RTOL):
                v.fail(
                    "weight-decay-as-lr",
                    "weight_decay was used as a step size instead of being added to the gradient as weight_decay * p.",
                )
        if v.matches(got_flat, p - lr * g, ATOL, RTOL):
            v.fail("weight-decay-missing", "The step is plain SGD without the weight decay.")


# --- Exercise 4: momentum by hand -----------------------------------------------------------
# class MomentumSGD(params, lr, momentum=0.9) with step(): matches torch.optim.SGD(momentum=...)
# within 1e-6 over several steps; named: velocity not kept between steps, velocity started at
# zero with the (1 - momentum) average form.

ex4 = Exercise("nb05.ex4", title="Momentum by hand", points=2, answers="MomentumSGD")


@ex4.cases
def ex4_cases(gen, hidden):
    cases = []
    for i in range(1 if not hidden else 3):
        case = _trajectory_case(gen, hidden, (4, 7), (0.01, 0.08))
        case["lr"] = 0.05 if not hidden else case["lr"]
        case["momentum"] = None if not hidden else [0.5, 0.8, 0.95][i]
        cases.append(case)
    return cases


@ex4.run
def ex4_run(case, MomentumSGD):
    def make(params):
        if case["momentum"] is None:
            return MomentumSGD(params, lr=case["lr"])  # momentum left at its default, 0.9
        return MomentumSGD(params, lr=case["lr"], momentum=case["momentum"])

    return _trajectory(case, make)


def _momentum_rule(lr, mu, ema=False, keep=True, late=False):
    def update(p, g, state, t):
        if not keep:
            state.clear()
        if late:  # the step uses the velocity of the previous call, then updates it
            v = state.setdefault("v", torch.zeros_like(p))
            p.add_(v, alpha=-lr)
            v.mul_(mu).add_(g)
            return
        if ema:
            v = state.setdefault("v", torch.zeros_like(p))
            v.mul_(mu).add_(g, alpha=1 - mu)
        elif "v" not in state:
            state["v"] = g.clone()
        else:
            state["v"].mul_(mu).add_(g)
        p.add_(state["v"], alpha=-lr)

    return update


@ex4.judge
def ex4_judge(v, case, got):
    d = case["w0"].numel() + 1
    data = v.tensor(got, "The table of parameter values after each step", dtype=torch.float32, shape=(case["steps"], d))
    lr, mu = case["lr"], 0.9 if case["momentum"] is None else case["momentum"]
    ref = _trajectory(case, lambda ps: torch.optim.SGD(ps, lr=lr, momentum=mu))
    if not v.matches(data, ref, ATOL, RTOL):
        if v.matches(data, _trajectory(case, lambda ps: _Rule(ps, _momentum_rule(lr, mu, keep=False))), ATOL, RTOL):
            v.fail(
                "optimizer-state-not-kept",
                "Your steps are plain SGD steps: the velocity did not carry over from one step to the next.",
            )
        if v.matches(data, _trajectory(case, lambda ps: _Rule(ps, _momentum_rule(lr, mu, ema=True))), ATOL, RTOL):
            v.fail(
                "momentum-buffer-init",
                "Your velocity is the average v = momentum * v + (1 - momentum) * g "
                "started at zero; PyTorch's is v = g on the first step, then v = momentum * v + g.",
            )
        if v.matches(data, _trajectory(case, lambda ps: _Rule(ps, _momentum_rule(lr, mu, late=True))), ATOL, RTOL):
            v.fail(
                "momentum-stale-velocity",
                "Each step moved the parameters with the velocity of the step "
                "before (the first step did not move them at all), and updated the velocity afterwards.",
            )
    v.close(data, ref, "The table of parameter values after each step", atol=ATOL, rtol=RTOL)


# --- Exercise 5: Adam by hand -----------------------------------------------------------------
# class HandAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8) with step(): matches torch.optim.Adam
# within 1e-6; named: bias correction missing (or t counted from 0), state not kept between steps.

ex5 = Exercise("nb05.ex5", title="Adam by hand", points=3, answers="HandAdam", visible_cases=2)


@ex5.cases
def ex5_cases(gen, hidden):
    cases = []
    for i in range(2 if not hidden else 3):
        case = _trajectory_case(gen, hidden, (4, 7), (0.002, 0.05))
        case["betas"] = None if not hidden else [(0.9, 0.999), (0.8, 0.99), (0.95, 0.9)][i]
        if not hidden and i == 1:  # the defaults' steps are too small to tell a lost state from Adam's
            case["lr"], case["betas"] = 0.05, (0.8, 0.99)
        cases.append(case)
    return cases


@ex5.run
def ex5_run(case, HandAdam):
    def make(params):
        if case["lr"] is None:
            return HandAdam(params)  # the defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8
        return HandAdam(params, lr=case["lr"], betas=case["betas"])

    return _trajectory(case, make)


def _adam_rule(lr, betas, eps, correct_m=True, correct_v=True, keep=True):
    b1, b2 = betas

    def update(p, g, state, t):
        if not keep:
            state.clear()
        state["t"] = state.get("t", 0) + 1
        m = state.setdefault("m", torch.zeros_like(p))
        s = state.setdefault("v", torch.zeros_like(p))
        m.mul_(b1).add_(g, alpha=1 - b1)
        s.mul_(b2).addcmul_(g, g, value=1 - b2)
        m_hat = m / (1 - b1 ** state["t"]) if correct_m else m
        v_hat = s / (1 - b2 ** state["t"]) if correct_v else s
        p.sub_(lr * m_hat / (v_hat.sqrt() + eps))

    return update


@ex5.judge
def ex5_judge(v, case, got):
    d = case["w0"].numel() + 1
    data = v.tensor(got, "The table of parameter values after each step", dtype=torch.float32, shape=(case["steps"], d))
    lr = 1e-3 if case["lr"] is None else case["lr"]
    betas = (0.9, 0.999) if case["betas"] is None else case["betas"]
    ref = _trajectory(case, lambda ps: torch.optim.Adam(ps, lr=lr, betas=betas, eps=1e-8))
    if not torch.isfinite(data).all():
        v.fail(
            "adam-no-bias-correction",
            "Your parameters became nan or inf. Dividing by 1 - beta**t with t = 0 "
            "divides by zero: count t from 1 (increase it before using it).",
        )
    if not v.matches(data, ref, ATOL, RTOL):
        wrong = [
            (
                "adam-no-bias-correction",
                dict(correct_m=False, correct_v=False),
                "Your steps are Adam's without bias correction.",
            ),
            (
                "adam-no-bias-correction",
                dict(correct_m=False),
                "Your steps correct the second moment but not the first (m / (1 - beta1**t)).",
            ),
            (
                "adam-no-bias-correction",
                dict(correct_v=False),
                "Your steps correct the first moment but not the second (v / (1 - beta2**t)).",
            ),
            (
                "optimizer-state-not-kept",
                dict(keep=False),
                "Every step looks like Adam's first step: m, v and the step count t did not carry over.",
            ),
        ]
        for code, options, message in wrong:
            rule = _adam_rule(lr, betas, 1e-8, **options)
            if v.matches(data, _trajectory(case, partial(_Rule, update=rule)), ATOL, RTOL):
                v.fail(code, message)
    v.close(data, ref, "The table of parameter values after each step", atol=ATOL, rtol=RTOL)


# --- Exercise 6: a schedule configured to a given curve, stepped per epoch -------------------
# train_with_schedule(model, batches, optimizer, loss_fn, epochs) makes StepLR(step_size=3,
# gamma=0.5), trains, steps it once per epoch and returns the lr of each epoch; named: the
# scheduler stepped per batch.

STEP_SIZE, GAMMA = 3, 0.5

ex6 = Exercise("nb05.ex6", title="A schedule to a given curve", points=2, answers="train_with_schedule", hidden_cases=2)


@ex6.cases
def ex6_cases(gen, hidden):
    cases = []
    for _ in range(1 if not hidden else 2):
        # never 3 batches: stepped per batch, StepLR(step_size=3) would then look like a per-epoch ExponentialLR
        d, nb, bs = (2, 2, 4) if not hidden else (_randint(gen, 1, 3), [2, 4][_randint(gen, 0, 1)], _randint(gen, 2, 5))
        X, y, w0, b0 = _regression(gen, nb * bs, d)
        cases.append(
            {
                "w0": w0,
                "b0": b0,
                "batches": [(X[i : i + bs], y[i : i + bs]) for i in range(0, nb * bs, bs)],
                "lr": 0.1 if not hidden else round(_uniform(gen, 0.02, 0.2), 4),
                "epochs": 9 if not hidden else _randint(gen, 6, 9),
            }
        )
    return cases


@ex6.run
def ex6_run(case, train_with_schedule):
    model = _linear(case["w0"], case["b0"])
    optimizer = torch.optim.SGD(model.parameters(), lr=case["lr"])
    lrs = train_with_schedule(model, case["batches"], optimizer, nn.MSELoss(), case["epochs"])
    return {"lrs": lrs, "weight": model.weight.detach().clone(), "bias": model.bias.detach().clone()}


def _steplr(opt):
    return torch.optim.lr_scheduler.StepLR(opt, step_size=STEP_SIZE, gamma=GAMMA)


@ex6.judge
def ex6_judge(v, case, got):
    epochs, nb, lr = case["epochs"], len(case["batches"]), case["lr"]
    lrs = v.numbers(
        got["lrs"],
        "The list train_with_schedule(...) returned",
        epochs,
        "learning rates, one per epoch",
        "Use .item() on a one-element tensor; scheduler.get_last_lr() returns a list, take [0].",
    )
    w = v.tensor(got["weight"], "model.weight after training", dtype=torch.float32, shape=tuple(case["w0"].shape))
    b = v.tensor(got["bias"], "model.bias after training", dtype=torch.float32, shape=tuple(case["b0"].shape))
    ref_lrs = torch.tensor([lr * GAMMA ** (e // STEP_SIZE) for e in range(epochs)], dtype=torch.float64)
    if not v.matches(lrs, ref_lrs, 1e-12, 1e-6):
        if v.matches(lrs, torch.tensor([lr * GAMMA ** ((e * nb) // STEP_SIZE) for e in range(epochs)]), 1e-12, 1e-6):
            v.fail(
                "scheduler-per-batch",
                f"Your learning rate drops every {STEP_SIZE} batches, not every "
                f"{STEP_SIZE} epochs: scheduler.step() ran once per batch.",
            )
        if v.matches(lrs, torch.tensor([lr * GAMMA ** ((e + 1) // STEP_SIZE) for e in range(epochs)]), 1e-12, 1e-6):
            v.fail(
                "lr-read-after-step", "Your learning rates are one epoch early: each was read after scheduler.step()."
            )
        steps = lrs[1:] / lrs[:-1]
        if (
            math.isclose(float(lrs[0]), lr, rel_tol=1e-9)
            and bool((steps <= 1 + 1e-9).all())
            and bool((steps < 1).any())
        ):
            v.fail(
                "schedule-shape-wrong",
                "Your learning rate starts at the optimizer's lr and decreases, but not "
                "along the target curve" + ("." if v.hidden else f": {[round(float(x), 6) for x in lrs]}."),
            )
        v.close(
            lrs,
            ref_lrs,
            "The list of learning rates per epoch",
            atol=1e-12,
            rtol=1e-6,
            hint="Read the target curve again: for how many epochs does each value last, and by what factor "
            "does it drop?",
        )
    v.passed("schedule")
    if any("before `optimizer.step()`" in w for w in v.warnings):
        v.fail(
            "scheduler-before-optimizer",
            "PyTorch warned that scheduler.step() ran before optimizer.step(): "
            "the first epoch trained with the schedule's second value.",
        )
    params = torch.cat([w.reshape(-1), b.reshape(-1)])
    _, rw, rb, _ = _loop(case, "zfbs", _steplr)
    ref = torch.cat([rw.reshape(-1), rb.reshape(-1)])
    if not v.matches(params, ref, LOOP_ATOL, LOOP_RTOL):
        _, pw, pb, _ = _loop(case, "zfbs", _steplr, per_batch=True)
        if v.matches(params, torch.cat([pw.reshape(-1), pb.reshape(-1)]), LOOP_ATOL, LOOP_RTOL):
            v.fail("scheduler-per-batch", "Your model was trained with a scheduler stepped once per batch.")
        _, zw, zb, _ = _loop(case, "fbs", _steplr)
        if v.matches(params, torch.cat([zw.reshape(-1), zb.reshape(-1)]), LOOP_ATOL, LOOP_RTOL):
            v.fail("zero-grad-missing", "The parameters are those of a loop without optimizer.zero_grad().")
    v.close(
        params,
        ref,
        "The parameter vector after training",
        atol=LOOP_ATOL,
        rtol=LOOP_RTOL,
        hint="Each batch: zero_grad, forward, loss, backward, step; after all batches of an epoch: scheduler.step().",
    )


# --- Exercise 7: pick a learning rate from a short sweep ---------------------------------------
# lr_sweep(make_model, X, y, lrs, steps) -> (final losses, best lr): a fresh model per lr, plain
# SGD; the best lr has the smallest final loss among runs that did not diverge; named: a
# diverged lr picked, one model shared by all runs, zero_grad missing.

ex7 = Exercise("nb05.ex7", title="Pick a learning rate", points=2, answers="lr_sweep", visible_cases=2, hidden_cases=2)

#: Spaced by factors of 10 up to far too large: 1e5 ends in nan within 10 steps (inf, then
#: inf - inf), 1e2 in inf, 1.0 sits near the threshold. Each exercise sees them twice: in this
#: order, then from the largest down. An answer that does not leave out non-finite runs picks the
#: nan in one of them (np.argmin and torch.argmin return a nan's index; min() keeps a nan that
#: comes first); one model shared by the runs is named on the first order, before its runs all
#: end in nan.
SWEEP_LRS = [0.01, 0.1, 1.0, 1e2, 1e5]


@ex7.cases
def ex7_cases(gen, hidden):
    cases = []
    for i in range(2):
        n, d = (24, 2) if not hidden else (_randint(gen, 12, 32), _randint(gen, 1, 3))
        X, y, w0, b0 = _regression(gen, n, d)
        lrs = list(SWEEP_LRS) if not hidden else [round(x * _uniform(gen, 0.7, 1.3), 4) for x in SWEEP_LRS]
        cases.append(
            {
                "X": X,
                "y": y,
                "w0": w0,
                "b0": b0,
                "lrs": lrs if i == 0 else lrs[::-1],
                "steps": 12 if not hidden else _randint(gen, 10, 14),
            }
        )
    return cases


@ex7.run
def ex7_run(case, lr_sweep):
    finals, best = lr_sweep(lambda: _linear(case["w0"], case["b0"]), case["X"], case["y"], case["lrs"], case["steps"])
    return {"finals": finals, "best": best}


def _sweep(case, shared=False, zero_grad=True):
    """(final losses, first losses) of plain full-batch SGD on the linear model, one run per lr.

    Written with explicit gradients of the mean squared error (no autograd) to stay fast;
    it agrees with an nn.Linear + optim.SGD loop to about 1e-6 relative.
    """
    X, y = case["X"].double(), case["y"].double().reshape(-1, 1)
    n = X.shape[0]
    w, b = case["w0"].double().reshape(-1, 1), case["b0"].double().reshape(1, 1)
    finals, firsts = [], []
    for lr in case["lrs"]:
        if not shared:
            w, b = case["w0"].double().reshape(-1, 1), case["b0"].double().reshape(1, 1)
        gw, gb = torch.zeros_like(w), torch.zeros_like(b)
        loss = float("nan")
        with torch.no_grad():
            for _ in range(case["steps"]):
                r = X @ w + b - y
                loss = float((r**2).mean())
                if _ == 0:
                    firsts.append(loss)
                if zero_grad:
                    gw, gb = torch.zeros_like(w), torch.zeros_like(b)
                gw = gw + 2 / n * X.T @ r
                gb = gb + 2 / n * r.sum().reshape(1, 1)
                w, b = w - lr * gw, b - lr * gb
        finals.append(loss)
    return torch.tensor(finals, dtype=torch.float64), torch.tensor(firsts, dtype=torch.float64)


def _diverged(finals, firsts):
    """A run diverged when its final loss is inf, nan, or above its first loss.

    The exact size of a diverged loss depends on rounding (a run that blows up from a
    rounding-sized start differs between float32 and float64), so it is not compared.
    """
    return ~torch.isfinite(finals) | (finals > firsts)


def _same_finals(v, got, sweep):
    """Same runs diverged, and the others agree to rtol 1e-3."""
    finals, firsts = sweep
    bad_got, bad_ref = _diverged(got, firsts), _diverged(finals, firsts)
    if not torch.equal(bad_got, bad_ref):
        return False
    return v.matches(got[~bad_got], finals[~bad_ref], 1e-5, 1e-3)


@ex7.judge
def ex7_judge(v, case, got):
    lrs = case["lrs"]
    finals = v.numbers(got["finals"], "The final losses lr_sweep(...) returned", len(lrs), "losses, one per lr")
    best = v.number(got["best"], "The best lr lr_sweep(...) returned")
    ref, firsts = sweep = _sweep(case)
    if not _same_finals(v, finals, sweep):
        if _same_finals(v, finals, _sweep(case, shared=True)):
            v.fail("sweep-shared-model", "Each run continued training the model of the run before it.")
        if _same_finals(v, finals, _sweep(case, zero_grad=False)):
            v.fail("zero-grad-missing", "The final losses are those of runs without optimizer.zero_grad().")
        if v.hidden:
            v.fail(
                "wrong-values",
                "The final losses are wrong on inputs you have not seen "
                "(tolerance: rtol=1e-3; a final loss that is inf, nan or above the run's first loss counts as "
                "diverged, whatever its size).",
            )
        v.fail(
            "wrong-values",
            "The final losses differ from plain SGD runs of a fresh model per lr "
            "(tolerance: rtol=1e-3; a final loss that is inf, nan or above the run's first loss counts as "
            "diverged, whatever its size).",
            "For each lr: model = make_model(), a new optim.SGD over it, `steps` full-batch steps; "
            "the final loss is the loss computed in the last step.",
        )
    v.passed("values")
    if not any(math.isclose(best, lr, rel_tol=1e-9) for lr in lrs):
        v.fail("wrong-values", "The best lr you returned is not one of the lrs of the sweep.")
    i = min(range(len(lrs)), key=lambda k: abs(lrs[k] - best))
    bad = _diverged(ref, firsts)
    if bad[i]:
        v.fail(
            "sweep-kept-diverged",
            f"You picked lr={lrs[i]:g}, whose run diverged (its final loss is {finals[i].item():g}).",
        )
    finite = [k for k in range(len(lrs)) if not bad[k]]
    want = min(finite, key=lambda k: ref[k])
    if i != want:
        v.fail("wrong-values", f"lr={lrs[i]:g} does not have the smallest final loss among the runs that converged.")


def target_curve(lr: float = 0.1, epochs: int = 12) -> list[float]:
    """The learning rate per epoch that exercise 6 asks for, starting from ``lr``."""
    return [lr * GAMMA ** (e // STEP_SIZE) for e in range(epochs)]
