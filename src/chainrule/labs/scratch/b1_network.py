"""Exercise B1 from scratch: a generic all-sigmoid network, cost ``C = ½ Σ_j (a_j − y_j)²``,
per-sample back-propagation and mini-batch gradient descent, in plain NumPy.

Weights are stored, and their gradients returned, **in-by-out** as the exercise fixes them:
``weights[l]`` has shape (n_in, n_out) and a layer computes ``z = Wᵀ a + b`` on column vectors
(``x`` 784x1, ``y`` 10x1; a matrix of column samples, 784xN, works for the forward pass too).
The engine's ``nn.Linear`` stores out-by-in: ``linear.weight = W.T``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Network", "cost", "cost_derivative", "one_hot_columns", "sigmoid", "sigmoid_derivative"]


def sigmoid(z):
    """σ(z) = 1 / (1 + e^(−z)), computed without overflow for large |z|."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def sigmoid_derivative(z):
    """σ'(z) = σ(z) (1 − σ(z))."""
    s = sigmoid(z)
    return s * (1.0 - s)


def cost(a, y):
    """C = ½ Σ_j (a_j − y_j)² of one sample (column vectors); for a matrix of column samples,
    the sum over all of them."""
    return 0.5 * float(np.sum((np.asarray(a) - np.asarray(y)) ** 2))


def cost_derivative(a, y):
    """dC/da = a − y."""
    return a - y


def one_hot_columns(labels, classes: int = 10) -> np.ndarray:
    """Class indices -> a (classes, N) matrix of one-hot columns."""
    labels = np.asarray(labels, dtype=np.int64)
    y = np.zeros((classes, len(labels)))
    y[labels, np.arange(len(labels))] = 1.0
    return y


class Network:
    """A fully connected all-sigmoid network of layer sizes ``sizes`` (e.g. [784, 8, 8, 10]).

    ``weights[l]``: (sizes[l], sizes[l+1]), ``biases[l]``: (sizes[l+1], 1), both standard
    normal from ``np.random.default_rng(seed)`` unless given."""

    def __init__(self, sizes, seed: int = 0, weights=None, biases=None):
        self.sizes = [int(s) for s in sizes]
        if len(self.sizes) < 2:
            raise ValueError("a network needs at least an input and an output layer")
        rng = np.random.default_rng(seed)
        pairs = list(zip(self.sizes[:-1], self.sizes[1:]))
        self.weights = ([np.array(w, dtype=float) for w in weights] if weights is not None
                        else [rng.standard_normal((n_in, n_out)) for n_in, n_out in pairs])
        self.biases = ([np.array(b, dtype=float).reshape(-1, 1) for b in biases] if biases is not None
                       else [rng.standard_normal((n_out, 1)) for _, n_out in pairs])
        for (n_in, n_out), w, b in zip(pairs, self.weights, self.biases):
            if w.shape != (n_in, n_out) or b.shape != (n_out, 1):
                raise ValueError(f"layer {n_in}->{n_out}: weight {w.shape}, bias {b.shape}")

    @property
    def num_layers(self) -> int:
        return len(self.sizes)

    def forward_pass(self, x):
        """The output activation ``a^L`` for ``x`` (784x1, or 784xN column samples)."""
        a = x
        for w, b in zip(self.weights, self.biases):
            a = sigmoid(w.T @ a + b)
        return a

    def back_propagation(self, x, y):
        """Gradients of C = ½ Σ (a − y)² for one sample ``x`` (n_in x 1), ``y`` (n_out x 1):
        per-layer lists ``dC_db`` (n_out x 1) and ``dC_dw`` (n_in x n_out, in-by-out)."""
        activation, activations, zs = x, [x], []
        for w, b in zip(self.weights, self.biases):
            z = w.T @ activation + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        dC_db = [None] * len(self.weights)
        dC_dw = [None] * len(self.weights)
        delta = cost_derivative(activations[-1], y) * sigmoid_derivative(zs[-1])
        dC_db[-1] = delta
        dC_dw[-1] = activations[-2] @ delta.T
        for l in range(2, self.num_layers):
            delta = (self.weights[-l + 1] @ delta) * sigmoid_derivative(zs[-l])
            dC_db[-l] = delta
            dC_dw[-l] = activations[-l - 1] @ delta.T
        return dC_db, dC_dw

    def update_mini_batch(self, batch_x, batch_y, eta):
        """One step on the columns of ``batch_x``/``batch_y``: sum the per-sample gradients,
        then ``W -= (η / batch_size) Σ dC/dW`` (and the same for b)."""
        sum_b = [np.zeros_like(b) for b in self.biases]
        sum_w = [np.zeros_like(w) for w in self.weights]
        for i in range(batch_x.shape[1]):
            dC_db, dC_dw = self.back_propagation(batch_x[:, i:i + 1], batch_y[:, i:i + 1])
            sum_b = [s + d for s, d in zip(sum_b, dC_db)]
            sum_w = [s + d for s, d in zip(sum_w, dC_dw)]
        m = batch_x.shape[1]
        self.weights = [w - (eta / m) * s for w, s in zip(self.weights, sum_w)]
        self.biases = [b - (eta / m) * s for b, s in zip(self.biases, sum_b)]

    def total_cost(self, x, y) -> float:
        """The cost over a data set, averaged over its samples: (1/n) Σ ½ Σ_j (a_j − y_j)²."""
        return cost(self.forward_pass(x), y) / x.shape[1]

    def accuracy(self, x, labels) -> float:
        """Fraction of columns of ``x`` whose largest output is the label."""
        return float(np.mean(np.argmax(self.forward_pass(x), axis=0) == np.asarray(labels)))

    def mini_batch_GD(self, train_x, train_y, epochs, batch_size, eta, test_x=None, test_labels=None,
                      seed: int = 0, log=None):
        """Mini-batch gradient descent. ``train_x``: (n_in, N) columns; ``train_y``: (n_out, N)
        one-hot columns (or class indices). Each epoch the samples are shuffled with
        ``np.random.default_rng(seed).permutation`` (one generator for the whole run), split into
        mini-batches of ``batch_size`` (the last may be smaller), and each batch makes one update.
        Returns ``(cost_history, test_accuracies)``: the cost over the training data after each
        epoch, and the test accuracy after each epoch (empty without test data)."""
        train_x = np.asarray(train_x, dtype=float)
        train_y = np.asarray(train_y)
        if train_y.ndim == 1:
            train_y = one_hot_columns(train_y, self.sizes[-1])
        n = train_x.shape[1]
        rng = np.random.default_rng(seed)
        cost_history, test_accuracies = [], []
        for epoch in range(int(epochs)):
            order = rng.permutation(n)
            for lo in range(0, n, batch_size):
                index = order[lo:lo + batch_size]
                self.update_mini_batch(train_x[:, index], train_y[:, index], eta)
            cost_history.append(self.total_cost(train_x, train_y))
            if test_x is not None:
                test_accuracies.append(self.accuracy(test_x, test_labels))
            if log is not None:
                log(f"epoch {epoch + 1}: cost {cost_history[-1]:.6f}"
                    + (f", test accuracy {test_accuracies[-1]:.4f}" if test_accuracies else ""))
        return cost_history, test_accuracies
