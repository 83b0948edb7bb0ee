"""Checkers of notebook 01, tensors: indexing and masks, reductions, broadcasting, reshape and
view, NumPy memory sharing, device placement, joining tensors and batched matrix products."""

import numpy as np
import torch
from torch.overrides import TorchFunctionMode

from course.checking import Exercise, pristine
from course.checking.pristine import same_storage, shares_memory
from course.checking.judge import _shape, kind_of
from course.checking.values import TensorValue
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


# ex1: integer-array indexing (one element per row) and a boolean mask (a mean per row).
ex1 = Exercise("nb01.ex1", title="Pick by index, select by mask", points=2, answers=("target_scores", "masked_means"))


def _mask_with_one_per_row(gen, n, m):
    """A random (n, m) boolean mask with at least one True in every row."""
    mask = torch.rand(n, m, generator=gen) < 0.5
    mask[torch.arange(n), torch.randint(0, m, (n,), generator=gen)] = True
    return mask


@ex1.cases
def ex1_cases(gen, hidden):
    if not hidden:
        return [
            {
                "logits": torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0], [1.0, 2.0, 0.0], [0.3, -0.4, 0.9]]),
                "target": torch.tensor([0, 2, 1, 1]),
                "x": torch.tensor([[1.0, 2.0, 3.0, 4.0], [10.0, 20.0, 30.0, 40.0], [-1.0, 0.0, 5.0, 7.0]]),
                "mask": torch.tensor(
                    [[True, False, True, True], [False, True, False, False], [True, True, False, False]]
                ),
            }
        ]
    cases = []
    for _ in range(3):
        n, c = _distinct_sizes(gen, 2, 2, 9)
        rows, cols = _distinct_sizes(gen, 2, 2, 9)
        cases.append(
            {
                "logits": torch.randn(n, c, generator=gen),
                "target": torch.randint(0, c, (n,), generator=gen),
                "x": torch.randn(rows, cols, generator=gen),
                "mask": _mask_with_one_per_row(gen, rows, cols),
            }
        )
    return cases


@ex1.run
def ex1_run(case, target_scores, masked_means):
    return target_scores(case["logits"], case["target"]), masked_means(case["x"], case["mask"])


@ex1.judge
def ex1_judge(v, case, got):
    logits, target, x, mask = case["logits"], case["target"], case["x"], case["mask"]
    scores, means = got
    n = target.shape[0]
    name = "target_scores(logits, target)"
    v.tensor(scores, name, dtype=torch.float32)
    if scores.data is not None and scores.shape == (n, n) and v.matches(scores.data, logits[:, target]):
        v.fail(
            "index-grid-not-pairs",
            f"{name} has shape {_shape(scores.shape)}: every row's logits at every "
            "target, a grid. One score per sample was asked for.",
        )
    if scores.data is not None and scores.shape == tuple(logits.shape) and v.matches(scores.data, logits[target]):
        v.fail(
            "index-rows-not-elements",
            f"{name} has shape {_shape(scores.shape)}: whole rows of the logits, picked by the targets.",
        )
    data = v.tensor(scores, name, dtype=torch.float32, shape=(n,))
    right = logits[torch.arange(n), target]
    if not v.matches(data, right) and v.matches(data, logits.max(dim=1).values):
        v.fail(
            "wrong-values",
            f"{name} holds each row's largest logit, not the logit of its target class.",
            "Use the targets as column indices: logits[torch.arange(N), target].",
        )
    v.close(data, right, name, atol=0, rtol=0)
    name = "masked_means(x, mask)"
    v.tensor(means, name, dtype=torch.float32)
    if means.shape == ():
        v.fail(
            "mask-flattens",
            f"{name} is a single number: x[mask] flattened the selected entries of all rows "
            "into one vector. One mean per row was asked for.",
        )
    data = v.tensor(means, name, dtype=torch.float32, shape=(x.shape[0],))
    kept = mask.to(x.dtype)
    right = (x * kept).sum(dim=1) / kept.sum(dim=1)
    if _differs_and_matches(v, data, right, (x * kept).mean(dim=1)):
        v.fail(
            "masked-mean-wrong-count",
            f"{name} divides each row's selected sum by the row's length, not by the number of selected entries.",
        )
    v.close(data, right, name, atol=1e-5, rtol=1e-5)


def _differs_and_matches(v, data, right, wrong) -> bool:
    """The answer equals a known wrong version, and that version differs from the right one here."""
    return v.matches(data, wrong) and not v.matches(right, wrong)


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
        v.fail(
            "wrong-dtype",
            f"{name} has dtype {got.dtype}: the means were rounded to integers.",
            "Convert to float before dividing or averaging (counts.float()); // and integer "
            "division drop the fractions.",
        )
    v.tensor(got, name, dtype=torch.float32)
    if got.shape == (n, 1):
        v.fail(
            "keepdim-mismatch",
            f"{name} has shape {_shape(got.shape)}: the reduced axis was kept "
            f"(keepdim=True). One mean per row is a vector of shape (N,).",
        )
    if got.shape == (m,) and m != n:
        v.fail(
            "wrong-reduction-dim",
            f"{name} has shape {_shape(got.shape)}: one value per column, "
            "so the mean was taken along dim=0 (down the columns).",
        )
    data = v.tensor(got, name, dtype=torch.float32, shape=(n,))
    cf = counts.float()
    if not v.matches(data, cf.mean(dim=1)) and v.matches(data, cf.mean(dim=0)):
        v.fail("wrong-reduction-dim", f"{name} holds the column means, not the row means (dim=0 instead of dim=1).")
    v.close(data, cf.mean(dim=1), name, atol=1e-5, rtol=1e-5)


# ex3: the mean along each dim of a tensor of any rank: the shapes tell which dim went away.
ex3 = Exercise(
    "nb01.ex3", title="Means along each dimension", points=2, answers="means_along_each_dim", visible_cases=2
)


@ex3.cases
def ex3_cases(gen, hidden):
    if not hidden:  # two ranks, so that an answer written for three dims only fails here
        return [{"x": torch.randn(2, 3, 4, generator=gen)}, {"x": torch.randn(3, 5, generator=gen)}]
    return [{"x": torch.randn(*_distinct_sizes(gen, ndim), generator=gen)} for ndim in (2, 4, 3)]


@ex3.judge
def ex3_judge(v, case, got):
    x = case["x"]
    shape = tuple(x.shape)
    if type(got) not in (list, tuple):
        v.fail("wrong-type", f"means_along_each_dim(x) should return a list of tensors, but it is {kind_of(got)}.")
    if len(got) != x.ndim:
        v.fail(
            "wrong-shape",
            f"means_along_each_dim(x) returned {len(got)} tensor(s) for a tensor with "
            f"{x.ndim} dimensions; return one mean per dimension.",
            "Loop over range(x.ndim) instead of writing the dims out.",
        )
    dropped = {d: shape[:d] + shape[d + 1 :] for d in range(x.ndim)}
    for d, r in enumerate(got):
        name = f"result[{d}]"
        v.tensor(r, name, dtype=torch.float32)
        if r.shape == shape[:d] + (1,) + shape[d + 1 :]:
            v.fail(
                "keepdim-mismatch",
                f"{name} has shape {_shape(r.shape)}: dim {d} was kept with size 1. "
                f"A mean along dim {d} removes that axis (keepdim=False, the default).",
            )
        others = [e for e in range(x.ndim) if e != d and dropped[e] == r.shape]
        if r.shape != dropped[d] and others:
            v.fail(
                "wrong-reduction-dim",
                f"{name} has shape {_shape(r.shape)}: that is a mean along "
                f"dim {others[0]}, but result[{d}] should be the mean along dim {d}.",
            )
        data = v.tensor(r, name, dtype=torch.float32, shape=dropped[d])
        if v.matches(data, x.sum(dim=d)) and not v.matches(data, x.mean(dim=d)):
            v.fail("wrong-values", f"{name} holds sums, not means.", "Use .mean(dim=d), not .sum(dim=d).")
        v.close(data, x.mean(dim=d), name, atol=1e-5, rtol=1e-5)


# ex4: per-sample squared errors of (N,1) predictions against (N,) targets, without (N,N) broadcasting.
ex4 = Exercise("nb01.ex4", title="Squared errors without a broadcasting trap", points=2, answers="squared_errors")


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
        v.fail(
            "wrong-shape",
            f"{name} has shape {_shape(got.shape)}; return one error per sample, shape (N,).",
            "Turn the (N, 1) predictions into (N,) with pred.squeeze(1) or pred.reshape(-1).",
        )
    data = v.tensor(got, name, dtype=torch.float32, shape=(n,))
    expected = (pred[:, 0] - target) ** 2
    if n > 1 and not v.matches(data, expected):
        all_pairs = (pred - target) ** 2  # (N, N): every prediction against every target
        if v.matches(data, all_pairs.mean(dim=1)) or v.matches(data, all_pairs.mean(dim=0)):
            v.fail(
                "broadcast-n-by-n",
                f"{name} has the right shape, but each value is an average over an "
                "(N, N) matrix of every prediction against every target: the reduction hid the broadcast.",
            )
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
            v.fail(
                "wrong-shape",
                f"{name} has shape {_shape(r.shape)}: the two sizes are swapped "
                "(tall has a*b rows and c columns, wide has c rows and a*b columns).",
            )
        data = v.tensor(r, name, dtype=torch.float32, shape=want)
        expected = x.reshape(want)
        same_values = v.matches(data.reshape(-1).sort().values, expected.reshape(-1).sort().values)
        if same_values and not v.matches(data, expected):
            v.fail(
                "reshape-scrambled-order",
                f"{name} has the right shape and the right numbers, "
                "but not in the original order: a transpose or permute was mixed in.",
                "Reading x row by row and writing the result row by row must give the same sequence: "
                "x.reshape(...) alone does that, .t() or .permute() before or after does not.",
            )
        v.close(data, expected, name, atol=0, rtol=0)


# ex6: flatten any matrix: a view (shared memory) when x is contiguous, a copy only when it must.
ex6 = Exercise("nb01.ex6", title="Flatten: a view when possible", points=2, answers="flatten", visible_cases=2)


@ex6.cases
def ex6_cases(gen, hidden):
    if not hidden:
        return [
            {"x": torch.arange(6.0).reshape(2, 3), "transpose": False},
            {"x": torch.arange(6.0).reshape(2, 3), "transpose": True},
        ]
    return [
        {"x": torch.randn(_int(gen, 2, 6), _int(gen, 2, 6), generator=gen), "transpose": t} for t in (True, False, True)
    ]


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
        v.fail(
            "reshape-scrambled-order",
            f"{name} reads the matrix column by column; flattening keeps the row-major order (row 0, then row 1, ...).",
        )
    if case["transpose"] and not v.matches(data, expected) and v.matches(data, x.t().reshape(-1)):
        v.fail(
            "reshape-scrambled-order",
            f"{name} follows the order in memory, not the order of the rows "
            "of x.t(): flattening reads the tensor row by row as it looks, whatever its memory order.",
        )
    v.close(data, expected, name, atol=0, rtol=0)
    if not case["transpose"] and not shares:
        v.fail(
            "copy-not-view",
            f"{name} has the right values but is a copy: for a contiguous x it should share memory with x (a view).",
            "x.reshape(-1) returns a view whenever it can; drop the .clone() or the rebuild from a list.",
        )
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
        v.fail(
            "numpy-copy-not-shared",
            "share_numpy(a) returned a tensor with its own memory: a change "
            "to the array would not show in it."
            + (" (Converting the dtype, e.g. .float(), also makes a copy.)" if shared.dtype != dtype else ""),
        )
    data = v.tensor(shared, "share_numpy(a)", dtype=dtype, shape=a.shape)
    v.close(data, expected, "share_numpy(a)", atol=0, rtol=0)
    v.tensor(copied, "copy_numpy(a)")
    if copied_shares:
        v.fail(
            "numpy-shared-not-copied",
            "copy_numpy(a) shares memory with the array: a change to the array would change it too.",
        )
    data = v.tensor(copied, "copy_numpy(a)", dtype=dtype, shape=a.shape)
    v.close(data, expected, "copy_numpy(a)", atol=0, rtol=0)
    v.passed("memory")


# ex8: x @ w + b computed on the device it is given; cpu and the data-less "meta" device are both used, and
# where each product and sum ran is recorded, so computing on the CPU and moving the result fails.
ex8 = Exercise("nb01.ex8", title="Compute on the given device", points=2, answers="predict_on", visible_cases=2)


@ex8.cases
def ex8_cases(gen, hidden):
    shapes = [(4, 3, 2)] if not hidden else [tuple(_int(gen, 1, 8) for _ in range(3)) for _ in range(2)]
    cases = []
    for n, k, m in shapes:
        for device in ("cpu", "meta"):
            cases.append(
                {
                    "x": torch.randn(n, k, generator=gen),
                    "w": torch.randn(k, m, generator=gen),
                    "b": torch.randn(m, generator=gen),
                    "device": device,
                }
            )
    return cases


class _WhereComputed(TorchFunctionMode):
    """Records the device of every result computed from two or more tensors (a product, a sum).

    Moving a tensor (``.to``, ``.cpu``) takes one tensor; computing takes two or more, and
    runs where they are. So the devices of those results tell where the work was done,
    even on a machine without a GPU, where the check's second device is "meta"."""

    def __init__(self):
        super().__init__()
        self.computed = []  # (operation name, device of its result)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        inputs = sum(isinstance(a, torch.Tensor) for a in (*args, *kwargs.values()))
        if inputs >= 2 and isinstance(out, torch.Tensor):
            self.computed.append((getattr(func, "__name__", "an operation"), str(out.device)))
        return out


@ex8.run
def ex8_run(case, predict_on):
    with _WhereComputed() as seen:
        out = predict_on(case["x"], case["w"], case["b"], torch.device(case["device"]))
    return out, seen.computed


@ex8.judge
def ex8_judge(v, case, got):
    x, w, b, device = case["x"], case["w"], case["b"], case["device"]
    got, computed = got
    name = f'predict_on(x, w, b, torch.device("{device}"))'
    if not isinstance(got, TensorValue):
        v.fail("wrong-type", f"{name} should be a torch.Tensor, but it is {kind_of(got)}.")
    v.passed("type")
    if not same_device(got.device, device):
        v.fail(
            "device-mismatch",
            f"{name} is on {got.device}, but the computation should run on {device}.",
            "Move the inputs with .to(device) and compute with the moved tensors.",
        )
    elsewhere = sorted({f"{op} ran on {where}" for op, where in computed if not same_device(where, device)})
    if elsewhere:
        v.fail(
            "compute-then-move",
            f"{name} lives on {device}, but {'; '.join(elsewhere)}: the result was "
            "computed there and moved afterwards.",
            "Move x, w and b to the device first, then compute with the moved tensors.",
        )
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


# ex9: samples stacked into a batch with the labels as a last column (stack, unsqueeze, cat),
# and such a batch split back into features (N, F) and a label column (N, 1) (slicing).
ex9 = Exercise("nb01.ex9", title="Make and split a batch", points=2, answers=("make_batch", "split_batch"))


@ex9.cases
def ex9_cases(gen, hidden):
    if not hidden:
        features = torch.arange(0.5, 8.0, 0.5).reshape(5, 3)  # 5 samples of 3 features: no shape is square
        return [
            {
                "features": features,
                "labels": torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0]),
                "batch": torch.arange(20.0).reshape(5, 4),
            }
        ]
    cases = []
    while len(cases) < 3:
        n, f = _int(gen, 2, 9), _int(gen, 2, 7)
        if n in (f, f + 1):  # keep every wrong shape distinct from the right one
            continue
        cases.append(
            {
                "features": torch.randn(n, f, generator=gen),
                "labels": torch.randn(n, generator=gen),
                "batch": torch.randn(n, f + 1, generator=gen),
            }
        )
    return cases


@ex9.run
def ex9_run(case, make_batch, split_batch):
    samples = list(case["features"].clone().unbind(0))  # what a Dataset hands over: one tensor per sample
    return make_batch(samples, case["labels"]), split_batch(case["batch"])


@ex9.judge
def ex9_judge(v, case, got):
    features, labels, batch = case["features"], case["labels"], case["batch"]
    n, f = features.shape
    made, split = got
    name = "make_batch(samples, labels)"
    v.tensor(made, name, dtype=torch.float32)
    right = torch.cat([features, labels.unsqueeze(1)], dim=1)
    if made.ndim == 1 and made.shape[0] in (n * f, n * f + n):
        v.fail(
            "cat-not-stack",
            f"{name} has shape {_shape(made.shape)}: the samples were joined end to end "
            "into one long vector instead of stacked as rows.",
        )
    if made.shape == (f + 1, n) and made.data is not None and v.matches(made.data, right.t()):
        v.fail(
            "stack-wrong-dim",
            f"{name} has shape {_shape(made.shape)}: one column per sample. The batch "
            "axis comes first, so each sample is a row.",
        )
    data = v.tensor(made, name, dtype=torch.float32, shape=(n, f + 1))
    if v.matches(data, torch.cat([labels.unsqueeze(1), features], dim=1)):
        v.fail(
            "wrong-values",
            f"{name} has the labels in the first column; they belong in the last one.",
            "torch.cat joins the tensors in the order of the list: features first, then labels.",
        )
    v.close(data, right, name, atol=0, rtol=0)
    if type(split) not in (tuple, list) or len(split) != 2:
        v.fail("wrong-type", f"split_batch(batch) should return a pair (X, y), but it returned {kind_of(split)}.")
    X, y = split
    n, width = batch.shape
    name = "split_batch(batch)"
    v.tensor(X, f"{name}[0] (the features)", dtype=torch.float32)
    v.tensor(y, f"{name}[1] (the labels)", dtype=torch.float32)
    if X.shape == (n - 1, width) or y.shape == (1, width):
        v.fail(
            "slice-rows-not-columns",
            f"{name} returned shapes {_shape(X.shape)} and {_shape(y.shape)}: "
            "the last sample was cut off, not the last column.",
        )
    X = v.tensor(X, f"{name}[0] (the features)", dtype=torch.float32, shape=(n, width - 1))
    v.close(X, batch[:, :-1], f"{name}[0] (the features)", atol=0, rtol=0)
    if y.shape == (n,):
        v.fail(
            "index-drops-axis",
            f"{name}[1] has shape {_shape(y.shape)}: batch[:, -1] picked the last column "
            "and dropped its axis. The labels should stay a column of shape (N, 1), as a model's output is.",
        )
    y = v.tensor(y, f"{name}[1] (the labels)", dtype=torch.float32, shape=(n, 1))
    v.close(y, batch[:, -1:], f"{name}[1] (the labels)", atol=0, rtol=0)


# ex10: R linear layers applied at once: x (R, N, D), W (R, H, D) stored like nn.Linear's weight,
# b (R, H); the answer is (R, N, H), with bmm or einsum and a bias that gets its sample axis.
ex10 = Exercise("nb01.ex10", title="Many linear layers at once", points=2, answers="many_linear")


@ex10.cases
def ex10_cases(gen, hidden):
    if not hidden:  # R == N on purpose: a bias added along the wrong axis then runs, and is named
        return [
            {
                "x": torch.arange(36.0).reshape(3, 3, 4) / 10,
                "W": torch.arange(24.0).reshape(3, 2, 4) / 10 - 1,
                "b": torch.tensor([[1.0, -1.0], [2.0, -2.0], [3.0, -3.0]]),
            }
        ]
    cases = []
    while len(cases) < 3:
        r, n, d, h = (_int(gen, 2, 7) for _ in range(4))
        if r != n and d != h and n != h:
            cases.append(
                {
                    "x": torch.randn(r, n, d, generator=gen),
                    "W": torch.randn(r, h, d, generator=gen),
                    "b": torch.randn(r, h, generator=gen),
                }
            )
    return cases


@ex10.judge
def ex10_judge(v, case, got):
    x, W, b = case["x"], case["W"], case["b"]
    r, n, _ = x.shape
    h = W.shape[1]
    name = "many_linear(x, W, b)"
    v.tensor(got, name, dtype=torch.float32)
    products = torch.einsum("rnd,rhd->rnh", x, W)
    right = products + b.unsqueeze(1)
    if got.shape == (r, h, n) and got.data is not None and v.matches(got.data, right.transpose(1, 2)):
        v.fail(
            "einsum-output-order",
            f"{name} has shape {_shape(got.shape)}: each run's result is transposed, (H, N) instead of (N, H).",
        )
    data = v.tensor(got, name, dtype=torch.float32, shape=(r, n, h))
    if r == n and _differs_and_matches(v, data, right, products + b.unsqueeze(0)):
        v.fail(
            "batched-bias-broadcast",
            f"{name} adds run i's bias to sample i of every run: b of shape (R, H) "
            "was lined up with the samples axis of the (R, N, H) result.",
        )
    if _differs_and_matches(v, data, right, products):
        v.fail("wrong-values", f"{name} leaves out the bias.", "Add b, with its sample axis: b.unsqueeze(1).")
    v.close(data, right, name, atol=1e-5, rtol=1e-5)
