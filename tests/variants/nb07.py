"""Wrong answers for project 07 (linear regression), each with the mistake the checker must name."""

WRONG = {
    "nb07.ex1": [
        ("target-shape-n-vs-n1", "def as_batch(x, y):\n    return x.unsqueeze(1), y"),
        ("wrong-shape", "def as_batch(x, y):\n    return x.unsqueeze(0), y.unsqueeze(0)"),
        ("float64-not-float32", "def as_batch(x, y):\n    return x.double().reshape(-1, 1), y.double().reshape(-1, 1)"),
    ],
    "nb07.ex2": [
        ("zero-grad-missing", """
def manual_step(model, X, Y, lr):
    loss = F.mse_loss(model(X), Y)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    return loss.item()
"""),
        ("rebinding-leaf", """
def manual_step(model, X, Y, lr):
    loss = F.mse_loss(model(X), Y)
    loss.backward()
    for p in model.parameters():
        p = p - lr * p.grad
        p.grad = None
    return loss.item()
"""),
        ("inplace-leaf-update", """
def manual_step(model, X, Y, lr):
    loss = F.mse_loss(model(X), Y)
    loss.backward()
    for p in model.parameters():
        p -= lr * p.grad
        p.grad = None
    return loss.item()
"""),
        ("update-sign", """
def manual_step(model, X, Y, lr):
    loss = F.mse_loss(model(X), Y)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p += lr * p.grad
            p.grad = None
    return loss.item()
"""),
        ("mse-half-factor", """
def manual_step(model, X, Y, lr):
    model.zero_grad()
    loss = F.mse_loss(model(X), Y)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    return 0.5 * loss.item()
"""),
    ],
    "nb07.ex3": [
        ("target-shape-n-vs-n1", """
def fit_line(x, y, lr, epochs):
    model = nn.Linear(1, 1)
    X = x.unsqueeze(1)
    losses = []
    for _ in range(epochs):
        loss = F.mse_loss(model(X), y)
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
                p.grad = None
    return model.weight.item(), model.bias.item(), losses
"""),
        ("lr-diverges", """
def fit_line(x, y, lr, epochs):
    w = torch.zeros(1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for _ in range(epochs):
        loss = ((w * x + b - y) ** 2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
    return w.item(), b.item(), losses
"""),
        ("zero-grad-missing", """
def fit_line(x, y, lr, epochs):
    w = torch.zeros(1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for _ in range(epochs):
        loss = ((w * x + b - y) ** 2).mean()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
    return w.item(), b.item(), losses
"""),
        ("wrong-values", """
def fit_line(x, y, lr, epochs):
    w = torch.zeros(1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for _ in range(epochs):
        loss = ((w * x + b - y) ** 2).mean()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            w -= 0.005 * w.grad
            b -= 0.005 * b.grad
            w.grad.zero_()
            b.grad.zero_()
    return w.item(), b.item(), losses
"""),
    ],
    "nb07.ex4": [
        ("zero-grad-missing", """
def train_sgd(model, X, Y, lr, epochs):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        loss = nn.MSELoss()(model(X), Y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
"""),
        ("step-before-backward", """
def train_sgd(model, X, Y, lr, epochs):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        loss = nn.MSELoss()(model(X), Y)
        optimizer.step()
        optimizer.zero_grad()
        loss.backward()
        losses.append(loss.item())
    return losses
"""),
        ("optimizer-wrong-params", """
def train_sgd(model, X, Y, lr, epochs):
    net = nn.Linear(1, 1)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = nn.MSELoss()(net(X), Y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
"""),
    ],
}

# Copies of the visible answer: they ignore their inputs and redo the notebook's example.
HARDCODED = {
    "nb07.ex2": """
def manual_step(model, X, Y, lr):
    from course.data import linear
    x, y = linear(seed=6)
    loss = F.mse_loss(model(x.unsqueeze(1)), y.unsqueeze(1))
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= 0.005 * p.grad
            p.grad = None
    return loss.item()
""",
    "nb07.ex4": """
def train_sgd(model, X, Y, lr, epochs):
    from course.data import linear
    x, y = linear(seed=6)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    losses = []
    for _ in range(100):
        optimizer.zero_grad()
        loss = F.mse_loss(model(x.unsqueeze(1)), y.unsqueeze(1))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
""",
}
