"""C5: ``pytorch_ann.py``, a feed-forward classifier written with PyTorch (14 marks).

Marks as section E: constructor 3 (the layer stack 2, seeded 1) · forward 1 · train 5 (the
history 1, two full-batch SGD steps 3, the recorded values 1) · predict 1 · learning-curve plot 1 ·
overall test 2 (test accuracy ≥ 0.8 on Fashion-MNIST) · judgement string 1.

Expected values are computed here with NumPy from the student's own parameters (read back with
``state_dict()``), so the parent needs no torch. The two full-batch epochs make the order of the
samples irrelevant: the parameters after them must be two steps of plain SGD on the mean
cross-entropy, whichever shuffle the student used. The judgement is chainrule's
:func:`~chainrule.report.judgement.judge` of the student's per-epoch curves, one record per epoch
(with fewer than 20 records its "still falling" rule does not apply, which suits epoch curves).
The layer-stack comparison, the training run and the judgement are shared with C2 and C6
(:mod:`..models`).
"""

from __future__ import annotations

import numpy as np

from ..assignment import Assignment, Fault, Test
from ..checks import as_array, expect_array
from ..models import (compare_stack, history_of, judgement, model_layers, overall, param_line, seeded,
                      spec_params, state, training_run)

CLS = "PyTorchANN"


# ------------------------------------------------------------------ NumPy reference of the MLP
def linear_pairs(params: list[np.ndarray]):
    """(W, b) of each Linear layer: a 2-D weight followed by its 1-D bias."""
    pairs = []
    for i, p in enumerate(params):
        if p.ndim == 2 and i + 1 < len(params) and params[i + 1].ndim == 1:
            pairs.append((p, params[i + 1]))
    return pairs


def mlp_logits(pairs, X):
    a = np.asarray(X, dtype=np.float64)
    for i, (W, b) in enumerate(pairs):
        a = a @ W.T + b
        if i < len(pairs) - 1:
            a = np.maximum(a, 0)
    return a


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def loss_acc(pairs, X, y):
    p = softmax(mlp_logits(pairs, X))
    return float(-np.log(p[np.arange(len(y)), y]).mean()), float((p.argmax(1) == y).mean())


def sgd_step(pairs, X, y, lr, grads_before=None):
    """One SGD step on the mean cross-entropy of a 2-layer MLP; also returns the gradients
    (``grads_before`` added: a missing zero_grad)."""
    (W1, b1), (W2, b2) = pairs
    h_pre = X @ W1.T + b1
    h = np.maximum(h_pre, 0)
    d = softmax(h @ W2.T + b2)
    d[np.arange(len(y)), y] -= 1
    d /= len(y)
    dh = (d @ W2) * (h_pre > 0)
    grads = [dh.T @ X, dh.sum(0), d.T @ h, d.sum(0)]
    if grads_before is not None:
        grads = [g + o for g, o in zip(grads, grads_before)]
    flat = [W1, b1, W2, b2]
    new = [p - lr * g for p, g in zip(flat, grads)]
    return [(new[0], new[1]), (new[2], new[3])], grads


def mlp_sizes(rng, public):
    return (784, 128, 10) if public else (int(rng.integers(5, 40)), int(rng.integers(4, 30)), int(rng.integers(2, 12)))


def new_ann(ctx, sizes, seed=0):
    handle = ctx.sub.new(CLS, *sizes, seed)
    return handle, ctx.sub.get(handle, "model")


# ------------------------------------------------------------------ C5 tests
def constructor(public: bool):
    def check(ctx):
        rng = ctx.rng(f"constructor {public}")
        n_in, hidden, n_out = sizes = mlp_sizes(rng, public)
        expected = [("Linear", {"in_features": n_in, "out_features": hidden}), ("ReLU", {}),
                    ("Linear", {"in_features": hidden, "out_features": n_out})]
        _, rows, total = model_layers(ctx, ctx.sub.new(CLS, *sizes, 0))
        problems = compare_stack(f"{CLS}{sizes}.model", rows, expected)
        want = sum(spec_params(k, s) for k, s in expected)
        if problems or total != want:
            raise Fault("\n".join(problems + [param_line(total, want)]), tags=("architecture",))

    return check


def forward(ctx):
    rng = ctx.rng("forward")
    sizes = mlp_sizes(rng, False)
    handle, model = new_ann(ctx, sizes, int(rng.integers(1000)))
    X = rng.standard_normal((int(rng.integers(1, 9)), sizes[0])).astype(np.float32)
    got = as_array("forward", ctx.sub.call(handle, "forward", X))
    pairs = linear_pairs(state(ctx, model))
    expected = mlp_logits(pairs, X)
    if got.shape == expected.shape and np.allclose(got, softmax(expected), atol=1e-5):
        raise Fault("forward returns probabilities (a softmax): return the logits, CrossEntropyLoss applies the "
                    "log-softmax itself", tags=("softmax",))
    expect_array(f"forward of {X.shape} on {sizes}", got, expected, rtol=1e-4, atol=1e-5)


def small_problem(rng, sizes, n):
    X = rng.standard_normal((n, sizes[0])).astype(np.float32)
    return X, rng.integers(0, sizes[-1], n).astype(np.int64)


def train_history(ctx):
    rng = ctx.rng("train history")
    sizes, epochs = mlp_sizes(rng, False), int(rng.integers(2, 5))
    (X, y), (Xv, yv) = small_problem(rng, sizes, 40), small_problem(rng, sizes, 20)
    handle, _ = new_ann(ctx, sizes)
    ctx.sub.call(handle, "train", X, y, Xv, yv, epochs, 8, 0.05)
    history_of(ctx, handle, epochs)


def train_steps(ctx):
    rng = ctx.rng("train steps")
    sizes, lr = mlp_sizes(rng, False), float(rng.uniform(0.05, 0.5))
    (X, y), (Xv, yv) = small_problem(rng, sizes, 16), small_problem(rng, sizes, 8)
    handle, model = new_ann(ctx, sizes, int(rng.integers(1000)))
    before = linear_pairs(state(ctx, model))
    ctx.sub.call(handle, "train", X, y, Xv, yv, 2, len(X), lr)
    after = linear_pairs(state(ctx, model))
    X64 = X.astype(np.float64)
    one, g1 = sgd_step(before, X64, y, lr)
    two, _ = sgd_step(one, X64, y, lr)
    got = [p for pair in after for p in pair]
    if len(after) != 2:
        raise Fault(f"{len(after)} Linear layers: the train test needs the sheet's two", tags=("architecture",))
    candidates = {
        "no-zero-grad": ("the second step used the first step's gradient too: call optimizer.zero_grad() before "
                         "each backward", sgd_step(one, X64, y, lr, g1)[0]),
        "one-step": ("the parameters moved by one step in 2 epochs: one epoch is missing", one),
        "unchanged": ("the parameters did not change: build the optimizer on self.model.parameters() and call "
                      "optimizer.step()", before),
    }
    for tag, (sentence, params) in candidates.items():
        if all(np.allclose(g, e, rtol=1e-4, atol=1e-6) for g, e in zip(got, [p for q in params for p in q])):
            raise Fault(f"train on {sizes}, 2 epochs of one full batch, lr {lr:.3g}: {sentence}", tags=(tag,))
    for name, g, e in zip(("W1", "b1", "W2", "b2"), got, [p for q in two for p in q]):
        expect_array(f"train on {sizes}, 2 epochs of one full batch, lr {lr:.3g}: {name} after two plain SGD steps "
                     "on the mean cross-entropy", g, e, rtol=1e-4, atol=1e-6)


def train_records(ctx):
    rng = ctx.rng("train records")
    sizes = mlp_sizes(rng, False)
    (X, y), (Xv, yv) = small_problem(rng, sizes, 16), small_problem(rng, sizes, 12)
    handle, model = new_ann(ctx, sizes, int(rng.integers(1000)))
    before = linear_pairs(state(ctx, model))
    ctx.sub.call(handle, "train", X, y, Xv, yv, 1, len(X), 0.1)
    after = linear_pairs(state(ctx, model))
    h = history_of(ctx, handle, 1)
    lines = []
    for key, expected in (("val_loss", [loss_acc(after, Xv, yv)[0]]), ("val_acc", [loss_acc(after, Xv, yv)[1]])):
        if not np.allclose(h[key], expected, rtol=1e-4, atol=1e-6):
            lines.append(f"history[{key!r}] = {h[key][0]:.6g}, expected {expected[0]:.6g} (the whole validation set "
                         "after the epoch)")
    for i, key in enumerate(("train_loss", "train_acc")):
        options = [loss_acc(before, X, y)[i], loss_acc(after, X, y)[i]]
        if not any(np.isclose(h[key][0], o, rtol=1e-4, atol=1e-6) for o in options):
            lines.append(f"history[{key!r}] = {h[key][0]:.6g}, expected {options[0]:.6g} (the mean over the epoch's "
                         f"batches) or {options[1]:.6g} (the training set after the epoch)")
    if lines:
        raise Fault("\n".join(lines), tags=("records",))


def predict(ctx):
    rng = ctx.rng("predict")
    sizes = mlp_sizes(rng, False)
    handle, model = new_ann(ctx, sizes, int(rng.integers(1000)))
    X = rng.standard_normal((int(rng.integers(5, 20)), sizes[0])).astype(np.float32)
    got = as_array("predict", ctx.sub.call(handle, "predict", X))
    expected = mlp_logits(linear_pairs(state(ctx, model)), X).argmax(1)
    if got.shape == (len(X), sizes[-1]):
        raise Fault(f"predict returns shape {got.shape}, the scores of every class: return the class indices "
                    f"({len(X)},), the argmax over dim 1", tags=("probabilities",))
    expect_array(f"predict on {X.shape}: the class indices", got, expected)


def fake_history(rng, epochs):
    loss = np.sort(rng.uniform(0.3, 1.0, epochs))[::-1]
    return {"train_loss": loss.tolist(), "val_loss": (loss + 0.05).tolist(),
            "train_acc": np.sort(rng.uniform(0.6, 0.9, epochs)).tolist(), "val_acc": np.sort(rng.uniform(0.6, 0.9, epochs)).tolist()}


def plot(ctx):
    rng = ctx.rng("plot")
    epochs = int(rng.integers(3, 8))
    handle, _ = new_ann(ctx, (4, 3, 2))
    history = fake_history(rng, epochs)
    ctx.sub.set(handle, "history", history)
    _, ax_loss, ax_acc = ctx.sub.axes(2)
    ctx.sub.call(handle, "plot_train_val_metrics", (ax_loss, ax_acc))
    for axes, metric in ((ax_loss, "loss"), (ax_acc, "acc")):
        lines = ctx.sub.describe_axes(axes)["lines"]
        ydata = [as_array("a line", ctx.sub.call(line, "get_ydata")) for line in ctx.sub.call(axes, "get_lines")]
        for part in ("train", "val"):
            want = history[f"{part}_{metric}"]
            if not any(y.shape == (epochs,) and np.allclose(y, want) for y in ydata):
                name = "loss" if metric == "loss" else "accuracy"
                drawn = ", ".join(f"{label!r} ({n} points)" for label, n in lines) or "nothing"
                raise Fault(f"plot_train_val_metrics((ax_loss, ax_acc)): the {part} {name} curve ({epochs} points, "
                            f"history[{part}_{metric!r}]) is not on the {name} axes (ax[{0 if metric == 'loss' else 1}]); "
                            f"it holds: {drawn}", tags=("plot",))


SETTINGS = dict(epochs=5, quick_epochs=5, batch_size=64, lr=0.1)
SETTINGS["run"] = training_run(CLS, (784, 128, 10, 0), SETTINGS, flatten=True)
M = CLS
ASSIGNMENT = Assignment(
    id="C5",
    title="A feed-forward classifier with PyTorch's modules (pytorch_ann.py)",
    filename="pytorch_ann.py",
    solution="c5/pytorch_ann.py",
    allowed_imports=("torch", "numpy", "matplotlib"),
    engine="torch",
    timeout=300.0,
    graded=(f"{M}.__init__", f"{M}.forward", f"{M}.train", f"{M}.predict", f"{M}.plot_train_val_metrics",
            f"{M}.report_my_judgement"),
    contracts={f"{M}.__init__": ("input_size", "hidden_size", "output_size", "seed"), f"{M}.forward": ("X",),
               f"{M}.train": ("X_train", "y_train", "X_val", "y_val", "epochs", "batch_size", "lr"),
               f"{M}.predict": ("X",), f"{M}.plot_train_val_metrics": ("ax",), f"{M}.report_my_judgement": ()},
    tests=(
        Test("constructor: the layer stack, 784-128-10", 1, constructor(True), (f"{M}.__init__",)),
        Test("constructor: the layer stack, random sizes", 1, constructor(False), (f"{M}.__init__",), "hidden"),
        Test("constructor: seeded", 1, seeded(M, lambda s: (6, 5, 3, s)), (f"{M}.__init__",)),
        Test("forward: logits", 1, forward, (f"{M}.forward",)),
        Test("train: the history", 1, train_history, (f"{M}.train",)),
        Test("train: two full-batch SGD steps", 3, train_steps, (f"{M}.train",), "hidden"),
        Test("train: the recorded losses and accuracies", 1, train_records, (f"{M}.train",)),
        Test("predict: class indices", 1, predict, (f"{M}.predict",)),
        Test("plot_train_val_metrics: the curves", 1, plot, (f"{M}.plot_train_val_metrics",)),
        Test("overall: test accuracy ≥ 0.8 on Fashion-MNIST", 2, overall(M, SETTINGS, 0.8, 0.7),
             (M, f"{M}.train", f"{M}.predict"), training=True),
        Test("report_my_judgement: your curves", 1, judgement(SETTINGS), (M, f"{M}.train", f"{M}.report_my_judgement"),
             training=True),
    ),
)
