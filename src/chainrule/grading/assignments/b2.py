"""B2: ``numpy_ann.py``, the one-hidden-layer ``NumpyANN`` (18 marks).

Marks as section E: constructor 3 · _relu 1 · _relu_grad 1 · _cross_entropy 1 · _forward 2 ·
_backward 3 · train 2 · predict 1 · accuracy 2 · overall test 2 (test accuracy ≥ 0.77 on
Fashion-MNIST). The student's parameters are set to known values (``ctx.sub.set``) before every
check, so each check is deterministic; the expected values come from the reference in this
process. A wrong gradient is compared with the classic faults (off by N, sign, transposed, the
bias summed over the wrong axis) and the feedback names the one that fits.
"""

from __future__ import annotations

import time

import numpy as np

from ..assignment import Assignment, Fault, Outcome, Test
from ..checks import as_array, expect_array, expect_number
from ..diagnose import describe_ratio
from ..models import FULL, fashion

CLS = "NumpyANN"
PARAMS = ("W1", "b1", "W2", "b2")
BAR = 0.77
QUICK = dict(train=6_000, val=1_000, test=2_000)
"""--quick's subset: enough for a right NumpyANN to pass the bar in 5 epochs."""


# ------------------------------------------------------------------ inputs
def sizes(ctx, name, public):
    if public:
        return 6, 5, 4, 8
    rng = ctx.rng(name)
    return int(rng.integers(2, 30)), int(rng.integers(2, 20)), int(rng.integers(2, 11)), int(rng.integers(2, 40))


def params(rng, i, h, o):
    return {"W1": rng.standard_normal((i, h)), "b1": rng.standard_normal((1, h)),
            "W2": rng.standard_normal((h, o)), "b2": rng.standard_normal((1, o))}


def batch(rng, n, i, o):
    return rng.standard_normal((n, i)), rng.integers(0, o, size=n)


def student(ctx, i, h, o, values, lr=0.1):
    net = ctx.sub.new(CLS, i, h, o, lr, 0)
    for name, value in values.items():
        ctx.sub.set(net, name, value)
    return net


def reference(ctx, i, h, o, values, lr=0.1):
    net = ctx.ref.NumpyANN(i, h, o, lr, 0)
    for name, value in values.items():
        setattr(net, name, value.copy())
    return net


def case(ctx, name, public):
    rng = np.random.default_rng(3) if public else ctx.rng(name + " values")
    i, h, o, n = sizes(ctx, name, public)
    values = params(rng, i, h, o)
    X, y = batch(rng, n, i, o)
    return rng, (i, h, o), values, X, y


# ------------------------------------------------------------------ tests
def constructor(ctx):
    i, h, o, _ = sizes(ctx, "constructor", False)
    i, h = i * 20, h * 5  # enough weights to measure their spread
    net = ctx.sub.new(CLS, i, h, o, 0.05, 11)
    shapes = {"W1": (i, h), "b1": (1, h), "W2": (h, o), "b2": (1, o)}
    for name, shape in shapes.items():
        value = as_array(f"NumpyANN({i}, {h}, {o}).{name}", ctx.sub.get(net, name))
        if value.shape != shape:
            raise Fault(f"NumpyANN({i}, {h}, {o}).{name}: shape {value.shape}, expected {shape}"
                        + (" (transposed?)" if value.shape == shape[::-1] else ""),
                       tags=("transposed" if value.shape == shape[::-1] else "shape",))
        if name.startswith("b") and np.any(value != 0):
            raise Fault(f"NumpyANN.{name}: the biases must start at zero", tags=("init",))
        if name.startswith("W"):
            std = float(value.std())
            if not 0.007 < std < 0.013 or abs(float(value.mean())) > 0.005:
                raise Fault(f"NumpyANN.{name}: the weights have spread {std:.4g}; the sheet says "
                            "0.01 · standard normal (std 0.01, mean 0)", tags=("init-scale",))
    expect_number("NumpyANN(..., lr=0.05, ...).lr", ctx.sub.get(net, "lr"), 0.05)
    other = ctx.sub.get(ctx.sub.new(CLS, i, h, o, 0.05, 12), "W1")
    again = ctx.sub.get(ctx.sub.new(CLS, i, h, o, 0.05, 11), "W1")
    if not np.array_equal(as_array("W1", again), as_array("W1", ctx.sub.get(net, "W1"))) or \
            np.array_equal(as_array("W1", other), as_array("W1", again)):
        raise Fault("NumpyANN: the same seed must give the same weights and another seed other ones "
                    "(use np.random.default_rng(seed))", tags=("seed",))


def relu(public):
    def check(ctx):
        rng = np.random.default_rng(4) if public else ctx.rng("relu")
        net = ctx.sub.new(CLS, 3, 3, 2, 0.1, 0)
        for Z in ([np.array([[-2.0, 0.0, 3.5]])] if public else [rng.normal(0, 2, (int(rng.integers(1, 9)), 5))]):
            expect_array("_relu", ctx.sub.call(net, "_relu", Z), np.maximum(Z, 0))
    return check


def relu_grad(ctx):
    net = ctx.sub.new(CLS, 3, 3, 2, 0.1, 0)
    rng = ctx.rng("relu_grad")
    Z = np.concatenate([np.array([[-1.5, 0.0, 2.0, 0.0]]), rng.normal(0, 2, (3, 4))])
    got = as_array("_relu_grad", ctx.sub.call(net, "_relu_grad", Z))
    if got.shape == Z.shape and got[0, 1] == 1.0:
        raise Fault("_relu_grad(0) is 1: the sheet says the derivative is 0 for x <= 0 (use Z > 0, not Z >= 0)",
                    tags=("relu-grad-at-0",))
    expect_array("_relu_grad", got, ctx.ref.NumpyANN(3, 3, 2, 0.1, 0)._relu_grad(Z))


def cross_entropy(ctx):
    rng = ctx.rng("cross_entropy")
    o, n = int(rng.integers(2, 11)), int(rng.integers(2, 30))
    net, ref = ctx.sub.new(CLS, 3, 3, o, 0.1, 0), ctx.ref.NumpyANN(3, 3, o, 0.1, 0)
    y = rng.integers(0, o, size=n)
    P = rng.random((n, o))
    P /= P.sum(axis=1, keepdims=True)
    expected = ref._cross_entropy(y, P)
    got = ctx.sub.call(net, "_cross_entropy", y, P)
    value = float(as_array("_cross_entropy", got).reshape(-1)[0]) if np.size(got) == 1 else None
    if value is not None and np.isclose(value, expected * n):
        raise Fault(f"_cross_entropy of {n} samples: {n} times the expected value, the sum where the mean over "
                    "the samples belongs", tags=("sum-for-mean",))
    if value is not None and np.isclose(value, expected * o):
        raise Fault(f"_cross_entropy: {o} times the expected value: the sheet divides by the number of classes",
                    tags=("classes",))
    expect_number(f"_cross_entropy ({n} samples, {o} classes)", got, expected)
    P[0] = np.eye(o)[(y[0] + 1) % o]  # the true class gets probability 0
    got = ctx.sub.call(net, "_cross_entropy", y, P)
    if not np.isfinite(float(as_array("_cross_entropy", got).reshape(-1)[0])) or ctx.sub.warnings:
        raise Fault("_cross_entropy with a probability 0 for the true class is not finite or warned "
                    f"({ctx.sub.warnings[:1]}): clip the probabilities before the log", tags=("log-zero",))


def forward(public):
    def check(ctx):
        rng, (i, h, o), values, X, y = case(ctx, "forward", public)
        got = ctx.sub.call(student(ctx, i, h, o, values), "_forward", X, True)
        expect_array(f"_forward on {i}-{h}-{o}, {len(X)} samples", got, reference(ctx, i, h, o, values)._forward(X))
        if not public:  # logits of 1000 and more: the max shift keeps softmax finite
            big = {k: v * (1000 if k == "b2" else 1) for k, v in values.items()}
            got = ctx.sub.call(student(ctx, i, h, o, big), "_forward", X, False)
            bad = ctx.sub.warnings or not np.all(np.isfinite(as_array("_forward", got)))
            if bad:
                raise Fault("_forward with logits near 1000: NaN or an overflow warning "
                            f"({ctx.sub.warnings[:1]}): subtract each row's max before np.exp in the softmax",
                            tags=("softmax-overflow",))
            expect_array("_forward with logits near 1000", got, reference(ctx, i, h, o, big)._forward(X))
    return check


def backward(public):
    def check(ctx):
        rng, (i, h, o), values, X, y = case(ctx, "backward", public)
        net = student(ctx, i, h, o, values)
        ctx.sub.call(net, "_forward", X, True)
        got = ctx.sub.call(net, "_backward", X, y)
        ref = reference(ctx, i, h, o, values)
        ref._forward(X, True)
        expected = ref._backward(X, y)
        if not isinstance(got, dict):
            raise Fault(f"_backward returned {type(got).__name__}, expected a dict with W1, b1, W2, b2")
        for name in PARAMS:
            if name not in got:
                raise Fault(f"_backward: no gradient {name!r} in the dict", tags=("missing",))
            what = f"_backward on {i}-{h}-{o}, {len(X)} samples: d{name}"
            g = as_array(what, got[name])
            e = expected[name]
            if name.startswith("b") and g.shape != e.shape and g.size != e.size:
                raise Fault(f"{what}: shape {g.shape}, expected {e.shape}: sum dZ over the samples "
                            "(axis=0, keepdims=True), not over the classes", tags=("bias-axis",))
            try:
                expect_array(what, g, e)
            except Fault as fault:
                sentence = describe_ratio(g, e, batch=len(X))
                tag = {"sign": "sign", "times": "not-averaged"}
                tags = fault.tags + tuple(v for k, v in tag.items() if k in sentence)
                raise Fault(str(fault) + (f"\n→ {sentence}" if sentence else ""), tags) from None
    return check


def train(ctx):
    rng = ctx.rng("train")
    i, h, o = 8, int(rng.integers(8, 20)), 3
    centres = rng.normal(0, 3, (o, i))
    y = rng.integers(0, o, size=300)
    X = centres[y] + rng.normal(0, 1, (300, i))
    net = ctx.sub.new(CLS, i, h, o, 0.5, int(rng.integers(1000)))
    history = ctx.sub.call(net, "train", X[:240], y[:240], X[240:], y[240:], 15, 16)
    if not isinstance(history, dict):
        history = ctx.sub.get(net, "history")
    for key in ("train_loss", "val_loss", "val_acc"):
        if not isinstance(history, dict) or key not in history or len(history[key]) != 15:
            raise Fault(f"train(..., epochs=15): history[{key!r}] should hold one value per epoch (15)",
                        tags=("history",))
    if not history["val_loss"][-1] < history["val_loss"][0] * 0.8 or history["val_acc"][-1] < 0.9:
        raise Fault(f"train on three separable clusters: validation loss {history['val_loss'][0]:.4g} → "
                    f"{history['val_loss'][-1]:.4g}, accuracy {history['val_acc'][-1]:.3g} (expected ≥ 0.9): "
                    "check the update W −= lr · dW and the batching", tags=("no-learning",))
    expect_number("train: the last val_acc against your own accuracy(X_val, y_val)", history["val_acc"][-1],
                  float(as_array("accuracy", ctx.sub.call(net, "accuracy", X[240:], y[240:]))))


def predict(ctx):
    rng, (i, h, o), values, X, y = case(ctx, "predict", False)
    got = as_array("predict", ctx.sub.call(student(ctx, i, h, o, values), "predict", X))
    if got.shape == (len(X),):
        raise Fault("predict returned labels (N,); the sheet asks for the probabilities (N, classes)",
                    tags=("labels-for-probabilities",))
    expect_array(f"predict on {i}-{h}-{o}", got, reference(ctx, i, h, o, values).predict(X))


def accuracy(public):
    def check(ctx):
        rng, (i, h, o), values, X, y = case(ctx, "accuracy", public)
        ref = reference(ctx, i, h, o, values)
        y = np.where(rng.random(len(y)) < 0.5, np.argmax(ref.predict(X), axis=1), y)  # a mix of right and wrong
        for labels in (y, np.eye(o)[y]):
            got = ctx.sub.call(student(ctx, i, h, o, values), "accuracy", X, labels)
            expect_number(f"accuracy with labels of shape {labels.shape}", got, ref.accuracy(X, y))
    return check


def overall(ctx):
    (X, y), (Xv, yv), (Xt, yt) = fashion(ctx, flatten=True, quick=QUICK)
    epochs = 5 if ctx.quick else 10
    net = ctx.sub.new(CLS, X.shape[1], 128, 10, 0.1, 0)
    start = time.perf_counter()
    ctx.sub.call(net, "train", X, y, Xv, yv, epochs, 64)
    score = float(as_array("accuracy", ctx.sub.call(net, "accuracy", Xt, yt)))
    line = (f"NumpyANN(784, 128, 10, lr=0.1), {epochs} epochs of batch 64 on {len(X):,} images: test accuracy "
            f"{score:.4f} on {len(Xt):,} (bar {BAR}), {time.perf_counter() - start:.0f} s")
    if ctx.quick:
        line += f" (quick: provisional until the full run on {FULL['train']:,} images)"
    if not score >= BAR:
        raise Fault(line, tags=("below-bar",))
    return Outcome(1.0, [line], ("provisional",) if ctx.quick else ())



ASSIGNMENT = Assignment(
    id="B2",
    title="A one-hidden-layer NumPy classifier (numpy_ann.py)",
    filename="numpy_ann.py",
    solution="b2/numpy_ann.py",
    allowed_imports=("numpy",),
    graded=(f"{CLS}.__init__", f"{CLS}._relu", f"{CLS}._relu_grad", f"{CLS}._cross_entropy", f"{CLS}._forward",
            f"{CLS}._backward", f"{CLS}.train", f"{CLS}.predict", f"{CLS}.accuracy"),
    contracts={f"{CLS}.__init__": ("input_size", "hidden_size", "output_size", "lr", "seed"),
               f"{CLS}._relu": ("Z",), f"{CLS}._relu_grad": ("Z",),
               f"{CLS}._cross_entropy": ("y_true", "y_pred"), f"{CLS}._forward": ("X", "training"),
               f"{CLS}._backward": ("X", "y_true"),
               f"{CLS}.train": ("X_train", "y_train", "X_val", "y_val", "epochs", "batch_size"),
               f"{CLS}.predict": ("X",), f"{CLS}.accuracy": ("X", "y_true")},
    tests=(
        Test("constructor: shapes, zero biases, 0.01 scale, seed", 3, constructor, f"{CLS}.__init__"),
        Test("_relu: values", 0.5, relu(True), f"{CLS}._relu"),
        Test("_relu: random arrays", 0.5, relu(False), f"{CLS}._relu", "hidden"),
        Test("_relu_grad: 0 at exactly 0", 1, relu_grad, f"{CLS}._relu_grad"),
        Test("_cross_entropy: mean over samples, /classes, probability 0", 1, cross_entropy,
              f"{CLS}._cross_entropy"),
        Test("_forward: 6-5-4", 1, forward(True), f"{CLS}._forward"),
        Test("_forward: random sizes, logits near 1000", 1, forward(False), f"{CLS}._forward", "hidden"),
        Test("_backward: 6-5-4", 1, backward(True), f"{CLS}._backward"),
        Test("_backward: random sizes", 2, backward(False), f"{CLS}._backward", "hidden"),
        Test("train: learns separable clusters, history per epoch", 2, train, f"{CLS}.train", "hidden"),
        Test("predict: probabilities", 1, predict, f"{CLS}.predict"),
        Test("accuracy: 6-5-4", 1, accuracy(True), f"{CLS}.accuracy"),
        Test("accuracy: random sizes", 1, accuracy(False), f"{CLS}.accuracy", "hidden"),
        Test("overall: test accuracy ≥ 0.77 on Fashion-MNIST", 2, overall, f"{CLS}.train", training=True),
    ),
)
