"""Every layer against PyTorch: same weights (loaded both ways through ``load_state_dict``
with PyTorch's own keys), same input → same output, input gradient and parameter gradients.

float32 throughout, rtol 1e-5; the absolute floor is 1e-6 of the largest expected value
(see ``torch_twin.assert_close``). BatchNorm has its own file, test_batchnorm.py.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_twin import torch_single_thread  # noqa: E402,F401  (fixture)

pytestmark = pytest.mark.usefixtures("torch_single_thread")

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402
from torch_twin import (  # noqa: E402
    DIRECTIONS, assert_close, assert_grads_close, assert_states_close, make_pair, t,
)

def compare(layer: nn.Module, x: np.ndarray, direction: str, rtol: float = 1e-5, seed: int = 0):
    """Forward and backward (with a random upstream gradient) in both frameworks."""
    layer, tm = make_pair(layer, direction, seed)
    assert_states_close(layer, tm, rtol=0, scale_atol=0)  # the copy itself is exact
    xc = cr.tensor(x, requires_grad=True)
    xt = t(x).requires_grad_(True)
    yc, yt = layer(xc), tm(xt)
    assert yc.dtype == np.float32
    assert_close(yc, yt, rtol=rtol, what="output")
    g = np.random.default_rng(seed + 1).standard_normal(yt.shape).astype(np.float32)
    yc.backward(cr.tensor(g))
    yt.backward(t(g))
    assert_close(xc.grad, xt.grad, rtol=rtol, what="input grad")
    assert_grads_close(layer, tm, rtol=rtol)
    assert_states_close(layer, tm, rtol=rtol)
    return layer, tm


def _x(*shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


# --------------------------------------------------------------------- Linear
@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("in_f,out_f,bias,shape", [
    (7, 5, True, (6, 7)),
    (7, 5, False, (6, 7)),
    (7, 5, True, (2, 3, 7)),  # extra leading dimensions, as torch allows
    (1, 1, True, (4, 1)),
    (64, 33, True, (8, 64)),
])
def test_linear(direction, in_f, out_f, bias, shape):
    layer = nn.Linear(in_f, out_f, bias=bias)
    assert (layer.bias is None) == (not bias)
    compare(layer, _x(*shape), direction)


# --------------------------------------------------------------------- Conv2d
CONV_CASES = [
    # in, out, kernel, stride, padding, bias, input H x W
    (3, 5, 3, 1, 0, True, (9, 9)),
    (3, 5, 3, 1, 1, False, (9, 9)),
    (3, 4, 5, 2, 2, True, (9, 9)),
    (3, 4, 4, 2, 1, True, (10, 10)),
    (3, 2, (3, 2), (2, 1), (1, 0), True, (9, 8)),
    (3, 6, 1, 1, 0, True, (5, 5)),
    (3, 2, 3, 3, 1, True, (10, 11)),  # stride that does not divide: the last rows are dropped
    (2, 3, 7, 1, 0, True, (7, 7)),  # kernel covering the whole input: 1x1 output
    (1, 4, 5, 1, 2, True, (12, 12)),  # C4's first layer
    (4, 8, 5, 2, 2, True, (12, 12)),  # C4's second
    (8, 12, 4, 2, 1, True, (8, 8)),  # C4's third
]


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("cin,cout,k,s,p,bias,hw", CONV_CASES)
def test_conv2d(direction, cin, cout, k, s, p, bias, hw):
    layer = nn.Conv2d(cin, cout, k, stride=s, padding=p, bias=bias)
    compare(layer, _x(3, cin, *hw), direction)


def test_conv2d_unsupported_options_are_refused():
    with pytest.raises(NotImplementedError, match="padding_mode='reflect'"):
        nn.Conv2d(1, 1, 3, padding_mode="reflect")


# -------------------------------------------------------------------- pooling
POOL_CASES = [(2, None, 0), (2, 2, 0), (3, 2, 1), (3, 1, 1), ((3, 2), (2, 1), (1, 0)), (2, 1, 0), (3, 3, 0)]


@pytest.mark.parametrize("kind", ["MaxPool2d", "AvgPool2d"])
@pytest.mark.parametrize("k,s,p", POOL_CASES)
def test_pooling(kind, k, s, p):
    layer = getattr(nn, kind)(k, s, p)
    compare(layer, _x(2, 3, 9, 10), "chainrule->torch")


@pytest.mark.parametrize("k,s,p", [(2, 2, 0), (3, 1, 1), (3, 2, 1)])
def test_maxpool_ties_route_the_gradient_as_torch(k, s, p):
    """Small integers make many windows hold their maximum twice: the gradient must go
    where PyTorch sends it (one element per window, not shared)."""
    x = np.random.default_rng(5).integers(0, 3, (2, 2, 6, 6)).astype(np.float32)
    compare(nn.MaxPool2d(k, s, p), x, "chainrule->torch")


# ---------------------------------------------------------------- activations
ACTIVATIONS = [
    nn.ReLU, lambda: nn.LeakyReLU(), lambda: nn.LeakyReLU(0.2), lambda: nn.ELU(), lambda: nn.ELU(0.7),
    nn.Sigmoid, nn.Tanh, lambda: nn.Softmax(dim=1), lambda: nn.Softmax(dim=0), lambda: nn.Softmax(dim=-1),
    lambda: nn.LogSoftmax(dim=1), lambda: nn.LogSoftmax(dim=0), nn.Identity,
]


@pytest.mark.parametrize("factory", ACTIVATIONS)
def test_activation(factory):
    x = _x(5, 6, scale=3.0)
    x[0, :3] = 0.0  # the kink: torch's derivative there is the left one for ReLU/LeakyReLU/ELU
    x[1, 0] = 40.0  # saturation
    x[1, 1] = -40.0
    compare(factory(), x, "chainrule->torch")


@pytest.mark.filterwarnings("ignore:Implicit dimension choice")
@pytest.mark.parametrize("kind", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("shape", [(7,), (4, 5), (2, 3, 4), (2, 3, 4, 5)])
def test_softmax_default_dim_is_torchs(kind, shape):
    """No dim: PyTorch's legacy choice (0 for 0-, 1- and 3-d input, else 1)."""
    compare(getattr(nn, kind)(), _x(*shape, scale=2.0), "chainrule->torch")


def test_step_is_the_hard_threshold_with_zero_gradient():
    x = _x(4, 6, scale=2.0)
    x[0, :2] = 0.0  # 1[0 >= 0] = 1
    xc = cr.tensor(x, requires_grad=True)
    y = nn.Step()(xc)
    expected = torch.heaviside(t(x), torch.tensor(1.0))
    assert_close(y, expected, rtol=0, atol=0)
    assert set(np.unique(y.data)) <= {0.0, 1.0}
    (y * cr.tensor(_x(4, 6, seed=3))).sum().backward()
    np.testing.assert_array_equal(xc.grad.data, np.zeros_like(x))


# -------------------------------------------------------------- shape layers
@pytest.mark.parametrize("start,end", [(1, -1), (0, -1), (2, 3), (0, 1), (1, 2)])
def test_flatten(start, end):
    compare(nn.Flatten(start, end), _x(2, 3, 4, 5), "chainrule->torch")


def test_flatten_default_keeps_the_batch():
    assert nn.Flatten()(cr.zeros(8, 3, 4, 5)).shape == torch.nn.Flatten()(torch.zeros(8, 3, 4, 5)).shape == (8, 60)


@pytest.mark.parametrize("shape", [(3,), ()], ids=["1d", "0d"])
def test_flatten_default_needs_a_batch_dimension_like_torch(shape):
    # start_dim=1 does not exist on a 1-d (or 0-d) input: no silent wrap to dim 0
    with pytest.raises(IndexError, match="Dimension out of range"):
        torch.nn.Flatten()(torch.zeros(shape))
    with pytest.raises(IndexError, match=rf"^flatten: dim 1 is out of range for a {len(shape)}-d tensor"):
        nn.Flatten()(cr.zeros(*shape))


def test_dropout_in_eval_mode_is_the_identity():
    layer = nn.Dropout(0.3).eval()
    x = _x(10, 20)
    compare(layer, x, "chainrule->torch")
    xc = cr.tensor(x, requires_grad=True)
    y = layer(xc)
    np.testing.assert_array_equal(y.data, x)


# ------------------------------------------------------------------ Sequential
def _mixed_sequential() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.LeakyReLU(0.1), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, stride=2, bias=False), nn.ELU(), nn.AvgPool2d(2, 1),
        nn.Flatten(), nn.Linear(6, 9), nn.Tanh(), nn.Identity(),
        nn.Sequential(nn.Linear(9, 5), nn.Sigmoid()), nn.Linear(5, 3), nn.LogSoftmax(dim=1),
    )


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_sequential_of_mixed_layers(direction):
    layer, tm = compare(_mixed_sequential(), _x(4, 2, 12, 12), direction)
    assert [n for n, _ in layer.named_parameters()] == [n for n, _ in tm.named_parameters()]


def test_softmax_output_sums_to_one_as_torch():
    x = _x(3, 10, scale=5.0)
    assert_close(nn.Softmax(dim=1)(cr.tensor(x)).sum(1), torch.ones(3), rtol=1e-6)
