"""The small synthetic data sets of the course: XOR and the noisy line."""

from __future__ import annotations

import torch


def xor(dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """The four XOR points: X of shape (4, 2) and targets y of shape (4, 1)."""
    X = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=dtype)
    y = torch.tensor([[0], [1], [1], [0]], dtype=dtype)
    return X, y


def linear(n: int = 100, noise: float = 0.5, seed: int | None = 0, slope: float = 4.0,
           intercept: float = 5.5) -> tuple[torch.Tensor, torch.Tensor]:
    """Points on y = slope * x + intercept + noise * N(0, 1), with x = linspace(-1, 1, n).

    Returns x and y of shape (n,); use ``x.unsqueeze(1)`` for a (n, 1) batch. The noise
    comes from its own generator, so the data do not depend on the global seed.
    """
    x = torch.linspace(-1, 1, n)
    gen = torch.Generator()
    if seed is None:
        gen.seed()
    else:
        gen.manual_seed(int(seed))
    y = slope * x + intercept + noise * torch.randn(n, generator=gen)
    return x, y
