"""Behaviour of notebook 01's checkers that the generic proofs do not cover."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from course.checks import nb01


class Sneaky(torch.Tensor):
    """A tensor subclass: the checker must not accept it, whatever its values."""


def _no_numbers_shown(result):
    assert not re.search(r"expected -?\d", result.message), result.message


def test_tensor_subclass_fails_as_wrong_type():
    result = nb01.ex2.evaluate(lambda counts: counts.float().mean(dim=1).as_subclass(Sneaky))
    assert not result.passed and result.code == "wrong-type", str(result)


def test_lying_eq_object_fails_reshape():
    class Liar:
        def __eq__(self, other):
            return True

    result = nb01.ex5.evaluate(lambda x: (Liar(), Liar()))
    assert not result.passed and result.code == "wrong-type", str(result)


def test_torch_size_is_accepted_as_shape():
    def tensor_facts(x):
        return {"shape": x.shape, "ndim": x.ndim, "dtype": x.dtype, "numel": x.numel()}

    assert nb01.ex1.evaluate(tensor_facts).passed
    assert nb01.ex1.evaluate(tensor_facts, hidden=True).passed


@pytest.mark.parametrize("answer,code", [
    (lambda counts: counts.float().mean(dim=0), "wrong-reduction-dim"),
    (lambda counts: counts.float().mean(dim=1, keepdim=True), "keepdim-mismatch"),
])
def test_reduction_mistakes_named_in_hidden_mode_without_values(answer, code, monkeypatch):
    monkeypatch.setenv("COURSE_SECRET", "charlie")
    result = nb01.ex2.evaluate(answer, hidden=True)
    assert result.code == code, str(result)
    _no_numbers_shown(result)


def test_column_means_of_a_square_matrix_are_named():
    """On a square matrix the shape cannot tell the dims apart; the values do."""
    ex = nb01.ex2
    case = {"counts": torch.tensor([[1, 2], [7, 8]])}
    outcome = ex.collect((lambda counts: counts.float().mean(dim=0),), [case])
    result = ex.decide([case], outcome, hidden=False)
    assert result.code == "wrong-reduction-dim", str(result)


def test_squared_errors_averaged_over_the_broadcast_matrix_is_named():
    result = nb01.ex4.evaluate(lambda pred, target: ((pred - target) ** 2).mean(dim=0))
    assert result.code == "broadcast-n-by-n", str(result)


def test_contiguous_then_view_is_accepted():
    assert nb01.ex6.evaluate(lambda x: x.contiguous().view(-1)).passed
    assert nb01.ex6.evaluate(lambda x: x.flatten(), hidden=True).passed


def test_as_tensor_shares_and_clone_copies():
    def share_numpy(a):
        return torch.as_tensor(a)

    def copy_numpy(a):
        return torch.from_numpy(a).clone()

    assert nb01.ex7.evaluate(share_numpy, copy_numpy).passed
    assert nb01.ex7.evaluate(share_numpy, copy_numpy, hidden=True).passed


def test_numpy_checker_does_not_change_the_array():
    a = np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    before = a.copy()
    nb01.ex7.collect((torch.from_numpy, torch.tensor), [{"a": a}])
    assert np.array_equal(a, before)


def test_meta_case_checks_dtype_and_shape():
    result = nb01.ex8.evaluate(lambda x, w, b, device: (x.to(device) @ w.to(device) + b.to(device)).double())
    assert result.code == "float64-not-float32" or result.code == "wrong-dtype", str(result)
    result = nb01.ex8.evaluate(lambda x, w, b, device: (x.to(device) @ w.to(device)).sum(dim=1))
    assert result.code == "wrong-shape", str(result)


def test_computing_on_cpu_then_moving_passes_the_values():
    """Known limit: the result cannot tell where it was computed, only where it lives."""
    assert nb01.ex8.evaluate(lambda x, w, b, device: (x @ w + b).to(device)).passed
