"""Notebook 02's checkers beyond the generic proofs: other correct styles pass, the
reference numbers of the syllabus hold, and named mistakes stay silent about hidden values."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course.checks import nb02


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_reference_step_matches_the_syllabus():
    p = np.array(nb02.REFERENCE_PARAMS)
    a1, a2, grads, _ = nb02._network(torch.tensor(p), nb02.REFERENCE_X, nb02.REFERENCE_Y)
    assert round(a2, 4) == 0.8506
    new = p - nb02.REFERENCE_LR * grads.numpy()
    assert np.round(new, 4).tolist() == [1.5814, -0.1383, 2.4529, -0.1062]
    half = p - nb02.REFERENCE_LR * nb02._network(torch.tensor(p), 0.8, 1.0, half=True)[2].numpy()
    assert np.round(half, 4).tolist() == [1.5807, -0.1391, 2.4514, -0.1081]
    new_a2 = _sigmoid(new[2] * _sigmoid(new[0] * 0.8 + new[1]) + new[3])
    assert round(float(new_a2), 4) == 0.8515


def test_sigmoid_gradient_reference():
    t = torch.tensor(0.8762, requires_grad=True)  # float32, as the syllabus value
    s = torch.sigmoid(t)
    s.backward()
    assert round(t.grad.item(), 8) == 0.20754991
    assert abs(t.grad.item() - (s * (1 - s)).item()) < 1e-7


def torch_step_float32_leaves(p, x, y, lr):
    w1, b1, w2, b2 = (torch.tensor(float(v), requires_grad=True) for v in p)
    a2 = torch.sigmoid(w2 * torch.sigmoid(w1 * x + b1) + b2)
    torch.nn.MSELoss()(a2, torch.tensor(y)).backward()
    with torch.no_grad():
        for q in (w1, b1, w2, b2):
            q -= lr * q.grad
    return np.array([q.item() for q in (w1, b1, w2, b2)], dtype=np.float32)


def sgd_step_with_data(params, lr):
    for p in params:
        p.data -= lr * p.grad
        p.grad.zero_()


@pytest.mark.parametrize("secret", ["one", "two", "three"])
def test_other_correct_styles_pass(secret, monkeypatch):
    monkeypatch.setenv("COURSE_SECRET", secret)
    for ex, answer in ((nb02.ex8, torch_step_float32_leaves), (nb02.ex3, sgd_step_with_data)):
        assert ex.evaluate(answer).passed, str(ex.evaluate(answer))
        assert ex.evaluate(answer, hidden=True).passed, str(ex.evaluate(answer, hidden=True))


def test_tensor_subclass_is_not_accepted():
    class Sneaky(torch.Tensor):
        pass

    def accumulated_grad(x0, powers):
        return torch.tensor(16.0).as_subclass(Sneaky)

    result = nb02.ex2.evaluate(accumulated_grad)
    assert not result.passed and result.code == "wrong-type"


def test_named_mistake_in_hidden_mode_shows_no_numbers(monkeypatch):
    monkeypatch.setenv("COURSE_SECRET", "hidden")

    def gradients(p, x, y):
        w1, b1, w2, b2 = p
        a1 = _sigmoid(w1 * x + b1)
        a2 = _sigmoid(w2 * a1 + b2)
        delta2 = (a2 - y) * a2 * (1 - a2)
        delta1 = delta2 * w2 * a1 * (1 - a1)
        return np.array([delta1 * x, delta1, delta2 * a1, delta2])

    result = nb02.ex6.evaluate(gradients, hidden=True)
    assert result.code == "mse-half-factor"
    assert not re.search(r"\d\.\d", result.message)


def test_accumulation_example_of_the_notebook():
    x = torch.tensor(2.0, requires_grad=True)
    (x**2).backward()
    (x**3).backward()
    assert x.grad.item() == 16.0
    assert F.mse_loss(torch.tensor(0.5), torch.tensor(1.0)).item() == 0.25  # no 1/2 factor
