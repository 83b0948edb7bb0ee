"""Checkers of notebook 03, modules: nn.Module subclasses, parameters and buffers,
containers, forward hooks, state_dict round trips and moving a model to a device.

Most answers are classes: ``run`` builds a fresh instance for each case, copies the
case's weights into it under ``torch.no_grad()`` (so outputs are comparable without
relying on a seed) and returns plain facts: parameter and buffer names with shapes,
outputs, hook records, devices as strings.
"""

import itertools
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

from course.checking import Exercise
from course.checking.judge import kind_of
from course.checking.values import TensorValue
from course.env import same_device


def _int(gen, lo, hi):
    """A random int in [lo, hi]."""
    return int(torch.randint(lo, hi + 1, (1,), generator=gen))


def _registered(module):
    """(name, shape) of each parameter, in registration order."""
    return tuple((name, tuple(int(n) for n in p.shape)) for name, p in module.named_parameters())


def _load(module, weights):
    """Copy ``weights`` (name -> tensor) into the module's parameters when every name and
    shape is there; True when it did."""
    own = dict(module.named_parameters())
    if not all(n in own and tuple(own[n].shape) == tuple(t.shape) for n, t in weights.items()):
        return False
    with torch.no_grad():
        for n, t in weights.items():
            own[n].copy_(t)
    return True


def _shape_text(shape):
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _check_parameters(v, found, expected, owner, *, empty_code, empty_message, transposed_code):
    """Judge registered parameters: ``found`` from run, ``expected`` name -> shape."""
    if not found:
        v.fail(empty_code, f"{owner} registered no parameters: {empty_message}")
    names = [n for n, _ in found]
    if sorted(names) != sorted(expected):
        wanted = "" if v.hidden else f"; the exercise asks for {', '.join(expected)}"
        v.fail(
            "wrong-values",
            f"{owner} registered the parameters {', '.join(names)}{wanted}.",
            "Name the attributes exactly as the exercise says; named_parameters() shows what is registered.",
        )
    for name, shape in found:
        want = tuple(expected[name])
        if shape != want:
            if len(want) == 2 and shape == want[::-1]:
                v.fail(
                    transposed_code,
                    f"{name} has shape {_shape_text(shape)}: in and out are swapped "
                    "(nn.Linear stores its weight as (out_features, in_features)).",
                )
            where = "" if v.hidden else f", expected {_shape_text(want)}"
            v.fail("shape-mismatch-linear", f"{name} has shape {_shape_text(shape)}{where}.")
    v.passed("parameters")


# -- ex1 ---------------------------------------------------------------------------
# A module written from scratch: registration of two Linear layers and the forward pass.
ex1 = Exercise("nb03.ex1", title="SimpleNetwork from scratch", points=2, answers="SimpleNetwork")


def _ex1_weights(case):
    return {
        "layer1.weight": case["W1"],
        "layer1.bias": case["b1"],
        "layer2.weight": case["W2"],
        "layer2.bias": case["b2"],
    }


@ex1.cases
def ex1_cases(gen, hidden):
    sizes = [(10, 20, 1, 4)] if not hidden else []
    while len(sizes) < 4:
        sizes.append((_int(gen, 2, 12), _int(gen, 3, 16), _int(gen, 1, 4), _int(gen, 2, 8)))
    cases = []
    for n_in, n_hidden, n_out, n in sizes:
        cases.append(
            {
                "n_in": n_in,
                "n_hidden": n_hidden,
                "n_out": n_out,
                "x": torch.randn(n, n_in, generator=gen),
                "W1": torch.randn(n_hidden, n_in, generator=gen) * 0.5,
                "b1": torch.randn(n_hidden, generator=gen) * 0.5,
                "W2": torch.randn(n_out, n_hidden, generator=gen) * 0.5,
                "b2": torch.randn(n_out, generator=gen) * 0.5,
            }
        )
    return cases


@ex1.run
def ex1_run(case, SimpleNetwork):
    model = SimpleNetwork(case["n_in"], case["n_hidden"], case["n_out"])
    found = _registered(model)
    out = model(case["x"]) if _load(model, _ex1_weights(case)) else None
    return {"parameters": found, "out": out}


@ex1.judge
def ex1_judge(v, case, got):
    expected = {n: tuple(t.shape) for n, t in _ex1_weights(case).items()}
    _check_parameters(
        v,
        got["parameters"],
        expected,
        "SimpleNetwork",
        empty_code="plain-list-layers",
        empty_message="layers kept in a plain list (or dict) are invisible to the module.",
        transposed_code="shape-mismatch-linear",
    )
    x = case["x"]
    data = v.tensor(got["out"], "model(x)", dtype=torch.float32, shape=(x.shape[0], case["n_out"]), requires_grad=True)
    hidden = x @ case["W1"].T + case["b1"]
    linear_only = hidden @ case["W2"].T + case["b2"]
    if v.matches(data, linear_only) and not v.matches(data, F.relu(hidden) @ case["W2"].T + case["b2"]):
        v.fail("activation-missing", "model(x) is what the two layers give without the ReLU between them.")
    v.close(data, F.relu(hidden) @ case["W2"].T + case["b2"], "model(x)", atol=1e-5, rtol=1e-4)


# -- ex2 ---------------------------------------------------------------------------
# A Linear layer from nn.Parameter: (out, in) weight, (out,) bias, y = x W^T + b like nn.Linear.
ex2 = Exercise("nb03.ex2", title="Linear from nn.Parameter", points=2, answers="MyLinear")


@ex2.cases
def ex2_cases(gen, hidden):
    sizes = [(3, 2, 4)] if not hidden else []
    while len(sizes) < 4:
        n_in = _int(gen, 2, 9)
        n_out = _int(gen, 1, 8)
        if n_out == n_in:
            n_out += 1
        sizes.append((n_in, n_out, _int(gen, 1, 6)))
    cases = []
    for n_in, n_out, n in sizes:
        bound = 1 / n_in**0.5  # weights drawn like nn.Linear's, from the case generator
        W = (torch.rand(n_out, n_in, generator=gen) * 2 - 1) * bound
        b = (torch.rand(n_out, generator=gen) * 2 - 1) * bound
        cases.append({"n_in": n_in, "n_out": n_out, "x": torch.randn(n, n_in, generator=gen), "W": W, "b": b})
    return cases


@ex2.run
def ex2_run(case, MyLinear):
    layer = MyLinear(case["n_in"], case["n_out"])
    found = _registered(layer)
    initial = {n: p.detach().clone() for n, p in layer.named_parameters()}
    plain = tuple(sorted(n for n, t in vars(layer).items() if isinstance(t, torch.Tensor)))
    out = None
    if _load(layer, {"weight": case["W"], "bias": case["b"]}):
        out = layer(case["x"])
    return {"parameters": found, "initial": initial, "plain": plain, "out": out}


@ex2.judge
def ex2_judge(v, case, got):
    n_in, n_out = case["n_in"], case["n_out"]
    if not got["parameters"] and got["plain"]:
        v.fail(
            "unregistered-tensor",
            f"MyLinear keeps {', '.join(got['plain'])} as plain tensors: it registered no parameters.",
        )
    _check_parameters(
        v,
        got["parameters"],
        {"weight": (n_out, n_in), "bias": (n_out,)},
        "MyLinear",
        empty_code="unregistered-tensor",
        empty_message="assign nn.Parameter objects to self.weight and self.bias.",
        transposed_code="weight-in-out-transposed",
    )
    bound = 1 / n_in**0.5
    for name in ("weight", "bias"):
        init = v.tensor(got["initial"][name], f"the initial {name}", dtype=torch.float32)
        if init.numel() > 1 and init.std() == 0:
            v.fail(
                "linear-init-wrong",
                f"Every entry of the initial {name} is {init.reshape(-1)[0].item():g}: "
                "all units start equal and would stay equal.",
            )
        if init.abs().max() > bound + 1e-6:
            v.fail(
                "linear-init-wrong",
                f"The initial {name} has values outside [-1/sqrt(in_features), "
                "1/sqrt(in_features)], where nn.Linear draws its own.",
            )
    v.passed("initialisation")
    x = case["x"]
    data = v.tensor(got["out"], "layer(x)", dtype=torch.float32, shape=(x.shape[0], n_out), requires_grad=True)
    if v.matches(data, x @ case["W"].T):
        v.fail("wrong-values", "layer(x) equals x @ W.T: the bias is missing.", "Add self.bias after the product.")
    v.close(data, F.linear(x, case["W"], case["b"]), "layer(x)", atol=1e-5, rtol=1e-4)


# -- ex3 ---------------------------------------------------------------------------
# A container: Linear layers of any depth kept in an nn.ModuleList, ReLU between them.
ex3 = Exercise("nb03.ex3", title="An MLP in a ModuleList", points=2, answers="MLP")


def _ex3_weights(case):
    weights = {}
    for i, (W, b) in enumerate(zip(case["Ws"], case["bs"], strict=True)):
        weights[f"layers.{i}.weight"] = W
        weights[f"layers.{i}.bias"] = b
    return weights


@ex3.cases
def ex3_cases(gen, hidden):
    all_sizes = [[4, 8, 8, 2]] if not hidden else []
    while len(all_sizes) < 4:
        depth = _int(gen, 1, 4)
        all_sizes.append([_int(gen, 1, 9) for _ in range(depth + 1)])
    cases = []
    for sizes in all_sizes:
        Ws = [torch.randn(b, a, generator=gen) * 0.6 for a, b in itertools.pairwise(sizes)]
        bs = [torch.randn(b, generator=gen) * 0.3 for b in sizes[1:]]
        cases.append(
            {"sizes": list(sizes), "x": torch.randn(_int(gen, 2, 6), sizes[0], generator=gen), "Ws": Ws, "bs": bs}
        )
    return cases


@ex3.run
def ex3_run(case, MLP):
    model = MLP(list(case["sizes"]))
    found = _registered(model)
    out = model(case["x"]) if _load(model, _ex3_weights(case)) else None
    return {"parameters": found, "out": out}


def _mlp_reference(case, relu_last=False):
    h = case["x"]
    n = len(case["Ws"])
    for i, (W, b) in enumerate(zip(case["Ws"], case["bs"], strict=True)):
        h = h @ W.T + b
        if i < n - 1 or relu_last:
            h = F.relu(h)
    return h


@ex3.judge
def ex3_judge(v, case, got):
    expected = {n: tuple(t.shape) for n, t in _ex3_weights(case).items()}
    _check_parameters(
        v,
        got["parameters"],
        expected,
        "MLP",
        empty_code="plain-list-layers",
        empty_message="a plain Python list hides its layers from the module.",
        transposed_code="shape-mismatch-linear",
    )
    data = v.tensor(
        got["out"], "model(x)", dtype=torch.float32, shape=(case["x"].shape[0], case["sizes"][-1]), requires_grad=True
    )
    right = _mlp_reference(case)
    if v.matches(data, _mlp_reference(case, relu_last=True)) and not v.matches(data, right):
        v.fail(
            "activation-on-output",
            "model(x) has a ReLU after the last layer too.",
            "Apply the ReLU between layers only: the last layer's output stays raw.",
        )
    v.close(data, right, "model(x)", atol=1e-5, rtol=1e-4)


# -- ex4 ---------------------------------------------------------------------------
# Parameter vs buffer: a trainable scale, a running mean kept as a buffer, train/eval behaviour.
ex4 = Exercise("nb03.ex4", title="A running mean as a buffer", points=3, answers="RunningCenter")


@ex4.cases
def ex4_cases(gen, hidden):
    specs = [(3, 0.1, 2)] if not hidden else []
    while len(specs) < 4:
        specs.append((_int(gen, 1, 6), round(0.05 + 0.4 * float(torch.rand(1, generator=gen)), 3), _int(gen, 1, 4)))
    cases = []
    for n, momentum, steps in specs:
        cases.append(
            {
                "n": n,
                "momentum": momentum,
                "scale": 0.5 + torch.rand(n, generator=gen),
                "batches": [torch.randn(_int(gen, 2, 6), n, generator=gen) * 2 + 1 for _ in range(steps)],
                "x_eval": torch.randn(_int(gen, 1, 5), n, generator=gen),
            }
        )
    return cases


@ex4.run
def ex4_run(case, RunningCenter):
    module = RunningCenter(case["n"], momentum=case["momentum"])
    params = tuple(n for n, _ in module.named_parameters())
    buffers = tuple(n for n, _ in module.named_buffers())
    plain = tuple(sorted(n for n, t in vars(module).items() if isinstance(t, torch.Tensor)))
    facts = {"parameters": params, "buffers": buffers, "plain": plain, "state": tuple(module.state_dict().keys())}
    if params != ("scale",) or buffers != ("running_mean",):
        return facts
    with torch.no_grad():
        module.get_parameter("scale").copy_(case["scale"])
    module.train()
    for batch in case["batches"]:
        facts["train_out"] = module(batch)
    facts["mean_after_train"] = module.get_buffer("running_mean").detach().clone()
    module.eval()
    facts["eval_out"] = module(case["x_eval"])
    facts["mean_after_eval"] = module.get_buffer("running_mean").detach().clone()
    return facts


def _running(case, new_weight=None):
    mom = case["momentum"] if new_weight is None else new_weight
    rm = torch.zeros(case["n"])
    for batch in case["batches"]:
        rm = (1 - mom) * rm + mom * batch.mean(0)
    return rm


@ex4.judge
def ex4_judge(v, case, got):
    _ex4_registration(v, got)
    n = case["n"]
    last = case["batches"][-1]
    data = v.tensor(got["train_out"], "module(x) in training mode", dtype=torch.float32, shape=(last.shape[0], n))
    rm = _running(case)
    if v.matches(data, (last - rm) * case["scale"]) and not v.matches(data, (last - last.mean(0)) * case["scale"]):
        v.fail(
            "wrong-values",
            "In training mode the output is centred with the running mean.",
            "In training mode subtract the batch's own mean, x.mean(0); the running mean is for eval mode.",
        )
    v.close(data, (last - last.mean(0)) * case["scale"], "module(x) in training mode", atol=1e-5, rtol=1e-4)
    after = v.tensor(got["mean_after_train"], "running_mean after training steps", dtype=torch.float32, shape=(n,))
    if v.matches(after, torch.zeros(n)):
        v.fail("wrong-values", "running_mean is still zero after training steps: it was never updated.")
    if v.matches(after, _running(case, new_weight=1 - case["momentum"])):
        v.fail(
            "wrong-values",
            "running_mean gives the batch mean the weight 1 - momentum.",
            "running_mean = (1 - momentum) * running_mean + momentum * batch_mean.",
        )
    v.close(after, rm, "running_mean after training steps", atol=1e-5, rtol=1e-4)
    still = v.tensor(got["mean_after_eval"], "running_mean after an eval call", dtype=torch.float32, shape=(n,))
    if not v.matches(still, after, atol=0, rtol=0):
        v.fail("buffer-updated-in-eval", "running_mean changed during an eval-mode call.")
    xe = case["x_eval"]
    out = v.tensor(got["eval_out"], "module(x) in eval mode", dtype=torch.float32, shape=tuple(xe.shape))
    v.close(out, (xe - rm) * case["scale"], "module(x) in eval mode", atol=1e-5, rtol=1e-4)


def _ex4_registration(v, got):
    """One parameter (scale) and one buffer (running_mean), registered as such and saved."""
    params, buffers = got["parameters"], got["buffers"]
    if "running_mean" in params:
        v.fail("buffer-as-parameter", "running_mean is registered as a Parameter: an optimizer would train it.")
    if "scale" in buffers:
        v.fail("parameter-as-buffer", "scale is registered as a buffer: no optimizer would ever change it.")
    for name, kind in (("scale", params), ("running_mean", buffers)):
        if name not in kind:
            if name in got["plain"]:
                v.fail("unregistered-tensor", f"{name} is a plain tensor attribute, so the module does not know it.")
            v.fail(
                "wrong-values",
                f"RunningCenter has no registered {name} (parameters: "
                f"{', '.join(params) or 'none'}; buffers: {', '.join(buffers) or 'none'}).",
            )
    if params != ("scale",) or buffers != ("running_mean",):
        v.fail(
            "wrong-values",
            f"RunningCenter should register exactly one parameter (scale) and one buffer "
            f"(running_mean); it has parameters {params} and buffers {buffers}.",
        )
    if "running_mean" not in got["state"]:
        v.fail(
            "wrong-values",
            "running_mean is not in the state_dict: it was registered with persistent=False.",
            "Use self.register_buffer('running_mean', torch.zeros(n_features)).",
        )
    v.passed("registration")


# -- ex5 ---------------------------------------------------------------------------
# Forward hooks: mean and fraction of zeros of every ReLU's output; hooks removed; model(x) called.
ex5 = Exercise("nb03.ex5", title="Activation statistics with hooks", points=2, answers="relu_stats")


class _Probe(nn.Module):
    """The model the hook exercise inspects: body (Linear/ReLU pairs) and a head."""

    def __init__(self, Ws, bs, W_head, b_head):
        super().__init__()
        layers = OrderedDict()
        for i, W in enumerate(Ws, start=1):
            layers[f"fc{i}"] = nn.Linear(W.shape[1], W.shape[0])
            layers[f"act{i}"] = nn.ReLU()
        self.body = nn.Sequential(layers)
        self.head = nn.Linear(W_head.shape[1], W_head.shape[0])
        with torch.no_grad():
            for i, (W, b) in enumerate(zip(Ws, bs, strict=True), start=1):
                self.body.get_submodule(f"fc{i}").weight.copy_(W)
                self.body.get_submodule(f"fc{i}").bias.copy_(b)
            self.head.weight.copy_(W_head)
            self.head.bias.copy_(b_head)

    def forward(self, x):
        return self.head(self.body(x))


@ex5.cases
def ex5_cases(gen, hidden):
    all_sizes = [[4, 6, 5]] if not hidden else []
    while len(all_sizes) < 4:
        all_sizes.append([_int(gen, 2, 6) for _ in range(_int(gen, 2, 4))])
    cases = []
    for sizes in all_sizes:
        Ws = [torch.randn(b, a, generator=gen) for a, b in itertools.pairwise(sizes)]
        bs = [torch.randn(b, generator=gen) * 0.5 for b in sizes[1:]]
        cases.append(
            {
                "x": torch.randn(_int(gen, 4, 12), sizes[0], generator=gen),
                "Ws": Ws,
                "bs": bs,
                "W_head": torch.randn(1, sizes[-1], generator=gen),
                "b_head": torch.zeros(1),
            }
        )
    return cases


@ex5.run
def ex5_run(case, relu_stats):
    model = _Probe(case["Ws"], case["bs"], case["W_head"], case["b_head"])
    calls = []
    handle = model.register_forward_pre_hook(lambda module, args: calls.append(1))
    stats = relu_stats(model, case["x"])
    handle.remove()
    leftover = sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())
    return {"stats": stats, "calls": len(calls), "leftover": leftover}


@ex5.judge
def ex5_judge(v, case, got):
    stats = got["stats"]
    if not isinstance(stats, dict):
        v.fail("wrong-type", "relu_stats should return a dict {module name: (mean, fraction of zeros)}.")
    v.passed("type")
    expected, pre = {}, {}
    h = case["x"]
    for i, (W, b) in enumerate(zip(case["Ws"], case["bs"], strict=True), start=1):
        z = h @ W.T + b
        h = F.relu(z)
        expected[f"body.act{i}"] = (h.mean(), (h == 0).float().mean())
        pre[f"body.act{i}"] = z.mean()
    if not stats:
        v.fail(
            "wrong-values",
            "relu_stats returned an empty dict: no hook recorded anything.",
            "Register the hooks before calling model(x), and store the statistics inside the hook.",
        )
    if set(stats) != set(expected):
        wanted = "" if v.hidden else f"; expected {', '.join(expected)}"
        v.fail(
            "wrong-values",
            f"relu_stats returned the names {', '.join(sorted(stats))}{wanted}.",
            "Take every nn.ReLU from model.named_modules() and use the name it gives as the key.",
        )
    v.passed("names")
    if got["calls"] == 0:
        v.fail("forward-called-directly", "The model was run with model.forward(x): the model's own hooks did not run.")
    if got["leftover"]:
        v.fail(
            "hook-not-removed",
            f"{got['leftover']} hook(s) are still registered on the model after relu_stats returned.",
        )
    v.passed("hooks")
    for name, (mean, zeros) in expected.items():
        pair = stats[name]
        if type(pair) not in (tuple, list) or len(pair) != 2:
            v.fail("wrong-type", f"stats[{name!r}] should be a pair (mean, fraction of zeros).")
        got_mean = v.number(pair[0], f"the mean of {name}")
        got_zeros = v.number(pair[1], f"the fraction of zeros of {name}")
        if v.matches(torch.tensor(got_mean), pre[name]) and not v.matches(torch.tensor(got_mean), mean):
            v.fail("hook-read-input", f"The mean of {name} is the mean of its input, not of its output.")
        v.close(torch.tensor(got_mean), mean, f"the mean of {name}", atol=1e-5, rtol=1e-4)
        v.close(torch.tensor(got_zeros), zeros, f"the fraction of zeros of {name}", atol=1e-6, rtol=0)


# -- ex6 ---------------------------------------------------------------------------
# state_dict round trip: train with SGD, save the trained state to bytes, load it into a fresh model.
ex6 = Exercise("nb03.ex6", title="A state_dict round trip", points=2, answers=("train_and_save", "restore"))


@ex6.cases
def ex6_cases(gen, hidden):
    specs = [(3, 1, 8, 4, 0.1)] if not hidden else []
    while len(specs) < 4:
        specs.append(
            (
                _int(gen, 1, 5),
                _int(gen, 1, 3),
                _int(gen, 4, 12),
                _int(gen, 2, 6),
                round(0.02 + 0.15 * float(torch.rand(1, generator=gen)), 3),
            )
        )
    cases = []
    for n_in, n_out, n, steps, lr in specs:
        cases.append(
            {
                "n_in": n_in,
                "n_out": n_out,
                "steps": steps,
                "lr": lr,
                "x": torch.randn(n, n_in, generator=gen),
                "y": torch.randn(n, n_out, generator=gen),
                "W0": torch.randn(n_out, n_in, generator=gen) * 0.5,
                "b0": torch.randn(n_out, generator=gen) * 0.5,
                "W_fresh": torch.randn(n_out, n_in, generator=gen),
                "b_fresh": torch.randn(n_out, generator=gen),
            }
        )
    return cases


@ex6.run
def ex6_run(case, train_and_save, restore):
    model = nn.Linear(case["n_in"], case["n_out"])
    fresh = nn.Linear(case["n_in"], case["n_out"])
    with torch.no_grad():
        model.weight.copy_(case["W0"])
        model.bias.copy_(case["b0"])
        fresh.weight.copy_(case["W_fresh"])
        fresh.bias.copy_(case["b_fresh"])
    data = train_and_save(model, case["x"], case["y"], case["steps"], case["lr"])
    trained = {k: t.detach().clone() for k, t in model.state_dict().items()}
    facts = {"data": type(data).__name__, "trained": trained, "restored": None}
    if type(data) is bytes:
        back = restore(data, fresh)
        if isinstance(back, nn.Module):
            facts["restored"] = {k: t.detach().clone() for k, t in back.state_dict().items()}
        else:
            facts["restored"] = back
    return facts


def _sgd(case, accumulate=False):
    W, b = case["W0"].clone(), case["b0"].clone()
    gW_sum, gb_sum = torch.zeros_like(W), torch.zeros_like(b)
    for _ in range(case["steps"]):
        W.requires_grad_(True)
        b.requires_grad_(True)
        loss = F.mse_loss(case["x"] @ W.T + b, case["y"])
        gW, gb = torch.autograd.grad(loss, (W, b))
        if accumulate:
            gW_sum, gb_sum = gW_sum + gW, gb_sum + gb
            gW, gb = gW_sum, gb_sum
        W, b = (W - case["lr"] * gW).detach(), (b - case["lr"] * gb).detach()
    return {"weight": W, "bias": b}


@ex6.judge
def ex6_judge(v, case, got):
    shapes = {"weight": (case["n_out"], case["n_in"]), "bias": (case["n_out"],)}
    ref = _sgd(case)
    _ex6_training(v, case, got["trained"], shapes, ref)
    _ex6_round_trip(v, case, got, shapes, ref)


def _ex6_training(v, case, trained, shapes, ref):
    """The model trained, by plain SGD steps (the gradients cleared at each)."""
    initial = {"weight": case["W0"], "bias": case["b0"]}
    for name, shape in shapes.items():
        t = v.tensor(trained[name], f"model.{name} after train_and_save", dtype=torch.float32, shape=shape)
        if v.matches(t, initial[name], atol=0, rtol=0):
            v.fail("wrong-values", f"model.{name} did not change: train_and_save did not train the model.")
    wrong = _sgd(case, accumulate=True)
    if case["steps"] > 1 and all(v.matches(trained[k].data, wrong[k]) for k in shapes):
        v.fail("zero-grad-missing", "The trained weights are what you get when gradients pile up across steps.")
    for name in shapes:
        v.close(trained[name].data, ref[name], f"model.{name} after train_and_save", atol=1e-5, rtol=1e-4)
    v.passed("training")


def _ex6_round_trip(v, case, got, shapes, ref):
    """Bytes saved after training, loaded into a fresh model by restore."""
    initial = {"weight": case["W0"], "bias": case["b0"]}
    if got["data"] != "bytes":
        v.fail(
            "wrong-type", f"train_and_save should return bytes (buffer.getvalue()), but it returned a {got['data']}."
        )
    restored = got["restored"]
    if not isinstance(restored, dict):
        v.fail("wrong-type", "restore should return the model it loaded the state into.")
    if sorted(restored) != sorted(shapes):
        v.fail(
            "wrong-values",
            f"The restored model has state entries {', '.join(sorted(restored))}; expected weight and bias.",
        )
    for name, shape in shapes.items():
        t = v.tensor(restored[name], f"restored {name}", dtype=torch.float32, shape=shape)
        if v.matches(t, initial[name]) and not v.matches(t, ref[name]):
            v.fail(
                "stale-state-dict",
                "The restored model holds the weights from before training: the state "
                "was saved before the training loop.",
            )
        fresh = case["W_fresh"] if name == "weight" else case["b_fresh"]
        if v.matches(t, fresh):
            v.fail("state-dict-not-loaded", "The restored model still has its own weights: nothing was loaded into it.")
        v.close(t, ref[name], f"restored {name}", atol=1e-5, rtol=1e-4)
    v.passed("round trip")


# -- ex7 ---------------------------------------------------------------------------
# .to(device): every parameter and buffer of the model, and the data, end up on the target device.
ex7 = Exercise("nb03.ex7", title="Model and data on one device", points=1, answers="to_device")


class _Normed(nn.Module):
    """A Linear layer followed by BatchNorm1d: parameters and buffers to move."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.fc = nn.Linear(n_in, n_out)
        self.norm = nn.BatchNorm1d(n_out)

    def forward(self, x):
        return self.norm(self.fc(x))


@ex7.cases
def ex7_cases(gen, hidden):
    specs = [(4, 3, 5)] if not hidden else []
    while len(specs) < 3:
        specs.append((_int(gen, 1, 8), _int(gen, 1, 8), _int(gen, 2, 9)))
    # "meta" is a real second device on every machine: tensors there have shapes but no values.
    return [{"n_in": a, "n_out": b, "x": torch.randn(n, a, generator=gen), "device": "meta"} for a, b, n in specs]


@ex7.run
def ex7_run(case, to_device):
    model = _Normed(case["n_in"], case["n_out"])
    result = to_device(model, case["x"], case["device"])
    if type(result) is not tuple or len(result) != 2:
        return {"result": result}
    moved, x = result
    if not isinstance(moved, nn.Module):
        return {"result": (moved, x)}
    devices = {
        "parameters": tuple(sorted({str(p.device) for p in moved.parameters()})),
        "buffers": tuple(sorted({str(b.device) for b in moved.buffers()})),
    }
    return {"result": "pair", "devices": devices, "x": x}


@ex7.judge
def ex7_judge(v, case, got):
    if got["result"] != "pair":
        v.fail("wrong-type", "to_device should return a pair (model, x), the model being an nn.Module.")
    target = case["device"]
    devices = got["devices"]
    for kind in ("parameters", "buffers"):
        elsewhere = [d for d in devices[kind] if not same_device(d, target)]
        if elsewhere:
            some = "Some of the model's" if len(elsewhere) < len(devices[kind]) else "The model's"
            what = kind if kind == "parameters" else "buffers (BatchNorm's running statistics)"
            v.fail(
                "model-not-on-device",
                f"{some} {what} are still on {', '.join(elsewhere)}, not on {target}.",
                "model.to(device) moves every parameter and buffer of the model and its sub-modules.",
            )
    v.passed("model device")
    x = got["x"]
    if not isinstance(x, TensorValue):
        v.fail("wrong-type", f"The second item should be the tensor x, but it is {kind_of(x)}.")
    if not same_device(x.device, target):
        v.fail(
            "device-mismatch",
            f"x is still on {x.device}: tensor.to(device) returns a new tensor and leaves the original where it was.",
            "Keep the result: x = x.to(device).",
        )
    if x.dtype != torch.float32 or x.shape != tuple(case["x"].shape):
        v.fail("wrong-values", f"x came back as {kind_of(x)}; moving it should keep its shape and dtype.")
    v.passed("data device")
