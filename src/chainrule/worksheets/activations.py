"""Activation facts (A5): each activation and its derivative at chosen points, by autograd, and
the facts of A5 checked numerically."""

from __future__ import annotations

import numpy as np

from ._format import num
from .activations_fn import KINDS, activate, convention, derivative
from ..tensor import Tensor


def table(points=(-2, -1, 0, 1, 2), kinds=KINDS, alpha: float = 0.1, at_zero=None) -> str:
    """Rows ``kind  f(z) …  f'(z) …`` with the derivative computed by autograd."""
    z = np.asarray(points, dtype=np.float64)
    head = "activation".ljust(12) + "".join(f"{'f(' + num(p) + ')':>10}" for p in z) + "   " + \
        "".join(f"{chr(102) + chr(39) + '(' + num(p) + ')':>10}" for p in z) + "   convention"
    out = [head]
    for kind in kinds:
        f = activate(Tensor(z), kind, at_zero, alpha).numpy()
        d = derivative(z, kind, at_zero, alpha)
        out.append(kind.ljust(12) + "".join(f"{num(round(v, 4)):>10}" for v in f) + "   " +
                   "".join(f"{num(round(v, 4)):>10}" for v in d) + f"   {convention(kind, at_zero, alpha)}")
    return "\n".join(out) + "\n"


def facts(alpha: float = 0.1) -> list[tuple[str, bool]]:
    """A5's facts, each checked numerically on a grid."""
    z = np.linspace(-30, 30, 6001)
    s = activate(Tensor(z), "sigmoid").numpy()
    d0 = {k: derivative(np.array([0.0]), k)[0] for k in ("sigmoid", "tanh")}
    neg = np.linspace(-50, -1e-3, 1000)
    return [
        ("sigmoid outputs lie strictly between 0 and 1 (checked on [-30, 30])", bool(np.all((s > 0) & (s < 1)))),
        (f"sigmoid'(0) = {num(d0['sigmoid'])} < tanh'(0) = {num(d0['tanh'])}", bool(d0["sigmoid"] < d0["tanh"])),
        ("relu'(z) = 0 for every z < 0: a unit with wᵀx + b < 0 on every sample is dead",
         bool(np.all(derivative(neg, "relu") == 0))),
        (f"leaky_relu'(z) = α = {num(alpha)} != 0 for z < 0: it cannot die that way",
         bool(np.all(derivative(neg, "leaky_relu", alpha=alpha) != 0))),
        ("elu'(z) = α eᶻ > 0 for z < 0 (down to z = -50): it cannot die that way",
         bool(np.all(derivative(neg, "elu", alpha=1.0) > 0))),
    ]
