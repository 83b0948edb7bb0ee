"""Checkers of notebook 02, autograd: gradients of expressions, accumulation, a manual
update step, a finite-difference checker, and one backpropagation step of the 1-1-1
sigmoid network by hand in NumPy and with PyTorch (references come from autograd)."""

from __future__ import annotations

import torch

from course.checking import Exercise
from course.checking.values import ArrayValue, TensorValue

#: The order of the 1-1-1 network's parameters in every array of this notebook.
KEYS = ("w1", "b1", "w2", "b2")

#: The syllabus example: w1, b1, w2, b2, input, target, learning rate.
REFERENCE_PARAMS = (1.58, -0.14, 2.45, -0.11)
REFERENCE_X, REFERENCE_Y, REFERENCE_LR = 0.8, 1.0, 0.1


def _uniform(gen, lo, hi, shape=()):
    return lo + (hi - lo) * torch.rand(shape, generator=gen, dtype=torch.float64)


def _pick(gen, options):
    return options[int(torch.randint(len(options), (1,), generator=gen))]


# --- nb02.ex1: dL/dx and dL/dy of L = sum(x**2 * y + sin(y)) by autograd ---------------
ex1 = Exercise("nb02.ex1", title="Gradients of an expression", points=2, answers="grads_of_L")


def _grads_of_L(x, y):
    x = x.detach().clone().requires_grad_(True)
    y = y.detach().clone().requires_grad_(True)
    (x**2 * y + torch.sin(y)).sum().backward()
    return x.grad, y.grad


@ex1.cases
def ex1_cases(gen, hidden):
    if not hidden:
        return [{"x": torch.tensor([1.0, 2.0]), "y": torch.tensor([3.0, -1.0])}]
    cases = []
    for shape in [(int(torch.randint(3, 7, (1,), generator=gen)),), (2, 3), (4,)]:
        cases.append({"x": torch.randn(shape, generator=gen) * 2, "y": torch.randn(shape, generator=gen) * 2})
    return cases


@ex1.run
def ex1_run(case, grads_of_L):
    x, y = case["x"], case["y"]
    grads = grads_of_L(x, y)
    # what the caller's tensors look like afterwards: the values are compared by the
    # framework, but requires_grad and .grad are state of the caller's tensor too
    touched = tuple(name for name, t in (("x", x), ("y", y)) if t.requires_grad or t.grad is not None)
    return {"grads": grads, "touched": touched}


def _hand_derived_dy(x, y):
    """dL/dy as hand derivations get it wrong: sin differentiated as sin, or as -cos."""
    return (x**2 + torch.sin(y), x**2 - torch.cos(y), x**2)


@ex1.judge
def ex1_judge(v, case, got):
    touched, got = got["touched"], got["grads"]
    if type(got) not in (tuple, list) or len(got) != 2:
        v.fail("wrong-type", "grads_of_L(x, y) should return a pair (dL/dx, dL/dy).")
    if touched:
        v.fail(
            "mutated-input",
            f"After grads_of_L(x, y) the caller's {' and '.join(touched)} "
            f"{'require' if len(touched) > 1 else 'requires'} grad (or hold a .grad): requires_grad_() "
            "changed the tensors you were given.",
            hint="Make your own leaves from copies and leave the inputs as they came: "
            "x.detach().clone().requires_grad_(True).",
        )
    for value, name, leaf in zip(got, ("dL/dx", "dL/dy"), ("x", "y"), strict=True):
        if value is None:
            v.fail(
                "detached-graph",
                f"{name} is None: backward() filled no gradient for {leaf}.",
                hint=f"Make {leaf} a leaf with requires_grad=True before computing L.",
            )
    gx_ref, gy_ref = _grads_of_L(case["x"], case["y"])
    shape = tuple(case["x"].shape)
    gx = v.tensor(got[0], "dL/dx", dtype=torch.float32, shape=shape, requires_grad=False)
    gy = v.tensor(got[1], "dL/dy", dtype=torch.float32, shape=shape, requires_grad=False)
    if v.matches(gx, gy_ref) and v.matches(gy, gx_ref):
        v.fail("wrong-values", "Your two gradients are swapped.", hint="Return (x.grad, y.grad) in that order.")
    if (
        v.matches(gx, gx_ref)
        and any(v.matches(gy, wrong) for wrong in _hand_derived_dy(case["x"], case["y"]))
        and not v.matches(gy, gy_ref)
    ):
        v.fail(
            "derivative-by-hand",
            "dL/dy is what a derivation by hand gives when the derivative of sin(y) is taken wrongly (it is cos(y)).",
        )
    v.close(gx, gx_ref, "dL/dx", atol=1e-5, rtol=1e-5)
    v.close(gy, gy_ref, "dL/dy", atol=1e-5, rtol=1e-5)


# --- nb02.ex2: x.grad after backward() of x**p for each p, never reset -------------------
ex2 = Exercise("nb02.ex2", title="Count the accumulation", points=1, answers="accumulated_grad")


@ex2.cases
def ex2_cases(gen, hidden):
    if not hidden:
        return [{"x0": 2.0, "powers": (2, 3)}]
    cases = []
    for n in (2, 3, 4):
        powers = tuple(int(p) for p in torch.randint(1, 5, (n,), generator=gen))
        cases.append({"x0": round(float(_uniform(gen, 0.5, 2.0)), 3), "powers": powers})
    return cases


@ex2.run
def ex2_run(case, accumulated_grad):
    return accumulated_grad(case["x0"], list(case["powers"]))


@ex2.judge
def ex2_judge(v, case, got):
    data = v.tensor(got, "accumulated_grad(x0, powers)", dtype=torch.float32, float_ok=True)
    if data.numel() != 1:
        v.fail(
            "wrong-shape",
            f"accumulated_grad should return x.grad of a scalar x, one number; it has {data.numel()} elements.",
        )
    value = data.reshape(())
    x0, powers = case["x0"], case["powers"]
    terms = [p * x0 ** (p - 1) for p in powers]
    if v.matches(value, torch.tensor(terms[-1])) and len(powers) > 1:
        v.fail("grad-not-accumulated", "You returned only the gradient of the last backward() call.")
    v.close(value, torch.tensor(sum(terms)), "accumulated_grad(x0, powers)", atol=1e-5, rtol=1e-5)


# --- nb02.ex3: a manual SGD step in place, then clear the gradients -----------------------
ex3 = Exercise("nb02.ex3", title="A manual SGD step", points=2, answers="sgd_step")


def _line_loss(params, case):
    w, b = params
    return ((case["x"] @ w + b - case["t"]) ** 2).mean()


def _sgd_reference(case, steps=2, sign=-1.0, zero=True):
    w = case["w"].clone().requires_grad_(True)
    b = case["b"].clone().requires_grad_(True)
    for _ in range(steps):
        _line_loss((w, b), case).backward()
        with torch.no_grad():
            for p in (w, b):
                p += sign * case["lr"] * p.grad
                if zero:
                    p.grad = None
    return w.detach(), b.detach()


@ex3.cases
def ex3_cases(gen, hidden):
    if not hidden:
        return [
            {
                "w": torch.tensor([[0.5], [-1.0]]),
                "b": torch.tensor([0.2]),
                "x": torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, -1.0]]),
                "t": torch.tensor([[1.0], [2.0], [3.0], [0.0]]),
                "lr": 0.1,
            }
        ]
    cases = []
    for _ in range(3):
        n_in, n_out, m = (int(k) for k in torch.randint(1, 5, (3,), generator=gen))
        cases.append(
            {
                "w": torch.randn(n_in, n_out, generator=gen),
                "b": torch.randn(n_out, generator=gen),
                "x": torch.randn(m + 1, n_in, generator=gen),
                "t": torch.randn(m + 1, n_out, generator=gen),
                "lr": round(float(_uniform(gen, 0.05, 0.3)), 3),
            }
        )
    return cases


@ex3.run
def ex3_run(case, sgd_step):
    w = case["w"].clone().requires_grad_(True)
    b = case["b"].clone().requires_grad_(True)
    params = [w, b]
    _line_loss(params, case).backward()
    sgd_step(params, case["lr"])
    # sgd_step may have changed the list's length (checked apart): compare what is there
    same = tuple(p is q for p, q in zip(params, (w, b), strict=False)) + (len(params) == 2,)
    leaf = tuple(bool(p.is_leaf) for p in params)
    cleared = None
    if all(same) and all(leaf):  # a second step, from the same leaves
        _line_loss(params, case).backward()
        sgd_step(params, case["lr"])
        cleared = all(p.grad is None or not bool(p.grad.any()) for p in params)
    return {"same": all(same), "leaf": all(leaf), "cleared": cleared, "w": params[0], "b": params[1]}


@ex3.judge
def ex3_judge(v, case, got):
    if not got["leaf"]:
        v.fail("rebinding-leaf", "After sgd_step the list holds tensors that are not leaves any more.")
    if not got["same"]:
        v.fail(
            "rebinding-leaf",
            "sgd_step put new tensors into the list instead of updating the old ones "
            "in place; a model holding the old tensors would never see the update.",
        )
    v.passed("graph")
    w = v.tensor(got["w"], "w after two steps", dtype=torch.float32, shape=tuple(case["w"].shape))
    b = v.tensor(got["b"], "b after two steps", dtype=torch.float32, shape=tuple(case["b"].shape))
    both = torch.cat([w.reshape(-1), b.reshape(-1)])

    def flat(pair):
        return torch.cat([pair[0].reshape(-1), pair[1].reshape(-1)])

    if v.matches(both, torch.cat([case["w"].reshape(-1), case["b"].reshape(-1)]), atol=1e-7, rtol=0):
        v.fail(
            "rebinding-leaf",
            "The tensors in the list did not change. `p = p - lr * p.grad` binds a new "
            "tensor to the name p and leaves the list's tensor as it was.",
        )
    if v.matches(both, flat(_sgd_reference(case, zero=False))):
        v.fail("zero-grad-missing", "The second step used the gradients of both steps added together.")
    if got["cleared"] is False:
        v.fail("zero-grad-missing", "After sgd_step the gradients were still there.")
    if v.matches(both, flat(_sgd_reference(case, sign=1.0))):
        v.fail("update-sign", "The parameters moved up the gradient: the loss grows.")
    ref_w, ref_b = _sgd_reference(case)
    v.close(w, ref_w, "w after two steps", atol=1e-5, rtol=1e-5)
    v.close(b, ref_b, "b after two steps", atol=1e-5, rtol=1e-5)


# --- nb02.ex4: a central finite-difference gradient ---------------------------------------
ex4 = Exercise("nb02.ex4", title="A finite-difference gradient", points=2, answers="numerical_grad")

#: The functions the checker differentiates (by name, so that cases stay plain data).
FUNCTIONS = {
    "sin_x2": lambda x: (torch.sin(x) * x**2).sum(),
    "exp_cube": lambda x: (torch.exp(0.5 * x) + x**3 / 3).sum(),
    "logsumexp_sq": lambda x: torch.logsumexp(x.reshape(-1), 0) + (x.reshape(-1)[0] * x.reshape(-1)[-1]) ** 2,
}


def _one_sided(f, x, eps):
    fx = float(f(x))
    flat = x.reshape(-1)
    out = torch.zeros_like(flat)
    for i in range(flat.numel()):
        xp = flat.clone()
        xp[i] += eps
        out[i] = (float(f(xp.reshape(x.shape))) - fx) / eps
    return out.reshape(x.shape)


@ex4.cases
def ex4_cases(gen, hidden):
    if not hidden:
        return [{"f": "sin_x2", "x": torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64), "eps": 1e-4}]
    cases = []
    for name, shape in zip(("exp_cube", "logsumexp_sq", "sin_x2"), ((5,), (2, 3), (3, 2)), strict=True):
        cases.append({"f": name, "x": _uniform(gen, -2.0, 2.0, shape), "eps": 1e-4})
    return cases


@ex4.run
def ex4_run(case, numerical_grad):
    return numerical_grad(FUNCTIONS[case["f"]], case["x"], case["eps"])


@ex4.judge
def ex4_judge(v, case, got):
    x, eps, f = case["x"], case["eps"], FUNCTIONS[case["f"]]
    xg = x.clone().requires_grad_(True)
    f(xg).backward()
    ref = xg.grad
    if isinstance(got, TensorValue) and got.data is not None and got.data.numel() == 1 and x.numel() > 1:
        v.fail("fd-perturb-all", "numerical_grad returned one number: all entries of x were nudged together.")
    data = v.tensor(got, "numerical_grad(f, x, eps)", dtype=x.dtype, shape=tuple(x.shape))
    if v.matches(data, (float(f(x + eps)) - float(f(x - eps))) / (2 * eps) * torch.ones_like(x)):
        v.fail("fd-perturb-all", "Every entry got the same value: all entries of x were nudged together.")
    forward, backward = _one_sided(f, x, eps), -_one_sided(f, x, -eps)
    if v.matches(data, forward, atol=1e-8, rtol=1e-7) or v.matches(data, backward, atol=1e-8, rtol=1e-7):
        v.fail("fd-one-sided", "These are one-sided differences (f(x+eps) - f(x)) / eps.")
    if v.matches(data, 2 * ref, atol=1e-5, rtol=1e-4):
        v.fail("fd-step-width", "Your values are twice the gradient.")
    v.close(data, ref, "numerical_grad(f, x, eps)", atol=1e-6, rtol=1e-6)


# --- the 1-1-1 network: references by autograd in float64 --------------------------------


def _network(p, x, y, half=False, sigmoid_derivs=(True, True)):
    """(a1, a2, grads, loss) of the 1-1-1 sigmoid network, by autograd, float64.

    ``half`` uses the textbook loss (a2 - y)^2 / 2; ``sigmoid_derivs`` False for a layer
    replays a hand derivation that left that layer's sigmoid derivative out.
    """
    t = torch.as_tensor(p, dtype=torch.float64).detach().clone().requires_grad_(True)
    w1, b1, w2, b2 = t
    z1 = w1 * x + b1
    a1 = torch.sigmoid(z1)
    if not sigmoid_derivs[0]:  # the value of sigmoid(z1), with the derivative of z1
        a1 = z1 + (a1 - z1).detach()
    z2 = w2 * a1 + b2
    a2 = torch.sigmoid(z2)
    if not sigmoid_derivs[1]:
        a2 = z2 + (a2 - z2).detach()
    loss = (a2 - y) ** 2 * (0.5 if half else 1.0)
    loss.backward()
    return float(a1.detach()), float(a2.detach()), t.grad.detach(), float(loss.detach())


def _network_cases(gen, hidden, n=3):
    if not hidden:
        return [
            {
                "p": torch.tensor(REFERENCE_PARAMS, dtype=torch.float64),
                "x": REFERENCE_X,
                "y": REFERENCE_Y,
                "lr": REFERENCE_LR,
            }
        ]
    cases = []
    while len(cases) < n:
        p = torch.randn(4, generator=gen, dtype=torch.float64) * 1.5
        x = float(_pick(gen, (-1.0, 1.0)) * _uniform(gen, 0.3, 1.5))
        y = float(_uniform(gen, 0.0, 1.0))
        _, a2, grads, _ = _network(p, x, y)
        if abs(a2 - y) < 0.2 or float(grads.abs().min()) < 5e-3:
            continue  # a case where the named mistakes would be too close to tell apart
        cases.append(
            {
                "p": torch.round(p, decimals=3),
                "x": round(x, 3),
                "y": round(y, 3),
                "lr": round(float(_uniform(gen, 0.1, 0.8)), 2),
            }
        )
    return cases


def _array4(v, got, name):
    """A NumPy array of four floats (w1, b1, w2, b2); returns it as a float64 tensor."""
    if isinstance(got, TensorValue):
        v.fail(
            "wrong-type",
            f"{name} is a torch tensor; return a NumPy array.",
            hint="Convert at the end: t.detach().cpu().numpy().",
        )
    if not isinstance(got, ArrayValue):
        v.fail(
            "wrong-type",
            f"{name} should be a NumPy array of 4 numbers (w1, b1, w2, b2), but it is a {type(got).__name__}.",
            hint="Build it with np.array([...]).",
        )
    v.passed("type")
    if got.dtype not in ("float64", "float32"):
        v.fail("wrong-dtype", f"{name} has dtype {got.dtype}, expected float64 (or float32).")
    v.passed("dtype")
    if got.shape != (4,):
        v.fail("wrong-shape", f"{name} has shape {got.shape}, expected (4,): w1, b1, w2, b2.")
    v.passed("shape")
    return torch.from_numpy(got.data).to(torch.float64)


# --- nb02.ex5: the forward pass in NumPy --------------------------------------------------
ex5 = Exercise("nb02.ex5", title="Forward pass by hand", points=1, answers="forward")


@ex5.cases
def ex5_cases(gen, hidden):
    return _network_cases(gen, hidden)


@ex5.run
def ex5_run(case, forward):
    return forward(case["p"].numpy(), case["x"])


@ex5.judge
def ex5_judge(v, case, got):
    if type(got) not in (tuple, list) or len(got) != 2:
        v.fail("wrong-type", "forward(p, x) should return a pair (a1, a2).")
    a1 = v.number(got[0], "a1")
    a2 = v.number(got[1], "a2")
    p, x = case["p"], case["x"]
    ref_a1, ref_a2, _, _ = _network(p, x, case["y"])
    z2 = float(p[2]) * ref_a1 + float(p[3])
    if abs(a1 - ref_a1) < 1e-6 and abs(a2 - z2) < 1e-6:
        v.fail("activation-missing", "a2 is w2 * a1 + b2: the sigmoid of the output layer is missing.")
    if abs(a1 - (float(p[0]) * x + float(p[1]))) < 1e-6:
        v.fail("activation-missing", "a1 is w1 * x + b1: the sigmoid of the hidden layer is missing.")
    if abs(a2 - float(torch.sigmoid(p[2] * x + p[3]))) < 1e-6:
        v.fail("layer-input-skipped", "a2 was computed from x, not from a1.")
    v.close(torch.tensor([a1, a2]), torch.tensor([ref_a1, ref_a2]), "(a1, a2)", atol=1e-6, rtol=1e-6)


# --- nb02.ex6: the four gradients of one sample, by hand -----------------------------------
ex6 = Exercise("nb02.ex6", title="Gradients by hand", points=3, answers="gradients")


@ex6.cases
def ex6_cases(gen, hidden):
    return _network_cases(gen, hidden)


@ex6.run
def ex6_run(case, gradients):
    return gradients(case["p"].numpy(), case["x"], case["y"])


def _recognise_gradient_mistakes(v, data, case, scale=None, atol=1e-5):
    """Name the hand-derivation mistakes; ``scale`` maps gradients to what was returned."""
    what = "Your gradients are" if scale is None else "Your step used gradients"
    scale = scale or (lambda g: g)
    p, x, y = case["p"], case["x"], case["y"]
    rtol = 1e-4 if atol >= 1e-5 else 1e-6
    if v.matches(data, scale(_network(p, x, y, half=True)[2]), atol=atol, rtol=rtol):
        v.fail("mse-half-factor", f"{what} half of PyTorch's: they belong to the loss (a2 - y)^2 / 2.")
    for derivs, missing in (
        ((True, False), "The sigmoid derivative of the output layer is"),
        ((False, True), "The sigmoid derivative of the hidden layer is"),
        ((False, False), "The sigmoid derivatives of both layers are"),
    ):
        for half in (False, True):
            if v.matches(data, scale(_network(p, x, y, half=half, sigmoid_derivs=derivs)[2]), atol=atol, rtol=rtol):
                v.fail("missing-sigmoid-derivative", f"{missing} missing from the chain rule.")


@ex6.judge
def ex6_judge(v, case, got):
    data = _array4(v, got, "gradients(p, x, y)")
    ref = _network(case["p"], case["x"], case["y"])[2]
    _recognise_gradient_mistakes(v, data, case)
    if v.matches(data, -ref):
        v.fail("loss-derivative-sign", "Every gradient has the wrong sign.")
    if v.matches(data, ref[[2, 3, 0, 1]]):
        v.fail("wrong-values", "The layers are in the wrong order.", hint="Return [dL/dw1, dL/db1, dL/dw2, dL/db2].")
    if v.matches(data[2:], ref[2:]) and not v.matches(data[:2], ref[:2]):
        v.fail(
            "wrong-values",
            "dL/dw2 and dL/db2 are right; the hidden layer's gradients are not.",
            hint="Carry delta2 back through w2 and the hidden sigmoid: delta1 = delta2 * w2 * a1 * (1 - a1).",
        )
    v.close(data, ref, "gradients(p, x, y)", atol=1e-6, rtol=1e-5)


# --- nb02.ex7: one SGD step by hand ---------------------------------------------------------
ex7 = Exercise("nb02.ex7", title="One step by hand", points=1, answers="hand_step")


@ex7.cases
def ex7_cases(gen, hidden):
    return _network_cases(gen, hidden)


@ex7.run
def ex7_run(case, hand_step):
    return hand_step(case["p"].numpy(), case["x"], case["y"], case["lr"])


def _judge_step(v, case, data, name, atol):
    """A step's result: the named mistakes (within a tolerance far below the gaps between
    them, which the cases keep above 2e-4), then the reference with ``atol``."""
    p, lr = case["p"], case["lr"]
    grads = _network(p, case["x"], case["y"])[2]
    ref = p - lr * grads
    tight = dict(atol=atol / 2, rtol=1e-6)
    if v.matches(data, p + lr * grads, **tight):
        v.fail("update-sign", "The parameters moved along the gradient: the loss goes up.")
    _recognise_gradient_mistakes(v, data, case, scale=lambda g: p - lr * g, atol=atol / 2)
    if v.matches(data, p, **tight):
        v.fail("wrong-values", "The parameters did not change.", hint="Return p - lr * gradients.")
    if v.matches(data, grads):
        v.fail("step-returned-gradients", "You returned the gradients, not the new parameters.")
    v.close(data, ref, name, atol=atol, rtol=1e-5)


@ex7.judge
def ex7_judge(v, case, got):
    data = _array4(v, got, "hand_step(p, x, y, lr)")
    _judge_step(v, case, data, "hand_step(p, x, y, lr)", atol=1e-6)


# --- nb02.ex8: the same step with autograd -----------------------------------------------
ex8 = Exercise("nb02.ex8", title="The same step with autograd", points=2, answers="torch_step")


@ex8.cases
def ex8_cases(gen, hidden):
    return _network_cases(gen, hidden)


@ex8.run
def ex8_run(case, torch_step):
    return torch_step(case["p"].numpy(), case["x"], case["y"], case["lr"])


@ex8.judge
def ex8_judge(v, case, got):
    data = _array4(v, got, "torch_step(p, x, y, lr)")
    _judge_step(v, case, data, "torch_step(p, x, y, lr)", atol=1e-5)
