"""Adam, as ``torch.optim.Adam`` (the same operations in the same order)."""

from __future__ import annotations

import math

import numpy as np

from .optimizer import Optimizer


class Adam(Optimizer):
    r"""With g = ∇w + λw and step t:

        m ← β₁ m + (1 − β₁) g,      v ← β₂ v + (1 − β₂) g²
        w ← w − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False):
        if lr < 0 or eps < 0 or weight_decay < 0:
            raise ValueError(f"Adam: lr, eps and weight_decay must be >= 0 (got {lr}, {eps}, {weight_decay})")
        if not all(0 <= b < 1 for b in betas):
            raise ValueError(f"Adam: betas must lie in [0, 1), got {betas}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad))

    def _update(self, param, grad, group, state):
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param._data)
            state["exp_avg_sq"] = np.zeros_like(param._data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param._data)
        state["step"] += 1
        step = state["step"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param._data
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        # In place, through one scratch array, in PyTorch's order of operations
        # (lerp, addcmul, addcdiv) so that results agree to the rounding.
        tmp = self._scratch(param)
        np.subtract(grad, exp_avg, out=tmp)
        tmp *= 1 - beta1
        exp_avg += tmp
        np.multiply(grad, 1 - beta2, out=tmp)
        tmp *= grad
        exp_avg_sq *= beta2
        exp_avg_sq += tmp
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            second = state["max_exp_avg_sq"]
        else:
            second = exp_avg_sq
        step_size = group["lr"] / (1 - beta1 ** step)
        denom = np.sqrt(second)
        denom /= math.sqrt(1 - beta2 ** step)
        denom += group["eps"]
        np.multiply(exp_avg, -step_size, out=tmp)
        tmp /= denom
        param._data += tmp
