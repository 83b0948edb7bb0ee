"""course.data.xor() and course.data.linear()."""

import torch

from course import data


def test_xor_points_and_targets():
    X, y = data.xor()
    assert X.shape == (4, 2) and y.shape == (4, 1)
    assert X.dtype == torch.float32 and y.dtype == torch.float32
    assert torch.equal(y.reshape(-1), (X[:, 0] != X[:, 1]).float())


def test_linear_follows_the_line_with_the_given_noise():
    x, y = data.linear(n=2000, noise=0.5, seed=3)
    assert x.shape == y.shape == (2000,)
    assert torch.allclose(x, torch.linspace(-1, 1, 2000))
    residual = y - (4 * x + 5.5)
    assert abs(residual.mean().item()) < 0.05
    assert abs(residual.std().item() - 0.5) < 0.05


def test_linear_is_repeatable_per_seed_and_independent_of_global_seed():
    torch.manual_seed(0)
    _, a = data.linear(seed=1)
    torch.manual_seed(99)
    _, b = data.linear(seed=1)
    _, c = data.linear(seed=2)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_linear_defaults_match_the_syllabus():
    x, y = data.linear()
    assert x.shape == (100,)
    assert x[0].item() == -1 and x[-1].item() == 1


def test_linear_other_lines():
    x, y = data.linear(n=500, noise=0.0, slope=-2.0, intercept=1.0)
    assert torch.allclose(y, -2 * x + 1)
