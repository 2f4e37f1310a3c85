"""The A7 step network: exhaustive small-integer checks, ties, near-ties, counterexamples."""

import itertools

import numpy as np
import pytest

from chainrule.worksheets import threshold as th


@pytest.fixture(scope="module")
def a7():
    return th.load_example("A7")


def test_a7_shape(a7):
    assert a7.weights[0].shape == (4, 5) and a7.weights[1].shape == (1, 4)


@pytest.mark.parametrize("values", [range(4), range(6)])
def test_a7_exhaustive_small_integers(a7, values):
    xs = np.array(list(itertools.product(values, repeat=5)), dtype=float)
    want = np.array([all(x[i] > x[i + 1] for i in range(4)) for x in xs])
    np.testing.assert_array_equal(a7(xs).astype(bool), want)
    assert want.sum() == (0 if len(values) < 5 else len(list(itertools.combinations(values, 5))))


def test_a7_ties_and_near_ties(a7):
    x = np.array([5.0, 4, 3, 2, 1])
    assert a7(x)[0] == 1
    for i in range(4):
        tie = x.copy()
        tie[i + 1] = tie[i]
        assert a7(tie)[0] == 0
        below = x.copy()
        below[i + 1] = np.nextafter(x[i], -np.inf)
        assert a7(below)[0] == 1
    assert a7(np.full(5, 2.5))[0] == 0


def test_a7_verifies(a7):
    result = th.verify(a7, random=300)
    assert result.passed, result.text()
    assert "Ties come out as 0" in result.text()


def test_counterexamples_reported(a7):
    # the naive design σ(x[i] − x[i+1]) fires on ties
    naive = th.StepNet([-a7.weights[0], np.full((1, 4), 1.0)], [np.zeros(4), np.array([-3.5])], "naive")
    result = th.verify(naive, random=100)
    assert not result.passed
    assert any(np.any(x[:-1] == x[1:]) for x, _, _ in result.counterexamples)
    assert "FAIL" in result.text()


def test_bad_network_files(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[[layer]]\nW = [[1, 1]]\nb = [0, 0]\n")
    with pytest.raises(ValueError, match="b has 2 entries"):
        th.load(path)
