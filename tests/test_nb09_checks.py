"""Project 09 checkers beyond the generic proofs, and the reference recipe's figures."""

from __future__ import annotations

import importlib.util
import re

import torch
import torch.nn as nn
import torch.nn.functional as F

from course.checks import nb09
from support import ROOT, namespace_from, variant_module


def _ns(src, ex_id):
    setup = getattr(variant_module("nb09"), "SETUP", {}).get(ex_id, "")
    return namespace_from(setup + "\n" + src, ex_id)


def test_reference_recipe_reproduces_the_published_figures():
    """The course recipe, 10 epochs, with the DataLoader and with the fast path (one CPU thread).

    Published (CPU, torch 2.13, DataLoader): accuracy 0.8642, >50K F1 0.6903. Tolerances 0.01 and
    0.03 let other torch versions pass; the fast path shuffles differently and must land there too.
    """
    spec = importlib.util.spec_from_file_location("adult_fast_path", ROOT / "benchmarks" / "adult_fast_path.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        X, y, X_test, y_test = bench.load(torch.device("cpu"))
        for train in (bench.train_dataloader, bench.train_sliced):
            model, _ = train(X, y, 10, torch.device("cpu"))
            s = bench.scores(model, X_test, y_test)
            assert abs(s["accuracy"] - 0.8642) <= 0.01, (train.__name__, s)
            assert abs(s["f1"] - 0.6903) <= 0.03, (train.__name__, s)
    finally:
        torch.set_num_threads(before)


def test_a_rule_of_thumb_earns_partial_credit_only():
    """Predictions better than the majority class but below the thresholds: some points, no code."""
    src = """
def fit_predict(train_df, test_df, epochs, seed):
    rich = (test_df["capital-gain"] > 5000) | ((test_df["education-num"] >= 13)
            & (test_df["relationship"].astype(str).isin(["Husband", "Wife"])))
    return torch.tensor(rich.to_numpy(), dtype=torch.long)
"""
    result = nb09.ex4.evaluate(_ns(src, "nb09.ex4")["fit_predict"])
    assert result.status == "partial" and 0 < result.points < nb09.ex4.points, str(result)
    assert result.code is None


def test_predictions_as_numpy_or_subclass_are_refused():
    for body in ("return np.zeros(len(test_df), dtype=np.int64)",
                 "return torch.zeros(len(test_df), dtype=torch.long).as_subclass(Sneaky)"):
        src = f"""
class Sneaky(torch.Tensor):
    def __eq__(self, other):
        return torch.ones_like(other, dtype=torch.bool)


def fit_predict(train_df, test_df, epochs, seed):
    {body}
"""
        result = nb09.ex4.evaluate(_ns(src, "nb09.ex4")["fit_predict"])
        assert not result.passed and result.code == "wrong-type", str(result)


def test_spies_are_removed_even_when_the_student_raises():
    zero_grad, bce = torch.optim.Optimizer.zero_grad, F.binary_cross_entropy_with_logits
    src = """
def fit_predict(train_df, test_df, epochs, seed):
    model = nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    optimizer.zero_grad()
    nn.BCEWithLogitsLoss()(model(torch.zeros(2, 3)), torch.zeros(2, 1)).backward()
    optimizer.step()
    raise RuntimeError("boom")
"""
    result = nb09.ex4.evaluate(_ns(src, "nb09.ex4")["fit_predict"])
    assert result.code == "raised-error", str(result)
    assert torch.optim.Optimizer.zero_grad is zero_grad
    assert F.binary_cross_entropy_with_logits is bce
    assert nn.Module.zero_grad is not None


def test_predict_accepts_logits_above_zero_and_refuses_a_lying_tensor():
    src = """
def predict(model, X):
    model.eval()
    with torch.no_grad():
        return (model(X) > 0).long().view(-1)
"""
    assert nb09.ex3.evaluate(_ns(src, "nb09.ex3")["predict"]).passed
    src = """
class Always(torch.Tensor):
    pass


def predict(model, X):
    model.eval()
    with torch.no_grad():
        return (model(X) > 0).long().view(-1).as_subclass(Always)
"""
    result = nb09.ex3.evaluate(_ns(src, "nb09.ex3")["predict"])
    assert not result.passed and result.code == "wrong-type", str(result)


def test_hidden_preprocessing_message_shows_no_numbers(monkeypatch):
    src = """
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder

def preprocess(train_df, test_df):
    numeric = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
    categorical = [c for c in train_df.columns if c not in numeric]
    prep = ColumnTransformer([("num", "passthrough", numeric),  # not scaled
                              ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical)])
    return (torch.tensor(prep.fit_transform(train_df), dtype=torch.float32),
            torch.tensor(prep.transform(test_df), dtype=torch.float32))
"""
    monkeypatch.setenv("COURSE_SECRET", "india")
    result = nb09.ex1.evaluate(_ns(src, "nb09.ex1")["preprocess"], hidden=True)
    assert not result.passed and result.code == "wrong-values", str(result)
    assert not re.search(r"expected -?\d", result.message), result.message


def test_deep_model_with_functional_dropout_and_training_flag_passes():
    src = """
class DeepIncomePredictor(nn.Module):
    def __init__(self, n_features, activation="relu", dropout=0.0):
        super().__init__()
        self.fc1, self.fc2, self.out = nn.Linear(n_features, 64), nn.Linear(64, 32), nn.Linear(32, 1)
        self.act = {"relu": F.relu, "leaky_relu": F.leaky_relu, "tanh": torch.tanh}[activation]
        self.p = dropout

    def forward(self, x):
        h = F.dropout(self.act(self.fc1(x)), self.p, training=self.training)
        h = F.dropout(self.act(self.fc2(h)), self.p, training=self.training)
        return self.out(h)
"""
    assert nb09.ex5.evaluate(_ns(src, "nb09.ex5")["DeepIncomePredictor"]).passed
