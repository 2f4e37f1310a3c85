"""A5: the activation table's derivatives against finite differences, and the facts."""

import numpy as np
import pytest

from chainrule.worksheets import activations as act
from chainrule.worksheets.activations_fn import KINDS, activate, derivative
from chainrule.tensor import Tensor


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "step"])
def test_derivative_matches_finite_differences(kind):
    z = np.array([-2.0, -0.7, 0.3, 1.5])
    eps = 1e-6
    f = lambda v: activate(Tensor(v), kind, alpha=0.1).numpy()
    np.testing.assert_allclose(derivative(z, kind, alpha=0.1), (f(z + eps) - f(z - eps)) / (2 * eps), rtol=1e-5)


def test_facts_hold_and_table_shows_conventions():
    assert all(ok for _, ok in act.facts())
    assert "relu'(0) = 0" in act.table()
    assert "relu'(0) = 1" in act.table(at_zero=1)
