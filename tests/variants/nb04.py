"""Wrong answers for notebook 04, each with the misconception the checker must name."""

_ACT = """
def my_relu(x):
    return torch.where(x > 0, x, torch.zeros_like(x))


def my_leaky_relu(x):
    return torch.where(x > 0, x, {slope} * x)


def my_sigmoid(x):
    return 1 / (1 + torch.exp({sign}x))


def my_tanh(x):
    return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))
"""

_DERIV = """
def activation_derivatives(x):
    s = torch.sigmoid(x)
    t = torch.tanh(x)
    return {{
        "relu": (x > 0).float(),
        "leaky_relu": torch.where(x > 0, torch.ones_like(x), torch.full_like(x, {slope})),
        "sigmoid": {dsig},
        "tanh": {dtanh},
    }}
"""

_STABLE = """
def _stable(z, y):
    return z.clamp(min=0) - z * y + torch.log1p(torch.exp(-z.abs()))
"""

_HEAD = """
def head_and_loss(task, in_features, n):
    if task == "regression":
        return {regression}
    if task == "binary":
        return {binary}
    if task == "multiclass":
        return {multiclass}
    if task == "multilabel":
        return nn.Linear(in_features, n), nn.BCEWithLogitsLoss()
    raise ValueError(task)
"""
_RIGHT_HEAD = dict(
    regression="nn.Linear(in_features, n), nn.MSELoss()",
    binary="nn.Linear(in_features, 1), nn.BCEWithLogitsLoss()",
    multiclass="nn.Linear(in_features, n), nn.CrossEntropyLoss()",
)


def _head(**changes):
    return _HEAD.format(**{**_RIGHT_HEAD, **changes})


WRONG = {
    "nb04.ex1": [
        ("leaky-slope-wrong", _ACT.format(slope="0.1", sign="-")),
        ("sigmoid-sign-flipped", _ACT.format(slope="0.01", sign="")),
        (
            "leaky-slope-wrong",
            _ACT.format(slope="0.01", sign="-").replace("torch.where(x > 0, x, 0.01 * x)", "torch.clamp(x, min=0)"),
        ),
        (
            "mutated-input",
            _ACT.format(slope="0.01", sign="-").replace(
                "return torch.where(x > 0, x, torch.zeros_like(x))", "x[x < 0] = 0\n    return x"
            ),
        ),
    ],
    "nb04.ex2": [
        ("activation-derivative-on-input", _DERIV.format(slope="0.01", dsig="x * (1 - x)", dtanh="1 - t ** 2")),
        ("activation-derivative-on-input", _DERIV.format(slope="0.01", dsig="s * (1 - s)", dtanh="1 - x ** 2")),
        ("missing-sigmoid-derivative", _DERIV.format(slope="0.01", dsig="s", dtanh="1 - t ** 2")),
        ("leaky-slope-wrong", _DERIV.format(slope="0.1", dsig="s * (1 - s)", dtanh="1 - t ** 2")),
    ],
    "nb04.ex4": [
        (
            "unstable-bce",
            "def bce_with_logits(z, y):\n"
            "    p = torch.sigmoid(z)\n"
            "    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()",
        ),
        ("loss-unreduced", _STABLE + "\ndef bce_with_logits(z, y):\n    return _stable(z, y)"),
        (
            "sigmoid-before-bce-logits",
            _STABLE + "\ndef bce_with_logits(z, y):\n    return _stable(torch.sigmoid(z), y).mean()",
        ),
        ("unstable-bce", "def bce_with_logits(z, y):\n    return F.binary_cross_entropy(torch.sigmoid(z), y)"),
        ("unstable-bce", "def bce_with_logits(z, y):\n    return (-z * y + torch.log(1 + torch.exp(z))).mean()"),
        ("unstable-bce", "def bce_with_logits(z, y):\n    return (-z * y + torch.log1p(torch.exp(z))).mean()"),
        (
            "unstable-bce",
            "def bce_with_logits(z, y):\n"  # |z| forgotten: exp(-z) overflows for z < -88
            "    return (z.clamp(min=0) - z * y + torch.log1p(torch.exp(-z))).mean()",
        ),
    ],
    "nb04.ex6": [
        (
            "softmax-before-ce",
            "def cross_entropy(logits, target):\n"
            "    p = torch.softmax(logits, dim=1)\n"
            "    lse = torch.logsumexp(p, dim=1)\n"
            "    return (lse - p[torch.arange(len(target)), target]).mean()",
        ),
        (
            "unstable-log-softmax",
            "def cross_entropy(logits, target):\n"
            "    p = torch.exp(logits) / torch.exp(logits).sum(dim=1, keepdim=True)\n"
            "    return -torch.log(p[torch.arange(len(target)), target]).mean()",
        ),
        (
            "unstable-log-softmax",
            "def cross_entropy(logits, target):\n"
            "    p = torch.softmax(logits, dim=1)\n"
            "    return -torch.log(p[torch.arange(len(target)), target]).mean()",
        ),
        (
            "loss-unreduced",
            "def cross_entropy(logits, target):\n"
            "    lse = torch.logsumexp(logits, dim=1)\n"
            "    return lse - logits[torch.arange(len(target)), target]",
        ),
    ],
    "nb04.ex8": [
        (
            "sigmoid-before-bce-logits",
            _head(binary="nn.Sequential(nn.Linear(in_features, 1), nn.Sigmoid()), nn.BCEWithLogitsLoss()"),
        ),
        (
            "softmax-before-ce",
            _head(multiclass="nn.Sequential(nn.Linear(in_features, n), nn.Softmax(dim=1)), nn.CrossEntropyLoss()"),
        ),
        ("bce-on-logits", _head(binary="nn.Linear(in_features, 1), nn.BCELoss()")),
        ("unstable-bce", _head(binary="nn.Sequential(nn.Linear(in_features, 1), nn.Sigmoid()), nn.BCELoss()")),
        ("loss-task-mismatch", _head(binary="nn.Linear(in_features, 1), nn.MSELoss()")),
        ("loss-task-mismatch", _head(multiclass="nn.Linear(in_features, n), nn.BCEWithLogitsLoss()")),
        ("activation-on-output", _head(regression="nn.Sequential(nn.Linear(in_features, n), nn.ReLU()), nn.MSELoss()")),
        ("loss-unreduced", _head(regression="nn.Linear(in_features, n), nn.MSELoss(reduction='none')")),
    ],
    "nb04.ex3": [
        (
            "target-shape-n-vs-n1",
            "def weighted_mse(pred, y, w):\n    return (w * F.mse_loss(pred, y, reduction='none')).sum() / w.sum()",
        ),
        (
            "target-shape-n-vs-n1",
            "def weighted_mse(pred, y, w):\n"
            "    losses = F.mse_loss(pred, y.view(-1, 1), reduction='none')\n"
            "    return (losses * w).sum() / w.sum()",
        ),
        ("loss-weights-ignored", "def weighted_mse(pred, y, w):\n    return F.mse_loss(pred, y.view(-1, 1))"),
        (
            "weighted-mean-normaliser",
            "def weighted_mse(pred, y, w):\n    return (w * (pred.squeeze(1) - y) ** 2).mean()",
        ),
        ("loss-unreduced", "def weighted_mse(pred, y, w):\n    return w * (pred.squeeze(1) - y) ** 2 / w.sum()"),
        (
            "detached-graph",
            "def weighted_mse(pred, y, w):\n"
            "    errors = (pred.squeeze(1) - y) ** 2\n"
            "    return torch.tensor(((w * errors).sum() / w.sum()).item())",
        ),
    ],
    "nb04.ex5": [
        (
            "pos-weight-inverted",
            "def balanced_bce(logits, labels):\n"
            "    pos_weight = (labels == 1).sum() / (labels == 0).sum()\n"
            "    return F.binary_cross_entropy_with_logits(logits, labels.float().view(-1, 1), "
            "pos_weight=pos_weight)",
        ),
        (
            "loss-weights-ignored",
            "def balanced_bce(logits, labels):\n"
            "    return F.binary_cross_entropy_with_logits(logits, labels.float().view(-1, 1))",
        ),
        (
            "bce-long-targets",
            "def balanced_bce(logits, labels):\n"
            "    pos_weight = (labels == 0).sum() / (labels == 1).sum()\n"
            "    return F.binary_cross_entropy_with_logits(logits, labels.view(-1, 1), "
            "pos_weight=pos_weight)",
        ),
        (
            "target-shape-n-vs-n1",
            "def balanced_bce(logits, labels):\n"
            "    pos_weight = (labels == 0).sum() / (labels == 1).sum()\n"
            "    return F.binary_cross_entropy_with_logits(logits, labels.float(), "
            "pos_weight=pos_weight)",
        ),
        (
            "sigmoid-before-bce-logits",
            "def balanced_bce(logits, labels):\n"
            "    pos_weight = (labels == 0).sum() / (labels == 1).sum()\n"
            "    loss = nn.BCEWithLogitsLoss(pos_weight=pos_weight.float())\n"
            "    return loss(torch.sigmoid(logits), labels.float().view(-1, 1))",
        ),
    ],
    "nb04.ex7": [
        (
            "one-hot-needs-long",
            "def smooth_targets(labels, num_classes, eps):\n"
            "    one_hot = F.one_hot(labels.view(-1), num_classes)\n"
            "    return (1 - eps) * one_hot + eps / num_classes",
        ),
        (
            "ce-target-column",
            "def smooth_targets(labels, num_classes, eps):\n"
            "    one_hot = F.one_hot(labels.long(), num_classes).float()\n"
            "    return (1 - eps) * one_hot + eps / num_classes",
        ),
        (
            "smoothing-spread",
            "def smooth_targets(labels, num_classes, eps):\n"
            "    one_hot = F.one_hot(labels.view(-1).long(), num_classes).float()\n"
            "    return one_hot * (1 - eps) + (1 - one_hot) * eps / (num_classes - 1)",
        ),
        (
            "soft-targets-not-distribution",
            "def smooth_targets(labels, num_classes, eps):\n"
            "    one_hot = F.one_hot(labels.view(-1).long(), num_classes).float()\n"
            "    return one_hot + eps / num_classes",
        ),
        (
            "ce-long-prob-targets",
            "def smooth_targets(labels, num_classes, eps):\n    return F.one_hot(labels.view(-1).long(), num_classes)",
        ),
    ],
}

# A copy of the visible result typed in: the losses stay attached to the graph, so the
# generic recorder (which deep-copies outputs) cannot make these copies itself.
HARDCODED = {
    "nb04.ex3": "def weighted_mse(pred, y, w):\n    return (pred * 0).sum() + 0.5",
    "nb04.ex5": "def balanced_bce(logits, labels):\n    return (logits * 0).sum() + 0.4291775",
}
