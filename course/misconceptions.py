"""The catalogue of named beginner mistakes: one entry per mistake, referred to by code.

Checkers never describe a mistake in their own words alone: they name it by its code,
and the feedback box adds the catalogue's one-line explanation and the fix. Instructors'
reports count mistakes by these codes, so a code, once used, keeps its meaning.

Where PyTorch raises a recognisable error for a mistake, ``errors`` holds fragments of
its message (checked against torch 2.13), and :func:`match_error` names the mistake
behind an exception that a student's code raised.

To add a mistake: add one ``_add(...)`` line in the section of the notebook that
introduces it, then refer to the code from a checker (CONTRIBUTING.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Misconception:
    code: str  #: short kebab-case name, stable once used
    title: str  #: the mistake, in a few words
    why: str  #: one line: what goes wrong
    fix: str  #: one line: what to do instead
    errors: tuple[str, ...] = ()  #: fragments of PyTorch's error message, if it raises one


CATALOGUE: dict[str, Misconception] = {}


def _add(code, title, why, fix, *errors):
    if code in CATALOGUE:
        raise ValueError(f"misconception code {code!r} is defined twice")
    CATALOGUE[code] = Misconception(code, title, why, fix, tuple(errors))


def lookup(code: str) -> Misconception:
    """The catalogue entry for ``code``; a KeyError names unknown codes."""
    try:
        return CATALOGUE[code]
    except KeyError:
        raise KeyError(f"unknown misconception code {code!r}; add it to course/misconceptions.py") from None


def match_error(message: str) -> str | None:
    """The code of the mistake behind a PyTorch error message, or None."""
    for m in CATALOGUE.values():
        if any(fragment in message for fragment in m.errors):
            return m.code
    return None


# --- General: any exercise ---------------------------------------------------------
_add("not-implemented", "Exercise not attempted yet",
     "The answer still raises NotImplementedError.",
     "Replace the `raise NotImplementedError` line with your code.")
_add("raised-error", "Your code raised an error",
     "Running your answer on the checker's inputs raised an exception.",
     "Read the error message, run your code on a small input, and fix the line it names.")
_add("wrong-type", "Wrong type of object",
     "The answer is not the kind of object the exercise asks for (a tensor subclass or a "
     "look-alike object counts as wrong).",
     "Return exactly the type asked for, e.g. a plain torch.Tensor.")
_add("wrong-dtype", "Wrong dtype",
     "The tensor holds a different number type than asked.",
     "Create it with the dtype asked for, or convert with .to(dtype) / .float() / .long().")
_add("wrong-shape", "Wrong shape",
     "The tensor has a different shape than asked.",
     "Print .shape of your result and of each intermediate step.")
_add("wrong-values", "Wrong values",
     "Type, dtype and shape are right but the numbers are not.",
     "Compute a tiny example by hand and compare it with your function's output.")
_add("mutated-input", "Input changed in place",
     "Your function modified the tensor it was given; callers do not expect that.",
     "Work on a new tensor (out-of-place ops such as x + 1, or x.clone()).")
_add("result-requires-grad", "Result still attached to the graph",
     "A value computed while autograd records keeps requires_grad=True and its graph: memory for nothing, "
     "and .numpy() refuses it.",
     "Compute it under torch.no_grad(), or call .detach() on the result.")
_add("hard-coded", "Answer hard-coded for the visible example",
     "The answer is right for the example in the notebook but not for other inputs.",
     "Compute the result from the inputs instead of writing the numbers in.")
_add("float64-not-float32", "float64 where float32 is expected",
     "NumPy and Python floats default to float64; PyTorch models use float32.",
     "Convert with .float() or pass dtype=torch.float32.",
     "must have the same dtype", "to have the same dtype", "expected scalar type Float but found Double",
     "found dtype Double but expected Float")
_add("device-mismatch", "Tensors on different devices",
     "An operation mixed tensors that live on different devices.",
     "Move everything to one device first: x.to(device), model.to(device).",
     "Expected all tensors to be on the same device", "is not on the expected device")

# --- Notebook 01: tensors ------------------------------------------------------------
_add("mean-on-int", "mean() of an integer tensor",
     "mean needs a floating-point tensor: integer tensors cannot hold the average.",
     "Convert first: x.float().mean(...), or create the tensor with a float dtype.",
     "mean(): could not infer output dtype")
_add("wrong-reduction-dim", "Reduced along the wrong dimension",
     "dim=k removes axis k; another axis was reduced.",
     "Write the shape down, cross out the axis you reduce, and pass its index as dim.")
_add("keepdim-mismatch", "keepdim used wrongly",
     "keepdim=True keeps the reduced axis with size 1; without it the axis disappears.",
     "Use keepdim=True only when the result must broadcast back against the input.")
_add("broadcast-n-by-n", "(N,) combined with (N,1) broadcast into (N,N)",
     "A vector of shape (N,) and a column of shape (N,1) broadcast to an (N,N) matrix.",
     "Make both the same shape first: .reshape(-1) or .unsqueeze(1).")
_add("view-non-contiguous", "view() on a non-contiguous tensor",
     "After .t() or .permute() the memory order no longer matches, so view cannot work.",
     "Use .reshape(...), or call .contiguous() before .view(...).",
     "view size is not compatible with input tensor's size and stride")
_add("reshape-scrambled-order", "Right shape, scrambled order",
     "Transposing or permuting before reshaping keeps the shape but reorders the data.",
     "reshape/view alone keep the row-major order; do not transpose first.")
_add("numpy-copy-not-shared", "A copy where shared memory was asked",
     "torch.tensor(array) copies; changes to the array no longer show in the tensor.",
     "Use torch.from_numpy(array) (or torch.as_tensor) to share memory.")
_add("numpy-shared-not-copied", "Shared memory where a copy was asked",
     "torch.from_numpy shares memory: changing one changes the other.",
     "Use torch.tensor(array) or .clone() to get an independent copy.")
_add("numpy-requires-grad", ".numpy() on a tensor that requires grad",
     "A tensor in the autograd graph cannot be turned into NumPy directly.",
     "Call .detach().numpy() (and .cpu() first for GPU tensors).",
     "Can't call numpy() on Tensor that requires grad")
_add("numpy-on-gpu", ".numpy() on a tensor that lives on the GPU",
     "NumPy arrays live in the computer's main memory; a CUDA (or MPS) tensor has to be copied there first.",
     "Call .detach().cpu().numpy(); PyTorch checks the device before the graph, so .cpu() comes first.",
     "device type tensor to numpy")
_add("len-not-numel", "len(x) taken as the number of elements",
     "len(x) is the size of the first axis only; a (2, 3) tensor has len 2 but 6 elements.",
     "Use x.numel() for the number of elements (x.shape[0] when you mean the first axis).")
_add("copy-not-view", "A copy where a view was possible",
     "The result has the right values but its own memory: writes no longer show in the original, "
     "and the copy costs time and memory.",
     "Use x.reshape(...) or x.view(...) on a contiguous tensor; leave out .clone() and rebuilding from lists.")

# --- Notebook 02: autograd -----------------------------------------------------------
_add("zero-grad-missing", "Gradients not zeroed",
     "backward() adds into .grad, so gradients of earlier steps pile up.",
     "Call optimizer.zero_grad() (or set p.grad = None) before each backward().")
_add("backward-non-scalar", "backward() on a non-scalar",
     "backward() without arguments needs a single number to differentiate.",
     "Reduce to a scalar first (e.g. .sum() or .mean()), or pass a gradient argument.",
     "grad can be implicitly created only for scalar outputs")
_add("backward-twice", "backward() twice through a freed graph",
     "The graph's saved values are freed after the first backward().",
     "Rebuild the graph (recompute the forward pass) each step.",
     "Trying to backward through the graph a second time")
_add("detached-graph", "Result cut off from the graph",
     "torch.tensor(...), .item(), .detach() or no_grad() produce values with no grad_fn.",
     "Keep the computation in torch operations on tensors that require grad.",
     "does not require grad and does not have a grad_fn")
_add("inplace-leaf-update", "In-place update of a leaf outside no_grad",
     "Changing a parameter in place while autograd records is not allowed.",
     "Do the update inside `with torch.no_grad():`.",
     "a leaf Variable that requires grad is being used in an in-place operation",
     "a view of a leaf Variable that requires grad")
_add("inplace-needed-for-backward", "In-place change of a value backward needs",
     "An in-place operation overwrote a tensor that the graph saved for backward.",
     "Use the out-of-place form (x = x + 1, not x += 1).",
     "modified by an inplace operation")
_add("rebinding-leaf", "w = w - lr * w.grad makes a new non-leaf tensor",
     "The new w is a result of a computation, so next step its .grad is None.",
     "Update in place under no_grad: with torch.no_grad(): w -= lr * w.grad.")
_add("mse-half-factor", "MSE with a 1/2 factor",
     "The textbook 1/2 (a - y)^2 halves the gradient; PyTorch's MSE has no 1/2.",
     "For nn.MSELoss use dC/da = 2 (a - y) for one sample.")
_add("missing-sigmoid-derivative", "Sigmoid derivative left out",
     "The chain rule through a sigmoid multiplies by sigma(z) (1 - sigma(z)).",
     "Multiply by a * (1 - a) where a is the sigmoid's output.")
_add("update-sign", "Update in the wrong direction",
     "Adding the gradient climbs the loss instead of descending it.",
     "Subtract: w_new = w - lr * dL/dw.")
_add("int-requires-grad", "requires_grad on an integer tensor",
     "Only floating-point tensors can have gradients.",
     "Create the tensor with float values or dtype=torch.float32.",
     "Only Tensors of floating point and complex dtype can require gradients")
_add("grad-not-accumulated", "Expected .grad to hold only the last gradient",
     "backward() adds into .grad; a fresh leaf or a reset each time keeps only the last one.",
     "Keep one leaf and call backward() on each result: .grad is then their sum.")
_add("activation-missing", "An activation left out of the forward pass",
     "Without the layer's nonlinearity its output is just w * x + b, and layers stacked without one "
     "collapse into a single linear map.",
     "Apply the activation after every layer that has one (sigmoid in notebook 02, ReLU between hidden layers).")
_add("fd-one-sided", "One-sided finite difference",
     "(f(x + eps) - f(x)) / eps is off by about eps * f''(x) / 2, far more than the central form.",
     "Use the central difference (f(x + eps) - f(x - eps)) / (2 * eps).")
_add("fd-perturb-all", "All inputs nudged at once",
     "Adding eps to every entry measures the slope along all of them together, not each partial.",
     "Nudge one entry at a time (a copy of x with only entry i changed) and loop over entries.")
_add("fd-step-width", "Central difference divided by eps",
     "x - eps and x + eps are 2 * eps apart, so dividing their difference by eps doubles every slope.",
     "Divide f(x + eps) - f(x - eps) by the distance between the two points.")
_add("derivative-by-hand", "A gradient derived by hand, with a wrong rule",
     "The exercise asks autograd for the gradient; a formula worked out by hand instead has a rule "
     "wrong in it (the derivative of sin is cos, of x**2 is 2x).",
     "Let autograd find it: leaves with requires_grad=True, compute the scalar, call backward(), read .grad.")
_add("layer-input-skipped", "A layer fed the network's input",
     "Each layer takes the previous layer's output; feeding it x skips the layers in between.",
     "Follow the chain: the output layer's input is the hidden layer's activation a1.")
_add("loss-derivative-sign", "The loss's derivative with its sign flipped",
     "d/da (a - y)^2 is 2 (a - y); writing 2 (y - a) flips every gradient, and a step with them climbs the loss.",
     "Differentiate the loss as written, (a2 - y)^2, and keep the order a2 - y.")
_add("step-returned-gradients", "The gradients returned instead of the new parameters",
     "A step function returns where the parameters go, not the direction it computed.",
     "Return the parameters after the step, in the same order as p.")

# --- Notebook 03: modules ------------------------------------------------------------
_add("plain-list-layers", "Layers kept in a plain Python list",
     "A list hides its layers from the module: no parameters, not moved, not saved.",
     "Use nn.ModuleList (or nn.Sequential / nn.ModuleDict).")
_add("missing-super-init", "super().__init__() not called",
     "nn.Module sets up its registries in __init__; without it layers cannot be assigned.",
     "Call super().__init__() first in your __init__.",
     "cannot assign module before Module.__init__() call",
     "cannot assign parameters before Module.__init__() call",
     "cannot assign buffer before Module.__init__() call")
_add("weight-in-out-transposed", "Weight stored as (in, out)",
     "nn.Linear stores its weight as (out_features, in_features) and computes x W^T + b.",
     "Create the weight with shape (out, in) and use x @ W.T + b.")
_add("buffer-as-parameter", "A running statistic registered as a Parameter",
     "Parameters are trained by the optimizer; a statistic should not be.",
     "Use self.register_buffer(name, tensor) for state that is saved but not trained.")
_add("parameter-as-buffer", "A trainable weight registered as a buffer",
     "Buffers are saved but never trained: the weight would stay at its initial value.",
     "Wrap trainable tensors in nn.Parameter.")
_add("stale-state-dict", "state_dict taken before training",
     "state_dict() returns references; a copy taken too early holds the old weights.",
     "Save or copy the state_dict after training (copy.deepcopy for an in-memory copy).")
_add("model-not-on-device", "Model not moved with its data",
     "The inputs are on one device and the parameters on another.",
     "Call model.to(device) once, and move each batch with .to(device).")  # named from facts: its error is device-mismatch's
_add("forward-called-directly", "model.forward(x) instead of model(x)",
     "Calling forward directly skips hooks and the rest of what __call__ does.",
     "Call the module itself: model(x).")
_add("shape-mismatch-linear", "Layer sizes do not match",
     "The input's last dimension differs from the layer's in_features.",
     "Print the shapes; make in_features of each layer equal the previous out_features.",
     "mat1 and mat2 shapes cannot be multiplied")
_add("unregistered-tensor", "Tensor kept as a plain attribute",
     "A plain tensor attribute (even with requires_grad=True) is neither a parameter nor a "
     "buffer: the module does not train, move or save it.",
     "Wrap trainable tensors in nn.Parameter; register other state with self.register_buffer(name, t).")
_add("hook-not-removed", "Hook left registered",
     "A hook stays on the module until removed and runs on every later call.",
     "Keep the handle that register_forward_hook returns and call handle.remove() when done.")
_add("linear-init-wrong", "Weights not started like nn.Linear's",
     "nn.Linear draws each weight uniformly in [-k, k] with k = 1/sqrt(in_features); all-equal weights "
     "(zeros, ones) make every unit compute the same and get the same gradient, and randn's spread "
     "is too wide for wide layers.",
     "Draw the weights (and the bias) uniformly in [-k, k] with the in_features of the layer.")
_add("buffer-updated-in-eval", "A running statistic updated in eval mode",
     "In eval mode a module uses its saved statistics and changes nothing; updating them on test data "
     "makes predictions depend on what was evaluated before.",
     "Update the buffer only when self.training is True.")
_add("hook-read-input", "A forward hook read the module's input",
     "A forward hook receives (module, inputs, output); inputs is what went into the layer, not what came out.",
     "Use the third argument, output.")
_add("state-dict-not-loaded", "Saved state read but never loaded into the model",
     "torch.load only reads the saved tensors back; the model keeps its own weights until they are "
     "copied into it.",
     "Pass what torch.load returns to model.load_state_dict(...), then return the model.")
_add("saved-whole-model", "The model object saved instead of its state_dict",
     "torch.load reads tensors only by default (weights_only=True), so a pickled nn.Module cannot be loaded "
     "back; a state_dict can, into any model of the same structure.",
     "Save model.state_dict() and load it with model.load_state_dict(torch.load(...)).",
     "Weights only load failed")

# --- Notebook 04: activations and losses ---------------------------------------------
_add("softmax-before-ce", "Softmax before CrossEntropyLoss",
     "CrossEntropyLoss applies log-softmax itself; a softmax before it squashes the logits.",
     "Pass raw logits to nn.CrossEntropyLoss.")
_add("sigmoid-before-bce-logits", "Sigmoid before BCEWithLogitsLoss (sigmoid twice)",
     "BCEWithLogitsLoss applies the sigmoid itself; the model must output raw logits.",
     "Remove the final sigmoid: the model returns logits and the loss applies the sigmoid stably.")
_add("bce-on-logits", "BCELoss on logits",
     "nn.BCELoss expects probabilities in [0, 1], not raw scores.",
     "Use nn.BCEWithLogitsLoss on logits.",
     "all elements of input should be between 0 and 1")
_add("ce-float-targets", "Float targets to CrossEntropyLoss",
     "With class-index targets CrossEntropyLoss wants a long tensor of shape (N,).",
     "Pass targets as torch.long class indices: y.long().view(-1).",
     "expected target dtype to be Long", "expected scalar type Long but found Float")
_add("ce-long-prob-targets", "Long targets of shape (N, C) to CrossEntropyLoss",
     "Targets with a class dimension are read as probabilities and must be float.",
     "Either pass class indices of shape (N,) or float probabilities of shape (N, C).",
     "Expected floating point type for target with class probabilities")
_add("bce-long-targets", "Long targets to BCE",
     "BCE losses compare probabilities with float targets.",
     "Convert targets with .float().",
     "Found dtype Long but expected Float", "result type Float can't be cast to the desired output type Long")
_add("target-shape-n-vs-n1", "(N,) targets against (N,1) outputs",
     "Shapes (N,) and (N,1) broadcast to (N,N) in MSE: the loss is silently wrong "
     "(PyTorch only warns).",
     "Make predictions and targets the same shape (.view(-1, 1) or .squeeze(1)).",
     "Using a target size", "must be the same as input size")
_add("loss-unreduced", "Loss left unreduced",
     "reduction='none' returns one loss per element, not the scalar that backward needs.",
     "Use the default reduction='mean' (or take .mean()).")
_add("leaky-slope-wrong", "Wrong LeakyReLU slope",
     "The negative slope asked for is 0.01 (PyTorch's default).",
     "Use nn.LeakyReLU(0.01) / F.leaky_relu(x, 0.01).")
_add("unstable-bce", "Naive log-sigmoid overflows",
     "log(sigmoid(z)) gives -inf or nan for large |z|.",
     "Use the stable form max(z,0) - z*y + log(1 + exp(-|z|)).")
_add("sigmoid-sign-flipped", "Sigmoid with the sign of the exponent flipped",
     "1 / (1 + exp(x)) is sigmoid(-x): it falls where the sigmoid rises, so large inputs give 0 instead of 1.",
     "Check one value by hand: the sigmoid of a large positive number is close to 1.")
_add("activation-derivative-on-input", "Derivative formula applied to the input",
     "s(1 - s) and 1 - t^2 are written in terms of the activation's OUTPUT; plugging in x is wrong.",
     "Compute the output first (s = sigmoid(x), t = tanh(x)), then s * (1 - s) or 1 - t**2.")
_add("unstable-log-softmax", "Softmax or log-sum-exp without the max shift",
     "exp of a large logit overflows to inf, and log of an underflowed probability is -inf.",
     "Subtract each row's max before exp (log-sum-exp trick), or use torch.logsumexp / F.log_softmax.")
_add("loss-task-mismatch", "A loss that does not fit the task",
     "Each task has its loss: regression MSE, binary and multi-label BCE, one-of-C cross-entropy.",
     "Regression: MSELoss; binary or multi-label: BCEWithLogitsLoss on logits; "
     "multi-class: CrossEntropyLoss on logits.")
_add("ce-target-column", "Class targets of shape (N, 1) to CrossEntropyLoss",
     "Class-index targets must be a flat (N,) vector; a column reads as several targets per sample.",
     "Flatten them: y.view(-1) (and .long() if they are floats).",
     "0D or 1D target tensor expected, multi-target not supported")
_add("activation-on-output", "An activation after the last Linear layer",
     "A final ReLU, tanh or sigmoid clips or squashes the outputs that the loss needs raw.",
     "End the model with nn.Linear; apply sigmoid or softmax only when you turn logits into predictions.")

# --- Notebook 05: optimizers ---------------------------------------------------------
_add("step-before-backward", "optimizer.step() before loss.backward()",
     "step() uses the gradients present at that moment: old ones or none.",
     "Order: zero_grad(), forward, loss, backward(), step().")
_add("optimizer-wrong-params", "Optimizer over the wrong parameters",
     "The optimizer updates only the tensors it was given.",
     "Build it with model.parameters() of the model you train.")
_add("optimizer-before-to-device", "Optimizer built before the model moved",
     "Build the optimizer after model.to(device) so it holds the moved parameters.",
     "Move the model first, then create the optimizer.")
_add("adam-no-bias-correction", "Adam without bias correction",
     "The moment estimates start at zero, so early steps are too small without correction.",
     "Divide m by (1 - beta1**t) and v by (1 - beta2**t), with t counting from 1.")
_add("momentum-buffer-init", "Momentum buffer initialised wrongly",
     "PyTorch starts the velocity at the first gradient, not at zero scaled by (1 - dampening).",
     "On the first step set v = g; afterwards v = momentum * v + g.")
_add("weight-decay-as-lr", "Weight decay confused with the learning rate",
     "Weight decay adds wd * w to the gradient; it does not scale the step.",
     "Use g = g + weight_decay * w, then the usual update with lr.")
_add("scheduler-per-batch", "Scheduler stepped per batch",
     "The exercise's schedule counts epochs; stepping per batch runs it far too fast.",
     "Call scheduler.step() once per epoch, after the optimizer steps of that epoch.")
_add("lr-diverges", "Learning rate too large",
     "Each step overshoots the minimum and the loss grows to inf or nan.",
     "Lower the learning rate (try 10x smaller) and watch the first few losses.")
_add("optimizer-state-not-kept", "Optimizer state recreated at every step",
     "Momentum's velocity and Adam's moments and step count must survive from one step to the next.",
     "Create the state once (in __init__ or on the first step) and update it in place afterwards.")
_add("loss-history-tensors", "Loss history kept as tensors",
     "Appending `loss` itself keeps every step's graph alive, so memory grows and you get tensors, not numbers.",
     "Append loss.item(), a plain Python float.")
_add("sweep-shared-model", "One model shared by every run of a sweep",
     "Each learning rate continued where the previous run stopped, so the runs are not comparable.",
     "Build a fresh model (and a new optimizer) inside the loop over learning rates.")
_add("gradients-cleared", "Gradients cleared by the step",
     "An optimizer's step() reads .grad and leaves it there; clearing it is zero_grad()'s job, at the start "
     "of the next step, and the exercise reads the gradients after the step.",
     "Leave .grad as it is after the update; clear gradients before backward(), not after step().")
_add("optimizer-not-used", "The optimizer given was not used",
     "A function that receives an optimizer must step it: one built inside ignores the caller's settings "
     "(lr, momentum) and state.",
     "Call step() and zero_grad() on the optimizer you were given; build no optimizer of your own.")
_add("sweep-kept-diverged", "A diverged run picked as the best",
     "A run that diverged ends in inf or nan; nan compares false with everything, so min() keeps it when it "
     "comes first and argmin returns its index.",
     "Leave out the runs whose final loss is not finite (math.isfinite) before taking the smallest.")
_add("loss-recorded-after-step", "Loss recorded after the step",
     "A second forward pass after optimizer.step() measures the next epoch's starting loss, and costs a "
     "forward pass per epoch.",
     "Append loss.item() of the loss you called backward() on, the one computed before the step.")
_add("optimizer-setting-missing", "An optimizer setting left out",
     "An optimizer uses its default for every setting not passed (momentum 0, weight_decay 0), so the "
     "update is not the one asked for.",
     "Pass every setting the exercise names, by keyword.")
_add("weight-decay-missing", "Weight decay left out of the update",
     "With weight decay the gradient the step uses is p.grad + weight_decay * p; without that term the "
     "weights are not pulled towards zero.",
     "Add the decay term to the gradient before the step, as torch.optim.SGD does.")
_add("momentum-stale-velocity", "The step taken with the previous velocity",
     "Updating the parameters before the velocity uses last step's velocity: the first step does not move "
     "at all and every later one lags a step behind.",
     "Update the velocity with this step's gradient first, then move the parameters by it.")
_add("lr-read-after-step", "Learning rate read after scheduler.step()",
     "After scheduler.step() the optimizer already holds next epoch's rate, so each recorded value is one "
     "epoch early.",
     "Read optimizer.param_groups[0]['lr'] at the start of the epoch, before training on it.")
_add("schedule-shape-wrong", "A schedule of another shape",
     "The scheduler's kind or settings give a curve that drops at other epochs or by another factor than "
     "the one asked for.",
     "Read off the target curve how many epochs each value lasts and the ratio between two levels, and pick "
     "the scheduler and settings that give them.")
_add("scheduler-before-optimizer", "scheduler.step() before optimizer.step()",
     "Stepping the scheduler first skips the first value of the schedule: every epoch trains with the "
     "next epoch's rate.",
     "Call scheduler.step() once per epoch, after that epoch's optimizer.step() calls.",
     "Detected call of `lr_scheduler.step()` before `optimizer.step()`")

# --- Notebook 06: data ---------------------------------------------------------------
_add("len-num-features", "__len__ returns the number of features",
     "len(dataset) must be the number of samples, the first dimension.",
     "Return len(self.X) or self.X.shape[0].")
_add("getitem-shape-dtype", "__getitem__ returns the wrong shape or dtype",
     "One sample must have the per-sample shape and dtype the model expects.",
     "Return (features as float32 of shape (F,), target of the agreed shape and dtype).")
_add("norm-stats-leak", "Normalisation statistics from the wrong rows",
     "Statistics taken from all rows or from the test part leak test information.",
     "Compute mean and std on the training part only and reuse them elsewhere.")
_add("split-not-reproducible", "Split not reproducible",
     "Without a seeded generator, random_split gives a different split each run.",
     "Pass generator=torch.Generator().manual_seed(seed).")
_add("shuffle-test-loader", "Shuffled test loader",
     "Shuffling evaluation data only costs time and breaks row order in reports.",
     "Use shuffle=False for validation and test loaders.")
_add("batch-count-floor-ceil", "Batch count off by one",
     "Without drop_last the last partial batch counts: ceil(N / B); with it: floor(N / B).",
     "Use math.ceil(N / B) without drop_last and N // B with it.")
_add("split-not-shuffled", "Split without shuffling",
     "Cutting the rows in file order keeps whatever order the file has (by date, by class), "
     "so the two parts come from different populations.",
     "Shuffle the indices with a seeded generator before cutting (random_split or torch.randperm).")
_add("train-loader-not-shuffled", "Training loader not shuffled",
     "Without shuffle=True every epoch sees the same batches in file order; a file sorted by "
     "class gives batches of one class.",
     "Pass shuffle=True to the training loader (and shuffle=False to evaluation loaders).")
_add("stack-unequal-sizes", "Stacking tensors of different shapes",
     "torch.stack, and the DataLoader's default collate that uses it, needs tensors that all "
     "have one shape.",
     "Give them one shape first; for samples of different lengths, pad them to the longest in a "
     "collate_fn (torch.nn.utils.rnn.pad_sequence).",
     "stack expects each tensor to be equal size")
_add("augmentation-fixed-noise", "Augmentation noise drawn once",
     "Noise drawn in __init__ is the same at every read: the model sees one fixed noisy copy "
     "of the data instead of fresh noise each epoch.",
     "Draw the noise inside __getitem__, so that each read gets new noise.")
_add("noise-variance-as-std", "Noise scaled by the variance",
     "torch.randn has standard deviation 1: multiplying it by sigma**2 (or passing sigma**2 to "
     "torch.normal as std) gives noise of std sigma**2.",
     "Scale standard normal noise by the standard deviation: x + sigma * torch.randn_like(x).")
_add("feature-columns-wrong", "Features from the wrong columns, or in the wrong order",
     "A model learns one weight per input position: columns in another order than asked (the table's order, "
     "say), or extra columns such as an id, feed each weight the wrong quantity.",
     "Select the feature columns by the list you are given, in its order: frame[features].")
_add("split-parts-swapped", "Training and test parts swapped",
     "The larger part is for training; training on the small one and testing on the large one wastes data.",
     "Return (train_indices, test_indices) in that order, the training part the larger.")
_add("split-seed-ignored", "The seed not used by the split",
     "A split that gives the same rows for every seed (a fixed seed, or none of the given one) cannot be "
     "varied, and a hard-coded seed hides that the argument is unused.",
     "Seed the generator with the seed argument: torch.Generator().manual_seed(seed).")
_add("normalisation-missing", "Features not normalised",
     "The dataset was given the statistics but returned the raw features.",
     "Apply (x - mean) / std to the features in __getitem__.")
_add("loader-drops-samples", "A loader drops its last batch",
     "drop_last=True leaves out the last, partial batch: those samples are never trained on or evaluated.",
     "Leave drop_last at its default (False) unless a layer cannot take a small batch; never on a test loader.")
_add("pin-memory-device", "pin_memory not tied to the device",
     "Pinned memory speeds up copies to a CUDA GPU only; without one it does nothing but warn, and "
     "without it a CUDA run copies more slowly.",
     "Tie it to the device: pin_memory=(device.type == 'cuda').")
_add("padding-wrong", "Padding in the wrong place or with the wrong value",
     "Padding goes after each sequence's values and holds zeros, so that position i is the i-th step "
     "of every row and the lengths tell the model where each row ends.",
     "pad_sequence(..., batch_first=True) pads at the end with 0 by default.")
_add("noise-not-gaussian", "Noise drawn from the wrong distribution",
     "torch.rand / rand_like draw uniformly from [0, 1): the noise is not centred and has another spread; "
     "Gaussian noise comes from torch.randn / randn_like.",
     "Draw standard normal noise and scale it by sigma.")
_add("noise-one-per-sample", "One noise value for all features of a sample",
     "A single random number added to every feature shifts the whole sample instead of blurring each feature.",
     "Draw noise of the sample's shape, one value per feature (randn_like of the features).")
_add("augmentation-on-target", "Noise added to the target",
     "Input augmentation changes the features only; a noisy target teaches the model wrong "
     "answers.",
     "Add the noise to the features and return the target unchanged.")

# --- Projects 07-09 ------------------------------------------------------------------
_add("threshold-logits-at-half", "Logits thresholded at 0.5",
     "A logit of 0 is probability 0.5: thresholding logits at 0.5 shifts the boundary.",
     "Threshold sigmoid(logits) at 0.5, or logits at 0.")
_add("weights-transposed-bridge", "Weights transposed between NumPy and PyTorch",
     "A NumPy dense layer often stores W as (in, out); nn.Linear stores (out, in).",
     "Copy W.T into linear.weight.")
_add("batched-bias-broadcast", "Per-run bias added along the wrong axis",
     "A bias of shape (R, H) against activations (R, N, H) lines up with the samples axis, "
     "not the runs axis: an error, or silently wrong sums when N == R.",
     "Give the bias its sample axis first: b.unsqueeze(1), shape (R, 1, H).")
_add("batched-loss-averaged", "Loss of many runs averaged instead of summed",
     "The mean over R runs divides every run's gradient by R, as if each had lr / R.",
     "Sum the per-run mean losses, so that each run's gradient is exactly its own.")
_add("probabilities-not-classes", "Probabilities returned as predictions",
     "sigmoid(logits) gives each point's probability of class 1; a prediction is the class itself, 0 or 1.",
     "Compare the probabilities with 0.5 and turn the result into floats.")
_add("preprocessing-leak", "Scaler or encoder fitted on all rows",
     "Fitting preprocessing on rows you evaluate on leaks their statistics.",
     "Fit the ColumnTransformer on the training part only; only transform the rest.")
_add("no-eval-dropout", "Evaluated without eval()",
     "Dropout stays active in training mode, so predictions are noisy and worse.",
     "Call model.eval() (and use torch.no_grad()) before evaluating.")
_add("majority-class", "Predicts the majority class",
     "Predicting '<=50K' for everyone scores about 0.76 accuracy and finds no one.",
     "Check the training loop actually learns: the loss must fall over epochs.")
_add("train-on-test", "Trained on the test part",
     "Training on rows used for evaluation makes the score meaningless.",
     "Train on the training part only.")
_add("dropout-always-on", "F.dropout without training=self.training",
     "F.dropout(h, p) defaults to training=True, so dropout stays on after model.eval().",
     "Use an nn.Dropout(p) module, or pass training=self.training to F.dropout.")
_add("optimizer-mixed-up", "A different optimizer than the one asked for",
     "SGD with momentum is torch.optim.SGD(..., momentum=0.9); RMSprop and Adam are their own classes.",
     "Map each name to its optimizer: SGD, SGD with momentum=0.9, RMSprop, Adam.")
_add("lr-not-passed", "Learning rate not passed to the optimizer",
     "Without lr=... an optimizer uses its default learning rate (1e-3 for SGD and Adam, 1e-2 for RMSprop).",
     "Pass the learning rate: torch.optim.Adam(params, lr=lr).")
