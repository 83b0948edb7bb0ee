"""The NumPy reference framework (course.numpy_nn): gradients proven two ways.

Against central finite differences (the framework is right on its own terms), and
against PyTorch autograd from the same weights (the bridge of notebook 08 holds).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn

from course.numpy_nn import BCE, MSE, Dense, Network, ReLU, Sigmoid, train


def _net(seed=0, hidden=3, out_act=True):
    layers = [Dense(2, hidden, seed=seed), ReLU(), Dense(hidden, 1, seed=seed + 1)]
    return Network(layers + ([Sigmoid()] if out_act else []))


def _data(seed=0, n=8):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = (rng.uniform(size=(n, 1)) > 0.5).astype(float)
    return X, y


def _loss_of(net, loss, X, y):
    return loss.forward(net.forward(X), y)


@pytest.mark.parametrize("loss_cls,out_act", [(BCE, True), (MSE, False), (MSE, True)])
def test_gradients_match_finite_differences(loss_cls, out_act):
    X, y = _data(1)
    net, loss = _net(2, hidden=4, out_act=out_act), loss_cls()
    loss.forward(net.forward(X), y)
    net.backward(loss.backward())
    h = 1e-6
    for p, g in net.params():
        g = g.copy()
        numeric = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + h
            up = _loss_of(net, loss, X, y)
            p[idx] = old - h
            down = _loss_of(net, loss, X, y)
            p[idx] = old
            numeric[idx] = (up - down) / (2 * h)
        np.testing.assert_allclose(g, numeric, atol=1e-7, rtol=1e-5)


def _torch_twin(net):
    d1, d2 = net.layers[0], net.layers[2]
    model = nn.Sequential(nn.Linear(*d1.W.shape), nn.ReLU(), nn.Linear(*d2.W.shape)).double()
    with torch.no_grad():
        for lin, dense in ((model[0], d1), (model[2], d2)):
            lin.weight.copy_(torch.from_numpy(dense.W.T))
            lin.bias.copy_(torch.from_numpy(dense.b))
    return model


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_step_matches_pytorch(seed):
    """Same weights: same loss, same gradients, same weights after one SGD step (1e-6)."""
    X, y = _data(seed, n=4)
    net = _net(seed, hidden=3)
    model = _torch_twin(net)
    lr = 0.1
    np_loss = BCE()
    loss_np = np_loss.forward(net.forward(X), y)
    net.backward(np_loss.backward())
    grads_np = [g.copy() for _, g in net.params()]
    net.sgd_step(lr)

    opt = torch.optim.SGD(model.parameters(), lr=lr)
    opt.zero_grad()
    loss_t = nn.BCEWithLogitsLoss()(model(torch.from_numpy(X)), torch.from_numpy(y))
    loss_t.backward()
    grads_t = [p.grad.clone() for p in model.parameters()]
    opt.step()

    assert abs(loss_np - loss_t.item()) < 1e-9
    pairs = [
        (grads_np[0], grads_t[0].T),
        (grads_np[1], grads_t[1]),
        (grads_np[2], grads_t[2].T),
        (grads_np[3], grads_t[3]),
    ]
    for g_np, g_t in pairs:
        np.testing.assert_allclose(g_np, g_t.numpy(), atol=1e-9)
    after = [model[0].weight.T, model[0].bias, model[2].weight.T, model[2].bias]
    for (p, _), p_t in zip(net.params(), after, strict=True):
        np.testing.assert_allclose(p, p_t.detach().numpy(), atol=1e-9)


def test_mse_matches_pytorch():
    rng = np.random.default_rng(3)
    pred, target = rng.normal(size=(5, 1)), rng.normal(size=(5, 1))
    loss = MSE()
    value = loss.forward(pred, target)
    p = torch.tensor(pred, requires_grad=True)
    ref = nn.MSELoss()(p, torch.tensor(target))
    ref.backward()
    assert abs(value - ref.item()) < 1e-12
    np.testing.assert_allclose(loss.backward(), p.grad.numpy(), atol=1e-12)


def test_losses_refuse_mismatched_shapes():
    with pytest.raises(ValueError):
        MSE().forward(np.zeros((4, 1)), np.zeros(4))
    with pytest.raises(ValueError):
        BCE().forward(np.full((4, 1), 0.5), np.zeros(4))


def test_training_learns_xor_and_save_load_round_trips(tmp_path):
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    net = Network([Dense(2, 8, seed=0), ReLU(), Dense(8, 1, seed=1), Sigmoid()])
    losses = train(net, BCE(), X, y, lr=0.5, epochs=2000)
    assert losses[-1] < losses[0] and losses[-1] < 0.05
    assert ((net.forward(X) > 0.5) == (y > 0.5)).all()
    net.save(tmp_path / "xor.npz")
    other = Network([Dense(2, 8, seed=5), ReLU(), Dense(8, 1, seed=6), Sigmoid()])
    other.load(tmp_path / "xor.npz")
    np.testing.assert_array_equal(other.forward(X), net.forward(X))
    assert set(net.state()) == {"0.W", "0.b", "2.W", "2.b"}


def test_dense_stores_in_out():
    d = Dense(2, 5, seed=0)
    assert d.W.shape == (2, 5) and d.b.shape == (5,)
    assert np.abs(d.W).max() <= 1 / np.sqrt(2)
