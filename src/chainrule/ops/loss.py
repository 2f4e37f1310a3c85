"""Losses as single fused ops: stabler and faster than composing them from pieces.

Each takes ``reduction`` = 'mean' | 'sum' | 'none' as PyTorch does ('mean' averages over
every element, except where a loss's docstring says otherwise).

The class-index losses read the class axis as PyTorch does, for every rank: an input
(N, C, d1, …) with class indices (N, d1, …), or an unbatched input (C,) with a 0-d
target. Internally the class axis is moved last, so one "position" is one row of C scores.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..autograd import Function
from ..errors import ClassIndexError, ShapeError

REDUCTIONS = ("mean", "sum", "none")


def legacy_reduction(size_average, reduce, reduction: str) -> str:
    """PyTorch's deprecated ``size_average`` / ``reduce`` arguments, turned into a ``reduction``
    as ``torch.nn._reduction.legacy_get_string`` does (each defaults to True when unset)."""
    if size_average is None and reduce is None:
        return reduction
    reduction = "none" if reduce is False else "sum" if size_average is False else "mean"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
                  UserWarning, stacklevel=3)
    return reduction


def _check_reduction(reduction, allowed=REDUCTIONS):
    if reduction not in allowed:
        raise ValueError(f"reduction must be one of {allowed}, got {reduction!r}")


def _reduce(per_item, reduction, count):
    """The per-item losses summed, and for a mean divided by ``count`` (0/0 gives nan, as PyTorch)."""
    if reduction == "none":
        return per_item
    total = per_item.sum()
    return total if reduction == "sum" else _divide(total, count)


def _scale(grad, reduction, count):
    """∂(reduced loss)/∂(per-item loss) times ``grad``: 1/count for a mean, 1 otherwise."""
    return grad if reduction in ("sum", "none") else _divide(grad, count)


def _divide(value, count):
    """value / count; 0/0 gives nan as in PyTorch, without NumPy's warning."""
    if count:
        return value / count
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.true_divide(value, count)


# ------------------------------------------------------------- class-index targets
def _rows(x):
    """(N, C, d1, …) → (N·d1·…, C): one row of C class scores per position; (C,) is one row."""
    if x.ndim > 2:
        x = np.moveaxis(x, 1, -1)
    return x.reshape(-1, x.shape[-1])


def _unrows(rows, shape):
    """The inverse of :func:`_rows`, for an input of ``shape``."""
    if len(shape) <= 2:
        return rows.reshape(shape)
    return np.moveaxis(rows.reshape(shape[:1] + shape[2:] + shape[1:2]), -1, 1)


def _positions(shape):
    """The shape of the positions of an input of ``shape``: (N, d1, …) for (N, C, d1, …), () for (C,)."""
    return shape[:1] + shape[2:] if len(shape) > 1 else ()


def _per_row(grad):
    """An upstream gradient (a scalar or one per position) as a column against the rows."""
    return np.asarray(grad).reshape(-1, 1)


def _pick(rows, index):
    """rows[p, y_p] for every position p."""
    return rows[np.arange(len(index)), index]


def _check_scores(x, op):
    """Class scores: floating point, with a class axis."""
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: input must be floating point, got dtype {x.dtype}")
    if x.ndim == 0:
        raise ShapeError(f"{op}: input needs a class dimension, got a 0-d input")


def _class_targets(x, target, op, ignore_index=None):
    """Check class indices against the input ``x`` (class axis 1).

    Returns ``(index, kept)``, one entry per position (flattened, in the order of
    :func:`_rows`): the class as ``intp`` (0 where ignored, so that it can index) and whether
    the position counts; ``kept`` is None when every position counts (the usual case, found
    from the targets' minimum and maximum alone).
    """
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: class-index targets must be integers, got dtype {target.dtype}")
    positions = _positions(x.shape)
    if target.shape != positions:
        raise ShapeError(f"{op}: input of shape {x.shape} needs class indices of shape {positions}, "
                         f"got target of shape {target.shape}")
    classes = x.shape[1] if x.ndim > 1 else x.shape[0]
    target = target.reshape(-1)
    low, high = (target.min(), target.max()) if target.size else (0, -1)
    if 0 <= low and high < classes and (ignore_index is None or not low <= ignore_index <= high):
        return target.astype(np.intp, copy=False), None
    kept = target != ignore_index if ignore_index is not None else np.ones(target.shape, bool)
    valid = target if kept.all() else target[kept]
    if valid.size and (valid.min() < 0 or valid.max() >= classes):
        bad = valid[(valid < 0) | (valid >= classes)][0]
        raise ClassIndexError(f"{op}: target holds class {int(bad)}, outside 0..{classes - 1} "
                              f"for an input of {classes} classes"
                              + (f" (and not ignore_index={ignore_index})" if ignore_index is not None else ""))
    index = target if valid is target else np.where(kept, target, 0)
    return index.astype(np.intp, copy=False), kept


def _class_weight(weight, classes, op, dtype):
    """The per-class weights as an array of the input's dtype, checked to hold one per class."""
    if weight is None:
        return None
    weight = np.asarray(weight, dtype=dtype)
    if weight.shape != (classes,):
        raise ShapeError(f"{op}: weight of shape {weight.shape} must hold one entry per class, "
                         f"shape ({classes},)")
    return weight


def _position_weights(weight, index, kept, dtype):
    """w[y] at every position (1 without class weights), 0 where the target is ignored."""
    w = weight[index] if weight is not None else np.ones(index.shape, dtype)
    return w.astype(dtype, copy=False) if kept is None else np.where(kept, w, 0).astype(dtype, copy=False)


def _softmax(x):
    """softmax(x) and log softmax(x) along the last axis, stable (the maximum shifted to 0)."""
    shifted = x - x.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=-1, keepdims=True)
    return exp / total, shifted - np.log(total)


class CrossEntropy(Function):
    """Cross-entropy from logits, stable, class axis 1: per position −Σ_c a_c log softmax(x)_c
    for a coefficient vector a, with class weights w (1 by default) and label smoothing ε:

        class index y:          a = (1 − ε) w_y onehot(y) + (ε/C) w   (a = 0 where y = ignore_index)
        class probabilities q:  a = w ⊙ ((1 − ε) q + ε/C)

    so that ∂/∂x = softmax(x) Σ_c a_c − a, and for probabilities ∂/∂q = −(1 − ε) w log softmax(x).
    'mean' divides by Σ w_y over the kept positions for class indices (PyTorch's weighted
    mean), by the number of positions for probabilities.

    a is kept in two parts: ``hard``, (1 − ε) w_y at the class y of each position (class
    indices), and ``dense``, the rest as a full array (None for plain class indices, the
    usual case, which so never builds one).
    """

    float_only = False

    def forward(self, logits, target, reduction="mean", weight=None, ignore_index=-100, label_smoothing=0.0):
        _check_reduction(reduction)
        _check_scores(logits, "cross_entropy")
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
        rows, dtype = _rows(logits), logits.dtype
        classes = rows.shape[1]
        w = _class_weight(weight, classes, "cross_entropy", dtype)
        w_or_1 = w if w is not None else 1.0
        smooth = label_smoothing / classes
        self.probs, log_probs = _softmax(rows)
        self.shape, self.reduction = logits.shape, reduction
        self.dense = self.index = self.target_slope = None
        if target.dtype.kind == "f":
            if target.shape != logits.shape:
                hint = "; class indices must be integers (.long())" if target.shape == _positions(logits.shape) else ""
                raise ShapeError(f"cross_entropy: probability targets must have the input's shape "
                                 f"{logits.shape}, got {target.shape}{hint}")
            self.dense = ((_rows(target) * (1 - label_smoothing) + smooth) * w_or_1).astype(dtype, copy=False)
            self.count = len(rows)
            if self.needs_grad and self.needs_grad[1]:
                self.target_slope = -(1 - label_smoothing) * w_or_1 * log_probs
            per_position = -(self.dense * log_probs).sum(axis=1)
            self.total = self.dense.sum(axis=1)
        else:
            self.index, kept = _class_targets(logits, target, "cross_entropy", ignore_index)
            if w is None and kept is None:  # the usual case: every position counts, with weight 1
                self.hard, self.count = 1.0 - label_smoothing, len(self.index)
            else:
                w_y = _position_weights(w, self.index, kept, dtype)
                self.hard, self.count = (1 - label_smoothing) * w_y, w_y.sum()
            per_position = -self.hard * _pick(log_probs, self.index)
            self.total = self.hard
            if smooth:
                self.dense = np.broadcast_to(np.asarray(smooth * w_or_1, dtype), rows.shape) if kept is None else \
                    kept[:, None] * np.broadcast_to(np.asarray(smooth * w_or_1, dtype), rows.shape[1:])
                per_position = per_position - (self.dense * log_probs).sum(axis=1)
                self.total = self.total + self.dense.sum(axis=1)
        per_position = per_position.reshape(_positions(logits.shape))
        return np.asarray(_reduce(per_position, reduction, self.count), dtype=dtype)

    def backward(self, grad):
        grad = _scale(grad, self.reduction, self.count)
        if self.dense is None and np.ndim(grad) == 0 and np.ndim(self.hard) == 0:
            # plain class indices, reduced: one scalar scales every row (M1's step, a fifth faster)
            out = self.probs * (grad * self.hard)
            out[np.arange(len(self.index)), self.index] -= grad * self.hard
            return _unrows(out, self.shape), None
        grad = _per_row(grad)
        out = self.probs * (grad * np.reshape(self.total, (-1, 1)))  # the one pass over every entry, usually
        if self.dense is not None:
            out -= grad * self.dense
        if self.index is not None:
            out[np.arange(len(self.index)), self.index] -= grad[:, 0] * self.hard
        grad_target = _unrows(grad * self.target_slope, self.shape) if self.target_slope is not None else None
        return _unrows(out, self.shape), grad_target


class NLL(Function):
    """−w_y · input_y per position, the negative log-likelihood of log-probabilities (class axis
    1), 0 where the target is ``ignore_index``. 'mean' divides by Σ w_y over the kept
    positions. ∂/∂input_c = −w_y where c = y, else 0."""

    float_only = False

    def forward(self, log_probs, target, reduction="mean", weight=None, ignore_index=-100):
        _check_reduction(reduction)
        _check_scores(log_probs, "nll_loss")
        self.index, kept = _class_targets(log_probs, target, "nll_loss", ignore_index)
        rows = _rows(log_probs)
        w = _class_weight(weight, rows.shape[1], "nll_loss", log_probs.dtype)
        self.w_y = _position_weights(w, self.index, kept, log_probs.dtype)
        self.shape, self.reduction, self.count = log_probs.shape, reduction, self.w_y.sum()
        per_position = (-self.w_y * _pick(rows, self.index)).reshape(target.shape)
        return np.asarray(_reduce(per_position, reduction, self.count), dtype=log_probs.dtype)

    def backward(self, grad):
        grad = _per_row(_scale(grad, self.reduction, self.count))[:, 0]
        full = np.zeros((len(self.index), self.shape[1] if len(self.shape) > 1 else self.shape[0]), self.w_y.dtype)
        full[np.arange(len(self.index)), self.index] = -grad * self.w_y
        return _unrows(full, self.shape), None


class MultiMargin(Function):
    """PyTorch's multi-class hinge loss on scores (N, C) or (C,): per sample

        Σ_{c≠y} w_y · max(0, z_c)^p / C,   z_c = margin − x_y + x_c,   p = 1 or 2,

    so ∂/∂x_c = w_y p z_c^(p−1) / C where z_c > 0 (0 at z_c = 0, as PyTorch), and
    ∂/∂x_y = −Σ_{c≠y} ∂/∂x_c. 'mean' is over the samples.
    """

    float_only = False

    def forward(self, x, target, reduction="mean", p=1, margin=1.0, weight=None):
        _check_reduction(reduction)
        if p not in (1, 2):
            raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 are supported, got p={p}")
        _check_scores(x, "multi_margin_loss")
        if x.ndim not in (1, 2):
            raise ShapeError(f"multi_margin_loss: input must be (N, C) or (C,), got shape {x.shape}")
        self.index, kept = _class_targets(x, target, "multi_margin_loss")
        rows, classes = _rows(x), x.shape[-1]
        w_y = _position_weights(_class_weight(weight, classes, "multi_margin_loss", x.dtype), self.index, kept, x.dtype)
        self.at = np.arange(len(self.index)), self.index
        z = margin - rows[self.at][:, None] + rows
        active = z > 0
        active[self.at] = False  # the true class is no margin of its own
        z = np.where(active, z, 0)
        self.slope = (p * z ** (p - 1) * active) * (w_y[:, None] / classes)
        self.shape, self.reduction, self.count = x.shape, reduction, len(rows)
        per_sample = ((z ** p).sum(axis=1) * w_y / classes).reshape(target.shape)
        return np.asarray(_reduce(per_sample, reduction, self.count), dtype=x.dtype)

    def backward(self, grad):
        grad = _per_row(_scale(grad, self.reduction, self.count)) * self.slope
        grad[self.at] = -grad.sum(axis=1)
        return grad.reshape(self.shape), None


# --------------------------------------------------------------- elementwise losses
def _check_same_shape(a, b, op):
    if a.shape != b.shape:
        raise ShapeError(f"{op}: input shape {a.shape} and target shape {b.shape} differ")


def _broadcast(weight, shape, op, name, dtype):
    """``weight`` (an array or None) broadcast to the loss's ``shape``."""
    if weight is None:
        return None
    weight = np.asarray(weight, dtype=dtype)
    try:
        return np.broadcast_to(weight, shape)
    except ValueError:
        raise ShapeError(f"{op}: {name} of shape {weight.shape} does not broadcast to the input's "
                         f"shape {shape}") from None


class _Elementwise(Function):
    """A loss computed per element of a same-shaped input and target, optionally times a
    ``weight`` broadcast to them, then reduced. A subclass gives ``pointwise`` (the losses,
    saving what it needs) and ``partials`` (∂loss/∂input, ∂loss/∂target or None when the
    target needs no gradient)."""

    op = ""
    reductions = REDUCTIONS

    def forward(self, x, target, reduction="mean", weight=None, **options):
        _check_reduction(reduction, self.reductions)
        _check_same_shape(x, target, self.op)
        loss = self.pointwise(x, target, **options)
        self.weight = _broadcast(weight, x.shape, self.op, "weight", x.dtype)
        if self.weight is not None:
            loss = loss * self.weight
        self.reduction = reduction
        self.count = x.size if reduction != "batchmean" else len(x) if x.ndim else 1
        return np.asarray(_reduce(loss, reduction, self.count), dtype=x.dtype)

    def backward(self, grad):
        grad = _scale(grad, self.reduction, self.count)
        if self.weight is not None:
            grad = grad * self.weight
        d_input, d_target = self.partials(self.needs_grad[1])
        return grad * d_input, (grad * d_target if d_target is not None else None)


class _OfDifference(_Elementwise):
    """A loss of d = input − target alone: ∂/∂target = −∂/∂input = −slope(d)."""

    def partials(self, want_target):
        slope = self.slope()
        return slope, (-slope if want_target else None)


class MSE(_OfDifference):
    """(x − t)²;  ∂/∂x = 2(x − t)."""

    op = "mse_loss"

    def pointwise(self, x, target):
        self.diff = x - target
        return self.diff * self.diff

    def slope(self):
        return 2 * self.diff


class L1(_OfDifference):
    """|x − t|;  ∂/∂x = sign(x − t) (0 at x = t, as PyTorch)."""

    op = "l1_loss"

    def pointwise(self, x, target):
        self.diff = x - target
        return np.abs(self.diff)

    def slope(self):
        return np.sign(self.diff)


class SmoothL1(_OfDifference):
    """½d²/β where |d| < β, else |d| − ½β (d = x − t; β = 0 is the L1 loss);
    ∂/∂x = clip(d/β, −1, 1)."""

    op = "smooth_l1_loss"

    def pointwise(self, x, target, beta=1.0):
        if beta < 0:
            raise ValueError(f"smooth_l1_loss: beta must not be negative, got {beta}")
        self.diff, self.beta = x - target, beta
        size = np.abs(self.diff)
        if beta == 0:
            return size
        return np.where(size < beta, 0.5 * self.diff * self.diff / beta, size - 0.5 * beta)

    def slope(self):
        return np.sign(self.diff) if self.beta == 0 else np.clip(self.diff / self.beta, -1, 1)


class Huber(_OfDifference):
    """½d² where |d| < δ, else δ(|d| − ½δ) (d = x − t): β·smooth_l1 with β = δ;
    ∂/∂x = clip(d, −δ, δ)."""

    op = "huber_loss"

    def pointwise(self, x, target, delta=1.0):
        if delta <= 0:
            raise ValueError(f"huber_loss: delta must be positive, got {delta}")
        self.diff, self.delta = x - target, delta
        size = np.abs(self.diff)
        return np.where(size < delta, 0.5 * self.diff * self.diff, delta * (size - 0.5 * delta))

    def slope(self):
        return np.clip(self.diff, -self.delta, self.delta)


class KLDiv(_Elementwise):
    """Pointwise KL divergence of log-probabilities x from target probabilities t:
    t (log t − x) (0 where t = 0), or with ``log_target`` eᵗ (t − x).

    ∂/∂x = −t (−eᵗ);  ∂/∂t = log t + 1 − x (eᵗ (t − x + 1)). Besides PyTorch's three
    reductions 'batchmean' divides the sum by N, the KL divergence per sample.
    """

    op = "kl_div"
    reductions = REDUCTIONS + ("batchmean",)

    def pointwise(self, x, target, log_target=False):
        self.x, self.target, self.log_target = x, target, log_target
        if log_target:
            return np.exp(target) * (target - x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(target == 0, 0, target * np.log(target)) - target * x

    def partials(self, want_target):
        x, t = self.x, self.target
        if self.log_target:
            e = np.exp(t)
            return -e, (e * (t - x + 1) if want_target else None)
        if not want_target:
            return -t, None
        with np.errstate(divide="ignore"):
            return -t, np.log(t) + 1 - x


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


class BinaryCrossEntropy(_Elementwise):
    """−[t log p + (1 − t) log(1 − p)] on probabilities p, logs clamped at −100;
    ∂/∂p = (p − t) / max(p(1 − p), 1e-12), ∂/∂t = log(1 − p) − log p."""

    op = "binary_cross_entropy"

    def pointwise(self, p, target):
        if p.size and (p.min() < 0 or p.max() > 1):
            raise ValueError("binary_cross_entropy: input values must lie between 0 and 1 (probabilities); "
                             "for logits use binary_cross_entropy_with_logits")
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), _LOG_FLOOR)
            log_q = np.maximum(np.log1p(-p), _LOG_FLOOR)
        self.p, self.target = p, target
        return -(target * log_p + (1 - target) * log_q)

    def partials(self, want_target):
        p, t = self.p, self.target
        grad_p = (p - t) / np.maximum((1 - p) * p, 1e-12)
        if not want_target:
            return grad_p, None
        # −logit(p), unclamped as in PyTorch: ±inf at p = 0 or 1.
        with np.errstate(divide="ignore"):
            return grad_p, np.log1p(-p) - np.log(p)


class BinaryCrossEntropyWithLogits(_Elementwise):
    """BCE on logits, stable, with a weight ``pos_weight`` (pw, broadcast against the target:
    one per class along the last axis) on the positive term:

        (1 − t) x + lw · softplus(−x),   lw = 1 + (pw − 1) t,

    computed as max(x, 0) − x t + log(1 + e^(−|x|)) + (pw − 1) t softplus(−x) so that small
    losses keep their relative precision. ∂/∂x = lw σ(x) − pw t (σ(x) − t without pw);
    ∂/∂t = −x + (pw − 1) softplus(−x).
    """

    op = "binary_cross_entropy_with_logits"

    def pointwise(self, x, target, pos_weight=None):
        self.x, self.target = x, target
        self.pos_weight = _broadcast(pos_weight, x.shape, self.op, "pos_weight", x.dtype)
        log_term = np.log1p(np.exp(-np.abs(x)))
        loss = np.maximum(x, 0) - x * target + log_term
        if self.pos_weight is not None:
            self.softplus = np.maximum(-x, 0) + log_term  # softplus(−x) = −log σ(x)
            loss = loss + (self.pos_weight - 1) * target * self.softplus
        return loss

    def partials(self, want_target):
        x, t, pw = self.x, self.target, self.pos_weight
        with np.errstate(over="ignore"):
            sigmoid = 1 / (1 + np.exp(-x))
        if pw is None:
            return sigmoid - t, (-x if want_target else None)
        grad_x = (1 + (pw - 1) * t) * sigmoid - pw * t
        return grad_x, ((pw - 1) * self.softplus - x if want_target else None)
