"""Plot helpers with one look for the whole course.

Colours come from the Okabe-Ito palette, which stays distinguishable for the common
forms of colour blindness; lines also differ by marker or style so that no plot relies
on colour alone. Every helper labels its axes.
"""

from __future__ import annotations

from typing import Iterable, Sequence

#: Okabe-Ito: blue, orange, bluish green, vermillion, reddish purple, sky blue, yellow, black.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
LINESTYLES = ["-", "--", "-.", ":"]


def use_course_style() -> None:
    """Set matplotlib's colour cycle and a readable default size."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams["axes.prop_cycle"] = cycler(color=PALETTE)
    mpl.rcParams["figure.figsize"] = (6.4, 4.0)
    mpl.rcParams["axes.grid"] = True
    mpl.rcParams["grid.alpha"] = 0.3


def _axes(ax=None):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    return ax


def curves(
    series: dict[str, Sequence[float]],
    xlabel: str = "epoch",
    ylabel: str = "loss",
    title: str | None = None,
    logy: bool = False,
    ax=None,
):
    """Several named curves on one axes (learning curves, schedules); returns the axes."""
    ax = _axes(ax)
    for i, (name, ys) in enumerate(series.items()):
        ax.plot(
            range(len(ys)),
            list(ys),
            label=name,
            color=PALETTE[i % len(PALETTE)],
            linestyle=LINESTYLES[i % len(LINESTYLES)],
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    if len(series) > 1:
        ax.legend()
    return ax


def scatter_fit(
    x: Iterable[float],
    y: Iterable[float],
    lines: dict[str, tuple[Sequence[float], Sequence[float]]],
    xlabel: str = "x",
    ylabel: str = "y",
    title: str | None = None,
    ax=None,
):
    """Data points and named lines (e.g. the true line and the fit); returns the axes."""
    ax = _axes(ax)
    ax.scatter(list(x), list(y), s=12, color=PALETTE[5], label="data", marker="o")
    for i, (name, (lx, ly)) in enumerate(lines.items()):
        ax.plot(list(lx), list(ly), label=name, color=PALETTE[i % 4], linestyle=LINESTYLES[i % 4], linewidth=2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


def decision_boundary(
    predict,
    X,
    y,
    resolution: int = 200,
    margin: float = 0.5,
    ax=None,
    xlabel: str = "x1",
    ylabel: str = "x2",
    title: str | None = None,
):
    """Shade where ``predict`` (a function of an (N, 2) float tensor returning
    probabilities) says class 1, and draw the points with a marker per class."""
    import torch

    ax = _axes(ax)
    X = torch.as_tensor(X, dtype=torch.float32).cpu()
    y = torch.as_tensor(y).reshape(-1).cpu()
    lo, hi = X.min(0).values - margin, X.max(0).values + margin
    gx, gy = torch.meshgrid(
        torch.linspace(lo[0], hi[0], resolution), torch.linspace(lo[1], hi[1], resolution), indexing="xy"
    )
    grid = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)
    with torch.no_grad():
        p = torch.as_tensor(predict(grid)).reshape(resolution, resolution).cpu()
    ax.contourf(gx, gy, p, levels=[0, 0.5, 1], colors=[PALETTE[5], PALETTE[1]], alpha=0.35)
    ax.contour(gx, gy, p, levels=[0.5], colors="black", linewidths=1)
    for cls, marker, colour in ((0, "o", PALETTE[0]), (1, "s", PALETTE[3])):
        pts = X[y == cls]
        ax.scatter(pts[:, 0], pts[:, 1], marker=marker, color=colour, s=80, edgecolor="black", label=f"class {cls}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend()
    return ax
