"""C2: ``convnet.py``, the first CNN of the catalogue as a module file (12 marks, our choice:
the catalogue's section E gives C2 no marks).

Marks: the layer stack 7 (one per layer of the sheet: conv 20@5x5, ReLU, max-pool 2x2/2,
flatten, dense 100, ReLU, dense 10; the feedback gives the parameter count against 289,630) ·
forward 3 (the logits' shape (N, 10) and values on a public batch 2, a hidden batch size 1) ·
train_model 2 (two epochs of one full batch are two plain SGD steps: the parameters after them
and the two returned losses, with a forgotten ``zero_grad``, a missing step or no step named).

The expected values are computed here from the student's own starting parameters
(``state_dict``): the logits with NumPy, the SGD steps on the student's own layer stack rebuilt on chainrule's engine (which agrees
with PyTorch's number for number), so the parent needs no torch.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ... import nn, no_grad, optim, tensor
from ..assignment import Assignment, Fault, Outcome, Test
from ..checks import as_array, expect_array, expect_sequence
from ..models import compare_layer, param_line, spec_params, state

SHAPES = [(20, 1, 5, 5), (20,), (100, 2880), (100,), (10, 100), (10,)]
"""The sheet's parameters in ``state_dict`` order."""
SHEET = [("Conv2d", {"in_channels": 1, "out_channels": 20, "kernel_size": [5, 5], "stride": [1, 1]}), ("ReLU", {}),
         ("MaxPool2d", {"kernel_size": 2, "stride": 2}), ("Flatten", {}),
         ("Linear", {"in_features": 2880, "out_features": 100}), ("ReLU", {}),
         ("Linear", {"in_features": 100, "out_features": 10})]


def layers_check(ctx):
    info = ctx.sub.layers(ctx.sub.new("ConvNet"))
    rows, lines, right = info["layers"], [], 0
    for i, (kind, settings) in enumerate(SHEET):
        if i >= len(rows):
            lines.append(f"layer {i + 1}: missing, expected {kind}")
            continue
        problem = compare_layer(f"layer {i + 1}", rows[i], kind, settings)
        lines += [problem] if problem else []
        right += not problem
    if len(rows) > len(SHEET):
        lines.append(f"{len(rows) - len(SHEET)} layer(s) more than the sheet's {len(SHEET)}: "
                     f"{', '.join(r[1] for r in rows[len(SHEET):])}")
        right = min(right, len(SHEET) - 1)
    want = sum(spec_params(k, s) for k, s in SHEET)
    if info["parameters"] != want:
        lines.append(param_line(info["parameters"], want))
    return Outcome(right / len(SHEET), lines, ("architecture",) if lines else ())


def numpy_logits(params, X):
    """The sheet's forward pass in NumPy: conv 5x5, ReLU, max-pool 2, dense, ReLU, dense."""
    wc, bc, w1, b1, w2, b2 = params
    patches = sliding_window_view(X[:, 0], (5, 5), axis=(1, 2))  # (N, 24, 24, 5, 5)
    a = np.maximum(np.einsum("nijkl,ckl->ncij", patches, wc[:, 0]) + bc[None, :, None, None], 0)
    a = a.reshape(len(X), 20, 12, 2, 12, 2).max(axis=(3, 5)).reshape(len(X), -1)
    return np.maximum(a @ w1.T + b1, 0) @ w2.T + b2


def forward(public: bool):
    def check(ctx):
        rng = ctx.rng(f"forward {public}")
        n = 4 if public else int(rng.integers(1, 12))
        X = rng.random((n, 1, 28, 28)).astype(np.float32)
        net = ctx.sub.new("ConvNet")
        got = as_array("forward", ctx.sub.function("class_scores", net, X))
        params = state(ctx, net)
        if got.shape != (n, 10):
            raise Fault(f"ConvNet on a batch of shape {X.shape}: logits of shape {got.shape}, expected ({n}, 10)",
                        tags=("shape",))
        if [p.shape for p in params] != SHAPES:
            raise Fault("the parameters are not the sheet's (see the layer-stack test); the values cannot be checked",
                        tags=("architecture",))
        expect_array(f"ConvNet logits of a batch of {n}", got, numpy_logits(params, X.astype(np.float64)),
                     rtol=1e-4, atol=1e-5)

    return check


BUILD = {"Conv2d": ("in_channels", "out_channels", "kernel_size", "stride", "padding"),
         "MaxPool2d": ("kernel_size", "stride"), "Linear": ("in_features", "out_features"), "ReLU": (), "Flatten": ()}
"""The kinds of layer the sheet uses, and the settings that rebuild one on chainrule's engine."""


def rebuilt(rows, params):
    """The student's layer stack (``layers`` rows) on chainrule's engine, holding ``params``
    (``state_dict`` order): the training check follows the student's own network, so a wrong
    layer loses the layer-stack marks only."""
    layers = []
    for _, kind, settings, _ in rows:
        if kind not in BUILD:
            raise Fault(f"train_model is checked on a stack of the sheet's kinds of layer ({', '.join(BUILD)}); "
                        f"the model has a {kind}", tags=("architecture",))
        layers.append(getattr(nn, kind)(*(tuple(v) if isinstance(v, list) else v
                                          for v in (settings[key] for key in BUILD[kind]))))
    net = nn.Sequential(*layers)
    try:
        net.load_state_dict(dict(zip(net.state_dict(), params)))
    except ValueError as exc:
        raise Fault(f"the model's parameters do not fit its own layers ({exc}); the training cannot be checked",
                    tags=("architecture",)) from None
    return net


def sgd_steps(rows, params, X, y, lr, steps, keep_gradients=False):
    """The parameters after ``steps`` full-batch steps of plain SGD(lr) on the mean
    cross-entropy, on chainrule's engine; ``keep_gradients`` forgets ``zero_grad`` (each step
    adds its gradient to the ones before)."""
    net = rebuilt(rows, params)
    optimizer = optim.SGD(net.parameters(), lr=lr)
    for _ in range(steps):
        if not keep_gradients:
            optimizer.zero_grad()
        nn.functional.cross_entropy(net(tensor(X)), tensor(y)).backward()
        optimizer.step()
    return [np.asarray(v.numpy(), dtype=np.float64) for v in net.state_dict().values()]


def train_check(ctx):
    """Two epochs of one full batch: whatever the shuffle, that is two plain SGD steps, which
    chainrule's engine takes from the same starting parameters."""
    rng = ctx.rng("train")
    n, lr = int(rng.integers(4, 12)), float(rng.uniform(0.05, 0.3))
    X, y = rng.random((n, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, n).astype(np.int64)
    net = ctx.sub.new("ConvNet")
    rows, before = ctx.sub.layers(net)["layers"], state(ctx, net)
    rebuilt(rows, before)  # a stack that cannot be followed is said before the training runs
    losses = expect_sequence(f"train_model(model, images, labels, 2, {n}, {lr:.3g})",
                             ctx.sub.function("train_model", net, X, y, 2, n, lr), 2)
    after = state(ctx, net)
    one = sgd_steps(rows, before, X, y, lr, 1)
    two = sgd_steps(rows, one, X, y, lr, 1)  # plain SGD keeps no state: the second step starts from the first
    setup = f"train_model on {n} images, 2 epochs of one full batch, lr {lr:.3g}"
    slips = {"no-zero-grad": ("the second step used the first step's gradient too: call optimizer.zero_grad() "
                              "before each backward", sgd_steps(rows, before, X, y, lr, 2, keep_gradients=True)),
             "one-step": ("the parameters moved by one step in 2 epochs: one epoch is missing", one),
             "unchanged": ("the parameters did not change: build the optimizer on model.parameters() and call "
                           "optimizer.step()", before)}
    for tag, (sentence, params) in slips.items():
        if all(np.allclose(g, e, rtol=1e-3, atol=1e-4) for g, e in zip(after, params)):
            raise Fault(f"{setup}: {sentence}", tags=(tag,))
    for i, (g, e) in enumerate(zip(after, two)):
        expect_array(f"{setup}: parameter {i + 1} of {len(after)} (state_dict order) after two plain SGD steps on "
                     "the mean cross-entropy", g, e, rtol=1e-3, atol=1e-4)
    expect_array(f"{setup}: the returned losses", as_array("losses", losses).reshape(-1),
                 [epoch_loss(rows, before, X, y), epoch_loss(rows, one, X, y)], rtol=1e-3, atol=1e-4)


def epoch_loss(rows, params, X, y) -> float:
    """The mean cross-entropy of the batch (X, y) under ``params``: one full-batch epoch's loss."""
    with no_grad():
        return float(nn.functional.cross_entropy(rebuilt(rows, params)(tensor(X)), tensor(y)).item())


ASSIGNMENT = Assignment(
    id="C2",
    title="A first CNN on MNIST as a module (convnet.py)",
    filename="convnet.py",
    solution="c2/convnet.py",
    allowed_imports=("torch", "numpy", "matplotlib"),
    engine="torch",
    timeout=120.0,
    graded=("ConvNet.__init__", "ConvNet.forward", "train_model"),
    contracts={"ConvNet.__init__": (), "ConvNet.forward": ("x",),
               "train_model": ("model", "images", "labels", "epochs", "batch_size", "lr")},
    tests=(
        Test("ConvNet: the layer stack", 7, layers_check, ("ConvNet.__init__",)),
        Test("ConvNet: forward on a batch of 4", 2, forward(True), ("ConvNet.forward",)),
        Test("ConvNet: forward, other batch sizes", 1, forward(False), ("ConvNet.forward",), "hidden"),
        Test("train_model: two full-batch SGD steps", 2, train_check, ("train_model",)),
    ),
)
