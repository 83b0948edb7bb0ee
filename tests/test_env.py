"""course.setup(), course.device(), course.seed(): the one place for device and seed logic."""

import random
import re

import numpy as np
import pytest
import torch

import course
from course import env


def test_setup_prints_one_line_and_returns_the_device(capsys, monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    dev = course.setup()
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    line = out[0]
    assert re.search(r"Python \d+\.\d+\.\d+", line)
    assert f"torch {torch.__version__}" in line
    assert f"device {dev}" in line
    assert f"course {course.__version__}" in line
    assert isinstance(dev, torch.device)


def test_setup_can_be_quiet(capsys):
    course.setup(verbose=False)
    assert capsys.readouterr().out == ""


def test_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(env, "_mps_available", lambda: False)
    assert course.device() == torch.device("cpu")
    monkeypatch.setattr(env, "_mps_available", lambda: True)
    assert course.device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert course.device() == torch.device("cuda")


def test_course_device_environment_overrides(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert course.device() == torch.device("cpu")


def test_override_to_a_missing_device_says_so(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="no CUDA device"):
        course.device()


def test_seed_makes_python_numpy_and_torch_repeat():
    def draw():
        return random.random(), float(np.random.rand()), torch.rand(3).tolist()

    course.seed(123)
    first = draw()
    course.seed(123)
    assert draw() == first
    course.seed(124)
    assert draw() != first


def test_setup_seeds(monkeypatch):
    course.setup(seed_value=7, verbose=False)
    a = torch.rand(2)
    course.setup(seed_value=7, verbose=False)
    assert torch.equal(a, torch.rand(2))


def test_submodules_load_on_first_use():
    assert course.data.xor()[0].shape == (4, 2)
    assert callable(course.plots.curves)
    with pytest.raises(AttributeError):
        _ = course.no_such_module


def test_one_thread_restores_the_setting():
    from course.env import one_thread

    before = torch.get_num_threads()
    with one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("cpu", "cpu", True),
        ("cpu", torch.device("cpu"), True),
        ("cpu", "meta", False),
        ("cuda", "cuda:0", True),  # a tensor made with device="cuda" reports cuda:0
        ("cuda:1", "cuda:0", False),
        ("cuda:0", "cpu", False),
        ("mps", "mps:0", True),
    ],
)
def test_same_device_reads_a_plain_cuda_as_the_current_card(a, b, same):
    assert env.same_device(a, b) is same and env.same_device(b, a) is same
