"""Initialisation: the default init of Linear and Conv2d (PyTorch's U(−1/√fan_in, 1/√fan_in))
and every ``nn.init`` function, checked statistically (bounds, spread, mean) with enough
draws that the tolerances are many standard errors wide; the seeds make them deterministic."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn import init


@pytest.fixture(autouse=True)
def _seed():
    cr.manual_seed(1234)


def _check_uniform(values, bound, std_rtol=0.03, edge=0.01):
    """All inside [−bound, bound], reaching both ends, flat: std bound/√3, mean 0."""
    values = np.asarray(values, dtype=np.float64).ravel()
    assert values.min() >= -bound and values.max() <= bound
    assert values.min() < -bound * (1 - edge) and values.max() > bound * (1 - edge)
    assert values.std() == pytest.approx(bound / math.sqrt(3), rel=std_rtol)
    assert abs(values.mean()) < 0.02 * bound
    # flat: each quarter of the range holds a quarter of the draws
    counts, _ = np.histogram(values, bins=4, range=(-bound, bound))
    np.testing.assert_allclose(counts / values.size, 0.25, atol=0.02)


def _check_normal(values, std, mean=0.0, std_rtol=0.03):
    values = np.asarray(values, dtype=np.float64).ravel()
    assert values.std() == pytest.approx(std, rel=std_rtol)
    assert abs(values.mean() - mean) < 0.03 * std
    # a normal's shape: about 68.3% within one std, and the tails are there
    assert np.mean(np.abs(values - mean) < std) == pytest.approx(0.6827, abs=0.02)
    assert np.abs(values - mean).max() > 3 * std


# ---------------------------------------------------------------- defaults
def test_linear_default_init():
    layer = nn.Linear(500, 400)
    bound = 1 / math.sqrt(500)
    _check_uniform(layer.weight.data, bound)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    b = layer.bias.data
    assert np.all(np.abs(b) <= bound) and np.abs(b).max() > 0.9 * bound
    assert b.std() == pytest.approx(bound / math.sqrt(3), rel=0.15)  # 400 draws only


def test_conv2d_default_init():
    layer = nn.Conv2d(16, 32, 5)  # fan_in = 16·5·5 = 400
    bound = 1 / math.sqrt(400)
    _check_uniform(layer.weight.data, bound)
    assert np.all(np.abs(layer.bias.data) <= bound) and np.abs(layer.bias.data).max() > 0.5 * bound


def test_conv2d_fan_in_counts_the_receptive_field():
    layer = nn.Conv2d(3, 200, (4, 2))  # fan_in 24: bound ≈ 0.204
    _check_uniform(layer.weight.data, 1 / math.sqrt(24))


def test_default_init_distribution_equals_torchs():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    for ours, theirs in [(nn.Linear(300, 200), torch.nn.Linear(300, 200)),
                         (nn.Conv2d(8, 64, 3), torch.nn.Conv2d(8, 64, 3))]:
        a = np.sort(ours.weight.data.ravel())
        b = np.sort(theirs.weight.detach().numpy().ravel())
        qs = np.linspace(0, 1, 21)
        bound = float(b.max())
        np.testing.assert_allclose(np.quantile(a, qs), np.quantile(b, qs), atol=0.03 * bound)
        assert a.std() == pytest.approx(b.std(), rel=0.03)


def test_default_init_follows_the_seed():
    cr.manual_seed(7)
    first = nn.Linear(20, 10).weight.data.copy()
    cr.manual_seed(7)
    np.testing.assert_array_equal(nn.Linear(20, 10).weight.data, first)
    assert not np.array_equal(nn.Linear(20, 10).weight.data, first)


# ---------------------------------------------------------------- nn.init
def _weight(*shape):
    return nn.Parameter(np.empty(shape, np.float32))


def test_fan_in_and_fan_out_equal_torchs():
    torch = pytest.importorskip("torch")
    from torch.nn.init import _calculate_fan_in_and_fan_out as torch_fans

    for shape in [(3, 4), (8, 3, 5, 5), (2, 3, 4), (10, 1, 1, 1)]:
        assert init._calculate_fan_in_and_fan_out(_weight(*shape)) == torch_fans(torch.empty(shape))
    with pytest.raises(ValueError):
        init._calculate_fan_in_and_fan_out(_weight(5))
    with pytest.raises(ValueError):
        torch_fans(torch.empty(5))


def test_calculate_gain_equals_torchs():
    torch = pytest.importorskip("torch")
    for name in ["linear", "conv2d", "sigmoid", "tanh", "relu", "selu"]:
        assert init.calculate_gain(name) == torch.nn.init.calculate_gain(name), name
    for slope in [None, 0.2, 0.0, 1.0]:
        assert init.calculate_gain("leaky_relu", slope) == torch.nn.init.calculate_gain("leaky_relu", slope)
    with pytest.raises(ValueError):
        init.calculate_gain("swish")


@pytest.mark.parametrize("gain", [1.0, math.sqrt(2)])
def test_xavier_uniform(gain):
    w = _weight(300, 200)
    assert init.xavier_uniform_(w, gain=gain) is w
    _check_uniform(w.data, gain * math.sqrt(6 / 500))


def test_xavier_normal():
    w = _weight(64, 32, 3, 3)  # fans 288 and 576
    init.xavier_normal_(w, gain=2.0)
    _check_normal(w.data, 2.0 * math.sqrt(2 / (288 + 576)))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming_uniform_for_relu(mode):
    w = _weight(256, 128, 3)  # fan_in 384, fan_out 768
    init.kaiming_uniform_(w, mode=mode, nonlinearity="relu")
    fan = 384 if mode == "fan_in" else 768
    _check_uniform(w.data, math.sqrt(6 / fan))


def test_kaiming_uniform_with_a_sqrt5_is_the_default_layer_init():
    w = _weight(400, 250)
    init.kaiming_uniform_(w, a=math.sqrt(5))
    _check_uniform(w.data, 1 / math.sqrt(250))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming_normal(mode):
    w = _weight(128, 64, 3, 3)  # fan_in 576, fan_out 1152
    init.kaiming_normal_(w, mode=mode, nonlinearity="relu")
    _check_normal(w.data, math.sqrt(2 / (576 if mode == "fan_in" else 1152)))


def test_kaiming_normal_leaky_relu_default_slope():
    w = _weight(300, 300)
    init.kaiming_normal_(w)  # a = 0 → gain √2 (the slope is a, not 0.01)
    _check_normal(w.data, math.sqrt(2 / 300))
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_normal_(w, mode="fan_avg")


def test_normal_and_uniform():
    w = _weight(400, 300)
    init.normal_(w, mean=0.5, std=0.1)
    _check_normal(w.data, 0.1, mean=0.5)
    init.normal_(w)
    _check_normal(w.data, 1.0)
    init.uniform_(w, -3.0, 1.0)
    _check_uniform(w.data + 1.0, 2.0)  # U(−3, 1) is U(−2, 2) shifted by −1
    init.uniform_(w)
    assert w.data.min() >= 0 and w.data.max() <= 1 and w.data.mean() == pytest.approx(0.5, abs=0.01)


def test_constants():
    w = _weight(5, 4)
    assert init.zeros_(w) is w and np.all(w.data == 0)
    assert init.ones_(w) is w and np.all(w.data == 1)
    assert init.constant_(w, 0.1) is w and np.all(w.data == np.float32(0.1))
    assert w.dtype == np.float32


def test_c3_recipes_zero_and_small_random():
    """C3's inits: everything zero; 0.1·randn weights with biases 0.1 (C3.4, C4)."""
    model = nn.Sequential(nn.Linear(784, 200), nn.Sigmoid(), nn.Linear(200, 10))
    for p in model.parameters():
        init.zeros_(p)
    assert all(np.all(p.data == 0) for p in model.parameters())
    for m in model.modules():
        if isinstance(m, nn.Linear):
            init.normal_(m.weight, 0, 0.1)
            init.constant_(m.bias, 0.1)
    _check_normal(model[0].weight.data, 0.1)
    assert np.all(model[2].bias.data == np.float32(0.1))
