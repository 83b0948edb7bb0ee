"""The data sets of the course.

- ``xor()``: the four XOR points.
- ``linear(n=100, noise=0.5, seed=0)``: y = 4x + 5.5 + noise on linspace(-1, 1).
- ``clusters(n=200, classes=2, spread=0.6, seed=0)``: points around a few centres, one
  class per centre, for small classifiers.
- ``adult()``: UCI Adult (OpenML "adult" version 2), downloaded where possible, else
  the copy shipped with the package (:mod:`course.data.adult`).
"""

from course.data.adult import adult  # noqa: F401
from course.data.synthetic import clusters, linear, xor  # noqa: F401

__all__ = ["adult", "clusters", "linear", "xor"]
