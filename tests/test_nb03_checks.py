"""Notebook 03's checkers beyond the generic proofs: other correct styles pass, look-alike
objects fail, and named mistakes stay silent about hidden values."""

from __future__ import annotations

import io
import itertools
import re
from collections import OrderedDict

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from course.checks import nb03

SECRETS = ["one", "two", "three"]


def _passes(ex, *answers):
    result = ex.evaluate(*answers)
    assert result.passed, str(result)
    result = ex.evaluate(*answers, hidden=True)
    assert result.passed, str(result)


# -- other correct styles --------------------------------------------------------------


class SimpleNetworkFunctional(nn.Module):
    """ReLU as a module attribute (registers no parameters) and F.linear inside nn.Linear."""

    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.layer1 = nn.Linear(n_in, n_hidden)
        self.act = nn.ReLU()
        self.layer2 = nn.Linear(n_hidden, n_out)

    def forward(self, x):
        return self.layer2(self.act(self.layer1(x)))


class MyLinearFLinear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        self.bias = nn.Parameter(torch.empty(out_features))
        k = 1 / in_features**0.5
        nn.init.uniform_(self.weight, -k, k)
        nn.init.uniform_(self.bias, -k, k)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


class MLPAppend(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList()
        for a, b in itertools.pairwise(sizes):
            self.layers.append(nn.Linear(a, b))

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = F.relu(layer(x))
        return self.layers[-1](x)


class RunningCenterReassign(nn.Module):
    """Reassigning a registered buffer name keeps it a buffer."""

    def __init__(self, n_features, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.register_buffer("running_mean", torch.zeros(n_features))
        self.scale = nn.Parameter(torch.ones(n_features))

    def forward(self, x):
        if not self.training:
            return (x - self.running_mean) * self.scale
        m = x.mean(dim=0)
        self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * m.detach()
        return (x - m) * self.scale


def relu_stats_tensors(model, x):
    """Values as one-element tensors, hooks removed in a finally block."""
    stats = {}
    handles = [
        m.register_forward_hook(
            lambda mod, inp, out, n=n: stats.__setitem__(n, [out.mean(), (out == 0).float().mean()])
        )
        for n, m in model.named_modules()
        if isinstance(m, nn.ReLU)
    ]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return stats


def train_and_save_optim(model, x, y, steps, lr):
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        nn.MSELoss()(model(x), y).backward()
        opt.step()
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return buf.getvalue()


def restore_new_dict(data, model):
    state = torch.load(io.BytesIO(data), weights_only=True)
    model.load_state_dict(OrderedDict((k, v.clone()) for k, v in state.items()))
    return model


def to_device_chained(model, x, device):
    return model.to(device), x.to(device=device)


@pytest.mark.parametrize("secret", SECRETS)
def test_other_correct_styles_pass(secret, monkeypatch):
    monkeypatch.setenv("COURSE_SECRET", secret)
    _passes(nb03.ex1, SimpleNetworkFunctional)
    _passes(nb03.ex2, MyLinearFLinear)
    _passes(nb03.ex3, MLPAppend)
    _passes(nb03.ex4, RunningCenterReassign)
    _passes(nb03.ex5, relu_stats_tensors)
    _passes(nb03.ex6, train_and_save_optim, restore_new_dict)
    _passes(nb03.ex7, to_device_chained)


# -- look-alikes and other wrong shapes of answers --------------------------------------


class _Sneaky(torch.Tensor):
    pass


def test_tensor_subclass_from_to_device_fails():
    def to_device(model, x, device):
        return model.to(device), x.to(device).as_subclass(_Sneaky)

    result = nb03.ex7.evaluate(to_device)
    assert not result.passed and result.code == "wrong-type", str(result)


def test_to_device_returning_only_the_model_fails():
    result = nb03.ex7.evaluate(lambda model, x, device: model.to(device))
    assert not result.passed and result.code == "wrong-type", str(result)


def test_restore_without_return_fails_as_wrong_type():
    def restore(data, model):
        model.load_state_dict(torch.load(io.BytesIO(data)))

    train_and_save = nb03_solution_train_and_save
    result = nb03.ex6.evaluate(train_and_save, restore)
    assert not result.passed and result.code == "wrong-type", str(result)


def nb03_solution_train_and_save(model, x, y, steps, lr):
    for _ in range(steps):
        model.zero_grad()
        F.mse_loss(model(x), y).backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return buf.getvalue()


def test_non_persistent_buffer_is_named():
    class NotSaved(RunningCenterReassign):
        def __init__(self, n_features, momentum=0.1):
            nn.Module.__init__(self)
            self.momentum = momentum
            self.register_buffer("running_mean", torch.zeros(n_features), persistent=False)
            self.scale = nn.Parameter(torch.ones(n_features))

    result = nb03.ex4.evaluate(NotSaved)
    assert not result.passed and "state_dict" in result.message, str(result)


def test_bias_missing_in_my_linear_is_reported_by_name():
    class NoBias(nn.Module):
        def __init__(self, in_features, out_features):
            super().__init__()
            k = 1 / in_features**0.5
            self.weight = nn.Parameter(torch.empty(out_features, in_features).uniform_(-k, k))

        def forward(self, x):
            return x @ self.weight.T

    result = nb03.ex2.evaluate(NoBias)
    assert not result.passed and "weight" in result.message and "bias" in result.message, str(result)


def test_hooks_on_linear_layers_are_reported():
    def linear_stats(model, x):
        stats, handles = {}, []
        for name, m in model.named_modules():
            if isinstance(m, nn.Linear):
                handles.append(
                    m.register_forward_hook(
                        lambda mod, inp, out, n=name: stats.__setitem__(n, (out.mean().item(), 0.0))
                    )
                )
        model(x)
        for h in handles:
            h.remove()
        return stats

    result = nb03.ex5.evaluate(linear_stats)
    assert not result.passed and "body.fc1" in result.message, str(result)


# -- hidden cases: the mistake is named, no expected value is shown ------------------------


@pytest.mark.parametrize("secret", SECRETS)
def test_hidden_failures_name_the_mistake_without_values(secret, monkeypatch):
    monkeypatch.setenv("COURSE_SECRET", secret)

    class OffByScale(SimpleNetworkFunctional):
        def forward(self, x):
            return 1.01 * super().forward(x)

    result = nb03.ex1.evaluate(OffByScale, hidden=True)
    assert not result.passed and result.code == "wrong-values"
    assert "not seen" in result.message and not re.search(r"expected -?\d", result.message), result.message

    class PlainList(nn.Module):
        def __init__(self, sizes):
            super().__init__()
            self.layers = [nn.Linear(a, b) for a, b in itertools.pairwise(sizes)]

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    result = nb03.ex3.evaluate(PlainList, hidden=True)
    assert result.code == "plain-list-layers" and not re.search(r"\d", result.message), result.message


def test_the_checker_does_not_keep_hooks_or_move_the_class():
    nb03.ex5.evaluate(relu_stats_tensors)
    nb03.ex7.evaluate(to_device_chained)
    layer = MyLinearFLinear(3, 2)
    assert not layer._forward_hooks and layer.weight.device.type == "cpu"
