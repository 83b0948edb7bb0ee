"""Wrong answers for notebook 05, each with the misconception the checker must name."""

# --- the hard-coded copies of answers whose effect is a side effect or a class -------------
_HARD_TRAIN = """
from course.checks import nb05 as _nb
_case = _nb.ex1.make_cases(False)[0]
_losses, _w, _b, _ = _nb._loop(_case, "zfbs")

def train(model, X, y, optimizer, loss_fn, epochs):
    for _ in range(epochs):  # the loop's calls, with no gradient to step on
        optimizer.zero_grad()
        optimizer.step()
    with torch.no_grad():
        model.weight.copy_(_w)
        model.bias.copy_(_b)
    return [float(x) for x in _losses]
"""

_HARD_SGD = """
from course.checks import nb05 as _nb
_ref = _nb._sgd_reference(_nb.ex3.make_cases(False)[0])

def sgd_step(params, lr, weight_decay=0.0):
    with torch.no_grad():
        i = 0
        for p in params:
            p.copy_(_ref[i:i + p.numel()].reshape(p.shape))
            i += p.numel()
"""

_HARD_MOMENTUM = """
from course.checks import nb05 as _nb
_case = _nb.ex4.make_cases(False)[0]
_traj = _nb._trajectory(_case, lambda ps: torch.optim.SGD(ps, lr=_case["lr"], momentum=0.9))

class MomentumSGD:
    def __init__(self, params, lr, momentum=0.9):
        self.params, self.t = list(params), 0

    @torch.no_grad()
    def step(self):
        row, i = _traj[min(self.t, len(_traj) - 1)], 0
        for p in self.params:
            p.copy_(row[i:i + p.numel()].reshape(p.shape))
            i += p.numel()
        self.t += 1
"""

_HARD_ADAM = """
from course.checks import nb05 as _nb
_trajs = {}
for _case in _nb.ex5.make_cases(False):  # the visible cases: the defaults, then lr 0.05
    _lr = _case["lr"] or 1e-3
    _kw = {"betas": _case["betas"]} if _case["betas"] else {}
    _trajs[_lr] = _nb._trajectory(_case, lambda ps: torch.optim.Adam(ps, lr=_lr, **_kw))

class HandAdam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.t, self.traj = list(params), 0, _trajs.get(lr, _trajs[1e-3])

    @torch.no_grad()
    def step(self):
        row, i = self.traj[min(self.t, len(self.traj) - 1)], 0
        for p in self.params:
            p.copy_(row[i:i + p.numel()].reshape(p.shape))
            i += p.numel()
        self.t += 1
"""

_HARD_SCHEDULE = """
from course.checks import nb05 as _nb
_case = _nb.ex6.make_cases(False)[0]
_, _w, _b, _lrs = _nb._loop(_case, "zfbs", _nb._steplr)

def train_with_schedule(model, batches, optimizer, loss_fn, epochs):
    with torch.no_grad():
        model.weight.copy_(_w)
        model.bias.copy_(_b)
    return list(_lrs)
"""

# (model, optimizer) cannot be replayed by copying: a copy of each loses the link between them.
_HARD_SETUP = """
def setup_training(model, device, lr, weight_decay):
    model = model.to(device)
    return model, torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
"""

HARDCODED = {
    "nb05.ex1": _HARD_TRAIN,
    "nb05.ex2": _HARD_SETUP,
    "nb05.ex3": _HARD_SGD,
    "nb05.ex4": _HARD_MOMENTUM,
    "nb05.ex5": _HARD_ADAM,
    "nb05.ex6": _HARD_SCHEDULE,
}

# --- the wrong answers ------------------------------------------------------------------------
_MOMENTUM = """
class MomentumSGD:
    def __init__(self, params, lr, momentum=0.9):
        self.params = list(params)
        self.lr = lr
        self.momentum = momentum
{init}
    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
{step}"""

_ADAM = """
class HandAdam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
        self.lr, self.betas, self.eps = lr, betas, eps
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    @torch.no_grad()
    def step(self):
{before}        beta1, beta2 = self.betas
        for p, m, v in zip(self.params, self.m, self.v):
            g = p.grad
            m.mul_(beta1).add_(g, alpha=1 - beta1)
            v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
{hats}            p.sub_(self.lr * m_hat / (v_hat.sqrt() + self.eps))
{after}"""

_CORRECTED = "            m_hat = m / (1 - beta1 ** self.t)\n            v_hat = v / (1 - beta2 ** self.t)\n"

_SCHEDULE = """
def train_with_schedule(model, batches, optimizer, loss_fn, epochs):
    scheduler = torch.optim.lr_scheduler.{sched}
    lrs = []
    for epoch in range(epochs):
        lrs.append(optimizer.param_groups[0]["lr"])
        for X, y in batches:
            optimizer.zero_grad()
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.step()
{inner}        {outer}
    return lrs
"""

_SWEEP = """
def lr_sweep(make_model, X, y, lrs, steps):
    final_losses = []
{outside}    for lr in lrs:
{inside}        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        for _ in range(steps):
{zero}            loss = F.mse_loss(model(X), y)
            loss.backward()
            optimizer.step()
        final_losses.append(loss.item())
{pick}    return final_losses, best_lr
"""
_FRESH = dict(outside="", inside="        model = make_model()\n", zero="            optimizer.zero_grad()\n")
_PICK = (
    "    finite = [(loss, lr) for loss, lr in zip(final_losses, lrs) if math.isfinite(loss)]\n"
    "    best_lr = min(finite)[1]\n"
)

WRONG = {
    "nb05.ex1": [
        (
            "zero-grad-missing",
            """
def train(model, X, y, optimizer, loss_fn, epochs):
    losses = []
    for epoch in range(epochs):
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
""",
        ),
        (
            "step-before-backward",
            """
def train(model, X, y, optimizer, loss_fn, epochs):
    losses = []
    for epoch in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        optimizer.step()
        loss.backward()
        losses.append(loss.item())
    return losses
""",
        ),
        (
            "step-before-backward",
            """
def train(model, X, y, optimizer, loss_fn, epochs):
    losses = []
    for epoch in range(epochs):
        loss = loss_fn(model(X), y)
        optimizer.step()
        optimizer.zero_grad()
        loss.backward()
        losses.append(loss.item())
    return losses
""",
        ),
        (
            "loss-history-tensors",
            """
def train(model, X, y, optimizer, loss_fn, epochs):
    losses = []
    for epoch in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss)
    return losses
""",
        ),
        (
            "loss-recorded-after-step",
            """
def train(model, X, y, optimizer, loss_fn, epochs):
    losses = []
    for epoch in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss_fn(model(X), y).item())   # the loss after the step
    return losses
""",
        ),
        (
            "optimizer-not-used",
            """
def train(model, X, y, optimizer, loss_fn, epochs):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)   # the notebook's example, not the one given
    losses = []
    for epoch in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
""",
        ),
    ],
    "nb05.ex2": [
        (
            "optimizer-before-to-device",
            """
def setup_training(model, device, lr, weight_decay):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    model = model.to(device)
    return model, optimizer
""",
        ),
        (
            "optimizer-wrong-params",
            """
def setup_training(model, device, lr, weight_decay):
    model = model.to(device)
    optimizer = torch.optim.SGD(model[-1].parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    return model, optimizer
""",
        ),
        (
            "weight-decay-as-lr",
            """
def setup_training(model, device, lr, weight_decay):
    model = model.to(device)
    optimizer = torch.optim.SGD(model.parameters(), weight_decay, 0.9, 0, lr)
    return model, optimizer
""",
        ),
        (
            "model-not-on-device",
            """
def setup_training(model, device, lr, weight_decay):
    model.to("cpu")
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    return model, optimizer
""",
        ),
        (
            "optimizer-setting-missing",
            """
def setup_training(model, device, lr, weight_decay):
    model = model.to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)
    return model, optimizer
""",
        ),
        (
            "wrong-type",
            """
def setup_training(model, device, lr, weight_decay):
    model = model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return model, optimizer
""",
        ),
    ],
    "nb05.ex3": [
        (
            "rebinding-leaf",
            """
def sgd_step(params, lr, weight_decay=0.0):
    for p in params:
        p = p - lr * (p.grad + weight_decay * p)
""",
        ),
        (
            "weight-decay-as-lr",
            """
def sgd_step(params, lr, weight_decay=0.0):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad + weight_decay * p
""",
        ),
        (
            "update-sign",
            """
def sgd_step(params, lr, weight_decay=0.0):
    with torch.no_grad():
        for p in params:
            p += lr * (p.grad + weight_decay * p)
""",
        ),
        (
            "inplace-leaf-update",
            """
def sgd_step(params, lr, weight_decay=0.0):
    for p in params:
        p -= lr * (p.grad + weight_decay * p)
""",
        ),
        (
            "weight-decay-missing",
            """
def sgd_step(params, lr, weight_decay=0.0):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
""",
        ),
        (
            "gradients-cleared",
            """
def sgd_step(params, lr, weight_decay=0.0):
    with torch.no_grad():
        for p in params:
            p -= lr * (p.grad + weight_decay * p)
            p.grad = None                      # "clean up" after the step
""",
        ),
    ],
    "nb05.ex4": [
        (
            "optimizer-state-not-kept",
            _MOMENTUM.format(
                init="",
                step="""
        for p in self.params:
            velocity = torch.zeros_like(p)
            velocity = self.momentum * velocity + p.grad
            p -= self.lr * velocity
""",
            ),
        ),
        (
            "momentum-buffer-init",
            _MOMENTUM.format(
                init="        self.velocity = [torch.zeros_like(p) for p in self.params]\n",
                step="""
        for p, v in zip(self.params, self.velocity):
            v.mul_(self.momentum).add_((1 - self.momentum) * p.grad)
            p -= self.lr * v
""",
            ),
        ),
        (
            "momentum-stale-velocity",
            _MOMENTUM.format(
                init="        self.velocity = [torch.zeros_like(p) for p in self.params]\n",
                step="""
        for p, v in zip(self.params, self.velocity):
            p -= self.lr * v
            v.mul_(self.momentum).add_(p.grad)
""",
            ),
        ),
    ],
    "nb05.ex5": [
        (
            "adam-no-bias-correction",
            _ADAM.format(before="        self.t += 1\n", after="", hats="            m_hat, v_hat = m, v\n"),
        ),
        ("adam-no-bias-correction", _ADAM.format(before="", after="        self.t += 1\n", hats=_CORRECTED)),
        (
            "adam-no-bias-correction",
            _ADAM.format(
                before="        self.t += 1\n",
                after="",
                hats="            m_hat = m / (1 - beta1 ** self.t)\n            v_hat = v\n",
            ),
        ),
        (
            "optimizer-state-not-kept",
            _ADAM.format(
                before="        self.m = [torch.zeros_like(p) for p in self.params]\n"
                "        self.v = [torch.zeros_like(p) for p in self.params]\n"
                "        self.t = 1\n",
                after="",
                hats=_CORRECTED,
            ),
        ),
    ],
    "nb05.ex6": [
        (
            "scheduler-per-batch",
            _SCHEDULE.format(
                sched="StepLR(optimizer, step_size=3, gamma=0.5)", inner="            scheduler.step()\n", outer="pass"
            ),
        ),
        (
            "schedule-shape-wrong",
            _SCHEDULE.format(sched="StepLR(optimizer, step_size=3, gamma=0.1)", inner="", outer="scheduler.step()"),
        ),
        (
            "schedule-shape-wrong",
            _SCHEDULE.format(sched="ExponentialLR(optimizer, gamma=0.5)", inner="", outer="scheduler.step()"),
        ),
        (
            "lr-read-after-step",
            """
def train_with_schedule(model, batches, optimizer, loss_fn, epochs):
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
    lrs = []
    for epoch in range(epochs):
        for X, y in batches:
            optimizer.zero_grad()
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.step()
        scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    return lrs
""",
        ),
        (
            "scheduler-before-optimizer",
            """
def train_with_schedule(model, batches, optimizer, loss_fn, epochs):
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
    lrs = []
    for epoch in range(epochs):
        lrs.append(optimizer.param_groups[0]["lr"])
        scheduler.step()                       # before this epoch's optimizer.step() calls
        for X, y in batches:
            optimizer.zero_grad()
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.step()
    return lrs
""",
        ),
        (
            "wrong-type",
            """
def train_with_schedule(model, batches, optimizer, loss_fn, epochs):
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
    lrs = []
    for epoch in range(epochs):
        lrs.append(scheduler.get_last_lr())
        for X, y in batches:
            optimizer.zero_grad()
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.step()
        scheduler.step()
    return lrs
""",
        ),
    ],
    "nb05.ex7": [
        ("sweep-kept-diverged", _SWEEP.format(**_FRESH, pick="    best_lr = lrs[int(np.argmax(final_losses))]\n")),
        (
            "sweep-shared-model",
            _SWEEP.format(
                outside="    model = make_model()\n", inside="", zero="            optimizer.zero_grad()\n", pick=_PICK
            ),
        ),
        ("zero-grad-missing", _SWEEP.format(outside="", inside="        model = make_model()\n", zero="", pick=_PICK)),
        ("sweep-kept-diverged", _SWEEP.format(**_FRESH, pick="    best_lr = max(lrs)\n")),
        # the best lr without leaving out the runs that diverged (the prose's "among the runs that
        # did not diverge"): a nan that comes first wins min(), and argmin returns a nan's index
        ("sweep-kept-diverged", _SWEEP.format(**_FRESH, pick="    best_lr = min(zip(final_losses, lrs))[1]\n")),
        (
            "sweep-kept-diverged",
            _SWEEP.format(**_FRESH, pick="    best_lr = lrs[final_losses.index(min(final_losses))]\n"),
        ),
        ("sweep-kept-diverged", _SWEEP.format(**_FRESH, pick="    best_lr = lrs[int(np.argmin(final_losses))]\n")),
        (
            "sweep-kept-diverged",
            _SWEEP.format(**_FRESH, pick="    best_lr = lrs[int(torch.tensor(final_losses).argmin())]\n"),
        ),
    ],
}
