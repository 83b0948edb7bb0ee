"""Wrong answers for notebook 02, each with the misconception the checker must name."""

# The notebook defines sigmoid(z) before ex5, and the answers build on each other
# (gradients calls forward, hand_step calls gradients), as in the notebook.
_SIGMOID = """
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))
"""

_FORWARD = """

def forward(p, x):
    w1, b1, w2, b2 = p
    a1 = sigmoid(w1 * x + b1)
    return a1, sigmoid(w2 * a1 + b2)
"""

_GRADIENTS = """

def gradients(p, x, y):
    w1, b1, w2, b2 = p
    a1, a2 = forward(p, x)
    delta2 = 2 * (a2 - y) * a2 * (1 - a2)
    delta1 = delta2 * w2 * a1 * (1 - a1)
    return np.array([delta1 * x, delta1, delta2 * a1, delta2])
"""

SETUP = {"nb02.ex5": _SIGMOID, "nb02.ex6": _SIGMOID + _FORWARD, "nb02.ex7": _SIGMOID + _FORWARD + _GRADIENTS}

WRONG = {
    "nb02.ex1": [
        (
            "backward-non-scalar",
            """
def grads_of_L(x, y):
    x = x.clone().requires_grad_(True)
    y = y.clone().requires_grad_(True)
    L = x ** 2 * y + torch.sin(y)          # forgot the sum
    L.backward()
    return x.grad, y.grad
""",
        ),
        (
            "backward-twice",
            """
def grads_of_L(x, y):
    x = x.clone().requires_grad_(True)
    y = y.clone().requires_grad_(True)
    L = (x ** 2 * y + torch.sin(y)).sum()
    L.backward()
    gx = x.grad.clone()
    x.grad = None
    L.backward()                           # "now for y": the graph is gone
    return gx, y.grad
""",
        ),
        (
            "detached-graph",
            """
def grads_of_L(x, y):
    x = x.clone().requires_grad_(True)
    L = (x ** 2 * y + torch.sin(y)).sum()
    L.backward()
    return x.grad, y.grad
""",
        ),
        (
            "derivative-by-hand",
            """
def grads_of_L(x, y):
    return 2 * x * y, x ** 2 + torch.sin(y)
""",
        ),
        (
            "mutated-input",
            """
def grads_of_L(x, y):
    x.requires_grad_(True)                 # the caller's tensors, not copies
    y.requires_grad_(True)
    (x ** 2 * y + torch.sin(y)).sum().backward()
    return x.grad, y.grad
""",
        ),
        (
            "mutated-input",
            """
def grads_of_L(x, y):
    x.requires_grad = True
    y.requires_grad = True
    L = (x ** 2 * y + torch.sin(y)).sum()
    gx, gy = torch.autograd.grad(L, (x, y))
    return gx, gy
""",
        ),
    ],
    "nb02.ex2": [
        (
            "grad-not-accumulated",
            """
def accumulated_grad(x0, powers):
    for p in powers:
        x = torch.tensor(x0, requires_grad=True)   # a fresh leaf each time
        (x ** p).backward()
    return x.grad
""",
        ),
        (
            "wrong-type",
            """
def accumulated_grad(x0, powers):
    x = torch.tensor(x0, requires_grad=True)
    for p in powers:
        (x ** p).backward()
    return x.grad.item()
""",
        ),
        (
            "grad-not-accumulated",
            """
def accumulated_grad(x0, powers):
    x = torch.tensor(x0, requires_grad=True)
    for p in powers:
        x.grad = None
        (x ** p).backward()
    return x.grad
""",
        ),
    ],
    "nb02.ex3": [
        (
            "zero-grad-missing",
            """
def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
""",
        ),
        (
            "inplace-leaf-update",
            """
def sgd_step(params, lr):
    for p in params:
        p -= lr * p.grad
        p.grad = None
""",
        ),
        (
            "rebinding-leaf",
            """
def sgd_step(params, lr):
    for i, p in enumerate(params):
        params[i] = p - lr * p.grad
""",
        ),
        (
            "rebinding-leaf",
            """
def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            p = p - lr * p.grad
            p.grad = None
""",
        ),
        (
            "update-sign",
            """
def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            p += lr * p.grad
            p.grad = None
""",
        ),
    ],
    "nb02.ex4": [
        (
            "fd-one-sided",
            """
def numerical_grad(f, x, eps=1e-4):
    grad = torch.zeros_like(x)
    flat, g = x.reshape(-1), grad.reshape(-1)
    fx = f(x).item()
    for i in range(flat.numel()):
        xp = flat.clone()
        xp[i] += eps
        g[i] = (f(xp.reshape(x.shape)).item() - fx) / eps
    return grad
""",
        ),
        (
            "fd-perturb-all",
            """
def numerical_grad(f, x, eps=1e-4):
    return (f(x + eps) - f(x - eps)) / (2 * eps)
""",
        ),
        (
            "fd-step-width",
            """
def numerical_grad(f, x, eps=1e-4):
    grad = torch.zeros_like(x)
    flat, g = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.numel()):
        xp, xm = flat.clone(), flat.clone()
        xp[i] += eps
        xm[i] -= eps
        g[i] = (f(xp.reshape(x.shape)) - f(xm.reshape(x.shape))) / eps
    return grad
""",
        ),
        (
            "wrong-dtype",
            """
def numerical_grad(f, x, eps=1e-4):
    grad = torch.zeros(x.shape)            # float32: the differences lose the digits float64 keeps
    for i in range(x.numel()):
        step = torch.zeros_like(x)
        step.view(-1)[i] = eps
        grad.view(-1)[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad
""",
        ),
        (
            "mutated-input",
            """
def numerical_grad(f, x, eps=1e-4):
    grad = torch.zeros_like(x)
    flat, g = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.numel()):
        flat[i] += eps
        fp = f(x).item()
        flat[i] -= 2 * eps
        fm = f(x).item()
        g[i] = (fp - fm) / (2 * eps)
    return grad
""",
        ),
    ],
    "nb02.ex5": [
        (
            "activation-missing",
            """
def forward(p, x):
    w1, b1, w2, b2 = p
    a1 = 1 / (1 + np.exp(-(w1 * x + b1)))
    return a1, w2 * a1 + b2
""",
        ),
        (
            "layer-input-skipped",
            """
def forward(p, x):
    w1, b1, w2, b2 = p
    a1 = 1 / (1 + np.exp(-(w1 * x + b1)))
    return a1, 1 / (1 + np.exp(-(w2 * x + b2)))
""",
        ),
        (
            "activation-missing",
            """
def forward(p, x):
    w1, b1, w2, b2 = p
    a1 = w1 * x + b1
    return a1, 1 / (1 + np.exp(-(w2 * a1 + b2)))
""",
        ),
    ],
    "nb02.ex6": [
        (
            "mse-half-factor",
            """
def gradients(p, x, y):
    w1, b1, w2, b2 = p
    a1 = 1 / (1 + np.exp(-(w1 * x + b1)))
    a2 = 1 / (1 + np.exp(-(w2 * a1 + b2)))
    delta2 = (a2 - y) * a2 * (1 - a2)
    delta1 = delta2 * w2 * a1 * (1 - a1)
    return np.array([delta1 * x, delta1, delta2 * a1, delta2])
""",
        ),
        (
            "missing-sigmoid-derivative",
            """
def gradients(p, x, y):
    w1, b1, w2, b2 = p
    a1 = 1 / (1 + np.exp(-(w1 * x + b1)))
    a2 = 1 / (1 + np.exp(-(w2 * a1 + b2)))
    delta2 = 2 * (a2 - y) * a2 * (1 - a2)
    delta1 = delta2 * w2
    return np.array([delta1 * x, delta1, delta2 * a1, delta2])
""",
        ),
        (
            "missing-sigmoid-derivative",
            """
def gradients(p, x, y):
    w1, b1, w2, b2 = p
    a1 = 1 / (1 + np.exp(-(w1 * x + b1)))
    a2 = 1 / (1 + np.exp(-(w2 * a1 + b2)))
    delta2 = 2 * (a2 - y)
    delta1 = delta2 * w2 * a1 * (1 - a1)
    return np.array([delta1 * x, delta1, delta2 * a1, delta2])
""",
        ),
        (
            "loss-derivative-sign",
            """
def gradients(p, x, y):
    w1, b1, w2, b2 = p
    a1 = 1 / (1 + np.exp(-(w1 * x + b1)))
    a2 = 1 / (1 + np.exp(-(w2 * a1 + b2)))
    delta2 = 2 * (y - a2) * a2 * (1 - a2)
    delta1 = delta2 * w2 * a1 * (1 - a1)
    return np.array([delta1 * x, delta1, delta2 * a1, delta2])
""",
        ),
        (
            "wrong-type",
            """
def gradients(p, x, y):
    w1, b1, w2, b2 = p
    a1 = 1 / (1 + np.exp(-(w1 * x + b1)))
    a2 = 1 / (1 + np.exp(-(w2 * a1 + b2)))
    delta2 = 2 * (a2 - y) * a2 * (1 - a2)
    delta1 = delta2 * w2 * a1 * (1 - a1)
    return [delta1 * x, delta1, delta2 * a1, delta2]
""",
        ),
    ],
    "nb02.ex7": [
        (
            "update-sign",
            """
def hand_step(p, x, y, lr):
    w1, b1, w2, b2 = p
    a1 = 1 / (1 + np.exp(-(w1 * x + b1)))
    a2 = 1 / (1 + np.exp(-(w2 * a1 + b2)))
    delta2 = 2 * (a2 - y) * a2 * (1 - a2)
    delta1 = delta2 * w2 * a1 * (1 - a1)
    return p + lr * np.array([delta1 * x, delta1, delta2 * a1, delta2])
""",
        ),
        (
            "update-sign",
            """
def hand_step(p, x, y, lr):
    return p + lr * gradients(p, x, y)
""",
        ),
        (
            "mse-half-factor",
            """
def hand_step(p, x, y, lr):
    w1, b1, w2, b2 = p
    a1 = 1 / (1 + np.exp(-(w1 * x + b1)))
    a2 = 1 / (1 + np.exp(-(w2 * a1 + b2)))
    delta2 = (a2 - y) * a2 * (1 - a2)      # from L = (a2 - y)^2 / 2
    delta1 = delta2 * w2 * a1 * (1 - a1)
    return p - lr * np.array([delta1 * x, delta1, delta2 * a1, delta2])
""",
        ),
        (
            "mutated-input",
            """
def hand_step(p, x, y, lr):
    p -= lr * gradients(p, x, y)
    return p
""",
        ),
        (
            "step-returned-gradients",
            """
def hand_step(p, x, y, lr):
    return gradients(p, x, y)
""",
        ),
    ],
    "nb02.ex8": [
        (
            "numpy-requires-grad",
            """
def torch_step(p, x, y, lr):
    params = torch.tensor(p, requires_grad=True)
    w1, b1, w2, b2 = params
    a2 = torch.sigmoid(w2 * torch.sigmoid(w1 * x + b1) + b2)
    F.mse_loss(a2, torch.tensor(y, dtype=a2.dtype)).backward()
    return (params - lr * params.grad).numpy()
""",
        ),
        (
            "inplace-leaf-update",
            """
def torch_step(p, x, y, lr):
    params = torch.tensor(p, requires_grad=True)
    w1, b1, w2, b2 = params
    a2 = torch.sigmoid(w2 * torch.sigmoid(w1 * x + b1) + b2)
    F.mse_loss(a2, torch.tensor(y, dtype=a2.dtype)).backward()
    params -= lr * params.grad
    return params.detach().numpy()
""",
        ),
        (
            "mse-half-factor",
            """
def torch_step(p, x, y, lr):
    params = torch.tensor(p, requires_grad=True)
    w1, b1, w2, b2 = params
    a2 = torch.sigmoid(w2 * torch.sigmoid(w1 * x + b1) + b2)
    loss = 0.5 * (a2 - y) ** 2
    loss.backward()
    with torch.no_grad():
        params -= lr * params.grad
    return params.detach().numpy()
""",
        ),
        (
            "wrong-type",
            """
def torch_step(p, x, y, lr):
    params = torch.tensor(p, requires_grad=True)
    w1, b1, w2, b2 = params
    a2 = torch.sigmoid(w2 * torch.sigmoid(w1 * x + b1) + b2)
    F.mse_loss(a2, torch.tensor(y, dtype=a2.dtype)).backward()
    with torch.no_grad():
        params -= lr * params.grad
    return params
""",
        ),
        (
            "update-sign",
            """
def torch_step(p, x, y, lr):
    params = torch.tensor(p, requires_grad=True)
    w1, b1, w2, b2 = params
    a2 = torch.sigmoid(w2 * torch.sigmoid(w1 * x + b1) + b2)
    F.mse_loss(a2, torch.tensor(y, dtype=a2.dtype)).backward()
    with torch.no_grad():
        params += lr * params.grad
    return params.detach().numpy()
""",
        ),
    ],
}


def _hardcoded_sgd_step() -> str:
    """sgd_step that writes the visible case's final values in, whatever the gradients."""
    from course.checks import nb02

    case = nb02.ex3.make_cases(hidden=False)[0]
    w, b = nb02._sgd_reference(case)
    return f"""
def sgd_step(params, lr):
    with torch.no_grad():
        params[0].copy_(torch.tensor({w.tolist()!r}))
        params[1].copy_(torch.tensor({b.tolist()!r}))
        for p in params:
            p.grad = None
"""


HARDCODED = {"nb02.ex3": _hardcoded_sgd_step()}
