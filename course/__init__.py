"""The `course` package: what a student imports next to the notebooks.

- `course.setup()`, `course.device()`, `course.seed()`: device and seeding, in one place
  (`course.env`).
- `course.data`: the data sets of the course (XOR, the noisy line, point clusters, UCI Adult).
- `course.plots`: small plotting helpers with a colour-blind-safe palette.
- `course.misconceptions`: the catalogue of named beginner mistakes.
- `course.checks.nbNN.exK`: the checker of notebook NN, exercise K.
"""

__version__ = "0.3.0"

from course.env import device, seed, setup  # noqa: E402,F401

__all__ = ["__version__", "device", "seed", "setup"]

_SUBMODULES = {"data", "plots", "checks", "checking", "misconceptions", "env", "project"}


def __getattr__(name):
    """``course.data``, ``course.plots``... load on first use, keeping ``import course`` light."""
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"course.{name}")
    raise AttributeError(f"module 'course' has no attribute {name!r}")
