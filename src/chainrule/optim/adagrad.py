"""Adagrad, as ``torch.optim.Adagrad`` (the same operations in the same order)."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer


class Adagrad(Optimizer):
    r"""With step t and g = ∇w + λw:

        s ← s + g²                     (s starts at initial_accumulator_value)
        w ← w − η_t g / (√s + ε),      η_t = η / (1 + (t − 1) · lr_decay)

    Every weight's rate shrinks as its squared gradients pile up: rarely moved weights keep
    larger steps.
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10):
        for name, value in dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                initial_accumulator_value=initial_accumulator_value, eps=eps).items():
            if value < 0:
                raise ValueError(f"Adagrad: {name} must be >= 0, got {value}")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value))
        # PyTorch builds the state with the optimiser, so that a state_dict taken before training
        # already holds every accumulator; a group added later gets its state at its first step.
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, self.state.setdefault(p, {}))

    def _init_state(self, param, state: dict) -> None:
        # The optimiser-wide initial_accumulator_value, as PyTorch: a group's own is not read.
        state["step"] = 0
        state["sum"] = np.full_like(param._data, self.defaults["initial_accumulator_value"])

    def _update(self, param, grad, group, state):
        if not state:
            self._init_state(param, state)
        state["step"] += 1
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param._data
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state_sum = state["sum"]
        tmp = self._scratch(param)
        np.multiply(grad, grad, out=tmp)
        state_sum += tmp
        std = np.sqrt(state_sum)
        std += group["eps"]
        np.multiply(grad, -clr, out=tmp)
        tmp /= std
        param._data += tmp
