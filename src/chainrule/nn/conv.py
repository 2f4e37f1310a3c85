"""Convolution, transposed convolution, pooling and upsampling layers."""

from __future__ import annotations

import math

import numpy as np

from ..ops.conv import transposed_output_size
from . import functional as F
from . import init
from .module import Module, Parameter


class _ConvNd(Module):
    """What Conv1d, Conv2d and ConvTranspose2d share: PyTorch's arguments, their checks,
    the parameters and the repr.

    weight [out_channels, in_channels/groups, *kernel_size] ([in_channels, out_channels/groups,
    *kernel_size] when transposed), bias [out_channels]; initialised as PyTorch does:
    U(−1/√fan_in, 1/√fan_in), fan_in = weight.shape[1]·∏kernel_size.
    """

    def __init__(self, dims: int, in_channels: int, out_channels: int, kernel_size, stride, padding, dilation,
                 transposed: bool, output_padding, groups: int, bias: bool, padding_mode: str, dtype):
        super().__init__()
        name = type(self).__name__
        if not isinstance(groups, (int, np.integer)) or groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got groups={groups!r}")
        for what, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
            if channels % groups:
                raise ValueError(f"{name}: {what} must be divisible by groups ({what}={channels}, groups={groups})")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PADDING_MODES}, but got "
                             f"padding_mode={padding_mode!r}")
        if padding_mode != "zeros":
            raise NotImplementedError(f"{name}: padding_mode={padding_mode!r} is not supported, only 'zeros'")
        self.in_channels, self.out_channels, self.transposed, self.groups = in_channels, out_channels, transposed, groups
        self.kernel_size = _tuple(name, "kernel_size", kernel_size, dims, least=1)
        self.stride = _tuple(name, "stride", stride, dims, least=1)
        self.dilation = _tuple(name, "dilation", dilation, dims, least=1)
        self.output_padding = _tuple(name, "output_padding", output_padding, dims, least=0)
        self.padding = _padding(name, padding, dims, self.stride, transposed)
        self.padding_mode = padding_mode
        if transposed and any(p >= max(s, d) for p, s, d in zip(self.output_padding, self.stride, self.dilation)):
            raise ValueError(f"{name}: output_padding {self.output_padding} must be smaller than either stride "
                             f"{self.stride} or dilation {self.dilation}")
        shape = (in_channels, out_channels // groups) if transposed else (out_channels, in_channels // groups)
        dtype = np.dtype(dtype or np.float32)
        self.weight = Parameter(np.empty(shape + self.kernel_size, dtype))
        self.bias = Parameter(np.empty(out_channels, dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        dims = len(self.kernel_size)
        if self.padding != (0,) * dims:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * dims:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * dims:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")


_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


def _tuple(layer: str, name: str, value, dims: int, least: int) -> tuple:
    """An int or a ``dims``-tuple of ints as a ``dims``-tuple, each at least ``least``."""
    values = (value,) * dims if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != dims or not all(isinstance(v, (int, np.integer)) for v in values):
        raise ValueError(f"{layer}: {name} must be an int or a tuple of {dims} ints, got {value!r}")
    if min(values) < least:
        raise ValueError(f"{layer}: {name} must be {'positive' if least else 'non-negative'}, got {value!r}")
    return tuple(int(v) for v in values)


def _padding(layer: str, padding, dims: int, stride, transposed: bool):
    """Ints as a tuple, or PyTorch's 'valid' and 'same' (a convolution's, stride 1 only)."""
    if not isinstance(padding, str):
        return _tuple(layer, "padding", padding, dims, least=0)
    if transposed:
        raise ValueError(f"{layer}: padding must be an int or a tuple of ints, got {padding!r}")
    if padding not in ("same", "valid"):
        raise ValueError(f"{layer}: invalid padding string {padding!r}, should be one of {{'same', 'valid'}}")
    if padding == "same" and stride != (1,) * dims:
        raise ValueError(f"{layer}: padding='same' is not supported for strided convolutions")
    return padding


class Conv1d(_ConvNd):
    """1-d convolution of [N, C, L]; weight [out_channels, in_channels/groups, k]."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros", dtype=None):
        super().__init__(1, in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, 0, groups, bias, padding_mode, dtype)

    def forward(self, input):
        return F.conv1d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv2d(_ConvNd):
    """2-d convolution of [N, C, H, W]; weight [out_channels, in_channels/groups, kH, kW]."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros", dtype=None):
        super().__init__(2, in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, 0, groups, bias, padding_mode, dtype)

    def forward(self, input):
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class ConvTranspose2d(_ConvNd):
    """The transposed 2-d convolution (the adjoint of Conv2d); weight [in_channels,
    out_channels/groups, kH, kW]. Output size (H − 1)·stride − 2·padding + dilation·(kH − 1)
    + output_padding + 1, or ``output_size`` given to ``forward``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", dtype=None):
        super().__init__(2, in_channels, out_channels, kernel_size, stride, padding, dilation,
                         True, output_padding, groups, bias, padding_mode, dtype)

    def forward(self, input, output_size=None):
        output_padding = self.output_padding if output_size is None else self._output_padding(input, output_size)
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                                  self.groups, self.dilation)

    def _output_padding(self, input, output_size) -> tuple[int, int]:
        """The output_padding that makes an output of ``output_size`` (its last two entries):
        each between the smallest output and stride − 1 more."""
        wanted = tuple(output_size)[-2:]
        if len(wanted) != 2:
            raise ValueError(f"ConvTranspose2d: output_size must have at least 2 entries, got {output_size!r}")
        extra = []
        for size, n, k, s, p, d in zip(wanted, input.shape[-2:], self.kernel_size, self.stride, self.padding,
                                       self.dilation):
            smallest = transposed_output_size(n, k, s, p, 0, d)
            if not smallest <= size < smallest + s:
                raise ValueError(f"ConvTranspose2d: requested an output size of {tuple(wanted)}, but valid sizes "
                                 f"range from {smallest} to {smallest + s - 1} (for an input of {tuple(input.shape[-2:])})")
            extra.append(size - smallest)
        return tuple(extra)


class Upsample(Module):
    """Resize [N, C, H, W] images to ``size`` or by ``scale_factor``, 'nearest' or 'bilinear'
    (see ``F.interpolate``)."""

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = "Upsample"
        self.size = size
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode, self.align_corners, self.recompute_scale_factor = mode, align_corners, recompute_scale_factor

    def forward(self, input):
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        where = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return f"{where}, mode={self.mode!r}"


class _Pool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    def forward(self, input):
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:  # PyTorch's repr also shows its (fixed here) dilation and ceil_mode
        return super().extra_repr() + ", dilation=1, ceil_mode=False"


class AvgPool2d(_Pool2d):
    def forward(self, input):
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding)
