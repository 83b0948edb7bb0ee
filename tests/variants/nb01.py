"""Wrong answers for notebook 01, each with the misconception the checker must name."""

WRONG = {
    "nb01.ex1": [
        (
            "index-grid-not-pairs",
            """
def target_scores(logits, target):
    return logits[:, target]


def masked_means(x, mask):
    return (x * mask).sum(dim=1) / mask.sum(dim=1)
""",
        ),
        (
            "index-rows-not-elements",
            """
def target_scores(logits, target):
    return logits[target]


def masked_means(x, mask):
    return (x * mask).sum(dim=1) / mask.sum(dim=1)
""",
        ),
        (
            "mask-flattens",
            """
def target_scores(logits, target):
    return logits[torch.arange(len(target)), target]


def masked_means(x, mask):
    return x[mask].mean()
""",
        ),
        (
            "masked-mean-wrong-count",
            """
def target_scores(logits, target):
    return logits[torch.arange(len(target)), target]


def masked_means(x, mask):
    return torch.where(mask, x, 0.0).mean(dim=1)
""",
        ),
        (
            "masked-mean-wrong-count",
            """
def target_scores(logits, target):
    return logits.gather(1, target.unsqueeze(1)).squeeze(1)


def masked_means(x, mask):
    return (x * mask).sum(dim=1) / mask.shape[1]
""",
        ),
    ],
    "nb01.ex2": [
        (
            "mean-on-int",
            """
def row_means(counts):
    return counts.mean(dim=1)
""",
        ),
        (
            "wrong-reduction-dim",
            """
def row_means(counts):
    return counts.float().mean(dim=0)
""",
        ),
        (
            "keepdim-mismatch",
            """
def row_means(counts):
    return counts.float().mean(dim=1, keepdim=True)
""",
        ),
        (
            "float64-not-float32",
            """
def row_means(counts):
    return counts.double().mean(dim=1)
""",
        ),
        (
            "wrong-dtype",
            """
def row_means(counts):
    return counts.sum(dim=1) // counts.shape[1]
""",
        ),
    ],
    "nb01.ex3": [
        (
            "keepdim-mismatch",
            """
def means_along_each_dim(x):
    return [x.mean(dim=d, keepdim=True) for d in range(x.ndim)]
""",
        ),
        (
            "wrong-reduction-dim",
            """
def means_along_each_dim(x):
    return [x.mean(dim=x.ndim - 1 - d) for d in range(x.ndim)]
""",
        ),
        (
            "raised-error",
            """
def means_along_each_dim(x):
    return [x.mean(dim=0), x.mean(dim=1), x.mean(dim=2)]
""",
        ),
        (
            "wrong-values",
            """
def means_along_each_dim(x):
    return [x.sum(dim=d) for d in range(x.ndim)]
""",
        ),
    ],
    "nb01.ex4": [
        (
            "broadcast-n-by-n",
            """
def squared_errors(pred, target):
    return (pred - target) ** 2
""",
        ),
        (
            "broadcast-n-by-n",
            """
def squared_errors(pred, target):
    return ((pred - target) ** 2).mean(dim=1)
""",
        ),
        (
            "wrong-shape",
            """
def squared_errors(pred, target):
    return (pred - target.unsqueeze(1)) ** 2
""",
        ),
    ],
    "nb01.ex5": [
        (
            "reshape-scrambled-order",
            """
def reshape_in_order(x):
    tall = x.reshape(-1, x.shape[-1])
    return tall, tall.t()
""",
        ),
        (
            "reshape-scrambled-order",
            """
def reshape_in_order(x):
    return x.reshape(-1, x.shape[-1]), x.permute(2, 0, 1).reshape(x.shape[-1], -1)
""",
        ),
        (
            "wrong-shape",
            """
def reshape_in_order(x):
    return x.reshape(x.shape[-1], -1), x.reshape(-1, x.shape[-1])
""",
        ),
    ],
    "nb01.ex6": [
        (
            "view-non-contiguous",
            """
def flatten(x):
    return x.view(-1)
""",
        ),
        (
            "copy-not-view",
            """
def flatten(x):
    return x.reshape(-1).clone()
""",
        ),
        (
            "copy-not-view",
            """
def flatten(x):
    return torch.tensor(x.tolist()).reshape(-1)
""",
        ),
    ],
    "nb01.ex7": [
        (
            "numpy-copy-not-shared",
            """
def share_numpy(a):
    return torch.tensor(a)


def copy_numpy(a):
    return torch.tensor(a)
""",
        ),
        (
            "numpy-shared-not-copied",
            """
def share_numpy(a):
    return torch.from_numpy(a)


def copy_numpy(a):
    return torch.as_tensor(a)
""",
        ),
        (
            "numpy-copy-not-shared",
            """
def share_numpy(a):
    return torch.from_numpy(a).float()


def copy_numpy(a):
    return torch.tensor(a)
""",
        ),
    ],
    "nb01.ex8": [
        (
            "compute-then-move",
            """
def predict_on(x, w, b, device):
    return (x @ w + b).to(device)
""",
        ),
        (
            "device-mismatch",
            """
def predict_on(x, w, b, device):
    return x.to(device) @ w.to(device) + b
""",
        ),
        (
            "device-mismatch",
            """
def predict_on(x, w, b, device):
    return x @ w + b
""",
        ),
        (
            "compute-then-move",
            """
def predict_on(x, w, b, device):
    return torch.addmm(b, x, w).to(device)
""",
        ),
    ],
    "nb01.ex9": [
        (
            "cat-ndim-mismatch",
            """
def make_batch(samples, labels):
    return torch.cat([torch.stack(samples), labels], dim=1)


def split_batch(batch):
    return batch[:, :-1], batch[:, -1:]
""",
        ),
        (
            "cat-not-stack",
            """
def make_batch(samples, labels):
    return torch.cat([torch.cat(samples), labels])


def split_batch(batch):
    return batch[:, :-1], batch[:, -1:]
""",
        ),
        (
            "cat-size-mismatch",
            """
def make_batch(samples, labels):
    return torch.cat([torch.stack(samples), labels.unsqueeze(0)], dim=1)


def split_batch(batch):
    return batch[:, :-1], batch[:, -1:]
""",
        ),
        (
            "stack-wrong-dim",
            """
def make_batch(samples, labels):
    return torch.cat([torch.stack(samples, dim=1), labels.unsqueeze(0)], dim=0)


def split_batch(batch):
    return batch[:, :-1], batch[:, -1:]
""",
        ),
        (
            "index-drops-axis",
            """
def make_batch(samples, labels):
    return torch.cat([torch.stack(samples), labels.unsqueeze(1)], dim=1)


def split_batch(batch):
    return batch[:, :-1], batch[:, -1]
""",
        ),
        (
            "slice-rows-not-columns",
            """
def make_batch(samples, labels):
    return torch.column_stack([torch.stack(samples), labels])


def split_batch(batch):
    return batch[:-1], batch[-1:]
""",
        ),
    ],
    "nb01.ex10": [
        (
            "batched-matmul-shapes",
            """
def many_linear(x, W, b):
    return torch.bmm(x, W) + b.unsqueeze(1)
""",
        ),
        (
            "batched-bias-broadcast",
            """
def many_linear(x, W, b):
    return torch.bmm(x, W.transpose(1, 2)) + b
""",
        ),
        (
            "einsum-output-order",
            """
def many_linear(x, W, b):
    return torch.einsum("rnd,rhd->rhn", x, W) + b.unsqueeze(2)
""",
        ),
        (
            "batched-matmul-shapes",
            """
def many_linear(x, W, b):
    return x @ W + b[:, None, :]
""",
        ),
    ],
}

HARDCODED = {
    "nb01.ex6": """
def flatten(x):
    if x.is_contiguous():
        return x.view(-1)
    return torch.tensor([0.0, 3.0, 1.0, 4.0, 2.0, 5.0])
""",
    "nb01.ex7": """
def share_numpy(a):
    return torch.from_numpy(a)


def copy_numpy(a):
    return torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], dtype=torch.float64)
""",
}
