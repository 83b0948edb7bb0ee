"""Checkers of notebook 00, start here: one warm-up exercise that shows how checks work."""

import torch

from course.checking import Exercise

ex1 = Exercise("nb00.ex1", title="Ones like", points=1, answers="ones_like_shape")


@ex1.cases
def ex1_cases(gen, hidden):
    shapes = [(2, 3)] if not hidden else []
    while len(shapes) < 4:
        ndim = int(torch.randint(1, 4, (1,), generator=gen))
        shapes.append(tuple(int(n) for n in torch.randint(1, 6, (ndim,), generator=gen)))
    return [{"x": torch.randn(*s, generator=gen)} for s in shapes]


@ex1.judge
def ex1_judge(v, case, got):
    x = case["x"]
    data = v.tensor(got, "ones_like_shape(x)", dtype=torch.float32, shape=tuple(x.shape))
    filled = data.flatten()[0].item() if data.numel() else 1.0
    if filled != 1.0 and bool((data == filled).all()):
        v.fail("fill-value-wrong", f"Every value of ones_like_shape(x) is {filled:g}: the tensor should hold ones.")
    v.close(data, torch.ones_like(x), "ones_like_shape(x)", atol=0, rtol=0)
