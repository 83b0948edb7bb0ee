"""Wrong answers for notebook 10, each with the misconception the checker must name.

The first wrong answer of every exercise is the broken script of the notebook itself,
unfixed: the checker must name the mistake the script was built around. The others are
fixes that students try and that do not work (or cure the symptom, not the cause).
"""

# --- the hard-coded copies of answers that train or are classes ----------------------------
# A hard-coded answer ignores what it is given and reproduces the visible case: these train on
# the visible case's data whatever the checker passes in.
_HARD_TRAIN_LINE = """
from course.checks import nb10 as _nb
_case = _nb.ex3.make_cases(False)[0]

def train_line(model, X, y, lr, steps):
    X, y, lr, steps = _case["X"], _case["y"], _case["lr"], _case["steps"]
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        optimizer.zero_grad()
        loss = F.mse_loss(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
"""

# Outputs memorised from a correct model trained on the visible case; only a scale is learned.
_HARD_CLASSIFIER = """
from course.checks import nb10 as _nb
_case = _nb.{ex}.make_cases(False)[0]
torch.manual_seed(_case["seed"])
_ref = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, {outputs}))
_nb.fit(_ref, _case["X"], {target}, {loss})
with torch.no_grad():
    _table = {{len(_case["X"]): _ref(_case["X"]), len(_case["X_new"]): _ref(_case["X_new"])}}


class {name}(nn.Module):
    def __init__(self, *args):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, x):
        return _table.get(len(x), _table[len(_case["X_new"])]) * self.scale
"""

_HARD_SCHEDULED = """
from course.checks import nb10 as _nb
_case = _nb.ex10.make_cases(False)[0]

def train_scheduled(model, batches, epochs, lr):
    batches, epochs, lr = _case["batches"], _case["epochs"], _case["lr"]
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    history = []
    for epoch in range(epochs):
        total = 0.0
        for X, y in batches:
            optimizer.zero_grad()
            loss = F.mse_loss(model(X), y)
            loss.backward()
            optimizer.step()
            total += loss.item()
        scheduler.step()
        history.append(total / len(batches))
    return history
"""

HARDCODED = {
    "nb10.ex3": _HARD_TRAIN_LINE,
    "nb10.ex4": _HARD_CLASSIFIER.format(
        ex="ex4", outputs=1, target='_case["y"].float().unsqueeze(1)', loss="nn.BCEWithLogitsLoss()", name="BinaryNet"
    )
    + """

def predict(model, X):
    with torch.no_grad():
        return (model(X).squeeze(1) > 0).long()
""",
    "nb10.ex5": _HARD_CLASSIFIER.format(
        ex="ex5", outputs=3, target='_case["y"]', loss="nn.CrossEntropyLoss()", name="ClassNet"
    ),
    "nb10.ex10": _HARD_SCHEDULED,
}

# --- the wrong answers -------------------------------------------------------------------------
_TRAIN_LINE = """
def train_line(model, X, y, lr, steps):
    optimizer = torch.optim.SGD(model.parameters(), lr={lr})
{before}    losses = []
    for step in range(steps):
{first}        loss = F.mse_loss(model(X), y)
        loss.backward()
{between}        optimizer.step()
        losses.append(loss.item())
    return losses
"""
_NONE = dict(lr="lr", before="", first="", between="")

_BINARY = """
class BinaryNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1){last})

    def forward(self, x):
        return self.layers(x)


def predict(model, X):
    with torch.no_grad():
        return ({scores}.squeeze(1) > 0.5).long()
"""

_CLASSES = """
class ClassNet(nn.Module):
    def __init__(self, n_classes=3):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, n_classes), {last})

    def forward(self, x):
        return self.layers(x)
"""

_PROBA = """
def class_proba(model, X):
    with torch.no_grad():
        logits = model(X)
{body}"""

_EVALUATE = """
def evaluate(model, X, y):
{before}{context}        logits = model(X)
        loss = F.cross_entropy(logits, y).item()
        accuracy = (logits.argmax(dim=1) == y).float().mean().item()
{after}    return loss, accuracy
"""

_SPLIT = """
def split_and_standardise(X, y, seed):
{leak}    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(X), generator=gen)
    n_test = len(X) // 5
    test_rows, train_rows = perm[:n_test], perm[n_test:]
{stats}    return X_train, y[train_rows], X_test, y[test_rows]
"""

_TRAIN_ON = """
def train_on(make_model, X, y, device, steps, lr):
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
{move}    X, y = X.to(device), y.to(device)
    losses = []
    for step in range(steps):
{inside}        optimizer.zero_grad()
        loss = F.mse_loss(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses
"""

_SCHEDULED = """
def train_scheduled(model, batches, epochs, lr):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    history = []
    for epoch in range(epochs):
{start}        total = 0.0
        for X, y in batches:
            optimizer.zero_grad()
            loss = F.mse_loss(model(X), y)
            loss.backward()
            optimizer.step()
{per_batch}            total += loss.item()
{per_epoch}        history.append(total / len(batches))
    return history
"""
_STEP_BATCH = "            scheduler.step()\n"
_STEP_EPOCH = "        scheduler.step()\n"
_STEP_START = "        scheduler.step()\n"

WRONG = {
    "nb10.ex1": [
        (
            "mean-on-int",
            """
def accuracy(logits, y):
    preds = logits.argmax(dim=1)
    return (preds == y).mean().item()
""",
        ),
        (
            "mean-on-int",
            """
def accuracy(logits, y):
    preds = logits.argmax(dim=1)
    return (preds == y).long().mean().item()
""",
        ),
        (
            "integer-division",
            """
def accuracy(logits, y):
    preds = logits.argmax(dim=1)
    return ((preds == y).sum() // len(y)).item()
""",
        ),
    ],
    "nb10.ex2": [
        (
            "view-non-contiguous",
            """
def to_features(x):
    return x.transpose(1, 2).view(x.shape[0], -1)
""",
        ),
        (
            "flatten-without-transpose",
            """
def to_features(x):
    return x.view(x.shape[0], -1)
""",
        ),
        (
            "flatten-without-transpose",
            """
def to_features(x):
    batch, channels, steps = x.shape
    return x.view(batch, steps, channels).reshape(batch, -1)
""",
        ),
    ],
    "nb10.ex3": [
        ("zero-grad-missing", _TRAIN_LINE.format(**_NONE)),
        # the loss blew up, so the learning rate was lowered: the gradients still pile up
        ("zero-grad-missing", _TRAIN_LINE.format(**{**_NONE, "lr": "lr / 10"})),
        ("zero-grad-missing", _TRAIN_LINE.format(**{**_NONE, "before": "    optimizer.zero_grad()\n"})),
        ("zero-grad-after-backward", _TRAIN_LINE.format(**{**_NONE, "between": "        optimizer.zero_grad()\n"})),
    ],
    "nb10.ex4": [
        ("sigmoid-before-bce-logits", _BINARY.format(last=", nn.Sigmoid()", scores="model(X)")),
        ("threshold-logits-at-half", _BINARY.format(last="", scores="model(X)")),
        ("activation-on-output", _BINARY.format(last=", nn.ReLU()", scores="torch.sigmoid(model(X))")),
        ("sigmoid-before-bce-logits", _BINARY.format(last=", nn.Sigmoid()", scores="torch.sigmoid(model(X))")),
    ],
    "nb10.ex5": [
        ("softmax-before-ce", _CLASSES.format(last="nn.Softmax(dim=1)")),
        ("activation-on-output", _CLASSES.format(last="nn.Sigmoid()")),
        ("activation-on-output", _CLASSES.format(last="nn.ReLU()")),
    ],
    "nb10.ex6": [
        ("softmax-wrong-dim", _PROBA.format(body="    return F.softmax(logits, dim=0)\n")),
        # the rows did not add up to 1, so they were divided by their sums
        (
            "softmax-wrong-dim",
            _PROBA.format(body="    p = F.softmax(logits, dim=0)\n    return p / p.sum(dim=1, keepdim=True)\n"),
        ),
        ("not-probabilities", _PROBA.format(body="    return torch.sigmoid(logits)\n")),
        ("not-probabilities", _PROBA.format(body="    return F.log_softmax(logits, dim=1)\n")),
    ],
    "nb10.ex7": [
        (
            "no-eval-dropout",
            """
def evaluate(model, X, y):
    logits = model(X)
    loss = F.cross_entropy(logits, y).item()
    accuracy = (logits.argmax(dim=1) == y).float().mean().item()
    return loss, accuracy
""",
        ),
        ("no-eval-dropout", _EVALUATE.format(before="", context="    with torch.no_grad():\n", after="")),
        # the numbers changed from call to call, so the seed was fixed
        (
            "no-eval-dropout",
            _EVALUATE.format(before="    torch.manual_seed(0)\n", context="    with torch.no_grad():\n", after=""),
        ),
        (
            "train-mode-not-restored",
            _EVALUATE.format(before="    model.eval()\n", context="    with torch.no_grad():\n", after=""),
        ),
    ],
    "nb10.ex8": [
        (
            "norm-stats-leak",
            _SPLIT.format(
                leak="    X = (X - X.mean(dim=0)) / X.std(dim=0)\n",
                stats="    X_train, X_test = X[train_rows], X[test_rows]\n",
            ),
        ),
        (
            "norm-stats-leak",
            _SPLIT.format(
                leak="",
                stats=(
                    "    X_train = (X[train_rows] - X[train_rows].mean(dim=0)) / X[train_rows].std(dim=0)\n"
                    "    X_test = (X[test_rows] - X[test_rows].mean(dim=0)) / X[test_rows].std(dim=0)\n"
                ),
            ),
        ),
        (
            "normalisation-missing",
            _SPLIT.format(
                leak="",
                stats=(
                    "    X_train = (X[train_rows] - X[train_rows].mean(dim=0)) / X[train_rows].std(dim=0)\n"
                    "    X_test = X[test_rows]\n"
                ),
            ),
        ),
    ],
    "nb10.ex9": [
        ("optimizer-before-to-device", _TRAIN_ON.format(move="    model.to(device)\n", inside="")),
        ("optimizer-before-to-device", _TRAIN_ON.format(move="    model = model.to(device)\n", inside="")),
        # "to be safe", the model is moved again at every step
        ("optimizer-before-to-device", _TRAIN_ON.format(move="", inside="        model.to(device)\n")),
    ],
    "nb10.ex10": [
        ("scheduler-per-batch", _SCHEDULED.format(start="", per_batch=_STEP_BATCH, per_epoch="")),
        ("scheduler-not-stepped", _SCHEDULED.format(start="", per_batch="", per_epoch="")),
        ("scheduler-before-optimizer", _SCHEDULED.format(start=_STEP_START, per_batch="", per_epoch="")),
    ],
}
