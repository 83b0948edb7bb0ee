"""Project 08 checkers: other correct approaches pass, the bridge demands float64 copies."""

from __future__ import annotations

from course.checks import nb08
from support import namespace_from


def test_train_xor_with_manual_sigmoid_and_bce_passes(monkeypatch):
    """A correct loop written differently (sigmoid + BCELoss, manual update) is accepted."""
    src = """
def train_xor(model, X, y, lr, epochs):
    losses = []
    for _ in range(epochs):
        loss = F.binary_cross_entropy(torch.sigmoid(model(X)), y)
        losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
    return losses
"""
    train = namespace_from(src, "nb08.ex2")["train_xor"]
    assert nb08.ex2.evaluate(train).passed
    monkeypatch.setenv("COURSE_SECRET", "golf")
    assert nb08.ex2.evaluate(train, hidden=True).passed


def test_float32_twin_is_refused():
    src = """
def torch_step_from_numpy(net, X, y, lr):
    d1, d2 = net.layers[0], net.layers[2]
    model = nn.Sequential(nn.Linear(*d1.W.shape), nn.ReLU(), nn.Linear(*d2.W.shape))
    with torch.no_grad():
        for linear, dense in ((model[0], d1), (model[2], d2)):
            linear.weight.copy_(torch.from_numpy(dense.W.T))
            linear.bias.copy_(torch.from_numpy(dense.b))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    optimizer.zero_grad()
    nn.BCEWithLogitsLoss()(model(torch.from_numpy(X).float()), torch.from_numpy(y).float()).backward()
    optimizer.step()
    return model
"""
    result = nb08.ex7.evaluate(namespace_from(src, "nb08.ex7")["torch_step_from_numpy"])
    assert not result.passed and result.code in ("wrong-dtype", "float64-not-float32"), str(result)


def test_square_layer_left_untransposed_is_named(monkeypatch):
    src = """
def linear_from_dense(dense):
    n_in, n_out = dense.W.shape
    linear = nn.Linear(n_in, n_out).double()
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(dense.W).reshape(n_out, n_in))
        linear.bias.copy_(torch.from_numpy(dense.b))
    return linear
"""
    f = namespace_from(src, "nb08.ex6")["linear_from_dense"]
    monkeypatch.setenv("COURSE_SECRET", "hotel")
    result = nb08.ex6.evaluate(f, hidden=True)
    assert not result.passed
