"""Checkers of notebook 04, activations and losses: activations and their derivatives by
hand, a weighted MSE, a stable BCE-with-logits, BCE balanced with pos_weight, cross-entropy
by hand, label-smoothed probability targets, and choosing a head and a loss for a task."""

import torch
import torch.nn.functional as F

from course.checking import Exercise
from course.checking.values import TensorValue

SLOPE = 0.01  # the LeakyReLU slope of the course (PyTorch's default)
ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh")


def _inputs(gen, hidden, visible):
    """Activation inputs: the notebook's example, or random shapes with no exact zeros."""
    if not hidden:
        return [torch.tensor(visible)]
    xs = []
    for _ in range(3):
        ndim = int(torch.randint(1, 4, (1,), generator=gen))
        shape = tuple(int(n) for n in torch.randint(2, 6, (ndim,), generator=gen))
        x = 3 * torch.randn(*shape, generator=gen)
        x.view(-1)[0], x.view(-1)[1] = -x.view(-1)[0].abs(), x.view(-1)[1].abs()  # both signs present
        xs.append(torch.where(x.abs() < 1e-3, torch.full_like(x, 0.1), x))
    return xs


def _reference(x):
    """Each activation's value and autograd derivative at x (float64)."""
    out = {}
    fns = {
        "relu": torch.relu,
        "leaky_relu": lambda t: F.leaky_relu(t, SLOPE),
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
    }
    for name, fn in fns.items():
        t = x.detach().double().requires_grad_(True)
        y = fn(t)
        (grad,) = torch.autograd.grad(y.sum(), t)
        out[name] = (y.detach(), grad)
    return out


def _leaky(x, slope):
    return torch.where(x > 0, x, slope * x)


def _shows(v, data, wrong, right):
    """True when the answer equals a known wrong version that differs from the right one here."""
    return v.matches(data, wrong) and not v.matches(right, wrong)


# -- ex1: ReLU, LeakyReLU (0.01), sigmoid and tanh written by hand --------------------
ex1 = Exercise(
    "nb04.ex1", title="Activations by hand", points=2, answers=("my_relu", "my_leaky_relu", "my_sigmoid", "my_tanh")
)


@ex1.cases
def ex1_cases(gen, hidden):
    return [{"x": x} for x in _inputs(gen, hidden, [-3.0, -1.0, -0.2, 0.5, 2.0])]


@ex1.run
def ex1_run(case, my_relu, my_leaky_relu, my_sigmoid, my_tanh):
    x = case["x"]
    return {"relu": my_relu(x), "leaky_relu": my_leaky_relu(x), "sigmoid": my_sigmoid(x), "tanh": my_tanh(x)}


@ex1.judge
def ex1_judge(v, case, got):
    x = case["x"]
    ref = _reference(x)
    for name in ACTIVATIONS:
        label = f"my_{name}(x)"
        data = v.tensor(got[name], label, dtype=torch.float32, shape=tuple(x.shape))
        if name == "leaky_relu":
            if _shows(v, data, _leaky(x, 0.1), ref[name][0]):
                v.fail("leaky-slope-wrong", f"{label} uses the slope 0.1 for negative inputs.")
            if _shows(v, data, torch.relu(x), ref[name][0]):
                v.fail("leaky-slope-wrong", f"{label} gives 0 for negative inputs: that is ReLU (slope 0).")
        if name == "sigmoid" and _shows(v, data, torch.sigmoid(-x), ref[name][0]):
            v.fail("sigmoid-sign-flipped", f"{label} computes 1 / (1 + exp(x)): the sign in the exponent is flipped.")
        v.close(data, ref[name][0], label, atol=1e-5, rtol=1e-5)


# -- ex2: the four derivatives by hand, checked against autograd -----------------------
ex2 = Exercise("nb04.ex2", title="Derivatives by hand", points=2, answers="activation_derivatives")


@ex2.cases
def ex2_cases(gen, hidden):
    return [{"x": x} for x in _inputs(gen, hidden, [-2.0, -0.5, 0.5, 1.0, 3.0])]


@ex2.judge
def ex2_judge(v, case, got):
    x = case["x"]
    if type(got) is not dict or set(got) != set(ACTIVATIONS):
        keys = sorted(got) if type(got) is dict else None
        v.fail(
            "wrong-type",
            "activation_derivatives(x) should return a dict with the keys "
            f"{', '.join(repr(k) for k in ACTIVATIONS)}" + (f"; it has {keys}." if keys is not None else "."),
        )
    v.passed("type")
    ref = _reference(x)
    s, t = torch.sigmoid(x), torch.tanh(x)
    for name in ACTIVATIONS:
        label = f"activation_derivatives(x)[{name!r}]"
        data = v.tensor(got[name], label, dtype=torch.float32, shape=tuple(x.shape))
        if name == "leaky_relu" and _shows(v, data, torch.where(x > 0, 1.0, 0.1), ref[name][1]):
            v.fail("leaky-slope-wrong", f"{label} is 0.1 for negative inputs.")
        if name == "leaky_relu" and _shows(v, data, (x > 0).float(), ref[name][1]):
            v.fail("leaky-slope-wrong", f"{label} is 0 for negative inputs: that is ReLU's derivative.")
        if name == "sigmoid":
            if _shows(v, data, x * (1 - x), ref[name][1]):
                v.fail("activation-derivative-on-input", f"{label} equals x * (1 - x).")
            if _shows(v, data, s, ref[name][1]):
                v.fail("missing-sigmoid-derivative", f"{label} equals sigmoid(x) itself, not its derivative.")
        if name == "tanh" and _shows(v, data, 1 - x**2, ref[name][1]):
            v.fail("activation-derivative-on-input", f"{label} equals 1 - x**2.")
        if name == "tanh" and _shows(v, data, 1 - t, ref[name][1]):
            v.fail("wrong-values", f"{label} equals 1 - tanh(x): the square is missing.")
        v.close(data, ref[name][1], label, atol=1e-5, rtol=1e-4)


# -- ex3: a weighted MSE: (N, 1) predictions, (N,) targets and (N,) weights ---------------
ex3 = Exercise("nb04.ex3", title="A weighted regression loss", points=2, answers="weighted_mse")


@ex3.cases
def ex3_cases(gen, hidden):
    if not hidden:
        return [
            {
                "pred": torch.tensor([[1.0], [2.0], [3.0]], requires_grad=True),
                "y": torch.tensor([1.0, 2.0, 4.0]),
                "w": torch.tensor([1.0, 1.0, 2.0]),
            }
        ]
    sizes = [
        int(torch.randint(2, 5, (1,), generator=gen)),
        int(torch.randint(5, 12, (1,), generator=gen)),
        int(torch.randint(12, 30, (1,), generator=gen)),
    ]
    return [
        {
            "pred": torch.randn(n, 1, generator=gen).requires_grad_(True),
            "y": torch.randn(n, generator=gen),
            "w": 0.1 + 2 * torch.rand(n, generator=gen),
        }
        for n in sizes
    ]


def _warned_about_shape(v):
    return any("Using a target size" in w for w in v.warnings)


@ex3.judge
def ex3_judge(v, case, got):
    pred, y, w = case["pred"].detach().double(), case["y"].double(), case["w"].double()
    n = y.shape[0]
    name = "weighted_mse(pred, y, w)"
    if _warned_about_shape(v):
        v.fail(
            "target-shape-n-vs-n1",
            f"PyTorch warned while your loss ran: the shapes {tuple(pred.shape)} and "
            f"{tuple(y.shape)} were broadcast against each other.",
        )
    if getattr(got, "shape", None) in ((n, 1), (n,), (n, n)) and n > 1:
        v.fail("loss-unreduced", f"{name} has shape {got.shape}: one value per element, not the weighted mean.")
    data = v.tensor(got, name, dtype=torch.float32, shape=(), requires_grad=True)
    errors = (pred.squeeze(1) - y) ** 2
    right = (w * errors).sum() / w.sum()
    grid = (pred - y) ** 2  # (N, N): every prediction against every target
    for wrong in ((grid * w).sum() / w.sum(), (errors.view(-1, 1) * w).sum() / w.sum(), (grid * w).mean()):
        if _shows(v, data, wrong, right):
            v.fail(
                "target-shape-n-vs-n1",
                f"{name} mixes (N, 1) and (N,) tensors: somewhere an (N, N) grid of "
                "every sample against every other was summed.",
            )
    if _shows(v, data, errors.mean(), right):
        v.fail("loss-weights-ignored", f"{name} is the plain mean squared error: the weights make no difference.")
    if _shows(v, data, (w * errors).mean(), right):
        v.fail("weighted-mean-normaliser", f"{name} divides the weighted sum by N, not by the sum of the weights.")
    v.close(data, right, name, atol=1e-5, rtol=1e-5)


# -- ex4: binary cross-entropy on logits, stable for extreme logits ---------------------
ex4 = Exercise("nb04.ex4", title="Stable BCE with logits", points=3, answers="bce_with_logits", visible_cases=2)


def _binary(gen, n, extreme):
    z = 2 * torch.randn(n, generator=gen)
    y = (torch.rand(n, generator=gen) < 0.5).float()
    k = max(2, n // 3)
    sign = torch.where(torch.rand(k, generator=gen) < 0.5, -1.0, 1.0)
    sign[0] = 1.0  # at least one large positive logit with target 0: sigmoid(z) rounds to 1 there
    z[:k] = extreme * sign * (1 + torch.rand(k, generator=gen))
    y[:k] = (z[:k] < 0).float()  # confidently wrong: the naive form overflows here
    return z, y


@ex4.cases
def ex4_cases(gen, hidden):
    if not hidden:
        # the notebook's example, then logits in the hundreds (as the exercise asks): exp(z) of
        # the naive forms overflows float32 beyond 88, sigmoid(z) rounds to 1 beyond 17
        return [
            {"z": torch.tensor([3.0, -1.5, 0.0, 40.0, -40.0]), "y": torch.tensor([1.0, 0.0, 1.0, 0.0, 1.0])},
            {
                "z": torch.tensor([[120.0, -150.0], [95.0, -2.0], [-110.0, 0.5]]),
                "y": torch.tensor([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]]),
            },
        ]
    cases = []
    for i in range(3):
        n = int(torch.randint(4, 12, (1,), generator=gen))
        z, y = _binary(gen, n, extreme=[30.0, 60.0, 200.0][i])
        if i == 1:
            z, y = z.view(-1, 1), y.view(-1, 1)
        cases.append({"z": z, "y": y})
    return cases


def _stable(z, y):
    return z.clamp(min=0) - z * y + torch.log1p(torch.exp(-z.abs()))


@ex4.judge
def ex4_judge(v, case, got):
    z, y = case["z"].double(), case["y"].double()
    if getattr(got, "shape", None) == tuple(z.shape) and z.numel() > 1:
        v.fail(
            "loss-unreduced", f"bce_with_logits(z, y) has shape {tuple(z.shape)}: one loss per element, not their mean."
        )
    data = v.tensor(got, "bce_with_logits(z, y)", dtype=torch.float32, shape=())
    if not torch.isfinite(data).all():
        v.fail(
            "unstable-bce",
            f"bce_with_logits(z, y) is {data.item()} on logits as large as {z.abs().max().item():.0f} in size.",
        )
    right = F.binary_cross_entropy_with_logits(z, y)
    if _shows(v, data, _stable(torch.sigmoid(z), y).mean(), right):
        v.fail("sigmoid-before-bce-logits", "Your loss applies a sigmoid to z before the logits formula.")
    if _shows(v, data, F.binary_cross_entropy(torch.sigmoid(z.float()), y.float()), right):
        v.fail(
            "unstable-bce",
            "Your loss goes through sigmoid(z) and log: for extreme logits it loses "
            "the true value (PyTorch's BCELoss clamps the log at -100).",
        )
    no_abs = (z.clamp(min=0) - z * y + torch.log1p(torch.exp(-z))).mean()
    if _shows(v, data, no_abs, right):
        v.fail(
            "unstable-bce",
            "Your loss has exp(-z) where the stable form has exp(-|z|): for negative z it "
            "adds |z| to the loss, and below z = -88 exp(-z) overflows.",
        )
    if _shows(v, data, _stable(z, y).sum(), right):
        v.fail("wrong-values", "Your loss is the sum over elements; the mean was asked for.")
    v.close(data, right, "bce_with_logits(z, y)", atol=1e-5, rtol=1e-5)


# -- ex5: BCE-with-logits balanced with pos_weight, from (N,) integer labels ---------------
ex5 = Exercise("nb04.ex5", title="Weight the rare class", points=2, answers="balanced_bce")


@ex5.cases
def ex5_cases(gen, hidden):
    if not hidden:
        return [
            {
                "logits": torch.tensor([[2.0], [-1.0], [0.5], [-3.0]], requires_grad=True),
                "labels": torch.tensor([1, 0, 0, 0]),
            }
        ]
    cases = []
    while len(cases) < 3:
        n = int(torch.randint(6, 30, (1,), generator=gen))
        labels = (torch.rand(n, generator=gen) < 0.1 + 0.3 * torch.rand(1, generator=gen)).long()
        positives = int(labels.sum())
        if 0 < positives < n and 2 * positives != n:  # both classes, and unbalanced
            cases.append({"logits": (3 * torch.randn(n, 1, generator=gen)).requires_grad_(True), "labels": labels})
    return cases


@ex5.judge
def ex5_judge(v, case, got):
    z, labels = case["logits"].detach().double(), case["labels"]
    y = labels.double().view(-1, 1)
    n = labels.shape[0]
    name = "balanced_bce(logits, labels)"
    if _warned_about_shape(v):
        v.fail("target-shape-n-vs-n1", "PyTorch warned while your loss ran: logits and labels had different shapes.")
    if getattr(got, "shape", None) in (tuple(z.shape), (n,)):
        v.fail("loss-unreduced", f"{name} has shape {got.shape}: one loss per sample.")
    data = v.tensor(got, name, dtype=torch.float32, shape=(), requires_grad=True)
    positives = float(labels.sum())
    balance = torch.tensor([(n - positives) / positives], dtype=torch.float64)
    right = F.binary_cross_entropy_with_logits(z, y, pos_weight=balance)
    if _shows(v, data, F.binary_cross_entropy_with_logits(z, y, pos_weight=1 / balance), right):
        v.fail(
            "pos-weight-inverted",
            f"{name} weights the positives by n_positive / n_negative, which makes the rare class count even less.",
        )
    if _shows(v, data, F.binary_cross_entropy_with_logits(z, y), right):
        v.fail("loss-weights-ignored", f"{name} is the plain BCE: the rare positives are not weighted up.")
    if _shows(v, data, F.binary_cross_entropy_with_logits(torch.sigmoid(z), y, pos_weight=balance), right):
        v.fail("sigmoid-before-bce-logits", "Your loss applies a sigmoid to the logits before BCEWithLogitsLoss.")
    v.close(data, right, name, atol=1e-5, rtol=1e-5)


# -- ex6: cross-entropy from logits and class indices, matching nn.CrossEntropyLoss -----
ex6 = Exercise("nb04.ex6", title="Cross-entropy by hand", points=3, answers="cross_entropy")


@ex6.cases
def ex6_cases(gen, hidden):
    if not hidden:
        logits = torch.tensor([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3], [0.0, -1.0, 3.0], [90.0, 0.0, -90.0]])
        return [{"logits": logits, "target": torch.tensor([0, 1, 2, 2])}]
    cases = []
    for scale in (60.0, 100.0, 150.0):
        n = int(torch.randint(3, 9, (1,), generator=gen))
        c = int(torch.randint(2, 7, (1,), generator=gen))
        logits = 2 * torch.randn(n, c, generator=gen)
        target = torch.randint(0, c, (n,), generator=gen)
        logits[0] = scale * torch.randn(c, generator=gen)
        target[0] = int(torch.argmin(logits[0]))
        logits[0, target[0]] = logits[0].max() - 2 * scale  # so far below the top that softmax underflows to 0
        cases.append({"logits": logits, "target": target})
    return cases


@ex6.judge
def ex6_judge(v, case, got):
    z, t = case["logits"].double(), case["target"]
    n = z.shape[0]
    if getattr(got, "shape", None) == (n,):
        v.fail(
            "loss-unreduced", f"cross_entropy(logits, target) has shape ({n},): one loss per sample, not their mean."
        )
    data = v.tensor(got, "cross_entropy(logits, target)", dtype=torch.float32, shape=())
    if not torch.isfinite(data).all():
        v.fail(
            "unstable-log-softmax",
            f"cross_entropy(logits, target) is {data.item()} when a logit is as large "
            f"as {z.abs().max().item():.0f} in size.",
        )
    right = F.cross_entropy(z, t)
    if _shows(v, data, F.cross_entropy(torch.softmax(z, dim=1), t), right):
        v.fail("softmax-before-ce", "Your loss equals cross-entropy applied to softmax(logits).")
    if _shows(v, data, -z[torch.arange(n), t].mean(), right):
        v.fail("wrong-values", "Your loss is minus the mean of the target logits: the log-sum-exp part is missing.")
    if _shows(v, data, F.cross_entropy(z, t, reduction="sum"), right):
        v.fail("wrong-values", "Your loss is the sum over samples; nn.CrossEntropyLoss takes the mean.")
    v.close(data, right, "cross_entropy(logits, target)", atol=1e-4, rtol=1e-5)


# -- ex7: label-smoothed probability targets from a float (N, 1) column of class numbers ----
ex7 = Exercise("nb04.ex7", title="Soft targets from a label column", points=2, answers="smooth_targets")


@ex7.cases
def ex7_cases(gen, hidden):
    if not hidden:
        return [{"labels": torch.tensor([[1.0], [2.0], [0.0], [2.0]]), "num_classes": 3, "eps": 0.1}]
    cases = []
    for eps in (0.05, 0.2, 0.3):
        n = int(torch.randint(3, 16, (1,), generator=gen))
        c = int(torch.randint(3, 8, (1,), generator=gen))
        cases.append({"labels": torch.randint(0, c, (n, 1), generator=gen).float(), "num_classes": c, "eps": eps})
    return cases


@ex7.judge
def ex7_judge(v, case, got):
    labels, c, eps = case["labels"].view(-1).long(), case["num_classes"], case["eps"]
    n = labels.shape[0]
    name = "smooth_targets(labels, num_classes, eps)"
    if isinstance(got, TensorValue) and got.shape == (n, 1, c):
        v.fail("ce-target-column", f"{name} has shape {got.shape}: F.one_hot of the (N, 1) column kept its extra axis.")
    if isinstance(got, TensorValue) and got.dtype in (torch.int64, torch.int32):
        v.fail(
            "ce-long-prob-targets",
            f"{name} has dtype {got.dtype}: probabilities must be float (and one-hot rows alone are not smoothed).",
        )
    data = v.tensor(got, name, dtype=torch.float32, shape=(n, c))
    one_hot = F.one_hot(labels, c).double()
    right = (1 - eps) * one_hot + eps / c
    if _shows(v, data, one_hot * (1 - eps) + (1 - one_hot) * eps / (c - 1), right):
        v.fail("smoothing-spread", f"{name} spreads eps over the other C - 1 classes only.")
    if not torch.allclose(data.double().sum(dim=1), torch.ones(n, dtype=torch.float64), atol=1e-4):
        v.fail("soft-targets-not-distribution", f"The rows of {name} do not sum to 1.")
    v.close(data, right, name, atol=1e-5, rtol=1e-5)


# -- ex8: the output layer and the loss that fit a task ----------------------------------
ex8 = Exercise(
    "nb04.ex8", title="Head and loss for a task", points=2, answers="head_and_loss", visible_cases=4, hidden_cases=4
)

TASKS = ("regression", "binary", "multiclass", "multilabel")
EXPECTED_LOSS = {
    "regression": "MSELoss",
    "binary": "BCEWithLogitsLoss",
    "multiclass": "CrossEntropyLoss",
    "multilabel": "BCEWithLogitsLoss",
}
ACTIVATION_NAMES = {"Sigmoid", "Softmax", "LogSoftmax", "Tanh", "ReLU", "LeakyReLU", "Softplus"}


@ex8.cases
def ex8_cases(gen, hidden):
    if not hidden:
        sizes = [("regression", 5, 2), ("binary", 4, 1), ("multiclass", 4, 3), ("multilabel", 6, 4)]
    else:
        order = torch.randperm(4, generator=gen).tolist()
        sizes = [
            (
                TASKS[i],
                int(torch.randint(2, 12, (1,), generator=gen)),
                1 if TASKS[i] == "binary" else int(torch.randint(2, 9, (1,), generator=gen)),
            )
            for i in order
        ]
    cases = []
    for task, d, n in sizes:
        batch = int(torch.randint(3, 7, (1,), generator=gen))
        cases.append({"task": task, "in_features": d, "n": n, "x": torch.randn(batch, d, generator=gen)})
    return cases


@ex8.run
def ex8_run(case, head_and_loss):
    head, loss_fn = head_and_loss(case["task"], case["in_features"], case["n"])
    return {
        "layers": tuple(type(m).__name__ for m in head.modules()),
        "loss": type(loss_fn).__name__,
        "reduction": str(getattr(loss_fn, "reduction", "")),
        "out": head(case["x"]),
    }


@ex8.judge
def ex8_judge(v, case, got):
    task, n, batch = case["task"], case["n"], case["x"].shape[0]
    call = f"head_and_loss({task!r}, {case['in_features']}, {n})"
    layers = got["layers"]
    last = layers[-1] if layers else ""
    v.tensor(got["out"], f"the head's output for {task!r}", dtype=torch.float32, float_ok=True)
    _ex8_loss(v, task, last, got["loss"])
    if got["reduction"] == "none":
        v.fail("loss-unreduced", f"{call} returns a loss with reduction='none'.")
    if got["reduction"] != "mean":
        v.fail("wrong-values", f"{call} returns a loss with reduction={got['reduction']!r}; keep the default 'mean'.")
    want = (batch, 1 if task == "binary" else n)
    if task == "binary" and getattr(got["out"], "shape", None) == (batch, 2):
        v.fail(
            "loss-task-mismatch",
            "For 'binary' your head gives two outputs per sample; BCEWithLogitsLoss wants one logit per sample.",
        )
    v.tensor(got["out"], f"the head's output for {task!r} on a batch of {batch}", shape=want, requires_grad=True)
    if last != "Linear":
        v.fail("wrong-type", f"For {task!r} your head should end in nn.Linear; its last module is {last or 'missing'}.")


def _ex8_loss(v, task, last, loss):
    """The loss fits the task and the head's last module fits the loss (logits in, no
    softmax or sigmoid of its own)."""
    if last in ("Softmax", "LogSoftmax") and loss in ("CrossEntropyLoss", "NLLLoss"):
        v.fail("softmax-before-ce", f"For {task!r} your head ends in {last} before {loss}.")
    if last == "Sigmoid" and loss == "BCEWithLogitsLoss":
        v.fail(
            "sigmoid-before-bce-logits",
            f"For {task!r} your head ends in Sigmoid before BCEWithLogitsLoss.",
            "Delete the final nn.Sigmoid(): the head must output logits; the loss applies the sigmoid.",
        )
    if loss == "BCELoss" and last != "Sigmoid":
        v.fail("bce-on-logits", f"For {task!r} your head outputs raw scores and your loss is BCELoss.")
    if loss == "BCELoss":
        v.fail(
            "unstable-bce",
            f"For {task!r} you use Sigmoid + BCELoss: it works, but it is the unstable form; "
            "end with Linear and use BCEWithLogitsLoss.",
        )
    if loss != EXPECTED_LOSS[task]:
        v.fail("loss-task-mismatch", f"For {task!r} your loss is {loss}.")
    if last in ACTIVATION_NAMES:
        v.fail("activation-on-output", f"For {task!r} your head ends in {last}.")
    v.passed("loss")
