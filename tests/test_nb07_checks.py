"""Project 07 checkers beyond the generic proofs: other correct methods pass, the named
mistakes stay named on hidden cases without showing expected values, and the theory the
noise-floor exercise is judged against holds."""

from __future__ import annotations

import math
import re

import torch

from course.checks import nb07
from support import namespace_from

SECRETS = ["alpha", "bravo", "charlie"]


def _ns(src, ex_id):
    from variants.nb07 import SETUP

    return namespace_from(SETUP.get(ex_id, "") + "\n" + src, ex_id)


def _design(features):
    return torch.cat([features, torch.ones(len(features), 1)], dim=1)


def _qr(features, y):
    Q, R = torch.linalg.qr(_design(features))
    c = torch.linalg.solve_triangular(R, (Q.T @ y).unsqueeze(1), upper=True).squeeze(1)
    return c[:-1], c[-1]


def _normal_equations_float64(features, y):
    A = _design(features).double()
    c = torch.linalg.solve(A.T @ A, A.T @ y.double())
    return c[:-1].float(), float(c[-1])


def test_least_squares_accepts_other_correct_methods(monkeypatch):
    for method in (_qr, _normal_equations_float64):
        assert nb07.ex1.evaluate(method).passed, method.__name__
        for secret in SECRETS:
            monkeypatch.setenv("COURSE_SECRET", secret)
            result = nb07.ex1.evaluate(method, hidden=True)
            assert result.passed, (method.__name__, secret, str(result))


def test_gradient_descent_is_not_a_closed_form():
    """A few hundred epochs of gradient descent do not reach the optimum: named by value, no code."""

    def by_descent(features, y):
        A = _design(features)
        c = torch.zeros(A.shape[1], requires_grad=True)
        for _ in range(300):
            loss = ((A @ c - y) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                c -= 0.2 * c.grad
                c.grad = None
        return c.detach()[:-1], c.detach()[-1].item()

    result = nb07.ex1.evaluate(by_descent)
    assert not result.passed and result.code in ("wrong-values", "normal-equations-float32"), str(result)


def test_stable_lr_hidden_message_shows_no_number(monkeypatch):
    def off(features):
        A = _design(features)
        return 1.5 / torch.linalg.eigvalsh(2 * A.T @ A / len(A))[-1].item()

    monkeypatch.setenv("COURSE_SECRET", "delta")
    result = nb07.ex2.evaluate(off, hidden=True)
    assert not result.passed and result.code == "wrong-values", str(result)
    assert "got" not in result.message and not re.search(r"\d\.\d{3}", result.message), result.message


def test_stable_lr_is_where_gradient_descent_turns():
    """The checker's limit is the real one: just below it the loss falls, just above it grows."""
    gen = torch.Generator().manual_seed(3)
    features = torch.randn(40, 2, generator=gen) + 1
    y = features @ torch.tensor([2.0, -1.0]) + 0.3 * torch.randn(40, generator=gen)
    A = _design(features).double()
    limit = 1.0 / float(torch.linalg.eigvalsh(A.T @ A / len(A))[-1])

    def final_loss(lr):
        c = torch.zeros(3, dtype=torch.float64)
        for _ in range(400):
            c = c - lr * 2 * A.T @ (A @ c - y.double()) / len(A)
        return float(((A @ c - y.double()) ** 2).mean())

    assert final_loss(0.98 * limit) < 1.0 < final_loss(1.02 * limit)


def test_poly_errors_in_float64_pass(monkeypatch):
    src = """
def poly_errors(x_train, y_train, x_val, y_val, degree):
    def design(x):
        x = x.double()
        return torch.stack([x ** k for k in range(degree + 1)], dim=1)   # constant column included
    c = torch.linalg.pinv(design(x_train)) @ y_train.double()
    return (((design(x_train) @ c - y_train) ** 2).mean().item(),
            ((design(x_val) @ c - y_val) ** 2).mean().item())
"""
    fn = _ns(src, "nb07.ex3")["poly_errors"]
    assert nb07.ex3.evaluate(fn).passed
    for secret in SECRETS:
        monkeypatch.setenv("COURSE_SECRET", secret)
        assert nb07.ex3.evaluate(fn, hidden=True).passed, secret


def test_noise_floor_theory_matches_a_large_simulation():
    """E[train] = sigma^2 (1 - p/n), E[new] = sigma^2 (1 + p/n), and the standard deviations of
    single trials, against 20,000 trials (the judge relies on all four)."""
    n, sigma, degree, trials = 15, 0.7, 4, 20_000
    gen = torch.Generator().manual_seed(11)
    x = torch.linspace(-1, 1, n, dtype=torch.float64)
    A = torch.cat([nb07.poly_features(x, degree), torch.ones(n, 1, dtype=torch.float64)], dim=1)
    Y = sigma * torch.randn(trials, n, generator=gen, dtype=torch.float64)
    Y_new = sigma * torch.randn(trials, n, generator=gen, dtype=torch.float64)
    fitted = (A @ torch.linalg.lstsq(A, Y.T).solution).T
    train, new = ((fitted - Y) ** 2).mean(dim=1), ((fitted - Y_new) ** 2).mean(dim=1)
    e_train, e_new = nb07.expected_errors(n, sigma, degree)
    s_train, s_new = nb07._standard_deviations(n, sigma, degree)
    se = math.sqrt(trials)
    assert abs(float(train.mean()) - e_train) < 4 * s_train / se
    assert abs(float(new.mean()) - e_new) < 4 * s_new / se
    assert abs(float(train.std()) / s_train - 1) < 0.03
    assert abs(float(new.std()) / s_new - 1) < 0.03


def test_noise_floor_loop_over_trials_passes(monkeypatch):
    src = """
def noise_floor(n, sigma, degree, trials, generator):
    x = torch.linspace(-1, 1, n)
    train, new = [], []
    for _ in range(trials):
        y = 4 * x + 5.5 + sigma * torch.randn(n, generator=generator)
        w, b = least_squares(poly_features(x, degree), y)
        fitted = poly_features(x, degree) @ w + b
        y_new = 4 * x + 5.5 + sigma * torch.randn(n, generator=generator)
        train.append(((fitted - y) ** 2).mean().item())
        new.append(((fitted - y_new) ** 2).mean().item())
    return torch.tensor(train), torch.tensor(new)
"""
    fn = _ns(src, "nb07.ex4")["noise_floor"]
    assert nb07.ex4.evaluate(fn).passed
    monkeypatch.setenv("COURSE_SECRET", "echo")
    assert nb07.ex4.evaluate(fn, hidden=True).passed


def test_noise_floor_hidden_failure_shows_no_means(monkeypatch):
    src = """
def noise_floor(n, sigma, degree, trials, generator):
    x = torch.linspace(-1, 1, n)
    A = torch.cat([poly_features(x, degree + 2), torch.ones(n, 1)], dim=1)   # two powers too many
    Y = 4 * x + 5.5 + sigma * torch.randn(trials, n, generator=generator)
    Y_new = 4 * x + 5.5 + sigma * torch.randn(trials, n, generator=generator)
    fitted = (A @ torch.linalg.lstsq(A, Y.T).solution).T
    return ((fitted - Y) ** 2).mean(dim=1), ((fitted - Y_new) ** 2).mean(dim=1)
"""
    fn = _ns(src, "nb07.ex4")["noise_floor"]
    monkeypatch.setenv("COURSE_SECRET", "foxtrot")
    result = nb07.ex4.evaluate(fn, hidden=True)
    assert not result.passed and result.code == "wrong-values", str(result)
    assert "train 0." not in result.message and "new 0." not in result.message, result.message


def test_off_by_one_powers_on_a_line_are_named(monkeypatch):
    """Degree 1 with the powers off by one is a constant fit (degree 0): named, not a crash."""
    src = """
def poly_errors(x_train, y_train, x_val, y_val, degree):
    def powers(x):
        return torch.stack([x ** k for k in range(degree)], dim=1)
    w, b = least_squares(powers(x_train), y_train)
    return (((powers(x_train) @ w + b - y_train) ** 2).mean().item(),
            ((powers(x_val) @ w + b - y_val) ** 2).mean().item())
"""
    fn = _ns(src, "nb07.ex3")["poly_errors"]
    case = dict(nb07.ex3.make_cases(hidden=False)[0], degree=1)
    result = nb07.ex3.decide([case], nb07.ex3.collect((fn,), [case]), hidden=False)
    assert not result.passed and result.code == "poly-degree-off-by-one", str(result)
