"""A1: a 2-3-1 ReLU network, one step by hand (``a1_answers.toml``, 10 marks).

Section E gives A1 no marks row; the marks chosen here weigh each asked quantity by the steps it
takes: the hidden output v 2 · the prediction y 1 · the cost C 1 · ∂C/∂w11 of the first layer 2
(the chain through the ReLU) · ∂C/∂W2 2 · W2 after one gradient step with learning rate 0.05 2.

The question is chainrule's own worksheet example (``worksheets/examples/A1.toml``): x = [1, 2],
t = [3], W1 = [[2, 1], [1, -2], [1, 5]] without bias, ReLU with ReLU'(z) = 1 for z >= 0, W2 =
[[-1, 3, 2]] linear, C = ||y − t||² (no ½). Every expected value is solved by
:func:`chainrule.worksheets.explain.solve` when the grader runs, never written here.
"""

from __future__ import annotations

from functools import cache
from typing import Callable

import numpy as np

from ..answers import Part, sheet_test
from ..assignment import Assignment
from ...worksheets._format import num


@cache
def sheet(**changes):
    """A1 solved by the worksheet engine; ``changes`` make a slip's version of it: ``loss`` (the
    ½ added) or ``hidden`` (the hidden activation, "linear" for the ReLU left out)."""
    from ...worksheets import explain

    problem = explain.load_example("A1")
    problem.loss = changes.get("loss", problem.loss)
    problem.layers[0].activation = changes.get("hidden", problem.layers[0].activation)
    return explain.solve(problem)


def value(name: str, **changes) -> np.ndarray:
    return np.asarray(sheet(**changes).value(name), dtype=float)


HALF = "the cost is C = ||y − t||² with no ½, so dC/dy = 2(y − t): a factor 2 is missing"
NO_RELU = ("the ReLU is left out: v = ReLU(z1), so the hidden unit with a negative pre-activation outputs 0 "
           "(and passes no gradient back)")


def slips(name: str, sign: bool = True) -> Callable:
    """The hints for a quantity: the ½ in the cost, the ReLU left out, the sign flipped."""
    def hints():
        found = [("factor-2", HALF, value(name, loss="half_sse")), ("no-relu", NO_RELU, value(name, hidden="linear"))]
        return found + ([("sign", "the sign is flipped (dC/dy = 2(y − t))", -value(name))] if sign else [])
    return hints


def w2_hints():
    step = sheet().problem.lr
    ascent = value("W2_new") + 2 * step * value("dC/dW2")  # W2 + lr·g: the step taken uphill
    return slips("W2_new", sign=False)() + [
        ("sign", f"a gradient step goes downhill: W2 − {num(step)}·∂C/∂W2 (this one adds the gradient)", ascent)]


def w11_hints():
    return slips("dC/dw11")() + [("wrong-layer", "that is ∂C/∂W2[1,1]; w11 is the first layer's weight from x1 "
                                                 "into hidden unit 1", value("dC/dW2")[0, 0])]


def cost_hints():
    return slips("C", sign=False)() + [("not-squared", "C is the squared error ||y − t||², not |y − t|",
                                         np.abs(value("y") - sheet().problem.t))]


PARTS = [
    Part("v", 2, lambda: value("v"), "v = ReLU(z1) with z1 = W1 x, entry by entry", slips("v", sign=False)),
    Part("y", 1, lambda: value("y"), "y = W2 v (the output is linear, no bias)", slips("y", sign=False)),
    Part("C", 1, lambda: value("C"), "C = ||y − t||² = (y − t)²", cost_hints),
    Part("dC_dw11", 2, lambda: value("dC/dw11"),
         "∂C/∂w11 = 2(y − t) · W2[1,1] · ReLU'(z1[1]) · x1 (the chain from C back to the first layer's w11)",
         w11_hints),
    Part("dC_dW2", 2, lambda: value("dC/dW2"), "∂C/∂W2 = 2(y − t) vᵀ", slips("dC/dW2")),
    Part("W2_new", 2, lambda: value("W2_new"), "W2 − 0.05·∂C/∂W2, entry by entry", w2_hints),
]

LABELS = ("hidden output", "prediction", "cost", "first-layer weight gradient", "output-layer gradient",
          "W2 after one step")

ASSIGNMENT = Assignment(
    id="A1",
    title="A 2-3-1 ReLU network, one step by hand",
    filename="a1_answers.toml",
    tests=tuple(sheet_test(f"{part.key}: {label}", [part]) for part, label in zip(PARTS, LABELS)),
    solution="a1/answers.toml",
    skeleton="a1/skeleton.toml",
    kind="answers",
    allowed_imports=(),
)
