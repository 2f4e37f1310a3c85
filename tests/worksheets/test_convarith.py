"""Convolution arithmetic (A6): the exercise's questions, impossible settings, conv by hand."""

import numpy as np
import pytest

from chainrule.worksheets import convarith as ca


def test_filter_that_keeps_32x32():
    assert ca.solve("kernel", input=32, stride=1, padding=2, output=32)[0] == 5
    assert ca.solve("kernel", input=32, stride=1, padding=4, output=32)[0] == 9


def test_10x12_map():
    s = ca.stack((10, 12), 1, [ca.ConvLayer(6, 2, 2)])
    assert s.rows[0].output_shape[1:] == (5, 6)
    # the exercise's "4x5": the same formula as in its answer, for 6x6 with padding 2 at stride 2
    assert ca.output_size(10, 6, 2, 2)[0] == 5 and ca.output_size(12, 6, 2, 2)[0] == 6
    assert "(10 − 6 + 2·2)/2 + 1 = 8/2 + 1 = 5" in s.rows[0].formulas[0]


def test_parameter_counts():
    one = ca.stack((12, 12), 3, [ca.ConvLayer(3, filters=1)])
    assert (one.weights, one.biases) == (27, 1)
    assert ca.stack((12, 12), 3, [ca.ConvLayer(3, filters=1, bias=False)]).biases == 0
    four = ca.stack((40, 40), 1, [ca.ConvLayer(4, 2, filters=1)])
    assert (four.weights, four.biases) == (16, 1)
    two = ca.stack((28, 28), 1, [ca.ConvLayer(6, 2, 2, 4), ca.ConvLayer(3, 1, 0, 3)])
    assert two.rows[0].output_shape == (4, 14, 14) and (two.rows[0].weights, two.rows[0].biases) == (144, 4)
    assert two.rows[1].output_shape == (3, 12, 12) and (two.rows[1].weights, two.rows[1].biases) == (108, 3)


def test_solve_other_quantities_round_trip():
    assert ca.solve("padding", input=28, kernel=5, stride=1, output=28)[0] == 2
    assert ca.solve("stride", input=28, kernel=6, padding=2, output=14)[0] == 2
    assert ca.solve("input", kernel=6, stride=2, padding=2, output=14)[0] == 28
    with pytest.raises(ca.ConvError, match="no padding"):
        ca.solve("padding", input=28, kernel=4, stride=1, output=28)


@pytest.mark.parametrize("args,message", [((10, 5, 2, 0), "not an integer"), ((3, 7, 1, 1), "larger than the padded"),
                                          ((10, 3, 0, 0), "stride must be at least 1"),
                                          ((10, 3, 1, -1), "cannot be negative")])
def test_impossible_settings(args, message):
    with pytest.raises(ca.ConvError, match=message):
        ca.output_size(*args)


def test_output_size_matches_pytorch_where_exact():
    torch = pytest.importorskip("torch")
    for W, F, S, P in [(10, 6, 2, 2), (28, 5, 1, 2), (40, 4, 2, 0), (14, 3, 1, 0), (7, 3, 2, 1)]:
        out = torch.nn.functional.conv2d(torch.zeros(1, 1, W, W), torch.zeros(1, 1, F, F), stride=S, padding=P)
        assert ca.output_size(W, F, S, P)[0] == out.shape[-1]


def test_by_hand_matches_numpy_and_pytorch():
    image = np.arange(1, 26, dtype=float).reshape(5, 5)
    kernel = np.array([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]])
    hand = ca.by_hand(image, kernel, stride=2, padding=1)
    padded = np.pad(image, 1)
    expected = np.array([[(padded[i:i + 3, j:j + 3] * kernel).sum() for j in (0, 2, 4)] for i in (0, 2, 4)])
    np.testing.assert_allclose(hand.output, expected)
    assert hand.terms[0][2].count("·") == 9
    torch = pytest.importorskip("torch")
    t = torch.nn.functional.conv2d(torch.tensor(image)[None, None], torch.tensor(kernel)[None, None], stride=2, padding=1)
    np.testing.assert_allclose(hand.output, t[0, 0].numpy())
