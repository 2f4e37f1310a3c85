"""Convolution and pooling over [N, C, H, W] images, vectorised.

Convolution is a matrix product over patches ("im2col"): every output pixel's
receptive field becomes a column of a patch matrix, so

    out[n, o, i, j] = Σ_{c, p, q} w[o, c, p, q] · x_pad[n, c, i·s + p, j·s + q] + b[o]

is one ``W @ patches``. Its backward is two more products, and the patch
gradients are added back into the image by a loop over the kernel's p × q
positions only (never over the batch or the output pixels). For a stride of 1
down the rows, the input gradient skips the patch gradient: kH products add
straight into kW copies of the image, one per kernel column, each shifted by
that column (``_Patches._input_grad_by_kernel_rows``). Large convolutions with a
stride of 1 down the rows go by kernel rows in the forward pass and for ∂L/∂W
too (``_KernelRows``): kH products over kW shifted copies of the image, a matrix
kH times smaller than the patch matrix; :func:`_unfolding` chooses.

Memory order. The patch matrix's columns run over (i, j, n), batch last, so the
product ``W @ patches`` is the output already laid out as [O, OH, OW, N]. The op
returns it as a transposed view of shape [N, O, OH, OW]: PyTorch's shape, batch-last
memory (the idea of PyTorch's ``channels_last``, with the batch instead of the
channels). Elementwise ops, batch norm and pooling keep their input's memory order
(:mod:`.layout`), so the next convolution finds its input batch-last again: its
patch copies then move whole runs of ``OW·N`` (stride 1) or ``N`` values, and no
layer transposes its activations.

Dilated and grouped convolutions take a general patch matrix (``_GroupedPatches``), so the
plain case keeps its fast ways untouched; the transposed convolution is the convolution's
input gradient, and its backward pass the convolution (``ConvTranspose2d``).
"""

from __future__ import annotations

import math

import numpy as np

from .._blas import addmm
from ..autograd import Function
from ..errors import ShapeError
from . import layout


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


def _geometry(op: str, x_shape, kernel, stride, padding, dilation=(1, 1)):
    """Output height and width, with a clear error where the window does not fit.
    A dilated kernel spans d·(k − 1) + 1 pixels."""
    if len(x_shape) != 4:
        raise ValueError(f"{op}: expected a 4-d input [N, C, H, W], got shape {tuple(x_shape)}")
    (kh, kw), (sh, sw), (ph, pw) = kernel if dilation == (1, 1) else _span(kernel, dilation), stride, padding
    if sh < 1 or sw < 1:
        raise ValueError(f"{op}: stride must be positive, got {stride}")
    if ph < 0 or pw < 0:
        raise ValueError(f"{op}: padding must be non-negative, got {padding}")
    if dilation[0] < 1 or dilation[1] < 1:
        raise ValueError(f"{op}: dilation must be positive, got {dilation}")
    h, w = x_shape[2], x_shape[3]
    if kh > h + 2 * ph or kw > w + 2 * pw:
        dilated = "" if dilation == (1, 1) else f" (dilation {dilation[0]},{dilation[1]})"
        raise ValueError(
            f"{op}: kernel {kh}x{kw}{dilated} is larger than the padded input {h + 2 * ph}x{w + 2 * pw} "
            f"(input {h}x{w}, padding {ph},{pw})"
        )
    return output_size(h, kh, sh, ph), output_size(w, kw, sw, pw)


def _span(kernel, dilation) -> tuple[int, int]:
    """The pixels a dilated kernel spans along each axis: d·(k − 1) + 1."""
    return tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))


def _pool_geometry(op: str, x_shape, kernel_size, stride, padding):
    """Pooling's kernel, stride (default: the kernel), padding and output size, checked."""
    kernel = pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else pair(stride, "stride")
    padding = pair(padding, "padding")
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{op}: padding {padding} must be at most half the kernel {kernel}")
    return kernel, stride, padding, _geometry(op, x_shape, kernel, stride, padding)


def _window(p: int, q: int, stride, out_hw) -> tuple[slice, slice]:
    """The rows and columns of the padded input that kernel position (p, q) sees,
    one for each output pixel."""
    (sh, sw), (oh, ow) = stride, out_hw
    return slice(p, p + sh * (oh - 1) + 1, sh), slice(q, q + sw * (ow - 1) + 1, sw)


def _unpad(grad, padding):
    ph, pw = padding
    return grad[:, :, ph:grad.shape[2] - ph, pw:grad.shape[3] - pw]


class _Patches:
    """im2col, batch last: the patch matrix [C·kH·kW, OH·OW·N] of an [N, C, H, W]
    input, and the adjoint that adds a patch gradient back into the image.

    Both work on the padded image laid out as [C, H', W', N] and copy one kernel
    position (p, q) at a time: for every channel, the [OH, OW, N] block of pixels
    that position sees, which is contiguous in runs of N (whole rows of OW·N at
    stride 1) in the image and in the patch matrix alike.
    """

    def __init__(self, x_shape, kernel, stride, padding, out_hw):
        n, c, h, w = x_shape
        self.x_shape, self.kernel, self.stride, self.padding, self.out_hw = x_shape, kernel, stride, padding, out_hw
        self.padded_shape = (c, h + 2 * padding[0], w + 2 * padding[1], n)
        self.windows = [(p, q, _window(p, q, stride, out_hw))
                        for p in range(kernel[0]) for q in range(kernel[1])]

    def _interior(self, image):
        """The unpadded pixels of a [C, H', W', N] image."""
        (ph, pw), (h, w) = self.padding, self.x_shape[2:]
        return image[:, ph:ph + h, pw:pw + w]

    def forward(self, x, weight, bias) -> np.ndarray:
        """The output as [O, OH·OW·N]: one product W·P. The bias is one more column of W,
        against a row of ones below P; in backward, ∂L/∂W and ∂L/∂b are then one product too."""
        self.patches = self.gather(x, ones_row=bias is not None)
        return _with_bias_column(weight.reshape(weight.shape[0], -1), bias) @ self.patches

    def weight_grad(self, grad_rows, weight_shape, with_bias: bool):
        """∂L/∂W in the weight's shape, and ∂L/∂b (None unless ``with_bias``); ``with_bias``
        needs a forward pass with a bias."""
        both = _weight_grad(grad_rows, self.patches, self.out_hw[0])  # [O, C·kH·kW (+ 1 for the bias)]
        size = math.prod(weight_shape[1:])
        return both[:, :size].reshape(weight_shape), (both[:, size] if with_bias else None)

    def gather(self, x, ones_row: bool = False):
        """The patch matrix; with ``ones_row``, one more row of ones below it (for the bias)."""
        n, c = x.shape[:2]
        image = np.zeros(self.padded_shape, dtype=x.dtype)
        self._interior(image)[...] = x.transpose(1, 2, 3, 0)  # a plain copy when x is batch-last
        height = c * self.kernel[0] * self.kernel[1]
        matrix = np.empty((height + ones_row, n * self.out_hw[0] * self.out_hw[1]), dtype=x.dtype)
        matrix[height:] = 1
        patches = matrix[:height].reshape(c, *self.kernel, *self.out_hw, n)
        for p, q, (rows, cols) in self.windows:
            patches[:, p, q] = image[:, rows, cols]
        return matrix

    def input_grad(self, weight, grad_rows):
        """∂L/∂x from ∂L/∂out as [O, OH·OW·N]: the adjoint of ``gather`` applied to Wᵀ·G.

        The patch gradient Wᵀ·G is as large as the patch matrix: writing it out and
        reading it back to scatter it costs about as much as the product. A stride of 1
        down the rows lets the products add into the image rows directly.
        """
        if self.stride[0] == 1:
            return self._input_grad_by_kernel_rows(weight, grad_rows)
        return self._scatter(weight.reshape(weight.shape[0], -1).T @ grad_rows)

    def _scatter(self, grad_patches):
        n, c = self.x_shape[:2]
        grad_patches = grad_patches.reshape(c, *self.kernel, *self.out_hw, n)
        image = np.zeros(self.padded_shape, dtype=grad_patches.dtype)
        for p, q, (rows, cols) in self.windows:
            image[:, rows, cols] += grad_patches[:, p, q]
        return self._interior(image).transpose(3, 0, 1, 2)

    def _input_grad_by_kernel_rows(self, weight, grad_rows):
        """The input gradient without the patch gradient, for a stride of 1 down the rows.

        Kernel row p of output row i then always meets padded image row i + p. Let
        D[c, q, t, j, n] be the gradient that reaches image pixel [c, t, j·sw + q − pw]
        of image n through kernel column q (D is kW copies of the image's rows, one per
        kernel column). Kernel row p's part of it, W_pᵀ·G with W_p = w[:, :, p, :] as
        [O, C·kW], lands on image rows t = i + p − ph: for the output rows i whose row t
        is inside the image (the others meet padding), a contiguous block of columns of G
        as [O, OH·OW·N] and of D as [C·kW, H·OW·N]. So D is kH products, each added in
        place (:func:`addmm`, β = 1) into the rows the previous ones reached, and

            ∂L/∂x[n, c, t, s] = Σ_q D[c, q, t, j, n]  over the q with s + pw − q = j·sw, 0 ≤ j < OW

        is kW strided additions. D has kH times fewer entries than the patch gradient. No
        product is spent on rows of padding, and no addition on its columns.
        """
        (kh, kw), (ph, pw), (oh, ow) = self.kernel, self.padding, self.out_hw
        n, c, h, w = self.x_shape
        run = ow * n  # one output row: every column of every image
        parts = self._kernel_row_parts()
        if not parts:  # an image without rows
            return np.zeros(self.x_shape, dtype=grad_rows.dtype)
        per_kernel_row = _per_kernel_row(weight)
        d = np.empty((c * kw, h * run), dtype=grad_rows.dtype)
        _, _, rows = parts[0][1]
        d[:, :rows.start * run] = 0  # the image rows the first product does not reach
        d[:, rows.stop * run:] = 0
        for k, (p, (first, stop, rows)) in enumerate(parts):
            addmm(per_kernel_row[p].T, grad_rows[:, first * run:stop * run],
                  d[:, rows.start * run:rows.stop * run], beta=1.0 if k else 0.0)
        d = d.reshape(c, kw, h, ow, n)
        parts = _widest_first([_inside(q, self.stride[1], ow, w, pw) for q in range(kw)])
        covers = parts and parts[0][1][2] == slice(0, w, 1)  # the first part writes every column
        image = (np.empty if covers else np.zeros)((c, h, w, n), dtype=d.dtype)
        for k, (q, (first, stop, cols)) in enumerate(parts):
            if k == 0 and covers:
                image[...] = d[:, q, :, first:stop]
            else:
                image[:, :, cols] += d[:, q, :, first:stop]
        return image.transpose(3, 0, 1, 2)

    def _kernel_row_parts(self) -> list:
        """For a stride of 1 down the rows: (p, (first, stop, rows)) for each kernel row p
        that reaches the image, the widest first. Kernel row p of output rows first…stop−1
        meets image rows ``rows``; the others meet padding."""
        (kh, _), (ph, _), (oh, _), h = self.kernel, self.padding, self.out_hw, self.x_shape[2]
        return _widest_first([_inside(p, 1, oh, h, ph) for p in range(kh)])


class _KernelRows(_Patches):
    """Convolution by kernel rows, for a stride of 1 down the rows and a padding that
    leaves one kernel row meeting the image at every output row (2·ph < kH).

    Instead of the patch matrix, its kW-fold smaller part for one kernel row:

        Q[(c, q), (t, j, n)] = x_pad[n, c, t + ph, j·sw + q]   for the image rows t alone,

    kW shifted copies of the image (zero where a column meets padding). Kernel row p of
    output row i meets image row t = i + p − ph, a shift of whole rows of Q's columns, so

        out[:, rows i] = Σ_p W_p · Q[:, rows i + p − ph],   W_p = w[:, :, p, :] as [O, C·kW],

    is kH products added in place (:func:`addmm`), each over the output rows whose image
    row exists: none is spent on rows of padding. ∂L/∂W_p = G[:, rows i] · Q[:, rows i + p − ph]ᵀ
    is kH products likewise, and the input gradient is ``_Patches``' own by kernel rows.
    Q is kH times smaller than the patch matrix, so the copies take a third of the time
    (3×3 kernels); the bias is a column of the first product's W_p against a row of ones.
    """

    def forward(self, x, weight, bias) -> np.ndarray:
        (oh, ow), n = self.out_hw, self.x_shape[0]
        run = ow * n
        self.rows = q = self.gather_rows(x, ones_row=bias is not None)
        per_kernel_row = _per_kernel_row(weight)
        out = np.empty((weight.shape[0], oh * run), dtype=q.dtype)
        for k, (p, (first, stop, rows)) in enumerate(self._kernel_row_parts()):
            w_p = _with_bias_column(per_kernel_row[p], bias if k == 0 else None)
            # The first (widest) part covers every output row (2·ph < kH): it sets them, with the bias.
            addmm(w_p, q[:w_p.shape[1], rows.start * run:rows.stop * run], out[:, first * run:stop * run],
                  beta=1.0 if k else 0.0)
        return out

    def weight_grad(self, grad_rows, weight_shape, with_bias: bool):
        out_c, c, kh, kw = weight_shape
        run, q = self.out_hw[1] * self.x_shape[0], self.rows
        # ∂L/∂W_pᵀ as [C·kW (+ 1), O]: Q·Gᵀ runs better than G·Qᵀ with so small a result.
        per_kernel_row = np.zeros((kh, c * kw + with_bias, out_c), dtype=grad_rows.dtype)
        parts = self._kernel_row_parts()
        for k, (p, (first, stop, rows)) in enumerate(parts):
            height = c * kw + (with_bias and k == 0)
            addmm(q[:height, rows.start * run:rows.stop * run], grad_rows[:, first * run:stop * run].T,
                  per_kernel_row[p, :height], beta=0.0)
        grad_w = per_kernel_row[:, :c * kw].reshape(kh, c, kw, out_c).transpose(3, 1, 0, 2)
        return np.ascontiguousarray(grad_w), (per_kernel_row[parts[0][0], -1] if with_bias else None)

    def gather_rows(self, x, ones_row: bool = False) -> np.ndarray:
        """Q as [C·kW, H·OW·N]; with ``ones_row``, one more row of ones below it (for the bias)."""
        n, c, h, w = self.x_shape
        (_, kw), (_, sw), (_, pw), (_, ow) = self.kernel, self.stride, self.padding, self.out_hw
        height = c * kw
        q = np.empty((height + ones_row, h * ow * n), dtype=x.dtype)
        q[height:] = 1
        shifted = q[:height].reshape(c, kw, h, ow, n)
        image = x.transpose(1, 2, 3, 0)  # [C, H, W, N]: a view, read in runs when x is batch-last
        for col in range(kw):
            first, stop, cols = _inside(col, sw, ow, w, pw)
            shifted[:, col, :, first:stop] = image[:, :, cols]
            shifted[:, col, :, :first] = 0
            shifted[:, col, :, stop:] = 0
        return q


def _unfolding(x_shape, kernel, stride, padding, out_hw) -> _Patches:
    """Kernel rows where they apply and pay, the patch matrix otherwise.

    Kernel rows save copying two thirds of a large patch matrix (3×3 kernels) but split
    one product into kH narrower ones. With few channels (C·kW < ``_KERNEL_ROWS_MIN_WIDTH``,
    a first layer's) each of those passes over the whole output for little work; with a
    small patch matrix (under ``_KERNEL_ROWS_MIN_PATCHES`` entries) the copy saved is small.
    Both limits are where the two ways took the same time (benchmarks/README.md).
    """
    n, c = x_shape[:2]
    patch_entries = c * kernel[0] * kernel[1] * out_hw[0] * out_hw[1] * n
    if (stride[0] == 1 and 2 * padding[0] < kernel[0] and c * kernel[1] >= _KERNEL_ROWS_MIN_WIDTH
            and patch_entries >= _KERNEL_ROWS_MIN_PATCHES):
        return _KernelRows(x_shape, kernel, stride, padding, out_hw)
    return _Patches(x_shape, kernel, stride, padding, out_hw)


_KERNEL_ROWS_MIN_WIDTH = 12
_KERNEL_ROWS_MIN_PATCHES = 2**20


def _unfolder(x_shape, kernel, stride, padding, out_hw, dilation, groups) -> _Patches:
    """The fast ways above for a plain convolution (every training benchmark's), the
    general patch matrix for a dilated or grouped one."""
    if dilation == (1, 1) and groups == 1:
        return _unfolding(x_shape, kernel, stride, padding, out_hw)
    return _GroupedPatches(x_shape, kernel, stride, padding, out_hw, dilation, groups)


class _GroupedPatches(_Patches):
    """The patch matrix of a dilated and/or grouped convolution.

    Dilation d spaces the kernel's taps d pixels apart: kernel position (p, q) sees the
    padded pixels [i·sh + p·dh, j·sw + q·dw], so only the windows move. With G groups,
    output channel o sees the C/G input channels of its group g = o // (O/G):

        out[n, o, i, j] = Σ_{c, p, q} w[o, c, p, q] · x_pad[n, g·C/G + c, i·sh + p·dh, j·sw + q·dw] + b[o]

    The patch matrix's rows run over (c, p, q), so group g's rows are one contiguous block
    P_g, and the convolution is G products W_g · P_g side by side (one batched ``matmul``),
    with W_g = w[g·O/G : (g+1)·O/G] as [O/G, C/G·kH·kW]. Backward: ∂L/∂W_g = G_g·P_gᵀ and
    the patch gradient W_gᵀ·G_g, scattered back into the image as ``_Patches`` does.
    """

    def __init__(self, x_shape, kernel, stride, padding, out_hw, dilation, groups):
        super().__init__(x_shape, kernel, stride, padding, out_hw)
        (dh, dw), self.groups = dilation, groups
        self.windows = [(p, q, _window(p * dh, q * dw, stride, out_hw))
                        for p in range(kernel[0]) for q in range(kernel[1])]

    def _by_group(self, matrix) -> np.ndarray:
        """[G·R, M] as [G, R, M]: one block of rows per group."""
        return matrix.reshape(self.groups, -1, matrix.shape[-1])

    def forward(self, x, weight, bias) -> np.ndarray:
        self.patches = self.gather(x)
        out = np.matmul(self._by_group(weight.reshape(weight.shape[0], -1)), self._by_group(self.patches))
        out = out.reshape(weight.shape[0], -1)
        if bias is not None:
            out += bias[:, None]
        return out

    def weight_grad(self, grad_rows, weight_shape, with_bias: bool):
        grad_w = np.matmul(self._by_group(grad_rows), self._by_group(self.patches).transpose(0, 2, 1))
        return grad_w.reshape(weight_shape), (grad_rows.sum(axis=1) if with_bias else None)

    def input_grad(self, weight, grad_rows):
        per_group = self._by_group(weight.reshape(weight.shape[0], -1))
        grad_patches = np.matmul(per_group.transpose(0, 2, 1), self._by_group(grad_rows))
        return self._scatter(grad_patches.reshape(-1, grad_rows.shape[1]))


def _per_kernel_row(weight) -> np.ndarray:
    """w[o, c, p, q] as [kH, O, C·kW]: W_p for each kernel row p."""
    out_c, c, kh, kw = weight.shape
    return np.ascontiguousarray(weight.transpose(2, 0, 1, 3)).reshape(kh, out_c, c * kw)


def _with_bias_column(matrix, bias) -> np.ndarray:
    """[M | b]: the bias as one more column (``matrix`` itself without a bias)."""
    if bias is None:
        return matrix
    return np.concatenate([matrix, bias[:, None].astype(matrix.dtype, copy=False)], axis=1)


def _inside(offset: int, stride: int, out_size: int, size: int, padding: int) -> tuple[int, int, slice]:
    """For kernel position ``offset`` along one axis: the outputs i whose input
    i·stride + offset − padding lies inside [0, size), as a range [first, stop), and the
    slice of the input they read."""
    first = max(0, -(-(padding - offset) // stride))
    stop = max(first, min(out_size, -(-(size + padding - offset) // stride)))
    start = first * stride + offset - padding
    return first, stop, slice(start, start + stride * (stop - first - 1) + 1, stride) if stop > first else slice(0, 0)


def _widest_first(ranges: list) -> list:
    """(kernel position, range) for the positions that reach the image, the widest first."""
    reaching = [(k, r) for k, r in enumerate(ranges) if r[1] > r[0]]
    return sorted(reaching, key=lambda item: item[1][0] - item[1][1])


def _weight_grad(grad_rows, patches, rows: int) -> np.ndarray:
    """∂L/∂W = G · Pᵀ, with G [O, OH·OW·N] and P [C·kH·kW, OH·OW·N].

    For a small weight (a first layer's) this product is skinny with a very long
    inner dimension, which BLAS runs poorly; as one product per output row, summed
    afterwards, it runs two to three times as fast. Larger weights take one product.
    """
    if grad_rows.shape[0] * patches.shape[0] > _SKINNY_WEIGHT:
        return grad_rows @ patches.T
    per_row = np.matmul(grad_rows.reshape(grad_rows.shape[0], rows, -1).transpose(1, 0, 2),
                        patches.reshape(patches.shape[0], rows, -1).transpose(1, 2, 0))
    return per_row.sum(axis=0)


_SKINNY_WEIGHT = 4096  # weights with at most this many entries take the per-row product


def _check_groups(op: str, channels: int, weight_shape, groups, transposed: bool = False) -> None:
    """``groups`` divides the weight's first dimension, and the input has the channels the
    weight expects: C/G per group for a convolution, the weight's first dimension for a
    transposed one."""
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive integer, got {groups!r}")
    if weight_shape[0] % groups:
        raise ShapeError(f"{op}: given groups={groups}, expected the weight's dimension 0 to be divisible "
                         f"by {groups}, but got a weight of shape {tuple(weight_shape)}")
    expected = weight_shape[0] if transposed else weight_shape[1] * groups
    if channels != expected:
        raise ShapeError(f"{op}: input has {channels} channels but the weight {tuple(weight_shape)} with "
                         f"groups={groups} expects {expected}")


def string_padding(op: str, padding: str, kernel, stride, dilation):
    """``padding='valid'`` (none) or ``'same'`` (output as large as the input, stride 1 only),
    as (symmetric padding, leading output rows and columns to drop).

    'same' pads d·(k − 1) pixels along each axis, as PyTorch does: ⌊half⌋ before and the rest
    after, one more after where the total is odd (an even kernel). That is the symmetric
    padding by the larger side, less the first output row (column), which alone sees the
    extra pixel before.
    """
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding != "same":
        raise ValueError(f"{op}: invalid padding string {padding!r}, should be one of 'same', 'valid'")
    if pair(stride, "stride") != (1, 1):
        raise ShapeError(f"{op}: padding='same' is not supported for strided convolutions")
    total = [d * (k - 1) for k, d in zip(kernel, pair(dilation, "dilation"))]
    return tuple(t - t // 2 for t in total), tuple(t % 2 for t in total)


class Conv2d(Function):
    def forward(self, x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        stride, padding, dilation = pair(stride, "stride"), pair(padding, "padding"), pair(dilation, "dilation")
        out_c, in_c, kh, kw = weight.shape
        oh, ow = _geometry("conv2d", x.shape, (kh, kw), stride, padding, dilation)
        n, c = x.shape[:2]
        if groups == 1 and c != in_c:
            raise ValueError(f"conv2d: input has {c} channels (shape {x.shape}) but the weight "
                             f"{weight.shape} expects {in_c}")
        _check_groups("conv2d", c, weight.shape, groups)
        self.unfold = _unfolder(x.shape, (kh, kw), stride, padding, (oh, ow), dilation, groups)
        self.weight = weight
        out = self.unfold.forward(x, weight, bias)  # [O, OH·OW·N]
        return out.reshape(out_c, oh, ow, n).transpose(3, 0, 1, 2)  # batch-last memory, see above

    def backward(self, grad):
        weight, has_bias = self.weight, len(self.needs_grad) == 3
        out_c = weight.shape[0]
        grad_rows = grad.transpose(1, 2, 3, 0).reshape(out_c, -1)  # the output's column order; no copy if batch-last
        grads = [None, None] + [None] * has_bias
        if self.needs_grad[1]:
            grads[1], grad_b = self.unfold.weight_grad(grad_rows, weight.shape, has_bias)
            if has_bias and self.needs_grad[2]:
                grads[2] = grad_b
        elif has_bias and self.needs_grad[2]:
            grads[2] = grad_rows.sum(axis=1)
        if self.needs_grad[0]:
            grads[0] = self.unfold.input_grad(weight, grad_rows)
        return tuple(grads)


def transposed_output_size(size: int, kernel: int, stride: int, padding: int, output_padding: int,
                           dilation: int) -> int:
    """(size − 1)·stride − 2·padding + dilation·(kernel − 1) + output_padding + 1, as PyTorch computes it:
    the smallest input a convolution maps onto ``size`` outputs, plus ``output_padding`` rows."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


class ConvTranspose2d(Function):
    """The transposed convolution: the adjoint of a convolution, so its input gradient.

    For the convolution z ↦ conv(z, W) with this stride, padding, dilation and groups, and
    W [C_in, C_out/G, kH, kW] read as that convolution's weight (C_in outputs, C_out inputs),

        conv_transpose(x, W) = ∂⟨conv(z, W), x⟩/∂z = convᵀ(x) + b,

    where z has the transposed output's shape. So the forward pass is ``_Patches.input_grad``
    with x as the output gradient, and the backward pass is the convolution itself:
    ∂L/∂x = conv(∂L/∂y, W), ∂L/∂W = the convolution's weight gradient with patches of
    ∂L/∂y and x as its output gradient, ∂L/∂b = Σ ∂L/∂y over batch and pixels.
    """

    def forward(self, x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
        stride, padding, dilation = pair(stride, "stride"), pair(padding, "padding"), pair(dilation, "dilation")
        output_padding = pair(output_padding, "output_padding")
        if len(x.shape) != 4:
            raise ValueError(f"conv_transpose2d: expected a 4-d input [N, C, H, W], got shape {tuple(x.shape)}")
        in_c, out_per_group, kh, kw = weight.shape
        n, c, h, w = x.shape
        _check_groups("conv_transpose2d", c, weight.shape, groups, transposed=True)
        for extra, s, d in zip(output_padding, stride, dilation):
            if not 0 <= extra < max(s, d):
                raise ShapeError(f"conv_transpose2d: output padding must be smaller than either stride or "
                                 f"dilation, got output_padding={output_padding}, stride={stride}, "
                                 f"dilation={dilation}")
        out_hw = tuple(transposed_output_size(*args) for args in
                       zip((h, w), (kh, kw), stride, padding, output_padding, dilation))
        if min(out_hw) < 1:
            raise ShapeError(f"conv_transpose2d: input {h}x{w} gives an output of size "
                             f"{out_hw[0]}x{out_hw[1]}, which is too small")
        z_shape = (n, out_per_group * groups, *out_hw)
        # The convolution of z: as large as x, or larger where output_padding ≥ stride (dilated).
        self.conv_hw = conv_hw = _geometry("conv_transpose2d", z_shape, (kh, kw), stride, padding, dilation)
        self.unfold = _unfolder(z_shape, (kh, kw), stride, padding, conv_hw, dilation, groups)
        image = x.transpose(1, 2, 3, 0)  # [C_in, H, W, N], the convolution's output order
        if conv_hw != (h, w):  # the convolution's outputs beyond x get no gradient: zeros
            image = np.zeros((c, *conv_hw, n), dtype=x.dtype)
            image[:, :h, :w] = x.transpose(1, 2, 3, 0)
        rows = image.reshape(c, -1)  # no copy if x is batch-last
        out = self.unfold.input_grad(weight, rows)  # [N, C_out, H', W'], a fresh array
        if bias is not None:
            out += bias[:, None, None]
        if self.recording:
            self.weight, self.rows, self.x_hw = weight, rows, (h, w)
        return out

    def backward(self, grad):
        weight, needs = self.weight, self.needs_grad
        has_bias = len(needs) == 3
        grads = [None, None] + [None] * has_bias
        if has_bias and needs[2]:
            grads[2] = grad.sum(axis=(0, 2, 3))
        if needs[0] or needs[1]:
            # The convolution of ∂L/∂y; it also gathers the patches ∂L/∂W needs (its product
            # is spent for nothing only where x needs no gradient).
            conv = self.unfold.forward(grad, weight, None)  # [C_in, OH·OW·N]
            if needs[0]:
                (h, w), n = self.x_hw, grad.shape[0]
                grads[0] = conv.reshape(weight.shape[0], *self.conv_hw, n)[:, :h, :w].transpose(3, 0, 1, 2)
            if needs[1]:
                grads[1], _ = self.unfold.weight_grad(self.rows, weight.shape, False)
        return tuple(grads)


def _pool_windows(kernel, stride, out_hw) -> list[tuple]:
    """For each kernel position, the index of what it sees in an [N, C, H', W'] image."""
    return [(Ellipsis, *_window(p, q, stride, out_hw)) for p in range(kernel[0]) for q in range(kernel[1])]


def _padded_gradient(out, padded_shape, dtype, make=np.zeros):
    """An array for the gradient of a padded input (zeros unless ``make`` says otherwise),
    in the memory order of the pooled output ``out``."""
    return layout.in_order_of(out, padded_shape, lambda shape: make(shape, dtype=dtype))


class MaxPool2d(Function):
    """Maximum over each window; the gradient goes to the first maximal element of
    the window in row-major order (PyTorch's choice at ties). Padding is −∞.

    The forward pass is a running ``np.maximum`` over the kernel's K positions. When a
    backward pass will follow, it also notes for each output which position k* held the
    first maximum, while the windows are still in cache: with ē_k = (window_k ≠ max),

        k* = ē_0 · (1 + ē_1 · (1 + … · (1 + ē_{K−2})))

    in small integers. The backward pass then sends each output's gradient to window
    k* alone, without reading the input again.
    """

    def forward(self, x, kernel_size, stride=None, padding=0):
        kernel, stride, padding, out_hw = _pool_geometry("max_pool2d", x.shape, kernel_size, stride, padding)
        xp = layout.padded(x, padding, value=-np.inf)
        windows = _pool_windows(kernel, stride, out_hw)
        out = xp[windows[0]].copy(order="K")  # keeps x's memory order
        for window in windows[1:]:
            np.maximum(out, xp[window], out=out)
        if self.recording:
            self.first = (_first_maximum(xp, out, windows) if np.isfinite(out).all()  # NaN and −∞ are rare
                          else _first_maximum_as_torch(xp, out, windows, x.shape[2:], padding))
            self.windows, self.padding, self.xp_shape = windows, padding, xp.shape
            self.overlapping = stride[0] < kernel[0] or stride[1] < kernel[1]
            # Windows that tile the input exactly write every element of its gradient.
            self.tiling = (stride == kernel and padding == (0, 0)
                           and x.shape[2] % kernel[0] == 0 and x.shape[3] % kernel[1] == 0)
        return out

    def backward(self, grad):
        first = self.first
        grad = layout.matching(first, grad)
        grad_xp = _padded_gradient(first, self.xp_shape, grad.dtype, np.empty if self.tiling else np.zeros)
        for k, window in enumerate(self.windows):
            if self.overlapping:
                grad_xp[window] += grad * (first == k)
            else:  # each input element lies in one window at most: write in place
                np.multiply(grad, first == k, out=grad_xp[window])
        return _unpad(grad_xp, self.padding)


def _first_maximum(xp, out, windows) -> np.ndarray:
    """For each output, the index of the first window position that holds its maximum
    (exact wherever the maximum is finite: the padding, at −∞, then never holds it)."""
    if len(windows) == 1:
        return np.zeros_like(out, dtype=np.uint8)
    first = np.not_equal(xp[windows[-2]], out).astype(np.uint8 if len(windows) <= 256 else np.int32)
    for window in reversed(windows[:-2]):
        first += 1
        first *= np.not_equal(xp[window], out)
    return first


def _first_maximum_as_torch(xp, out, windows, hw, padding) -> np.ndarray:
    """The window position PyTorch picks, NaN and −∞ included: scanning the window's real
    (unpadded) elements in order from the first, it moves to any element that is greater
    than the maximum so far or is NaN; an all −∞ window keeps its first real element."""
    (ph, pw), (h, w) = padding, hw
    real = np.zeros((h + 2 * ph, w + 2 * pw), dtype=bool)
    real[ph:ph + h, pw:pw + w] = True
    first = np.zeros(out.shape, dtype=np.int32)
    for k in reversed(range(len(windows))):  # the first real position of each window
        first[..., real[windows[k][1:]]] = k
    best = np.full(out.shape, -np.inf, dtype=out.dtype)
    for k, window in enumerate(windows):
        value = xp[window]
        take = ((value > best) | np.isnan(value)) & real[window[1:]]
        first[take] = k
        best[take] = value[take]
    return first


class AvgPool2d(Function):
    """Mean over each window; zero padding counts in the mean (PyTorch's default
    ``count_include_pad=True``), so each window divides by kH·kW."""

    def forward(self, x, kernel_size, stride=None, padding=0):
        kernel, stride, padding, out_hw = _pool_geometry("avg_pool2d", x.shape, kernel_size, stride, padding)
        xp = layout.padded(x, padding)
        windows = _pool_windows(kernel, stride, out_hw)
        out = xp[windows[0]].copy(order="K")
        for window in windows[1:]:
            out += xp[window]
        out /= kernel[0] * kernel[1]
        self.kernel, self.windows, self.padding, self.xp_shape, self.out = kernel, windows, padding, xp.shape, out
        return out

    def backward(self, grad):
        share = layout.matching(self.out, grad) / (self.kernel[0] * self.kernel[1])
        grad_xp = _padded_gradient(self.out, self.xp_shape, share.dtype)
        for window in self.windows:
            grad_xp[window] += share
        return _unpad(grad_xp, self.padding)
