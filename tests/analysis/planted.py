"""The example class extended with planted cases, for the item analysis and similarity.

Nothing here changes ``autograder/example_class.py`` or its hand-written expected scores
(tests/workflow/test_example_class*.py check those); the extension is built beside it.

**Items.** :func:`example_results` turns the example class's hand-written table (every
student's points per exercise, the mistakes named, the blanks, the crash, the timeout,
the late penalty, the corrupt file) into the typed results that ``autograder.results``
gives after the engine graded it (tests/workflow/test_example_class_engine.py checks that
the engine's own results give the same item flags). With ``planted=True`` three items
are added to ``01_tensors``:

- ``nb01-ex21``, **mis-keyed**: the checker's key holds the column means where the prompt
  (and every student who read it right) asks for the row means. Those who answered right
  fail with "wrong values"; the three students who confused the dimension (the same three
  who make named mistakes elsewhere) pass; those who stopped before it fail;
- ``nb01-ex22``, **trivially easy**: a checker that only looks at the type, so every
  participant passes it;
- ``nb01-ex23``, **a misleading prompt**: four students of the middle of the class give
  the same wrong reading (``keepdim-mismatch``); everyone else passes.

**Similar submissions.** :func:`similarity_set` gives, for five exercises of
``02_autograd`` with a few lines of code each, the answers of the sixteen students: some
write the textbook solution, most their own (written here by hand, one style per
student), and :data:`COPIES` plants copies: renamed variables, reordered statements,
changed or added comments, other string literals, a ring of three, and one copy edited
beyond that (names for repeated expressions added). :data:`HONEST_SIMILAR`
lists pairs of honest students whose answers happen to be close; they must not be listed.
"""

from __future__ import annotations

from autograder import example_class as ec
from autograder.results import AssignmentResults, ExerciseResult, NotebookResult, StudentResult

MISKEYED, EASY, MISLEADING = "nb01-ex21", "nb01-ex22", "nb01-ex23"
PLANTED_ITEMS = (MISKEYED, EASY, MISLEADING)
#: who passes the mis-keyed item: they wrote column means, as the wrong key does
CONFUSED_DIM = ("aturing", "kjohnson", "dknuth")
MISLED = ("ehamilton", "fallen", "bliskov", "bkernighan")


def _title(gid: str) -> str:
    return {
        MISKEYED: "Planted: row means (mis-keyed checker)",
        EASY: "Planted: a tensor of ones (type-only check)",
        MISLEADING: "Planted: keep the reduced dimension (misleading prompt)",
    }.get(gid, gid)


def _exercise(sub: ec.Sub, k: int, points: float, max_points: float) -> tuple[ExerciseResult, bool]:
    """One exercise of a hand-written submission as the results reader gives it; and
    whether its answer cell is the release's (unchanged)."""
    key = "nb" + sub.assignment[:2]
    gid, ex_id = f"{key}-ex{k}", f"{key}.ex{k}"
    what = sub.answers.get(k, "solution")
    code = sub.codes.get(ex_id)
    if what == "crash":
        status, message = "crashed", "Zero: cell raised RuntimeError."
    elif what == "loop":
        status, message = "timeout", "Zero: its test ran past the time limit."
    elif points >= max_points:
        status, message = "passed", "Right on every case, the hidden ones too."
    else:
        status, message = "failed", f"Not yet: {code or 'wrong-values'}."
    e = ExerciseResult(
        gid,
        ex_id,
        f"Exercise {k}",
        float(points),
        float(max_points),
        status,
        message,
        code if status == "failed" else None,
        auto_points=float(points),
    )
    return e, what == "blank"


def _planted(sub: ec.Sub, attempted_any: bool) -> list[tuple[ExerciseResult, bool]]:
    out = []
    stopped = sub.answers.get(8) == "blank"  # those who left the last exercise blank stop before the planted ones
    for gid in PLANTED_ITEMS:
        k = int(gid.rsplit("ex", 1)[1])
        blank = not attempted_any or (stopped and gid != EASY)
        if blank:
            passed, code = False, "not-implemented"
        elif gid == MISKEYED:
            passed, code = sub.student in CONFUSED_DIM, "wrong-values"
        elif gid == EASY:
            passed, code = True, None
        else:
            passed, code = sub.student not in MISLED, "keepdim-mismatch"
        e = ExerciseResult(
            gid,
            f"nb01.ex{k}",
            _title(gid),
            2.0 if passed else 0.0,
            2.0,
            "passed" if passed else "failed",
            "" if passed else f"Not yet: {code}.",
            None if passed else code,
            auto_points=2.0 if passed else 0.0,
        )
        out.append((e, blank))
    return out


def example_results(assignment: str, planted: bool = False) -> AssignmentResults:
    """The example class's results for ``assignment``, from the hand-written table."""
    points = ec.POINTS[assignment]
    expected = ec.expected_scores()
    students = []
    for sid, first, last, email in ec.ROSTER:
        sub = expected.get((sid, assignment))
        r = StudentResult(sid, assignment, "ok", first_name=first, last_name=last, email=email)
        if sub is None:
            r.status, r.reasons = "not placed", ["no submission was placed for this student"]
            r.max_score = float(sum(points))
            students.append(r)
            continue
        nb = NotebookResult(assignment, "graded")
        for k, (got, maxp) in enumerate(zip(sub.expected, points, strict=True), start=1):
            e, blank = _exercise(sub, k, got, maxp)
            nb.exercises.append(e)
            if blank:
                nb.unchanged.append(f"{e.grade_id}-answer")
        if planted and assignment == "01_tensors":
            attempted_any = any(e.code != "not-implemented" for e in nb.exercises)
            for e, blank in _planted(sub, attempted_any):
                nb.exercises.append(e)
                if blank:
                    nb.unchanged.append(f"{e.grade_id}-answer")
        r.notebooks.append(nb)
        r.max_score = sum(e.max_points for e in nb.exercises)
        r.late_penalty = sub.late_penalty
        r.seconds_late = 2.5 * 3600 if sub.late_penalty else 0.0
        r.score = max(sum(e.points for e in nb.exercises) - sub.late_penalty, 0.0)
        r.status = {"error": "crashed", "timeout": "timeout"}.get(sub.status, "late" if sub.late_penalty else "ok")
        students.append(r)
    total = float(sum(points)) + (6.0 if planted and assignment == "01_tensors" else 0.0)
    return AssignmentResults(assignment, ec.EXAMPLE, students, total)


# --- similar submissions ----------------------------------------------------------------------
# One answer per student and exercise, as the student would type it into the answer cell.
# "textbook" is the instructor's solution (solutions/02_autograd.ipynb), written the same way
# by students who found the idiomatic answer on their own.

TEXTBOOK = "textbook"

_EX1 = {
    "alovelace": """def grads_of_L(x, y):
    xs = x.clone().detach()
    ys = y.clone().detach()
    xs.requires_grad = True
    ys.requires_grad = True
    total = torch.sum(xs * xs * ys + torch.sin(ys))
    total.backward()
    gx, gy = xs.grad, ys.grad
    return gx, gy
""",
    # copy of alovelace: renamed, the two requires_grad lines swapped, comments added
    "aturing": """def grads_of_L(x, y):
    # copies so that the inputs stay untouched
    a = x.clone().detach()
    b = y.clone().detach()
    b.requires_grad = True   # y first this time
    a.requires_grad = True
    loss = torch.sum(a * a * b + torch.sin(b))
    loss.backward()
    grad_a, grad_b = a.grad, b.grad
    return grad_a, grad_b
""",
    # copy of dritchie: renamed, the two leaves made in the other order, a comment
    "bbabbage": """def grads_of_L(x, y):
    leaf_y = torch.nn.Parameter(y.detach().clone())
    leaf_x = torch.nn.Parameter(x.detach().clone())
    value = torch.sum(leaf_x ** 2 * leaf_y + torch.sin(leaf_y))
    value.backward()   # fills .grad of both
    return leaf_x.grad.detach(), leaf_y.grad.detach()
""",
    "ghopper": """def grads_of_L(x, y):
    xx = x.detach().requires_grad_()
    yy = y.detach().requires_grad_()
    value = (xx**2 * yy).sum() + torch.sin(yy).sum()
    value.backward()
    return xx.grad, yy.grad
""",
    "kjohnson": """def grads_of_L(x, y):
    leaves = [t.detach().clone().requires_grad_(True) for t in (x, y)]
    L = (leaves[0] ** 2 * leaves[1] + torch.sin(leaves[1])).sum()
    L.backward()
    return tuple(t.grad for t in leaves)
""",
    "dknuth": """def grads_of_L(x, y):
    # autograd needs leaf tensors that track gradients
    X = x.detach().clone()
    Y = y.detach().clone()
    X.requires_grad_(True)
    Y.requires_grad_(True)
    L = torch.sin(Y) + X ** 2 * Y
    L = L.sum()
    L.backward()
    return X.grad, Y.grad
""",
    "ehamilton": TEXTBOOK,
    "rfeynman": """def grads_of_L(x, y):
    x = x.detach().clone().requires_grad_(True)
    y = y.detach().clone().requires_grad_(True)
    loss = torch.sum(x ** 2 * y) + torch.sum(torch.sin(y))
    dx, dy = torch.autograd.grad(loss, (x, y))
    return dx, dy
""",
    "jvonneumann": '''def grads_of_L(x, y):
    """Gradients of L = sum(x^2 y + sin y), by autograd."""
    x_leaf = x.detach().requires_grad_(True)
    y_leaf = y.detach().requires_grad_(True)
    terms = x_leaf ** 2 * y_leaf + torch.sin(y_leaf)
    terms.sum().backward()
    return x_leaf.grad.clone(), y_leaf.grad.clone()
''',
    "fallen": TEXTBOOK,
    "bliskov": """def grads_of_L(x, y):
    x, y = x.clone().detach().requires_grad_(), y.clone().detach().requires_grad_()
    L = (x * x * y).sum() + y.sin().sum()
    L.backward()
    return x.grad, y.grad
""",
    "tberners": TEXTBOOK,
    "dritchie": """def grads_of_L(x, y):
    px = torch.nn.Parameter(x.detach().clone())
    py = torch.nn.Parameter(y.detach().clone())
    L = torch.sum(px ** 2 * py + torch.sin(py))
    L.backward()
    return px.grad.detach(), py.grad.detach()
""",
    "hlamarr": """def grads_of_L(x, y):
    x = x.detach().clone()
    y = y.detach().clone()
    x.requires_grad = True
    y.requires_grad = True
    f = x ** 2 * y + torch.sin(y)
    f.sum().backward()
    return x.grad, y.grad
""",
    "lconway": TEXTBOOK,
    "bkernighan": """def grads_of_L(x, y):
    inputs = (x.detach().clone().requires_grad_(True), y.detach().clone().requires_grad_(True))
    a, b = inputs
    objective = (a.pow(2) * b + b.sin()).sum()
    objective.backward()
    return a.grad, b.grad
""",
}

_EX3 = {
    "alovelace": """def sgd_step(params, lr):
    with torch.no_grad():
        for param in params:
            param.sub_(lr * param.grad)
            param.grad.zero_()
""",
    "bbabbage": """def sgd_step(params, lr):
    for p in params:
        p.data = p.data - lr * p.grad.data
        p.grad = None
""",
    "ghopper": """def sgd_step(params, lr):
    with torch.no_grad():
        for w in params:
            step = lr * w.grad
            w -= step
    for w in params:
        w.grad.zero_()
""",
    "aturing": TEXTBOOK,
    "dknuth": """def sgd_step(params, lr):
    params = list(params)
    grads = [p.grad for p in params]
    scale = -lr
    with torch.no_grad():
        for p, g in zip(params, grads):
            p.add_(g, alpha=scale)
    for p in params:
        p.grad = None
""",
    # copy of dknuth: renamed, the independent lines in another order, comments changed
    "kjohnson": """def sgd_step(params, lr):
    # step size, with the sign for descent
    step = -lr
    plist = list(params)
    gs = [q.grad for q in plist]   # the gradients
    with torch.no_grad():
        for q, g in zip(plist, gs):
            q.add_(g, alpha=step)
    # clear them for the next step
    for q in plist:
        q.grad = None
""",
    "ehamilton": """def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            p.copy_(p - lr * p.grad)
            p.grad = None
""",
    "rfeynman": """def sgd_step(params, lr):
    for p in params:
        with torch.no_grad():
            p -= p.grad * lr
        p.grad = None
""",
    "jvonneumann": """def sgd_step(params, lr):
    torch.set_grad_enabled(False)
    try:
        for tensor in params:
            tensor.data.sub_(lr * tensor.grad.data)
    finally:
        torch.set_grad_enabled(True)
    for tensor in params:
        tensor.grad = None
""",
    "fallen": """def sgd_step(params, lr):
    with torch.no_grad():
        new_values = [p - lr * p.grad for p in params]
        for p, v in zip(params, new_values):
            p.copy_(v)
    for p in params:
        p.grad = None
""",
    "bliskov": TEXTBOOK,
    "tberners": """def sgd_step(params, lr):
    with torch.no_grad():
        for i in range(len(params)):
            params[i] -= lr * params[i].grad
            params[i].grad = None
""",
    "dritchie": """@torch.no_grad()
def sgd_step(params, lr):
    for p in params:
        p.add_(p.grad, alpha=-lr)
        p.grad = None
""",
    "hlamarr": TEXTBOOK,
    "lconway": """def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            p.data -= lr * p.grad
    for p in params:
        p.grad.data.zero_()
""",
    "bkernighan": """def sgd_step(params, lr):
    for p in params:
        grad, p.grad = p.grad, None
        with torch.no_grad():
            p.sub_(lr * grad)
""",
}

_EX4 = {
    "alovelace": """def numerical_grad(f, x, eps=1e-4):
    g = torch.zeros_like(x)
    it = np.nditer(x.numpy(), flags=["multi_index"])
    while not it.finished:
        idx = it.multi_index
        xp = x.clone(); xp[idx] += eps
        xm = x.clone(); xm[idx] -= eps
        g[idx] = (f(xp) - f(xm)) / (2 * eps)
        it.iternext()
    return g
""",
    "bbabbage": """def numerical_grad(f, x, eps=1e-4):
    n = x.numel()
    eye = torch.eye(n, dtype=x.dtype).reshape(n, *x.shape) * eps
    diffs = [f(x + d) - f(x - d) for d in eye]
    return (torch.stack(diffs) / (2 * eps)).reshape(x.shape)
""",
    "ghopper": """def numerical_grad(f, x, eps=1e-4):
    assert eps > 0, "eps must be positive"
    flat = x.detach().reshape(-1).clone()
    out = torch.empty_like(flat)
    n = flat.numel()
    for k in range(n):
        old = flat[k].item()
        flat[k] = old + eps
        up = f(flat.view_as(x))
        flat[k] = old - eps
        down = f(flat.view_as(x))
        flat[k] = old
        out[k] = (up - down) / (2 * eps)
    return out.view_as(x)
""",
    # copy of ghopper: renamed, two independent lines swapped, another message, comments
    "fallen": """def numerical_grad(f, x, eps=1e-4):
    assert eps > 0, "the step has to be larger than zero"
    values = x.detach().reshape(-1).clone()
    size = values.numel()              # how many entries
    result = torch.empty_like(values)
    for j in range(size):
        keep = values[j].item()
        # nudge up, then down
        values[j] = keep + eps
        plus = f(values.view_as(x))
        values[j] = keep - eps
        minus = f(values.view_as(x))
        values[j] = keep
        result[j] = (plus - minus) / (2 * eps)
    return result.view_as(x)
""",
    "aturing": """def numerical_grad(f, x, eps=1e-4):
    result = torch.zeros(x.shape, dtype=x.dtype)
    for index in itertools.product(*[range(s) for s in x.shape]):
        shifted = x.clone()
        shifted[index] = x[index] + eps
        high = f(shifted)
        shifted[index] = x[index] - eps
        low = f(shifted)
        result[index] = (high - low) / (2 * eps)
    return result
""",
    "kjohnson": TEXTBOOK,
    "dknuth": """def numerical_grad(f, x, eps=1e-4):
    x = x.detach()
    grad = torch.zeros_like(x).reshape(-1)
    for i in range(grad.numel()):
        d = torch.zeros(grad.numel(), dtype=x.dtype)
        d[i] = eps
        d = d.reshape(x.shape)
        grad[i] = (f(x + d) - f(x - d)) / (2 * eps)
    return grad.reshape(x.shape)
""",
    "ehamilton": """def numerical_grad(f, x, eps=1e-4):
    out = torch.zeros_like(x)
    flat_x, flat_out = x.view(-1), out.view(-1)
    for i in range(flat_x.shape[0]):
        orig = flat_x[i].clone()
        flat_x[i] = orig + eps
        f_plus = float(f(x))
        flat_x[i] = orig - eps
        f_minus = float(f(x))
        flat_x[i] = orig
        flat_out[i] = (f_plus - f_minus) / (2 * eps)
    return out
""",
    "rfeynman": """def numerical_grad(f, x, eps=1e-4):
    grads = []
    base = x.detach().flatten()
    for i in range(len(base)):
        e = torch.zeros_like(base)
        e[i] = eps
        fp = f((base + e).reshape(x.shape))
        fm = f((base - e).reshape(x.shape))
        grads.append((fp - fm) / (2 * eps))
    return torch.stack(grads).reshape(x.shape)
""",
    # copy of rfeynman: comments, blank lines and spacing only
    "bliskov": """def numerical_grad(f, x, eps = 1e-4):
    # central differences, one entry at a time

    grads = [ ]
    base = x.detach().flatten()
    for i in range( len(base) ):
        e = torch.zeros_like(base)
        e[i] = eps     # only entry i moves
        fp = f( (base + e).reshape(x.shape) )
        fm = f( (base - e).reshape(x.shape) )

        grads.append( (fp - fm) / (2*eps) )
    return torch.stack(grads).reshape(x.shape)
""",
    "jvonneumann": TEXTBOOK,
    "tberners": """def numerical_grad(f, x, eps=1e-4):
    def bump(i, h):
        y = x.clone().reshape(-1)
        y[i] += h
        return f(y.reshape(x.shape))
    parts = [(bump(i, eps) - bump(i, -eps)) / (2 * eps) for i in range(x.numel())]
    return torch.tensor(parts, dtype=x.dtype).reshape(x.shape)
""",
    # copy of dknuth, edited: renamed, two helper names added (shape, n), a comment
    "dritchie": """def numerical_grad(f, x, eps=1e-4):
    shape = x.shape
    x = x.detach()
    n = x.numel()
    result = torch.zeros_like(x).reshape(-1)
    for k in range(n):
        step = torch.zeros(n, dtype=x.dtype)
        step[k] = eps
        step = step.reshape(shape)
        result[k] = (f(x + step) - f(x - step)) / (2 * eps)   # central difference
    return result.reshape(shape)
""",
    "hlamarr": TEXTBOOK,
    "lconway": """def numerical_grad(f, x, eps=1e-4):
    grad = torch.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        plus, minus = x.clone(), x.clone()
        plus[idx] += eps
        minus[idx] -= eps
        grad[idx] = (f(plus) - f(minus)) / (2.0 * eps)
    return grad
""",
    "bkernighan": """def numerical_grad(f, x, eps=1e-4):
    flat = x.flatten()
    result = []
    for i, v in enumerate(flat.tolist()):
        hi = flat.clone(); hi[i] = v + eps
        lo = flat.clone(); lo[i] = v - eps
        result.append((f(hi.view(x.shape)) - f(lo.view(x.shape))) / (2 * eps))
    return torch.stack(result).view(x.shape)
""",
}

_EX6 = {
    "alovelace": """def gradients(p, x, y):
    a1, a2 = forward(p, x)
    err = a2 - y
    s2 = a2 * (1 - a2)
    s1 = a1 * (1 - a1)
    g_b2 = 2 * err * s2
    g_w2 = g_b2 * a1
    g_b1 = g_b2 * p[2] * s1
    g_w1 = g_b1 * x
    return np.array([g_w1, g_b1, g_w2, g_b2])
""",
    "bbabbage": TEXTBOOK,
    "ghopper": """def gradients(p, x, y):
    w1, b1, w2, b2 = p
    a1, a2 = forward(p, x)
    dL_da2 = 2.0 * (a2 - y)
    da2_dz2 = a2 * (1.0 - a2)
    da1_dz1 = a1 * (1.0 - a1)
    d_b2 = dL_da2 * da2_dz2
    d_w2 = d_b2 * a1
    d_b1 = d_b2 * w2 * da1_dz1
    d_w1 = d_b1 * x
    return np.array([d_w1, d_b1, d_w2, d_b2])
""",
    "aturing": """def gradients(p, x, y):
    w1, b1, w2, b2 = [float(v) for v in p]
    h = 1 / (1 + np.exp(-(w1 * x + b1)))
    o = 1 / (1 + np.exp(-(w2 * h + b2)))
    common = 2 * (o - y) * o * (1 - o)
    back = common * w2 * h * (1 - h)
    return np.array([back * x, back, common * h, common])
""",
    "kjohnson": """def gradients(p, x, y):
    w1, b1, w2, b2 = p
    a1, a2 = forward(p, x)
    loss_grad = 2 * (a2 - y)
    delta_out = loss_grad * a2 * (1 - a2)
    delta_hidden = delta_out * w2 * a1 * (1 - a1)
    grads = np.zeros(4)
    grads[0] = delta_hidden * x
    grads[1] = delta_hidden
    grads[2] = delta_out * a1
    grads[3] = delta_out
    return grads
""",
    "dknuth": TEXTBOOK,
    "ehamilton": """def gradients(p, x, y):
    w1, b1, w2, b2 = p
    a1, a2 = forward(p, x)
    chain = {}
    chain["a2"] = 2 * (a2 - y)
    chain["z2"] = chain["a2"] * a2 * (1 - a2)
    chain["a1"] = chain["z2"] * w2
    chain["z1"] = chain["a1"] * a1 * (1 - a1)
    return np.array([chain["z1"] * x, chain["z1"], chain["z2"] * a1, chain["z2"]])
""",
    "rfeynman": """def gradients(p, x, y):
    a1, a2 = forward(p, x)
    d_out = 2 * (a2 - y) * a2 * (1 - a2)
    d_hid = d_out * p[2] * a1 * (1 - a1)
    return np.array([d_hid * x, d_hid, d_out * a1, d_out])
""",
    "jvonneumann": """def gradients(p, x, y):
    w1, b1, w2, b2 = p
    sig = lambda z: 1.0 / (1.0 + np.exp(-z))
    a1 = sig(w1 * x + b1)
    a2 = sig(w2 * a1 + b2)
    e2 = (a2 - y) * 2 * a2 * (1 - a2)
    e1 = e2 * w2 * a1 * (1 - a1)
    return np.array([e1 * x, e1, e2 * a1, e2])
""",
    "fallen": """def gradients(p, x, y):
    w1, b1, w2, b2 = p
    a1, a2 = forward(p, x)
    dsig2 = a2 - a2 ** 2
    dsig1 = a1 - a1 ** 2
    top = 2 * (a2 - y) * dsig2
    bottom = top * w2 * dsig1
    return np.array([x * bottom, bottom, a1 * top, top])
""",
    "bliskov": """def gradients(p, x, y):
    w1, b1, w2, b2 = p
    a1, a2 = forward(p, x)
    grad_b2 = 2 * (a2 - y) * a2 * (1 - a2)
    grad_w2 = a1 * grad_b2
    grad_b1 = w2 * grad_b2 * a1 * (1 - a1)
    grad_w1 = x * grad_b1
    return np.array([grad_w1, grad_b1, grad_w2, grad_b2])
""",
    # a ring of three: tberners wrote it, dritchie and hlamarr copied (one from the other's copy)
    "tberners": """def gradients(p, x, y):
    w1, b1, w2, b2 = p
    z1 = w1 * x + b1
    h = sigmoid(z1)
    z2 = w2 * h + b2
    out = sigmoid(z2)
    dL_dout = 2 * (out - y)
    dz2 = dL_dout * out * (1 - out)
    dw2, db2 = dz2 * h, dz2
    dh = dz2 * w2
    dz1 = dh * h * (1 - h)
    dw1, db1 = dz1 * x, dz1
    return np.array([dw1, db1, dw2, db2])
""",
    "dritchie": """def gradients(p, x, y):
    # unpack the four numbers
    w1, b1, w2, b2 = p
    pre1 = w1 * x + b1
    act1 = sigmoid(pre1)
    pre2 = w2 * act1 + b2
    act2 = sigmoid(pre2)
    g_out = 2 * (act2 - y)       # derivative of the squared error
    g2 = g_out * act2 * (1 - act2)
    g_act1 = g2 * w2
    gw2, gb2 = g2 * act1, g2
    g1 = g_act1 * act1 * (1 - act1)
    gw1, gb1 = g1 * x, g1
    return np.array([gw1, gb1, gw2, gb2])
""",
    "hlamarr": """def gradients(p, x, y):
    w1, b1, w2, b2 = p
    # forward pass, keeping what backprop needs
    z1 = w1 * x + b1
    h = sigmoid(z1)
    z2 = w2 * h + b2
    out = sigmoid(z2)
    # backward pass
    dL_dout = 2 * (out - y)
    dz2 = dL_dout * out * (1 - out)
    dh = dz2 * w2
    dz1 = dh * h * (1 - h)
    dw1, db1 = dz1 * x, dz1
    dw2, db2 = dz2 * h, dz2
    return np.array([dw1, db1, dw2, db2])
""",
    "lconway": TEXTBOOK,
    "bkernighan": """def gradients(p, x, y):
    w1, b1, w2, b2 = p
    a1, a2 = forward(p, x)
    out = np.empty(4)
    out[3] = 2 * (a2 - y) * a2 * (1 - a2)
    out[2] = out[3] * a1
    out[1] = out[3] * w2 * a1 * (1 - a1)
    out[0] = out[1] * x
    return out
""",
}

_EX8 = {
    "alovelace": """def torch_step(p, x, y, lr):
    w1, b1, w2, b2 = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in p)
    a1 = torch.sigmoid(w1 * x + b1)
    a2 = torch.sigmoid(w2 * a1 + b2)
    loss = (a2 - y) ** 2
    loss.backward()
    return np.array([(t - lr * t.grad).item() for t in (w1, b1, w2, b2)])
""",
    "bbabbage": """def torch_step(p, x, y, lr):
    params = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([params], lr=lr)
    w1, b1, w2, b2 = params
    a2 = torch.sigmoid(w2 * torch.sigmoid(w1 * x + b1) + b2)
    loss = (a2 - y) ** 2
    opt.zero_grad()
    loss.backward()
    opt.step()
    return params.detach().numpy()
""",
    "ghopper": TEXTBOOK,
    "aturing": """def torch_step(p, x, y, lr):
    t = torch.from_numpy(np.array(p, dtype=np.float64)).requires_grad_()
    xs = torch.tensor(x, dtype=torch.float64)
    hidden = torch.sigmoid(t[0] * xs + t[1])
    pred = torch.sigmoid(t[2] * hidden + t[3])
    F.mse_loss(pred, torch.tensor(y, dtype=torch.float64)).backward()
    with torch.no_grad():
        t.sub_(lr * t.grad)
    return t.detach().numpy().copy()
""",
    "kjohnson": """def torch_step(p, x, y, lr):
    P = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    a1 = torch.sigmoid(P[0] * x + P[1])
    a2 = torch.sigmoid(P[2] * a1 + P[3])
    L = (a2 - y) ** 2
    grad, = torch.autograd.grad(L, P)
    return (P - lr * grad).detach().numpy()
""",
    "dknuth": """def torch_step(p, x, y, lr):
    params = [torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for v in p]
    w1, b1, w2, b2 = params
    z1 = w1 * x + b1
    z2 = w2 * torch.sigmoid(z1) + b2
    loss = torch.square(torch.sigmoid(z2) - y)
    loss.backward()
    with torch.no_grad():
        for q in params:
            q -= lr * q.grad
    return np.array([q.item() for q in params])
""",
    # copy of jvonneumann, every name changed
    "ehamilton": """def torch_step(p, x, y, lr):
    net = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Sigmoid(), torch.nn.Linear(1, 1), torch.nn.Sigmoid())
    net.double()
    with torch.no_grad():
        net[0].weight.fill_(p[0]); net[0].bias.fill_(p[1])
        net[2].weight.fill_(p[2]); net[2].bias.fill_(p[3])
    sgd = torch.optim.SGD(net.parameters(), lr=lr)
    pred = net(torch.tensor([[x]], dtype=torch.float64))
    l = torch.nn.functional.mse_loss(pred, torch.tensor([[y]], dtype=torch.float64))
    sgd.zero_grad()
    l.backward()
    sgd.step()
    return np.array([net[0].weight.item(), net[0].bias.item(), net[2].weight.item(), net[2].bias.item()])
""",
    "rfeynman": TEXTBOOK,
    "jvonneumann": """def torch_step(p, x, y, lr):
    model = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Sigmoid(), torch.nn.Linear(1, 1), torch.nn.Sigmoid())
    model.double()
    with torch.no_grad():
        model[0].weight.fill_(p[0]); model[0].bias.fill_(p[1])
        model[2].weight.fill_(p[2]); model[2].bias.fill_(p[3])
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    out = model(torch.tensor([[x]], dtype=torch.float64))
    loss = torch.nn.functional.mse_loss(out, torch.tensor([[y]], dtype=torch.float64))
    opt.zero_grad()
    loss.backward()
    opt.step()
    return np.array([model[0].weight.item(), model[0].bias.item(), model[2].weight.item(), model[2].bias.item()])
""",
    "fallen": """def torch_step(p, x, y, lr):
    params = torch.tensor(p, requires_grad=True, dtype=torch.float64)
    w1, b1, w2, b2 = params.unbind()
    prediction = torch.sigmoid(w2 * torch.sigmoid(w1 * x + b1) + b2)
    loss = torch.nn.MSELoss()(prediction, torch.tensor(y, dtype=torch.float64))
    loss.backward()
    return (params - lr * params.grad).detach().numpy()
""",
    "bliskov": """def torch_step(p, x, y, lr):
    x = torch.as_tensor(x, dtype=torch.float64)
    y = torch.as_tensor(y, dtype=torch.float64)
    params = torch.nn.Parameter(torch.as_tensor(p, dtype=torch.float64))
    w1, b1, w2, b2 = params
    out = torch.sigmoid(w2 * torch.sigmoid(w1 * x + b1) + b2)
    ((out - y) ** 2).backward()
    params.data.add_(params.grad, alpha=-lr)
    return params.data.numpy()
""",
    "tberners": """def torch_step(p, x, y, lr):
    weights = torch.tensor(p, dtype=torch.float64).requires_grad_(True)
    hidden = torch.sigmoid(weights[0] * x + weights[1])
    output = torch.sigmoid(weights[2] * hidden + weights[3])
    error = output - y
    (error * error).backward()
    stepped = weights - lr * weights.grad
    return stepped.detach().numpy()
""",
    "dritchie": """def torch_step(p, x, y, lr):
    p_t = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    def net(inp):
        return torch.sigmoid(p_t[2] * torch.sigmoid(p_t[0] * inp + p_t[1]) + p_t[3])
    loss = 0.5 * 2 * (net(torch.tensor(x, dtype=torch.float64)) - y) ** 2
    loss.backward()
    p_t.data -= lr * p_t.grad
    return p_t.data.numpy()
""",
    "hlamarr": """def torch_step(p, x, y, lr):
    params = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    w1, b1, w2, b2 = params
    a1 = torch.sigmoid(w1 * x + b1)
    a2 = torch.sigmoid(w2 * a1 + b2)
    loss = (a2 - y).pow(2)
    loss.backward()
    return (params - lr * params.grad).detach().numpy()
""",
    # copy of bkernighan: renamed, two independent lines swapped, another dtype string, comments
    "lconway": """def torch_step(p, x, y, lr):
    # the parameters as one tensor that autograd tracks
    w = torch.tensor(np.asarray(p, dtype="f8"), requires_grad=True)
    xin = torch.tensor(float(x), dtype=torch.float64)
    yt = torch.tensor(float(y), dtype=torch.float64)
    h = torch.sigmoid(w[0] * xin + w[1])
    pred = torch.sigmoid(w[2] * h + w[3])
    err = (pred - yt) ** 2   # squared error, no 1/2
    err.backward()
    updated = w.detach() - lr * w.grad
    return updated.numpy()
""",
    "bkernighan": """def torch_step(p, x, y, lr):
    theta = torch.tensor(np.asarray(p, dtype="float64"), requires_grad=True)
    target = torch.tensor(float(y), dtype=torch.float64)
    inp = torch.tensor(float(x), dtype=torch.float64)
    hidden = torch.sigmoid(theta[0] * inp + theta[1])
    output = torch.sigmoid(theta[2] * hidden + theta[3])
    loss = (output - target) ** 2
    loss.backward()
    new = theta.detach() - lr * theta.grad
    return new.numpy()
""",
}

# ex7 is one line: most students write what the textbook does, a few a close variant.
_EX7_VARIANTS = {
    "bbabbage": "def hand_step(p, x, y, lr):\n    new_p = p - lr * gradients(p, x, y)\n    return new_p\n",
    "dknuth": "def hand_step(p, x, y, lr):\n    return np.asarray(p) - lr * gradients(p, x, y)\n",
    "fallen": "def hand_step(p, x, y, lr):\n    g = gradients(p, x, y)\n    return p - lr * g\n",
    "bkernighan": "def hand_step(p, x, y, lr):\n    g = gradients(p, x, y)\n    return p - lr * g\n",
}

SIMILARITY_EXERCISES = {"nb02-ex1": _EX1, "nb02-ex3": _EX3, "nb02-ex4": _EX4, "nb02-ex6": _EX6, "nb02-ex8": _EX8}
SHORT_EXERCISE = "nb02-ex7"
#: the planted copies: (exercise, student, student), the pair in alphabetical order
COPIES = {
    ("nb02-ex1", "alovelace", "aturing"),
    ("nb02-ex1", "bbabbage", "dritchie"),
    ("nb02-ex3", "dknuth", "kjohnson"),
    ("nb02-ex4", "fallen", "ghopper"),
    ("nb02-ex4", "bliskov", "rfeynman"),
    ("nb02-ex4", "dknuth", "dritchie"),
    ("nb02-ex6", "dritchie", "tberners"),
    ("nb02-ex6", "hlamarr", "tberners"),
    ("nb02-ex6", "dritchie", "hlamarr"),
    ("nb02-ex8", "ehamilton", "jvonneumann"),
    ("nb02-ex8", "bkernighan", "lconway"),
}
#: honest students whose answers happen to be close (and every pair of textbook answers)
HONEST_SIMILAR = {
    ("nb02-ex1", "alovelace", "hlamarr"),
    ("nb02-ex3", "alovelace", "lconway"),
    ("nb02-ex4", "ehamilton", "ghopper"),
    ("nb02-ex6", "alovelace", "ghopper"),
    ("nb02-ex8", "kjohnson", "tberners"),
    ("nb02-ex8", "fallen", "hlamarr"),
    ("nb02-ex7", "bkernighan", "fallen"),
}


def _release_and_solution(assignment: str = "02_autograd") -> tuple[dict[str, str], dict[str, str]]:
    """grade id -> the answer cell as released, and as the instructor's solution (no markers)."""
    from autograder.analysis.similarity import _cells
    from autograder.paths import NOTEBOOKS, SOLUTIONS

    return (_cells(NOTEBOOKS / f"{assignment}.ipynb", "answer"), _cells(SOLUTIONS / f"{assignment}.ipynb", "solution"))


def similarity_set():
    """The planted set as ``autograder.analysis.similarity.ExerciseAnswers``, one per exercise."""
    from autograder.analysis.similarity import ExerciseAnswers

    released, solution = _release_and_solution()
    out = []
    for gid, answers in list(SIMILARITY_EXERCISES.items()) + [(SHORT_EXERCISE, _EX7_VARIANTS)]:
        aid = f"{gid}-answer"
        textbook = solution[aid].strip("\n") + "\n"
        full = {s: answers.get(s, TEXTBOOK) for s, *_ in ec.ROSTER}
        out.append(
            ExerciseAnswers(
                gid, gid, {s: textbook if a == TEXTBOOK else a for s, a in full.items()}, [released[aid], solution[aid]]
            )
        )
    return out
