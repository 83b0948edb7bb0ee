"""Notebook 10 checkers: behaviour the generic proofs do not cover.

The generic proofs (tests/test_exercise_proofs.py) show the solution passing, the blank
failing, each wrong answer named on the visible case and a hard-coded copy failing hidden.
Here: the first wrong answer of each exercise is the notebook's own broken script; the
wrong answers lose points on hidden cases too, named the same way; other correct fixes
earn full marks; the premise of ex9's check holds in this torch.
"""

from __future__ import annotations

import json
import re

import pytest
import torch
import torch.nn as nn

from course.checks import nb10
from course.env import new_parameters_on_move
from support import SOLUTIONS, variant_answers
from variants.nb10 import WRONG

SECRETS = ["alpha", "bravo", "charlie"]
EXERCISES = sorted(WRONG, key=lambda ex_id: int(ex_id.split("ex")[1]))


def _exercise(ex_id):
    return getattr(nb10, ex_id.split(".")[1])


def _lesson_code() -> list[str]:
    nb = json.loads((SOLUTIONS / "10_debugging.ipynb").read_text())
    return [
        "".join(c["source"])
        for c in nb["cells"]
        if c["cell_type"] == "code" and not c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    ]


@pytest.mark.parametrize("ex_id", EXERCISES)
def test_first_wrong_answer_is_the_notebooks_broken_script(ex_id):
    """So the unfixed script, exactly as the notebook runs it, is proven to fail with its code."""
    code, source = WRONG[ex_id][0]
    assert any(source.strip() in cell for cell in _lesson_code()), (
        f"{ex_id}: the first wrong answer [{code}] is not the broken script shown in the notebook"
    )


@pytest.mark.parametrize(
    "ex_id,code,source",
    [(e, c, s) for e in EXERCISES for c, s in WRONG[e]],
    ids=[f"{e}-{c}-{i}" for e in EXERCISES for i, (c, _) in enumerate(WRONG[e])],
)
def test_wrong_answer_loses_points_on_hidden_cases_named_the_same(ex_id, code, source, monkeypatch):
    ex = _exercise(ex_id)
    for secret in SECRETS:
        monkeypatch.setenv("COURSE_SECRET", secret)
        result = ex.evaluate(*variant_answers(ex, source), hidden=True)
        assert result.points < ex.points and result.code == code, f"{secret}: {result}"
        assert not re.search(r"expected -?\d", result.message), result.message


_OTHER_FIXES = {
    "nb10.ex1": """
def accuracy(logits, y):
    return ((logits.argmax(dim=1) == y).sum() / len(y)).item()
""",
    "nb10.ex2": """
def to_features(x):
    return x.permute(0, 2, 1).contiguous().view(x.shape[0], -1)
""",
    "nb10.ex3": """
def train_line(model, X, y, lr, steps):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        loss = F.mse_loss(model(X), y)
        loss.backward()
        optimizer.step()
        model.zero_grad()
        losses.append(loss.item())
    return losses
""",
    "nb10.ex4": """
class BinaryNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(2, 32)
        self.out = nn.Linear(32, 1)

    def forward(self, x):
        return self.out(torch.tanh(self.hidden(x)))


def predict(model, X):
    with torch.no_grad():
        return (model(X) > 0).long().reshape(-1)
""",
    "nb10.ex5": """
class ClassNet(nn.Module):
    def __init__(self, n_classes=3):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, n_classes), nn.LogSoftmax(dim=1))

    def forward(self, x):
        return self.layers(x)
""",
    "nb10.ex6": """
def class_proba(model, X):
    return torch.softmax(model(X).detach(), dim=-1)
""",
    "nb10.ex7": """
def evaluate(model, X, y):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits = model(X)
    model.train(was_training)
    return F.cross_entropy(logits, y).item(), (logits.argmax(dim=1) == y).float().mean().item()
""",
    "nb10.ex8": """
def split_and_standardise(X, y, seed):
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(X), generator=gen)
    n_test = len(X) // 5
    train = X[perm[n_test:]]
    mean, std = train.mean(dim=0, keepdim=True), train.std(dim=0, unbiased=False, keepdim=True)
    return (train - mean) / std, y[perm[n_test:]], (X[perm[:n_test]] - mean) / std, y[perm[:n_test]]
""",
    "nb10.ex9": """
def train_on(make_model, X, y, device, steps, lr):
    model = make_model()
    model.to(device)
    optimizer = torch.optim.SGD(list(model.parameters()), lr=lr)
    losses = []
    for step in range(steps):
        optimizer.zero_grad(set_to_none=True)
        loss = ((model(X.to(device)) - y.to(device)) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    return model, losses
""",
    "nb10.ex10": """
def train_scheduled(model, batches, epochs, lr):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    history = []
    for epoch in range(epochs):
        losses = []
        for X, y in batches:
            optimizer.zero_grad()
            loss = F.mse_loss(model(X), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        history.append(sum(losses) / len(losses))
        scheduler.step()
    return history
""",
}


@pytest.mark.parametrize("ex_id", EXERCISES)
def test_other_correct_fixes_earn_full_marks(ex_id, monkeypatch):
    ex = _exercise(ex_id)
    answers = variant_answers(ex, _OTHER_FIXES[ex_id])
    assert ex.evaluate(*answers).passed
    for secret in SECRETS:
        monkeypatch.setenv("COURSE_SECRET", secret)
        result = ex.evaluate(*answers, hidden=True)
        assert result.passed and result.points == ex.points, f"{secret}: {result}"


def test_to_makes_new_parameters_only_inside_the_block():
    """ex9's check relies on .to() replacing the Parameter objects inside new_parameters_on_move."""
    model = nn.Linear(2, 1)
    before = model.weight
    model.to("cpu")
    assert model.weight is before
    with new_parameters_on_move():
        model.to("cpu")
    assert model.weight is not before
    after = model.weight
    with pytest.raises(RuntimeError), new_parameters_on_move():
        raise RuntimeError("the student's code failed")
    model.to("cpu")
    assert model.weight is after and not torch.__future__.get_overwrite_module_params_on_conversion()


def test_loss_floors_of_the_named_mistakes_lie_above_the_bars():
    """The bars of ex4 and ex5 sit below the lowest loss that a sigmoid or softmax before the loss
    allows: softplus(-1) for a sample of class 1, log(1 + (C - 1) / e) for C >= 3 classes."""
    assert nb10.BINARY_LOSS_BAR < float(nn.functional.softplus(torch.tensor(-1.0))) - 0.1
    assert nb10.CLASSES_LOSS_BAR < float(torch.log(torch.tensor(1 + 2 / torch.e))) - 0.1
