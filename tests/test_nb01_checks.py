"""Behaviour of notebook 01's checkers that the generic proofs do not cover."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course.checks import load_all, nb01
from course.misconceptions import match_error
from support import variant_answers
from variants.nb01 import WRONG


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


def test_other_ways_to_pick_and_mask_are_accepted(monkeypatch):
    def target_scores(logits, target):
        return logits.gather(1, target.unsqueeze(1)).squeeze(1)

    def masked_means(x, mask):
        return torch.nanmean(torch.where(mask, x, float("nan")), dim=1)

    monkeypatch.setenv("COURSE_SECRET", "echo")
    assert nb01.ex1.evaluate(target_scores, masked_means).passed
    assert nb01.ex1.evaluate(target_scores, masked_means, hidden=True).passed


def test_picking_each_rows_largest_logit_is_not_the_target():
    result = nb01.ex1.evaluate(
        lambda logits, target: logits.max(dim=1).values, lambda x, mask: (x * mask).sum(1) / mask.sum(1)
    )
    assert not result.passed and result.code == "wrong-values" and "largest logit" in result.message, str(result)


@pytest.mark.parametrize(
    "answer,code",
    [
        (lambda counts: counts.float().mean(dim=0), "wrong-reduction-dim"),
        (lambda counts: counts.float().mean(dim=1, keepdim=True), "keepdim-mismatch"),
    ],
)
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


def test_computing_on_cpu_then_moving_fails_visibly_and_hidden(monkeypatch):
    """Where the product ran is recorded, so the meta case catches it on a CPU-only machine."""
    lazy = lambda x, w, b, device: (x @ w + b).to(device)  # noqa: E731
    visible = nb01.ex8.evaluate(lazy)
    assert not visible.passed and visible.code == "compute-then-move", str(visible)
    assert "matmul ran on cpu" in visible.message
    monkeypatch.setenv("COURSE_SECRET", "echo")
    hidden = nb01.ex8.evaluate(lazy, hidden=True)
    assert hidden.points == 0 and hidden.code == "compute-then-move", str(hidden)


@pytest.mark.parametrize(
    "answer",
    [
        lambda x, w, b, device: F.linear(x.to(device), w.to(device).t(), b.to(device)),
        lambda x, w, b, device: torch.addmm(b.to(device), x.to(device), w.to(device)),
        lambda x, w, b, device: (
            x.float().contiguous().to(device) @ w.to(device) + b.to(device)
        ),  # no product on the CPU
    ],
    ids=["linear", "addmm", "convert-then-move"],
)
def test_computing_on_the_device_passes_however_written(answer):
    assert nb01.ex8.evaluate(answer).passed
    assert nb01.ex8.evaluate(answer, hidden=True).passed


def test_the_recorder_does_not_outlive_the_answer():
    nb01.ex8.evaluate(lambda x, w, b, device: (x @ w + b).to(device))
    from torch.overrides import _get_current_function_mode_stack

    assert not _get_current_function_mode_stack()


@pytest.mark.parametrize(
    "code,fn",
    [
        ("cat-ndim-mismatch", lambda: torch.cat([torch.zeros(2, 3), torch.zeros(2)], dim=1)),
        ("cat-size-mismatch", lambda: torch.cat([torch.zeros(2, 3), torch.zeros(1, 2)], dim=1)),
        ("batched-matmul-shapes", lambda: torch.bmm(torch.zeros(3, 4, 5), torch.zeros(3, 2, 5))),
        ("batched-matmul-shapes", lambda: torch.zeros(3, 4, 5) @ torch.zeros(3, 2, 5)),
    ],
)
def test_real_pytorch_errors_of_the_new_sections_are_named(code, fn):
    with pytest.raises(RuntimeError) as err:
        fn()
    assert match_error(str(err.value)) == code


def test_joining_and_batched_products_accept_other_correct_forms(monkeypatch):
    def make_batch(samples, labels):
        return torch.column_stack([torch.stack(samples), labels])

    def split_batch(batch):
        return batch[..., :-1], batch[..., -1].unsqueeze(-1)

    def many_linear(x, W, b):
        return torch.einsum("rnd,rhd->rnh", x, W) + b[:, None, :]

    monkeypatch.setenv("COURSE_SECRET", "echo")
    for hidden in (False, True):
        assert nb01.ex9.evaluate(make_batch, split_batch, hidden=hidden).passed
        assert nb01.ex10.evaluate(many_linear, hidden=hidden).passed
        assert nb01.ex10.evaluate(
            lambda x, W, b: torch.stack([x[r] @ W[r].T + b[r] for r in range(len(x))]), hidden=hidden
        ).passed


CHANGED = ("nb01.ex1", "nb01.ex8", "nb01.ex9", "nb01.ex10")


@pytest.mark.parametrize(
    "ex_id,code,source",
    [(e, c, s) for e in CHANGED for c, s in WRONG[e]],
    ids=lambda v: v if isinstance(v, str) and len(v) < 40 else "",
)
def test_the_visible_check_names_each_wrong_answer(ex_id, code, source):
    """Issue 20: what the hidden cases catch, the visible check catches first, by name."""
    ex = load_all()[ex_id]
    result = ex.evaluate(*variant_answers(ex, source))
    assert not result.passed and result.code == code, str(result)
