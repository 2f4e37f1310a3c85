"""Losses as single fused ops: stabler and faster than composing them from pieces.

Each takes ``reduction`` = 'mean' | 'sum' | 'none' as PyTorch does.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function

REDUCTIONS = ("mean", "sum", "none")


def _reduce(per_item, reduction, count=None):
    if reduction == "none":
        return per_item
    total = per_item.sum()
    return total / (count or per_item.size) if reduction == "mean" else total


def _check_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _scale(grad, reduction, count):
    """∂(reduced loss)/∂(per-item loss): 1/count for a mean, 1 for a sum."""
    return grad / count if reduction == "mean" else grad


def _class_targets(logits, target, op):
    if logits.ndim != 2:
        raise ValueError(f"{op}: expected input of shape [N, C], got {logits.shape}")
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: class-index targets must be integers, got dtype {target.dtype}")
    if target.shape != (logits.shape[0],):
        raise ValueError(f"{op}: input {logits.shape} needs {logits.shape[0]} class indices, got target {target.shape}")
    if target.size and (target.min() < 0 or target.max() >= logits.shape[1]):
        raise ValueError(f"{op}: target holds class {int(target.max()) if target.max() >= logits.shape[1] else int(target.min())}, "
                         f"outside 0..{logits.shape[1] - 1}")
    return target.astype(np.intp, copy=False)


class CrossEntropy(Function):
    """−log softmax(x)[t], from logits, stable; with class-probability targets −Σ p log softmax(x).

    ∂/∂x = softmax(x) − onehot(t)  (per sample, before the reduction).
    """

    float_only = False

    def forward(self, logits, target, reduction="mean"):
        _check_reduction(reduction)
        if logits.dtype.kind != "f":
            raise TypeError(f"cross_entropy: logits must be floating point, got {logits.dtype}")
        shifted = logits - logits.max(axis=-1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=-1, keepdims=True)
        log_probs = shifted - np.log(total)
        self.probs = exp / total
        if target.dtype.kind == "f":
            if target.shape != logits.shape:
                raise ValueError(f"cross_entropy: probability targets must have the input's shape "
                                 f"{logits.shape}, got {target.shape}")
            self.target_probs, self.log_probs = target, log_probs
            per_item = -(target * log_probs).sum(axis=-1)
        else:
            index = _class_targets(logits, target, "cross_entropy")
            self.target_probs = None
            self.index = index
            per_item = -log_probs[np.arange(len(index)), index]
        self.reduction, self.count = reduction, logits.shape[0]
        return np.asarray(_reduce(per_item, reduction, self.count), dtype=logits.dtype)

    def backward(self, grad):
        grad = _scale(grad, self.reduction, self.count)
        if self.target_probs is not None:
            per_item = np.asarray(grad)[..., None]
            grad_target = -per_item * self.log_probs if self.needs_grad[1] else None
            return per_item * (self.probs * self.target_probs.sum(-1, keepdims=True) - self.target_probs), grad_target
        diff = self.probs.copy()
        diff[np.arange(len(self.index)), self.index] -= 1
        return diff * np.asarray(grad)[..., None], None


class NLL(Function):
    """−input[t]: the negative log-likelihood of log-probabilities."""

    float_only = False

    def forward(self, log_probs, target, reduction="mean"):
        _check_reduction(reduction)
        self.index = _class_targets(log_probs, target, "nll_loss")
        self.shape, self.reduction, self.count = log_probs.shape, reduction, log_probs.shape[0]
        per_item = -log_probs[np.arange(len(self.index)), self.index]
        return np.asarray(_reduce(per_item, reduction, self.count), dtype=log_probs.dtype)

    def backward(self, grad):
        grad = _scale(grad, self.reduction, self.count)
        full = np.zeros(self.shape, dtype=np.asarray(grad).dtype)
        full[np.arange(len(self.index)), self.index] = -grad
        return full, None


def _check_same_shape(a, b, op):
    if a.shape != b.shape:
        raise ValueError(f"{op}: input shape {a.shape} and target shape {b.shape} differ")


class MSE(Function):
    """mean (or sum) of (x − t)²;  ∂/∂x = 2(x − t)."""

    def forward(self, x, target, reduction="mean"):
        _check_reduction(reduction)
        _check_same_shape(x, target, "mse_loss")
        self.diff, self.reduction = x - target, reduction
        return np.asarray(_reduce(self.diff * self.diff, reduction), dtype=x.dtype)

    def backward(self, grad):
        g = 2 * _scale(grad, self.reduction, self.diff.size) * self.diff
        return g, -g


class HalfSquaredError(Function):
    """½‖x − t‖² per sample (summed over everything but the batch axis), then the
    mean or sum over the batch: the cost ``C = ½ Σⱼ (aⱼ − yⱼ)²`` with ``dC/da = a − y``."""

    def forward(self, x, target, reduction="mean"):
        _check_reduction(reduction)
        _check_same_shape(x, target, "half_mse_loss")
        self.diff, self.reduction = x - target, reduction
        per_sample = 0.5 * (self.diff * self.diff).reshape(len(x), -1).sum(axis=1) if x.ndim else 0.5 * self.diff ** 2
        self.count = len(x) if x.ndim else 1
        return np.asarray(_reduce(per_sample, reduction, self.count), dtype=x.dtype)

    def backward(self, grad):
        grad = np.asarray(_scale(grad, self.reduction, self.count))
        g = self.diff * grad.reshape(grad.shape + (1,) * (self.diff.ndim - grad.ndim))
        return g, -g


_LOG_FLOOR = -100.0  # PyTorch clamps log(p) at −100 so p = 0 gives a finite loss


class BinaryCrossEntropy(Function):
    """−[t log p + (1 − t) log(1 − p)] on probabilities p, logs clamped at −100."""

    def forward(self, p, target, reduction="mean"):
        _check_reduction(reduction)
        _check_same_shape(p, target, "binary_cross_entropy")
        if p.size and (p.min() < 0 or p.max() > 1):
            raise ValueError("binary_cross_entropy: input values must lie between 0 and 1 (probabilities); "
                             "for logits use binary_cross_entropy_with_logits")
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), _LOG_FLOOR)
            log_q = np.maximum(np.log1p(-p), _LOG_FLOOR)
        self.p, self.target, self.reduction = p, target, reduction
        return np.asarray(_reduce(-(target * log_p + (1 - target) * log_q), reduction), dtype=p.dtype)

    def backward(self, grad):
        p, t = self.p, self.target
        grad = _scale(grad, self.reduction, p.size)
        grad_p = grad * (p - t) / np.maximum((1 - p) * p, 1e-12)
        if not self.needs_grad[1]:
            return grad_p, None
        # ∂/∂t = log(1 − p) − log p = −logit(p), unclamped as in PyTorch: ±inf at p = 0 or 1.
        with np.errstate(divide="ignore"):
            return grad_p, grad * (np.log1p(-p) - np.log(p))


class BinaryCrossEntropyWithLogits(Function):
    """BCE on logits, stable: max(x, 0) − x·t + log(1 + e^(−|x|));  ∂/∂x = σ(x) − t."""

    def forward(self, x, target, reduction="mean"):
        _check_reduction(reduction)
        _check_same_shape(x, target, "binary_cross_entropy_with_logits")
        self.x, self.target, self.reduction = x, target, reduction
        per_item = np.maximum(x, 0) - x * target + np.log1p(np.exp(-np.abs(x)))
        return np.asarray(_reduce(per_item, reduction), dtype=x.dtype)

    def backward(self, grad):
        grad = _scale(grad, self.reduction, self.x.size)
        with np.errstate(over="ignore"):
            sigmoid = 1 / (1 + np.exp(-self.x))
        return grad * (sigmoid - self.target), -grad * self.x
