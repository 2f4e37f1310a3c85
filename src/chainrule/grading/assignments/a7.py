"""A7: a hand-designed threshold network (``a7_answers.toml``, 3 marks, as section E).

The student gives W1 (4x5), b1 (4), w2 (4) and b2 (one number) of a 5-4-1 network whose units
are all σ(z) = 1 if z >= 0 else 0; the output must be 1 exactly when x1 > x2 > x3 > x4 > x5.
There is no one right answer, so the design is tested, not compared: on a hidden random set drawn
from the grade's seed (:func:`chainrule.worksheets.threshold.test_set`: random inputs, sorted
ones, a tie at each position, all equal) plus every input in {−2, …, 2}⁵ — every pattern of
ties and orders five numbers can have — as they are and scaled by 1e-300 and by 1e300.
The 3 marks go to a design with no counterexample, all or nothing: the sheet asks for one
network that is right everywhere, ties included. The feedback shows one counterexample per
failing group ("x = [3.0, 2.0, 2.0, 1.0, 0.0] gives 1, expected 0: x2 = x3").

Why the tiny and huge scales: a design with a margin (σ(x_i − x_{i+1} − ε)) is right on
integers but wrong for gaps below ε; at 1e-300 every margin shows. Why the network is evaluated
exactly: in floating point, a correct design with weights 3 or 0.7 instead of 1 can get z ≠ 0 on
a tie (a fused multiply-add leaves the rounding error of 3·x2 in 3·x3 − 3·x2), and the
worksheet's own float64 check then reports a false counterexample. Here each pre-activation is
computed in float64 with a rigorous error bound, and those too close to 0 to be decided are
recomputed exactly in rational arithmetic, so a design is judged on the numbers it writes.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np

from ..assignment import Assignment, Fault, Test
from ..answers import blank, fitted, lookup, numbers

SHAPES = {"W1": (4, 5), "b1": (4,), "w2": (4,), "b2": ()}
"""The fields and the sheet's shapes (4 hidden units on 5 inputs)."""

LARGEST_WEIGHT = 1e12
"""Weights beyond this are refused: no design needs them, and they would overflow at 1e300."""

UNIT_ROUNDOFF = 2.0 ** -53


def design(answers: dict) -> list[np.ndarray]:
    """[W1, b1, w2, b2] read from the file, in the sheet's shapes, or a Fault naming the field."""
    arrays = []
    for key, shape in SHAPES.items():
        raw = lookup(answers, key)
        if blank(raw):
            raise Fault(f"`{key}`: not answered", tags=("not-answered",))
        array = fitted(key, numbers(key, raw), np.zeros(shape))
        if np.abs(array).max(initial=0) > LARGEST_WEIGHT:
            raise Fault(f"`{key}`: entries up to {LARGEST_WEIGHT:g} in size, please; this design needs none larger",
                        tags=("type",))
        arrays.append(array)
    return arrays


# ------------------------------------------------------------------ exact evaluation
def step_layer(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """σ(X Wᵀ + b) for a batch X [N, in], exactly: float64 where the error bound decides the
    sign, rational arithmetic for the pre-activations within the bound of 0."""
    with np.errstate(over="ignore", invalid="ignore"):  # inf and NaN are left to the exact path
        Z = X @ W.T + b
        terms = np.abs(X) @ np.abs(W).T + np.abs(b)
    bound = 4 * (W.shape[1] + 2) * UNIT_ROUNDOFF * terms + 1e-290  # γ_n·Σ|w x|, doubled and more; + underflow
    out = (Z >= 0).astype(float)
    used = [np.flatnonzero(row) for row in W]  # zero weights add nothing
    exact = {}  # (unit, the inputs it uses): ties repeat the same few pairs across the tuples
    for i, j in np.argwhere(~(np.abs(Z) > bound)):  # also NaN from an overflow
        key = (j, tuple(X[i, used[j]]))
        if key not in exact:
            exact[key] = sum((Fraction(float(W[j, k])) * Fraction(float(X[i, k])) for k in used[j]),
                             Fraction(float(b[j]))) >= 0
        out[i, j] = float(exact[key])
    return out


def network(W1, b1, w2, b2, X) -> np.ndarray:
    """The design's output (0 or 1) for each row of X."""
    return step_layer(step_layer(X, W1, b1), w2.reshape(1, -1), b2.reshape(1))[:, 0]


# ------------------------------------------------------------------ the inputs
def groups(rng) -> dict[str, np.ndarray]:
    """The inputs, by group: the worksheet's test set from a hidden seed (without its one-ulp
    near-ties, which exact evaluation makes redundant with the scaled tuples), and every tuple
    of {0..4}⁵, shifted and scaled."""
    from ...worksheets import threshold

    found = threshold.test_set(5, random=1000, seed=int(rng.integers(2**63)), integers=None)
    found = {name: xs for name, xs in found.items() if not name.startswith("near-ties")}
    tuples = np.array(list(itertools.product(range(5), repeat=5)), dtype=np.float64)
    found["every tuple from {-2..2}^5"] = tuples - 2
    found["every tuple times 1e-300 (any margin shows)"] = (tuples - 2) * 1e-300
    found["every tuple times 1e300"] = (tuples - 2) * 1e300
    return found


def descending(x) -> bool:
    from ...worksheets import threshold

    return threshold.PREDICATES["strictly_descending"][1](x)


def why(x, got: int) -> str:
    """Why the right output is what it is: the first pair that breaks strict descent, or that it holds."""
    if got == 0:
        return "x1 > x2 > x3 > x4 > x5 holds"
    i = next(k for k in range(len(x) - 1) if not x[k] > x[k + 1])
    return f"x{i + 1} {'=' if x[i] == x[i + 1] else '<'} x{i + 2}"


def counterexample(x, got: int) -> str:
    return (f"x = [{', '.join(repr(float(v)) for v in x)}] gives {got}, expected {1 - got}: {why(x, got)}")


def check(ctx):
    W1, b1, w2, b2 = design(ctx.answers)
    failures, lines = 0, []
    for name, xs in groups(ctx.rng("design")).items():
        got = network(W1, b1, w2, b2, xs).astype(int)
        want = np.array([descending(x) for x in xs], dtype=int)
        wrong = np.flatnonzero(got != want)
        if wrong.size:
            failures += wrong.size
            lines.append(f"{name}: {wrong.size} of {len(xs)} wrong, e.g. {counterexample(xs[wrong[0]], got[wrong[0]])}")
    if failures:
        tie = any(" = x" in line for line in lines)
        hint = (" Remember σ(0) = 1: on a tie, which of your units see z = 0 exactly, and do they fire when "
                "they should?") if tie else ""
        raise Fault(f"W1, b1, w2, b2: the network's output is not [x1 > x2 > x3 > x4 > x5] on {failures} "
                    f"inputs.{hint}\n"
                    + "\n".join(lines[:5]), tags=("ties" if tie else "value",))


ASSIGNMENT = Assignment(
    id="A7",
    title="A hand-designed threshold network",
    filename="a7_answers.toml",
    tests=(Test("design: output 1 exactly when x1 > x2 > x3 > x4 > x5", 3, check),),
    solution="a7/answers.toml",
    skeleton="a7/skeleton.toml",
    kind="answers",
    allowed_imports=(),
)
