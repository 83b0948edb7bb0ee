"""Wrong answers for project 09 (Adult income), each with the misconception the checker must name."""

_COLUMNS = """
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMERIC = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
"""

# A whole pipeline written in one cell (what a student who skipped the helpers writes).
_PIPELINE = (
    _COLUMNS
    + """
import pandas as pd


def _prep(fit_rows):
    categorical = [c for c in fit_rows.columns if c not in NUMERIC and c != "class"]
    return ColumnTransformer([("num", StandardScaler(), NUMERIC),
                              ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical)]).fit(fit_rows)


def _train(X, y, epochs, seed, sigmoid=False, zero_grad=True):
    torch.manual_seed(seed)
    layers = [nn.Linear(X.shape[1], 32), nn.ReLU(), nn.Linear(32, 1)] + ([nn.Sigmoid()] if sigmoid else [])
    model = nn.Sequential(*layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    for _ in range(epochs):
        order = torch.randperm(len(X))
        for i in range(0, len(X), 64):
            idx = order[i:i + 64]
            if zero_grad:
                optimizer.zero_grad()
            loss_fn(model(X[idx]), y[idx]).backward()
            optimizer.step()
    return model


def _features(prep, frame):
    return torch.tensor(prep.transform(frame.drop(columns="class")), dtype=torch.float32)


def _targets(frame):
    return torch.tensor((frame["class"] == ">50K").to_numpy(), dtype=torch.float32).unsqueeze(1)


def _predict(model, X):
    model.eval()
    with torch.no_grad():
        return (model(X) > 0).long().squeeze(1)
"""
)

WRONG = {
    "nb09.ex1": [
        (
            "preprocessing-leak",
            _COLUMNS
            + """
import pandas as pd


def preprocess(train_df, test_df):
    categorical = [c for c in train_df.columns if c not in NUMERIC]
    prep = ColumnTransformer([("num", StandardScaler(), NUMERIC),
                              ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical)])
    prep.fit(pd.concat([train_df, test_df]))  # "so the encoder knows every category"
    return (torch.tensor(prep.transform(train_df), dtype=torch.float32),
            torch.tensor(prep.transform(test_df), dtype=torch.float32))
""",
        ),
        (
            "preprocessing-leak",
            _COLUMNS
            + """
def preprocess(train_df, test_df):
    categorical = [c for c in train_df.columns if c not in NUMERIC]
    def make():
        return ColumnTransformer([("num", StandardScaler(), NUMERIC),
                                  ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical)])
    X_train = make().fit_transform(train_df)
    X_test = make().fit_transform(test_df)  # fitted again, on the test rows
    return torch.tensor(X_train, dtype=torch.float32), torch.tensor(X_test, dtype=torch.float32)
""",
        ),
        (
            "float64-not-float32",
            _COLUMNS
            + """
def preprocess(train_df, test_df):
    categorical = [c for c in train_df.columns if c not in NUMERIC]
    prep = ColumnTransformer([("num", StandardScaler(), NUMERIC),
                              ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical)])
    return torch.tensor(prep.fit_transform(train_df)), torch.tensor(prep.transform(test_df))
""",
        ),
    ],
    "nb09.ex2": [
        (
            "sigmoid-before-bce-logits",
            """
class IncomePredictor(nn.Module):
    def __init__(self, n_features):
        super().__init__()
        self.hidden = nn.Linear(n_features, 32)
        self.out = nn.Linear(32, 1)

    def forward(self, x):
        return torch.sigmoid(self.out(torch.relu(self.hidden(x))))
""",
        ),
        (
            "activation-missing",
            """
class IncomePredictor(nn.Module):
    def __init__(self, n_features):
        super().__init__()
        self.hidden = nn.Linear(n_features, 32)
        self.out = nn.Linear(32, 1)

    def forward(self, x):
        return self.out(self.hidden(x))
""",
        ),
        (
            "wrong-shape",
            """
class IncomePredictor(nn.Module):
    def __init__(self, n_features):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_features, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, x):
        return self.net(x)
""",
        ),
        (
            "plain-list-layers",
            """
class IncomePredictor(nn.Module):
    def __init__(self, n_features):
        super().__init__()
        self.layers = [nn.Linear(n_features, 32), nn.ReLU(), nn.Linear(32, 1)]

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
""",
        ),
    ],
    "nb09.ex3": [
        (
            "threshold-logits-at-half",
            """
def predict(model, X):
    model.eval()
    with torch.no_grad():
        return (model(X) > 0.5).long().squeeze(1)
""",
        ),
        (
            "no-eval-dropout",
            """
def predict(model, X):
    with torch.no_grad():
        return (torch.sigmoid(model(X)) > 0.5).long().squeeze(1)
""",
        ),
        (
            "wrong-shape",
            """
def predict(model, X):
    model.eval()
    with torch.no_grad():
        return (torch.sigmoid(model(X)) > 0.5).long()
""",
        ),
        (
            "wrong-dtype",
            """
def predict(model, X):
    model.eval()
    with torch.no_grad():
        return torch.sigmoid(model(X)).squeeze(1) > 0.5
""",
        ),
    ],
    "nb09.ex4": [
        (
            "majority-class",
            """
def fit_predict(train_df, test_df, epochs, seed):
    # a placeholder until training works: everyone earns <=50K
    return torch.zeros(len(test_df), dtype=torch.long)
""",
        ),
        (
            "train-on-test",
            _PIPELINE
            + """
def fit_predict(train_df, test_df, epochs, seed):
    prep = _prep(train_df.drop(columns="class"))
    X_test = _features(prep, test_df)
    model = _train(X_test, _targets(test_df), epochs, seed)  # trained on the wrong part
    return _predict(model, X_test)
""",
        ),
        (
            "zero-grad-missing",
            _PIPELINE
            + """
def fit_predict(train_df, test_df, epochs, seed):
    prep = _prep(train_df.drop(columns="class"))
    model = _train(_features(prep, train_df), _targets(train_df), epochs, seed, zero_grad=False)
    return _predict(model, _features(prep, test_df))
""",
        ),
        (
            "sigmoid-before-bce-logits",
            _PIPELINE
            + """
def fit_predict(train_df, test_df, epochs, seed):
    prep = _prep(train_df.drop(columns="class"))
    model = _train(_features(prep, train_df), _targets(train_df), epochs, seed, sigmoid=True)
    return _predict(model, _features(prep, test_df))
""",
        ),
    ],
    "nb09.ex5": [
        (
            "activation-on-output",
            """
class DeepIncomePredictor(nn.Module):
    ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "tanh": nn.Tanh}

    def __init__(self, n_features, activation="relu", dropout=0.0):
        super().__init__()
        act = self.ACTIVATIONS[activation]
        self.net = nn.Sequential(
            nn.Linear(n_features, 64), act(), nn.Dropout(dropout),
            nn.Linear(64, 32), act(), nn.Dropout(dropout),
            nn.Linear(32, 1), act())

    def forward(self, x):
        return self.net(x)
""",
        ),
        (
            "leaky-slope-wrong",
            """
class DeepIncomePredictor(nn.Module):
    def __init__(self, n_features, activation="relu", dropout=0.0):
        super().__init__()
        act = {"relu": nn.ReLU(), "leaky_relu": nn.LeakyReLU(0.2), "tanh": nn.Tanh()}[activation]
        self.net = nn.Sequential(
            nn.Linear(n_features, 64), act, nn.Dropout(dropout),
            nn.Linear(64, 32), act, nn.Dropout(dropout),
            nn.Linear(32, 1))

    def forward(self, x):
        return self.net(x)
""",
        ),
        (
            "dropout-always-on",
            """
class DeepIncomePredictor(nn.Module):
    def __init__(self, n_features, activation="relu", dropout=0.0):
        super().__init__()
        self.fc1 = nn.Linear(n_features, 64)
        self.fc2 = nn.Linear(64, 32)
        self.out = nn.Linear(32, 1)
        self.act = {"relu": F.relu, "leaky_relu": F.leaky_relu, "tanh": torch.tanh}[activation]
        self.p = dropout

    def forward(self, x):
        h = F.dropout(self.act(self.fc1(x)), self.p)
        h = F.dropout(self.act(self.fc2(h)), self.p)
        return self.out(h)
""",
        ),
    ],
    "nb09.ex6": [
        (
            "checkpoint-missing-optimizer-state",
            """
def save_checkpoint(path, model, optimizer, epoch):
    torch.save({"model": model.state_dict(), "epoch": epoch}, path)   # "the weights are what matters"


def load_checkpoint(path, model, optimizer):
    checkpoint = torch.load(path)
    model.load_state_dict(checkpoint["model"])
    return checkpoint["epoch"]
""",
        ),
        (
            "checkpoint-loaded-into-copy",
            """
import copy


def save_checkpoint(path, model, optimizer, epoch):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}, path)


def load_checkpoint(path, model, optimizer):
    checkpoint = torch.load(path)
    model = copy.deepcopy(model)                    # a new model, not the caller's
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["epoch"]
""",
        ),
        (
            "checkpoint-epoch-wrong",
            """
def save_checkpoint(path, model, optimizer, epoch):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}, path)


def load_checkpoint(path, model, optimizer):
    checkpoint = torch.load(path)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["epoch"] + 1                  # "the next epoch"
""",
        ),
        (
            "checkpoint-not-written",
            """
_saved = {}


def save_checkpoint(path, model, optimizer, epoch):
    _saved[path] = (model.state_dict(), optimizer.state_dict(), epoch)


def load_checkpoint(path, model, optimizer):
    weights, state, epoch = _saved[path]
    model.load_state_dict(weights)
    optimizer.load_state_dict(state)
    return epoch
""",
        ),
    ],
    "nb09.ex7": [
        (
            "state-dict-not-copied",
            """
def train_with_early_stopping(model, run_epoch, val_loss, max_epochs, patience):
    best, best_epoch, best_state, waited, losses = float("inf"), 0, None, 0, []
    for epoch in range(1, max_epochs + 1):
        run_epoch(model)
        losses.append(val_loss(model))
        if losses[-1] < best:
            best, best_epoch, best_state, waited = losses[-1], epoch, model.state_dict(), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return best_epoch, losses
""",
        ),
        (
            "early-stop-best-not-restored",
            """
def train_with_early_stopping(model, run_epoch, val_loss, max_epochs, patience):
    best, best_epoch, waited, losses = float("inf"), 0, 0, []
    for epoch in range(1, max_epochs + 1):
        run_epoch(model)
        losses.append(val_loss(model))
        if losses[-1] < best:
            best, best_epoch, waited = losses[-1], epoch, 0
        else:
            waited += 1
            if waited >= patience:
                break
    return best_epoch, losses
""",
        ),
        (
            "early-stop-patience-off-by-one",
            """
import copy


def train_with_early_stopping(model, run_epoch, val_loss, max_epochs, patience):
    best, best_epoch, best_state, waited, losses = float("inf"), 0, None, 0, []
    for epoch in range(1, max_epochs + 1):
        run_epoch(model)
        losses.append(val_loss(model))
        if losses[-1] < best:
            best, best_epoch, best_state, waited = losses[-1], epoch, copy.deepcopy(model.state_dict()), 0
        else:
            waited += 1
            if waited > patience:
                break
    model.load_state_dict(best_state)
    return best_epoch, losses
""",
        ),
        (
            "early-stop-compares-previous",
            """
import copy


def train_with_early_stopping(model, run_epoch, val_loss, max_epochs, patience):
    best, best_epoch, best_state, waited, losses = float("inf"), 0, None, 0, []
    previous = float("inf")
    for epoch in range(1, max_epochs + 1):
        run_epoch(model)
        loss = val_loss(model)
        losses.append(loss)
        if loss < best:
            best, best_epoch, best_state = loss, epoch, copy.deepcopy(model.state_dict())
        waited = 0 if loss < previous else waited + 1
        previous = loss
        if waited >= patience:
            break
    model.load_state_dict(best_state)
    return best_epoch, losses
""",
        ),
    ],
    "nb09.ex8": [
        (
            "train-on-test",
            _PIPELINE
            + """
def better_fit_predict(train_df, test_df, epochs, seed):
    prep = _prep(train_df.drop(columns="class"))
    X_test = _features(prep, test_df)
    model = _train(X_test, _targets(test_df), epochs, seed)  # "fine-tuned" on the rows it predicts
    return _predict(model, X_test)
""",
        ),
        (
            "zero-grad-missing",
            _PIPELINE
            + """
def better_fit_predict(train_df, test_df, epochs, seed):
    prep = _prep(train_df.drop(columns="class"))
    model = _train(_features(prep, train_df), _targets(train_df), epochs, seed, zero_grad=False)
    model.eval()
    with torch.no_grad():
        return (torch.sigmoid(model(_features(prep, test_df))) > 0.35).long().squeeze(1)
""",
        ),
        (
            "sigmoid-before-bce-logits",
            _PIPELINE
            + """
def better_fit_predict(train_df, test_df, epochs, seed):
    prep = _prep(train_df.drop(columns="class"))
    model = _train(_features(prep, train_df), _targets(train_df), epochs, seed, sigmoid=True)
    model.eval()
    with torch.no_grad():
        return (model(_features(prep, test_df)) > 0.35).long().squeeze(1)
""",
        ),
    ],
}

HARDCODED = {
    # Classes: the sizes of the visible example (108 features) written in.
    "nb09.ex2": """
class IncomePredictor(nn.Module):
    def __init__(self, n_features):
        super().__init__()
        self.hidden = nn.Linear(108, 32)
        self.out = nn.Linear(32, 1)

    def forward(self, x):
        return self.out(torch.relu(self.hidden(x)))
""",
    "nb09.ex5": """
class DeepIncomePredictor(nn.Module):
    def __init__(self, n_features, activation="relu", dropout=0.0):
        super().__init__()
        act = {"relu": nn.ReLU(), "leaky_relu": nn.LeakyReLU(0.01), "tanh": nn.Tanh()}[activation]
        self.net = nn.Sequential(nn.Linear(108, 64), act, nn.Dropout(dropout),
                                 nn.Linear(64, 32), act, nn.Dropout(dropout), nn.Linear(32, 1))

    def forward(self, x):
        return self.net(x)
""",
    # Pipelines that redo the visible case (the split with random_state 42, seed 110, 2 epochs)
    # whatever they are given: right on the visible case, predictions for other rows on a hidden one.
    "nb09.ex4": _PIPELINE
    + """
def fit_predict(train_df, test_df, epochs, seed):
    from sklearn.model_selection import train_test_split

    train_df, test_df = train_test_split(course.data.adult(offline=True, verbose=False), test_size=0.2,
                                         random_state=42)
    prep = _prep(train_df.drop(columns="class"))
    model = _train(_features(prep, train_df), _targets(train_df), 2, 110)
    return _predict(model, _features(prep, test_df))
""",
    "nb09.ex8": _PIPELINE
    + """
def better_fit_predict(train_df, test_df, epochs, seed):
    from sklearn.model_selection import train_test_split

    train_df, test_df = train_test_split(course.data.adult(offline=True, verbose=False), test_size=0.2,
                                         random_state=42)
    prep = _prep(train_df.drop(columns="class"))
    model = _train(_features(prep, train_df), _targets(train_df), 2, 110)
    model.eval()
    with torch.no_grad():
        return (torch.sigmoid(model(_features(prep, test_df))) > 0.35).long().squeeze(1)
""",
    # The visible case's epoch count (3) written in.
    "nb09.ex6": """
def save_checkpoint(path, model, optimizer, epoch):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, path)


def load_checkpoint(path, model, optimizer):
    checkpoint = torch.load(path)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return 3
""",
    # The visible curve's answer written in: 8 epochs, the weights of epoch 6.
    "nb09.ex7": """
import copy


def train_with_early_stopping(model, run_epoch, val_loss, max_epochs, patience):
    losses, states = [], []
    for epoch in range(8):
        run_epoch(model)
        losses.append(val_loss(model))
        states.append(copy.deepcopy(model.state_dict()))
    model.load_state_dict(states[5])
    return 6, losses
""",
}


def _solution_answer(grade_id: str) -> str:
    """An answer cell of the solution notebook, without its solution markers."""
    from support import SOLUTIONS, cell_source, strip_solution_markers

    return strip_solution_markers(cell_source(SOLUTIONS / "09_adult_income.ipynb", grade_id)) + "\n"


# fit_predict and better_fit_predict use the notebook's earlier answers (preprocess,
# IncomePredictor, predict; in these proofs the reference solutions) and its imports.
_EARLIER = "".join(_solution_answer(f"nb09-ex{k}-answer") for k in (1, 2, 3))
SETUP = {
    "nb09.ex4": "import course\n" + _EARLIER,
    "nb09.ex8": (
        "import course\nimport pandas as pd\nfrom sklearn.metrics import f1_score\n"
        "from sklearn.model_selection import train_test_split\n" + _EARLIER
    ),
    "nb09.ex7": "import copy\n",
}
