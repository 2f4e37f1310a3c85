"""A6: convolution arithmetic (``a6_answers.toml``, 28 marks, as section E).

Marks: the convolution of the given image and filter, entries e and v, 4 each (8) · the filter
that keeps 32x32 at stride 1 and padding 2, and the one for the doubled padding, 2 each (4) ·
hyperparameter or learned, for six settings, 1 each (6) · parameter counts without and with bias
for one 3x3 filter on 12x12 colour images and for a 4x4 filter with stride 2 on 40x40x1, 1 each
(2 + 2) · the two stacked layers on 28x28x1: each layer's output size 1 + 1, the weights 2, the
parameters with biases 2 (6).

The catalogue does not print A6's image and filter, so the question fixes them here (IMAGE and
FILTER, printed in the skeleton's comments): the 7x7 image convolved with the 3x3 filter at
stride 1 without padding, as CNNs compute it (the filter is not flipped), gives a 5x5 output
whose entries are labelled a, b, c, ... y row by row (a-e the first row); e is row 1 column 5,
v is row 5 column 2. The catalogue's two-layer parameter counts ask for one filter where it names
no number of filters. Every expected value is computed by :mod:`chainrule.worksheets.convarith`
when the grader runs; the comparison rules are those of every answers sheet (:mod:`..answers`).
"""

from __future__ import annotations

import string
from functools import cache

import numpy as np

from ..assignment import Assignment
from ..answers import Part, sheet_test

IMAGE = [[1, 0, 2, 3, 1, 0, 0],
         [0, 1, 3, 1, 0, 2, 3],
         [2, 1, 0, 0, 3, 1, 0],
         [1, 3, 1, 2, 0, 1, 2],
         [0, 2, 2, 0, 1, 3, 1],
         [3, 0, 2, 1, 2, 0, 1],
         [1, 1, 0, 3, 1, 2, 0]]
FILTER = [[1, 0, -1],
          [2, 1, 0],
          [0, -1, 1]]
"""The convolution question (stride 1, no padding). The filter is not symmetric, so a flipped
filter (the textbook convolution) gives other numbers at e and v, and the feedback can say so."""


def convarith():
    from ...worksheets import convarith as module
    return module


# ------------------------------------------------------------------ the convolution
@cache
def output(flipped: bool = False) -> np.ndarray:
    kernel = np.flip(np.asarray(FILTER)) if flipped else FILTER
    return convarith().by_hand(IMAGE, kernel).output


def entry(letter: str, out: np.ndarray) -> float:
    """The output entry labelled ``letter``, the labels running row by row."""
    return float(out.ravel()[string.ascii_lowercase.index(letter)])


def conv_part(letter: str) -> Part:
    index = string.ascii_lowercase.index(letter)
    row, col = divmod(index, output().shape[1])

    def hints():
        return [("flipped-filter", "that is the entry with the filter flipped (the textbook convolution); a CNN "
                                   "slides the filter as given (cross-correlation)", entry(letter, output(True))),
                ("labels-by-column", f"that is the entry labelled {letter} column by column; the labels run row "
                                     f"by row (a-e is the first row)", entry(letter, output().T))]

    return Part(f"convolution.{letter}", 4, lambda: entry(letter, output()),
                f"{letter} is row {row + 1}, column {col + 1} of the output: the sum of the 3x3 patch of the "
                f"image at rows {row + 1}-{row + 3}, columns {col + 1}-{col + 3}, times the filter entry by entry",
                hints)


# ------------------------------------------------------------------ sizes
def same_size_filter(padding: int) -> int:
    return convarith().solve("kernel", input=32, stride=1, padding=padding, output=32)[0]


SAME_SIZE = [
    Part("same_size.filter", 2, lambda: same_size_filter(2),
         "solve (W − F + 2P)/S + 1 = W for F with W = 32, S = 1, P = 2",
         lambda: [("padding-1", "that filter keeps the size at padding 1; here P = 2", same_size_filter(1))]),
    Part("same_size.filter_doubled_padding", 2, lambda: same_size_filter(4),
         "solve (W − F + 2P)/S + 1 = W for F with W = 32, S = 1 and the padding doubled, P = 4",
         lambda: [("output-size", "that is the output size of the padding-2 filter at padding 4; the question "
                                  "asks for the filter that keeps 32x32 at padding 4",
                   convarith().output_size(32, same_size_filter(2), 1, 4)[0]),
                  ("filter-doubled", "doubling the padding does not double the filter: at stride 1, F = 2P + 1",
                   2 * same_size_filter(2))]),
]


# ------------------------------------------------------------------ hyperparameter or learned
SETTINGS = {"filter_size": "filter size F", "stride": "stride S", "padding": "padding P",
            "number_of_filters": "number of filters K", "weights": "filter weights (K·C·F·F)",
            "biases": "biases (K, one per filter)"}
"""Each field under [hyperparameters] and its row of convarith.HYPERPARAMETERS."""

WORDS = {"hyperparameter": {"hyperparameter", "hyperparameters", "hyper"},
         "learned": {"learned", "learnt", "learnable", "learnedparameter", "parameter", "learnedparameters"}}


def kind_of(label: str) -> str:
    return {row[0]: row[1] for row in convarith().HYPERPARAMETERS}[label]


HYPER = [Part(f"hyperparameters.{key}", 1, lambda label=label: kind_of(label),
              "a hyperparameter is chosen before training; a learned value is updated by gradient descent",
              words=WORDS) for key, label in SETTINGS.items()]


# ------------------------------------------------------------------ parameter counts
def one_layer(size, channels, kernel, stride=1):
    """(weights, weights + biases) of one filter on a size x size x channels input."""
    row = convarith().stack((size, size), channels, [convarith().ConvLayer(kernel, stride)]).rows[0]
    return row.weights, row.weights + row.layer.filters


def count_parts(key, size, channels, kernel, stride=1):
    """The without-bias and with-bias parts for one filter, with the slips each can show."""
    def counts(depth=channels):
        return one_layer(size, depth, kernel, stride)

    def hints(with_bias):
        found = [("outputs-counted", "that counts output positions; the parameters do not depend on the image "
                                     "size or the stride", convarith().output_size(size, kernel, stride)[0] ** 2)]
        if channels > 1:
            found.append(("depth-forgotten", f"a filter spans all {channels} input channels",
                          counts(1)[int(with_bias)]))
        if with_bias:
            found += [("bias-per-channel", "a filter has one bias, not one per input channel", counts()[0] + channels),
                      ("no-bias", "with bias adds the filter's one bias to its weights", counts()[0])]
        return found

    how = "a filter has F·F·(input depth) weights, whatever the stride and the image size"
    return [Part(f"parameters.{key}.without_bias", 1, lambda: counts()[0], how, lambda: hints(False)),
            Part(f"parameters.{key}.with_bias", 1, lambda: counts()[1], how + ", and one bias", lambda: hints(True))]


# ------------------------------------------------------------------ two stacked layers
@cache
def stacked(second_layer_depth: int | None = None):
    """The catalogue's two layers on 28x28x1; ``second_layer_depth`` 1 makes the slip of
    giving layer 2's filters one channel instead of layer 1's four."""
    c = convarith()
    first = c.stack((28, 28), 1, [c.ConvLayer(6, 2, 2, filters=4)])
    if second_layer_depth is None:
        return c.stack((28, 28), 1, [c.ConvLayer(6, 2, 2, filters=4), c.ConvLayer(3, 1, 0, filters=3)])
    _, h, w = first.rows[0].output_shape
    second = c.stack((h, w), second_layer_depth, [c.ConvLayer(3, 1, 0, filters=3)])
    first.rows += second.rows
    return first


def hwc(row) -> list[int]:
    k, h, w = row.output_shape
    return [h, w, k]


def layer_part(i: int) -> Part:
    def hints():
        k, h, w = stacked().rows[i].output_shape
        return [("channels-first", "that is [depth, height, width]; the question asks [height, width, depth]",
                 [k, h, w])]

    return Part(f"stacked.layer{i + 1}_output", 1, lambda: hwc(stacked().rows[i]),
                "each side is (W − F + 2P)/S + 1; the depth is the number of filters", hints)


def stack_hints(with_bias: bool):
    def hints():
        slip, right = stacked(1), stacked()
        total = (lambda s: s.weights + s.biases) if with_bias else (lambda s: s.weights)
        one = [r.parameters if with_bias else r.weights for r in right.rows]
        return [("depth-forgotten", "layer 2's filters span the 4 channels that layer 1 outputs (3x3x4 each)",
                 total(slip)),
                ("one-layer", "the total counts both layers", one[0]),
                ("one-layer", "the total counts both layers", one[1])]
    return hints


STACKED = [layer_part(0), layer_part(1),
           Part("stacked.without_bias", 2, lambda: stacked().weights,
                "each layer has filters · depth in · F · F weights; add the two layers", stack_hints(False)),
           Part("stacked.with_bias", 2, lambda: stacked().weights + stacked().biases,
                "the weights of both layers plus one bias per filter", stack_hints(True))]


ASSIGNMENT = Assignment(
    id="A6",
    title="Convolution arithmetic",
    filename="a6_answers.toml",
    tests=(sheet_test("convolution: entry e", [conv_part("e")]),
           sheet_test("convolution: entry v", [conv_part("v")]),
           sheet_test("same-size filter and the doubled padding", SAME_SIZE),
           sheet_test("hyperparameters vs learned", HYPER),
           sheet_test("parameters: one 3x3 filter on 12x12 colour images", count_parts("colour_3x3", 12, 3, 3)),
           sheet_test("parameters: one 4x4 filter, stride 2, on 40x40x1", count_parts("gray_4x4", 40, 1, 4, 2)),
           sheet_test("two stacked layers on 28x28x1", STACKED)),
    solution="a6/answers.toml",
    skeleton="a6/skeleton.toml",
    kind="answers",
    allowed_imports=(),
)
