"""C6: ``pytorch_cnn.py``, a deeper CNN with batch norm and dropout (10 marks).

Marks as section E: constructor (the exact layer stack) 6 = one per conv block (4), the dense
head 1, ``num_classes`` and the seed 1 (hidden) · overall test 2 (test accuracy ≥ 0.85 on
Fashion-MNIST, 3 epochs of Adam 0.001, batch 64) · judgement 2.

A block is judged on its own: its in_channels must follow from the block before (a block that
is wrong only because the one before changed the channels keeps its mark), its out_channels,
kernel, padding, pool, batch norm and dropout must be the sheet's. Blocks are matched by their
channel counts, so a missing block is named as missing instead of shifting every later one.
The training run and the judgement are shared with C5 (:mod:`..models`).
"""

from __future__ import annotations

import difflib

from ...ops.conv import output_size
from ..assignment import Assignment, Fault, Outcome, Test
from ..models import compare_stack, judgement, model_layers, overall, param_line, seeded, spec_params, training_run

CLS = "PyTorchCNN"
CHANNELS = (32, 64, 128, 256)


def block_spec(c_in, c_out):
    return [("Conv2d", {"in_channels": c_in, "out_channels": c_out, "kernel_size": [3, 3], "stride": [1, 1],
                        "padding": [1, 1]}), ("ReLU", {}), ("MaxPool2d", {"kernel_size": 2, "stride": 2}),
            ("BatchNorm2d", {"num_features": c_out}), ("Dropout", {"p": 0.3})]


def head_spec(flat, classes):
    return [("Linear", {"in_features": flat, "out_features": 128}), ("ReLU", {}),
            ("Linear", {"in_features": 128, "out_features": classes})]


def expected_params(classes):
    spec = [l for i, c in enumerate(CHANNELS) for l in block_spec(([1] + list(CHANNELS))[i], c)] + head_spec(256, classes)
    return sum(spec_params(k, s) for k, s in spec)


def split_blocks(rows):
    """The student's leaf layers cut into conv blocks (each starts at a Conv2d) and the head
    (from the first Flatten or Linear on)."""
    blocks, head = [], []
    for row in rows:
        if head or row[1] in ("Flatten", "Linear"):
            head.append(row)
        elif row[1] == "Conv2d" or not blocks:
            blocks.append([row])
        else:
            blocks[-1].append(row)
    return blocks, head


def out_channels(block):
    return next((r[2].get("out_channels") for r in block if r[1] == "Conv2d"), None)


def flat_size(blocks):
    """The flattened size after the student's blocks, 28x28 input, each Conv2d and MaxPool2d
    sized as PyTorch sizes it."""
    side, channels = 28, 1
    for block in blocks:
        for _, kind, s, _ in block:
            if kind in ("Conv2d", "MaxPool2d"):
                kernel, stride, padding = (_height(s.get(key, default)) for key, default in
                                           (("kernel_size", 1), ("stride", s.get("kernel_size")), ("padding", 0)))
                side = output_size(side, kernel, stride, padding)
                channels = s.get("out_channels", channels)
    return channels * side * side


def _height(value) -> int:
    """A layer setting's first (height) entry: PyTorch keeps an int or a pair."""
    return value[0] if isinstance(value, list) else value


def _layers(ctx, classes=10):
    return ctx.once(f"layers {classes}", lambda: model_layers(ctx, ctx.sub.new(CLS, classes, 0)))


def blocks_check(ctx):
    _, rows, total = _layers(ctx)
    blocks, _ = split_blocks(rows)
    got = [out_channels(b) for b in blocks]
    matcher = difflib.SequenceMatcher(a=list(CHANNELS), b=got, autojunk=False)
    pairs = {i: j for block_ in matcher.get_matching_blocks() for i, j in
             zip(range(block_.a, block_.a + block_.size), range(block_.b, block_.b + block_.size))}
    lines, right = [], 0
    for i, c in enumerate(CHANNELS):
        j = pairs.get(i, i if len(got) == len(CHANNELS) else None)
        if j is None or j >= len(blocks):
            lines.append(f"block {i + 1} ({c} channels) is missing: {len(blocks)} conv blocks, expected 4 "
                         f"(channels {got}, expected {list(CHANNELS)})")
            continue
        c_in = 1 if j == 0 else out_channels(blocks[j - 1])
        problems = compare_stack(f"block {i + 1}", blocks[j], block_spec(c_in, c))
        lines.extend(problems)
        right += not problems
    if right < 4:
        lines.append(param_line(total, expected_params(10)))
    return Outcome(right / 4, lines, ("architecture",) if right < 4 else ())


def head_check(ctx):
    _, rows, total = _layers(ctx)
    blocks, head = split_blocks(rows)
    if not any(r[1] == "Flatten" for r in head):
        raise Fault("the head: no nn.Flatten() between the last block and the first Linear", tags=("architecture",))
    problems = compare_stack("the head", head, head_spec(flat_size(blocks), 10))
    if problems:
        raise Fault("\n".join(problems + [param_line(total, expected_params(10))]), tags=("architecture",))


def classes_check(ctx):
    classes = int(ctx.rng("classes").integers(2, 30))
    _, rows, total = _layers(ctx, classes)
    last = [r for r in rows if r[1] == "Linear"][-1:]
    if not last or last[0][2].get("out_features") != classes:
        got = last[0][2].get("out_features") if last else None
        raise Fault(f"PyTorchCNN({classes}, seed): the last Linear has {got} outputs, expected num_classes = "
                    f"{classes}", tags=("num-classes",))
    seeded(CLS, lambda s: (classes, s))(ctx)


SETTINGS = dict(epochs=3, quick_epochs=3, batch_size=64, lr=0.001)
SETTINGS["run"] = training_run(CLS, (10, 0), SETTINGS, flatten=False)
M = CLS
ASSIGNMENT = Assignment(
    id="C6",
    title="A deeper CNN with batch norm and dropout (pytorch_cnn.py)",
    filename="pytorch_cnn.py",
    solution="c6/pytorch_cnn.py",
    allowed_imports=("torch", "numpy", "matplotlib"),
    engine="torch",
    timeout=600.0,
    graded=(f"{M}.__init__", f"{M}.forward", f"{M}.train", f"{M}.predict", f"{M}.plot_train_val_metrics",
            f"{M}.report_my_judgement"),
    contracts={f"{M}.__init__": ("num_classes", "seed"), f"{M}.forward": ("X",),
               f"{M}.train": ("X_train", "y_train", "X_val", "y_val", "epochs", "batch_size", "lr"),
               f"{M}.predict": ("X",), f"{M}.report_my_judgement": ()},
    tests=(
        Test("constructor: the four conv blocks", 4, blocks_check, (f"{M}.__init__",)),
        Test("constructor: the dense head", 1, head_check, (f"{M}.__init__",)),
        Test("constructor: num_classes and the seed", 1, classes_check, (f"{M}.__init__",), "hidden"),
        Test("overall: test accuracy ≥ 0.85 on Fashion-MNIST", 2, overall(M, SETTINGS, 0.85, 0.7),
             (M, f"{M}.train", f"{M}.predict"), training=True),
        Test("report_my_judgement: your curves", 2, judgement(SETTINGS), (M, f"{M}.train", f"{M}.report_my_judgement"),
             training=True),
    ),
)
