"""Dropout in training mode, statistically: each element survives with probability 1 − p,
survivors are scaled by exactly 1/(1 − p), the gradient is zero where an element was
dropped and 1/(1 − p) times the upstream gradient elsewhere; evaluation is the identity."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

SHAPE = (400, 250)  # 100 000 elements: the survival rate's standard error is about 0.0015


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.8])
def test_survival_rate_and_scaling(p):
    cr.manual_seed(0)
    layer = nn.Dropout(p)
    x = cr.ones(*SHAPE, requires_grad=True)
    y = layer(x)
    kept = y.detach().numpy() != 0
    assert kept.mean() == pytest.approx(1 - p, abs=0.01)
    scale = np.float32(1) / np.float32(1 - p)
    np.testing.assert_allclose(y.detach().numpy()[kept], scale, rtol=1e-6)
    assert y.detach().numpy().mean() == pytest.approx(1.0, abs=0.03)  # unbiased: E[y] = x
    # independent elements: every row keeps about the same share
    assert kept.mean(axis=1).std() == pytest.approx(np.sqrt(p * (1 - p) / SHAPE[1]), rel=0.2)
    g = np.random.default_rng(1).standard_normal(SHAPE).astype(np.float32)
    y.backward(cr.tensor(g))
    np.testing.assert_array_equal(x.grad.detach().numpy()[~kept], 0)
    np.testing.assert_allclose(x.grad.detach().numpy()[kept], g[kept] * scale, rtol=1e-6)


def test_masks_differ_between_calls_and_follow_the_seed():
    layer = nn.Dropout(0.5)
    x = cr.ones(50, 50)
    cr.manual_seed(3)
    a, b = layer(x).detach().numpy(), layer(x).detach().numpy()
    assert not np.array_equal(a, b)
    cr.manual_seed(3)
    np.testing.assert_array_equal(layer(x).detach().numpy(), a)


def test_eval_mode_is_the_identity_and_draws_nothing():
    layer = nn.Dropout(0.5).eval()
    x = cr.randn(20, 30, requires_grad=True)
    state = cr.get_rng_state()
    y = layer(x)
    assert cr.get_rng_state() == state
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy())
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), 1)


def test_p_zero_and_one():
    x = cr.randn(10, 10, requires_grad=True)
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).detach().numpy(), x.detach().numpy())
    y = nn.Dropout(1.0)(x)
    assert np.all(y.detach().numpy() == 0)
    y.sum().backward()
    assert np.all(x.grad.detach().numpy() == 0)


def test_dtype_is_kept():
    x = cr.ones(30, 30, dtype=np.float64)
    assert nn.Dropout(0.3)(x).dtype == np.float64


def test_bad_probability():
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            nn.Dropout(p)


def test_survivor_scale_equals_torchs():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.Dropout(0.3)(torch.ones(1000))
    ours = nn.Dropout(0.3)(cr.ones(1000))
    assert np.unique(ours.detach().numpy()[ours.detach().numpy() != 0]).tolist() == np.unique(theirs[theirs != 0].numpy()).tolist()
