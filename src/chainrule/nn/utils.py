"""Training helpers on parameters' gradients (``torch.nn.utils``)."""

from __future__ import annotations

import math

import numpy as np

from ..autograd import note_inplace_write
from ..tensor import Tensor


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale every gradient in place by min(1, max_norm / (‖g‖ + 1e-6)), where ‖g‖ is the
    norm of all the gradients together, as one vector; returns ‖g‖. PyTorch's rule, so the
    same gradients come out clipped alike."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = [p.grad._data for p in params if p.grad is not None]
    if not grads:
        return Tensor(0.0)
    if norm_type in (float("inf"), "inf"):
        total = max(float(np.max(np.abs(g))) for g in grads)
    elif norm_type > 0:
        total = sum(float(np.sum(np.abs(g, dtype=np.float64) ** norm_type)) for g in grads) ** (1.0 / norm_type)
    else:
        raise ValueError(f"clip_grad_norm_: norm_type must be positive or inf, got {norm_type!r}")
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of the gradients is {total}; "
                           f"pass error_if_nonfinite=False to clip anyway")
    scale = min(max_norm / (total + 1e-6), 1.0)
    for g in grads:
        g *= g.dtype.type(scale)
    note_inplace_write(*grads)
    return Tensor(np.array(total, dtype=grads[0].dtype))
