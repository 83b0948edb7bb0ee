"""Facts next to the student's code come from pristine references (issue 19, item 2), in-process.

What a checker learns next to the student's code (storage identity, memory sharing, an
input changed in place, what a result is, an optimizer's class) must not change when
that code redirects the public names the facts would use or leaves a torch mode on. In
the grading engine the same tricks are also caught by the tripwire (``tests/redteam``);
here, without it, each fact must already be right by itself.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from course.checking import pristine
from course.checking.values import Opaque, TensorValue, describe
from course.checks import load_all
from support import solution_answers, variant_answers

EXERCISES = load_all()


class _Liar(TorchFunctionMode):
    """Answers ``untyped_storage`` with one shared storage, ``numpy`` with a saved array and
    ``detach`` with a saved clean copy: every fact a checker reads through torch would lie."""

    def __init__(self, storage=None, array=None, clean=None):
        super().__init__()
        self.storage, self.array, self.clean = storage, array, clean

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name == "untyped_storage" and self.storage is not None:
            return self.storage
        if name == "numpy" and self.array is not None:
            return self.array
        if name == "detach" and self.clean is not None:
            return self.clean
        return func(*args, **(kwargs or {}))


class _DetachDispatch(TorchDispatchMode):
    def __init__(self, clean):
        super().__init__()
        self.clean = clean

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func is torch.ops.aten.detach.default:
            return self.clean
        return func(*args, **(kwargs or {}))


def test_storage_identity_ignores_a_patched_data_ptr_and_a_mode(monkeypatch):
    x = torch.arange(6.0)
    view, copied = x.view(2, 3), x.clone()
    monkeypatch.setattr(torch.UntypedStorage, "data_ptr", lambda self: 4096)
    monkeypatch.setattr(torch.storage._StorageBase, "data_ptr", lambda self: 4096, raising=False)
    with _Liar(storage=torch.zeros(1).untyped_storage()):
        assert pristine.same_storage(view, x) and not pristine.same_storage(copied, x)
    assert pristine.storage_address(torch.empty(2, device="meta")) is None


def test_memory_sharing_ignores_a_mode_and_a_patched_shares_memory(monkeypatch):
    a = np.arange(4.0)
    shared, copied = torch.from_numpy(a), torch.tensor(a)
    monkeypatch.setattr(np, "shares_memory", lambda *args, **kwargs: True)
    with _Liar(array=a):
        assert pristine.shares_memory(shared, a) and not pristine.shares_memory(copied, a)
    assert not pristine.shares_memory(torch.empty(0), a) and not pristine.shares_memory(a, a)


@pytest.mark.parametrize("mode", ["function", "dispatch"])
def test_describe_reports_the_tensor_itself_under_a_mode(mode):
    t = torch.zeros(3)
    clean = torch.tensor([1.0, 2.0, 3.0])
    with _Liar(clean=clean) if mode == "function" else _DetachDispatch(clean):
        got = describe(t)
    assert isinstance(got, TensorValue) and torch.equal(got.data, torch.zeros(3))


def test_a_fresh_copy_ignores_a_home_made_copier(monkeypatch):
    table = dict(copy._deepcopy_dispatch)
    table[dict] = lambda x, memo, deepcopy=copy.deepcopy: {"x": torch.ones(2)}
    monkeypatch.setattr(copy, "_deepcopy_dispatch", table)
    case = {"x": torch.zeros(2), "w": torch.nn.Parameter(torch.ones(2)), "a": np.zeros(2), "n": 3, "s": (1, [2])}
    with _Liar(clean=torch.ones(2)):
        got = pristine.fresh_copy(case)
    assert type(got) is dict and torch.equal(got["x"], torch.zeros(2)) and got["x"] is not case["x"]
    assert type(got["w"]) is torch.nn.Parameter and got["w"].requires_grad
    assert not np.shares_memory(got["a"], case["a"]) and got["s"] == (1, [2])
    assert not pristine.same_storage(got["x"], case["x"])


def test_a_class_that_names_itself_after_a_library_class_is_a_lookalike():
    class SGD:
        pass

    SGD.__module__, SGD.__qualname__ = "torch.optim.sgd", "SGD"  # as in a notebook: no <locals>
    renamed = type("SGD", (torch.optim.Adam,), {"__module__": "torch.optim.sgd"})
    param = [torch.nn.Parameter(torch.zeros(1))]
    assert pristine.lookalike(SGD()) and pristine.lookalike(renamed(param))
    assert not pristine.lookalike(torch.optim.SGD(param, lr=0.1)) and not pristine.lookalike(3)

    class Mine:
        pass

    assert not pristine.lookalike(Mine())
    described = describe(renamed(param))
    assert isinstance(described, Opaque) and described.note == "look-alike"


_SETUP = (
    "def setup_training(model, device, lr, weight_decay):\n    model = model.to(device)\n"
    "    return model, {optimizer}\n"
)
#: optimizers that are not torch.optim.SGD, each with SGD's settings in its param_groups
IMPOSTORS = {
    "named_like_sgd": "import torch\nclass SGD:\n    def __init__(self, params, lr, momentum, weight_decay):\n"
    "        self.param_groups = [{'params': list(params), 'lr': lr, 'momentum': momentum,\n"
    "                              'weight_decay': weight_decay}]\n"
    "    def step(self):\n        pass\nSGD.__module__ = 'torch.optim.sgd'\n"
    + _SETUP.format(optimizer="SGD(model.parameters(), lr, 0.9, weight_decay)"),
    "adam_renamed": "import torch\nclass SGD(torch.optim.Adam):\n    pass\nSGD.__module__ = 'torch.optim.sgd'\n"
    "def _adam(params, lr, weight_decay):\n    opt = SGD(params, lr=lr, weight_decay=weight_decay)\n"
    "    opt.param_groups[0]['momentum'] = 0.9\n    return opt\n"
    + _SETUP.format(optimizer="_adam(model.parameters(), lr, weight_decay)"),
    "sgd_stepping_like_adam": "import torch\ndef _sgd(params, lr, weight_decay):\n    params = list(params)\n"
    "    opt = torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)\n"
    "    opt.step = torch.optim.Adam(params, lr=lr).step\n    return opt\n"
    + _SETUP.format(optimizer="_sgd(model.parameters(), lr, weight_decay)"),
}


@pytest.mark.parametrize("name", sorted(IMPOSTORS))
def test_an_optimizer_is_sgd_by_identity_and_by_its_steps(name, monkeypatch):
    ex = EXERCISES["nb05.ex2"]
    assert ex.evaluate(*solution_answers(ex)).passed
    result = ex.evaluate(*variant_answers(ex, IMPOSTORS[name]))
    assert not result.passed and result.code == "wrong-type", str(result)
    monkeypatch.setenv("COURSE_SECRET", "pristine")
    assert not ex.evaluate(*variant_answers(ex, IMPOSTORS[name]), hidden=True).passed


def test_settle_runs_right_after_the_students_code(monkeypatch):
    """``pristine.SETTLE`` (the engine's ``verify``) runs after each call of the student's code,
    before any fact is read; outside the engine it does nothing."""
    calls = []
    monkeypatch.setattr(pristine, "SETTLE", lambda: calls.append(len(calls)))
    ex = EXERCISES["nb01.ex6"]
    answers = solution_answers(ex)
    cases = ex.make_cases(hidden=False)
    ex.collect(answers, cases)
    assert len(calls) >= 2 * len(cases)
