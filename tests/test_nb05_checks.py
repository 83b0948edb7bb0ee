"""Notebook 05 checkers: behaviour the generic proofs do not cover."""

from __future__ import annotations

import re

import pytest
import torch
import torch.nn as nn

from course.checking import Judge
from course.checks import nb05
from support import solution_answers, variant_answers
from variants.nb05 import WRONG

SECRETS = [f"s{i}" for i in range(8)]


@pytest.mark.parametrize("ex", [nb05.ex1, nb05.ex3, nb05.ex4, nb05.ex5, nb05.ex6, nb05.ex7], ids=lambda e: e.id)
def test_solution_passes_many_hidden_draws(ex, monkeypatch):
    """The tolerances hold on many hidden cases, not just the two secrets of the proofs."""
    answers = solution_answers(ex)
    for secret in SECRETS:
        monkeypatch.setenv("COURSE_SECRET", secret)
        result = ex.evaluate(*answers, hidden=True)
        assert result.passed, f"{secret}: {result}"


@pytest.mark.parametrize(
    "ex_id,code",
    [("nb05.ex6", "scheduler-per-batch"), ("nb05.ex7", "sweep-shared-model"), ("nb05.ex4", "optimizer-state-not-kept")],
)
def test_mistake_named_on_hidden_cases_without_values(ex_id, code, monkeypatch):
    ex = getattr(nb05, ex_id.split(".")[1])
    source = next(src for c, src in WRONG[ex_id] if c == code)
    for secret in SECRETS[:3]:
        monkeypatch.setenv("COURSE_SECRET", secret)
        result = ex.evaluate(*variant_answers(ex, source), hidden=True)
        assert result.code == code, f"{secret}: {result}"
        assert not re.search(r"expected -?\d", result.message), result.message


def test_losses_as_lookalike_floats_are_refused():
    class Sneaky(float):
        def __eq__(self, other):
            return True

    def train(model, X, y, optimizer, loss_fn, epochs):
        out = []
        for _ in range(epochs):
            optimizer.zero_grad()
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.step()
            out.append(Sneaky(loss.item()))
        return out

    result = nb05.ex1.check(train)
    assert not result.passed and result.code == "wrong-type", str(result)


def test_detached_tensor_losses_are_a_type_error_not_a_graph_leak():
    def train(model, X, y, optimizer, loss_fn, epochs):
        out = []
        for _ in range(epochs):
            optimizer.zero_grad()
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.step()
            out.append(loss.detach())
        return out

    result = nb05.ex1.check(train)
    assert result.code == "wrong-type" and ".item()" in (result.hint or ""), str(result)


def test_optimizer_built_first_is_seen_on_meta():
    """The check relies on a move to "meta" creating new Parameter objects; prove it still does."""
    model = nn.Linear(2, 1)
    before = model.weight
    model.to("meta")
    assert model.weight is not before and before.device.type == "cpu"


def test_sweep_reference_matches_a_real_training_loop():
    """The fast float64 reference of exercise 7 agrees with nn.Linear + optim.SGD in float32."""
    import torch.nn.functional as F

    for case in nb05.ex7.make_cases(hidden=False) + nb05.ex7.make_cases(hidden=True, secret="x"):
        finals = []
        for lr in case["lrs"]:
            model = nb05._linear(case["w0"], case["b0"])
            opt = torch.optim.SGD(model.parameters(), lr=lr)
            for _ in range(case["steps"]):
                opt.zero_grad()
                loss = F.mse_loss(model(case["X"]), case["y"])
                loss.backward()
                opt.step()
            finals.append(loss.item())
        got = torch.tensor(finals, dtype=torch.float64)
        assert nb05._same_finals(Judge(), got, nb05._sweep(case))
