"""Checkers of notebook 01, tensors: attributes, reductions, broadcasting, reshape and view,
NumPy memory sharing and device placement."""

import numpy as np
import torch

from course.checking import Exercise, pristine
from course.checking.pristine import same_storage, shares_memory
from course.checking.judge import _shape, kind_of
from course.checking.values import TensorValue, Token
from course.env import same_device


def _distinct_sizes(gen, ndim, low=2, high=7):
    """``ndim`` different sizes in [low, high), so that every axis can be told apart."""
    sizes = torch.randperm(high - low, generator=gen)[:ndim] + low
    return tuple(int(n) for n in sizes)


def _int(gen, low, high):
    return int(torch.randint(low, high, (1,), generator=gen))


def _tensor_pair(v, got, names):
    if type(got) not in (tuple, list) or len(got) != len(names):
        v.fail("wrong-type", f"Return a tuple ({', '.join(names)}); got {kind_of(got)}.")
    v.passed("type")
    return got


# ex1: the attributes shape, ndim, dtype and numel() of any tensor, returned in a dict.
ex1 = Exercise("nb01.ex1", title="Tensor facts", points=1, answers="tensor_facts")

_FACTS = ("shape", "ndim", "dtype", "numel")


@ex1.cases
def ex1_cases(gen, hidden):
    if not hidden:
        return [{"x": torch.tensor([[1, 2, 3], [4, 5, 6]])}]
    cases = []
    for dtype in (torch.float32, torch.int64, torch.float64, torch.bool):
        shape = _distinct_sizes(gen, _int(gen, 2, 5), 2, 6)
        x = torch.randn(*shape, generator=gen)
        cases.append({"x": (x > 0) if dtype is torch.bool else (x * 10).to(dtype)})
    return cases


@ex1.judge
def ex1_judge(v, case, got):
    x = case["x"]
    if type(got) is not dict or set(got) != set(_FACTS):
        v.fail("wrong-type", "tensor_facts(x) should return a dict with exactly the keys "
               f"{', '.join(map(repr, _FACTS))}; got {kind_of(got)}"
               + (f" with keys {sorted(got)}." if type(got) is dict else "."))
    if type(got["shape"]) not in (tuple, list):
        v.fail("wrong-type", f'facts["shape"] should be a shape such as (2, 3), but it is {kind_of(got["shape"])}.',
               "x.shape is an attribute (no brackets); x.size() is the same as a method call.")
    shape = v.shape_of(got["shape"], 'facts["shape"]')
    if type(got["ndim"]) is not int or type(got["numel"]) is not int:
        v.fail("wrong-type", 'facts["ndim"] and facts["numel"] should be Python ints '
               "(x.ndim is one; x.numel() is one, note the brackets).")
    if not isinstance(got["dtype"], Token) or got["dtype"].kind != "dtype":
        v.fail("wrong-type", f'facts["dtype"] should be a torch.dtype such as torch.float32 (x.dtype), '
               f"but it is {kind_of(got['dtype'])}.", "Return x.dtype itself, not its name as a string.")
    where = " on an input you have not seen" if v.hidden else f" for a tensor of shape {_shape(x.shape)}"
    if shape != tuple(x.shape):
        v.fail("wrong-values", f'facts["shape"] is wrong{where}.', "x.shape is already the answer.")
    if got["ndim"] != x.ndim:
        v.fail("wrong-values", f'facts["ndim"] is wrong{where}.', "The number of axes is x.ndim (or len(x.shape)).")
    if got["dtype"].text != str(x.dtype):
        v.fail("wrong-dtype", f'facts["dtype"] is wrong{where}.', "x.dtype is the answer.")
    if got["numel"] != x.numel():
        if got["numel"] == x.shape[0]:
            v.fail("len-not-numel", f'facts["numel"] is the size of the first axis only{where}.')
        v.fail("wrong-values", f'facts["numel"] is wrong{where}.', "The number of elements is x.numel().")
    v.passed("values")


# ex2: per-row means of an integer tensor: float32, shape (N,), the right dim, no keepdim.
ex2 = Exercise("nb01.ex2", title="Row means of integer counts", points=2, answers="row_means")


@ex2.cases
def ex2_cases(gen, hidden):
    if not hidden:
        return [{"counts": torch.tensor([[1, 2, 3], [4, 5, 6]])}]
    cases = []
    for square in (False, True, False):
        n = _int(gen, 2, 7)
        m = n if square else _int(gen, 2, 7)
        m = m + 1 if (m == n and not square) else m
        cases.append({"counts": torch.randint(0, 10, (n, m), generator=gen)})
    return cases


@ex2.judge
def ex2_judge(v, case, got):
    counts = case["counts"]
    n, m = counts.shape
    name = "row_means(counts)"
    if isinstance(got, TensorValue) and got.dtype in (torch.int64, torch.int32):
        v.fail("wrong-dtype", f"{name} has dtype {got.dtype}: the means were rounded to integers.",
               "Convert to float before dividing or averaging (counts.float()); // and integer "
               "division drop the fractions.")
    v.tensor(got, name, dtype=torch.float32)
    if got.shape == (n, 1):
        v.fail("keepdim-mismatch", f"{name} has shape {_shape(got.shape)}: the reduced axis was kept "
               f"(keepdim=True). One mean per row is a vector of shape (N,).")
    if got.shape == (m,) and m != n:
        v.fail("wrong-reduction-dim", f"{name} has shape {_shape(got.shape)}: one value per column, "
               "so the mean was taken along dim=0 (down the columns).")
    data = v.tensor(got, name, dtype=torch.float32, shape=(n,))
    cf = counts.float()
    if not v.matches(data, cf.mean(dim=1)) and v.matches(data, cf.mean(dim=0)):
        v.fail("wrong-reduction-dim", f"{name} holds the column means, not the row means (dim=0 instead of dim=1).")
    v.close(data, cf.mean(dim=1), name, atol=1e-5, rtol=1e-5)


# ex3: the mean along each dim of a tensor of any rank: the shapes tell which dim went away.
ex3 = Exercise("nb01.ex3", title="Means along each dimension", points=2, answers="means_along_each_dim")


@ex3.cases
def ex3_cases(gen, hidden):
    if not hidden:
        return [{"x": torch.randn(2, 3, 4, generator=gen)}]
    return [{"x": torch.randn(*_distinct_sizes(gen, ndim), generator=gen)} for ndim in (2, 4, 3)]


@ex3.judge
def ex3_judge(v, case, got):
    x = case["x"]
    shape = tuple(x.shape)
    if type(got) not in (list, tuple):
        v.fail("wrong-type", f"means_along_each_dim(x) should return a list of tensors, but it is {kind_of(got)}.")
    if len(got) != x.ndim:
        v.fail("wrong-shape", f"means_along_each_dim(x) returned {len(got)} tensor(s) for a tensor with "
               f"{x.ndim} dimensions; return one mean per dimension.",
               "Loop over range(x.ndim) instead of writing the dims out.")
    dropped = {d: shape[:d] + shape[d + 1:] for d in range(x.ndim)}
    for d, r in enumerate(got):
        name = f"result[{d}]"
        v.tensor(r, name, dtype=torch.float32)
        if r.shape == shape[:d] + (1,) + shape[d + 1:]:
            v.fail("keepdim-mismatch", f"{name} has shape {_shape(r.shape)}: dim {d} was kept with size 1. "
                   f"A mean along dim {d} removes that axis (keepdim=False, the default).")
        others = [e for e in range(x.ndim) if e != d and dropped[e] == r.shape]
        if r.shape != dropped[d] and others:
            v.fail("wrong-reduction-dim", f"{name} has shape {_shape(r.shape)}: that is a mean along "
                   f"dim {others[0]}, but result[{d}] should be the mean along dim {d}.")
        data = v.tensor(r, name, dtype=torch.float32, shape=dropped[d])
        if v.matches(data, x.sum(dim=d)) and not v.matches(data, x.mean(dim=d)):
            v.fail("wrong-values", f"{name} holds sums, not means.", "Use .mean(dim=d), not .sum(dim=d).")
        v.close(data, x.mean(dim=d), name, atol=1e-5, rtol=1e-5)


# ex4: per-sample squared errors of (N,1) predictions against (N,) targets, without (N,N) broadcasting.
ex4 = Exercise("nb01.ex4", title="Squared errors without a broadcasting trap", points=2,
               answers="squared_errors")


@ex4.cases
def ex4_cases(gen, hidden):
    if not hidden:
        return [{"pred": torch.tensor([[2.5], [0.0], [2.0], [8.0]]), "target": torch.tensor([3.0, -0.5, 2.0, 7.0])}]
    cases = []
    for n in (1, _int(gen, 2, 9), _int(gen, 9, 40)):
        cases.append({"pred": torch.randn(n, 1, generator=gen), "target": torch.randn(n, generator=gen)})
    return cases


@ex4.judge
def ex4_judge(v, case, got):
    pred, target = case["pred"], case["target"]
    n = target.shape[0]
    name = "squared_errors(pred, target)"
    v.tensor(got, name, dtype=torch.float32)
    if got.shape == (n, 1):
        v.fail("wrong-shape", f"{name} has shape {_shape(got.shape)}; return one error per sample, shape (N,).",
               "Turn the (N, 1) predictions into (N,) with pred.squeeze(1) or pred.reshape(-1).")
    data = v.tensor(got, name, dtype=torch.float32, shape=(n,))
    expected = (pred[:, 0] - target) ** 2
    if n > 1 and not v.matches(data, expected):
        all_pairs = (pred - target) ** 2  # (N, N): every prediction against every target
        if v.matches(data, all_pairs.mean(dim=1)) or v.matches(data, all_pairs.mean(dim=0)):
            v.fail("broadcast-n-by-n", f"{name} has the right shape, but each value is an average over an "
                   "(N, N) matrix of every prediction against every target: the reduction hid the broadcast.")
    v.close(data, expected, name, atol=1e-5, rtol=1e-5)


# ex5: a (a,b,c) tensor reshaped to (a*b, c) and (c, a*b) with the data kept in row-major order.
ex5 = Exercise("nb01.ex5", title="Reshape, keeping the order", points=2, answers="reshape_in_order")


@ex5.cases
def ex5_cases(gen, hidden):
    if not hidden:
        return [{"x": torch.arange(24.0).reshape(2, 3, 4)}]
    cases = []
    while len(cases) < 3:
        a, b, c = (_int(gen, 2, 6) for _ in range(3))
        if a * b != c:
            cases.append({"x": torch.randn(a, b, c, generator=gen)})
    return cases


@ex5.judge
def ex5_judge(v, case, got):
    x = case["x"]
    a, b, c = x.shape
    tall, wide = _tensor_pair(v, got, ("tall", "wide"))
    for name, r, want in (("tall", tall, (a * b, c)), ("wide", wide, (c, a * b))):
        v.tensor(r, name, dtype=torch.float32)
        if r.shape == want[::-1]:
            v.fail("wrong-shape", f"{name} has shape {_shape(r.shape)}: the two sizes are swapped "
                   "(tall has a*b rows and c columns, wide has c rows and a*b columns).")
        data = v.tensor(r, name, dtype=torch.float32, shape=want)
        expected = x.reshape(want)
        same_values = v.matches(data.reshape(-1).sort().values, expected.reshape(-1).sort().values)
        if same_values and not v.matches(data, expected):
            v.fail("reshape-scrambled-order", f"{name} has the right shape and the right numbers, "
                   "but not in the original order: a transpose or permute was mixed in.",
                   "Reading x row by row and writing the result row by row must give the same sequence: "
                   "x.reshape(...) alone does that, .t() or .permute() before or after does not.")
        v.close(data, expected, name, atol=0, rtol=0)


# ex6: flatten any matrix: a view (shared memory) when x is contiguous, a copy only when it must.
ex6 = Exercise("nb01.ex6", title="Flatten: a view when possible", points=2, answers="flatten",
               visible_cases=2)


@ex6.cases
def ex6_cases(gen, hidden):
    if not hidden:
        return [{"x": torch.arange(6.0).reshape(2, 3), "transpose": False},
                {"x": torch.arange(6.0).reshape(2, 3), "transpose": True}]
    return [{"x": torch.randn(_int(gen, 2, 6), _int(gen, 2, 6), generator=gen), "transpose": t}
            for t in (True, False, True)]


@ex6.run
def ex6_run(case, flatten):
    x = case["x"].t() if case["transpose"] else case["x"]
    settle = pristine.SETTLE  # taken before the student's code runs, called right after it
    out = flatten(x)
    settle()
    # storage identity with the real methods, modes off (a patched data_ptr or a mode cannot answer)
    return out, same_storage(out, x)


@ex6.judge
def ex6_judge(v, case, got):
    x = case["x"].t() if case["transpose"] else case["x"]
    out, shares = got
    what = "x.t()" if case["transpose"] else "x"
    name = f"flatten({what})"
    data = v.tensor(out, name, dtype=x.dtype, shape=(x.numel(),))
    expected = x.reshape(-1)
    if not case["transpose"] and not v.matches(data, expected) and v.matches(data, x.t().reshape(-1)):
        v.fail("reshape-scrambled-order", f"{name} reads the matrix column by column; flattening keeps the "
               "row-major order (row 0, then row 1, ...).")
    if case["transpose"] and not v.matches(data, expected) and v.matches(data, x.t().reshape(-1)):
        v.fail("reshape-scrambled-order", f"{name} follows the order in memory, not the order of the rows "
               "of x.t(): flattening reads the tensor row by row as it looks, whatever its memory order.")
    v.close(data, expected, name, atol=0, rtol=0)
    if not case["transpose"] and not shares:
        v.fail("copy-not-view", f"{name} has the right values but is a copy: for a contiguous x it should "
               "share memory with x (a view).",
               "x.reshape(-1) returns a view whenever it can; drop the .clone() or the rebuild from a list.")
    v.passed("memory")


# ex7: a tensor that shares memory with a NumPy array, and one that is an independent copy.
ex7 = Exercise("nb01.ex7", title="NumPy: shared or copied", points=2, answers=("share_numpy", "copy_numpy"))


@ex7.cases
def ex7_cases(gen, hidden):
    if not hidden:
        return [{"a": np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])}]
    cases = []
    for dtype in (np.float32, np.int64, np.float64):
        shape = tuple(int(n) for n in torch.randint(1, 6, (_int(gen, 1, 4),), generator=gen))
        cases.append({"a": (torch.randn(*shape, generator=gen) * 10).numpy().astype(dtype)})
    return cases


@ex7.run
def ex7_run(case, share_numpy, copy_numpy):
    a = case["a"]
    settle = pristine.SETTLE  # taken before the student's code runs, called right after it
    shared = share_numpy(a)
    copied = copy_numpy(a)
    settle()
    # memory sharing with the real methods, modes off (a mode answering .numpy() cannot answer)
    return shared, copied, shares_memory(shared, a), shares_memory(copied, a)


@ex7.judge
def ex7_judge(v, case, got):
    a = case["a"]
    shared, copied, shared_shares, copied_shares = got
    dtype = torch.from_numpy(a).dtype
    expected = torch.from_numpy(a)
    v.tensor(shared, "share_numpy(a)")
    if not shared_shares:
        v.fail("numpy-copy-not-shared", "share_numpy(a) returned a tensor with its own memory: a change "
               "to the array would not show in it."
               + (" (Converting the dtype, e.g. .float(), also makes a copy.)" if shared.dtype != dtype else ""))
    data = v.tensor(shared, "share_numpy(a)", dtype=dtype, shape=a.shape)
    v.close(data, expected, "share_numpy(a)", atol=0, rtol=0)
    v.tensor(copied, "copy_numpy(a)")
    if copied_shares:
        v.fail("numpy-shared-not-copied", "copy_numpy(a) shares memory with the array: a change to the "
               "array would change it too.")
    data = v.tensor(copied, "copy_numpy(a)", dtype=dtype, shape=a.shape)
    v.close(data, expected, "copy_numpy(a)", atol=0, rtol=0)
    v.passed("memory")


# ex8: x @ w + b computed on the device it is given; cpu and the data-less "meta" device are both used.
ex8 = Exercise("nb01.ex8", title="Compute on the given device", points=2, answers="predict_on", visible_cases=2)


@ex8.cases
def ex8_cases(gen, hidden):
    shapes = [(4, 3, 2)] if not hidden else [tuple(_int(gen, 1, 8) for _ in range(3)) for _ in range(2)]
    cases = []
    for n, k, m in shapes:
        for device in ("cpu", "meta"):
            cases.append({"x": torch.randn(n, k, generator=gen), "w": torch.randn(k, m, generator=gen),
                          "b": torch.randn(m, generator=gen), "device": device})
    return cases


@ex8.run
def ex8_run(case, predict_on):
    return predict_on(case["x"], case["w"], case["b"], torch.device(case["device"]))


@ex8.judge
def ex8_judge(v, case, got):
    x, w, b, device = case["x"], case["w"], case["b"], case["device"]
    name = f'predict_on(x, w, b, torch.device("{device}"))'
    if not isinstance(got, TensorValue):
        v.fail("wrong-type", f"{name} should be a torch.Tensor, but it is {kind_of(got)}.")
    v.passed("type")
    if not same_device(got.device, device):
        v.fail("device-mismatch", f"{name} is on {got.device}, but the computation should run on {device}.",
               "Move the inputs with .to(device) and compute with the moved tensors.")
    v.passed("device")
    if device == "meta":
        # The meta device keeps shapes and dtypes but no values: check those by hand.
        if got.dtype != torch.float32:
            v.fail("wrong-dtype", f"{name} has dtype {got.dtype}, expected torch.float32.")
        if got.shape != (x.shape[0], w.shape[1]):
            v.fail("wrong-shape", f"{name} has shape {_shape(got.shape)}, expected {_shape((x.shape[0], w.shape[1]))}.")
        v.passed("shape")
        return
    data = v.tensor(got, name, dtype=torch.float32, shape=(x.shape[0], w.shape[1]), device=device)
    v.close(data, x @ w + b, name, atol=1e-5, rtol=1e-4)
