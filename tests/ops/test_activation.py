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
