"""Notebook 04 checkers: behaviour the generic proofs do not cover."""

from __future__ import annotations

import re

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from course.checks import nb04
from support import solution_answers

SECRETS = ["alpha", "bravo", "charlie", "delta"]


class Sneaky(torch.Tensor):
    """A tensor subclass: no check may accept it."""


def test_tensor_subclass_is_refused():
    (bce,) = solution_answers(nb04.ex4)
    result = nb04.ex4.evaluate(lambda z, y: bce(z, y).as_subclass(Sneaky))
    assert not result.passed and result.code == "wrong-type", str(result)


@pytest.mark.parametrize("secret", SECRETS)
def test_broadcast_warning_is_named_in_hidden_mode_without_numbers(secret, monkeypatch):
    monkeypatch.setenv("COURSE_SECRET", secret)
    result = nb04.ex3.evaluate(
        lambda pred, y, w: (w * F.mse_loss(pred, y, reduction="none")).sum() / w.sum(), hidden=True
    )
    assert result.code == "target-shape-n-vs-n1", str(result)
    assert not re.search(r"expected -?\d", result.message), result.message


def test_squeeze_without_dim_is_caught_by_the_warning_at_batch_size_one():
    """pred.squeeze() turns (1, 1) into (); PyTorch warns, and the checker names it."""
    case = {"pred": torch.tensor([[0.5]], requires_grad=True), "y": torch.tensor([2.0]), "w": torch.tensor([1.0])}
    outcome = nb04.ex3.collect((lambda pred, y, w: F.mse_loss(pred.squeeze(), y),), [case])
    result = nb04.ex3.decide([case], outcome, hidden=True)
    assert result.code == "target-shape-n-vs-n1", str(result)


def test_two_logits_for_binary_is_a_task_mismatch():
    def head_and_loss(task, in_features, n):
        if task == "binary":
            return nn.Linear(in_features, 2), nn.BCEWithLogitsLoss()
        return solution_answers(nb04.ex8)[0](task, in_features, n)

    result = nb04.ex8.evaluate(head_and_loss)
    assert result.code == "loss-task-mismatch", str(result)


def test_log_softmax_with_nll_is_named_as_softmax_before_the_loss():
    def head_and_loss(task, in_features, n):
        if task == "multiclass":
            return nn.Sequential(nn.Linear(in_features, n), nn.LogSoftmax(dim=1)), nn.NLLLoss()
        return solution_answers(nb04.ex8)[0](task, in_features, n)

    result = nb04.ex8.evaluate(head_and_loss)
    assert result.code == "softmax-before-ce", str(result)


def test_checker_does_not_train_or_keep_the_students_modules():
    made = []

    def head_and_loss(task, in_features, n):
        head, loss = solution_answers(nb04.ex8)[0](task, in_features, n)
        made.append((head, [p.detach().clone() for p in head.parameters()]))
        return head, loss

    assert nb04.ex8.evaluate(head_and_loss).passed
    for head, before in made:
        assert all(torch.equal(p, b) for p, b in zip(head.parameters(), before, strict=True))
        assert all(p.grad is None for p in head.parameters())


@pytest.mark.parametrize("secret", SECRETS)
def test_hidden_extremes_break_the_naive_forms(secret, monkeypatch):
    """Every hidden case of ex4 and ex6 holds a logit large enough to break the naive formula."""
    monkeypatch.setenv("COURSE_SECRET", secret)
    for case in nb04.ex4.make_cases(hidden=True):
        p = torch.sigmoid(case["z"])
        naive = -(case["y"] * torch.log(p) + (1 - case["y"]) * torch.log(1 - p)).mean()
        assert not torch.isfinite(naive)
    for case in nb04.ex6.make_cases(hidden=True):
        p = torch.softmax(case["logits"], dim=1)
        naive = -torch.log(p[torch.arange(len(case["target"])), case["target"]]).mean()
        assert not torch.isfinite(naive)
