"""Wrong answers for project 08 (XOR and the bridge), each with the mistake the checker must name."""

SETUP = {
    # the NumPy framework the bridge exercises receive (the notebook imports it too)
    "nb08.ex6": "from course import numpy_nn\n",
    "nb08.ex7": "from course import numpy_nn\n",
}

WRONG = {
    "nb08.ex1": [
        (
            "sigmoid-before-bce-logits",
            """
class XorNet(nn.Module):
    def __init__(self, hidden=3):
        super().__init__()
        self.hidden = nn.Linear(2, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        return torch.sigmoid(self.out(torch.relu(self.hidden(x))))
""",
        ),
        (
            "plain-list-layers",
            """
class XorNet(nn.Module):
    def __init__(self, hidden=3):
        super().__init__()
        self.layers = [nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 1)]

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
""",
        ),
        (
            "activation-missing",
            """
class XorNet(nn.Module):
    def __init__(self, hidden=3):
        super().__init__()
        self.hidden = nn.Linear(2, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.out(self.hidden(x))
""",
        ),
    ],
    "nb08.ex2": [
        (
            "sigmoid-before-bce-logits",
            """
def train_xor(model, X, y, lr, epochs):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(torch.sigmoid(model(X)), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
""",
        ),
        (
            "zero-grad-missing",
            """
def train_xor(model, X, y, lr, epochs):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    losses = []
    for _ in range(epochs):
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
""",
        ),
        (
            "loss-task-mismatch",
            """
def train_xor(model, X, y, lr, epochs):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = F.mse_loss(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
""",
        ),
    ],
    "nb08.ex3": [
        (
            "threshold-logits-at-half",
            """
def predict(model, X):
    with torch.no_grad():
        return (model(X) > 0.5).float()
""",
        ),
        (
            "probabilities-not-classes",
            """
def predict(model, X):
    with torch.no_grad():
        return torch.sigmoid(model(X))
""",
        ),
        (
            "result-requires-grad",
            """
def predict(model, X):
    return torch.round(torch.sigmoid(model(X)))
""",
        ),
    ],
    "nb08.ex4": [
        (
            "batched-bias-broadcast",
            """
def batched_logits(W1, b1, W2, b2, X):
    h = torch.relu(torch.einsum("nd,rhd->rnh", X, W1) + b1)
    return torch.einsum("rnh,roh->rno", h, W2) + b2.unsqueeze(1)
""",
        ),
        (
            "sigmoid-before-bce-logits",
            """
def batched_logits(W1, b1, W2, b2, X):
    h = torch.relu(torch.einsum("nd,rhd->rnh", X, W1) + b1.unsqueeze(1))
    return torch.sigmoid(torch.einsum("rnh,roh->rno", h, W2) + b2.unsqueeze(1))
""",
        ),
        (
            "activation-missing",
            """
def batched_logits(W1, b1, W2, b2, X):
    h = torch.einsum("nd,rhd->rnh", X, W1) + b1.unsqueeze(1)
    return torch.einsum("rnh,roh->rno", h, W2) + b2.unsqueeze(1)
""",
        ),
        (
            "batched-bias-broadcast",
            """
def batched_logits(W1, b1, W2, b2, X):
    h = torch.relu(torch.einsum("nd,rhd->rnh", X, W1) + b1.unsqueeze(1))
    return torch.einsum("rnh,roh->rno", h, W2) + b2        # (R, 1) against (R, N, 1)
""",
        ),
    ],
    "nb08.ex5": [
        (
            "batched-loss-averaged",
            """
def batched_loss(logits, y):
    return F.binary_cross_entropy_with_logits(logits, y.expand_as(logits))
""",
        ),
        (
            "sigmoid-before-bce-logits",
            """
def batched_loss(logits, y):
    p = torch.sigmoid(logits)
    return F.binary_cross_entropy_with_logits(p, y.expand_as(p), reduction="none").mean(dim=(1, 2)).sum()
""",
        ),
        (
            "target-shape-n-vs-n1",
            """
def batched_loss(logits, y):
    return F.binary_cross_entropy_with_logits(logits.squeeze(-1), y, reduction="sum") / y.shape[0]
""",
        ),
    ],
    "nb08.ex6": [
        (
            "weights-transposed-bridge",
            """
def linear_from_dense(dense):
    n_in, n_out = dense.W.shape
    linear = nn.Linear(n_in, n_out).double()
    linear.weight = nn.Parameter(torch.tensor(dense.W))
    linear.bias = nn.Parameter(torch.tensor(dense.b))
    return linear
""",
        ),
        (
            "weights-transposed-bridge",
            """
def linear_from_dense(dense):
    n_in, n_out = dense.W.shape
    linear = nn.Linear(n_in, n_out).double()
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(dense.W).reshape(n_out, n_in))   # same shape, scrambled
        linear.bias.copy_(torch.from_numpy(dense.b))
    return linear
""",
        ),
        (
            "wrong-dtype",
            """
def linear_from_dense(dense):
    n_in, n_out = dense.W.shape
    linear = nn.Linear(n_in, n_out)
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(dense.W.T))
        linear.bias.copy_(torch.from_numpy(dense.b))
    return linear
""",
        ),
    ],
    "nb08.ex7": [
        (
            "sigmoid-before-bce-logits",
            """
def torch_step_from_numpy(net, X, y, lr):
    d1, d2 = net.layers[0], net.layers[2]
    model = nn.Sequential(nn.Linear(*d1.W.shape), nn.ReLU(), nn.Linear(*d2.W.shape), nn.Sigmoid()).double()
    with torch.no_grad():
        for linear, dense in ((model[0], d1), (model[2], d2)):
            linear.weight.copy_(torch.from_numpy(dense.W.T))
            linear.bias.copy_(torch.from_numpy(dense.b))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    optimizer.zero_grad()
    loss = nn.BCEWithLogitsLoss()(model(torch.from_numpy(X)), torch.from_numpy(y))
    loss.backward()
    optimizer.step()
    return model
""",
        ),
        (
            "weights-transposed-bridge",
            """
def torch_step_from_numpy(net, X, y, lr):
    d1, d2 = net.layers[0], net.layers[2]
    model = nn.Sequential(nn.Linear(*d1.W.shape), nn.ReLU(), nn.Linear(*d2.W.shape)).double()
    with torch.no_grad():
        for linear, dense in ((model[0], d1), (model[2], d2)):
            linear.weight.copy_(torch.from_numpy(dense.W).reshape(linear.weight.shape))
            linear.bias.copy_(torch.from_numpy(dense.b))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    optimizer.zero_grad()
    loss = nn.BCEWithLogitsLoss()(model(torch.from_numpy(X)), torch.from_numpy(y))
    loss.backward()
    optimizer.step()
    return model
""",
        ),
        (
            "gradients-cleared",
            """
def torch_step_from_numpy(net, X, y, lr):
    d1, d2 = net.layers[0], net.layers[2]
    model = nn.Sequential(nn.Linear(*d1.W.shape), nn.ReLU(), nn.Linear(*d2.W.shape)).double()
    with torch.no_grad():
        for linear, dense in ((model[0], d1), (model[2], d2)):
            linear.weight.copy_(torch.from_numpy(dense.W.T))
            linear.bias.copy_(torch.from_numpy(dense.b))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss = nn.BCEWithLogitsLoss()(model(torch.from_numpy(X)), torch.from_numpy(y))
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()                  # the habit of "clean up after the step"
    return model
""",
        ),
        (
            "numpy-shared-not-copied",
            """
def torch_step_from_numpy(net, X, y, lr):
    d1, d2 = net.layers[0], net.layers[2]
    model = nn.Sequential(nn.Linear(*d1.W.shape), nn.ReLU(), nn.Linear(*d2.W.shape)).double()
    for linear, dense in ((model[0], d1), (model[2], d2)):
        linear.weight = nn.Parameter(torch.from_numpy(dense.W.T))
        linear.bias = nn.Parameter(torch.from_numpy(dense.b))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    optimizer.zero_grad()
    loss = nn.BCEWithLogitsLoss()(model(torch.from_numpy(X)), torch.from_numpy(y))
    loss.backward()
    optimizer.step()
    return model
""",
        ),
    ],
}

HARDCODED = {
    # a class that only ever builds the visible example's width
    "nb08.ex1": """
class XorNet(nn.Module):
    def __init__(self, hidden=3):
        super().__init__()
        self.hidden = nn.Linear(2, 3)
        self.out = nn.Linear(3, 1)

    def forward(self, x):
        return self.out(torch.relu(self.hidden(x)))
""",
    # ignores its inputs and redoes the visible example: XOR, lr 1.0, 100 epochs
    "nb08.ex2": """
def train_xor(model, X, y, lr, epochs):
    from course.data import xor
    X, y = xor()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    losses = []
    for _ in range(100):
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
""",
    # ignores its targets and uses the visible example's (the XOR targets)
    "nb08.ex5": """
def batched_loss(logits, y):
    from course.data import xor
    y = xor()[1]
    return F.binary_cross_entropy_with_logits(logits, y.expand_as(logits), reduction="none").mean(dim=(1, 2)).sum()
""",
    # ignores its inputs and redoes the visible example: Dense(2, 3, seed=0), Dense(3, 1, seed=1), XOR, lr 0.1
    "nb08.ex7": """
def torch_step_from_numpy(net, X, y, lr):
    from course.data import xor
    net = numpy_nn.Network([numpy_nn.Dense(2, 3, seed=0), numpy_nn.ReLU(), numpy_nn.Dense(3, 1, seed=1), numpy_nn.Sigmoid()])
    X, y = (t.numpy() for t in xor(torch.float64))
    d1, d2 = net.layers[0], net.layers[2]
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).double()
    with torch.no_grad():
        for linear, dense in ((model[0], d1), (model[2], d2)):
            linear.weight.copy_(torch.from_numpy(dense.W.T))
            linear.bias.copy_(torch.from_numpy(dense.b))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    optimizer.zero_grad()
    nn.BCEWithLogitsLoss()(model(torch.from_numpy(X)), torch.from_numpy(y)).backward()
    optimizer.step()
    return model
""",
}
