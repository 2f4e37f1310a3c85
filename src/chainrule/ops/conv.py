"""Convolution and pooling over [N, C, H, W] images, vectorised.

Convolution is a matrix product over patches ("im2col"): every output pixel's
receptive field becomes a column of a patch matrix, so

    out[n, o, i, j] = Σ_{c, p, q} w[o, c, p, q] · x_pad[n, c, i·s + p, j·s + q] + b[o]

is one ``W @ patches``. Its backward is two more products, and the patch
gradients are added back into the image by a loop over the kernel's p × q
positions only (never over the batch or the output pixels).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..autograd import Function


def pair(value, name: str = "value") -> tuple[int, int]:
    """``3`` → ``(3, 3)``; ``(3, 5)`` stays."""
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value}")
    return value


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """⌊(size + 2·padding − kernel) / stride⌋ + 1, as PyTorch computes it."""
    return (size + 2 * padding - kernel) // stride + 1


def _geometry(op: str, x_shape, kernel, stride, padding):
    """Output height and width, with a clear error where the window does not fit."""
    if len(x_shape) != 4:
        raise ValueError(f"{op}: expected a 4-d input [N, C, H, W], got shape {tuple(x_shape)}")
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    h, w = x_shape[2], x_shape[3]
    if kh > h + 2 * ph or kw > w + 2 * pw:
        raise ValueError(
            f"{op}: kernel {kh}x{kw} is larger than the padded input {h + 2 * ph}x{w + 2 * pw} "
            f"(input {h}x{w}, padding {ph},{pw})"
        )
    if sh < 1 or sw < 1:
        raise ValueError(f"{op}: stride must be positive, got {stride}")
    return output_size(h, kh, sh, ph), output_size(w, kw, sw, pw)


def _pool_geometry(op: str, x_shape, kernel_size, stride, padding):
    """Pooling's kernel, stride (default: the kernel), padding and output size, checked."""
    kernel = pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else pair(stride, "stride")
    padding = pair(padding, "padding")
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{op}: padding {padding} must be at most half the kernel {kernel}")
    return kernel, stride, padding, _geometry(op, x_shape, kernel, stride, padding)


def _pad(x, padding, value=0.0):
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _window(kh_index, kw_index, stride, out_hw):
    """The slice of the padded input that kernel position (p, q) sees for every output pixel."""
    (sh, sw), (oh, ow) = stride, out_hw
    return (slice(None), slice(None),
            slice(kh_index, kh_index + sh * (oh - 1) + 1, sh),
            slice(kw_index, kw_index + sw * (ow - 1) + 1, sw))


def _unpad(grad, padding):
    ph, pw = padding
    return grad[:, :, ph:grad.shape[2] - ph, pw:grad.shape[3] - pw]


class _StridedPatches:
    """im2col for any stride: the patch matrix [C·kH·kW, N·OH·OW] gathered from
    strided windows, and its gradient scattered back one kernel position at a time."""

    def __init__(self, x_shape, kernel, stride, padding, out_hw):
        self.x_shape, self.kernel, self.stride, self.padding, self.out_hw = x_shape, kernel, stride, padding, out_hw
        self.width = out_hw[1]  # output columns per row of the patch matrix

    def gather(self, x):
        (kh, kw), (sh, sw), (oh, ow) = self.kernel, self.stride, self.out_hw
        n, c = x.shape[:2]
        xp = _pad(x, self.padding)
        self.xp_shape = xp.shape
        windows = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw][:, :, :oh, :ow]
        return np.ascontiguousarray(windows.transpose(1, 4, 5, 0, 2, 3)).reshape(c * kh * kw, n * oh * ow)

    def scatter(self, grad_patches):
        (kh, kw), (oh, ow) = self.kernel, self.out_hw
        n, c = self.x_shape[:2]
        grad_patches = grad_patches.reshape(c, kh, kw, n, oh, ow)
        grad_xp = np.zeros(self.xp_shape, dtype=grad_patches.dtype)
        for p in range(kh):
            for q in range(kw):
                grad_xp[_window(p, q, self.stride, self.out_hw)] += grad_patches[:, p, q].transpose(1, 0, 2, 3)
        return _unpad(grad_xp, self.padding)


class _WidePatches:
    """im2col for stride 1, on rows as wide as the padded image.

    In a padded image flattened to one axis, the pixel that kernel position (p, q)
    adds to output (i, j) lies at a fixed offset p·W' + q from the output's own
    index i·W' + j. Computing OH × W' outputs (the last kW − 1 columns of each row
    are thrown away) makes every kernel position one contiguous slice, so both the
    gather and the scatter copy long runs of memory instead of short rows.
    """

    def __init__(self, x_shape, kernel, padding, out_hw):
        h, w = x_shape[2:]
        kw, (ph, pw) = kernel[1], padding
        self.x_shape, self.kernel, self.padding, self.out_hw = x_shape, kernel, padding, out_hw
        self.padded_hw = (h + 2 * ph, w + 2 * pw)
        self.width = self.padded_hw[1]
        # kW − 1 zeros past the end keep the last kernel position's slice in bounds.
        self.flat_size = self.padded_hw[0] * self.width + kw - 1

    def _offsets(self):
        kh, kw = self.kernel
        span = self.out_hw[0] * self.width
        return [(p, q, p * self.width + q, span) for p in range(kh) for q in range(kw)]

    def _image_view(self, flat):
        """The [C, N, H', W'] padded image inside a flat [C, N, H'·W' + kW − 1] buffer."""
        c, n = flat.shape[:2]
        return flat[:, :, :self.padded_hw[0] * self.width].reshape(c, n, *self.padded_hw)

    def gather(self, x):
        n, c, h, w = x.shape
        (kh, kw), (ph, pw) = self.kernel, self.padding
        flat = np.zeros((c, n, self.flat_size), dtype=x.dtype)
        self._image_view(flat)[:, :, ph:ph + h, pw:pw + w] = x.transpose(1, 0, 2, 3)
        patches = np.empty((c, kh, kw, n, self.out_hw[0] * self.width), dtype=x.dtype)
        for p, q, offset, span in self._offsets():
            patches[:, p, q] = flat[:, :, offset:offset + span]
        return patches.reshape(c * kh * kw, -1)

    def scatter(self, grad_patches):
        n, c, h, w = self.x_shape
        (kh, kw), (ph, pw) = self.kernel, self.padding
        grad_patches = grad_patches.reshape(c, kh, kw, n, -1)
        flat = np.zeros((c, n, self.flat_size), dtype=grad_patches.dtype)
        for p, q, offset, span in self._offsets():
            flat[:, :, offset:offset + span] += grad_patches[:, p, q]
        return self._image_view(flat)[:, :, ph:ph + h, pw:pw + w].transpose(1, 0, 2, 3)


def _weight_grad(grad_out, patches, n: int) -> np.ndarray:
    """∂L/∂W = G · Pᵀ, with G [O, N·L] and P [C·kH·kW, N·L].

    For a small kernel (the first layer's) this product is skinny with a very long
    inner dimension, which BLAS runs poorly; as a batch of N per-image products
    summed afterwards it runs about twice as fast. Larger kernels use one product.
    """
    if grad_out.shape[0] * patches.shape[0] > _SKINNY_WEIGHT:
        return grad_out @ patches.T
    per_image = np.matmul(grad_out.reshape(grad_out.shape[0], n, -1).transpose(1, 0, 2),
                          patches.reshape(patches.shape[0], n, -1).transpose(1, 2, 0))
    return per_image.sum(axis=0)


_SKINNY_WEIGHT = 4096  # weights with at most this many entries take the per-image product

# The wide layout computes W' = W + 2·padding columns per output row of which OW are
# kept; past this ratio the wasted products cost more than the faster copies save.
_MAX_WIDE_WASTE = 1.3


class Conv2d(Function):
    def forward(self, x, weight, bias=None, stride=1, padding=0):
        stride, padding = pair(stride, "stride"), pair(padding, "padding")
        out_c, in_c, kh, kw = weight.shape
        oh, ow = _geometry("conv2d", x.shape, (kh, kw), stride, padding)
        n, c = x.shape[:2]
        if c != in_c:
            raise ValueError(f"conv2d: input has {c} channels (shape {x.shape}) but the weight "
                             f"{weight.shape} expects {in_c}")
        if stride == (1, 1) and x.shape[3] + 2 * padding[1] <= _MAX_WIDE_WASTE * ow:
            layout = _WidePatches(x.shape, (kh, kw), padding, (oh, ow))
        else:
            layout = _StridedPatches(x.shape, (kh, kw), stride, padding, (oh, ow))
        patches = layout.gather(x)
        out = weight.reshape(out_c, -1) @ patches
        if bias is not None:
            out += bias[:, None]
        self.patches, self.weight, self.layout = patches, weight, layout
        out = out.reshape(out_c, n, oh, layout.width)[..., :ow]
        return np.ascontiguousarray(out.transpose(1, 0, 2, 3))

    def backward(self, grad):
        weight, layout = self.weight, self.layout
        out_c = weight.shape[0]
        n, _, oh, ow = grad.shape
        # The gradient in the patch matrix's column order; a wide layout's extra columns get 0.
        g2 = np.zeros((out_c, n, oh, layout.width), dtype=grad.dtype)
        g2[..., :ow] = grad.transpose(1, 0, 2, 3)
        g2 = g2.reshape(out_c, -1)
        grads = [None, _weight_grad(g2, self.patches, n).reshape(weight.shape) if self.needs_grad[1] else None]
        if len(self.needs_grad) == 3:
            grads.append(g2.sum(axis=1) if self.needs_grad[2] else None)
        if self.needs_grad[0]:
            grads[0] = layout.scatter(weight.reshape(out_c, -1).T @ g2)
        return tuple(grads)


class MaxPool2d(Function):
    """Maximum over each window; the gradient goes to the first maximal element of
    the window in row-major order (PyTorch's choice at ties). Padding is −∞.

    The forward pass is a running ``np.maximum`` over the kernel's positions; the
    backward pass finds, position by position, which elements equal the maximum
    and have not been claimed by an earlier position of the same window.
    """

    def forward(self, x, kernel_size, stride=None, padding=0):
        kernel, stride, padding, out_hw = _pool_geometry("max_pool2d", x.shape, kernel_size, stride, padding)
        xp = _pad(x, padding, value=-np.inf)
        windows = [_window(p, q, stride, out_hw) for p in range(kernel[0]) for q in range(kernel[1])]
        out = xp[windows[0]].copy()
        for window in windows[1:]:
            np.maximum(out, xp[window], out=out)
        self.xp, self.out, self.windows, self.padding = xp, out, windows, padding
        self.overlapping = stride[0] < kernel[0] or stride[1] < kernel[1]
        return out

    def backward(self, grad):
        grad_xp = np.zeros(self.xp.shape, dtype=grad.dtype)
        unclaimed = None
        for window in self.windows:
            hit = self.xp[window] == self.out
            if unclaimed is None:
                unclaimed = ~hit
            else:
                hit &= unclaimed
                unclaimed &= ~hit
            if self.overlapping:
                grad_xp[window] += grad * hit
            else:  # each input element lies in one window at most: write in place
                np.multiply(grad, hit, out=grad_xp[window])
        return _unpad(grad_xp, self.padding)


class AvgPool2d(Function):
    """Mean over each window; zero padding counts in the mean (PyTorch's default
    ``count_include_pad=True``), so each window divides by kH·kW."""

    def forward(self, x, kernel_size, stride=None, padding=0):
        kernel, stride, padding, out_hw = _pool_geometry("avg_pool2d", x.shape, kernel_size, stride, padding)
        xp = _pad(x, padding)
        out = None
        for p in range(kernel[0]):
            for q in range(kernel[1]):
                window = xp[_window(p, q, stride, out_hw)]
                out = window.copy() if out is None else out.__iadd__(window)
        self.kernel, self.stride, self.padding = kernel, stride, padding
        self.xp_shape, self.out_hw = xp.shape, out_hw
        out /= kernel[0] * kernel[1]
        return out

    def backward(self, grad):
        share = grad / (self.kernel[0] * self.kernel[1])
        grad_xp = np.zeros(self.xp_shape, dtype=grad.dtype)
        for p in range(self.kernel[0]):
            for q in range(self.kernel[1]):
                grad_xp[_window(p, q, self.stride, self.out_hw)] += share
        return _unpad(grad_xp, self.padding)
