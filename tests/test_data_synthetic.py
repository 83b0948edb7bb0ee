"""course.data.xor(), course.data.linear() and course.data.clusters()."""

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


def test_clusters_gives_points_around_one_centre_per_class():
    X, y = data.clusters(n=3000, classes=3, spread=0.2, seed=5)
    assert X.shape == (3000, 2) and X.dtype == torch.float32
    assert y.shape == (3000,) and y.dtype == torch.long and set(y.tolist()) == {0, 1, 2}
    centres = torch.stack([X[y == k].mean(dim=0) for k in range(3)])
    assert torch.allclose(centres.norm(dim=1), torch.full((3,), 1.5), atol=0.05)
    assert abs(X[y == 0].std(dim=0).mean().item() - 0.2) < 0.02


def test_clusters_is_repeatable_per_seed_or_generator():
    torch.manual_seed(0)
    a = data.clusters(seed=1)
    torch.manual_seed(99)
    b = data.clusters(seed=1)
    c = data.clusters(generator=torch.Generator().manual_seed(1))
    assert all(torch.equal(p, q) for p, q in zip(a, b, strict=True))
    assert all(torch.equal(p, q) for p, q in zip(a, c, strict=True))
    assert not torch.equal(a[0], data.clusters(seed=2)[0])
