"""The data sets of the course.

- ``xor()``: the four XOR points.
- ``linear(n=100, noise=0.5, seed=0)``: y = 4x + 5.5 + noise on linspace(-1, 1).
- ``adult()``: UCI Adult (OpenML "adult" version 2), downloaded where possible, else
  the copy shipped with the package (:mod:`course.data.adult`).
"""

from course.data.adult import adult  # noqa: F401
from course.data.synthetic import linear, xor  # noqa: F401

__all__ = ["adult", "linear", "xor"]
