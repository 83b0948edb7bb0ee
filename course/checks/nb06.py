"""Checkers of notebook 06, Dataset and DataLoader: datasets, splits, loaders, collate.

Datasets are classes: ``run`` builds a fresh one on the case's data and returns plain
facts about it (its length, the items it returns, stacked when they agree in shape and
dtype); loaders are described by their settings (sampler type, batch size, flags).
"""

from __future__ import annotations

import io

import torch

from course.checking import Exercise
from course.checking.judge import kind_of
from course.checking.values import TensorValue

#: Column names of the CSV-like tables of exercise 1; cases pick columns by position.
COLUMNS = ["id", "area", "rooms", "age", "distance", "floor", "price"]

#: The table of the notebook's example (and the visible case of exercise 1).
HOUSES = [
    [101, 54.0, 2, 12, 210.0],
    [102, 72.0, 3, 3, 305.0],
    [103, 95.0, 4, 25, 390.0],
    [104, 38.0, 1, 40, 150.0],
    [105, 120.0, 5, 8, 520.0],
    [106, 66.0, 3, 15, 260.0],
]


# --- helpers run next to the student's code -------------------------------------------


def _read(ds, indices) -> dict:
    """Items ds[i] as plain facts: features and targets stacked when every item agrees.

    An item that is not a pair, or whose parts are not plain tensors of one shape and
    dtype, is returned alone (the first such one), so the judge can say what it is.
    """
    items = [ds[i] for i in indices]
    for item in items:
        if type(item) not in (tuple, list) or len(item) != 2:
            return {"bad_item": item}
    out = {}
    for k, name in ((0, "x"), (1, "y")):
        parts = [item[k] for item in items]
        first = parts[0]
        same = all(type(p) is torch.Tensor for p in parts) and all(
            p.shape == first.shape and p.dtype == first.dtype and p.device == first.device for p in parts
        )
        out[name] = torch.stack(parts) if same else ("single", first)
    return out


def _loader_facts(loader, train_ds, test_ds) -> dict:
    from torch.utils.data import DataLoader

    if not isinstance(loader, DataLoader):
        return {"type": type(loader).__name__}
    return {
        "type": "DataLoader",
        "dataset": "train" if loader.dataset is train_ds else "test" if loader.dataset is test_ds else "other",
        "batch_size": loader.batch_size,
        "sampler": type(loader.sampler).__name__,
        "drop_last": bool(loader.drop_last),
        "pin_memory": bool(loader.pin_memory),
    }


# --- helpers for the judges -----------------------------------------------------------


def _shape(s) -> str:
    return "(" + ", ".join(str(n) for n in s) + ("," if len(s) == 1 else "") + ")"


def _items(v, got, name, n, x_shape, y_shape, x_dtype=torch.float32, y_dtype=torch.float32):
    """Check the stacked items read from a dataset: (features (n, *x_shape), targets)."""
    if "bad_item" in got:
        v.fail(
            "getitem-shape-dtype",
            f"{name}[i] should return a pair (features, target), but it returned {kind_of(got['bad_item'])}.",
        )
    result = []
    for key, part, shape, dtype in (("x", "features", x_shape, x_dtype), ("y", "target", y_shape, y_dtype)):
        value = got[key]
        if type(value) is tuple and len(value) == 2 and value[0] == "single":
            one = value[1]
            if not isinstance(one, TensorValue):
                v.fail(
                    "getitem-shape-dtype",
                    f"The {part} in {name}[i] should be a torch.Tensor, but it is {kind_of(one)}.",
                )
            v.fail(
                "getitem-shape-dtype",
                f"The {part} in {name}[i] do not all have one shape and dtype (the first is {kind_of(one)}).",
            )
        one_shape = tuple(value.shape[1:])
        if value.dtype != dtype or one_shape != tuple(shape):
            v.fail(
                "getitem-shape-dtype",
                f"{name}[i][{0 if key == 'x' else 1}] (the {part} of one sample) "
                f"is a tensor of shape {_shape(one_shape)} and dtype {value.dtype}; expected shape "
                f"{_shape(shape)} and dtype {dtype}.",
            )
        result.append(v.tensor(value, f"the {part} of {name}[i]", dtype=dtype, shape=(n, *shape)))
    v.passed("items")
    return result


def _length(v, got_len, name, n, n_features):
    if type(got_len) is not int:
        v.fail("wrong-type", f"len({name}) should be an int, but it is {kind_of(got_len)}.")
    if got_len != n:
        if got_len in n_features:
            v.fail(
                "len-num-features",
                f"len({name}) is {got_len}, which is the number of features "
                "(columns), not the number of samples (rows).",
            )
        if v.hidden:
            v.fail("wrong-values", f"len({name}) is not the number of samples on inputs you have not seen.")
        v.fail("wrong-values", f"len({name}) is {got_len}, expected {n} (the number of samples).")
    v.passed("len")


def _std(x, unbiased):
    return x.std(dim=0, unbiased=unbiased)


# --- Exercise 1: a Dataset over a CSV-like table ----------------------------------------
# len is the number of rows; each item is (float32 features (F,), float32 target (1,)).
ex1 = Exercise("nb06.ex1", title="A dataset over a table", points=2, answers="TableDataset", visible_cases=2)


@ex1.cases
def ex1_cases(gen, hidden):
    if not hidden:  # the notebook's example, then the same table asked in another column order
        table, columns = torch.tensor(HOUSES, dtype=torch.float64), torch.tensor([0, 1, 2, 3, 6])
        return [
            {"table": table, "columns": columns, "features": torch.tensor([1, 2, 3]), "target": 4},
            {"table": table, "columns": columns, "features": torch.tensor([3, 1]), "target": 2},
        ]
    cases = []
    for k in range(3):
        n_cols = int(torch.randint(4, len(COLUMNS) + 1, (1,), generator=gen))
        rest = torch.randperm(len(COLUMNS) - 1, generator=gen)[: n_cols - 1] + 1
        columns = torch.cat([torch.tensor([0]), rest.sort().values])
        n = int(torch.randint(8, 30, (1,), generator=gen))
        scale = torch.rand(n_cols, generator=gen) * 100 + 1
        table = (torch.rand(n, n_cols, generator=gen, dtype=torch.float64) * scale).round(decimals=1)
        table[:, 0] = torch.arange(n, dtype=torch.float64) + 1000
        # features in any order, never the id column; the target is another column
        order = (torch.randperm(n_cols - 1, generator=gen) + 1).tolist()
        target = order[0]
        n_feat = int(torch.randint(1, n_cols - 1, (1,), generator=gen))
        features = order[1 : 1 + n_feat]
        if k == 0:  # at least two features, not in the table's order
            features = sorted(order[1 : 1 + max(2, n_feat)], reverse=True)
        cases.append({"table": table, "columns": columns, "features": torch.tensor(features), "target": target})
    return cases


@ex1.run
def ex1_run(case, TableDataset):
    import pandas as pd
    from torch.utils.data import Dataset

    names = [COLUMNS[j] for j in case["columns"].tolist()]
    table = pd.DataFrame(case["table"].numpy(), columns=names)
    table["id"] = table["id"].astype("int64")
    frame = pd.read_csv(io.StringIO(table.to_csv(index=False)))  # as a student's CSV arrives
    features = [names[j] for j in case["features"].tolist()]
    ds = TableDataset(frame, features, names[case["target"]])
    n = len(frame)
    return {"is_dataset": isinstance(ds, Dataset), "len": len(ds), "items": _read(ds, range(n))}


@ex1.judge
def ex1_judge(v, case, got):
    table, feats, target = case["table"], case["features"], case["target"]
    n, n_cols = table.shape
    if not got["is_dataset"]:
        v.fail("wrong-type", "TableDataset should subclass torch.utils.data.Dataset: class TableDataset(Dataset): ...")
    _length(v, got["len"], "dataset", n, {len(feats), n_cols, n_cols - 1})
    x, y = _items(v, got["items"], "dataset", n, (len(feats),), (1,))
    ref_x = table[:, feats].float()
    if not v.matches(x, ref_x):
        others = [j for j in range(n_cols) if j != target]
        if x.shape[1] == len(feats) and v.matches(x.sort(dim=1).values, ref_x.sort(dim=1).values):
            v.fail(
                "feature-columns-wrong",
                "The features hold the right columns in the wrong order: keep the order of the `features` list.",
            )
        if len(others) == len(feats) and v.matches(x, table[:, others].float()):
            v.fail(
                "feature-columns-wrong",
                "The features hold every column except the target, including the "
                "id column: select the columns named in `features`.",
            )
    v.close(x, ref_x, "the batch of features read from the items", atol=1e-4, rtol=1e-5)
    v.close(y, table[:, [target]].float(), "the batch of targets read from the items", atol=1e-4, rtol=1e-5)


# --- Exercise 2: a reproducible 80/20 split ---------------------------------------------
# Sizes n - n//5 and n//5, disjoint, covering 0..n-1, shuffled, same for the same seed.
ex2 = Exercise("nb06.ex2", title="A reproducible split", points=2, answers="split_indices")


@ex2.cases
def ex2_cases(gen, hidden):
    if not hidden:
        return [{"n": 50, "seed": 42, "other_seed": 7}]
    cases = []
    for _ in range(3):
        n = int(torch.randint(31, 400, (1,), generator=gen))
        seed, other = torch.randint(0, 10_000, (2,), generator=gen).tolist()
        cases.append({"n": n, "seed": seed, "other_seed": other if other != seed else seed + 1})
    return cases


@ex2.run
def ex2_run(case, split_indices):
    first = split_indices(case["n"], case["seed"])
    again = split_indices(case["n"], case["seed"])
    other = split_indices(case["n"], case["other_seed"])
    return first, again, other


def _index_lists(v, value, name):
    if type(value) not in (tuple, list) or len(value) != 2:
        v.fail(
            "wrong-type",
            f"{name} should return a pair (train_indices, test_indices), but it returned {kind_of(value)}.",
        )
    parts = []
    for part in value:
        if (
            isinstance(part, TensorValue)
            and part.ndim == 1
            and not part.dtype.is_floating_point
            and part.data is not None
        ):
            part = [int(i) for i in part.data.tolist()]
        if type(part) not in (list, tuple) or not all(type(i) is int for i in part):
            v.fail("wrong-type", f"{name} should return two lists of ints, but one part is {kind_of(part)}.")
        parts.append(list(part))
    v.passed("type")
    return parts


@ex2.judge
def ex2_judge(v, case, got):
    n = case["n"]
    name = "split_indices(n, seed)"
    first, again, other = (_index_lists(v, g, name) for g in got)
    train, test = first
    n_test = n // 5
    if len(train) != n - n_test or len(test) != n_test:
        if len(train) == n_test and len(test) == n - n_test:
            v.fail("split-parts-swapped", "The parts are swapped: the first one you returned is the smaller.")
        where = "" if v.hidden else f" (n = {n}: train {len(train)}, test {len(test)})"
        v.fail(
            "wrong-values",
            f"The parts have the wrong sizes{where}: the test part should hold n // 5 "
            "indices and the training part the rest.",
        )
    v.passed("sizes")
    if sorted(train + test) != list(range(n)):
        v.fail(
            "wrong-values",
            "The two parts together should hold every index 0 .. n-1 exactly once "
            "(no repeats, no index left out, none out of range).",
        )
    v.passed("disjoint")
    if sorted(train) == list(range(n - n_test)):
        v.fail(
            "split-not-shuffled", "The training part is the first 80% of the rows: the split keeps the file's order."
        )
    if first != again:
        v.fail("split-not-reproducible", "Two calls with the same seed gave different splits.")
    v.passed("reproducible")
    if first == other:
        v.fail("split-seed-ignored", "A different seed gave the same split.")
    v.passed("seed")


# --- Exercise 3: normalisation on the fly, statistics from the training part only ----
# fit_stats: per-feature mean and std of the training rows; the dataset normalises on read.
ex3 = Exercise(
    "nb06.ex3", title="Normalise with training statistics", points=3, answers=("fit_stats", "NormalizedDataset")
)


@ex3.cases
def ex3_cases(gen, hidden):
    cases = []
    for _ in range(1 if not hidden else 3):
        n = 20 if not hidden else int(torch.randint(20, 60, (1,), generator=gen))
        f = 3 if not hidden else int(torch.randint(2, 6, (1,), generator=gen))
        scale = torch.rand(f, generator=gen) * 20 + 0.5
        shift = (torch.rand(f, generator=gen) - 0.3) * 100
        x = torch.randn(n, f, generator=gen) * scale + shift
        y = torch.randn(n, 1, generator=gen)
        perm = torch.randperm(n, generator=gen)
        n_test = n // 5
        cases.append({"X": x, "y": y, "train_idx": perm[n_test:], "test_idx": perm[:n_test]})
    return cases


@ex3.run
def ex3_run(case, fit_stats, NormalizedDataset):
    X, y, tr, te = case["X"], case["y"], case["train_idx"], case["test_idx"]
    mean, std = fit_stats(X, tr)
    test_ds = NormalizedDataset(X[te], y[te], mean, std)
    return {"mean": mean, "std": std, "len": len(test_ds), "items": _read(test_ds, range(len(te)))}


@ex3.judge
def ex3_judge(v, case, got):
    X, y, te = case["X"], case["y"], case["test_idx"]
    f = X.shape[1]
    mean, std = _ex3_statistics(v, case, got)
    _length(v, got["len"], "NormalizedDataset(...)", len(te), {f})
    x, yy = _items(v, got["items"], "NormalizedDataset(...)", len(te), (f,), (1,))
    rows = X[te]
    if not v.matches(x, (rows - mean) / std, atol=1e-4):
        for unbiased in (True, False):
            if v.matches(x, (rows - rows.mean(0)) / _std(rows, unbiased), atol=1e-4):
                v.fail(
                    "norm-stats-leak",
                    "The dataset normalised the test rows with their own mean and "
                    "std instead of the statistics it was given.",
                )
        if v.matches(x, rows):
            v.fail("normalisation-missing", "The dataset returned the raw features.")
    v.close(x, (rows - mean) / std, "the batch of normalised features", atol=1e-4, rtol=1e-4)
    v.close(yy, y[te], "the batch of targets", atol=1e-6, rtol=1e-6)


def _ex3_statistics(v, case, got):
    """fit_stats' mean and std, of the training rows only (a leak from the test rows named)."""
    X, tr, te = case["X"], case["train_idx"], case["test_idx"]
    f = X.shape[1]
    mean = v.tensor(got["mean"], "mean (from fit_stats)", dtype=torch.float32, shape=(f,))
    std = v.tensor(got["std"], "std (from fit_stats)", dtype=torch.float32, shape=(f,))
    for rows, where in ((X, "all rows"), (X[te], "the test rows")):
        if v.matches(mean, rows.mean(0)) and not v.matches(mean, X[tr].mean(0)):
            v.fail("norm-stats-leak", f"fit_stats returned the mean of {where}, not of the training rows.")
    v.close(mean, X[tr].mean(0), "mean (from fit_stats)", atol=1e-4, rtol=1e-4)
    if not (v.matches(std, _std(X[tr], True)) or v.matches(std, _std(X[tr], False))):
        for rows, where in ((X, "all rows"), (X[te], "the test rows")):
            if v.matches(std, _std(rows, True)) or v.matches(std, _std(rows, False)):
                v.fail("norm-stats-leak", f"fit_stats returned the std of {where}, not of the training rows.")
        if v.matches(std, X[tr].var(0)):
            v.fail("wrong-values", "fit_stats returned the variance; take its square root (or use .std).")
        v.close(std, _std(X[tr], True), "std (from fit_stats)", atol=1e-4, rtol=1e-4)
    v.passed("statistics")
    return mean, std


# --- Exercise 4: the batches of an epoch -------------------------------------------------
# The size of every batch a DataLoader makes: B each, the last one N % B when B does not divide N;
# drop_last drops that partial batch. The visible cases include a size that B divides and N < B.
ex4 = Exercise(
    "nb06.ex4", title="The batches of an epoch", points=2, answers="batch_sizes", visible_cases=3, hidden_cases=6
)


@ex4.cases
def ex4_cases(gen, hidden):
    if not hidden:
        return [{"n": 10, "batch_size": 4}, {"n": 12, "batch_size": 4}, {"n": 3, "batch_size": 4}]
    cases = []
    for k in range(6):
        b = int(torch.randint(2, 65, (1,), generator=gen))
        if k in (0, 3):  # B divides N: no partial batch
            n = b * int(torch.randint(1, 40, (1,), generator=gen))
        elif k == 4:  # fewer samples than one batch
            n = int(torch.randint(1, b, (1,), generator=gen))
        else:
            n = b * int(torch.randint(1, 40, (1,), generator=gen)) + int(torch.randint(1, b, (1,), generator=gen))
        cases.append({"n": n, "batch_size": b})
    return cases


@ex4.run
def ex4_run(case, batch_sizes):
    return (batch_sizes(case["n"], case["batch_size"], False), batch_sizes(case["n"], case["batch_size"], True))


def _batch_sizes(n, b, drop_last):
    sizes = [b] * (n // b)
    return sizes if drop_last or n % b == 0 else sizes + [n % b]


@ex4.judge
def ex4_judge(v, case, got):
    n, b = case["n"], case["batch_size"]
    for value, drop_last in ((got[0], False), (got[1], True)):
        name = f"batch_sizes(n, batch_size, drop_last={drop_last})"
        if type(value) is int:
            v.fail("wrong-type", f"{name} returned one number; return the list of the batch sizes, one int per batch.")
        if type(value) not in (list, tuple) or any(type(x) is not int for x in value):
            v.fail("wrong-type", f"{name} should return a list of ints, but it returned {kind_of(value)}.")
        value, expected = list(value), _batch_sizes(n, b, drop_last)
        if value == expected:
            continue
        at = "" if v.hidden else f" for n={n}, batch_size={b}"
        if value == expected + [0]:
            v.fail(
                "batch-count-floor-ceil",
                f"{name} ends with an empty batch{at}: when the batch size divides "
                "n there is no partial batch, and no extra batch for it either.",
            )
        if drop_last and value == _batch_sizes(n, b, False):
            v.fail("batch-count-floor-ceil", f"{name} keeps the partial last batch{at}: drop_last drops it.")
        if not drop_last and value == _batch_sizes(n, b, True):
            v.fail(
                "batch-count-floor-ceil",
                f"{name} leaves out the partial last batch{at}: without drop_last it counts too.",
            )
        if len(value) == len(expected) and value[:-1] == expected[:-1] and value[-1:] == [b]:
            v.fail(
                "last-batch-full",
                f"{name} makes the last batch full{at}, but only n % batch_size samples are left for it.",
            )
        if v.hidden:
            v.fail("wrong-values", f"{name} is wrong on inputs you have not seen.")
        v.fail("wrong-values", f"{name} returned {value}{at}, expected {expected}.")
    v.passed("values")


# --- Exercise 5: the training and the test loader ------------------------------------------
# Train shuffled, test not; both with batch_size; pin_memory only for a CUDA device.
ex5 = Exercise("nb06.ex5", title="Training and test loaders", points=2, answers="make_loaders", hidden_cases=4)


@ex5.cases
def ex5_cases(gen, hidden):
    if not hidden:
        return [{"n": 100, "batch_size": 16, "cuda": False}]
    cases = []
    for k in range(4):
        cases.append(
            {
                "n": int(torch.randint(40, 300, (1,), generator=gen)),
                "batch_size": int(torch.randint(4, 65, (1,), generator=gen)),
                "cuda": k % 2 == 0,
            }
        )
    return cases


@ex5.run
def ex5_run(case, make_loaders):
    from torch.utils.data import TensorDataset

    n = case["n"]
    X, y = torch.arange(n * 2.0).reshape(n, 2), torch.arange(float(n)).reshape(n, 1)
    train_ds, test_ds = TensorDataset(X[: n - n // 5], y[: n - n // 5]), TensorDataset(X[n - n // 5 :], y[n - n // 5 :])
    device = torch.device("cuda" if case["cuda"] else "cpu")
    loaders = make_loaders(train_ds, test_ds, case["batch_size"], device)
    if type(loaders) not in (tuple, list) or len(loaders) != 2:
        return {"type": type(loaders).__name__}
    return tuple(_loader_facts(loader, train_ds, test_ds) for loader in loaders)


@ex5.judge
def ex5_judge(v, case, got):
    _ex5_each_loader(v, case, got)
    train, test = got
    if train["sampler"] != "RandomSampler":
        v.fail(
            "train-loader-not-shuffled",
            f"The training loader reads the samples in order (its sampler is a {train['sampler']}).",
        )
    if test["sampler"] != "SequentialSampler":
        v.fail(
            "shuffle-test-loader",
            f"The test loader's sampler is a {test['sampler']}: it should read the test set in order.",
        )
    v.passed("shuffle")
    if test["drop_last"] or train["drop_last"]:
        v.fail(
            "loader-drops-samples",
            "A loader drops its last batch (drop_last=True): here every sample "
            "counts, and a test loader must never drop samples.",
        )
    want = bool(case["cuda"])
    for facts, part in zip(got, ("train", "test"), strict=True):
        if facts["pin_memory"] != want:
            v.fail(
                "pin-memory-device",
                f"The {part} loader has pin_memory={facts['pin_memory']} for a {'CUDA' if want else 'CPU'} device.",
            )
    v.passed("pin_memory")


def _ex5_each_loader(v, case, got):
    """A pair of DataLoaders, each on its own dataset with the batch size asked for."""
    if type(got) is dict:
        v.fail(
            "wrong-type",
            f"make_loaders should return a pair (train_loader, test_loader), but it returned a {got['type']}.",
        )
    for facts, part in zip(got, ("train", "test"), strict=True):
        if facts["type"] != "DataLoader":
            v.fail(
                "wrong-type", f"The {part} loader should be a torch.utils.data.DataLoader, but it is a {facts['type']}."
            )
    v.passed("type")
    for facts, part in zip(got, ("train", "test"), strict=True):
        if facts["dataset"] != part:
            v.fail("wrong-values", f"The {part} loader reads the {facts['dataset']} dataset: build it on {part}_ds.")
        if facts["batch_size"] != case["batch_size"]:
            v.fail(
                "wrong-values", f"The {part} loader has batch_size {facts['batch_size']}; use the batch_size argument."
            )
    v.passed("batch size")


# --- Exercise 6: a collate function that pads -------------------------------------------
# (padded (B, Lmax) float32 with zeros at the end, lengths long (B,), labels long (B,)).
ex6 = Exercise("nb06.ex6", title="Pad a batch in collate", points=2, answers="pad_collate")


@ex6.cases
def ex6_cases(gen, hidden):
    if not hidden:
        return [
            {"lengths": torch.tensor([3, 5, 2]), "values": torch.arange(1.0, 11.0), "labels": torch.tensor([0, 1, 1])}
        ]
    cases = []
    for _ in range(3):
        b = int(torch.randint(2, 7, (1,), generator=gen))
        lengths = torch.randint(1, 9, (b,), generator=gen)
        lengths[0] = lengths[1] % 8 + 1  # at least two lengths differ
        values = torch.randn(int(lengths.sum()), generator=gen) + 2.0
        cases.append({"lengths": lengths, "values": values, "labels": torch.randint(0, 5, (b,), generator=gen)})
    return cases


def _sequences(case):
    return list(torch.split(case["values"], case["lengths"].tolist()))


@ex6.run
def ex6_run(case, pad_collate):
    batch = [(seq.clone(), int(label)) for seq, label in zip(_sequences(case), case["labels"].tolist(), strict=True)]
    return pad_collate(batch)


@ex6.judge
def ex6_judge(v, case, got):
    seqs, lengths, labels = _sequences(case), case["lengths"], case["labels"]
    b, longest = len(seqs), int(lengths.max())
    if type(got) not in (tuple, list) or len(got) != 3:
        v.fail("wrong-type", f"pad_collate should return (padded, lengths, labels), but it returned {kind_of(got)}.")
    padded_v, lengths_v, labels_v = got
    if isinstance(padded_v, TensorValue) and padded_v.shape == (longest, b) and longest != b:
        v.fail(
            "wrong-shape",
            f"padded has shape {_shape(padded_v.shape)}: the time steps come first. "
            "Put the batch first: pad_sequence(..., batch_first=True).",
        )
    padded = v.tensor(padded_v, "padded", dtype=torch.float32, shape=(b, longest))
    ref = torch.zeros(b, longest)
    left = torch.zeros(b, longest)
    for i, s in enumerate(seqs):
        ref[i, : len(s)] = s
        left[i, longest - len(s) :] = s
    if longest == b and v.matches(padded, ref.T, atol=1e-6) and not v.matches(ref, ref.T, atol=1e-6):
        v.fail(
            "wrong-shape",
            "padded holds the time steps in its rows (its shape only looks right because "
            "the longest sequence is as long as the batch). Put the batch first: "
            "pad_sequence(..., batch_first=True).",
        )
    if v.matches(padded, left, atol=1e-6):
        v.fail("padding-wrong", "The padding is at the front of each row.")
    mask = ref != 0
    if v.matches(padded[mask], ref[mask], atol=1e-6) and not v.matches(padded, ref, atol=1e-6):
        v.fail("padding-wrong", "The values are in place, but the padding is not 0.")
    v.close(padded, ref, "padded", atol=1e-6, rtol=0)
    got_lengths = v.tensor(lengths_v, "lengths", dtype=torch.long, shape=(b,))
    v.close(got_lengths, lengths, "lengths", atol=0, rtol=0)
    got_labels = v.tensor(labels_v, "labels", dtype=torch.long, shape=(b,))
    v.close(got_labels, labels, "labels", atol=0, rtol=0)


# --- Exercise 7: noise augmentation inside a dataset -----------------------------------
# Fresh Gaussian noise of std sigma on the features at every read; targets unchanged.
ex7 = Exercise("nb06.ex7", title="Noise augmentation", points=2, answers="NoisyDataset")

#: Every sample is read once and the first _REREAD twice; the noise statistics are judged on
#: at least 4000 values, with tolerances of 0.1 sigma on the mean and 10% on the std: more
#: than 6 standard errors each.
_MEAN_TOL, _STD_RTOL, _REREAD = 0.1, 0.1, 40


@ex7.cases
def ex7_cases(gen, hidden):
    if not hidden:
        return [
            {
                "X": torch.randn(200, 20, generator=gen) * 2 + 1,
                "y": torch.randn(200, 1, generator=gen),
                "sigma": 0.1,
                "seed": 0,
            }
        ]
    cases = []
    for _ in range(3):
        n = int(torch.randint(200, 241, (1,), generator=gen))
        f = int(torch.randint(20, 29, (1,), generator=gen))
        sigma = round(float(torch.rand(1, generator=gen)) * 0.55 + 0.05, 3)
        cases.append(
            {
                "X": torch.randn(n, f, generator=gen) * 3,
                "y": torch.randn(n, 1, generator=gen),
                "sigma": sigma,
                "seed": int(torch.randint(0, 2**31, (1,), generator=gen)),
            }
        )
    return cases


@ex7.run
def ex7_run(case, NoisyDataset):
    with torch.random.fork_rng(devices=[]):  # the CPU random stream is restored afterwards
        torch.default_generator.manual_seed(case["seed"])  # a fixed stream: the same verdict every run
        ds = NoisyDataset(case["X"], case["y"], case["sigma"])
        n = case["X"].shape[0]
        first = _read(ds, range(n))
        second = _read(ds, range(_REREAD))
        return {"len": len(ds), "first": first, "second": second}


@ex7.judge
def ex7_judge(v, case, got):
    X, y, sigma = case["X"], case["y"], case["sigma"]
    n, f = X.shape
    _length(v, got["len"], "NoisyDataset(...)", n, {f})
    x1, y1 = _items(v, got["first"], "NoisyDataset(...)", n, (f,), (1,))
    x2, y2 = _items(v, got["second"], "NoisyDataset(...)", _REREAD, (f,), (1,))
    if not (v.matches(y1, y, atol=1e-6) and v.matches(y2, y[:_REREAD], atol=1e-6)):
        if (y1 - y).abs().max() > 0 and float((y1 - y).std()) < 3 * max(sigma, sigma**2):
            v.fail("augmentation-on-target", "The targets changed: only the features get noise.")
        v.close(y1, y, "the batch of targets", atol=1e-6, rtol=0)
    v.passed("targets")
    noise1, noise2 = x1 - X, x2 - X[:_REREAD]
    if float(noise1.abs().max()) == 0:
        v.fail("wrong-values", "The features come back unchanged: no noise was added.")
    if v.matches(noise1[:_REREAD], noise2, atol=1e-7, rtol=0):
        v.fail("augmentation-fixed-noise", "Two reads of the same sample gave the same noise.")
    v.passed("fresh noise")
    noise = torch.cat([noise1, noise2]).double()
    mean, std = float(noise.mean()), float(noise.std())
    if float(noise1.std(dim=1).mean()) < 0.5 * std:  # spread within a sample against the spread in all
        v.fail("noise-one-per-sample", "Every feature of a sample gets the same noise.")
    if abs(mean) > _MEAN_TOL * sigma:
        where = "" if v.hidden else f" (mean {mean:.3g} for sigma = {sigma:g})"
        v.fail(
            "noise-not-gaussian", f"The noise is not centred on 0{where} (tolerance: |mean| <= {_MEAN_TOL:g} sigma)."
        )
    if abs(std - sigma) > _STD_RTOL * sigma:
        if abs(std - sigma**2) <= _STD_RTOL * sigma**2:
            v.fail("noise-variance-as-std", "The noise's standard deviation is sigma squared.")
        where = "" if v.hidden else f" (std {std:.3g} for sigma = {sigma:g})"
        v.fail("wrong-values", f"The noise's standard deviation is not sigma{where} (tolerance: {_STD_RTOL:.0%}).")
    v.passed("noise statistics")
