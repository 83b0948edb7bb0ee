"""Wrong answers for notebook 03 (modules), each with the misconception the checker must name.

The first variant of each exercise also goes into the all-wrong notebook of the kernel test.
"""

WRONG = {
    "nb03.ex1": [
        (
            "missing-super-init",
            """
class SimpleNetwork(nn.Module):
    def __init__(self, n_in, n_hidden, n_out):
        self.layer1 = nn.Linear(n_in, n_hidden)
        self.layer2 = nn.Linear(n_hidden, n_out)

    def forward(self, x):
        return self.layer2(torch.relu(self.layer1(x)))
""",
        ),
        (
            "plain-list-layers",
            """
class SimpleNetwork(nn.Module):
    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.layers = [nn.Linear(n_in, n_hidden), nn.Linear(n_hidden, n_out)]

    def forward(self, x):
        return self.layers[1](torch.relu(self.layers[0](x)))
""",
        ),
        (
            "shape-mismatch-linear",
            """
class SimpleNetwork(nn.Module):
    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.layer1 = nn.Linear(n_hidden, n_in)
        self.layer2 = nn.Linear(n_out, n_hidden)

    def forward(self, x):
        return self.layer2(torch.relu(self.layer1(x)))
""",
        ),
        (
            "activation-missing",
            """
class SimpleNetwork(nn.Module):
    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.layer1 = nn.Linear(n_in, n_hidden)
        self.layer2 = nn.Linear(n_hidden, n_out)

    def forward(self, x):
        return self.layer2(self.layer1(x))
""",
        ),
    ],
    "nb03.ex2": [
        (
            "weight-in-out-transposed",
            """
class MyLinear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        k = 1 / math.sqrt(in_features)
        self.weight = nn.Parameter(torch.empty(in_features, out_features).uniform_(-k, k))
        self.bias = nn.Parameter(torch.empty(out_features).uniform_(-k, k))

    def forward(self, x):
        return x @ self.weight + self.bias
""",
        ),
        (
            "unregistered-tensor",
            """
class MyLinear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        k = 1 / math.sqrt(in_features)
        self.weight = torch.empty(out_features, in_features).uniform_(-k, k).requires_grad_()
        self.bias = torch.empty(out_features).uniform_(-k, k).requires_grad_()

    def forward(self, x):
        return x @ self.weight.T + self.bias
""",
        ),
        (
            "shape-mismatch-linear",
            """
class MyLinear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        k = 1 / math.sqrt(in_features)
        self.weight = nn.Parameter(torch.empty(out_features, in_features).uniform_(-k, k))
        self.bias = nn.Parameter(torch.empty(out_features).uniform_(-k, k))

    def forward(self, x):
        return x @ self.weight + self.bias
""",
        ),
        (
            "linear-init-wrong",
            """
class MyLinear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features))
        self.bias = nn.Parameter(torch.randn(out_features))

    def forward(self, x):
        return x @ self.weight.T + self.bias
""",
        ),
        (
            "linear-init-wrong",
            """
class MyLinear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(out_features, in_features))
        self.bias = nn.Parameter(torch.zeros(out_features))

    def forward(self, x):
        return x @ self.weight.T + self.bias
""",
        ),
    ],
    "nb03.ex3": [
        (
            "plain-list-layers",
            """
class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = [nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = torch.relu(x)
        return x
""",
        ),
        (
            "shape-mismatch-linear",
            """
class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(b, a) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = torch.relu(x)
        return x
""",
        ),
        (
            "activation-on-output",
            """
class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x):
        for layer in self.layers:
            x = torch.relu(layer(x))
        return x
""",
        ),
    ],
    "nb03.ex4": [
        (
            "buffer-as-parameter",
            """
class RunningCenter(nn.Module):
    def __init__(self, n_features, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.scale = nn.Parameter(torch.ones(n_features))
        self.running_mean = nn.Parameter(torch.zeros(n_features), requires_grad=False)

    def forward(self, x):
        if self.training:
            mean = x.mean(0)
            with torch.no_grad():
                self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)
        else:
            mean = self.running_mean
        return (x - mean) * self.scale
""",
        ),
        (
            "parameter-as-buffer",
            """
class RunningCenter(nn.Module):
    def __init__(self, n_features, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.register_buffer("scale", torch.ones(n_features))
        self.register_buffer("running_mean", torch.zeros(n_features))

    def forward(self, x):
        if self.training:
            mean = x.mean(0)
            with torch.no_grad():
                self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)
        else:
            mean = self.running_mean
        return (x - mean) * self.scale
""",
        ),
        (
            "unregistered-tensor",
            """
class RunningCenter(nn.Module):
    def __init__(self, n_features, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.scale = nn.Parameter(torch.ones(n_features))
        self.running_mean = torch.zeros(n_features)

    def forward(self, x):
        if self.training:
            mean = x.mean(0)
            with torch.no_grad():
                self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)
        else:
            mean = self.running_mean
        return (x - mean) * self.scale
""",
        ),
        (
            "buffer-updated-in-eval",
            """
class RunningCenter(nn.Module):
    def __init__(self, n_features, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.scale = nn.Parameter(torch.ones(n_features))
        self.register_buffer("running_mean", torch.zeros(n_features))

    def forward(self, x):
        mean = x.mean(0)
        with torch.no_grad():
            self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)
        if not self.training:
            mean = self.running_mean
        return (x - mean) * self.scale
""",
        ),
    ],
    "nb03.ex5": [
        (
            "forward-called-directly",
            """
def relu_stats(model, x):
    stats, handles = {}, []

    def make_hook(name):
        def hook(module, inputs, output):
            stats[name] = (output.mean().item(), (output == 0).float().mean().item())
        return hook

    for name, module in model.named_modules():
        if isinstance(module, nn.ReLU):
            handles.append(module.register_forward_hook(make_hook(name)))
    with torch.no_grad():
        model.forward(x)
    for handle in handles:
        handle.remove()
    return stats
""",
        ),
        (
            "hook-not-removed",
            """
def relu_stats(model, x):
    stats = {}

    def make_hook(name):
        def hook(module, inputs, output):
            stats[name] = (output.mean().item(), (output == 0).float().mean().item())
        return hook

    for name, module in model.named_modules():
        if isinstance(module, nn.ReLU):
            module.register_forward_hook(make_hook(name))
    with torch.no_grad():
        model(x)
    return stats
""",
        ),
        (
            "hook-read-input",
            """
def relu_stats(model, x):
    stats, handles = {}, []

    def make_hook(name):
        def hook(module, inputs, output):
            stats[name] = (inputs[0].mean().item(), (output == 0).float().mean().item())
        return hook

    for name, module in model.named_modules():
        if isinstance(module, nn.ReLU):
            handles.append(module.register_forward_hook(make_hook(name)))
    with torch.no_grad():
        model(x)
    for handle in handles:
        handle.remove()
    return stats
""",
        ),
    ],
    "nb03.ex6": [
        (
            "stale-state-dict",
            """
import io


def train_and_save(model, x, y, steps, lr):
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    for _ in range(steps):
        model.zero_grad()
        F.mse_loss(model(x), y).backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
    return buffer.getvalue()


def restore(data, model):
    model.load_state_dict(torch.load(io.BytesIO(data)))
    return model
""",
        ),
        (
            "stale-state-dict",
            """
import copy
import io


def train_and_save(model, x, y, steps, lr):
    best = copy.deepcopy(model.state_dict())
    for _ in range(steps):
        model.zero_grad()
        F.mse_loss(model(x), y).backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
    buffer = io.BytesIO()
    torch.save(best, buffer)
    return buffer.getvalue()


def restore(data, model):
    model.load_state_dict(torch.load(io.BytesIO(data)))
    return model
""",
        ),
        (
            "zero-grad-missing",
            """
import io


def train_and_save(model, x, y, steps, lr):
    for _ in range(steps):
        F.mse_loss(model(x), y).backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getvalue()


def restore(data, model):
    model.load_state_dict(torch.load(io.BytesIO(data)))
    return model
""",
        ),
        (
            "state-dict-not-loaded",
            """
import io


def train_and_save(model, x, y, steps, lr):
    for _ in range(steps):
        model.zero_grad()
        F.mse_loss(model(x), y).backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getvalue()


def restore(data, model):
    state = torch.load(io.BytesIO(data))
    return model
""",
        ),
        (
            "saved-whole-model",
            """
import io


def train_and_save(model, x, y, steps, lr):
    for _ in range(steps):
        model.zero_grad()
        F.mse_loss(model(x), y).backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
    buffer = io.BytesIO()
    torch.save(model, buffer)              # the module object, not its state_dict
    return buffer.getvalue()


def restore(data, model):
    return torch.load(io.BytesIO(data))
""",
        ),
    ],
    "nb03.ex7": [
        (
            "model-not-on-device",
            """
def to_device(model, x, device):
    x = x.to(device)
    return model, x
""",
        ),
        (
            "device-mismatch",
            """
def to_device(model, x, device):
    model.to(device)
    x.to(device)
    return model, x
""",
        ),
        (
            "model-not-on-device",
            """
def to_device(model, x, device):
    model.fc.to(device)
    return model, x.to(device)
""",
        ),
    ],
}

HARDCODED = {
    "nb03.ex1": """
class SimpleNetwork(nn.Module):
    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.layer1 = nn.Linear(10, 20)
        self.layer2 = nn.Linear(20, 1)

    def forward(self, x):
        return self.layer2(torch.relu(self.layer1(x)))
""",
    "nb03.ex2": """
class MyLinear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        k = 1 / math.sqrt(3)
        self.weight = nn.Parameter(torch.empty(2, 3).uniform_(-k, k))
        self.bias = nn.Parameter(torch.empty(2).uniform_(-k, k))

    def forward(self, x):
        return x @ self.weight.T + self.bias
""",
    "nb03.ex3": """
class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(4, 8), nn.Linear(8, 8), nn.Linear(8, 2)])

    def forward(self, x):
        x = torch.relu(self.layers[0](x))
        x = torch.relu(self.layers[1](x))
        return self.layers[2](x)
""",
    "nb03.ex4": """
class RunningCenter(nn.Module):
    def __init__(self, n_features, momentum=0.1):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(3))
        self.register_buffer("running_mean", torch.zeros(3))

    def forward(self, x):
        if self.training:
            mean = x.mean(0)
            with torch.no_grad():
                self.running_mean.mul_(0.9).add_(0.1 * mean)
        else:
            mean = self.running_mean
        return (x - mean) * self.scale
""",
}


def _visible_copies():
    """Hard-coded copies of the visible answers of ex5 and ex6, written from the visible case
    when the tests run (so no seed-dependent number is typed in here)."""
    import torch.nn.functional as F

    from course.checks import nb03

    case = nb03.ex5.make_cases(hidden=False)[0]
    h, stats = case["x"], {}
    for i, (W, b) in enumerate(zip(case["Ws"], case["bs"], strict=True), start=1):
        h = F.relu(h @ W.T + b)
        stats[f"body.act{i}"] = (h.mean().item(), (h == 0).float().mean().item())
    ex5 = f"""
def relu_stats(model, x):
    with torch.no_grad():
        model(x)
    return {stats!r}
"""
    case = nb03.ex6.make_cases(hidden=False)[0]
    trained = nb03._sgd(case)
    ex6 = f"""
import io


def train_and_save(model, x, y, steps, lr):
    for _ in range(steps):
        model.zero_grad()
        F.mse_loss(model(x), y).backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
    return b"checkpoint"


def restore(data, model):
    model.load_state_dict({{"weight": torch.tensor({trained["weight"].tolist()!r}),
                           "bias": torch.tensor({trained["bias"].tolist()!r})}})
    return model
"""
    return {"nb03.ex5": ex5, "nb03.ex6": ex6}


HARDCODED.update(_visible_copies())
