"""What the PyTorch assignments (C2, C5, C6) share: a student's ``nn.Module`` read back as
its layer stack and compared with the sheet's, its seeding, one training run on Fashion-MNIST
(cached per grade, the overall and the judgement tests both read it) and chainrule's own
judgement of the curves it produced.

Everything the student's model gives comes back through the sandbox as plain values (layer
rows ``[name, type, settings, params]``, ``state_dict`` arrays, the history dict), so the
parent needs no torch.
"""

from __future__ import annotations

import numpy as np

from ..data import load
from ..report.judgement import judge
from ..training.history import History
from .assignment import Fault, Outcome
from .checks import as_array

KEYS = ("train_loss", "train_acc", "val_loss", "val_acc")
"""The per-epoch records of ``self.history``."""
FULL = dict(train=50_000, val=10_000, test=10_000)
QUICK = dict(train=3_000, val=1_000, test=1_000)
"""The Fashion-MNIST images a training run uses, in full and with ``--quick``."""


def spec_params(kind: str, s: dict) -> int:
    """Learnable parameters of one layer of the sheet."""
    if kind == "Linear":
        return s["in_features"] * s["out_features"] + s["out_features"]
    if kind == "Conv2d":
        k = s["kernel_size"][0] * s["kernel_size"][1]
        return s["in_channels"] * s["out_channels"] * k + s["out_channels"]
    if kind == "BatchNorm2d":
        return 2 * s["num_features"]
    return 0


def describe(kind: str, s: dict) -> str:
    if kind == "Linear":
        return f"Linear({s.get('in_features')}, {s.get('out_features')})"
    if kind == "Conv2d":
        return (f"Conv2d({s.get('in_channels')}, {s.get('out_channels')}, kernel {s.get('kernel_size')}, "
                f"stride {s.get('stride')}, padding {s.get('padding')})")
    if kind == "Dropout":
        return f"Dropout(p={s.get('p')})"
    if kind == "MaxPool2d":
        return f"MaxPool2d(kernel {s.get('kernel_size')}, stride {s.get('stride')})"
    if kind == "BatchNorm2d":
        return f"BatchNorm2d({s.get('num_features')})"
    return kind


def _norm(value):
    return list(value) if isinstance(value, (list, tuple)) else value


def compare_layer(where: str, row, kind: str, settings: dict) -> str:
    """"" when the student's layer ``row`` ([name, type, settings, params]) is the sheet's
    ``kind`` with ``settings``, else the sentence that says how it differs."""
    _, got_kind, got, _ = row
    if got_kind != kind:
        return f"{where}: {got_kind}, expected {describe(kind, settings)}"
    for key, value in settings.items():
        have = got.get(key)
        if isinstance(value, list) and not isinstance(have, list):
            have = [have, have]
        if isinstance(value, float):
            same = have is not None and abs(float(have) - value) < 1e-9
        else:
            same = _norm(have) == value
        if not same:
            return f"{where}: {describe(kind, got)}, expected {describe(kind, settings)} ({key} {have}, expected {value})"
    return ""


def order_problem(where: str, got_kinds: list, expected_kinds: list) -> str:
    """Names the first swap, a missing or an extra layer between two lists of layer types."""
    if sorted(got_kinds) == sorted(expected_kinds):
        for i, (g, e) in enumerate(zip(got_kinds, expected_kinds)):
            if g != e:
                return f"{where}: {g} comes before {e} (the sheet's order: {' → '.join(expected_kinds)})"
    missing = [k for k in expected_kinds if got_kinds.count(k) < expected_kinds.count(k)]
    extra = [k for k in got_kinds if got_kinds.count(k) > expected_kinds.count(k)]
    parts = [f"no {k}" for k in dict.fromkeys(missing)] + [f"an extra {k}" for k in dict.fromkeys(extra)]
    return f"{where}: {', '.join(parts)} (layers {' → '.join(got_kinds) or 'none'}; the sheet's: " \
           f"{' → '.join(expected_kinds)})"


def compare_stack(where: str, rows: list, expected: list) -> list[str]:
    """The problems of a run of layers against the sheet's [(type, settings)]: the order first,
    then each layer's settings."""
    kinds = [r[1] for r in rows if r[1] != "Flatten"]
    rows = [r for r in rows if r[1] != "Flatten"]
    expected_kinds = [k for k, _ in expected]
    if kinds != expected_kinds:
        return [order_problem(where, kinds, expected_kinds)]
    problems = [compare_layer(f"{where}, {kind}", row, kind, s) for row, (kind, s) in zip(rows, expected)]
    return [p for p in problems if p]


def model_layers(ctx, handle):
    """The student's ``self.model`` as [name, type, settings, params] rows and the total."""
    model = ctx.sub.get(handle, "model")
    info = ctx.sub.layers(model)
    return model, info["layers"], info["parameters"]


def param_line(got: int, expected: int) -> str:
    return f"parameters: {got:,}, expected {expected:,}" + ("" if got == expected else " (the layer stack differs)")


def state(ctx, model) -> list[np.ndarray]:
    """The model's parameters and buffers in ``state_dict`` order, as NumPy arrays."""
    return [np.asarray(v, dtype=np.float64) for v in ctx.sub.call(model, "state_dict").values()]


def seeded(cls: str, args):
    """Two constructions with one seed give the same weights, whatever the global RNG did
    before; another seed gives other weights."""

    def check(ctx):
        rng = ctx.rng(f"{cls} seeded")
        seed = int(rng.integers(2**31))
        runs = []
        for s in (seed, seed, seed + 1):
            ctx.sub.seed(int(rng.integers(2**31)))  # the constructor must not rely on the global state
            runs.append(state(ctx, ctx.sub.get(ctx.sub.new(cls, *args(s)), "model")))
        if not all(np.array_equal(a, b) for a, b in zip(runs[0], runs[1])):
            raise Fault(f"{cls}(..., seed={seed}) twice gives different weights: call torch.manual_seed(seed) "
                        "in the constructor before building the layers", tags=("unseeded",))
        if all(np.array_equal(a, b) for a, b in zip(runs[0], runs[2])):
            raise Fault(f"seeds {seed} and {seed + 1} give the same weights: seed torch with the seed argument",
                        tags=("seed-ignored",))

    return check


def history_of(ctx, handle, epochs):
    history = ctx.sub.get(handle, "history")
    if not isinstance(history, dict) or any(k not in history for k in KEYS):
        keys = sorted(history) if isinstance(history, dict) else type(history).__name__
        raise Fault(f"self.history after train: {keys}, expected a dict with {', '.join(KEYS)}", tags=("history",))
    out = {}
    for key in KEYS:
        values = as_array(f"history[{key!r}]", history[key]).reshape(-1)
        if len(values) != epochs:
            raise Fault(f"history[{key!r}] has {len(values)} values after {epochs} epochs, expected one per epoch",
                        tags=("length",))
        if "acc" in key and not ((values >= 0) & (values <= 1)).all():
            raise Fault(f"history[{key!r}] = {values.round(4).tolist()}: accuracies are fractions in [0, 1]",
                        tags=("percent",))
        out[key] = values
    return out


def fashion(ctx, flatten: bool, quick: dict = QUICK):
    """Fashion-MNIST's train, validation (the last 10,000 training images, held out) and test
    images and labels: ``FULL``, or the first ``quick`` ones with ``--quick``. Data that cannot be
    loaded is the grader's set-up fault, not the student's, and the Fault says so."""
    sizes = quick if ctx.quick else FULL
    parts = []
    for split, n in zip(("train", "validation", "test"), (sizes["train"], sizes["val"], sizes["test"])):
        try:
            data = load("fashion-mnist", split, data_dir=ctx.data_dir, flatten=flatten, validation_size=10_000)
        except Exception as exc:  # noqa: BLE001 - any failure to read the data stops the test the same way
            raise Fault(f"the grader could not load Fashion-MNIST ({exc}); give it --data-dir",
                        tags=("no-data",)) from None
        parts.append((data.x[:n], data.y[:n]))
    return parts


def training_run(cls, args, settings, flatten):
    """The shared run: construct, train on Fashion-MNIST, return (handle, history, test accuracy)."""

    def run(ctx):
        (X, y), (Xv, yv), (Xt, yt) = fashion(ctx, flatten)
        epochs = settings["quick_epochs" if ctx.quick else "epochs"]
        handle = ctx.sub.new(cls, *args)
        ctx.sub.call(handle, "train", X, y, Xv, yv, epochs, settings["batch_size"], settings["lr"])
        history = history_of(ctx, handle, epochs)
        predicted = np.concatenate([as_array("predict", ctx.sub.call(handle, "predict", Xt[i:i + 1000])).reshape(-1)
                                    for i in range(0, len(Xt), 1000)])
        if predicted.shape != yt.shape:
            raise Fault(f"predict on {len(Xt)} test images returned {predicted.size} values: one class index per image",
                        tags=("predict",))
        return handle, history, float((predicted == yt).mean()), len(X), epochs

    return run


def overall(cls, settings, bar, quick_bar):
    def check(ctx):
        _, _, accuracy, n, epochs = ctx.once("run", lambda: settings["run"](ctx))
        need = quick_bar if ctx.quick else bar
        setup = (f"trained {epochs} epoch(s) on {n:,} images, batch {settings['batch_size']}, lr {settings['lr']}")
        line = f"test accuracy {accuracy:.4f} ({setup}); the bar is {need}"
        if ctx.quick:
            line += f" (provisional: --quick trains on a subset; the real grade trains on {FULL['train']:,} images, bar {bar})"
        if accuracy < need:
            raise Fault(line, tags=("accuracy",))
        return Outcome(1.0, [line])

    return check


def verdicts(history: dict) -> set[str]:
    """chainrule's judgement of per-epoch curves, with the thresholds nudged both ways so that a
    run on a threshold accepts either side."""
    epochs = list(range(1, len(history["train_loss"]) + 1))
    record = History(iteration=epochs, train_loss=list(history["train_loss"]), train_acc=list(history["train_acc"]),
                     eval_iteration=epochs, eval_loss=list(history["val_loss"]), eval_acc=list(history["val_acc"]))
    found = set()
    for nudge in (-1, 0, 1):
        found.add(judge(record, min_train_acc=0.80 + 0.002 * nudge, acc_gap=0.05 + 0.002 * nudge,
                        loss_rise=0.10 + 0.002 * nudge).verdict)
    return found


def judgement(settings):
    """The student's report_my_judgement() after the overall test's run, against chainrule's."""

    def check(ctx):
        handle, history, *_ = ctx.once("run", lambda: settings["run"](ctx))
        got = ctx.sub.call(handle, "report_my_judgement")
        expected = verdicts(history)
        if got not in expected:
            last = {k: round(float(v[-1]), 4) for k, v in history.items()}
            raise Fault(f"report_my_judgement() = {got!r}; chainrule judges your curves "
                        f"{' or '.join(sorted(expected))} (last epoch: {last}; the rules are in the docstring)",
                        tags=("judgement",))

    return check
