"""Device choice and seeding: the one place in the course that decides them.

Every notebook starts with `course.setup()`, and everything device-dependent takes its
device from `course.device()`, so the same notebook runs on CPU, CUDA and Apple MPS.
The environment variable ``COURSE_DEVICE`` (``cpu``, ``cuda``, ``cuda:1``, ``mps``)
overrides the automatic choice, for example to test the CPU path on a GPU machine.
"""

from __future__ import annotations

import contextlib
import os
import platform
import random

import numpy as np
import torch

DEFAULT_SEED = 0


def device() -> torch.device:
    """The device to compute on: ``COURSE_DEVICE`` if set, else CUDA, then MPS, then CPU."""
    wanted = os.environ.get("COURSE_DEVICE", "").strip()
    if wanted:
        dev = torch.device(wanted)
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"COURSE_DEVICE={wanted!r} but this machine has no CUDA device")
        if dev.type == "mps" and not _mps_available():
            raise RuntimeError(f"COURSE_DEVICE={wanted!r} but Apple MPS is not available here")
        return dev
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def same_device(a: torch.device | str, b: torch.device | str) -> bool:
    """Whether two devices are one place: plain "cuda" is the current CUDA device, so a
    tensor made with device="cuda" (which reports cuda:0) is on torch.device("cuda")."""
    return _placed(a) == _placed(b)


def _placed(dev: torch.device | str) -> tuple[str, int]:
    dev = torch.device(dev)
    if dev.index is not None:
        return dev.type, dev.index
    # Never initialise CUDA just to compare: where it is not initialised, no tensor is there yet.
    current = torch.cuda.current_device() if dev.type == "cuda" and torch.cuda.is_initialized() else 0
    return dev.type, current


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def seed(n: int = DEFAULT_SEED) -> int:
    """Seed Python, NumPy and torch (all devices) with ``n``; returns ``n``.

    Seeds make a run repeatable on one machine and one torch version; across versions
    and devices the random streams differ, which is why no check relies on them.
    """
    n = int(n)
    random.seed(n)
    np.random.seed(n % 2**32)
    torch.manual_seed(n)  # also seeds every CUDA device
    return n


@contextlib.contextmanager
def one_thread():
    """Run a block on one CPU thread, then restore the setting.

    The course's tensors are tiny: extra threads cost more in synchronisation than they
    save, and on a busy machine far more (measured: a 4-element loss took 6-13 ms with two
    busy threads against 9 us with one). Checkers that train use it.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def new_parameters_on_move():
    """Inside the block, ``module.to(...)`` puts new Parameter objects into the module.

    That is what moving a model does on some devices (TPUs through XLA) and what PyTorch's
    ``torch.__future__.set_overwrite_module_params_on_conversion(True)`` asks for everywhere.
    On CPU and CUDA PyTorch otherwise moves the data inside the same objects, which hides
    an optimizer built before the move; notebook 10 turns this on to show that bug on any
    machine, and its checker to find it.
    """
    before = torch.__future__.get_overwrite_module_params_on_conversion()
    torch.__future__.set_overwrite_module_params_on_conversion(True)
    try:
        yield
    finally:
        torch.__future__.set_overwrite_module_params_on_conversion(before)


def describe(dev: torch.device | None = None) -> str:
    """One line: Python, torch, the device and the course version."""
    from course import __version__

    dev = dev or device()
    name = str(dev)
    if dev.type == "cuda":
        name += f" ({torch.cuda.get_device_name(dev)})"
    return f"Python {platform.python_version()} | torch {torch.__version__} | device {name} | course {__version__}"


def setup(seed_value: int = DEFAULT_SEED, verbose: bool = True) -> torch.device:
    """Pick the device, seed everything, print one line, and return the device."""
    dev = device()
    seed(seed_value)
    if verbose:
        print(describe(dev))
    return dev
