"""sigmoid, tanh, relu, leaky_relu, elu, step, softmax, log_softmax: finite differences
away from the kinks, PyTorch parity including exact values at the kinks and extremes."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.nn import functional as F
from gradcheck import away_from, fd_check, parity, randn

SMOOTH = {
    "sigmoid": (F.sigmoid, lambda t: t.sigmoid()),
    "tanh": (F.tanh, lambda t: t.tanh()),
}

# functions with a kink at 0: finite differences keep 0.1 away from it
KINKED = {
    "relu": F.relu,
    "relu_method": lambda t: t.relu(),
    "leaky_relu": F.leaky_relu,
    "leaky_relu_0.2": lambda t: F.leaky_relu(t, 0.2),
    "elu": F.elu,
    "elu_alpha_0.5": lambda t: F.elu(t, alpha=0.5),
    "step": F.step,
}


def _torch_activations():
    torch = pytest.importorskip("torch")
    TF = torch.nn.functional
    return {
        "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": TF.relu, "relu_method": TF.relu,
        "leaky_relu": TF.leaky_relu, "leaky_relu_0.2": lambda t: TF.leaky_relu(t, 0.2),
        "elu": TF.elu, "elu_alpha_0.5": lambda t: TF.elu(t, alpha=0.5),
        # heaviside has no derivative in torch; `0 * tanh(t)` adds an exact zero gradient path
        "step": lambda t: torch.heaviside(t.detach(), torch.ones(())) + 0 * torch.tanh(t),
    }


# ------------------------------------------------------------------ finite differences
@pytest.mark.parametrize("name", SMOOTH)
def test_smooth_activation_fd(name):
    for fn in SMOOTH[name]:
        fd_check(fn, randn(3, 4, seed=1) * 3)


@pytest.mark.parametrize("name", KINKED)
def test_kinked_activation_fd(name):
    fd_check(KINKED[name], away_from((3, 4), seed=2))


def test_step_gradient_is_zero():
    x = cr.tensor(away_from((3, 4), seed=3), requires_grad=True)
    F.step(x).backward(cr.ones(3, 4, dtype=cr.float64))
    assert x.grad is not None and not np.any(x.grad.data)


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax, lambda t, d: t.softmax(d), lambda t, d: cr.log_softmax(t, d)])
def test_softmax_fd(fn, dim):
    fd_check(lambda t: fn(t, dim), randn(3, 4, 2, seed=4) * 2)


# ------------------------------------------------------------------ PyTorch parity
@pytest.mark.parametrize("name", [*SMOOTH, *KINKED])
def test_activation_parity(name):
    ours = SMOOTH[name][0] if name in SMOOTH else KINKED[name]
    parity(ours, _torch_activations()[name], randn(4, 5, seed=5) * 3)


@pytest.mark.parametrize("name", [*SMOOTH, *KINKED])
def test_activation_at_zero_and_extremes_parity(name):
    # exactly 0 (and -0.0) at the kinks: relu'(0) = 0, leaky_relu'(0) = slope,
    # elu'(0) = alpha, step(0) = 1 with gradient 0; huge inputs saturate without nan.
    x = np.array([0.0, -0.0, 1e-30, -1e-30, 100.0, -100.0, 1e4, -1e4, np.inf, -np.inf], dtype=np.float32)
    ours = SMOOTH[name][0] if name in SMOOTH else KINKED[name]
    parity(ours, _torch_activations()[name], x, rtol=1e-6, atol=0)


@pytest.mark.parametrize("name", ["elu", "elu_alpha_0.5", "sigmoid", "tanh"])
def test_activation_small_inputs_keep_relative_precision(name):
    # float32 values from 1e-7 to 1e-2 in size: α(eˣ − 1) loses all relative precision
    # here unless computed as α·expm1(x), as PyTorch does. No atol: relative error only.
    x = -np.logspace(-7, -2, 11).astype(np.float32)
    x = np.concatenate([x, -x])
    ours = SMOOTH[name][0] if name in SMOOTH else KINKED[name]
    parity(ours, _torch_activations()[name], x, rtol=1e-6, atol=0)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_parity(dim):
    torch = pytest.importorskip("torch")
    x = randn(3, 4, 2, seed=6) * 3
    parity(lambda t: F.softmax(t, dim), lambda t: torch.softmax(t, dim), x)
    parity(lambda t: F.log_softmax(t, dim), lambda t: torch.log_softmax(t, dim), x)


def test_softmax_is_stable_for_huge_logits():
    torch = pytest.importorskip("torch")
    x = np.array([[1000.0, 0.0, -1000.0], [50.0, 50.0, 50.0], [-1e4, -1e4 + 1, -1e4 + 2]])
    parity(lambda t: F.softmax(t, 1), lambda t: torch.softmax(t, 1), x)
    _, _, co, _ = parity(lambda t: F.log_softmax(t, 1), lambda t: torch.log_softmax(t, 1), x)
    assert np.all(np.isfinite(co.data))


@pytest.mark.parametrize("name", ["relu", "elu", "softmax"])  # sigmoid computes ints in float32, as in PyTorch
def test_integer_input_names_dtype(name):
    fn = {"relu": F.relu, "elu": F.elu, "softmax": lambda t: F.softmax(t, 0)}[name]
    with pytest.raises(TypeError, match="int64"):
        fn(cr.tensor([1, 2, 3]))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_dims_are_checked_and_0d_works_as_in_torch(name):
    torch = pytest.importorskip("torch")
    fn = getattr(F, name)
    with pytest.raises(IndexError, match=rf"{name}: dim 2 is out of range for a 2-d tensor"):
        fn(cr.randn(2, 3), 2)
    x = cr.tensor(3.0, requires_grad=True)
    out = fn(x, -1)
    out.backward()
    reference = getattr(torch, name)(torch.tensor(3.0), -1)
    assert out.item() == reference.item() and x.grad.item() == 0.0


# ------------------------------------------------ gelu, silu, softplus, hardtanh, relu6, mish
NEW_SMOOTH = {
    "gelu": F.gelu,
    "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
    "silu": F.silu,
    "softplus": F.softplus,
    "softplus_beta2_threshold1": lambda t: F.softplus(t, beta=2.0, threshold=1.0),
    "mish": F.mish,
}
NEW_KINKED = {  # kinks at ±1 (hardtanh), 0 and 6 (relu6); softplus(β=2, threshold=1) switches at x = ½
    "hardtanh": (F.hardtanh, (-1.0, 1.0)),
    "hardtanh_-2_0.5": (lambda t: F.hardtanh(t, -2.0, 0.5), (-2.0, 0.5)),
    "relu6": (lambda t: F.relu6(t * 4), (0.0, 1.5)),
}


def _torch_new_activations():
    torch = pytest.importorskip("torch")
    TF = torch.nn.functional
    return {
        "gelu": TF.gelu, "gelu_tanh": lambda t: TF.gelu(t, approximate="tanh"), "silu": TF.silu,
        "softplus": TF.softplus, "softplus_beta2_threshold1": lambda t: TF.softplus(t, beta=2.0, threshold=1.0),
        "mish": TF.mish, "hardtanh": TF.hardtanh, "hardtanh_-2_0.5": lambda t: TF.hardtanh(t, -2.0, 0.5),
        "relu6": lambda t: TF.relu6(t * 4),
    }


@pytest.mark.parametrize("name", NEW_SMOOTH)
def test_new_smooth_activation_fd(name):
    # softplus(β=2, threshold=1) has a (tiny) jump in slope at x = ½: keep away from it
    fd_check(NEW_SMOOTH[name], away_from((3, 4), kinks=(0.5,), scale=4.0, seed=7))


@pytest.mark.parametrize("name", NEW_KINKED)
def test_new_kinked_activation_fd(name):
    fn, kinks = NEW_KINKED[name]
    fd_check(fn, away_from((4, 5), kinks=kinks, scale=3.0, seed=8))


@pytest.mark.parametrize("name", [*NEW_SMOOTH, *NEW_KINKED])
def test_new_activation_parity(name):
    ours = NEW_SMOOTH.get(name) or NEW_KINKED[name][0]
    parity(ours, _torch_new_activations()[name], randn(4, 5, seed=9) * 3)


@pytest.mark.parametrize("name", [*NEW_SMOOTH, *NEW_KINKED])
def test_new_activation_at_kinks_and_extremes_parity(name):
    # the ends of hardtanh's range get gradient 0 as in PyTorch; softplus switches to the
    # identity past its threshold; large inputs saturate without nan or overflow
    x = np.array([0.0, -0.0, 1.0, -1.0, -2.0, 0.5, 1.5, 6.0, 20.0, 21.0, -20.0, 100.0, -100.0, 1e4, -1e4],
                 dtype=np.float32)
    ours = NEW_SMOOTH.get(name) or NEW_KINKED[name][0]
    parity(ours, _torch_new_activations()[name], x, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "silu", "mish", "softplus"])
def test_new_activation_small_inputs_keep_relative_precision(name):
    x = -np.logspace(-7, -2, 11).astype(np.float32)
    x = np.concatenate([x, -x])
    parity(NEW_SMOOTH[name], _torch_new_activations()[name], x, rtol=1e-6, atol=0)


def test_new_activations_keep_float64():
    x = cr.tensor(randn(3, seed=10))
    for fn in [*NEW_SMOOTH.values(), *(f for f, _ in NEW_KINKED.values())]:
        assert fn(x).dtype == np.float64


def test_gelu_rejects_an_unknown_approximation():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'erf'"):
        F.gelu(cr.randn(3), approximate="erf")


def test_hardtanh_rejects_min_above_max():
    with pytest.raises(ValueError, match=r"min_val \(2\) must not exceed max_val \(1\)"):
        F.hardtanh(cr.randn(3), 2, 1)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "silu", "relu6", "mish", "hardtanh"])
def test_activations_accept_inplace_as_pytorch(name):
    torch = pytest.importorskip("torch")
    x = randn(6, seed=11).astype(np.float32)
    ours = getattr(F, name)(cr.tensor(x), inplace=True)
    theirs = getattr(torch.nn.functional, name)(torch.tensor(x), inplace=True)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
