"""Functional forms of the layers, activations and losses (``chainrule.nn.functional``, alias ``F``).

Same names and signatures as ``torch.nn.functional``.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import ClassValueError, IndexDtypeError, ShapeError
from ..ops import activation as _act
from ..ops import arithmetic as _arith
from ..ops import conv as _conv
from ..ops import interpolate as _interp
from ..ops import elementwise as _elementwise
from ..ops import loss as _loss
from ..ops import norm as _norm
from ..ops import shape as _shape
from ..tensor import Tensor, _plain


# --------------------------------------------------------------- layers
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b."""
    if bias is None:
        return _arith.Linear.apply(input, weight)
    return _arith.Linear.apply(input, weight, bias)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """``padding`` may also be 'valid' or 'same' (stride 1; an odd total pads one more after)."""
    trim = (0, 0)
    if isinstance(padding, str):
        padding, trim = _conv.string_padding("conv2d", padding, weight.shape[2:], stride, dilation)
    tensors = (input, weight) if bias is None else (input, weight, bias)
    out = _conv.Conv2d.apply(*tensors, stride=stride, padding=padding, dilation=dilation, groups=groups)
    return out[:, :, trim[0]:, trim[1]:] if trim != (0, 0) else out


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0) -> Tensor:
    return _conv.MaxPool2d.apply(input, kernel_size=kernel_size, stride=stride, padding=padding)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0) -> Tensor:
    return _conv.AvgPool2d.apply(input, kernel_size=kernel_size, stride=stride, padding=padding)


def batch_norm(input: Tensor, running_mean, running_var, weight=None, bias=None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Running statistics (NumPy arrays or tensors) are updated in place when training."""
    channels = input.shape[1]
    if weight is None:
        weight = Tensor._wrap(np.ones(channels, dtype=input.dtype))
    if bias is None:
        bias = Tensor._wrap(np.zeros(channels, dtype=input.dtype))
    if not training and running_mean is None:
        raise ValueError("batch_norm: evaluation mode needs running_mean and running_var")
    return _norm.BatchNorm.apply(input, weight, bias, running_mean=_plain(running_mean),
                                 running_var=_plain(running_var), training=training,
                                 momentum=momentum, eps=eps)


def dropout(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0.0
    return _norm.Dropout.apply(input, p=p)


# ---------------------------------------------------------- activations
def sigmoid(input: Tensor) -> Tensor:
    return _act.Sigmoid.apply(input)


def tanh(input: Tensor) -> Tensor:
    return _act.Tanh.apply(input)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return _act.ReLU.apply(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    return _act.LeakyReLU.apply(input, negative_slope=negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _act.ELU.apply(input, alpha=alpha)


def step(input: Tensor) -> Tensor:
    """Hard threshold: 1 where input >= 0, else 0 (gradient 0)."""
    return _act.Step.apply(input)


def softmax(input: Tensor, dim: int) -> Tensor:
    return _act.Softmax.apply(input, dim=dim)


def log_softmax(input: Tensor, dim: int) -> Tensor:
    return _act.LogSoftmax.apply(input, dim=dim)


# --------------------------------------------------------------- losses
def cross_entropy(input: Tensor, target, weight: Tensor | None = None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy from logits, class axis 1 ([N, C, d1, …], or unbatched [C]), against class
    indices [N, d1, …] or class probabilities shaped like the input; see ``ops.loss.CrossEntropy``."""
    return _loss.CrossEntropy.apply(input, _target(target), reduction=_loss.legacy_reduction(size_average, reduce, reduction),
                                    weight=_plain(weight), ignore_index=ignore_index, label_smoothing=label_smoothing)


def nll_loss(input: Tensor, target, weight: Tensor | None = None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities [N, C, d1, …] (or [C]) at class indices [N, d1, …]."""
    return _loss.NLL.apply(input, _target(target), reduction=_loss.legacy_reduction(size_average, reduce, reduction),
                           weight=_plain(weight), ignore_index=ignore_index)


def mse_loss(input: Tensor, target, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    return _loss.MSE.apply(input, target, reduction=_loss.legacy_reduction(size_average, reduce, reduction))


def half_mse_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """½‖y − t‖² per sample, then averaged ('mean') or summed over the batch."""
    return _loss.HalfSquaredError.apply(input, target, reduction=reduction)


def binary_cross_entropy(input: Tensor, target, weight: Tensor | None = None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    return _loss.BinaryCrossEntropy.apply(input, target, reduction=_loss.legacy_reduction(size_average, reduce, reduction),
                                          weight=_plain(weight))


def binary_cross_entropy_with_logits(input: Tensor, target, weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    """BCE on logits; ``pos_weight`` weighs the positive term, broadcast against the target
    (one per class along the last axis)."""
    return _loss.BinaryCrossEntropyWithLogits.apply(
        input, target, reduction=_loss.legacy_reduction(size_average, reduce, reduction),
        weight=_plain(weight), pos_weight=_plain(pos_weight))


def l2_penalty(parameters, weight_decay: float) -> Tensor:
    """Weight decay written into the loss: (λ/2) Σ ‖w‖², whose gradient is λw."""
    total = None
    for p in parameters:
        term = (p * p).sum()
        total = term if total is None else total + term
    if total is None:
        raise ValueError("l2_penalty: no parameters given")
    return total * (weight_decay / 2)


def _target(target):
    """Class-index targets: a list or array of ints becomes an int64 tensor."""
    if isinstance(target, Tensor):
        return target
    array = np.asarray(target)
    return Tensor._wrap(array.astype(np.int64) if array.dtype.kind in "iub" else array)


# ------------------------------------- more activations, layer_norm, embedding, pooling, one_hot, pad
def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x·Φ(x), or with ``approximate='tanh'`` ½x(1 + tanh(√(2/π)(x + 0.044715x³)))."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _act.GELU.apply(input, approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x·σ(x). ``inplace`` is accepted for PyTorch code; the result is never in place."""
    return _act.SiLU.apply(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """(1/β)·log(1 + e^(βx)), the identity where βx > threshold."""
    return _act.Softplus.apply(input, beta=beta, threshold=threshold)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
    return _act.Hardtanh.apply(input, min_val=min_val, max_val=max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(0, x), 6)."""
    return _act.Hardtanh.apply(input, min_val=0.0, max_val=6.0)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x·tanh(softplus(x))."""
    return _act.Mish.apply(input)


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dimensions of each sample (see ops.norm.LayerNorm)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not shape or len(shape) > input.ndim or input.shape[input.ndim - len(shape):] != shape:
        raise ShapeError(f"layer_norm: normalized_shape={list(shape)} expects an input of shape "
                         f"[*, {', '.join(map(str, shape))}], got {list(input.shape)}")
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and param.shape != shape:
            raise ShapeError(f"layer_norm: {name} has shape {list(param.shape)}, normalized_shape is {list(shape)}")
    if weight is None:
        weight = Tensor._wrap(np.ones(shape, dtype=input.dtype))
    if bias is None:
        bias = Tensor._wrap(np.zeros(shape, dtype=input.dtype))
    return _norm.LayerNorm.apply(input, weight, bias, ndim=len(shape), eps=eps)


def _indices(op: str, input, dtypes: str = "iu") -> np.ndarray:
    array = np.asarray(_plain(input))
    if array.dtype.kind not in dtypes:
        raise IndexDtypeError(f"{op}: indices must be an integer tensor (int64), got dtype {array.dtype}")
    return array


def embedding(input, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` [num_embeddings, dim] picked by integer ``input``: shape input.shape + [dim].

    A row picked several times gets the sum of those gradients. The ``padding_idx`` row is
    returned as it is but gets no gradient, as in PyTorch.
    """
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not supported")
    index = _indices("embedding", input)
    count = weight.shape[0]
    if index.size and (index.min() < 0 or index.max() >= count):
        bad = index.min() if index.min() < 0 else index.max()
        raise IndexError(f"embedding: index {bad} is out of range for {count} embeddings")
    out = _shape.GetItem.apply(weight, index=index)
    if padding_idx is None:
        return out
    if not -count <= padding_idx < count:
        raise ValueError(f"embedding: padding_idx {padding_idx} must be within num_embeddings ({count})")
    learnt = (index != padding_idx % count)[..., None]
    return _elementwise.where(learnt, out, out.detach())  # the padding row's picks carry no gradient


def _adaptive_pool_matrix(size: int, out: int, dtype) -> np.ndarray:
    """[out, size] averaging matrix: row i is 1/len over PyTorch's window
    start = ⌊i·size/out⌋, end = ⌈(i+1)·size/out⌉ (windows overlap when out does not divide size)."""
    matrix = np.zeros((out, size), dtype=dtype)
    for i in range(out):
        start, end = (i * size) // out, -(-((i + 1) * size) // out)
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Mean over the windows that split H×W into ``output_size`` (an int, or a pair whose None
    keeps that size). A window mean is separable: y = P_h · x · P_wᵀ, whose gradient is autograd's."""
    if input.ndim not in (3, 4):
        raise ValueError(f"adaptive_avg_pool2d: expected a 3-d or 4-d input, got shape {input.shape}")
    sizes = (output_size, output_size) if output_size is None or isinstance(output_size, int) else tuple(output_size)
    if len(sizes) != 2:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be an int or a pair, got {output_size!r}")
    height, width = input.shape[-2:]
    out_h, out_w = (size if s is None else s for s, size in zip(sizes, (height, width)))
    if out_h < 1 or out_w < 1 or height < 1 or width < 1:
        raise ValueError(f"adaptive_avg_pool2d: output_size {output_size!r} and input {input.shape} must be positive")
    rows = Tensor._wrap(_adaptive_pool_matrix(height, out_h, input.dtype))
    cols = Tensor._wrap(_adaptive_pool_matrix(width, out_w, input.dtype).T.copy())
    return rows @ input @ cols


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 [*, num_classes] with a 1 at each index (num_classes=-1: the largest index + 1)."""
    index = _indices("one_hot", tensor, dtypes="i")
    if num_classes == -1:
        if index.size == 0:
            raise ClassValueError("one_hot: cannot infer the number of classes from an empty tensor")
        num_classes = int(index.max()) + 1
    if index.size and index.min() < 0:
        raise ClassValueError(f"one_hot: class values must be non-negative, got {index.min()}")
    if index.size and index.max() >= num_classes:
        raise ClassValueError(f"one_hot: class values must be smaller than num_classes={num_classes}, got {index.max()}")
    return Tensor._wrap((index[..., None] == np.arange(num_classes)).astype(np.int64))


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad (or, with negative amounts, crop) the last len(pad)/2 dimensions: ``pad`` is
    (left, right) of the last dimension, then of the one before, … as in PyTorch.

    'constant' writes ``value`` (0 by default) around a copy of the input; the other modes pick
    the border from the input itself (mirrored without the edge, the edge repeated, or wrapped),
    so the gradient of a picked element accumulates every copy of it.
    """
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"pad: padding mode {mode!r} is not supported (use one of {_PAD_MODES})")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise ValueError(f"pad: padding length must be divisible by 2, got {len(pad)}")
    if len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: padding length {len(pad)} is more than twice the input's {input.ndim} dimensions")
    pairs = [(input.ndim - 1 - i, pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]
    if mode == "constant":
        return _pad_constant(input, pairs, 0 if value is None else value)
    if value is not None:
        raise ValueError(f"pad: padding mode {mode!r} does not take a value")
    if input.ndim not in (len(pairs) + 1, len(pairs) + 2):
        raise NotImplementedError(f"pad: mode {mode!r} pads {len(pairs)} dimension(s) of a "
                                  f"{len(pairs) + 1}-d or {len(pairs) + 2}-d input, got a {input.ndim}-d one")
    for dim, left, right in pairs:
        input = _shape.GetItem.apply(input, index=(slice(None),) * dim + (_pad_source(mode, input.shape[dim], left, right),))
    return input


def _pad_constant(input: Tensor, pairs, value) -> Tensor:
    # Negative amounts crop first; then the input is written into a canvas filled with value.
    crop = [slice(None)] * input.ndim
    for dim, left, right in pairs:
        crop[dim] = slice(max(-left, 0), input.shape[dim] - max(-right, 0))
    input = input[tuple(crop)]
    shape, interior = list(input.shape), [slice(None)] * input.ndim
    for dim, left, right in pairs:
        shape[dim] += max(left, 0) + max(right, 0)
        interior[dim] = slice(max(left, 0), max(left, 0) + input.shape[dim])
    canvas = Tensor._wrap(np.full(shape, value, dtype=input.dtype))  # the input's dtype, as PyTorch keeps it
    return _shape.SetItem.apply(canvas, input, index=(None, tuple(interior)))


def _pad_source(mode: str, size: int, left: int, right: int) -> np.ndarray:
    """For each output position along one dimension, the input position it copies."""
    if mode == "reflect" and max(left, right) >= size:
        raise ValueError(f"pad: reflect padding ({left}, {right}) must be less than the dimension's size {size}")
    if mode == "circular" and max(left, right) > size:
        raise ValueError(f"pad: circular padding ({left}, {right}) wraps around a dimension of size {size} more than once")
    source = np.arange(-left, size + right)
    if mode == "replicate":
        return np.clip(source, 0, size - 1)
    if mode == "circular":  # PyTorch crops first, then wraps around what is left
        start, stop = max(-left, 0), size - max(-right, 0)
        return start + (np.arange(-max(left, 0), stop - start + max(right, 0)) % (stop - start))
    period = 2 * (size - 1)  # reflect: … 2 1 [0 1 2 … n−1] n−2 …
    folded = np.abs(source) % period if period else np.zeros_like(source)
    return np.where(folded < size, folded, period - folded)


# ----------------------------------------------------------- more losses
def l1_loss(input: Tensor, target, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    return _loss.L1.apply(input, target, reduction=_loss.legacy_reduction(size_average, reduce, reduction))


def smooth_l1_loss(input: Tensor, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    return _loss.SmoothL1.apply(input, target, reduction=_loss.legacy_reduction(size_average, reduce, reduction),
                                beta=beta)


def huber_loss(input: Tensor, target, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    return _loss.Huber.apply(input, target, reduction=reduction, delta=delta)


def kl_div(input: Tensor, target, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL divergence of log-probabilities ``input`` from ``target``; 'batchmean' is the true
    KL divergence per sample, 'mean' (PyTorch's default, with its warning) averages over every element."""
    reduction = _loss.legacy_reduction(size_average, reduce, reduction)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      UserWarning, stacklevel=2)
    return _loss.KLDiv.apply(input, target, reduction=reduction, log_target=log_target)


def multi_margin_loss(input: Tensor, target, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                      size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss of scores [N, C] (or [C]) at class indices [N]."""
    return _loss.MultiMargin.apply(input, _target(target), reduction=_loss.legacy_reduction(size_average, reduce, reduction),
                                   p=p, margin=margin, weight=_plain(weight))


# ------------------------------------------- more convolutions, resizing
def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """A 1-d convolution of [N, C, L] is the 2-d one of [N, C, 1, L] with a [O, C/G, 1, k] kernel."""
    if input.ndim != 3 or weight.ndim != 3:
        raise ValueError(f"conv1d: expected a 3-d input [N, C, L] and weight [O, C/groups, k], "
                         f"got shapes {tuple(input.shape)} and {tuple(weight.shape)}")
    (stride,), (dilation,) = _single(stride, "stride"), _single(dilation, "dilation")
    padding = padding if isinstance(padding, str) else (0, *_single(padding, "padding"))
    out = conv2d(input.unsqueeze(2), weight.unsqueeze(2), bias, (1, stride), padding, (1, dilation), groups)
    return out.squeeze(2)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """The adjoint of conv2d; weight [C_in, C_out/groups, kH, kW]."""
    tensors = (input, weight) if bias is None else (input, weight, bias)
    return _conv.ConvTranspose2d.apply(*tensors, stride=stride, padding=padding, output_padding=output_padding,
                                       groups=groups, dilation=dilation)


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None) -> Tensor:
    """Resize [N, C, H, W] images, 'nearest' or 'bilinear', as ``torch.nn.functional.interpolate``."""
    (oh, ow), scales = _interpolate_sizes(input, size, scale_factor, mode, align_corners, recompute_scale_factor)
    (_, _, h, w), dtype = input.shape, input.dtype
    if mode == "nearest":
        columns, rows = _interp.nearest_taps(w, ow, scales[1]), _interp.nearest_taps(h, oh, scales[0])
    else:
        corners = bool(align_corners)
        columns = _interp.linear_taps(w, ow, scales[1], corners, dtype)
        rows = _interp.linear_taps(h, oh, scales[0], corners, dtype)
    out = _interp.Resample.apply(input, axis=3, taps=columns)
    return _interp.Resample.apply(out, axis=2, taps=rows)


def _interpolate_sizes(input, size, scale_factor, mode, align_corners, recompute_scale_factor):
    """The output height and width, and the scale factors the index rules use (None: in/out)."""
    if mode not in ("nearest", "bilinear"):
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported; use 'nearest' or 'bilinear'")
    if input.ndim != 4:
        raise ValueError(f"interpolate: expected a 4-d input [N, C, H, W], got shape {tuple(input.shape)}")
    if mode == "nearest" and align_corners is not None:
        raise ValueError("interpolate: align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: " + ("only one of size or scale_factor should be defined" if size is not None
                                            else "either size or scale_factor should be defined"))
    if size is not None:
        out = _conv.pair(size, "size")
        if min(out) < 1:
            raise ValueError(f"interpolate: size must be positive, got {size}")
        return out, (None, None)
    scales = tuple(float(f) for f in (scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * 2))
    if len(scales) != 2 or min(scales) <= 0:
        raise ValueError(f"interpolate: scale_factor must be a positive number or a pair of them, got {scale_factor}")
    out = tuple(int(np.floor(float(n) * f)) for n, f in zip(input.shape[2:], scales))
    if min(out) < 1:
        raise ValueError(f"interpolate: scale_factor {scale_factor} makes an empty output from {tuple(input.shape)}")
    return out, ((None, None) if recompute_scale_factor else scales)


def _single(value, name: str) -> tuple[int]:
    """``3`` → ``(3,)``; ``(3,)`` stays."""
    value = (value,) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(value) != 1:
        raise ValueError(f"conv1d: {name} must be an int or a 1-tuple, got {value}")
    return (int(value[0]),)
