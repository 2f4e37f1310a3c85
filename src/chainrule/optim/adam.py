"""Adam and AdamW, as ``torch.optim.Adam`` and ``torch.optim.AdamW`` (the same operations in
the same order)."""

from __future__ import annotations

import math

import numpy as np

from .optimizer import Optimizer, lerp_


class Adam(Optimizer):
    r"""With step t and g = ∇w (+ λw unless the decay is decoupled):

        m ← β₁ m + (1 − β₁) g,      v ← β₂ v + (1 − β₂) g²
        w ← w − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

    amsgrad uses the running maximum of v instead of v. ``decoupled_weight_decay`` (AdamW)
    shrinks the weights directly, w ← (1 − ηλ) w, before the step, instead of adding λw to
    the gradient, where the moments would rescale it.
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *, decoupled_weight_decay: bool = False):
        if lr < 0 or eps < 0 or weight_decay < 0:
            raise ValueError(f"{type(self).__name__}: lr, eps and weight_decay must be >= 0 "
                             f"(got {lr}, {eps}, {weight_decay})")
        if not all(0 <= b < 1 for b in betas):
            raise ValueError(f"{type(self).__name__}: betas must lie in [0, 1), got {betas}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, decoupled_weight_decay=decoupled_weight_decay))

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
            if group["decoupled_weight_decay"]:
                param._data *= 1 - group["lr"] * group["weight_decay"]
            else:
                grad = grad + group["weight_decay"] * param._data
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        # In place, through one scratch array, in PyTorch's order of operations (lerp, addcmul,
        # addcdiv); its CPU kernels fuse the multiply-adds, so float32 agrees to the last bit or so.
        tmp = self._scratch(param)
        lerp_(exp_avg, grad, 1 - beta1, tmp)
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


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), on by default: λ = 0.01."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay=True)

    def load_state_dict(self, state_dict: dict) -> None:
        """As PyTorch's: a state saved by a plain Adam still loads as AdamW (decay decoupled)."""
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
