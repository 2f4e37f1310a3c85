"""Functional forms of the layers, activations and losses (``chainrule.nn.functional``, alias ``F``).

Same names and signatures as ``torch.nn.functional``.
"""

from __future__ import annotations

import numpy as np

from ..ops import activation as _act
from ..ops import arithmetic as _arith
from ..ops import conv as _conv
from ..ops import loss as _loss
from ..ops import norm as _norm
from ..tensor import Tensor, _plain


# --------------------------------------------------------------- layers
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b."""
    if bias is None:
        return _arith.Linear.apply(input, weight)
    return _arith.Linear.apply(input, weight, bias)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0) -> Tensor:
    if bias is None:
        return _conv.Conv2d.apply(input, weight, stride=stride, padding=padding)
    return _conv.Conv2d.apply(input, weight, bias, stride=stride, padding=padding)


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


def relu(input: Tensor) -> Tensor:
    return _act.ReLU.apply(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return _act.LeakyReLU.apply(input, negative_slope=negative_slope)


def elu(input: Tensor, alpha: float = 1.0) -> Tensor:
    return _act.ELU.apply(input, alpha=alpha)


def step(input: Tensor) -> Tensor:
    """Hard threshold: 1 where input >= 0, else 0 (gradient 0)."""
    return _act.Step.apply(input)


def softmax(input: Tensor, dim: int) -> Tensor:
    return _act.Softmax.apply(input, dim=dim)


def log_softmax(input: Tensor, dim: int) -> Tensor:
    return _act.LogSoftmax.apply(input, dim=dim)


# --------------------------------------------------------------- losses
def cross_entropy(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """Cross-entropy from logits [N, C] and class indices [N] (or class probabilities [N, C])."""
    return _loss.CrossEntropy.apply(input, _target(target), reduction=reduction)


def nll_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities [N, C] at class indices [N]."""
    return _loss.NLL.apply(input, _target(target), reduction=reduction)


def mse_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    return _loss.MSE.apply(input, target, reduction=reduction)


def half_mse_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """½‖y − t‖² per sample, then averaged ('mean') or summed over the batch."""
    return _loss.HalfSquaredError.apply(input, target, reduction=reduction)


def binary_cross_entropy(input: Tensor, target, reduction: str = "mean") -> Tensor:
    return _loss.BinaryCrossEntropy.apply(input, target, reduction=reduction)


def binary_cross_entropy_with_logits(input: Tensor, target, reduction: str = "mean") -> Tensor:
    return _loss.BinaryCrossEntropyWithLogits.apply(input, target, reduction=reduction)


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
