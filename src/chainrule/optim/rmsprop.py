"""RMSprop, as ``torch.optim.RMSprop`` (the same operations in the same order)."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, lerp_


class RMSprop(Optimizer):
    r"""With g = ∇w + λw:

        v ← α v + (1 − α) g²                   (a running mean of the squared gradient)
        centered: ḡ ← α ḡ + (1 − α) g,  v̂ = v − ḡ²   (a running variance instead)
        w ← w − η g / (√v̂ + ε)                 momentum μ > 0:  b ← μ b + g / (√v̂ + ε),  w ← w − η b

    Unlike Adam there is no bias correction: v starts at 0, so the first steps are large.
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False):
        for name, value in dict(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha).items():
            if value < 0:
                raise ValueError(f"RMSprop: {name} must be >= 0, got {value}")
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                                      weight_decay=weight_decay))

    def _update(self, param, grad, group, state):
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param._data)
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(param._data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param._data)
        state["step"] += 1
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param._data
        alpha, square_avg = group["alpha"], state["square_avg"]
        tmp = self._scratch(param)
        # PyTorch's mul_, addcmul_ (value · g · g), lerp_, sqrt, add_(eps), addcdiv_ (value · g / avg).
        square_avg *= alpha
        np.multiply(grad, 1 - alpha, out=tmp)
        tmp *= grad
        square_avg += tmp
        if group["centered"]:
            grad_avg = state["grad_avg"]
            lerp_(grad_avg, grad, 1 - alpha, tmp)
            np.multiply(grad_avg, grad_avg, out=tmp)
            avg = np.sqrt(square_avg - tmp)
        else:
            avg = np.sqrt(square_avg)
        avg += group["eps"]
        if group["momentum"] > 0:
            buffer = state["momentum_buffer"]
            buffer *= group["momentum"]
            np.divide(grad, avg, out=tmp)
            buffer += tmp
            np.multiply(buffer, -group["lr"], out=tmp)
        else:
            np.multiply(grad, -group["lr"], out=tmp)
            tmp /= avg
        param._data += tmp
