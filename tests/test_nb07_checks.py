"""Project 07 checkers: behaviour grading accepts any correct approach and names mistakes
without showing hidden expected values."""

from __future__ import annotations

import re

import torch

from course.checks import nb07
from support import namespace_from


def _closed_form(x, y, lr, epochs):
    """Least squares in closed form, with a decreasing loss curve: a correct fit, no loop."""
    A = torch.stack([x, torch.ones_like(x)], dim=1).double()
    w, b = torch.linalg.lstsq(A, y.double().unsqueeze(1)).solution.reshape(-1).tolist()
    final = float(((A @ torch.tensor([[w], [b]], dtype=torch.float64)).squeeze(1) - y.double()).pow(2).mean())
    return w, b, [final + 1.0 / (t + 1) for t in range(epochs)]


def test_fit_line_accepts_any_correct_fit(monkeypatch):
    assert nb07.ex3.evaluate(_closed_form).passed
    for secret in ("alpha", "bravo", "charlie", "delta"):
        monkeypatch.setenv("COURSE_SECRET", secret)
        assert nb07.ex3.evaluate(_closed_form, hidden=True).passed


def test_fit_line_raw_tensors_pass(monkeypatch):
    src = """
def fit_line(x, y, lr, epochs):
    w = torch.randn(1, requires_grad=True)
    b = torch.randn(1, requires_grad=True)
    losses = []
    for _ in range(epochs):
        loss = ((w * x + b - y) ** 2).mean()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = None
        b.grad = None
    return w.item(), b.item(), losses
"""
    fit = namespace_from(src, "nb07.ex3")["fit_line"]
    monkeypatch.setenv("COURSE_SECRET", "echo")
    assert nb07.ex3.evaluate(fit, hidden=True).passed


def test_hidden_messages_name_the_mistake_without_numbers(monkeypatch):
    src = """
def fit_line(x, y, lr, epochs):
    w = torch.zeros(1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for _ in range(epochs):
        loss = ((w * x + b - y) ** 2).mean()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            w -= lr / 100 * w.grad
            b -= lr / 100 * b.grad
            w.grad.zero_()
            b.grad.zero_()
    return w.item(), b.item(), losses
"""
    fit = namespace_from(src, "nb07.ex3")["fit_line"]
    monkeypatch.setenv("COURSE_SECRET", "foxtrot")
    result = nb07.ex3.evaluate(fit, hidden=True)
    assert not result.passed and result.code == "wrong-values"
    assert "got w=" not in result.message and "slope" not in result.message
    assert not re.search(r"expected -?\d", result.message)


def test_diverging_learning_rate_is_named():
    def fit(x, y, lr, epochs):
        return nb07_solution_like(x, y, 2.5, epochs)
    result = nb07.ex3.evaluate(fit)
    assert result.code == "lr-diverges", str(result)


def nb07_solution_like(x, y, lr, epochs):
    w = torch.zeros(1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for _ in range(epochs):
        loss = ((w * x + b - y) ** 2).mean()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
    return w.item(), b.item(), losses
