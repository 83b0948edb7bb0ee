"""Checkers of project 09, Adult income: preprocessing, the model, predictions, training.

Cases are plain numbers (a split seed, a training seed, a number of epochs) and small
tensors. ``run`` loads the shipped copy of the data itself, makes the split from the
case's seed and calls the student's functions; the judge recomputes the split and the
labels from the same seed and never sees a student's object, only the predictions,
tensors and counts that ``run`` returned. The two pipelines (ex4, ex8) are graded by
behaviour: the predictions on a held-out part chosen by the (secret) seed are scored against
bars calibrated by ``benchmarks/behaviour_calibration.py``, with partial credit below them.
The checkpoint (ex6) and early-stopping (ex7) exercises run small scripted trainings whose
right outcome the judge recomputes exactly.
"""

from __future__ import annotations

import contextlib
import itertools

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
from torch.optim.optimizer import register_optimizer_step_pre_hook

from course.checking import Exercise
from course.env import one_thread

#: Full marks from these held-out scores (project 09, "Grading by behaviour"); calibrated with
#: benchmarks/behaviour_calibration.py: every correct answer there stays above them on every secret.
ACCURACY_FOR_FULL = 0.83
RECALL_FOR_FULL = 0.45
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
        for p, w in zip(module.parameters(), weights, strict=True):
            p.copy_(w)


def _shapes(module: nn.Module) -> tuple:
    return tuple(tuple(int(n) for n in p.shape) for p in module.parameters())


def _uniform(gen, bound, *shape):
    return (torch.rand(shape, generator=gen) * 2 - 1) * bound


def _weights(gen, sizes: list[int], scale: float = 1.0) -> list[torch.Tensor]:
    """Weights and biases of a chain of Linear layers of the given sizes, in parameter order."""
    out = []
    for n_in, n_out in itertools.pairwise(sizes):
        bound = scale / n_in**0.5
        out += [_uniform(gen, bound, n_out, n_in), _uniform(gen, bound, n_out)]
    return out


# --- ex1: preprocessing fitted on the training part only ---------------------------
# Checks the features of train and test against a ColumnTransformer fitted on the training
# rows; calls preprocess twice with one training part and two test parts, so a fit that
# saw test rows shows up as a changed X_train.
ex1 = Exercise("nb09.ex1", title="Preprocessing without leaks", points=2, answers="preprocess", hidden_cases=2)

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
        v.fail(
            "preprocessing-leak",
            "X_train changed when only the test part changed (same training rows, another test "
            "part): the scaler or encoder was fitted on rows that include the test part.",
        )
    ref_train, ref_test = _features(train, train, test_a)
    right = (
        xa_train.shape == ref_train.shape
        and xa_test.shape == ref_test.shape
        and v.matches(xa_train, ref_train)
        and v.matches(xa_test, ref_test)
    )
    if not right:  # name the leaks (two more fits, only when something is wrong)
        (refit_test,) = _features(test_a, test_a)
        if xa_test.shape == refit_test.shape and v.matches(xa_test, refit_test):
            v.fail(
                "preprocessing-leak",
                "X_test was scaled and encoded by a transformer fitted on the test rows themselves; "
                "fit on the training part once, then only transform the test part.",
            )
        (leak_train,) = _features(pd.concat([train, test_a]), train)
        if xa_train.shape == leak_train.shape and v.matches(xa_train, leak_train):
            v.fail("preprocessing-leak", "X_train matches a transformer fitted on training and test rows together.")
    width = ref_train.shape[1]
    if xa_train.shape != ref_train.shape:
        v.fail(
            "wrong-shape",
            f"X_train has shape {tuple(xa_train.shape)}, expected {tuple(ref_train.shape)} "
            f"(6 scaled numeric columns, then one column per category of the training part).",
        )
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
    return {"shapes": shapes, "out": out, "modules": tuple(type(m).__name__ for m in model.modules())[1:]}


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
        v.fail(
            "plain-list-layers",
            "IncomePredictor(n_features) has no parameters: its layers are not "
            "registered (assign nn.Linear layers to self.<name>).",
        )
    if len(shapes) != 4:
        v.fail(
            "wrong-shape",
            f"IncomePredictor({n}) has {len(shapes)} parameter tensors, expected 4 "
            "(weight and bias of two nn.Linear layers).",
        )
    if shapes != expected:
        v.fail(
            "wrong-shape",
            f"IncomePredictor({n}) has parameters of shapes {list(shapes)}, expected "
            f"{list(expected)}: Linear({n}, 32) then Linear(32, 1).",
        )
    v.passed("parameters")
    x, w = case["x"], case["weights"]
    out = v.tensor(got["out"], "model(x)", dtype=torch.float32, shape=(len(x), 1), requires_grad=True)
    logits = _mlp_forward(w, x)
    if v.matches(out, torch.sigmoid(logits)):
        v.fail(
            "sigmoid-before-bce-logits",
            "The model ends with a sigmoid: it outputs probabilities, and "
            "BCEWithLogitsLoss would apply a second sigmoid.",
        )
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
    for _ in range(3 if hidden else 1):
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
        v.fail(
            "no-eval-dropout",
            "Two calls on the same rows gave different predictions: dropout was "
            "still active, so the model was not in eval mode.",
        )
    v.passed("repeatable")
    logits = _mlp_forward(case["weights"], x).squeeze(1)
    if v.matches(first, (logits > 0.5).long()) and not v.matches(first, (logits > 0).long()):
        v.fail(
            "threshold-logits-at-half",
            "The predictions are logits > 0.5; the model outputs logits, "
            "so the 0.5 threshold belongs to sigmoid(logits).",
        )
    v.close(first, (torch.sigmoid(logits) > 0.5).long(), "predict(model, X)", atol=0, rtol=0)


# --- ex4: the whole pipeline, graded by behaviour -------------------------------------
# Calls fit_predict on a split chosen by the case's (secret) seed, with the test part's
# 'class' column reversed as a probe, watches the training (steps, left-over gradients,
# what reaches BCEWithLogitsLoss), and scores the predictions on the true labels: full marks
# from ACCURACY_FOR_FULL and RECALL_FOR_FULL, partial credit below.
ex4 = Exercise("nb09.ex4", title="Train and predict", points=3, answers="fit_predict", hidden_cases=1)


@ex4.cases
def ex4_cases(gen, hidden):
    if not hidden:
        return [{"split_seed": 42, "seed": 110, "epochs": 2}]
    return [
        {
            "split_seed": int(torch.randint(0, 2**31 - 1, (1,), generator=gen)),
            "seed": int(torch.randint(0, 10_000, (1,), generator=gen)),
            "epochs": 2,
        }
    ]


class _Spy:
    """Watch a training run without changing it: count optimizer steps, the steps that used
    gradients left over from an earlier step, and the range of BCE-with-logits inputs.

    A step whose ``.grad`` differs from the sum of the gradients that backward produced since
    the previous step used gradients left over from earlier steps: ``zero_grad()`` (or setting
    ``p.grad = None``) was missing. Fresh gradients are seen by a hook on each parameter,
    registered at the first step (before it nothing was left over).
    """

    def __init__(self):
        self.steps = 0
        self.accumulated = 0
        self.bce_calls = 0
        self.bce_min = float("inf")
        self.bce_max = float("-inf")
        self.bce = F.binary_cross_entropy_with_logits  # the real one, put back after the run
        self._fresh: dict[int, torch.Tensor] = {}
        self._watched: dict[int, object] = {}

    def counting_bce(self, input, *args, **kwargs):
        self.bce_calls += 1
        if isinstance(input, torch.Tensor) and input.numel():
            self.bce_min = min(self.bce_min, float(input.detach().min()))
            self.bce_max = max(self.bce_max, float(input.detach().max()))
        return self.bce(input, *args, **kwargs)

    def _record(self, key):
        def hook(grad):  # runs before autograd adds grad into .grad; a sum is a new tensor
            self._fresh[key] = grad if key not in self._fresh else self._fresh[key] + grad

        return hook

    def before_step(self, optimizer, args, kwargs):
        self.steps += 1
        stale = False
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    stale = self._left_over(p) or stale
        self._fresh.clear()
        self.accumulated += stale

    def _left_over(self, p) -> bool:
        """Whether ``p.grad`` holds more than what backward produced since the last step
        (watching starts at the parameter's first step)."""
        key = id(p)
        if key not in self._watched:
            self._watched[key] = p.register_hook(self._record(key))
            return False
        produced = self._fresh.pop(key, None)
        if produced is None or p.grad is produced:  # no backward, or .grad is the fresh gradient itself
            return False
        return not torch.allclose(p.grad.detach(), produced.detach(), rtol=1e-4, atol=1e-7)

    def remove_hooks(self):
        for h in self._watched.values():
            h.remove()


@contextlib.contextmanager
def _spying():
    """A :class:`_Spy` on every optimizer step and on F.binary_cross_entropy_with_logits."""
    spy = _Spy()
    handle = register_optimizer_step_pre_hook(spy.before_step)
    F.binary_cross_entropy_with_logits = spy.counting_bce
    try:
        yield spy
    finally:
        F.binary_cross_entropy_with_logits = spy.bce
        handle.remove()
        spy.remove_hooks()


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
    return {
        "predictions": predictions,
        "steps": spy.steps,
        "accumulated": spy.accumulated,
        "bce_calls": spy.bce_calls,
        "bce_min": spy.bce_min,
        "bce_max": spy.bce_max,
    }


def scores(predictions: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    """(accuracy, recall of the >50K class) of 0/1 predictions."""
    accuracy = float((predictions == labels).float().mean())
    positives = labels == 1
    recall = float((predictions[positives] == 1).float().mean()) if positives.any() else 0.0
    return accuracy, recall


def _checked_predictions(v, case, got, name):
    """(labels, predictions) of a held-out part, after the checks every pipeline shares."""
    _, test = _split(case["split_seed"])
    labels = _labels(test)
    pred = v.tensor(got["predictions"], name, dtype=torch.long, shape=(len(labels),))
    if not bool(((pred == 0) | (pred == 1)).all()):
        v.fail("wrong-values", f"{name} should return 0 (<=50K) or 1 (>50K) for each test row.")
    if got["bce_calls"] and 0.0 <= got["bce_min"] and got["bce_max"] <= 1.0:
        v.fail(
            "sigmoid-before-bce-logits",
            "Every input your training gave BCEWithLogitsLoss was between "
            "0 and 1: those are probabilities, and the loss applies its own sigmoid on top.",
        )
    if float((pred == 1 - labels).float().mean()) > PROBE_AGREEMENT:
        v.fail(
            "train-on-test",
            "Your predictions follow the test part's 'class' column, which the checker "
            "had reversed: the model learned from the test rows.",
        )
    if got["accumulated"]:
        v.fail(
            "zero-grad-missing",
            f"{got['accumulated']} of your {got['steps']} optimizer steps used gradients "
            "left over from earlier steps: backward() adds into .grad, so without optimizer.zero_grad() "
            "every step follows the sum of all gradients so far.",
        )
    if int(pred.sum()) == 0:
        v.fail("majority-class", "Every prediction is 0 (<=50K): that is the majority class, not a model.")
    if int(pred.sum()) == len(pred):
        v.fail("wrong-values", "Every prediction is 1 (>50K): the model has learned nothing useful.")
    if not got["steps"]:
        v.fail(
            "not-trained",
            f"{name} made no optimizer step: its predictions do not come from a model trained on the training part.",
        )
    return labels, pred


def ex4_scores(case, got) -> tuple[float, float]:
    """(accuracy, >50K recall) of a described ex4 result on its held-out part."""
    _, test = _split(case["split_seed"])
    return scores(got["predictions"].data.long(), _labels(test))


@ex4.judge
def ex4_judge(v, case, got):
    labels, pred = _checked_predictions(v, case, got, "fit_predict(train_df, test_df, epochs, seed)")
    accuracy, recall = scores(pred, labels)
    baseline = 1.0 - float(labels.float().mean())
    said = f"accuracy {accuracy:.4f} and >50K recall {recall:.4f} on the held-out part"
    if accuracy >= ACCURACY_FOR_FULL and recall >= RECALL_FOR_FULL:
        v.passed("accuracy and recall")
        return
    fraction = min(
        max(0.0, (accuracy - baseline) / (ACCURACY_FOR_FULL - baseline)), max(0.0, recall / RECALL_FOR_FULL), 1.0
    )
    if fraction <= 0.0:
        v.fail("wrong-values", f"Your {said}: no better than predicting <=50K for everyone.")
    v.partial(
        fraction,
        f"Your {said}; full marks from accuracy {ACCURACY_FOR_FULL} and recall "
        f"{RECALL_FOR_FULL}. Train longer or check the loop.",
    )


# --- ex5: a deeper model with a choice of activation and dropout -----------------------
# Checks the parameter shapes, the eval-mode output for each activation against the
# reference with the same weights, that dropout acts in train mode and not in eval mode.
ex5 = Exercise(
    "nb09.ex5", title="Two hidden layers, activations, dropout", points=2, answers="DeepIncomePredictor", hidden_cases=2
)

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
            v.fail(
                "wrong-shape",
                f"DeepIncomePredictor({n}, activation={name!r}) has parameters of shapes "
                f"{list(shapes)}, expected {list(expected)}: Linear({n}, 64), Linear(64, 32), Linear(32, 1).",
            )
        v.passed("parameters")
        label = f"model(x) in eval mode (activation={name!r})"
        first = v.tensor(entry["eval"][0], label, dtype=torch.float32, shape=(len(x), 1))
        second = v.tensor(entry["eval"][1], label, dtype=torch.float32, shape=(len(x), 1))
        if not torch.equal(first, second):
            v.fail(
                "dropout-always-on",
                "In eval mode two calls on the same rows differ: dropout is still active after model.eval().",
            )
        ref = _mlp_forward(w, x, act=act)
        _ex5_named_mistakes(v, case, name, act, first, ref)
        v.close(first, ref, label, atol=1e-4, rtol=1e-4)
        train = v.tensor(
            entry["train"], f"model(x) in train mode (activation={name!r})", dtype=torch.float32, shape=(len(x), 1)
        )
        if v.matches(train, ref):
            v.fail(
                "wrong-values",
                "In train mode with dropout=0.5 the output equals the eval-mode output: "
                "the model has no active nn.Dropout after its hidden layers.",
            )
        v.passed("dropout")


def _ex5_named_mistakes(v, case, name, act, out, ref):
    """The eval-mode output ``out`` of the model with activation ``name``, against the
    known mistakes: a sigmoid or the activation after the last layer, LeakyReLU's slope,
    the activation argument ignored."""
    x, w = case["x"], case["weights"]
    if v.matches(out, torch.sigmoid(ref)):
        v.fail("sigmoid-before-bce-logits", "The model ends with a sigmoid; it should return logits.")
    if v.matches(out, act(ref)) and not v.matches(out, ref):
        v.fail("activation-on-output", f"The activation ({name}) is applied after the last layer too.")
    if name == "leaky_relu":
        for slope in (0.1, 0.2, 0.3, 0.05):
            if v.matches(out, _mlp_forward(w, x, act=lambda h, s=slope: F.leaky_relu(h, s))):
                v.fail("leaky-slope-wrong", f"LeakyReLU with negative slope {slope}, not 0.01.")
    if name != "relu" and v.matches(out, _mlp_forward(w, x, act=F.relu)):
        v.fail(
            "wrong-values", f"activation={name!r} gave the same output as ReLU: the activation argument is not used."
        )


# --- ex6: a checkpoint, saved, reloaded and resumed --------------------------------------
# save_checkpoint(path, model, optimizer, epoch) and load_checkpoint(path, model, optimizer)
# -> epoch. ``run`` trains a small network some epochs with one of the four optimizers of the
# comparison, saves, moves the file (so that only what is on disk counts), loads into a fresh
# model and optimizer and trains one more epoch; the judge recomputes the run that never
# stopped. Names: the optimizer's state left out, a load into copies, the epoch, no file.
ex6 = Exercise(
    "nb09.ex6", title="Checkpoint and resume", points=3, answers=("save_checkpoint", "load_checkpoint"), hidden_cases=3
)

_OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")


def _make_optimizer(name, params, lr):
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    return torch.optim.Adam(params, lr=lr)


@ex6.cases
def ex6_cases(gen, hidden):
    names = ["adam"] if not hidden else ["momentum", "rmsprop", "adam"]
    cases = []
    for name in names:
        n_in = 5 if not hidden else int(torch.randint(3, 9, (1,), generator=gen))
        x = torch.randn(24, n_in, generator=gen)
        y = (x[:, :1] + 0.5 * torch.randn(24, 1, generator=gen) > 0).float()
        lr = {"momentum": 0.05, "rmsprop": 0.003, "adam": 0.01}[name]
        cases.append(
            {
                "optimizer": name,
                "lr": lr,
                "x": x,
                "y": y,
                "weights": _weights(gen, [n_in, 8, 1], scale=1.0),
                "epochs_before": 3 if not hidden else int(torch.randint(2, 6, (1,), generator=gen)),
            }
        )
    return cases


def _ex6_model(case, weights=None):
    model = nn.Sequential(nn.Linear(case["x"].shape[1], 8), nn.ReLU(), nn.Linear(8, 1))
    _copy_into(model, weights if weights is not None else case["weights"])
    return model


def _ex6_epoch(model, optimizer, case):
    """One epoch: three fixed mini-batches of 8 rows (no randomness, so a resumed run can match)."""
    for rows in (slice(0, 8), slice(8, 16), slice(16, 24)):
        optimizer.zero_grad()
        F.binary_cross_entropy_with_logits(model(case["x"][rows]), case["y"][rows]).backward()
        optimizer.step()


def _flat(model):
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()]).clone()


@ex6.run
def ex6_run(case, save_checkpoint, load_checkpoint):
    import os
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        saved, moved = os.path.join(tmp, "checkpoint.pt"), os.path.join(tmp, "moved.pt")
        model = _ex6_model(case)
        optimizer = _make_optimizer(case["optimizer"], model.parameters(), case["lr"])
        for _ in range(case["epochs_before"]):
            _ex6_epoch(model, optimizer, case)
        save_checkpoint(saved, model, optimizer, case["epochs_before"])
        if not os.path.isfile(saved) or os.path.getsize(saved) == 0:
            return {"written": False}
        shutil.move(saved, moved)  # what load_checkpoint reads is the file, nothing kept in memory
        fresh = _ex6_model(case, [torch.zeros_like(w) for w in case["weights"]])
        fresh_optimizer = _make_optimizer(case["optimizer"], fresh.parameters(), case["lr"])
        epoch = load_checkpoint(moved, fresh, fresh_optimizer)
        loaded = _flat(fresh)
        _ex6_epoch(fresh, fresh_optimizer, case)
        return {"written": True, "epoch": epoch, "loaded": loaded, "resumed": _flat(fresh)}


def _ex6_reference(case, lose_state=False):
    """(parameters after the saved epochs, after one more epoch); optionally with a new optimizer."""
    model = _ex6_model(case)
    optimizer = _make_optimizer(case["optimizer"], model.parameters(), case["lr"])
    for _ in range(case["epochs_before"]):
        _ex6_epoch(model, optimizer, case)
    at_save = _flat(model)
    if lose_state:
        optimizer = _make_optimizer(case["optimizer"], model.parameters(), case["lr"])
    _ex6_epoch(model, optimizer, case)
    return at_save, _flat(model)


@ex6.judge
def ex6_judge(v, case, got):
    if not got.get("written"):
        v.fail(
            "checkpoint-not-written",
            "save_checkpoint(path, ...) left no file at `path`: a checkpoint must survive the process that wrote it.",
            "torch.save(a_dict, path).",
        )
    v.passed("file")
    k = case["epochs_before"]
    epoch = v.number(got["epoch"], "load_checkpoint(path, model, optimizer)")
    at_save, after = _ex6_reference(case)
    loaded = v.tensor(
        got["loaded"], "the model's parameters after load_checkpoint", dtype=torch.float32, shape=tuple(at_save.shape)
    )
    if not v.matches(loaded, at_save, atol=1e-7, rtol=1e-6):
        if v.matches(loaded, torch.zeros_like(at_save), atol=0, rtol=0):
            v.fail(
                "checkpoint-loaded-into-copy",
                "After load_checkpoint the model you were given still has "
                "its own fresh weights: load into the model and optimizer passed in "
                "(model.load_state_dict(...)), not into new objects.",
            )
        v.fail("wrong-values", "After load_checkpoint the model's parameters are not the saved ones.")
    v.passed("model restored")
    if epoch != k:
        v.fail(
            "checkpoint-epoch-wrong",
            f"load_checkpoint returned {epoch:g}, but the checkpoint was saved "
            f"after {k} epochs: return the epoch you saved, so the loop goes on with range(epoch, total).",
        )
    v.passed("epoch")
    resumed = v.tensor(
        got["resumed"], "the parameters after one more epoch", dtype=torch.float32, shape=tuple(after.shape)
    )
    if v.matches(resumed, after, atol=1e-6, rtol=1e-5):
        v.passed("resumed exactly")
        return
    _, restarted = _ex6_reference(case, lose_state=True)
    if v.matches(resumed, restarted, atol=1e-6, rtol=1e-5):
        v.fail(
            "checkpoint-missing-optimizer-state",
            f"The next epoch after resuming differs from the run "
            f"that never stopped: {case['optimizer']} restarted from an empty state (its running averages "
            "and step count), so the optimizer's state_dict was not saved or not loaded.",
        )
    v.fail("wrong-values", "The next epoch after resuming differs from the run that never stopped.")


# --- ex7: early stopping on the validation loss -------------------------------------------
# train_with_early_stopping(model, run_epoch, val_loss, max_epochs, patience) -> (best_epoch,
# losses), the model left with the best epoch's weights. ``run_epoch`` moves the weights
# along a scripted path and ``val_loss`` reads a scripted curve, so the right stop is known.
# Names: the best weights never restored, state_dict kept without a copy, patience off by one,
# comparing with the previous epoch instead of the best.
ex7 = Exercise("nb09.ex7", title="Early stopping", points=3, answers="train_with_early_stopping")

#: The visible curve: a dip at epoch 6, then an epoch (8) better than its predecessor only.
_VISIBLE_CURVE = [0.60, 0.52, 0.47, 0.45, 0.46, 0.44, 0.46, 0.45, 0.47, 0.49, 0.50, 0.52]


@ex7.cases
def ex7_cases(gen, hidden):
    if not hidden:
        return [{"curve": list(_VISIBLE_CURVE), "patience": 2, "steps": _steps_for(gen, len(_VISIBLE_CURVE))}]
    cases = [_zigzag_case(gen)]
    for _ in range(2):
        epochs = int(torch.randint(10, 21, (1,), generator=gen))
        turn = float(torch.rand((), generator=gen)) * 0.6 + 0.3  # where the U bottoms out
        t = torch.arange(1, epochs + 1) / epochs
        curve = (
            0.3
            + 0.5 * torch.exp(-6 * t)
            + 0.4 * (t - turn).clamp(min=0) ** 2
            + 0.02 * torch.randn(epochs, generator=gen)
        )
        cases.append(
            {
                "curve": [round(float(c), 4) for c in curve],
                "patience": int(torch.randint(1, 5, (1,), generator=gen)),
                "steps": _steps_for(gen, epochs),
            }
        )
    return cases


def _zigzag_case(gen):
    """A curve that falls to its best, then zigzags above it: every other epoch beats the one
    before but never the best, so comparing with the previous epoch never stops (patience >= 2)."""
    best_epoch = int(torch.randint(3, 7, (1,), generator=gen))
    after = int(torch.randint(8, 13, (1,), generator=gen))
    best = 0.3 + 0.1 * float(torch.rand((), generator=gen))
    falling = [best + 0.08 * (best_epoch - e) for e in range(1, best_epoch + 1)]
    zigzag = [best + (0.06 if k % 2 == 0 else 0.03) + 0.001 * k for k in range(after)]
    curve = [round(c, 4) for c in falling + zigzag]
    return {
        "curve": curve,
        "patience": int(torch.randint(2, 5, (1,), generator=gen)),
        "steps": _steps_for(gen, len(curve)),
    }


def _steps_for(gen, epochs):
    return torch.randn(epochs, 4, generator=gen)


class _Watched(nn.Module):
    """A model whose weights follow the case's script; counts load_state_dict calls."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(4))
        self.loads = 0

    def forward(self, x):
        return x @ self.w

    def load_state_dict(self, *args, **kwargs):
        self.loads += 1
        return super().load_state_dict(*args, **kwargs)


def early_stop(curve, patience, rule="best"):
    """(epochs trained, best epoch) of early stopping on ``curve`` (epoch e has curve[e - 1]).

    ``rule="previous"`` compares each epoch with the one before instead of the best so far.
    """
    best, best_epoch, waited, last = float("inf"), 0, 0, float("inf")
    for epoch, loss in enumerate(curve, start=1):
        reference = best if rule == "best" else last
        if loss < reference:
            waited = 0
        else:
            waited += 1
        if loss < best:
            best, best_epoch = loss, epoch
        last = loss
        if waited >= patience:
            return epoch, best_epoch
    return len(curve), best_epoch


@ex7.run
def ex7_run(case, train_with_early_stopping):
    model, steps, curve = _Watched(), case["steps"], case["curve"]
    count = {"epochs": 0}

    def run_epoch(m):
        with torch.no_grad():  # in place, as optimizer.step() does
            m.w += steps[count["epochs"]]
        count["epochs"] += 1

    def val_loss(m):
        return curve[count["epochs"] - 1] if count["epochs"] else 10.0

    result = train_with_early_stopping(model, run_epoch, val_loss, len(curve), case["patience"])
    return {"result": result, "epochs": count["epochs"], "weights": model.w.detach().clone(), "loads": model.loads}


@ex7.judge
def ex7_judge(v, case, got):
    curve, patience, steps = case["curve"], case["patience"], case["steps"]
    if type(got["result"]) not in (tuple, list) or len(got["result"]) != 2:
        v.fail("wrong-type", "train_with_early_stopping should return two things: (best_epoch, losses).")
    best_epoch = v.number(got["result"][0], "best_epoch")
    ran = got["epochs"]
    want_ran, want_best = early_stop(curve, patience)
    if ran != want_ran:
        _ex7_wrong_stop(v, case, ran, want_ran)
    v.passed("stopped")
    if best_epoch != want_best:
        v.fail("wrong-values", "best_epoch is not the epoch with the lowest validation loss (counting from 1).")
    losses = got["result"][1]
    if type(losses) not in (list, tuple) or len(losses) != ran or not all(type(x) in (int, float) for x in losses):
        v.fail("wrong-type", f"losses should be a list of {ran} Python floats, one validation loss per epoch.")
    # one loss per epoch trained; the scripted curve goes on past the epoch training stopped at
    if any(abs(float(a) - b) > 1e-9 for a, b in zip(losses, curve, strict=False)):
        v.fail("wrong-values", "losses should be the validation loss after each epoch, in order.")
    v.passed("losses")
    weights = v.tensor(got["weights"], "the model's weights after early stopping", dtype=torch.float32, shape=(4,))
    best = steps[:want_best].sum(0)
    if v.matches(weights, best, atol=1e-6, rtol=1e-6):
        v.passed("best weights")
        return
    if v.matches(weights, steps[:ran].sum(0), atol=1e-6, rtol=1e-6):
        if got["loads"]:
            v.fail(
                "state-dict-not-copied",
                "You loaded a saved state back, yet the model holds the last epoch's "
                "weights: model.state_dict() returns the live parameter tensors, which the next epochs "
                "changed in place. Keep a copy: copy.deepcopy(model.state_dict()).",
            )
        v.fail(
            "early-stop-best-not-restored",
            "The model holds the last epoch's weights: after stopping, load "
            "the weights of the best epoch back (model.load_state_dict(best_state)).",
        )
    v.fail("wrong-values", "The model's weights are not those of the best epoch.")


def _ex7_wrong_stop(v, case, ran, want_ran):
    """Training stopped after ``ran`` epochs instead of ``want_ran``: the mistake named where
    it is a known one."""
    curve, patience = case["curve"], case["patience"]
    if ran == early_stop(curve, patience, rule="previous")[0]:
        v.fail(
            "early-stop-compares-previous",
            f"Training stopped after {ran} epochs: the patience counter "
            "was reset by an epoch that beat the one before it but not the best so far.",
        )
    if abs(ran - want_ran) == 1 and ran < len(curve):
        v.fail(
            "early-stop-patience-off-by-one",
            f"Training stopped after {ran} epochs, one "
            f"{'too early' if ran < want_ran else 'too late'}: stop when `patience` epochs in a row "
            "brought no improvement on the best validation loss.",
        )
    v.fail(
        "wrong-values",
        f"Training ran {ran} epochs; with patience {patience} it should have run {want_ran}."
        if not v.hidden
        else "Training did not stop at the right epoch.",
    )


# --- ex8: an open task, a better >50K F1 (graded by behaviour, with a floor) ----------------
# better_fit_predict(train_df, test_df, epochs, seed): anything within the budget, judged like
# ex4 on a held-out part of a secret split with its class column reversed, by the F1 of the
# >50K class: full marks from F1_FOR_FULL, nothing at F1_FOR_ZERO or below.
ex8 = Exercise("nb09.ex8", title="A better >50K F1", points=3, answers="better_fit_predict", hidden_cases=1)

#: Full marks from this >50K F1 on the held-out part; no points at F1_FOR_ZERO or below.
F1_FOR_FULL = 0.66
F1_FOR_ZERO = 0.5
#: The explanation of ex8, graded by a person (nbgrader manual grading): its points.
WRITTEN_POINTS = 2


@ex8.cases
def ex8_cases(gen, hidden):
    return ex4_cases(gen, hidden)


@ex8.run
def ex8_run(case, better_fit_predict):
    return ex4_run(case, better_fit_predict)


def f1_score(predictions: torch.Tensor, labels: torch.Tensor) -> float:
    """F1 of the >50K class (1) of 0/1 predictions."""
    tp = int(((predictions == 1) & (labels == 1)).sum())
    fp = int(((predictions == 1) & (labels == 0)).sum())
    fn = int(((predictions == 0) & (labels == 1)).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def ex8_f1(case, got) -> float:
    """The >50K F1 of a described ex8 (or ex4) result on its held-out part."""
    _, test = _split(case["split_seed"])
    return f1_score(got["predictions"].data.long(), _labels(test))


@ex8.judge
def ex8_judge(v, case, got):
    labels, pred = _checked_predictions(v, case, got, "better_fit_predict(train_df, test_df, epochs, seed)")
    f1 = f1_score(pred, labels)
    said = f">50K F1 {f1:.4f} on the held-out part"
    if f1 >= F1_FOR_FULL:
        v.passed("F1")
        return
    fraction = (f1 - F1_FOR_ZERO) / (F1_FOR_FULL - F1_FOR_ZERO)
    if fraction <= 0:
        v.fail("wrong-values", f"Your {said}: no better than a model that ignores the >50K class.")
    v.partial(
        fraction,
        f"Your {said}; full marks from {F1_FOR_FULL}. Tune the decision threshold or the "
        "class weight on rows you split off train_df.",
    )
