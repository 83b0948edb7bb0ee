"""Checkers of project 09, Adult income: preprocessing, the model, predictions, training.

Cases are plain numbers (a split seed, a training seed, a number of epochs) and small
tensors. ``run`` loads the shipped copy of the data itself, makes the split from the
case's seed and calls the student's functions; the judge recomputes the split and the
labels from the same seed and never sees a student's object, only the predictions,
tensors and counts that ``run`` returned. The training exercise is graded by behaviour:
the predictions on a held-out part chosen by the (secret) seed are scored against
thresholds, with partial credit below them.
"""

from __future__ import annotations

import contextlib

# The grading engine forks its sandboxes from a zygote that has imported every checker
# module. A sandbox that runs as another user may be unable to read the Python
# installation (for example under a 0700 /root), and then any module first imported
# inside it is missing. So import here what these checks need later: the first
# optimizer.step() of a process imports torch._dynamo (cProfile and ~800 modules), and
# course.data.adult reads the checksum of its shipped copy as ASCII.
import encodings.ascii  # noqa: F401

import torch
import torch._dynamo  # noqa: F401  (see above)
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.optimizer import register_optimizer_step_post_hook

from course.checking import Exercise
from course.env import one_thread

#: Full marks from these held-out scores (project 09, "Grading by behaviour").
ACCURACY_FOR_FULL = 0.84
RECALL_FOR_FULL = 0.55
#: Predictions that agree this much with the scrambled test labels were trained on them.
PROBE_AGREEMENT = 0.7

_CACHE: dict = {}


# --- data, shared by run and judge --------------------------------------------------
def _frame():
    """The Adult frame from the shipped copy (no network), read once per process."""
    if "frame" not in _CACHE:
        from course.data.adult import adult

        _CACHE["frame"] = adult(offline=True, verbose=False)
    return _CACHE["frame"]


def warm_up() -> None:
    """Called once by the grading engine's zygote before it forks: every sandbox starts
    with the frame read (half a second less per submission)."""
    _frame()


def _split(seed: int):
    """(train, test) frames with the 'class' column, as train_test_split(0.2, seed) makes them."""
    key = ("split", seed)
    if key not in _CACHE:
        from sklearn.model_selection import train_test_split

        _CACHE[key] = train_test_split(_frame(), test_size=0.2, random_state=seed)
    train, test = _CACHE[key]
    return train.copy(), test.copy()


def _labels(frame) -> torch.Tensor:
    return torch.tensor((frame["class"] == ">50K").to_numpy(), dtype=torch.long)


def _transformer():
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from course.data.adult import COLUMNS, NUMERIC

    categorical = [c for c in COLUMNS if c not in NUMERIC and c != "class"]
    return ColumnTransformer([
        ("num", StandardScaler(), list(NUMERIC)),
        ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
    ])  # fmt: skip


def _features(fit_rows, *frames) -> list[torch.Tensor]:
    prep = _transformer().fit(fit_rows)
    return [torch.tensor(prep.transform(f), dtype=torch.float32) for f in frames]


def _copy_into(module: nn.Module, weights: list[torch.Tensor]) -> None:
    with torch.no_grad():
        for p, w in zip(module.parameters(), weights):
            p.copy_(w)


def _shapes(module: nn.Module) -> tuple:
    return tuple(tuple(int(n) for n in p.shape) for p in module.parameters())


def _uniform(gen, bound, *shape):
    return (torch.rand(shape, generator=gen) * 2 - 1) * bound


def _weights(gen, sizes: list[int], scale: float = 1.0) -> list[torch.Tensor]:
    """Weights and biases of a chain of Linear layers of the given sizes, in parameter order."""
    out = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        bound = scale / n_in ** 0.5
        out += [_uniform(gen, bound, n_out, n_in), _uniform(gen, bound, n_out)]
    return out


# --- ex1: preprocessing fitted on the training part only ---------------------------
# Checks the features of train and test against a ColumnTransformer fitted on the training
# rows; calls preprocess twice with one training part and two test parts, so a fit that
# saw test rows shows up as a changed X_train.
ex1 = Exercise("nb09.ex1", title="Preprocessing without leaks", points=2, answers="preprocess",
               hidden_cases=2)

_EX1_SIZES = (1200, 300)


@ex1.cases
def ex1_cases(gen, hidden):
    seeds = [42] if not hidden else []
    while len(seeds) < 3:
        seeds.append(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
    return [{"seed": s} for s in seeds]


def _ex1_frames(seed: int):
    """A small training part and two test parts of different make-up (the second one older)."""
    train, test = _split(seed)
    n_train, n_test = _EX1_SIZES
    train = train.iloc[:n_train].drop(columns="class")
    test = test.drop(columns="class")
    test_a = test.iloc[:n_test]
    older = test.iloc[n_test:]
    test_b = older[older["age"] >= 45].iloc[:n_test]
    return train, test_a, test_b


@ex1.run
def ex1_run(case, preprocess):
    train, test_a, test_b = _ex1_frames(case["seed"])
    first = preprocess(train.copy(), test_a.copy())
    second = preprocess(train.copy(), test_b.copy())
    return first, second


def _pair(v, value, name):
    if type(value) not in (tuple, list) or len(value) != 2:
        v.fail("wrong-type", f"{name} should return a pair (X_train, X_test).")
    return value


@ex1.judge
def ex1_judge(v, case, got):
    import pandas as pd

    a_train, a_test = _pair(v, got[0], "preprocess(train_df, test_df)")
    b_train, b_test = _pair(v, got[1], "preprocess(train_df, test_df)")
    xa_train = v.tensor(a_train, "X_train", dtype=torch.float32)
    xa_test = v.tensor(a_test, "X_test", dtype=torch.float32)
    xb_train = v.tensor(b_train, "X_train", dtype=torch.float32)
    v.tensor(b_test, "X_test", dtype=torch.float32)

    train, test_a, test_b = _ex1_frames(case["seed"])
    if xa_train.shape != xb_train.shape or not torch.equal(xa_train, xb_train):
        v.fail("preprocessing-leak",
               "X_train changed when only the test part changed (same training rows, another test "
               "part): the scaler or encoder was fitted on rows that include the test part.")
    ref_train, ref_test = _features(train, train, test_a)
    right = (xa_train.shape == ref_train.shape and xa_test.shape == ref_test.shape
             and v.matches(xa_train, ref_train) and v.matches(xa_test, ref_test))
    if not right:  # name the leaks (two more fits, only when something is wrong)
        refit_test, = _features(test_a, test_a)
        if xa_test.shape == refit_test.shape and v.matches(xa_test, refit_test):
            v.fail("preprocessing-leak",
                   "X_test was scaled and encoded by a transformer fitted on the test rows themselves; "
                   "fit on the training part once, then only transform the test part.")
        leak_train, = _features(pd.concat([train, test_a]), train)
        if xa_train.shape == leak_train.shape and v.matches(xa_train, leak_train):
            v.fail("preprocessing-leak",
                   "X_train matches a transformer fitted on training and test rows together.")
    width = ref_train.shape[1]
    if xa_train.shape != ref_train.shape:
        v.fail("wrong-shape", f"X_train has shape {tuple(xa_train.shape)}, expected {tuple(ref_train.shape)} "
               f"(6 scaled numeric columns, then one column per category of the training part).")
    if xa_test.shape != (len(test_a), width):
        v.fail("wrong-shape", f"X_test has shape {tuple(xa_test.shape)}, expected {(len(test_a), width)}.")
    v.passed("shape")
    v.close(xa_train, ref_train, "X_train", atol=1e-4, rtol=1e-4)
    v.close(xa_test, ref_test, "X_test", atol=1e-4, rtol=1e-4)


# --- ex2: the model -------------------------------------------------------------------
# Checks the parameter shapes in order, then the output of the student's model against
# Linear -> ReLU -> Linear with the same weights (copied in in parameter order): logits.
ex2 = Exercise("nb09.ex2", title="IncomePredictor", points=2, answers="IncomePredictor")


@ex2.cases
def ex2_cases(gen, hidden):
    sizes = [108] if not hidden else []
    while len(sizes) < 4:
        sizes.append(int(torch.randint(4, 121, (1,), generator=gen)))
    cases = []
    for n in sizes:
        rows = int(torch.randint(5, 12, (1,), generator=gen))
        x, w = torch.randn(rows, n, generator=gen) * 2, _weights(gen, [n, 32, 1], scale=2.0)
        w[3] = w[3] - _mlp_forward(w, x).median()  # logits of both signs
        cases.append({"n_features": n, "x": x, "weights": w})
    return cases


@ex2.run
def ex2_run(case, IncomePredictor):
    model = IncomePredictor(case["n_features"])
    shapes = _shapes(model)
    out = None
    if shapes == tuple(tuple(w.shape) for w in case["weights"]):
        _copy_into(model, case["weights"])
        out = model(case["x"])
    return {"shapes": shapes, "out": out,
            "modules": tuple(type(m).__name__ for m in model.modules())[1:]}


def _mlp_forward(weights, x, act=F.relu):
    h = x
    n_layers = len(weights) // 2
    for i in range(n_layers):
        h = h @ weights[2 * i].T + weights[2 * i + 1]
        if i < n_layers - 1:
            h = act(h)
    return h


@ex2.judge
def ex2_judge(v, case, got):
    n = case["n_features"]
    expected = ((32, n), (32,), (1, 32), (1,))
    shapes = got["shapes"]
    if not shapes:
        v.fail("plain-list-layers", "IncomePredictor(n_features) has no parameters: its layers are not "
               "registered (assign nn.Linear layers to self.<name>).")
    if len(shapes) != 4:
        v.fail("wrong-shape", f"IncomePredictor({n}) has {len(shapes)} parameter tensors, expected 4 "
               "(weight and bias of two nn.Linear layers).")
    if shapes != expected:
        v.fail("wrong-shape", f"IncomePredictor({n}) has parameters of shapes {list(shapes)}, expected "
               f"{list(expected)}: Linear({n}, 32) then Linear(32, 1).")
    v.passed("parameters")
    x, w = case["x"], case["weights"]
    out = v.tensor(got["out"], "model(x)", dtype=torch.float32, shape=(len(x), 1), requires_grad=True)
    logits = _mlp_forward(w, x)
    if v.matches(out, torch.sigmoid(logits)):
        v.fail("sigmoid-before-bce-logits", "The model ends with a sigmoid: it outputs probabilities, and "
               "BCEWithLogitsLoss would apply a second sigmoid.")
    if v.matches(out, F.relu(logits)) and not v.matches(out, logits):
        v.fail("activation-on-output", "The model ends with a ReLU: negative logits are clipped to 0.")
    if v.matches(out, _mlp_forward(w, x, act=lambda h: h)) and not v.matches(out, logits):
        v.fail("activation-missing", "The output is what the two layers give without the ReLU between them.")
    v.close(out, logits, "model(x)", atol=1e-4, rtol=1e-4)


# --- ex3: predictions ---------------------------------------------------------------
# Calls predict twice on a model with dropout left in training mode and compares with
# sigmoid(logits) > 0.5 in eval mode; names dropout left on and logits cut at 0.5.
ex3 = Exercise("nb09.ex3", title="Predict 0 or 1", points=2, answers="predict", hidden_cases=2)


@ex3.cases
def ex3_cases(gen, hidden):
    out = []
    for i in range(3 if hidden else 1):
        n = 20 if not hidden else int(torch.randint(5, 40, (1,), generator=gen))
        rows = 200 if not hidden else int(torch.randint(150, 400, (1,), generator=gen))
        w = _weights(gen, [n, 32, 1], scale=3.0)
        x = torch.randn(rows, n, generator=gen)
        logits = _mlp_forward(w, x)
        # centre the logits so that many fall between 0 and 0.5 (and so both classes occur)
        w[3] = w[3] - logits.median() + 0.25
        out.append({"x": x, "weights": w})
    return out


def _dropout_model(n):
    return nn.Sequential(nn.Linear(n, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 1))


@ex3.run
def ex3_run(case, predict):
    model = _dropout_model(case["x"].shape[1])
    _copy_into(model, case["weights"])
    model.train()  # as a model comes out of a training loop
    with torch.random.fork_rng():
        torch.manual_seed(0)
        first = predict(model, case["x"])
        second = predict(model, case["x"])
    return first, second


@ex3.judge
def ex3_judge(v, case, got):
    x = case["x"]
    first = v.tensor(got[0], "predict(model, X)", dtype=torch.long, shape=(len(x),))
    second = v.tensor(got[1], "predict(model, X)", dtype=torch.long, shape=(len(x),))
    if not bool(((first == 0) | (first == 1)).all()):
        v.fail("wrong-values", "predict should return only 0 and 1.")
    if not torch.equal(first, second):
        v.fail("no-eval-dropout", "Two calls on the same rows gave different predictions: dropout was "
               "still active, so the model was not in eval mode.")
    v.passed("repeatable")
    logits = _mlp_forward(case["weights"], x).squeeze(1)
    if v.matches(first, (logits > 0.5).long()) and not v.matches(first, (logits > 0).long()):
        v.fail("threshold-logits-at-half", "The predictions are logits > 0.5; the model outputs logits, "
               "so the 0.5 threshold belongs to sigmoid(logits).")
    v.close(first, (torch.sigmoid(logits) > 0.5).long(), "predict(model, X)", atol=0, rtol=0)


# --- ex4: the whole pipeline, graded by behaviour -------------------------------------
# Calls fit_predict on a split chosen by the case's (secret) seed, with the test part's
# 'class' column reversed as a probe, and scores the predictions on the true labels:
# full marks from accuracy 0.84 and >50K recall 0.55, partial credit below.
ex4 = Exercise("nb09.ex4", title="Train and predict", points=3, answers="fit_predict", hidden_cases=1)


@ex4.cases
def ex4_cases(gen, hidden):
    if not hidden:
        return [{"split_seed": 42, "seed": 110, "epochs": 2}]
    return [{"split_seed": int(torch.randint(0, 2**31 - 1, (1,), generator=gen)),
             "seed": int(torch.randint(0, 10_000, (1,), generator=gen)), "epochs": 2}]


class _Spy:
    """Counts zero_grad calls and optimizer steps, and the range of BCE-with-logits inputs."""

    def __init__(self):
        self.zero_grad = 0
        self.steps = 0
        self.bce_calls = 0
        self.bce_min = float("inf")
        self.bce_max = float("-inf")


@contextlib.contextmanager
def _spying():
    spy = _Spy()
    opt_zero, mod_zero = torch.optim.Optimizer.zero_grad, nn.Module.zero_grad
    bce = F.binary_cross_entropy_with_logits

    def opt_zero_grad(self, *args, **kwargs):
        spy.zero_grad += 1
        return opt_zero(self, *args, **kwargs)

    def mod_zero_grad(self, *args, **kwargs):
        spy.zero_grad += 1
        return mod_zero(self, *args, **kwargs)

    def counting_bce(input, *args, **kwargs):
        spy.bce_calls += 1
        if isinstance(input, torch.Tensor) and input.numel():
            spy.bce_min = min(spy.bce_min, float(input.detach().min()))
            spy.bce_max = max(spy.bce_max, float(input.detach().max()))
        return bce(input, *args, **kwargs)

    def count_step(optimizer, args, kwargs):
        spy.steps += 1

    handle = register_optimizer_step_post_hook(count_step)
    torch.optim.Optimizer.zero_grad, nn.Module.zero_grad = opt_zero_grad, mod_zero_grad
    F.binary_cross_entropy_with_logits = counting_bce
    try:
        yield spy
    finally:
        torch.optim.Optimizer.zero_grad, nn.Module.zero_grad = opt_zero, mod_zero
        F.binary_cross_entropy_with_logits = bce
        handle.remove()


def _probe(test):
    """The test part with its 'class' column reversed: a model that learns from it is caught."""
    probe = test.copy()
    flipped = probe["class"].astype(str).map({">50K": "<=50K", "<=50K": ">50K"})
    probe["class"] = flipped.astype(test["class"].dtype)
    return probe


@ex4.run
def ex4_run(case, fit_predict):
    train, test = _split(case["split_seed"])
    with one_thread(), torch.random.fork_rng(), _spying() as spy:
        predictions = fit_predict(train, _probe(test), case["epochs"], case["seed"])
    if isinstance(predictions, torch.Tensor):
        predictions = predictions.detach().cpu()
    return {"predictions": predictions, "zero_grad": spy.zero_grad, "steps": spy.steps,
            "bce_calls": spy.bce_calls, "bce_min": spy.bce_min, "bce_max": spy.bce_max}


def scores(predictions: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    """(accuracy, recall of the >50K class) of 0/1 predictions."""
    accuracy = float((predictions == labels).float().mean())
    positives = labels == 1
    recall = float((predictions[positives] == 1).float().mean()) if positives.any() else 0.0
    return accuracy, recall


@ex4.judge
def ex4_judge(v, case, got):
    _, test = _split(case["split_seed"])
    labels = _labels(test)
    pred = v.tensor(got["predictions"], "fit_predict(train_df, test_df, epochs, seed)",
                    dtype=torch.long, shape=(len(labels),))
    if not bool(((pred == 0) | (pred == 1)).all()):
        v.fail("wrong-values", "fit_predict should return 0 (<=50K) or 1 (>50K) for each test row.")
    if got["bce_calls"] and 0.0 <= got["bce_min"] and got["bce_max"] <= 1.0:
        v.fail("sigmoid-before-bce-logits", "Every input your training gave BCEWithLogitsLoss was between "
               "0 and 1: those are probabilities, and the loss applies its own sigmoid on top.")
    if float((pred == 1 - labels).float().mean()) > PROBE_AGREEMENT:
        v.fail("train-on-test", "Your predictions follow the test part's 'class' column, which the checker "
               "had reversed: the model learned from the test rows.")
    if int(pred.sum()) == 0:
        v.fail("majority-class", "Every prediction is 0 (<=50K): that is the majority class, not a model.")
    if int(pred.sum()) == len(pred):
        v.fail("wrong-values", "Every prediction is 1 (>50K): the model has learned nothing useful.")
    accuracy, recall = scores(pred, labels)
    baseline = 1.0 - float(labels.float().mean())
    said = f"accuracy {accuracy:.4f} and >50K recall {recall:.4f} on the held-out part"
    if accuracy >= ACCURACY_FOR_FULL and recall >= RECALL_FOR_FULL:
        v.passed("accuracy and recall")
        return
    # below full marks: a loop that never zeroes its gradients is the likely reason (one that
    # sets p.grad = None by hand and reaches the thresholds passes above)
    if got["steps"] and not got["zero_grad"]:
        v.fail("zero-grad-missing", f"Your training made {got['steps']} optimizer steps but never called "
               f"zero_grad(), so every step used the sum of all gradients so far ({said}).")
    fraction = min(max(0.0, (accuracy - baseline) / (ACCURACY_FOR_FULL - baseline)),
                   max(0.0, recall / RECALL_FOR_FULL), 1.0)
    if fraction <= 0.0:
        v.fail("wrong-values", f"Your {said}: no better than predicting <=50K for everyone.")
    v.partial(fraction, f"Your {said}; full marks from accuracy {ACCURACY_FOR_FULL} and recall "
              f"{RECALL_FOR_FULL}. Train longer or check the loop.")


# --- ex5: a deeper model with a choice of activation and dropout -----------------------
# Checks the parameter shapes, the eval-mode output for each activation against the
# reference with the same weights, that dropout acts in train mode and not in eval mode.
ex5 = Exercise("nb09.ex5", title="Two hidden layers, activations, dropout", points=2,
               answers="DeepIncomePredictor", hidden_cases=2)

_ACTIVATIONS = {"relu": F.relu, "leaky_relu": lambda h: F.leaky_relu(h, 0.01), "tanh": torch.tanh}


@ex5.cases
def ex5_cases(gen, hidden):
    sizes = [108] if not hidden else []
    while len(sizes) < 3:
        sizes.append(int(torch.randint(4, 121, (1,), generator=gen)))
    cases = []
    for n in sizes:
        x, w = torch.randn(8, n, generator=gen) * 2, _weights(gen, [n, 64, 32, 1], scale=2.0)
        w[5] = w[5] - _mlp_forward(w, x).median()  # logits of both signs
        cases.append({"n_features": n, "x": x, "weights": w})
    return cases


@ex5.run
def ex5_run(case, DeepIncomePredictor):
    out = {}
    with torch.random.fork_rng():
        torch.manual_seed(0)
        for name in _ACTIVATIONS:
            model = DeepIncomePredictor(case["n_features"], activation=name, dropout=0.5)
            shapes = _shapes(model)
            entry = {"shapes": shapes}
            if shapes == tuple(tuple(w.shape) for w in case["weights"]):
                _copy_into(model, case["weights"])
                model.eval()
                entry["eval"] = (model(case["x"]), model(case["x"]))
                model.train()
                entry["train"] = model(case["x"])
            out[name] = entry
    return out


@ex5.judge
def ex5_judge(v, case, got):
    n, x, w = case["n_features"], case["x"], case["weights"]
    expected = ((64, n), (64,), (32, 64), (32,), (1, 32), (1,))
    for name, act in _ACTIVATIONS.items():
        entry = got[name]
        shapes = entry["shapes"]
        if shapes != expected:
            v.fail("wrong-shape", f"DeepIncomePredictor({n}, activation={name!r}) has parameters of shapes "
                   f"{list(shapes)}, expected {list(expected)}: Linear({n}, 64), Linear(64, 32), Linear(32, 1).")
        v.passed("parameters")
        label = f"model(x) in eval mode (activation={name!r})"
        first = v.tensor(entry["eval"][0], label, dtype=torch.float32, shape=(len(x), 1))
        second = v.tensor(entry["eval"][1], label, dtype=torch.float32, shape=(len(x), 1))
        if not torch.equal(first, second):
            v.fail("dropout-always-on", "In eval mode two calls on the same rows differ: dropout is still "
                   "active after model.eval().")
        ref = _mlp_forward(w, x, act=act)
        if v.matches(first, torch.sigmoid(ref)):
            v.fail("sigmoid-before-bce-logits", "The model ends with a sigmoid; it should return logits.")
        if v.matches(first, act(ref)) and not v.matches(first, ref):
            v.fail("activation-on-output", f"The activation ({name}) is applied after the last layer too.")
        if name == "leaky_relu":
            for slope in (0.1, 0.2, 0.3, 0.05):
                if v.matches(first, _mlp_forward(w, x, act=lambda h, s=slope: F.leaky_relu(h, s))):
                    v.fail("leaky-slope-wrong", f"LeakyReLU with negative slope {slope}, not 0.01.")
        if name != "relu" and v.matches(first, _mlp_forward(w, x, act=F.relu)):
            v.fail("wrong-values", f"activation={name!r} gave the same output as ReLU: the activation "
                   "argument is not used.")
        v.close(first, ref, label, atol=1e-4, rtol=1e-4)
        train = v.tensor(entry["train"], f"model(x) in train mode (activation={name!r})",
                         dtype=torch.float32, shape=(len(x), 1))
        if v.matches(train, ref):
            v.fail("wrong-values", "In train mode with dropout=0.5 the output equals the eval-mode output: "
                   "the model has no active nn.Dropout after its hidden layers.")
        v.passed("dropout")


# --- ex6: the four optimizers of the comparison ---------------------------------------
# Builds each optimizer with the student's function over a small model, takes three steps
# with given gradients, and compares the parameters with the real optimizer's steps.
ex6 = Exercise("nb09.ex6", title="Four optimizers", points=2, answers="make_optimizer", hidden_cases=2)

_OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")


def _reference_optimizer(name, params, lr):
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    return torch.optim.Adam(params, lr=lr)


_DEFAULT_LR = {"sgd": 1e-3, "momentum": 1e-3, "rmsprop": 1e-2, "adam": 1e-3}


@ex6.cases
def ex6_cases(gen, hidden):
    lrs = [0.05] if not hidden else []
    while len(lrs) < 3:
        lrs.append(round(float(torch.empty(()).uniform_(0.02, 0.3, generator=gen)), 4))
    return [{"lr": lr, "weight": torch.randn(3, 4, generator=gen), "bias": torch.randn(3, generator=gen),
             "grads": [(torch.randn(3, 4, generator=gen), torch.randn(3, generator=gen)) for _ in range(3)]}
            for lr in lrs]


def _steps(make, name, case):
    model = nn.Linear(4, 3)
    _copy_into(model, [case["weight"], case["bias"]])
    optimizer = make(name, model.parameters(), case["lr"])
    for gw, gb in case["grads"]:
        optimizer.zero_grad()
        model.weight.grad, model.bias.grad = gw.clone(), gb.clone()
        optimizer.step()
    return torch.cat([model.weight.detach().reshape(-1), model.bias.detach()]).clone()


@ex6.run
def ex6_run(case, make_optimizer):
    return {name: _steps(make_optimizer, name, case) for name in _OPTIMIZERS}


@ex6.judge
def ex6_judge(v, case, got):
    start = torch.cat([case["weight"].reshape(-1), case["bias"]])
    refs = {name: _steps(_reference_optimizer, name, case) for name in _OPTIMIZERS}
    for name in _OPTIMIZERS:
        label = f"the parameters after 3 steps of make_optimizer({name!r}, ...)"
        data = v.tensor(got[name], label, dtype=torch.float32, shape=tuple(start.shape))
        if v.matches(data, refs[name]):
            continue
        if v.matches(data, start, atol=0, rtol=0):
            v.fail("optimizer-wrong-params", f"make_optimizer({name!r}, params, lr) did not change the "
                   "parameters it was given: build the optimizer over `params`.")
        for other in _OPTIMIZERS:
            if other != name and v.matches(data, refs[other]):
                v.fail("optimizer-mixed-up", f"make_optimizer({name!r}, ...) steps like {other!r}.")
        default = dict(case, lr=_DEFAULT_LR[name])
        if v.matches(data, _steps(_reference_optimizer, name, default)):
            v.fail("lr-not-passed", f"make_optimizer({name!r}, ...) steps with the optimizer's default "
                   "learning rate, not with `lr`.")
        v.close(data, refs[name], label, atol=1e-5, rtol=1e-4)
    v.passed("values")
