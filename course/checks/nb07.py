"""Checkers of project 07, linear regression: closed form, stability, validation, the noise floor.

References come from each case's inputs, in float64: the least-squares optimum, the
eigenvalues of the loss's curvature, the errors of a polynomial fit. Two exercises are
graded by behaviour, against bars calibrated by ``benchmarks/behaviour_calibration.py``:

- ex1 accepts any fit whose training error is within ``EX1_EXCESS_FOR_FULL`` (relative)
  of the least-squares optimum, so lstsq, pinv, QR or float64 normal equations all pass,
  and float32 normal equations fail where they lose the answer (ill-conditioned features).
- ex4 compares simulated mean errors with their expected values, sigma^2 (1 - p/n) and
  sigma^2 (1 + p/n), within ``EX4_Z_FOR_FULL`` standard errors of the simulation.

Every check fits at most a few hundred tiny least-squares problems: well under 300 ms.
"""

from __future__ import annotations

import math

import torch

from course.checking import Exercise
from course.data import linear

#: The notebook's data set, course.data.linear(seed=DATA_SEED): its least-squares line has a
#: training error of 0.2210, the syllabus's published figure, with noise variance 0.25.
DATA_SEED = 13
NOISE = 0.5
SLOPE, INTERCEPT = 4.0, 5.5

#: ex1, full marks: training MSE at most this much (relative) above the least-squares optimum.
EX1_EXCESS_FOR_FULL = 1e-4
#: ex4, full marks: both simulated means within this many standard errors of their expectation.
EX4_Z_FOR_FULL = 5.0
#: ex4: the spread of the per-trial errors must be within this factor of its expected value.
EX4_SPREAD_FACTOR = 2.0


def _u(gen, lo, hi):
    return float(lo + (hi - lo) * torch.rand((), generator=gen))


def _randint(gen, lo, hi):
    """An int in [lo, hi]."""
    return int(torch.randint(lo, hi + 1, (), generator=gen))


def poly_features(x: torch.Tensor, degree: int) -> torch.Tensor:
    """Columns x, x^2, ..., x^degree of a vector x: shape (N, degree), no constant column
    (degree 0: no column, the bias alone)."""
    return torch.stack([x**k for k in range(1, degree + 1)], dim=1) if degree else x.reshape(-1, 1)[:, :0]


def _design(features: torch.Tensor) -> torch.Tensor:
    """[features, 1] in float64."""
    f = features.double()
    return torch.cat([f, torch.ones(len(f), 1, dtype=torch.float64)], dim=1)


def _lstsq(A: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The least-squares solution in float64, by SVD (the reference for every check)."""
    return torch.linalg.pinv(A.double(), rtol=1e-13) @ y.double()


def _mse(A: torch.Tensor, coef: torch.Tensor, y: torch.Tensor) -> float:
    return float(((A.double() @ coef.double()) - y.double()).pow(2).mean())


def _fit_errors(x_tr, y_tr, x_val, y_val, degree):
    """(train MSE, validation MSE) of a polynomial of ``degree`` fitted on the training rows."""
    A_tr, A_val = _design(poly_features(x_tr.double(), degree)), _design(poly_features(x_val.double(), degree))
    coef = _lstsq(A_tr, y_tr)
    return _mse(A_tr, coef, y_tr), _mse(A_val, coef, y_val)


def expected_errors(n: int, sigma: float, degree: int) -> tuple[float, float]:
    """E[training MSE] and E[MSE on new noise at the same x] of a least-squares fit with
    p = degree + 1 coefficients to n points: sigma^2 (1 - p/n) and sigma^2 (1 + p/n)."""
    p = degree + 1
    return sigma**2 * (1 - p / n), sigma**2 * (1 + p / n)


def _standard_deviations(n: int, sigma: float, degree: int) -> tuple[float, float]:
    """Standard deviations of one trial's training MSE and new-noise MSE (Gaussian noise).

    n * train / sigma^2 is chi-square with n - p degrees of freedom (variance 2 (n - p)); the
    new-noise MSE is (|H e|^2 + |e'|^2 - 2 e'.H e) / n, of variance sigma^4 (2p + 2n + 4p) / n^2.
    """
    p = degree + 1
    return sigma**2 * math.sqrt(2 * (n - p)) / n, sigma**2 * math.sqrt(2 * n + 6 * p) / n


# --- ex1: least squares in closed form (graded by the training error it reaches) ---------
# least_squares(features, y) -> (w, b): w of shape (d,), b a number; judged by its training
# MSE against the float64 optimum. Names: the constant column left out, float32 normal
# equations on ill-conditioned features (the visible cases include such a case).
ex1 = Exercise("nb07.ex1", title="Least squares in closed form", points=2, answers="least_squares", visible_cases=2)


def _poly_case(gen, n, degree, noise=NOISE):
    x = torch.linspace(-1, 1, n)
    y = SLOPE * x + INTERCEPT + noise * torch.randn(n, generator=gen)
    return {"features": poly_features(x, degree), "y": y}


@ex1.cases
def ex1_cases(gen, hidden):
    if not hidden:
        x, y = linear(seed=DATA_SEED)
        return [{"features": x.unsqueeze(1), "y": y}, _poly_case(gen, 30, 12)]
    cases = []
    n, d = _randint(gen, 12, 80), _randint(gen, 1, 4)
    w, b = torch.randn(d, generator=gen) * 2, _u(gen, -5, 5)
    features = torch.randn(n, d, generator=gen) * _u(gen, 0.5, 3.0)
    cases.append({"features": features, "y": features @ w + b + 0.5 * torch.randn(n, generator=gen)})
    cases.append(_poly_case(gen, _randint(gen, 20, 60), _randint(gen, 11, 12), _u(gen, 0.2, 1.0)))
    cases.append(_poly_case(gen, _randint(gen, 15, 60), _randint(gen, 2, 6), _u(gen, 0.2, 1.0)))
    order = torch.randperm(3, generator=gen).tolist()
    return [cases[i] for i in order]


def _pair(v, got, name, first):
    if type(got) not in (tuple, list) or len(got) != 2:
        v.fail("wrong-type", f"{name} should return two things: {first}.")
    return got


def ex1_excess(case, w: torch.Tensor, b: float) -> float:
    """How far (relative) the training MSE of (w, b) is above the least-squares optimum."""
    A = _design(case["features"])
    best = _mse(A, _lstsq(A, case["y"]), case["y"])
    coef = torch.cat([w.reshape(-1).double(), torch.tensor([b], dtype=torch.float64)])
    got = _mse(A, coef, case["y"])
    return (got - best) / max(best, 1e-12) if math.isfinite(got) else float("inf")


@ex1.judge
def ex1_judge(v, case, got):
    features, y = case["features"], case["y"]
    d = features.shape[1]
    w_val, b_val = _pair(v, got, "least_squares(features, y)", "(w, b)")
    w = v.tensor(w_val, "w", shape=(d,), float_ok=True, dtype=torch.float32)
    b = v.number(b_val, "b")
    excess = ex1_excess(case, w, b)
    if excess <= EX1_EXCESS_FOR_FULL:
        v.passed("optimal fit")
        return
    through_origin = _lstsq(features.double(), y)
    if abs(b) < 1e-9 or v.matches(w, through_origin, atol=1e-4, rtol=1e-3):
        v.fail(
            "design-no-bias-column",
            "Your line has no intercept: the least-squares problem had no "
            "column of ones, so the fit was forced through the origin.",
            "Append a column of ones to the features; its coefficient is b.",
        )
    A = _design(features)
    condition = float(torch.linalg.cond(A))
    if condition**2 * torch.finfo(torch.float32).eps > 1e-3:
        v.fail(
            "normal-equations-float32",
            f"On these features (condition number {condition:.2g}) your fit's "
            f"training error is {excess:.2g} times the best one above the optimum: solving "
            "A^T A w = A^T y squares the condition number, and float32 keeps only about 7 digits.",
            "Use torch.linalg.lstsq(A, y), which works on A itself.",
        )
    v.fail(
        "wrong-values",
        f"The training error of your (w, b) is {excess:.2g} times the best one above the "
        f"least-squares optimum (allowed: {EX1_EXCESS_FOR_FULL:g}).",
        "Build A = [features, 1], solve with torch.linalg.lstsq(A, y), and split the solution into w and b.",
    )


# --- ex2: the largest stable learning rate ----------------------------------------------
# largest_stable_lr(features) -> 2 / lambda_max of the MSE's curvature (2/N) A^T A with
# A = [features, 1]. Names: the MSE's factor 2, the constant column, the bound halved,
# the smallest eigenvalue, a singular value instead of its square, a sum instead of a mean.
ex2 = Exercise(
    "nb07.ex2", title="The largest stable learning rate", points=2, answers="largest_stable_lr", visible_cases=2
)


@ex2.cases
def ex2_cases(gen, hidden):
    if not hidden:
        # not the syllabus x itself: centred on 0, it gives the same number for two mistakes
        x, _ = linear(seed=DATA_SEED)
        return [{"features": poly_features(torch.linspace(-1, 1, 40), 3)}, {"features": (x + 2).unsqueeze(1)}]
    cases = []
    for _ in range(3):
        n = _randint(gen, 10, 80)
        if torch.rand((), generator=gen) < 0.5:
            x = torch.rand(n, generator=gen) * _u(gen, 1, 3) + _u(gen, -1, 1)
            cases.append({"features": poly_features(x, _randint(gen, 1, 4))})
        else:
            cases.append(
                {"features": torch.randn(n, _randint(gen, 1, 4), generator=gen) * _u(gen, 0.3, 3) + _u(gen, -2, 2)}
            )
    return cases


def _curvature_eigenvalues(A: torch.Tensor) -> torch.Tensor:
    """Eigenvalues of A^T A / N in float64, ascending."""
    A = A.double()
    return torch.linalg.eigvalsh(A.T @ A / len(A))


@ex2.judge
def ex2_judge(v, case, got):
    lr = v.number(got, "largest_stable_lr(features)")
    features = case["features"]
    n = len(features)
    eig = _curvature_eigenvalues(_design(features))
    right = 1.0 / float(eig[-1])  # 2 / lambda_max of (2/N) A^T A
    if math.isfinite(lr) and math.isclose(lr, right, rel_tol=1e-3):
        v.passed("value")
        return
    near = lambda candidate: math.isfinite(lr) and math.isclose(lr, candidate, rel_tol=1e-3)  # noqa: E731
    if near(2 * right):
        v.fail(
            "mse-half-factor",
            "Your learning rate is twice the limit: the curvature of the mean squared "
            "error is (2/N) A^T A; without the 2 (the derivative of the square) every eigenvalue is halved.",
        )
    if near(right / 2):
        v.fail(
            "stability-bound-halved",
            "Your learning rate is half the limit: 1 / lambda_max is the step that "
            "lands exactly on the minimum along the steepest direction; gradient descent still converges "
            "up to 2 / lambda_max.",
        )
    no_bias = _curvature_eigenvalues(features.double())
    if near(1.0 / float(no_bias[-1])) or near(0.5 / float(no_bias[-1])):
        v.fail(
            "design-no-bias-column",
            "Your curvature leaves out the bias: the model is features @ w + b, so "
            "A needs a column of ones next to the features.",
        )
    if near(1.0 / float(eig[0])):
        v.fail(
            "eigenvalue-min-not-max",
            "You used the smallest eigenvalue: the steepest direction (the largest "
            "eigenvalue) is the one that diverges first.",
        )
    s_max = float(torch.linalg.matrix_norm(_design(features) / math.sqrt(n), ord=2))
    if near(1.0 / s_max) or near(2.0 / s_max) or near(0.5 / s_max):
        v.fail(
            "singular-not-eigenvalue",
            "You used a singular value of A: the eigenvalues of A^T A are the squares of A's singular values.",
        )
    if near(right / n) or near(2 * right / n):
        v.fail(
            "mse-sum-not-mean",
            "Your curvature is N times too large: it belongs to the summed squared "
            "error, while the loss here is the mean.",
        )
    where = "" if v.hidden else f" (got {lr:.6g})"
    v.fail(
        "wrong-values",
        f"largest_stable_lr is not 2 / lambda_max of the curvature (2/N) A^T A{where} (tolerance: 0.1% relative).",
        "A = [features, 1]; the eigenvalues of (2 / N) A^T A come from torch.linalg.eigvalsh.",
    )


# --- ex3: training and validation error of a polynomial fit -----------------------------
# poly_errors(x_train, y_train, x_val, y_val, degree) -> (train MSE, validation MSE) of a
# least-squares polynomial fitted on the training rows. Names: the validation error taken
# on the training rows, a fit that saw the validation rows, powers off by one, sums.
ex3 = Exercise("nb07.ex3", title="Training and validation error", points=2, answers="poly_errors")

#: The rows of the notebook's data that its training part holds (its split, torch.randperm
#: with a generator seeded with SPLIT_SEED): the first N_TRAIN of the permutation.
SPLIT_SEED, N_TRAIN = 11, 20


def notebook_split():
    """(x_train, y_train, x_val, y_val) of the notebook's data, as the notebook splits it."""
    x, y = linear(seed=DATA_SEED)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(SPLIT_SEED))
    tr, val = order[:N_TRAIN], order[N_TRAIN:]
    return x[tr], y[tr], x[val], y[val]


@ex3.cases
def ex3_cases(gen, hidden):
    if not hidden:
        x_tr, y_tr, x_val, y_val = notebook_split()
        return [{"x_train": x_tr, "y_train": y_tr, "x_val": x_val, "y_val": y_val, "degree": 3}]
    cases = []
    for _ in range(3):
        n = _randint(gen, 40, 120)
        x = torch.rand(n, generator=gen) * 2 - 1
        y = _u(gen, -6, 6) * x + _u(gen, -5, 5) + _u(gen, 0.2, 1.0) * torch.randn(n, generator=gen)
        n_tr = _randint(gen, 15, n // 2)
        cases.append(
            {
                "x_train": x[:n_tr],
                "y_train": y[:n_tr],
                "x_val": x[n_tr:],
                "y_val": y[n_tr:],
                "degree": _randint(gen, 1, 8),
            }
        )
    return cases


def _errors_close(got, ref, rtol=None):
    """Both errors within the tolerance (``rtol``: a looser one to recognise a known mistake)."""
    rtol = EX3_RTOL if rtol is None else rtol
    return all(math.isclose(g, r, rel_tol=rtol, abs_tol=EX3_ATOL) for g, r in zip(got, ref, strict=True))


#: ex3 tolerances on both errors (float32 least squares of degree <= 8 agrees far closer).
EX3_RTOL, EX3_ATOL = 1e-3, 1e-6


@ex3.judge
def ex3_judge(v, case, got):
    first, second = _pair(v, got, "poly_errors(...)", "(train_mse, val_mse)")
    train_mse = v.number(first, "train_mse")
    val_mse = v.number(second, "val_mse")
    x_tr, y_tr, x_val, y_val, degree = (case[k] for k in ("x_train", "y_train", "x_val", "y_val", "degree"))
    errors = (train_mse, val_mse)
    ref = _fit_errors(x_tr, y_tr, x_val, y_val, degree)
    if _errors_close(errors, ref):
        v.passed("errors")
        return
    if math.isclose(val_mse, train_mse, rel_tol=1e-6):  # two parts of different rows never agree so closely
        v.fail(
            "validation-on-training-rows",
            "Both errors are the training error: the validation error must "
            "be measured on the validation rows, with the line fitted on the training rows.",
        )
    x_all, y_all = torch.cat([x_tr, x_val]), torch.cat([y_tr, y_val])
    both = _fit_errors(x_all, y_all, x_tr, y_tr, degree)[1], _fit_errors(x_all, y_all, x_val, y_val, degree)[1]
    if _errors_close(errors, both):
        v.fail(
            "train-on-test",
            "Your fit used the validation rows too (it was fitted on all rows): the "
            "validation error is then no longer an estimate of the error on new data.",
        )
    swapped = _fit_errors(x_val, y_val, x_tr, y_tr, degree)
    if _errors_close(errors, swapped[::-1]):
        v.fail(
            "train-on-test",
            "Your polynomial was fitted on the validation rows and measured on the "
            "training rows: the two parts are swapped.",
        )
    for other in (degree - 1, degree + 1):
        if other >= 0 and _errors_close(errors, _fit_errors(x_tr, y_tr, x_val, y_val, other), rtol=1e-2):
            v.fail(
                "poly-degree-off-by-one",
                f"Your errors are those of a polynomial of degree {other}, not "
                f"{degree}: the powers should be x^1 ... x^{degree}, with the constant from the bias.",
            )
    sums = ref[0] * len(x_tr), ref[1] * len(x_val)
    if _errors_close(errors, sums):
        v.fail(
            "mse-sum-not-mean",
            "Your errors are sums of squared errors; the mean squared error divides "
            "by the number of rows, so parts of different sizes can be compared.",
        )
    where = "" if v.hidden else f" (got {train_mse:.6g}, {val_mse:.6g})"
    v.fail(
        "wrong-values",
        f"The errors are not those of a least-squares polynomial of degree {degree} fitted "
        f"on the training rows{where} (tolerance: {EX3_RTOL:g} relative).",
    )


# --- ex4: the noise floor, measured (graded by behaviour) ---------------------------------
# noise_floor(n, sigma, degree, trials, generator) -> (train_mses, new_mses), one entry per
# trial; judged by their means against sigma^2 (1 -+ p/n) within EX4_Z_FOR_FULL standard
# errors, and their spread. Names: noise drawn once, new error on the training targets,
# error against the noise-free line, the variance used as the standard deviation.
ex4 = Exercise("nb07.ex4", title="The noise floor, measured", points=3, answers="noise_floor")


@ex4.cases
def ex4_cases(gen, hidden):
    if not hidden:
        return [{"n": 20, "sigma": NOISE, "degree": 3, "trials": 400, "seed": 0}]
    return [
        {
            "n": _randint(gen, 15, 40),
            "sigma": round(_u(gen, 0.3, 1.5), 3),
            "degree": _randint(gen, 1, 6),
            "trials": _randint(gen, 300, 500),
            "seed": _randint(gen, 0, 2**31 - 1),
        }
        for _ in range(3)
    ]


@ex4.run
def ex4_run(case, noise_floor):
    generator = torch.Generator().manual_seed(case["seed"])
    return noise_floor(case["n"], case["sigma"], case["degree"], case["trials"], generator)


def ex4_z_scores(case, train: torch.Tensor, new: torch.Tensor) -> tuple[float, float]:
    """How many standard errors each mean is from its expected value."""
    n, sigma, degree, trials = case["n"], case["sigma"], case["degree"], case["trials"]
    e_train, e_new = expected_errors(n, sigma, degree)
    s_train, s_new = _standard_deviations(n, sigma, degree)
    return (
        (float(train.double().mean()) - e_train) / (s_train / math.sqrt(trials)),
        (float(new.double().mean()) - e_new) / (s_new / math.sqrt(trials)),
    )


def ex4_spread(case, train: torch.Tensor) -> float:
    """The spread of the per-trial training errors as a multiple of its expected value."""
    s_train, _ = _standard_deviations(case["n"], case["sigma"], case["degree"])
    return float(train.double().std()) / s_train


@ex4.judge
def ex4_judge(v, case, got):
    trials, sigma = case["trials"], case["sigma"]
    first, second = _pair(v, got, "noise_floor(...)", "(train_mses, new_mses)")
    train = v.tensor(first, "train_mses", shape=(trials,), dtype=torch.float32, float_ok=True)
    new = v.tensor(second, "new_mses", shape=(trials,), dtype=torch.float32, float_ok=True)
    if not (bool(torch.isfinite(train).all()) and bool(torch.isfinite(new).all())):
        v.fail("wrong-values", "Some errors are inf or nan.")
    v.passed("shape")
    if ex4_spread(case, train) < 1e-3:  # rounding differences only
        v.fail(
            "noise-drawn-once",
            "Every trial gave the same training error: the noise was drawn once and "
            "reused, so the trials are copies of one experiment.",
            "Draw new noise with the generator inside the loop over trials.",
        )
    if v.matches(new, train, atol=1e-7, rtol=1e-6):
        v.fail(
            "validation-on-training-rows",
            "The error on new data equals the training error in every trial: "
            "it was measured on the training targets, not on new noise.",
        )
    z_train, z_new = ex4_z_scores(case, train, new)
    bar = EX4_Z_FOR_FULL
    if abs(z_train) <= bar and abs(z_new) <= bar:
        spread = ex4_spread(case, train)
        if not 1 / EX4_SPREAD_FACTOR <= spread <= EX4_SPREAD_FACTOR:
            v.fail(
                "wrong-values",
                f"The mean errors are right, but the training errors of single trials spread "
                f"{spread:.2g} times as much as they should: each trial must be one fresh data set.",
            )
        v.passed("expected errors")
        return
    as_std = dict(case, sigma=sigma**2)  # sigma**2 used as the standard deviation
    if all(abs(z) <= bar for z in ex4_z_scores(as_std, train, new)):
        v.fail(
            "noise-variance-as-std",
            "Your errors are those of noise with standard deviation sigma^2: "
            "torch.randn has standard deviation 1, so multiply it by sigma, not sigma^2.",
        )
    n, degree = case["n"], case["degree"]
    estimation_only = sigma**2 * (degree + 1) / n
    s_new = _standard_deviations(n, sigma, degree)[1] / math.sqrt(trials)
    if abs(float(new.double().mean()) - estimation_only) <= bar * s_new:
        v.fail(
            "error-against-true-line",
            "Your error on new data is the distance to the noise-free line only: "
            "new data come with their own noise, so compare the fit with new noisy targets.",
        )
    where = "" if v.hidden else f" (train {float(train.double().mean()):.4g}, new {float(new.double().mean()):.4g})"
    v.fail(
        "wrong-values",
        f"The mean errors{where} are {abs(z_train):.1f} and {abs(z_new):.1f} standard errors from "
        f"what a least-squares fit gives on average (allowed: {bar:g}).",
        "Each trial: new noise at x = linspace(-1, 1, n), a least-squares polynomial of the given degree, "
        "its MSE on those targets, then its MSE on new noise at the same x.",
    )
