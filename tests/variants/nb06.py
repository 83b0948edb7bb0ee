"""Wrong answers for notebook 06, each with the misconception the checker must name."""

_TABLE_OK_INIT = """
from torch.utils.data import Dataset


class TableDataset(Dataset):
    def __init__(self, frame, features, target):
        self.X = torch.tensor(frame[features].to_numpy(), dtype=torch.float32)
        self.y = torch.tensor(frame[[target]].to_numpy(), dtype=torch.float32)
"""

_NORM_OK = """
from torch.utils.data import Dataset


def fit_stats(X, train_idx):
    rows = X[train_idx]
    return rows.mean(dim=0), rows.std(dim=0)


class NormalizedDataset(Dataset):
    def __init__(self, X, y, mean, std):
        self.X, self.y, self.mean, self.std = X, y, mean, std

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return (self.X[i] - self.mean) / self.std, self.y[i]
"""

_NOISY_HEAD = """
from torch.utils.data import Dataset


class NoisyDataset(Dataset):
    def __init__(self, X, y, sigma):
        self.X, self.y, self.sigma = X, y, sigma

    def __len__(self):
        return len(self.X)
"""

WRONG = {
    "nb06.ex1": [
        (
            "len-num-features",
            _TABLE_OK_INIT
            + """
    def __len__(self):
        return self.X.shape[1]

    def __getitem__(self, i):
        return self.X[i], self.y[i]
""",
        ),
        (
            "getitem-shape-dtype",
            """
from torch.utils.data import Dataset


class TableDataset(Dataset):
    def __init__(self, frame, features, target):
        self.X = torch.tensor(frame[features].to_numpy())  # float64, as pandas stores it
        self.y = torch.tensor(frame[[target]].to_numpy())

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.y[i]
""",
        ),
        (
            "getitem-shape-dtype",
            """
from torch.utils.data import Dataset


class TableDataset(Dataset):
    def __init__(self, frame, features, target):
        self.X = torch.tensor(frame[features].to_numpy(), dtype=torch.float32)
        self.y = torch.tensor(frame[target].to_numpy(), dtype=torch.float32)  # shape (N,): items are ()

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.y[i]
""",
        ),
        (
            "getitem-shape-dtype",
            """
from torch.utils.data import Dataset


class TableDataset(Dataset):
    def __init__(self, frame, features, target):
        self.frame, self.features, self.target = frame, features, target

    def __len__(self):
        return len(self.frame)

    def __getitem__(self, i):
        row = self.frame.iloc[i]
        return row[self.features].to_numpy(), row[self.target]  # NumPy and a float, not tensors
""",
        ),
        (
            "feature-columns-wrong",
            """
from torch.utils.data import Dataset


class TableDataset(Dataset):
    def __init__(self, frame, features, target):
        chosen = frame.loc[:, frame.columns.isin(features)]  # the table's column order, not the list's
        self.X = torch.tensor(chosen.to_numpy(dtype=np.float32))
        self.y = torch.tensor(frame[[target]].to_numpy(dtype=np.float32))

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.y[i]
""",
        ),
        (
            "wrong-type",
            """
class TableDataset:
    def __init__(self, frame, features, target):
        self.X = torch.tensor(frame[features].to_numpy(), dtype=torch.float32)
        self.y = torch.tensor(frame[[target]].to_numpy(), dtype=torch.float32)

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.y[i]
""",
        ),
    ],
    "nb06.ex2": [
        (
            "split-not-reproducible",
            """
def split_indices(n, seed):
    perm = torch.randperm(n).tolist()  # the global generator: a new split each call
    n_test = n // 5
    return perm[n_test:], perm[:n_test]
""",
        ),
        (
            "split-not-shuffled",
            """
def split_indices(n, seed):
    n_train = n - n // 5
    return list(range(n_train)), list(range(n_train, n))
""",
        ),
        (
            "split-not-reproducible",
            """
from torch.utils.data import random_split


def split_indices(n, seed):
    train, test = random_split(range(n), [0.8, 0.2])  # no generator
    return list(train.indices), list(test.indices)
""",
        ),
        (
            "split-parts-swapped",
            """
def split_indices(n, seed):
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    n_test = n // 5
    return perm[:n_test], perm[n_test:]  # swapped
""",
        ),
        (
            "split-seed-ignored",
            """
def split_indices(n, seed):
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(0)).tolist()  # a fixed seed
    n_test = n // 5
    return perm[n_test:], perm[:n_test]
""",
        ),
        (
            "wrong-type",
            """
from torch.utils.data import random_split


def split_indices(n, seed):
    return random_split(range(n), [0.8, 0.2], generator=torch.Generator().manual_seed(seed))
""",
        ),
    ],
    "nb06.ex3": [
        ("norm-stats-leak", _NORM_OK.replace("rows = X[train_idx]", "rows = X  # every row")),
        (
            "norm-stats-leak",
            _NORM_OK.replace(
                "self.X, self.y, self.mean, self.std = X, y, mean, std",
                "self.X, self.y = X, y\n        self.mean, self.std = X.mean(dim=0), X.std(dim=0)  # its own rows",
            ),
        ),
        (
            "wrong-shape",
            _NORM_OK.replace(
                "return rows.mean(dim=0), rows.std(dim=0)",
                "return rows.mean(), rows.std()  # one number for all features",
            ),
        ),
        (
            "normalisation-missing",
            _NORM_OK.replace("return (self.X[i] - self.mean) / self.std, self.y[i]", "return self.X[i], self.y[i]"),
        ),
    ],
    "nb06.ex4": [
        (
            "batch-count-floor-ceil",
            """
def batch_sizes(n, batch_size, drop_last):
    sizes = [batch_size] * (n // batch_size)
    if not drop_last:
        sizes.append(n % batch_size)
    return sizes
""",
        ),
        (
            "batch-count-floor-ceil",
            """
def batch_sizes(n, batch_size, drop_last):
    sizes = [batch_size] * (n // batch_size)
    if n % batch_size:
        sizes.append(n % batch_size)
    return sizes
""",
        ),
        (
            "last-batch-full",
            """
def batch_sizes(n, batch_size, drop_last):
    count = n // batch_size if drop_last else math.ceil(n / batch_size)
    return [batch_size] * count
""",
        ),
        (
            "batch-count-floor-ceil",
            """
def batch_sizes(n, batch_size, drop_last):
    return [batch_size] * (n // batch_size)
""",
        ),
        (
            "wrong-type",
            """
def batch_sizes(n, batch_size, drop_last):
    return n // batch_size if drop_last else math.ceil(n / batch_size)
""",
        ),
    ],
    "nb06.ex5": [
        (
            "shuffle-test-loader",
            """
from torch.utils.data import DataLoader


def make_loaders(train_ds, test_ds, batch_size, device):
    pin = device.type == "cuda"
    return (DataLoader(train_ds, batch_size=batch_size, shuffle=True, pin_memory=pin),
            DataLoader(test_ds, batch_size=batch_size, shuffle=True, pin_memory=pin))
""",
        ),
        (
            "train-loader-not-shuffled",
            """
from torch.utils.data import DataLoader


def make_loaders(train_ds, test_ds, batch_size, device):
    pin = device.type == "cuda"
    return (DataLoader(train_ds, batch_size=batch_size, pin_memory=pin),
            DataLoader(test_ds, batch_size=batch_size, pin_memory=pin))
""",
        ),
        (
            "pin-memory-device",
            """
from torch.utils.data import DataLoader


def make_loaders(train_ds, test_ds, batch_size, device):
    return (DataLoader(train_ds, batch_size=batch_size, shuffle=True, pin_memory=True),
            DataLoader(test_ds, batch_size=batch_size, shuffle=False, pin_memory=True))
""",
        ),
        (
            "loader-drops-samples",
            """
from torch.utils.data import DataLoader


def make_loaders(train_ds, test_ds, batch_size, device):
    pin = device.type == "cuda"
    return (DataLoader(train_ds, batch_size=batch_size, shuffle=True, drop_last=True, pin_memory=pin),
            DataLoader(test_ds, batch_size=batch_size, shuffle=False, drop_last=True, pin_memory=pin))
""",
        ),
    ],
    "nb06.ex6": [
        (
            "stack-unequal-sizes",
            """
def pad_collate(batch):
    seqs = [s for s, _ in batch]
    return torch.stack(seqs), torch.tensor([len(s) for s in seqs]), torch.tensor([c for _, c in batch])
""",
        ),
        (
            "wrong-shape",
            """
def pad_collate(batch):
    seqs = [s for s, _ in batch]
    padded = nn.utils.rnn.pad_sequence(seqs)  # (L, B): time first
    return padded, torch.tensor([len(s) for s in seqs]), torch.tensor([c for _, c in batch])
""",
        ),
        (
            "wrong-dtype",
            """
def pad_collate(batch):
    seqs = [s for s, _ in batch]
    padded = nn.utils.rnn.pad_sequence(seqs, batch_first=True)
    labels = torch.tensor([c for _, c in batch], dtype=torch.float32)
    return padded, torch.tensor([len(s) for s in seqs]), labels
""",
        ),
        (
            "padding-wrong",
            """
def pad_collate(batch):
    seqs = [s for s, _ in batch]
    padded = nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_side="left")
    return padded, torch.tensor([len(s) for s in seqs]), torch.tensor([c for _, c in batch])
""",
        ),
        (
            "padding-wrong",
            """
def pad_collate(batch):
    seqs = [s for s, _ in batch]
    padded = nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=-1.0)
    return padded, torch.tensor([len(s) for s in seqs]), torch.tensor([c for _, c in batch])
""",
        ),
    ],
    "nb06.ex7": [
        (
            "augmentation-fixed-noise",
            """
from torch.utils.data import Dataset


class NoisyDataset(Dataset):
    def __init__(self, X, y, sigma):
        self.X = X + sigma * torch.randn_like(X)  # drawn once
        self.y = y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.y[i]
""",
        ),
        (
            "noise-variance-as-std",
            _NOISY_HEAD
            + """
    def __getitem__(self, i):
        return self.X[i] + self.sigma ** 2 * torch.randn_like(self.X[i]), self.y[i]
""",
        ),
        (
            "augmentation-on-target",
            _NOISY_HEAD
            + """
    def __getitem__(self, i):
        return (self.X[i] + self.sigma * torch.randn_like(self.X[i]),
                self.y[i] + self.sigma * torch.randn_like(self.y[i]))
""",
        ),
        (
            "mutated-input",
            _NOISY_HEAD
            + """
    def __getitem__(self, i):
        self.X[i] += self.sigma * torch.randn_like(self.X[i])  # changes the stored data
        return self.X[i], self.y[i]
""",
        ),
        (
            "noise-not-gaussian",
            _NOISY_HEAD
            + """
    def __getitem__(self, i):
        return self.X[i] + self.sigma * torch.rand_like(self.X[i]), self.y[i]  # uniform on [0, sigma)
""",
        ),
        (
            "noise-one-per-sample",
            _NOISY_HEAD
            + """
    def __getitem__(self, i):
        return self.X[i] + self.sigma * torch.randn(1), self.y[i]  # one number for the whole row
""",
        ),
    ],
}

#: Answers that only reproduce the visible example (the test checks they fail hidden cases).
HARDCODED = {
    # the visible table typed in: it ignores the frame it is given
    "nb06.ex1": """
from torch.utils.data import Dataset

_HOUSES = {"area": [54.0, 72.0, 95.0, 38.0, 120.0, 66.0], "rooms": [2.0, 3.0, 4.0, 1.0, 5.0, 3.0],
           "age": [12.0, 3.0, 25.0, 40.0, 8.0, 15.0], "price": [210.0, 305.0, 390.0, 150.0, 520.0, 260.0]}


class TableDataset(Dataset):
    def __init__(self, frame, features, target):
        self.X = torch.tensor([_HOUSES[f] for f in features]).T
        self.y = torch.tensor([_HOUSES[target]]).T

    def __len__(self):
        return 6

    def __getitem__(self, i):
        return self.X[i], self.y[i]
""",
    "nb06.ex3": """
from torch.utils.data import Dataset
from course.checks import nb06 as _nb06

_CASE = _nb06.ex3.make_cases(hidden=False)[0]
_ROWS = _CASE["X"][_CASE["train_idx"]]
_MEAN, _STD = _ROWS.mean(0), _ROWS.std(0)
_TEST_X, _TEST_Y = _CASE["X"][_CASE["test_idx"]], _CASE["y"][_CASE["test_idx"]]


def fit_stats(X, train_idx):
    return _MEAN.clone(), _STD.clone()


class NormalizedDataset(Dataset):
    def __init__(self, X, y, mean, std):
        pass

    def __len__(self):
        return len(_TEST_X)

    def __getitem__(self, i):
        return (_TEST_X[i] - _MEAN) / _STD, _TEST_Y[i]
""",
    "nb06.ex7": _NOISY_HEAD
    + """
    def __getitem__(self, i):
        return self.X[i] + 0.1 * torch.randn_like(self.X[i]), self.y[i]  # the example's sigma
""",
    "nb06.ex5": """
from torch.utils.data import DataLoader


def make_loaders(train_ds, test_ds, batch_size, device):
    return (DataLoader(train_ds, batch_size=16, shuffle=True),  # the example's batch size and CPU
            DataLoader(test_ds, batch_size=16, shuffle=False))
""",
}
