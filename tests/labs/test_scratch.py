"""The from-scratch NumPy networks of B1 and B2 against the engine's autograd: the same weights
give the same gradients (float64, ~1e-10), and the same training gives the same cost history."""

from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import models, nn, optim
from chainrule.data import DataLoader
from chainrule.labs.scratch import Network, NumpyANN, cost, cost_derivative, sigmoid, sigmoid_derivative
from chainrule.labs.scratch.b1_network import one_hot_columns
from chainrule.tensor import Tensor

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _linears(model):
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def _engine_b1(net: Network):
    """models.b1 with the scratch net's weights (in-by-out -> out-by-in), in float64."""
    model = models.b1((net.sizes[0],), net.sizes[-1], widths=tuple(net.sizes[1:-1])).double()
    for lin, w, b in zip(_linears(model), net.weights, net.biases):
        lin.weight.data = w.T.copy()
        lin.bias.data = b.ravel().copy()
    return model


def _data(n=60, features=784, classes=10, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((features, n)), rng.integers(0, classes, n)


def test_b1_functions():
    z = np.array([[-800.0], [0.0], [3.0]])
    assert np.allclose(sigmoid(z), 1 / (1 + np.exp(-np.clip(z, -700, 700))))
    assert np.allclose(sigmoid_derivative(np.array([0.0])), 0.25)
    a, y = np.array([[0.2], [0.9]]), np.array([[0.0], [1.0]])
    assert cost(a, y) == pytest.approx(0.5 * (0.04 + 0.01))
    assert np.allclose(cost_derivative(a, y), a - y)


def test_b1_back_propagation_shapes_as_the_exercise():
    net = Network([784, 8, 8, 10], seed=1)
    x, labels = _data(1)
    dC_db, dC_dw = net.back_propagation(x, one_hot_columns(labels))
    assert [g.shape for g in dC_db] == [(8, 1), (8, 1), (10, 1)]
    assert [g.shape for g in dC_dw] == [(784, 8), (8, 8), (8, 10)]


@pytest.mark.parametrize("sizes", [[784, 8, 8, 10], [784, 30, 10], [20, 7, 5, 6, 3]])
def test_b1_gradients_equal_autograd(sizes):
    net = Network(sizes, seed=2)
    x, labels = _data(4, sizes[0], sizes[-1], seed=3)
    y = one_hot_columns(labels, sizes[-1])
    model = _engine_b1(net)
    loss_fn = nn.HalfMSELoss(reduction="sum")
    for i in range(x.shape[1]):
        dC_db, dC_dw = net.back_propagation(x[:, i:i + 1], y[:, i:i + 1])
        model.zero_grad()
        out = model(Tensor(x[:, i:i + 1].T))
        loss = loss_fn(out, Tensor(y[:, i:i + 1].T))
        assert loss.item() == pytest.approx(cost(net.forward_pass(x[:, i:i + 1]), y[:, i:i + 1]), abs=1e-12)
        loss.backward()
        for lin, gb, gw in zip(_linears(model), dC_db, dC_dw):
            assert np.abs(lin.weight.grad.data - gw.T).max() < 1e-10
            assert np.abs(lin.bias.grad.data - gb.ravel()).max() < 1e-10


def test_b1_cost_history_equals_the_engines_vectorised_training():
    sizes, eta, batch, epochs, seed = [784, 8, 8, 10], 3.0, 10, 3, 7
    x, labels = _data(95, seed=4)  # 95 samples: the last batch of each epoch is smaller
    net = Network(sizes, seed=5)
    model = _engine_b1(net)
    history, _ = net.mini_batch_GD(x, labels, epochs, batch, eta, seed=seed)

    loss_fn = nn.HalfMSELoss()  # mean over the batch: lr η gives W -= (η/m) Σ dC/dW
    opt = optim.SGD(model.parameters(), lr=eta)
    targets = one_hot_columns(labels).T
    loader = DataLoader(x.T, targets, batch_size=batch, shuffle=True, seed=seed)
    engine = []
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(Tensor(xb)), Tensor(yb)).backward()
            opt.step()
        engine.append(nn.HalfMSELoss()(model(Tensor(x.T)), Tensor(targets)).item())
    assert len(history) == epochs and history[-1] < history[0]
    assert np.allclose(history, engine, rtol=0, atol=1e-6)
    for lin, w in zip(_linears(model), net.weights):
        assert np.abs(lin.weight.data - w.T).max() < 1e-8


def test_b1_learns_mnist_slice():
    folder = SHARED / "mnist"
    if not folder.is_dir():
        pytest.skip(f"{folder} is not present")
    from chainrule.data import load

    train = load("mnist", "train", data_dir=folder)
    x = train.x[:1000].reshape(1000, -1).T.astype(float)
    net = Network([784, 30, 10], seed=0)
    costs, accs = net.mini_batch_GD(x[:, :800], train.y[:800], 10, 10, 3.0, x[:, 800:], train.y[800:1000])
    assert costs[-1] < costs[0] and accs[-1] > 0.5


# ------------------------------------------------------------------ B2
def _engine_twin(ann: NumpyANN):
    model = models.mlp((ann.input_size,), ann.output_size, hidden=ann.hidden_size).double()
    (l1, l2) = _linears(model)
    l1.weight.data, l1.bias.data = ann.W1.T.copy(), ann.b1.ravel().copy()
    l2.weight.data, l2.bias.data = ann.W2.T.copy(), ann.b2.ravel().copy()
    return model


def test_numpy_ann_layout():
    ann = NumpyANN(784, 32, 10, lr=0.1, seed=0)
    assert ann.W1.shape == (784, 32) and ann.W2.shape == (32, 10)
    assert ann.b1.shape == (1, 32) and ann.b2.shape == (1, 10) and not ann.b1.any() and not ann.b2.any()
    assert 0.008 < ann.W1.std() < 0.012
    assert np.array_equal(ann._relu_derivative(np.array([-1.0, 0.0, 2.0])), [0.0, 0.0, 1.0])
    p = ann.predict(np.random.default_rng(0).random((5, 784)))
    assert p.shape == (5, 10) and np.allclose(p.sum(axis=1), 1)


def test_numpy_ann_gradients_equal_autograd():
    rng = np.random.default_rng(1)
    ann = NumpyANN(20, 16, 5, lr=0.1, seed=3)
    ann.W1 = rng.standard_normal(ann.W1.shape) * 0.5  # larger weights: most ReLUs active, some not
    ann.b1 = rng.standard_normal(ann.b1.shape) * 0.1
    X, y = rng.random((12, 20)) - 0.3, rng.integers(0, 5, 12)
    A2 = ann._forward(X, training=True)
    grads = ann._backward(X, y)

    model = _engine_twin(ann)
    logits = model(Tensor(X))
    assert np.allclose(cr.softmax(logits, dim=1).data if hasattr(cr, "softmax") else A2, A2)
    # the exercise's loss is CE / classes, but its backward is the gradient of the mean CE:
    loss = nn.CrossEntropyLoss()(logits, Tensor(y)) / ann.output_size
    assert loss.item() == pytest.approx(ann._loss(A2, y), abs=1e-12)
    loss.backward()
    (l1, l2) = _linears(model)
    k = ann.output_size
    for engine, mine in ((l1.weight.grad.data * k, grads["W1"].T), (l1.bias.grad.data * k, grads["b1"].ravel()),
                         (l2.weight.grad.data * k, grads["W2"].T), (l2.bias.grad.data * k, grads["b2"].ravel())):
        assert np.abs(engine - mine).max() < 1e-10


def test_numpy_ann_training_improves_accuracy():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((3, 10)) * 2
    y = rng.integers(0, 3, 600)
    X = centres[y] + rng.standard_normal((600, 10))
    ann = NumpyANN(10, 16, 3, lr=0.5, seed=0)
    before = ann.accuracy(X[500:], y[500:])
    history = ann.train(X[:500], y[:500], X[500:], y[500:], epochs=5, batch_size=32)
    assert len(history["val_acc"]) == 5 and len(history["val_loss"]) == 5
    assert history["val_loss"][-1] < history["val_loss"][0]
    assert ann.accuracy(X[500:], y[500:]) > max(before + 0.2, 0.8)
    again = NumpyANN(10, 16, 3, lr=0.5, seed=0).train(X[:500], y[:500], X[500:], y[500:], epochs=5, batch_size=32)
    assert again == history
