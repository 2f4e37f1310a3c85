"""Learning-rate schedules, as ``torch.optim.lr_scheduler``: each ``step()`` moves
``last_epoch`` on by one and writes the new rate into the optimiser's groups.

Call ``step()`` once per epoch or once per iteration; the exercises count
iterations (C4's decay is stepped after every mini-batch).

A scheduler built to resume (``last_epoch = k ≥ 0``, the groups holding ``initial_lr``) takes
one step in its constructor, k → k+1, as PyTorch's does. The chainable schedules (which scale
the optimiser's current rate: ExponentialLR, CosineAnnealingLR) keep the rate in that step;
the closed-form ones (LambdaLR, ExpDecayLR) set η(k+1); StepLR decays if k+1 is a multiple of
its step size.
"""

from __future__ import annotations

import math
import types

from .optimizer import Optimizer


class LRScheduler:
    # True only during the constructor's step (see _initial_step); a class default so that a
    # state saved without it still loads.
    _is_initial: bool = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """The constructor's step, last_epoch k → k+1, with ``_is_initial`` set: a chainable
        schedule then keeps the optimiser's rates, so that resuming (k ≥ 0) continues from the
        loaded rates instead of applying one more decay (PyTorch's rule)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        raise NotImplementedError

    def step(self) -> None:
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        return self._last_lr

    def state_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "optimizer" and not callable(v)}

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """η ← γ·η every ``step_size`` steps."""

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        lrs = [g["lr"] for g in self.optimizer.param_groups]
        if self.last_epoch == 0 or self.last_epoch % self.step_size:
            return lrs
        return [lr * self.gamma for lr in lrs]


class ExponentialLR(LRScheduler):
    """η ← γ·η every step but the constructor's."""

    def __init__(self, optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        lrs = [g["lr"] for g in self.optimizer.param_groups]
        return lrs if self._is_initial else [lr * self.gamma for lr in lrs]


class CosineAnnealingLR(LRScheduler):
    """η_t = η_min + ½(η_0 − η_min)(1 + cos(π t / T_max)), computed by PyTorch's
    recursive form so the two agree to the last bit: each step scales η_{t−1} − η_min by
    (1 + cos(π t / T_max)) / (1 + cos(π (t−1) / T_max)), and the step after a minimum
    (t − 1 − T_max a multiple of 2·T_max, where that ratio is 0/0) adds
    ½(η_0 − η_min)(1 − cos(π / T_max)). The constructor's step keeps the optimiser's rate, so a
    resumed schedule (last_epoch ≥ 0) recurses from the rate it is given."""

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        groups, t, T = self.optimizer.param_groups, self.last_epoch, self.T_max
        if self._is_initial:
            return [g["lr"] for g in groups]
        # Only a get_lr() called by hand straight after the constructor gets here (PyTorch's
        # closed form, kept so that the call answers as PyTorch's does).
        if self._step_count == 1 and t > 0:
            return [self.eta_min + (base - self.eta_min) * (1 + math.cos(t * math.pi / T)) / 2
                    for base in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:
            return [g["lr"] + (base - self.eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base, g in zip(self.base_lrs, groups)]
        return [(1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
                * (g["lr"] - self.eta_min) + self.eta_min for g in groups]


class LambdaLR(LRScheduler):
    """η_t = η_0 · f(t) for a function f of the step count."""

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1):
        groups = len(optimizer.param_groups)
        self.lr_lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * groups
        if len(self.lr_lambdas) != groups:
            raise ValueError(f"LambdaLR: expected {groups} lr_lambdas, got {len(self.lr_lambdas)}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * f(self.last_epoch) for f, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self) -> dict:
        """As PyTorch: plain functions are not saved (``None``; they cannot be pickled and the
        scheduler that loads the state keeps its own), callable objects save their ``__dict__``."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(f, types.FunctionType) else dict(getattr(f, "__dict__", {}))
                               for f in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state = dict(state_dict)
        saved = state.pop("lr_lambdas", [None] * len(self.lr_lambdas))
        self.__dict__.update(state)
        for f, attributes in zip(self.lr_lambdas, saved):
            if attributes is not None:
                f.__dict__.update(attributes)


class ExpDecayLR(LRScheduler):
    """Exponential decay to a floor (exercise C4), stepped per iteration:

        η(t) = η_min + (η_max − η_min) · e^(−t/τ),   η_max = the optimiser's initial rate.

    Closed form, like LambdaLR (its PyTorch twin): built with last_epoch = k it sets η(k+1).
    """

    def __init__(self, optimizer, tau: float, eta_min: float = 0.0, last_epoch: int = -1):
        if tau <= 0:
            raise ValueError(f"ExpDecayLR: tau must be positive, got {tau}")
        self.tau, self.eta_min = tau, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        decay = math.exp(-self.last_epoch / self.tau)
        return [self.eta_min + (base - self.eta_min) * decay for base in self.base_lrs]
