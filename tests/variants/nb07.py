"""Wrong answers for project 07 (linear regression), each with the mistake the checker must name.

Every variant here fails the visible check already (issue 20: the visible cases include an
ill-conditioned design for the normal equations and two feature sets for the learning rate).
"""

_DESIGN = """
def _design(features):
    return torch.cat([features, torch.ones(len(features), 1, dtype=features.dtype)], dim=1)
"""

WRONG = {
    "nb07.ex1": [
        (
            "design-no-bias-column",
            """
def least_squares(features, y):
    w = torch.linalg.lstsq(features, y.unsqueeze(1)).solution.squeeze(1)
    return w, 0.0
""",
        ),
        (
            "normal-equations-float32",
            _DESIGN
            + """
def least_squares(features, y):
    A = _design(features)
    solution = torch.linalg.inv(A.T @ A) @ A.T @ y
    return solution[:-1], solution[-1].item()
""",
        ),
        (
            "wrong-shape",
            _DESIGN
            + """
def least_squares(features, y):
    solution = torch.linalg.lstsq(_design(features), y.unsqueeze(1)).solution
    return solution[:-1], solution[-1].item()      # w keeps its column: shape (d, 1)
""",
        ),
    ],
    "nb07.ex2": [
        (
            "mse-half-factor",
            _DESIGN
            + """
def largest_stable_lr(features):
    A = _design(features)
    curvature = A.T @ A / len(A)                   # the 2 of the square's derivative is missing
    return 2 / torch.linalg.eigvalsh(curvature)[-1].item()
""",
        ),
        (
            "stability-bound-halved",
            _DESIGN
            + """
def largest_stable_lr(features):
    A = _design(features)
    return 1 / torch.linalg.eigvalsh(2 * A.T @ A / len(A))[-1].item()
""",
        ),
        (
            "design-no-bias-column",
            """
def largest_stable_lr(features):
    curvature = 2 * features.T @ features / len(features)
    return 2 / torch.linalg.eigvalsh(curvature)[-1].item()
""",
        ),
        (
            "eigenvalue-min-not-max",
            _DESIGN
            + """
def largest_stable_lr(features):
    A = _design(features)
    return 2 / torch.linalg.eigvalsh(2 * A.T @ A / len(A))[0].item()
""",
        ),
        (
            "singular-not-eigenvalue",
            _DESIGN
            + """
def largest_stable_lr(features):
    A = _design(features) / len(features) ** 0.5
    return 1 / torch.linalg.matrix_norm(A, ord=2).item()
""",
        ),
        (
            "mse-sum-not-mean",
            _DESIGN
            + """
def largest_stable_lr(features):
    A = _design(features)
    return 2 / torch.linalg.eigvalsh(2 * A.T @ A)[-1].item()
""",
        ),
    ],
    "nb07.ex3": [
        (
            "validation-on-training-rows",
            """
def poly_errors(x_train, y_train, x_val, y_val, degree):
    F_train = poly_features(x_train, degree)
    w, b = least_squares(F_train, y_train)
    error = ((F_train @ w + b - y_train) ** 2).mean().item()
    return error, error
""",
        ),
        (
            "train-on-test",
            """
def poly_errors(x_train, y_train, x_val, y_val, degree):
    w, b = least_squares(poly_features(torch.cat([x_train, x_val]), degree), torch.cat([y_train, y_val]))
    train_mse = ((poly_features(x_train, degree) @ w + b - y_train) ** 2).mean().item()
    val_mse = ((poly_features(x_val, degree) @ w + b - y_val) ** 2).mean().item()
    return train_mse, val_mse
""",
        ),
        (
            "poly-degree-off-by-one",
            """
def powers(x, degree):
    return torch.stack([x ** k for k in range(degree)], dim=1)


def poly_errors(x_train, y_train, x_val, y_val, degree):
    w, b = least_squares(powers(x_train, degree), y_train)
    train_mse = ((powers(x_train, degree) @ w + b - y_train) ** 2).mean().item()
    val_mse = ((powers(x_val, degree) @ w + b - y_val) ** 2).mean().item()
    return train_mse, val_mse
""",
        ),
        (
            "mse-sum-not-mean",
            """
def poly_errors(x_train, y_train, x_val, y_val, degree):
    w, b = least_squares(poly_features(x_train, degree), y_train)
    train_sse = ((poly_features(x_train, degree) @ w + b - y_train) ** 2).sum().item()
    val_sse = ((poly_features(x_val, degree) @ w + b - y_val) ** 2).sum().item()
    return train_sse, val_sse
""",
        ),
    ],
    "nb07.ex4": [
        (
            "noise-drawn-once",
            """
def noise_floor(n, sigma, degree, trials, generator):
    x = torch.linspace(-1, 1, n)
    line = 4 * x + 5.5
    noise, noise_new = torch.randn(n, generator=generator), torch.randn(n, generator=generator)
    train, new = [], []
    for _ in range(trials):
        y, y_new = line + sigma * noise, line + sigma * noise_new
        w, b = least_squares(poly_features(x, degree), y)
        fitted = poly_features(x, degree) @ w + b
        train.append(((fitted - y) ** 2).mean())
        new.append(((fitted - y_new) ** 2).mean())
    return torch.stack(train), torch.stack(new)
""",
        ),
        (
            "validation-on-training-rows",
            """
def noise_floor(n, sigma, degree, trials, generator):
    x = torch.linspace(-1, 1, n)
    train = []
    for _ in range(trials):
        y = 4 * x + 5.5 + sigma * torch.randn(n, generator=generator)
        w, b = least_squares(poly_features(x, degree), y)
        train.append(((poly_features(x, degree) @ w + b - y) ** 2).mean())
    train = torch.stack(train)
    return train, train.clone()
""",
        ),
        (
            "error-against-true-line",
            """
def noise_floor(n, sigma, degree, trials, generator):
    x = torch.linspace(-1, 1, n)
    line = 4 * x + 5.5
    train, new = [], []
    for _ in range(trials):
        y = line + sigma * torch.randn(n, generator=generator)
        w, b = least_squares(poly_features(x, degree), y)
        fitted = poly_features(x, degree) @ w + b
        train.append(((fitted - y) ** 2).mean())
        new.append(((fitted - line) ** 2).mean())      # new data without their noise
    return torch.stack(train), torch.stack(new)
""",
        ),
        (
            "noise-variance-as-std",
            """
def noise_floor(n, sigma, degree, trials, generator):
    x = torch.linspace(-1, 1, n)
    line = 4 * x + 5.5
    train, new = [], []
    for _ in range(trials):
        y = line + sigma ** 2 * torch.randn(n, generator=generator)
        w, b = least_squares(poly_features(x, degree), y)
        fitted = poly_features(x, degree) @ w + b
        train.append(((fitted - y) ** 2).mean())
        new.append(((fitted - line - sigma ** 2 * torch.randn(n, generator=generator)) ** 2).mean())
    return torch.stack(train), torch.stack(new)
""",
        ),
    ],
}


def _solution_answer(grade_id: str) -> str:
    """An answer cell of the solution notebook, without its solution markers."""
    from support import SOLUTIONS, cell_source, strip_solution_markers

    return strip_solution_markers(cell_source(SOLUTIONS / "07_linear_regression.ipynb", grade_id)) + "\n"


# ex3 and ex4 use the notebook's least_squares (Exercise 1, here the reference) and its
# poly_features helper.
_HELPERS = "from course.checks.nb07 import poly_features\n"
SETUP = {
    "nb07.ex3": _HELPERS + _solution_answer("nb07-ex1-answer"),
    "nb07.ex4": _HELPERS + _solution_answer("nb07-ex1-answer"),
}
