"""A tiny neural-network framework in NumPy: the reference for the bridge to PyTorch.

This is the kind of framework students build by hand before the course: layers with a
``forward`` and a ``backward``, a loss, a training loop, a plain SGD update, save and
load. Notebook 08 maps each piece to its PyTorch counterpart and proves that, from the
same initial weights, both compute the same gradients and the same weights after a step.

Conventions (the ones most hand-written frameworks use, and where PyTorch differs):

- A batch is a 2-D array of shape ``(N, features)``, one sample per row.
- :class:`Dense` stores its weight as ``(n_in, n_out)`` and computes ``x @ W + b``.
  ``nn.Linear`` stores ``(out_features, in_features)`` and computes ``x @ W.T + b``:
  copy ``W.T`` into ``linear.weight`` (misconception ``weights-transposed-bridge``).
- Every array is float64 (NumPy's default); PyTorch models default to float32.
- ``backward(grad)`` receives dLoss/dOutput and returns dLoss/dInput; layers with
  parameters keep their gradients in ``dW`` and ``db`` until the next backward.

Example, XOR with a 2-3-1 network::

    net = Network([Dense(2, 3, seed=0), ReLU(), Dense(3, 1, seed=1), Sigmoid()])
    losses = train(net, BCE(), X, y, lr=0.1, epochs=3000)
"""

from __future__ import annotations

import numpy as np

__all__ = ["Dense", "ReLU", "Sigmoid", "MSE", "BCE", "Network", "train"]


class Dense:
    """A fully connected layer: ``y = x @ W + b`` with ``W`` of shape ``(n_in, n_out)``.

    The initial weights are uniform in ``[-1/sqrt(n_in), 1/sqrt(n_in)]`` (the range that
    ``nn.Linear`` uses too), drawn from ``np.random.default_rng(seed)``; biases too.
    """

    def __init__(self, n_in: int, n_out: int, seed: int | None = None):
        rng = np.random.default_rng(seed)
        bound = 1.0 / np.sqrt(n_in)
        self.W = rng.uniform(-bound, bound, size=(n_in, n_out))
        self.b = rng.uniform(-bound, bound, size=(n_out,))
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self._x = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x  # kept for backward
        return x @ self.W + self.b

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """Store dL/dW and dL/db; return dL/dx."""
        self.dW = self._x.T @ grad
        self.db = grad.sum(axis=0)
        return grad @ self.W.T

    def params(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(parameter, gradient) pairs, updated in place by :meth:`Network.sgd_step`."""
        return [(self.W, self.dW), (self.b, self.db)]

    def __repr__(self) -> str:
        return f"Dense({self.W.shape[0]}, {self.W.shape[1]})"


class ReLU:
    """max(0, x); its derivative is 1 where x > 0 and 0 elsewhere."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._mask = x > 0
        return np.where(self._mask, x, 0.0)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * self._mask

    def params(self) -> list:
        return []

    def __repr__(self) -> str:
        return "ReLU()"


class Sigmoid:
    """1 / (1 + exp(-x)); its derivative is s (1 - s) with s the output."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._s = 1.0 / (1.0 + np.exp(-x))
        return self._s

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * self._s * (1.0 - self._s)

    def params(self) -> list:
        return []

    def __repr__(self) -> str:
        return "Sigmoid()"


class MSE:
    """Mean of squared errors over every element (no 1/2 factor, like ``nn.MSELoss``)."""

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        if pred.shape != target.shape:
            raise ValueError(f"pred {pred.shape} and target {target.shape} differ")
        self._diff = pred - target
        return float(np.mean(self._diff**2))

    def backward(self) -> np.ndarray:
        return 2.0 * self._diff / self._diff.size


class BCE:
    """Binary cross-entropy on probabilities, averaged (like ``nn.BCELoss``).

    Probabilities are clipped to ``[eps, 1 - eps]`` so that log never sees 0.
    """

    def __init__(self, eps: float = 1e-12):
        self.eps = eps

    def forward(self, p: np.ndarray, target: np.ndarray) -> float:
        if p.shape != target.shape:
            raise ValueError(f"p {p.shape} and target {target.shape} differ")
        self._p = np.clip(p, self.eps, 1.0 - self.eps)
        self._y = target
        return float(-np.mean(target * np.log(self._p) + (1 - target) * np.log(1 - self._p)))

    def backward(self) -> np.ndarray:
        p, y = self._p, self._y
        return (p - y) / (p * (1.0 - p)) / p.size


class Network:
    """Layers applied in order; ``backward`` runs them in reverse."""

    def __init__(self, layers: list):
        self.layers = list(layers)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    __call__ = forward

    def backward(self, grad: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def params(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [pair for layer in self.layers for pair in layer.params()]

    def sgd_step(self, lr: float) -> None:
        """theta <- theta - lr * grad, in place, for every parameter."""
        for p, g in self.params():
            p -= lr * g

    def state(self) -> dict[str, np.ndarray]:
        """Copies of the parameters by name: ``"0.W"``, ``"0.b"``, ``"2.W"``..."""
        out = {}
        for i, layer in enumerate(self.layers):
            if isinstance(layer, Dense):
                out[f"{i}.W"], out[f"{i}.b"] = layer.W.copy(), layer.b.copy()
        return out

    def save(self, path) -> None:
        """Write the parameters to an ``.npz`` file."""
        np.savez(path, **self.state())

    def load(self, path) -> None:
        """Read parameters written by :meth:`save` into this (same-shaped) network."""
        with np.load(path) as data:
            for i, layer in enumerate(self.layers):
                if isinstance(layer, Dense):
                    layer.W[...] = data[f"{i}.W"]
                    layer.b[...] = data[f"{i}.b"]

    def __repr__(self) -> str:
        return "Network([" + ", ".join(map(repr, self.layers)) + "])"


def train(net: Network, loss, X: np.ndarray, y: np.ndarray, lr: float, epochs: int) -> list[float]:
    """Full-batch gradient descent: forward, loss, backward, update; returns the losses."""
    losses = []
    for _ in range(epochs):
        losses.append(loss.forward(net.forward(X), y))
        net.backward(loss.backward())
        net.sgd_step(lr)
    return losses
