"""The student's path on a CUDA device: runs only where torch sees one.

On a CPU-only machine (CI) every test here is skipped; the device-mismatch paths are also
covered there with the data-less "meta" device (test_nb01_checks, test_nb03_checks). On a
GPU machine run ``make test-cuda``, which runs this file, the in-process checker tests and
every notebook with COURSE_DEVICE=cuda. The messages PyTorch gives are printed (``-s``) so
that a run records them.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

import course
from course.checking.values import describe
from course.checks import nb01, nb03
from course.misconceptions import match_error
from support import solution_answers

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine"),
]


def test_setup_picks_cuda_and_names_the_card(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    dev = course.setup()
    assert dev.type == "cuda"
    line = capsys.readouterr().out
    assert torch.cuda.get_device_name(dev) in line


def _message(action) -> str:
    with pytest.raises((RuntimeError, TypeError)) as info:
        action()
    print(f"\n{type(info.value).__name__}: {info.value}")
    return str(info.value)


@pytest.mark.parametrize(
    "mistake, code",
    [
        ("cuda tensor + cpu tensor", "device-mismatch"),
        ("cuda model, cpu batch", "device-mismatch"),
        ("cpu model, cuda batch", "device-mismatch"),
        ("cuda tensor .numpy()", "numpy-on-gpu"),
        ("cuda tensor that requires grad .numpy()", "numpy-on-gpu"),  # the device is checked first
    ],
)
def test_real_cuda_errors_are_named_by_the_catalogue(mistake, code):
    cuda = torch.device("cuda")
    actions = {
        "cuda tensor + cpu tensor": lambda: torch.ones(2, device=cuda) + torch.ones(2),
        "cuda model, cpu batch": lambda: nn.Linear(3, 1).to(cuda)(torch.ones(4, 3)),
        "cpu model, cuda batch": lambda: nn.Linear(3, 1)(torch.ones(4, 3, device=cuda)),
        "cuda tensor .numpy()": lambda: torch.ones(2, device=cuda).numpy(),
        "cuda tensor that requires grad .numpy()": lambda: torch.ones(2, device=cuda, requires_grad=True).numpy(),
    }
    assert match_error(_message(actions[mistake])) == code


def test_a_cuda_tensor_is_described_with_its_device_and_values():
    x = torch.arange(6.0, device="cuda").reshape(2, 3).requires_grad_()
    value = describe(x * 2)
    assert value.device == "cuda:0" and value.requires_grad and value.grad_fn == "MulBackward0"
    assert torch.equal(value.data, torch.arange(6.0).reshape(2, 3) * 2)


def _on_cuda(exercise):
    """The exercise's visible cases with the data-less "meta" device swapped for CUDA."""
    cases = exercise.make_cases(hidden=False)
    for case in cases:
        if case["device"] == "meta":
            case["device"] = "cuda"
    assert any(case["device"] == "cuda" for case in cases)
    return cases


@pytest.mark.parametrize("exercise", [nb01.ex8, nb03.ex7], ids=lambda e: e.id)
def test_the_reference_answer_passes_on_cuda(exercise):
    cases = _on_cuda(exercise)
    result = exercise.decide(cases, exercise.collect(solution_answers(exercise), cases), hidden=False)
    assert result.passed, result.message


def test_computing_on_the_cpu_and_moving_the_result_is_named_on_cuda():
    cases = _on_cuda(nb01.ex8)
    lazy = lambda x, w, b, device: (x @ w + b).to(device)  # noqa: E731
    result = nb01.ex8.decide(cases, nb01.ex8.collect((lazy,), cases), hidden=False)
    assert not result.passed and result.code == "compute-then-move", str(result)


def test_forgetting_to_move_is_named_on_cuda():
    cases = _on_cuda(nb01.ex8)
    stays = lambda x, w, b, device: x @ w + b  # noqa: E731
    result = nb01.ex8.decide(cases, nb01.ex8.collect((stays,), cases), hidden=False)
    assert not result.passed and result.code == "device-mismatch"


def test_keeping_the_old_batch_is_named_on_cuda():
    cases = _on_cuda(nb03.ex7)

    def to_device(model, x, device):
        x.to(device)  # the moved copy is thrown away
        return model.to(device), x

    result = nb03.ex7.decide(cases, nb03.ex7.collect((to_device,), cases), hidden=False)
    assert not result.passed and result.code == "device-mismatch"
