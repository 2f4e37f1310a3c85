"""Resizing [N, C, H, W] images, nearest and bilinear, by PyTorch's index and weight rules.

Both are separable: resize along the columns, then along the rows. Along one axis, output
pixel i reads input pixels i₀[i] and i₁[i] with weights λ₀[i] + λ₁[i] = 1,

    out[..., i] = λ₀[i] · x[..., i₀[i]] + λ₁[i] · x[..., i₁[i]]     (nearest: out[..., i] = x[..., i₀[i]]),

so bilinear is (x₀₀·λw₀ + x₀₁·λw₁)·λh₀ + (x₁₀·λw₀ + x₁₁·λw₁)·λh₁, the order PyTorch's CPU
kernel adds in. The backward pass adds λ·g back into the pixels each output read.
As in PyTorch, nearest computes its coordinates in float32, bilinear in the input's dtype.

Source coordinates (PyTorch's ``area_pixel_compute_source_index``), with the scale r:

    nearest                    i₀ = min(⌊i·r⌋, in − 1),         r = 1/scale_factor or in/out
                               (i₀ = i where out = in, ⌊i/2⌋ where out = 2·in)
    bilinear                   s = max(r·(i + ½) − ½, 0),        r likewise
    bilinear, align_corners    s = r·i,                         r = (in − 1)/(out − 1) (0 if out = 1)

and i₀ = min(⌊s⌋, in − 1), i₁ = min(i₀ + 1, in − 1), λ₁ = s − i₀, λ₀ = 1 − λ₁.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function


def _scale(in_size: int, out_size: int, scale_factor, dtype) -> np.floating:
    """r: the input pixels per output pixel; 1/scale_factor where one was given."""
    if scale_factor is not None and scale_factor > 0:
        return dtype.type(1.0 / scale_factor)
    return dtype.type(in_size) / dtype.type(out_size)


def nearest_taps(in_size: int, out_size: int, scale_factor=None) -> list:
    """The one tap (indices, no weights) of nearest resizing along an axis."""
    i = np.arange(out_size)
    if out_size == in_size:  # PyTorch's shortcuts, whatever the scale factor
        return [(i, None)]
    if out_size == 2 * in_size:
        return [(i >> 1, None)]
    f32 = np.dtype(np.float32)
    source = np.floor(i.astype(np.float32) * _scale(in_size, out_size, scale_factor, f32))
    return [(np.minimum(source.astype(np.int64), in_size - 1), None)]


def linear_taps(in_size: int, out_size: int, scale_factor, align_corners: bool, dtype) -> list:
    """The two taps (indices, weights) of linear resizing along an axis."""
    dtype = np.dtype(dtype)
    i = np.arange(out_size).astype(dtype)
    if align_corners:
        r = dtype.type(in_size - 1) / dtype.type(out_size - 1) if out_size > 1 else dtype.type(0)
        source = r * i
    else:
        r = _scale(in_size, out_size, scale_factor, dtype)
        source = np.maximum(r * (i + dtype.type(0.5)) - dtype.type(0.5), dtype.type(0))
    first = np.minimum(np.floor(source).astype(np.int64), in_size - 1)
    second = np.minimum(first + 1, in_size - 1)
    weight = np.clip(source - first.astype(dtype), 0, 1).astype(dtype)
    return [(first, (1 - weight).astype(dtype)), (second, weight)]


class Resample(Function):
    """One axis of a resize: out[..., i] = Σ_k λ_k[i] · x[..., i_k[i]] along ``axis``
    (``taps``: (i_k, λ_k) pairs, λ_k None for a weight of 1)."""

    def forward(self, x, axis: int, taps: list):
        self.axis, self.taps, self.size = axis, taps, x.shape[axis]
        out = None
        for index, weight in taps:
            term = np.take(x, index, axis=axis)
            if weight is not None:
                term *= _along(weight, axis, x.ndim)
            out = term if out is None else out + term
        return out

    def backward(self, grad):
        shape = list(grad.shape)
        shape[self.axis] = self.size
        full = np.zeros(shape, dtype=grad.dtype)
        target = np.moveaxis(full, self.axis, 0)  # a view: the axis to add into comes first
        for index, weight in self.taps:
            part = grad if weight is None else grad * _along(weight, self.axis, grad.ndim)
            np.add.at(target, index, np.moveaxis(part, self.axis, 0))  # pixels read more than once add up
        return full


def _along(weight, axis: int, ndim: int) -> np.ndarray:
    """Per-position weights shaped to broadcast along ``axis``."""
    shape = [1] * ndim
    shape[axis] = weight.shape[0]
    return weight.reshape(shape)
