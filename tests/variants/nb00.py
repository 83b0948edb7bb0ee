"""Wrong answers for notebook 00, each with the misconception the checker must name."""

WRONG = {
    "nb00.ex1": [
        ("wrong-dtype", "def ones_like_shape(x):\n    return torch.ones(x.shape, dtype=torch.int64)"),
        ("fill-value-wrong", "def ones_like_shape(x):\n    return torch.zeros_like(x)"),
        ("float64-not-float32", "def ones_like_shape(x):\n    return torch.ones(x.shape, dtype=torch.float64)"),
    ],
}
