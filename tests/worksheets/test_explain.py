"""The backprop worksheet (A1, A2) against the hand values, finite differences and PyTorch."""

import os
from pathlib import Path

import numpy as np
import pytest

from chainrule.worksheets import explain as ex

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def a1():
    return ex.solve(ex.load_example("A1"))


def test_a1_hand_values(a1):
    np.testing.assert_array_equal(a1.value("v"), [4, 0, 11])
    np.testing.assert_array_equal(a1.value("y"), [18])
    assert a1.value("C") == 225
    np.testing.assert_array_equal(a1.value("dC/dW2"), [[120, 0, 330]])
    assert a1.value("dC/dW1[1,1]") == -30
    assert a1.value("dC/dw11") == -30  # the exercise's spelling
    np.testing.assert_array_equal(a1.value("W2_new"), [[-7, 3, -14.5]])


def test_a1_states_the_convention(a1):
    assert "relu'(0) = 1" in a1.text()


def test_convention_at_zero_is_used():
    # z1[1] = 0 exactly: relu'(0) decides whether W1's first row gets a gradient
    for at_zero, expected in ((1, -3.0), (0, 0.0)):
        p = ex.Problem([1, 1], [0], [ex.Layer([[1, -1]], activation="relu", at_zero=at_zero),
                                     ex.Layer([[1]], activation="linear")], loss="half_sse")
        p.t = np.array([3.0])
        sheet = ex.solve(p)
        assert sheet.value("dC/dW1[1,1]") == expected


def test_zero_gradients_are_marked_with_the_reason(a1):
    assert "weight into inactive unit v[2]" in a1.find("dC/dW1[2,1]").note
    assert "weight out of inactive unit v[2]" in a1.find("dC/dW2[1,2]").note
    assert a1.find("dC/dW1[1,1]").note == ""
    a2 = ex.solve(ex.load_example("A2"))
    for j in (1, 2, 3):
        assert a2.find(f"dC/dW1[2,{j}]").value == 0 and "inactive" in a2.find(f"dC/dW1[2,{j}]").note
    for i in (1, 2):
        assert a2.find(f"dC/dW2[{i},2]").value == 0 and "inactive" in a2.find(f"dC/dW2[{i},2]").note
    assert a2.find("dC/db1[2]").value == 0
    assert a2.find("dC/dW1[1,1]").value != 0  # not forced to zero


def _loss_numpy(problem, flat):
    """The problem's loss from a flat vector of all weights and biases, in plain NumPy."""
    a, k = problem.x, 0
    for layer in problem.layers:
        n = layer.W.size
        W = flat[k:k + n].reshape(layer.W.shape)
        k += n
        z = W @ a
        if layer.b is not None:
            z = z + flat[k:k + layer.b.size]
            k += layer.b.size
        act = layer.activation
        a = {"relu": np.maximum(z, 0), "linear": z, "sigmoid": 1 / (1 + np.exp(-z)), "tanh": np.tanh(z)}[act]
    r = a - problem.t
    c = (r ** 2).sum()
    return {"sse": c, "half_sse": c / 2, "mse": c / r.size}[problem.loss]


@pytest.mark.parametrize("name,seed,activation", [("A1", 0, None), ("A2", 0, None), ("random", 1, "sigmoid"),
                                                  ("random", 2, "tanh"), ("random", 3, "relu")])
def test_gradients_match_finite_differences(name, seed, activation):
    if name == "random":
        p = ex.random_problem("3-4-2", seed=seed, activation=activation, bias=True)
        p.layers[0].W = p.layers[0].W + 0.3  # keep relu away from its kink
    else:
        p = ex.load_example(name)
    sheet = ex.solve(p)
    flat = np.concatenate([np.concatenate([l.W.ravel()] + ([l.b] if l.b is not None else [])) for l in p.layers])
    eps = 1e-6
    numeric = np.array([(_loss_numpy(p, flat + eps * e) - _loss_numpy(p, flat - eps * e)) / (2 * eps)
                        for e in np.eye(flat.size)])
    analytic = np.concatenate([np.concatenate([sheet.value(f"dC/dW{l}").ravel()] +
                                              ([sheet.value(f"dC/db{l}")] if layer.b is not None else []))
                               for l, layer in enumerate(p.layers, 1)])
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-5)


def test_a1_matches_pytorch(a1):
    torch = pytest.importorskip("torch")
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    W1 = torch.tensor([[2.0, 1], [1, -2], [1, 5]], dtype=torch.float64, requires_grad=True)
    W2 = torch.tensor([[-1.0, 3, 2]], dtype=torch.float64, requires_grad=True)
    C = ((W2 @ torch.relu(W1 @ x) - 3) ** 2).sum()
    C.backward()
    np.testing.assert_allclose(a1.value("dC/dW1"), W1.grad.numpy())  # z1 has no zero: conventions agree
    np.testing.assert_allclose(a1.value("dC/dW2"), W2.grad.numpy())
    opt = torch.optim.SGD([W1, W2], lr=0.05)
    opt.step()
    np.testing.assert_allclose(a1.value("W2_new"), W2.detach().numpy())
    np.testing.assert_allclose(a1.value("W1_new"), W1.detach().numpy())


def test_bad_problems_are_explained():
    with pytest.raises(ValueError, match="W1 is 3x2 but its input has 3"):
        ex.Problem([1, 2, 3], [0], [ex.Layer([[2, 1], [1, -2], [1, 5]])])
    with pytest.raises(ValueError, match="unknown activation"):
        ex.Problem([1], [0], [ex.Layer([[1]], activation="swish")])
    with pytest.raises(ValueError, match="no example"):
        ex.load_example("Z9")
    with pytest.raises(ValueError, match="no quantity"):
        ex.solve(ex.load_example("A1")).find("dC/dQ")


def test_random_problem_is_seeded():
    assert ex.solve(ex.random_problem("2-3-1", seed=4)).text() == ex.solve(ex.random_problem("2-3-1", seed=4)).text()
    assert ex.solve(ex.random_problem("2-3-1", seed=4)).text() != ex.solve(ex.random_problem("2-3-1", seed=5)).text()


def test_latex_output(a1):
    tex = a1.latex()
    assert r"\begin{bmatrix} 120 & 0 & 330 \end{bmatrix}" in tex
    assert r"\frac{\partial C}{\partial W_{1}}[1,1]" in tex


@pytest.mark.parametrize("fmt,suffix", [("text", "txt"), ("markdown", "md")])
def test_a1_golden(a1, fmt, suffix):
    path = GOLDEN / f"A1.{suffix}"
    out = a1.render(fmt)
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(out, encoding="utf-8")
    assert out == path.read_text(encoding="utf-8")
