"""Hand-designed step-activation networks (A7) and their verification against a predicate.

A network is a TOML file of ``[[layer]]`` tables with ``W`` (out x in) and ``b``; every unit is the
hard threshold ``σ(z) = 1 if z >= 0 else 0`` (``chainrule.nn.functional.step``). :func:`verify`
runs it through the engine, in float64, on a generated test set — random inputs, sorted inputs,
exact ties at every position, near-ties one float apart, and (optionally) every tuple of small
integers — and reports every input where it disagrees with the predicate.

The shipped A7 solution (``examples/A7.toml``): hidden unit i fires when x[i+1] − x[i] >= 0, i.e.
when the pair (i, i+1) is *not* strictly descending; the output fires when no hidden unit does
(z = 0.5 − Σ h). Ties come out as 0 because σ(0) = 1: an equal pair gives z = 0 in its hidden
unit, which then fires and vetoes the output. For finite floats a − b = 0 exactly when a = b and
the sign of a − b is always right, so the test is exact, with no margin to tune.
"""

from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

PREDICATES = {
    "strictly_descending": ("x1 > x2 > … > xn", lambda x: bool(np.all(x[:-1] > x[1:]))),
    "strictly_ascending": ("x1 < x2 < … < xn", lambda x: bool(np.all(x[:-1] < x[1:]))),
    "non_increasing": ("x1 >= x2 >= … >= xn", lambda x: bool(np.all(x[:-1] >= x[1:]))),
}


@dataclass
class StepNet:
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    name: str = "network"
    predicate: str = "strictly_descending"
    explanation: str = ""

    @property
    def inputs(self) -> int:
        return self.weights[0].shape[1]

    def __call__(self, x) -> np.ndarray:
        """Outputs for a batch ``x`` [N, inputs] (or one input), by the engine in float64."""
        from ..autograd import no_grad
        from ..nn import functional as F
        from ..tensor import Tensor

        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        with no_grad():
            a = Tensor(x)
            for W, b in zip(self.weights, self.biases):
                a = F.step(F.linear(a, Tensor(W), Tensor(b)))
        return a.numpy()[:, 0] if a.shape[1] == 1 else a.numpy()


def net_from_dict(data: dict) -> StepNet:
    if "layer" not in data:
        raise ValueError("a step network needs [[layer]] tables with W (out x in) and b")
    Ws, bs = [], []
    width = None
    for i, spec in enumerate(data["layer"], 1):
        if "W" not in spec:
            raise ValueError(f"layer {i}: needs W (out x in)")
        W = np.atleast_2d(np.asarray(spec["W"], dtype=np.float64))
        b = np.asarray(spec.get("b", np.zeros(W.shape[0])), dtype=np.float64).reshape(-1)
        if width is not None and W.shape[1] != width:
            raise ValueError(f"layer {i}: W has {W.shape[1]} columns but the layer before has {width} units")
        if b.size != W.shape[0]:
            raise ValueError(f"layer {i}: b has {b.size} entries, W has {W.shape[0]} rows")
        if spec.get("activation", "step") != "step":
            raise ValueError(f"layer {i}: only step activations are supported here")
        Ws.append(W)
        bs.append(b)
        width = W.shape[0]
    if width != 1:
        raise ValueError(f"the last layer must have one unit, it has {width}")
    predicate = data.get("predicate", "strictly_descending")
    if predicate not in PREDICATES:
        raise ValueError(f"unknown predicate {predicate!r}; choose one of: {', '.join(PREDICATES)}")
    return StepNet(Ws, bs, data.get("name", "network"), predicate, data.get("explanation", ""))


def load(path) -> StepNet:
    with open(Path(path), "rb") as f:
        try:
            return net_from_dict(tomllib.load(f))
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not valid TOML: {exc}") from None


def load_example(name: str = "A7") -> StepNet:
    path = resources.files(__package__).joinpath("examples").joinpath(f"{name}.toml")
    if not path.is_file():
        raise ValueError(f"no step-network example {name!r}")
    return net_from_dict(tomllib.loads(path.read_text(encoding="utf-8")))


# -------------------------------------------------------------------- tests
def test_set(n: int, random: int = 1000, seed: int = 0, integers: int | None = 5) -> dict[str, np.ndarray]:
    """Named groups of inputs of width ``n``: random, sorted descending (the positives), ties at every
    position, near-ties one float apart either way, and every tuple from {0, …, integers−1}."""
    rng = np.random.default_rng(seed)
    groups = {}
    groups["random"] = rng.normal(0, 10, (random, n))
    desc = -np.sort(-rng.normal(0, 10, (random, n)), axis=1)
    groups["sorted descending"] = desc
    ties, near_below, near_above = [], [], []
    for i in range(n - 1):
        t = desc.copy()[: max(1, random // 10)]
        t[:, i + 1] = t[:, i]
        ties.append(t)
        below = t.copy()
        below[:, i + 1] = np.nextafter(t[:, i], -np.inf)  # still strictly descending
        near_below.append(below)
        above = t.copy()
        above[:, i + 1] = np.nextafter(t[:, i], np.inf)  # one float too large
        near_above.append(above)
    groups["ties at each position"] = np.concatenate(ties)
    groups["all equal"] = np.repeat(rng.normal(0, 10, (10, 1)), n, axis=1)
    groups["near-ties (one float below: descending)"] = np.concatenate(near_below)
    groups["near-ties (one float above: not descending)"] = np.concatenate(near_above)
    if integers:
        groups[f"every tuple from {{0..{integers - 1}}}^{n}"] = np.array(
            list(itertools.product(range(integers), repeat=n)), dtype=np.float64)
    return groups


@dataclass
class Verification:
    net: StepNet
    rows: list[tuple[str, int, int, int]] = field(default_factory=list)  # group, tested, positives, failures
    counterexamples: list[tuple[np.ndarray, int, int]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.counterexamples

    def text(self, limit: int = 10) -> str:
        text, _ = PREDICATES[self.net.predicate]
        out = [f"{self.net.name}: checking output == [{text}] on {sum(r[1] for r in self.rows)} inputs"]
        width = max(len(r[0]) for r in self.rows)
        out.append(f"  {'group'.ljust(width)}  {'inputs':>7}  {'true':>6}  {'wrong':>6}")
        for g, tested, pos, bad in self.rows:
            out.append(f"  {g.ljust(width)}  {tested:7d}  {pos:6d}  {bad:6d}")
        if self.passed:
            out.append("PASS: no counterexample")
        else:
            out.append(f"FAIL: {len(self.counterexamples)} counterexample(s)")
            for x, got, want in self.counterexamples[:limit]:
                out.append(f"  x = [{', '.join(repr(float(v)) for v in x)}]: network {got}, predicate {want}")
        if self.net.explanation:
            out += ["", self.net.explanation.strip()]
        return "\n".join(out) + "\n"


def verify(net: StepNet, random: int = 1000, seed: int = 0, integers: int | None = 5,
           extra: np.ndarray | None = None) -> Verification:
    """Compare ``net`` with its predicate on :func:`test_set` (plus ``extra`` inputs)."""
    predicate = PREDICATES[net.predicate][1]
    groups = test_set(net.inputs, random, seed, integers)
    if extra is not None:
        groups["given"] = np.atleast_2d(np.asarray(extra, dtype=np.float64))
    result = Verification(net)
    for name, xs in groups.items():
        got = net(xs).astype(int)
        want = np.array([predicate(x) for x in xs], dtype=int)
        wrong = np.nonzero(got != want)[0]
        result.rows.append((name, len(xs), int(want.sum()), len(wrong)))
        result.counterexamples += [(xs[i], int(got[i]), int(want[i])) for i in wrong]
    return result
