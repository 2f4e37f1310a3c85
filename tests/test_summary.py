"""summary(): per-layer output shapes and parameter counts (C2's, checked against the
exercise's numbers), totals with a frozen layer, no side effects on BatchNorm statistics,
training mode or the random generator, and the printed table."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn


def c2_cnn():
    """C2: conv 20@5x5 → ReLU → max-pool 2 → flatten → dense 100 → ReLU → dense 10."""
    return nn.Sequential(nn.Conv2d(1, 20, 5), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(),
                         nn.Linear(2880, 100), nn.ReLU(), nn.Linear(100, 10))


def c6_cnn():
    blocks, channels = [], 1
    for width in (32, 64, 128, 256):
        blocks.append(nn.Sequential(nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                    nn.BatchNorm2d(width), nn.Dropout(0.3)))
        channels = width
    return nn.Sequential(*blocks, nn.Flatten(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


C2_ROWS = [
    # name, type, output shape, learnable parameters
    ("0", "Conv2d", (1, 20, 24, 24), 20 * 1 * 5 * 5 + 20),  # 520
    ("1", "ReLU", (1, 20, 24, 24), 0),
    ("2", "MaxPool2d", (1, 20, 12, 12), 0),
    ("3", "Flatten", (1, 2880), 0),
    ("4", "Linear", (1, 100), 2880 * 100 + 100),  # 288,100
    ("5", "ReLU", (1, 100), 0),
    ("6", "Linear", (1, 10), 100 * 10 + 10),  # 1,010
]


def test_c2_rows_and_totals():
    s = cr.summary(c2_cnn(), (1, 1, 28, 28))
    assert [(r.name, r.type, r.output_shape, r.params) for r in s.rows] == C2_ROWS
    assert [r.params for r in s.rows if r.params] == [520, 288_100, 1_010]
    assert s.total_params == 289_630 == sum(r.params for r in s.rows)
    assert s.trainable_params == 289_630 and s.non_trainable_params == 0
    assert s.output_shape == (1, 10) and s.input_size == (1, 1, 28, 28)
    assert all(r.trainable for r in s.rows)


def test_batch_dimension_is_carried_through():
    s = cr.summary(c2_cnn(), (16, 1, 28, 28))
    assert [r.output_shape[0] for r in s.rows] == [16] * 7 and s.output_shape == (16, 10)


def test_a_frozen_layer_counts_as_non_trainable():
    model = c2_cnn()
    model[4].requires_grad_(False)
    s = cr.summary(model, (1, 1, 28, 28))
    assert s.total_params == 289_630
    assert s.trainable_params == 520 + 1_010
    assert s.non_trainable_params == 288_100
    assert [r.trainable for r in s.rows if r.params] == [True, False, True]
    text = str(s)
    assert "Trainable params: 1,530" in text and "Non-trainable params: 288,100" in text


def test_totals_agree_with_torchinfo_style_counting_for_c6():
    pytest.importorskip("torch")
    from torch_twin import build

    model = c6_cnn()
    s = cr.summary(model, (2, 1, 28, 28))
    assert s.total_params == sum(p.numel() for p in build(model).parameters())
    assert s.total_params == sum(p.numel() for p in model.parameters())
    names = [r.name for r in s.rows]
    assert names[:5] == ["0.0", "0.1", "0.2", "0.3", "0.4"] and names[-1] == "7"
    # conv 3x3 + BatchNorm γ, β per block
    bn_rows = [r for r in s.rows if r.type == "BatchNorm2d"]
    assert [r.params for r in bn_rows] == [64, 128, 256, 512]
    assert [r.output_shape for r in s.rows if r.type == "MaxPool2d"] == [
        (2, 32, 14, 14), (2, 64, 7, 7), (2, 128, 3, 3), (2, 256, 1, 1)]


def test_summary_has_no_side_effects():
    model = c6_cnn()
    model.train()
    model(cr.randn(4, 1, 28, 28))  # some real statistics to protect
    model[1][0].eval()  # a mixed-mode tree
    before = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    modes = [m.training for m in model.modules()]
    hooks = [dict(m._forward_hooks) for m in model.modules()]
    rng = cr.get_rng_state()

    cr.summary(model, (3, 1, 28, 28))

    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.data, before[k], err_msg=k)
    bn = model[0][3]
    assert int(bn.num_batches_tracked.data) == 1
    assert [m.training for m in model.modules()] == modes
    assert [dict(m._forward_hooks) for m in model.modules()] == hooks  # its own hooks removed
    assert cr.get_rng_state() == rng  # dropout drew nothing
    assert all(p.grad is None for p in model.parameters())


def test_summary_restores_state_even_when_the_forward_fails():
    model = c2_cnn().train()
    with pytest.raises(nn.LayerError):
        cr.summary(model, (1, 1, 32, 32))
    assert model.training and all(m.training for m in model.modules())
    assert all(not m._forward_hooks for m in model.modules())
    assert len(cr.summary(model, (1, 1, 28, 28)).rows) == 7  # no stale rows from the failed run


def test_str_contains_the_table():
    text = str(cr.summary(c2_cnn(), (1, 1, 28, 28)))
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("Layer"))
    assert header.split() == ["Layer", "Type", "Output", "shape", "Param", "#"]
    for name, kind, shape, params in C2_ROWS:
        row = next(line for line in lines if line.split()[:2] == [name, kind])
        assert str(list(shape)) in row and row.rstrip().endswith(f"{params:,}")
    assert "Total params: 289,630" in text
    assert "Trainable params: 289,630" in text
    assert "Non-trainable params: 0" in text
    assert "Input size: [1, 1, 28, 28]" in text
    assert "288,100" in text and "1,010" in text and "520" in text
