"""Activation facts (A5): each activation and its derivative at chosen points, by autograd, and
the facts of A5 checked numerically."""

from __future__ import annotations

from dataclasses import dataclass

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


def plot(path, kinds=KINDS, alpha: float = 0.1, at_zero=None, lo: float = -4.0, hi: float = 4.0):
    """Each activation (solid) and its derivative by autograd (dashed), one panel per activation,
    written to ``path`` (PNG, SVG or PDF by its suffix) with matplotlib's Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    z = np.linspace(lo, hi, 801)
    cols = 4
    rows = -(-len(kinds) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    for ax, kind in zip(axes.flat, kinds):
        ax.plot(z, activate(Tensor(z), kind, at_zero, alpha).numpy(), label=f"{kind}(z)")
        ax.plot(z, derivative(z, kind, at_zero, alpha), "--", label=f"{kind}'(z)")
        ax.axhline(0, color="grey", lw=0.5)
        ax.axvline(0, color="grey", lw=0.5)
        ax.set_title(f"{kind}  ({convention(kind, at_zero, alpha)})", fontsize=8)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(kinds):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


# ------------------------------------------------------------- dead units
@dataclass
class DeadLayer:
    name: str  # the layer's name in the model, e.g. "1"
    kind: str  # Linear or Conv2d
    units: int
    dead: list  # indices (from 0) of the dead units
    max_pre: np.ndarray  # per unit, the largest pre-activation over every sample (and position)
    samples: int

    def condition(self, unit: int) -> str:
        if self.kind == "Conv2d":
            return (f"filter {unit}: w·patch + b <= 0 for every patch of every sample "
                    f"(largest {self.max_pre[unit]:.4g})")
        return f"unit {unit}: w·a + b <= 0 for every sample a (largest {self.max_pre[unit]:.4g})"


def dead_units(model, x, batch_size: int = 500) -> list[DeadLayer]:
    """For each Linear / Conv2d layer whose output goes straight into a ReLU, the units (filters)
    whose pre-activation is <= 0 on every sample of ``x`` (and, for a convolution, every position):
    ``relu(w·a + b)`` is 0 there and relu'(z) = 0, so no sample passes a gradient to the unit's
    weights -- it is dead on this data set."""
    from .. import nn
    from ..autograd import no_grad

    calls = []
    handles = []

    def hook(module, inputs, output):
        calls.append((module, inputs[0] if inputs else None, output))

    for name, module in model.named_modules():
        if isinstance(module, (nn.Linear, nn.Conv2d, nn.ReLU)):
            handles.append(module.register_forward_hook(hook))
    names = {id(m): n for n, m in model.named_modules()}
    maxima: dict = {}
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        with no_grad():
            for start in range(0, len(x), batch_size):
                calls.clear()
                model(Tensor(np.asarray(x[start:start + batch_size])))
                outputs = {id(out): mod for mod, _, out in calls if not isinstance(mod, nn.ReLU)}
                for mod, inp, _ in calls:
                    if isinstance(mod, nn.ReLU) and inp is not None and id(inp) in outputs:
                        layer = outputs[id(inp)]
                        pre = inp.detach().numpy()
                        axes = (0,) + tuple(range(2, pre.ndim))
                        m = pre.max(axis=axes)
                        key = id(layer)
                        maxima[key] = (layer, np.maximum(maxima[key][1], m) if key in maxima else m)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    out = []
    for layer, m in maxima.values():
        out.append(DeadLayer(names.get(id(layer), "?"), type(layer).__name__, m.size,
                             [int(i) for i in np.flatnonzero(m <= 0)], m, len(x)))
    order = {n: i for i, (n, _) in enumerate(model.named_modules())}
    return sorted(out, key=lambda d: order.get(d.name, 0))


def dead_report(layers: list[DeadLayer]) -> str:
    if not layers:
        return "No Linear or Conv2d layer in this model feeds a ReLU: there are no ReLU units to die.\n"
    out = [f"Dead ReLU units on {layers[0].samples} samples: a unit relu(w·a + b) is dead on a data set when",
           "w·a + b <= 0 for every sample a (a = the layer's input); then relu'(z) = 0 on every sample and its",
           "weights and bias get no gradient (leaky ReLU and ELU have nonzero slope below 0, so they cannot die so).",
           "Units and filters are numbered from 0, as in the weight matrices' rows."]
    for d in layers:
        word = "filters" if d.kind == "Conv2d" else "units"
        out += ["", f"layer {d.name} ({d.kind} + ReLU): {len(d.dead)} of {d.units} {word} dead"]
        out += [f"  {d.condition(u)}" for u in d.dead]
    return "\n".join(out) + "\n"
