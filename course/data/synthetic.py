"""The small synthetic data sets of the course: XOR, the noisy line and point clusters."""

from __future__ import annotations

import math

import torch


def xor(dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """The four XOR points: X of shape (4, 2) and targets y of shape (4, 1)."""
    X = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=dtype)
    y = torch.tensor([[0], [1], [1], [0]], dtype=dtype)
    return X, y


def linear(
    n: int = 100, noise: float = 0.5, seed: int | None = 0, slope: float = 4.0, intercept: float = 5.5
) -> tuple[torch.Tensor, torch.Tensor]:
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


def clusters(
    n: int = 200, classes: int = 2, spread: float = 0.6, seed: int | None = 0, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Points in the plane around ``classes`` centres on a circle of radius 1.5.

    Returns X of shape (n, 2) (float32) and the class of each point, y of shape (n,)
    (torch.long, 0 .. classes - 1). ``spread`` is the standard deviation of the points
    around their centre: the larger, the more the classes overlap. The points come from
    ``generator`` when given (the checkers draw hidden data that way), else from a
    generator seeded with ``seed``, so they never depend on the global seed.
    """
    if generator is None:
        generator = torch.Generator()
        if seed is None:
            generator.seed()
        else:
            generator.manual_seed(int(seed))
    y = torch.randint(0, classes, (n,), generator=generator)
    angle = 2 * math.pi * y.to(torch.float32) / classes + 0.3
    centres = 1.5 * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
    X = centres + spread * torch.randn(n, 2, generator=generator)
    return X, y
