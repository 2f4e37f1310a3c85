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


def _np(t) -> np.ndarray:
    """A tensor's values (``numpy()`` refuses a tensor that requires grad, as in PyTorch)."""
    return t.detach().numpy()


# ---------------------------------------------------------------- defaults
def test_linear_default_init():
    layer = nn.Linear(500, 400)
    bound = 1 / math.sqrt(500)
    _check_uniform(_np(layer.weight), bound)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    b = _np(layer.bias)
    assert np.all(np.abs(b) <= bound) and np.abs(b).max() > 0.9 * bound
    assert b.std() == pytest.approx(bound / math.sqrt(3), rel=0.15)  # 400 draws only


def test_conv2d_default_init():
    layer = nn.Conv2d(16, 32, 5)  # fan_in = 16·5·5 = 400
    bound = 1 / math.sqrt(400)
    _check_uniform(_np(layer.weight), bound)
    assert np.all(np.abs(_np(layer.bias)) <= bound) and np.abs(_np(layer.bias)).max() > 0.5 * bound


def test_conv2d_fan_in_counts_the_receptive_field():
    layer = nn.Conv2d(3, 200, (4, 2))  # fan_in 24: bound ≈ 0.204
    _check_uniform(_np(layer.weight), 1 / math.sqrt(24))


def test_default_init_distribution_equals_torchs():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    for ours, theirs in [(nn.Linear(300, 200), torch.nn.Linear(300, 200)),
                         (nn.Conv2d(8, 64, 3), torch.nn.Conv2d(8, 64, 3))]:
        a = np.sort(_np(ours.weight).ravel())
        b = np.sort(theirs.weight.detach().numpy().ravel())
        qs = np.linspace(0, 1, 21)
        bound = float(b.max())
        np.testing.assert_allclose(np.quantile(a, qs), np.quantile(b, qs), atol=0.03 * bound)
        assert a.std() == pytest.approx(b.std(), rel=0.03)


def test_default_init_follows_the_seed():
    cr.manual_seed(7)
    first = _np(nn.Linear(20, 10).weight).copy()
    cr.manual_seed(7)
    np.testing.assert_array_equal(_np(nn.Linear(20, 10).weight), first)
    assert not np.array_equal(_np(nn.Linear(20, 10).weight), first)


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
    _check_uniform(_np(w), gain * math.sqrt(6 / 500))


def test_xavier_normal():
    w = _weight(64, 32, 3, 3)  # fans 288 and 576
    init.xavier_normal_(w, gain=2.0)
    _check_normal(_np(w), 2.0 * math.sqrt(2 / (288 + 576)))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming_uniform_for_relu(mode):
    w = _weight(256, 128, 3)  # fan_in 384, fan_out 768
    init.kaiming_uniform_(w, mode=mode, nonlinearity="relu")
    fan = 384 if mode == "fan_in" else 768
    _check_uniform(_np(w), math.sqrt(6 / fan))


def test_kaiming_uniform_with_a_sqrt5_is_the_default_layer_init():
    w = _weight(400, 250)
    init.kaiming_uniform_(w, a=math.sqrt(5))
    _check_uniform(_np(w), 1 / math.sqrt(250))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming_normal(mode):
    w = _weight(128, 64, 3, 3)  # fan_in 576, fan_out 1152
    init.kaiming_normal_(w, mode=mode, nonlinearity="relu")
    _check_normal(_np(w), math.sqrt(2 / (576 if mode == "fan_in" else 1152)))


def test_kaiming_normal_leaky_relu_default_slope():
    w = _weight(300, 300)
    init.kaiming_normal_(w)  # a = 0 → gain √2 (the slope is a, not 0.01)
    _check_normal(_np(w), math.sqrt(2 / 300))
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_normal_(w, mode="fan_avg")


def test_normal_and_uniform():
    w = _weight(400, 300)
    init.normal_(w, mean=0.5, std=0.1)
    _check_normal(_np(w), 0.1, mean=0.5)
    init.normal_(w)
    _check_normal(_np(w), 1.0)
    init.uniform_(w, -3.0, 1.0)
    _check_uniform(_np(w) + 1.0, 2.0)  # U(−3, 1) is U(−2, 2) shifted by −1
    init.uniform_(w)
    assert _np(w).min() >= 0 and _np(w).max() <= 1 and _np(w).mean() == pytest.approx(0.5, abs=0.01)


def test_constants():
    w = _weight(5, 4)
    assert init.zeros_(w) is w and np.all(_np(w) == 0)
    assert init.ones_(w) is w and np.all(_np(w) == 1)
    assert init.constant_(w, 0.1) is w and np.all(_np(w) == np.float32(0.1))
    assert w.dtype == np.float32


def test_c3_recipes_zero_and_small_random():
    """C3's inits: everything zero; 0.1·randn weights with biases 0.1 (C3.4, C4)."""
    model = nn.Sequential(nn.Linear(784, 200), nn.Sigmoid(), nn.Linear(200, 10))
    for p in model.parameters():
        init.zeros_(p)
    assert all(np.all(_np(p) == 0) for p in model.parameters())
    for m in model.modules():
        if isinstance(m, nn.Linear):
            init.normal_(m.weight, 0, 0.1)
            init.constant_(m.bias, 0.1)
    _check_normal(_np(model[0].weight), 0.1)
    assert np.all(_np(model[2].bias) == np.float32(0.1))


# ------------------------------------------------- trunc_normal_, orthogonal_, generator=, signatures
def _truncated_std(std, alpha, beta):
    """Standard deviation of N(0, std²) truncated to [alpha·std, beta·std]."""
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    mass = cdf(beta) - cdf(alpha)
    mean = (pdf(alpha) - pdf(beta)) / mass
    return std * math.sqrt(1 + (alpha * pdf(alpha) - beta * pdf(beta)) / mass - mean ** 2)


def test_trunc_normal_default_bounds_and_spread():
    w = _weight(400, 300)
    assert init.trunc_normal_(w) is w
    values = _np(w).astype(np.float64)
    assert values.min() >= -2 and values.max() <= 2
    assert values.min() < -1.98 and values.max() > 1.98
    assert values.std() == pytest.approx(_truncated_std(1.0, -2, 2), rel=0.01)
    assert abs(values.mean()) < 0.01


def test_trunc_normal_bounds_are_absolute_as_in_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    w = _weight(500, 200)
    init.trunc_normal_(w, mean=0.0, std=0.02, a=-0.04, b=0.04)  # ViT's recipe: ±2 std
    theirs = torch.nn.init.trunc_normal_(torch.empty(500, 200), std=0.02, a=-0.04, b=0.04).numpy()
    ours = _np(w).astype(np.float64)
    assert ours.min() >= -0.04 and ours.max() <= 0.04
    assert ours.std() == pytest.approx(_truncated_std(0.02, -2, 2), rel=0.01)
    assert ours.std() == pytest.approx(theirs.std(), rel=0.01)
    qs = np.linspace(0.05, 0.95, 19)
    np.testing.assert_allclose(np.quantile(ours, qs), np.quantile(theirs, qs), atol=0.001)


def test_trunc_normal_one_sided_interval():
    w = _weight(300, 300)
    init.trunc_normal_(w, mean=1.0, std=2.0, a=1.0, b=100.0)  # a half-normal above 1
    values = _np(w).astype(np.float64)
    assert values.min() >= 1.0
    assert values.mean() == pytest.approx(1.0 + 2.0 * math.sqrt(2 / math.pi), rel=0.01)


def test_trunc_normal_rejects_empty_or_hopeless_intervals():
    with pytest.raises(ValueError, match="a < b"):
        init.trunc_normal_(_weight(3, 3), a=1.0, b=1.0)
    with pytest.raises(ValueError, match="holds only"):
        init.trunc_normal_(_weight(3, 3), a=8.0, b=9.0)


@pytest.mark.parametrize("shape", [(50, 80), (80, 50), (64, 64), (16, 4, 3, 3)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal(shape, gain):
    w = _weight(*shape)
    assert init.orthogonal_(w, gain=gain) is w
    flat = _np(w).reshape(shape[0], -1).astype(np.float64)
    rows, cols = flat.shape
    gram = flat @ flat.T if rows <= cols else flat.T @ flat
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(min(rows, cols)), atol=1e-5 * gain ** 2)


def test_orthogonal_is_haar_distributed_like_torchs():
    # the sign fix makes Q uniform: each entry of a random orthogonal n×n matrix has variance 1/n
    torch = pytest.importorskip("torch")
    w = _weight(200, 200)
    init.orthogonal_(w)
    theirs = torch.nn.init.orthogonal_(torch.empty(200, 200)).numpy()
    assert _np(w).std() == pytest.approx(1 / math.sqrt(200), rel=0.02)
    assert _np(w).std() == pytest.approx(theirs.std(), rel=0.02)
    assert abs(np.diag(_np(w)).mean()) < 0.02  # without the sign fix the diagonal leans positive


def test_orthogonal_needs_a_matrix():
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(_weight(5))


def test_generator_argument_makes_draws_independent_of_the_global_seed():
    names = ["uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_",
             "kaiming_uniform_", "kaiming_normal_", "orthogonal_"]
    for name in names:
        fn = getattr(init, name)
        cr.manual_seed(1)
        first = _np(fn(_weight(6, 5), generator=cr.Generator().manual_seed(3))).copy()
        cr.manual_seed(2)
        again = _np(fn(_weight(6, 5), generator=cr.Generator().manual_seed(3)))
        np.testing.assert_array_equal(again, first, err_msg=name)
        assert not np.array_equal(_np(fn(_weight(6, 5))), first), name


def test_init_signatures_match_torchs():
    torch = pytest.importorskip("torch")
    import inspect

    for name in ["uniform_", "normal_", "constant_", "zeros_", "ones_", "xavier_uniform_", "xavier_normal_",
                 "kaiming_uniform_", "kaiming_normal_", "trunc_normal_", "orthogonal_", "calculate_gain"]:
        ours = inspect.signature(getattr(init, name)).parameters
        theirs = inspect.signature(getattr(torch.nn.init, name)).parameters
        assert list(ours) == list(theirs), name
        for p in ours:
            assert ours[p].default == theirs[p].default, (name, p)


def test_calculate_gain_rejects_a_non_number_slope_as_torch():
    torch = pytest.importorskip("torch")
    for bad in ["0.1", True]:
        with pytest.raises(ValueError):
            torch.nn.init.calculate_gain("leaky_relu", bad)
        with pytest.raises(ValueError, match="not a valid number"):
            init.calculate_gain("leaky_relu", bad)
