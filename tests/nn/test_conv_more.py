"""Conv2d with groups, dilation and 'same'/'valid' padding, Conv1d, ConvTranspose2d and
Upsample against PyTorch: weights loaded both ways through ``load_state_dict`` with PyTorch's
keys and shapes, then the same output, input gradient and parameter gradients (float32,
rtol 1e-5); PyTorch's repr and initialisation bounds; bad arguments named.

The PyTorch twin is built here with every argument (the torch backend's ``build_torch``
knows the plain Conv2d only).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_twin import torch_single_thread  # noqa: E402,F401  (fixture)

pytestmark = pytest.mark.usefixtures("torch_single_thread")

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402
from torch_twin import DIRECTIONS, _randomise_torch, assert_close, assert_grads_close, t, to_torch_state  # noqa: E402


def _pair(layer: nn.Module, tm: torch.nn.Module, direction: str):
    """Identical weights in the two layers, gone across through the receiver's load_state_dict
    (strict: the same keys and shapes)."""
    if direction == "chainrule->torch":
        result = tm.load_state_dict(to_torch_state(layer.state_dict()), strict=True)
    else:
        _randomise_torch(tm, seed=3)
        result = layer.load_state_dict(tm.state_dict(), strict=True)
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
    assert list(layer.state_dict()) == list(tm.state_dict())
    for key, value in tm.state_dict().items():
        assert tuple(layer.state_dict()[key].shape) == tuple(value.shape), key


def compare(layer: nn.Module, tm: torch.nn.Module, x: np.ndarray, direction: str = "chainrule->torch",
            rtol: float = 1e-5, **forward):
    """Forward and backward (with a random upstream gradient) in both frameworks."""
    _pair(layer, tm, direction)
    xc, xt = cr.tensor(x, requires_grad=True), t(x).requires_grad_(True)
    yc, yt = layer(xc, **forward), tm(xt, **forward)
    assert yc.dtype == np.float32
    assert_close(yc, yt, rtol=rtol, what="output")
    g = np.random.default_rng(1).standard_normal(yt.shape).astype(np.float32)
    yc.backward(cr.tensor(g))
    yt.backward(t(g))
    assert_close(xc.grad, xt.grad, rtol=rtol, what="input grad")
    assert_grads_close(layer, tm, rtol=rtol)
    return yc


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# --------------------------------------------------------------------- Conv2d
CONV2D_CASES = [
    # in, out, kernel, options, input H x W
    (4, 6, 3, dict(groups=2, padding=1), (7, 6)),
    (4, 4, 3, dict(groups=4, stride=2, padding=1), (8, 9)),          # depthwise
    (3, 6, 3, dict(groups=3, bias=False), (6, 6)),                   # depthwise, two filters a channel
    (3, 5, 3, dict(dilation=2, padding=2), (9, 8)),
    (2, 4, (3, 2), dict(dilation=(2, 3), stride=(2, 1), padding=(1, 2)), (9, 10)),
    (4, 6, 3, dict(padding="same", dilation=2, groups=2), (7, 8)),
    (3, 4, 4, dict(padding="same"), (7, 6)),                         # even kernel: one more pixel after
    (3, 4, (2, 5), dict(padding="same", bias=False), (6, 7)),
    (3, 4, 3, dict(padding="valid", stride=2), (9, 8)),
]


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")  # PyTorch's, about its copy
@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("cin, cout, k, options, hw", CONV2D_CASES)
def test_conv2d(direction, cin, cout, k, options, hw):
    y = compare(nn.Conv2d(cin, cout, k, **options), torch.nn.Conv2d(cin, cout, k, **options),
                _x(3, cin, *hw), direction)
    if options.get("padding") == "same":
        assert y.shape[2:] == hw


# --------------------------------------------------------------------- Conv1d
CONV1D_CASES = [
    (3, 5, 3, dict(), 10),
    (4, 6, 3, dict(stride=2, padding=1, groups=2), 11),
    (4, 4, 5, dict(dilation=2, padding=4, groups=4, bias=False), 9),
    (3, 2, 4, dict(padding="same"), 8),
    (3, 2, 3, dict(padding="same", dilation=3), 12),
    (3, 2, 3, dict(padding="valid", stride=3), 12),
]


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("cin, cout, k, options, length", CONV1D_CASES)
def test_conv1d(direction, cin, cout, k, options, length):
    layer = nn.Conv1d(cin, cout, k, **options)
    assert layer.weight.shape == (cout, cin // options.get("groups", 1), k)
    compare(layer, torch.nn.Conv1d(cin, cout, k, **options), _x(2, cin, length), direction)


# ------------------------------------------------------------ ConvTranspose2d
TRANSPOSED_CASES = [
    (3, 5, 3, dict(), (4, 5)),
    (4, 3, 4, dict(stride=2, padding=1), (5, 5)),                             # the usual ×2 upsampling
    (4, 6, 3, dict(stride=2, padding=1, output_padding=1, groups=2), (4, 3)),
    (2, 3, (3, 2), dict(stride=(1, 3), padding=(1, 0), dilation=(2, 1), output_padding=(1, 2)), (4, 4)),
    (4, 4, 3, dict(groups=4, bias=False, dilation=2), (3, 5)),
]


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("cin, cout, k, options, hw", TRANSPOSED_CASES)
def test_conv_transpose2d(direction, cin, cout, k, options, hw):
    layer = nn.ConvTranspose2d(cin, cout, k, **options)
    assert layer.weight.shape[:2] == (cin, cout // options.get("groups", 1))
    compare(layer, torch.nn.ConvTranspose2d(cin, cout, k, **options), _x(2, cin, *hw), direction)


@pytest.mark.parametrize("output_size", [(9, 9), (10, 10), [2, 4, 10, 9]])
def test_conv_transpose2d_output_size(output_size):
    """``forward(input, output_size)`` picks the output_padding, as PyTorch's does."""
    y = compare(nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1), torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1),
                _x(2, 3, 5, 5), output_size=output_size)
    assert y.shape[2:] == tuple(output_size)[-2:]


def test_conv_transpose2d_output_size_out_of_range_is_refused():
    layer = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    with pytest.raises(ValueError, match="ConvTranspose2d: requested an output size of .11, 11., but valid sizes "
                                         "range from 9 to 10"):
        layer(cr.randn(1, 3, 5, 5), output_size=(11, 11))


# ------------------------------------------------------------------ Upsample
UPSAMPLE_CASES = [
    dict(scale_factor=2),
    dict(scale_factor=(1.5, 3)),
    dict(size=(7, 5)),
    dict(size=3, mode="bilinear"),
    dict(scale_factor=2, mode="bilinear"),
    dict(scale_factor=2, mode="bilinear", align_corners=True),
    dict(size=(9, 4), mode="bilinear", align_corners=True),
    dict(scale_factor=0.6, mode="bilinear"),
]


@pytest.mark.parametrize("options", UPSAMPLE_CASES, ids=str)
def test_upsample(options):
    layer, tm = nn.Upsample(**options), torch.nn.Upsample(**options)
    assert repr(layer) == repr(tm)
    assert layer.state_dict() == {} and list(tm.state_dict()) == []
    compare(layer, tm, _x(2, 3, 5, 6))


def test_upsample_inside_a_network():
    """A small decoder: transposed convolution, upsampling and a 'same' convolution in a row."""
    def build(m):
        return m.Sequential(m.ConvTranspose2d(4, 3, 2, stride=2), m.ReLU(), m.Upsample(scale_factor=2, mode="bilinear"),
                            m.Conv2d(3, 2, 3, padding="same", groups=1))
    compare(build(nn), build(torch.nn), _x(2, 4, 3, 3))


# ---------------------------------------------------------- repr, state, init
REPR_CASES = [
    (nn.Conv2d, torch.nn.Conv2d, (4, 6, 3), dict(groups=2, dilation=2, padding="same", bias=False)),
    (nn.Conv2d, torch.nn.Conv2d, (4, 6, (3, 2)), dict(stride=(2, 1), padding=(1, 0))),
    (nn.Conv2d, torch.nn.Conv2d, (4, 6, 3), dict(padding="valid")),
    (nn.Conv1d, torch.nn.Conv1d, (4, 6, 3), dict(padding=2, dilation=3)),
    (nn.Conv1d, torch.nn.Conv1d, (4, 6, 3), dict()),
    (nn.ConvTranspose2d, torch.nn.ConvTranspose2d, (4, 6, 3), dict(stride=2, output_padding=1, groups=2, dilation=2)),
]


@pytest.mark.parametrize("ours, theirs, args, options", REPR_CASES)
def test_repr_and_attributes_are_torchs(ours, theirs, args, options):
    layer, tm = ours(*args, **options), theirs(*args, **options)
    assert repr(layer) == repr(tm)
    for name in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "transposed",
                 "output_padding", "groups", "padding_mode"):
        assert getattr(layer, name) == getattr(tm, name), name


@pytest.mark.parametrize("layer", [nn.Conv2d(6, 3, 3, groups=3), nn.Conv1d(6, 4, 5, groups=2),
                                   nn.ConvTranspose2d(6, 4, 3, groups=2)], ids=repr)
def test_initial_weights_are_uniform_within_torchs_bounds(layer):
    """U(−1/√fan_in, 1/√fan_in) for weight and bias, fan_in = weight.shape[1]·∏kernel: with
    groups that is a group's channels, for a transposed convolution its output channels."""
    bound = 1 / math.sqrt(layer.weight.shape[1] * math.prod(layer.kernel_size))
    for p in (layer.weight, layer.bias):
        values = p.detach().numpy()
        assert np.abs(values).max() <= bound
    weights = layer.weight.detach().numpy()
    assert np.abs(weights).max() > 0.8 * bound  # spread over the whole interval (≥ 48 draws)


# -------------------------------------------------------------- bad arguments
BAD_ARGUMENTS = [
    (nn.Conv2d, (3, 4, 0), {}, "Conv2d: kernel_size must be positive, got 0"),
    (nn.Conv2d, (3, 4, (3, -1)), {}, r"Conv2d: kernel_size must be positive, got \(3, -1\)"),
    (nn.Conv2d, (3, 4, 3), dict(groups=2), r"Conv2d: in_channels must be divisible by groups \(in_channels=3, groups=2\)"),
    (nn.Conv2d, (4, 3, 3), dict(groups=2), r"Conv2d: out_channels must be divisible by groups \(out_channels=3"),
    (nn.Conv2d, (4, 4, 3), dict(groups=0), "Conv2d: groups must be a positive integer, got groups=0"),
    (nn.Conv2d, (4, 4, 3), dict(stride=2, padding="same"), "Conv2d: padding='same' is not supported for strided"),
    (nn.Conv2d, (4, 4, 3), dict(padding="full"), "Conv2d: invalid padding string 'full', should be one of"),
    (nn.Conv2d, (4, 4, 3), dict(padding=-1), "Conv2d: padding must be non-negative, got -1"),
    (nn.Conv2d, (4, 4, 3), dict(stride=0), "Conv2d: stride must be positive, got 0"),
    (nn.Conv2d, (4, 4, 3), dict(dilation=(1, 0)), r"Conv2d: dilation must be positive, got \(1, 0\)"),
    (nn.Conv2d, (4, 4, 3), dict(padding_mode="mirror"), "Conv2d: padding_mode must be one of .*'mirror'"),
    (nn.Conv2d, (4, 4, (3, 3, 3)), {}, "Conv2d: kernel_size must be an int or a tuple of 2 ints"),
    (nn.Conv1d, (3, 4, 0), {}, "Conv1d: kernel_size must be positive"),
    (nn.Conv1d, (3, 4, 3), dict(groups=2), "Conv1d: in_channels must be divisible by groups"),
    (nn.Conv1d, (3, 3, 3), dict(stride=2, padding="same"), "Conv1d: padding='same' is not supported for strided"),
    (nn.ConvTranspose2d, (4, 4, 3), dict(stride=2, output_padding=2),
     "ConvTranspose2d: output_padding .* must be smaller than either stride .* or dilation"),
    (nn.ConvTranspose2d, (4, 4, 3), dict(padding="same"), "ConvTranspose2d: padding must be an int or a tuple"),
    (nn.ConvTranspose2d, (4, 6, 3), dict(groups=4), "ConvTranspose2d: out_channels must be divisible by groups"),
]


@pytest.mark.parametrize("layer, args, options, message", BAD_ARGUMENTS)
def test_bad_arguments_name_the_layer_and_the_argument(layer, args, options, message):
    with pytest.raises(ValueError, match=message):
        layer(*args, **options)


def test_padding_modes_other_than_zeros_are_not_supported_yet():
    with pytest.raises(NotImplementedError, match="Conv2d: padding_mode='reflect' is not supported"):
        nn.Conv2d(3, 4, 3, padding_mode="reflect")
