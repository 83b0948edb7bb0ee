"""Notebook 06 checkers: behaviour the generic proofs do not cover."""

from __future__ import annotations

import re

import torch

from course.checks import nb06
from support import solution_answers, variant_answers


def test_noise_check_gives_the_same_verdict_and_leaves_the_global_generator_alone(monkeypatch):
    answers = solution_answers(nb06.ex7)
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    first = nb06.ex7.evaluate(*answers)
    assert torch.equal(torch.rand(3), expected_next), "the check changed the student's random stream"
    monkeypatch.setenv("COURSE_SECRET", "charlie")
    verdicts = {nb06.ex7.evaluate(*answers, hidden=True).passed for _ in range(3)}
    assert first.passed and verdicts == {True}


def test_a_tensor_subclass_from_getitem_fails():
    source = """
from torch.utils.data import Dataset


class Sneaky(torch.Tensor):
    pass


class TableDataset(Dataset):
    def __init__(self, frame, features, target):
        self.X = torch.tensor(frame[features].to_numpy(dtype=np.float32)).as_subclass(Sneaky)
        self.y = torch.tensor(frame[[target]].to_numpy(dtype=np.float32))

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.y[i]
"""
    result = nb06.ex1.evaluate(*variant_answers(nb06.ex1, source))
    assert not result.passed and result.code == "getitem-shape-dtype", str(result)


def test_split_may_return_index_tensors():
    source = """
def split_indices(n, seed):
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return perm[n // 5:], perm[: n // 5]
"""
    assert nb06.ex2.evaluate(*variant_answers(nb06.ex2, source)).passed


def test_table_dataset_reading_rows_one_by_one_passes(monkeypatch):
    source = """
from torch.utils.data import Dataset


class TableDataset(Dataset):
    def __init__(self, frame, features, target):
        self.frame, self.features, self.target = frame, features, target

    def __len__(self):
        return len(self.frame)

    def __getitem__(self, i):
        row = self.frame.iloc[i]
        return (torch.tensor(row[self.features].to_numpy(dtype=np.float32)),
                torch.tensor([row[self.target]], dtype=torch.float32))
"""
    answers = variant_answers(nb06.ex1, source)
    assert nb06.ex1.evaluate(*answers).passed
    monkeypatch.setenv("COURSE_SECRET", "delta")
    assert nb06.ex1.evaluate(*answers, hidden=True).passed


def test_hidden_messages_name_the_mistake_without_numbers(monkeypatch):
    source = """
def batch_sizes(n, batch_size, drop_last):
    count = n // batch_size if drop_last else n // batch_size + 1
    return [batch_size] * (n // batch_size) + [n % batch_size] * (count - n // batch_size)
"""
    monkeypatch.setenv("COURSE_SECRET", "echo")
    result = nb06.ex4.evaluate(*variant_answers(nb06.ex4, source), hidden=True)
    assert result.code == "batch-count-floor-ceil"
    assert not re.search(r"\d", result.message.replace("drop_last", "")), result.message
    visible = nb06.ex4.evaluate(*variant_answers(nb06.ex4, source))
    assert visible.code == "batch-count-floor-ceil" and "n=12" in visible.message, str(visible)


def test_the_batch_sizes_match_a_real_data_loader():
    from torch.utils.data import DataLoader

    (batch_sizes,) = solution_answers(nb06.ex4)
    for case in nb06.ex4.make_cases(hidden=False) + nb06.ex4.make_cases(hidden=True, secret="echo"):
        for drop_last in (False, True):
            loader = DataLoader(range(case["n"]), batch_size=case["batch_size"], drop_last=drop_last)
            assert batch_sizes(case["n"], case["batch_size"], drop_last) == [len(b) for b in loader]


def test_biased_std_is_accepted(monkeypatch):
    source = """
from torch.utils.data import Dataset


def fit_stats(X, train_idx):
    rows = X[train_idx]
    return rows.mean(dim=0), rows.std(dim=0, unbiased=False)


class NormalizedDataset(Dataset):
    def __init__(self, X, y, mean, std):
        self.X = (X - mean) / std  # normalised once: allowed, the result is the same
        self.y = y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.y[i]
"""
    answers = variant_answers(nb06.ex3, source)
    assert nb06.ex3.evaluate(*answers).passed
    monkeypatch.setenv("COURSE_SECRET", "foxtrot")
    assert nb06.ex3.evaluate(*answers, hidden=True).passed
