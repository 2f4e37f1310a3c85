"""Exercise B1: a generic fully connected sigmoid network, trained by per-sample
back-propagation and mini-batch gradient descent, in NumPy alone.

Conventions (the grader relies on them):

* A network of ``sizes = [n_0, n_1, ..., n_L]`` (e.g. [784, 8, 8, 10]; any depth and widths).
* ``weights[l]`` has shape (n_l, n_{l+1}): **in-by-out**; ``biases[l]`` has shape (n_{l+1}, 1).
* One sample is a column: ``x`` (n_0, 1), ``y`` (n_L, 1) one-hot. A layer computes
  ``z = Wᵀ a + b`` and ``a' = σ(z)``; every layer, the output included, is a sigmoid.
* The cost of one sample is ``C = ½ Σ_j (a_j − y_j)²``, so ``dC/da = a − y``.
* Data sets are row-major: ``X`` is (N, n_0) and ``Y`` is (N, n_L) one-hot, one sample a row.

Only NumPy and the standard library may be imported. Do not print.
"""

import numpy as np


def sigmoid(z):
    """σ(z) = 1 / (1 + e^(−z)), elementwise, for a number or an array of any shape.

    Must not overflow or warn for large |z| (σ(−800) = 0, σ(800) = 1): compute it from
    e^(−|z|), which never exceeds 1."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_derivative(z):
    """σ'(z) = σ(z) (1 − σ(z)), elementwise; the same shape as ``z``."""
    s = sigmoid(z)
    return s * (1.0 - s)


def cost_derivative(output_activations, y):
    """dC/da for C = ½ Σ (a − y)²: ``output_activations − y`` (both (n_L, 1))."""
    return output_activations - y


class NeuralNetwork:
    """A sigmoid network of layer sizes ``sizes``; weights and biases standard normal
    (``np.random.randn``), weights in-by-out."""

    def __init__(self, sizes):
        self.sizes = list(sizes)
        self.num_layers = len(self.sizes)
        self.weights = [np.random.randn(n_in, n_out) for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:])]
        self.biases = [np.random.randn(n_out, 1) for n_out in self.sizes[1:]]

    def forward_pass(self, x):
        """The output activation a_L (n_L, 1) of one sample ``x`` (n_0, 1)."""
        a = x
        for w, b in zip(self.weights, self.biases):
            a = sigmoid(w.T @ a + b)
        return a

    def cost(self, X, Y):
        """The total cost ½ Σ over the samples and the outputs of (a − y)², for ``X`` (N, n_0)
        and one-hot ``Y`` (N, n_L). Returns a float."""
        total = 0.0
        for x, y in zip(X, Y):
            a = self.forward_pass(x.reshape(-1, 1))
            total += 0.5 * float(np.sum((a - y.reshape(-1, 1)) ** 2))
        return total

    def back_propagation(self, x, y):
        """The gradient of one sample's cost, ``x`` (n_0, 1) and ``y`` (n_L, 1).

        Returns ``(dC_dw, dC_db)``: lists with one entry per layer, ``dC_dw[l]`` of the shape
        of ``weights[l]`` (n_l, n_{l+1}) and ``dC_db[l]`` of the shape of ``biases[l]``
        (n_{l+1}, 1). With δ_L = (a_L − y) ⊙ σ'(z_L) and δ_l = (W_{l+1} δ_{l+1}) ⊙ σ'(z_l):
        ∂C/∂b_l = δ_l and ∂C/∂W_l = a_{l−1} δ_lᵀ."""
        activations, zs = [x], []
        for w, b in zip(self.weights, self.biases):
            zs.append(w.T @ activations[-1] + b)
            activations.append(sigmoid(zs[-1]))
        dC_dw = [np.zeros_like(w) for w in self.weights]
        dC_db = [np.zeros_like(b) for b in self.biases]
        delta = cost_derivative(activations[-1], y) * sigmoid_derivative(zs[-1])
        for l in range(len(self.weights) - 1, -1, -1):
            dC_db[l] = delta
            dC_dw[l] = activations[l] @ delta.T
            if l > 0:
                delta = (self.weights[l] @ delta) * sigmoid_derivative(zs[l - 1])
        return dC_dw, dC_db

    def make_mini_batches(self, X, Y, mini_batch_size):
        """Done for you: shuffle the samples with one ``np.random.permutation`` (the same order
        for X and Y) and cut them into mini-batches of ``mini_batch_size`` rows (the last may be
        smaller). Returns a list of ``(X_batch, Y_batch)``."""
        order = np.random.permutation(len(X))
        X, Y = X[order], Y[order]
        return [(X[k:k + mini_batch_size], Y[k:k + mini_batch_size]) for k in range(0, len(X), mini_batch_size)]

    def update_mini_batch(self, X_batch, Y_batch, eta):
        """One gradient step on a mini-batch: sum the per-sample gradients of
        :meth:`back_propagation`, then ``W -= (η / batch_size) Σ dC/dW`` and the same for b."""
        sum_w = [np.zeros_like(w) for w in self.weights]
        sum_b = [np.zeros_like(b) for b in self.biases]
        for x, y in zip(X_batch, Y_batch):
            dC_dw, dC_db = self.back_propagation(x.reshape(-1, 1), y.reshape(-1, 1))
            sum_w = [s + d for s, d in zip(sum_w, dC_dw)]
            sum_b = [s + d for s, d in zip(sum_b, dC_db)]
        step = eta / len(X_batch)
        self.weights = [w - step * s for w, s in zip(self.weights, sum_w)]
        self.biases = [b - step * s for b, s in zip(self.biases, sum_b)]

    def accuracy(self, X, Y):
        """The fraction of samples whose largest output is the one-hot target's class."""
        hits = [np.argmax(self.forward_pass(x.reshape(-1, 1))) == np.argmax(y) for x, y in zip(X, Y)]
        return float(np.mean(hits))

    def mini_batch_GD(self, X, Y, epochs, mini_batch_size, eta, test_X=None, test_Y=None):
        """Train for ``epochs`` epochs: each epoch shuffle and split (:meth:`make_mini_batches`),
        one :meth:`update_mini_batch` per mini-batch, then record the cost over the whole
        training data (:meth:`cost`). With test data, the test accuracy after each epoch goes to
        ``self.test_accuracies``. Returns the list of costs, one per epoch (the grader compares
        it number for number, with ``np.random`` seeded the same way)."""
        costs, self.test_accuracies = [], []
        for _ in range(epochs):
            for X_batch, Y_batch in self.make_mini_batches(X, Y, mini_batch_size):
                self.update_mini_batch(X_batch, Y_batch, eta)
            costs.append(self.cost(X, Y))
            if test_X is not None:
                self.test_accuracies.append(self.accuracy(test_X, test_Y))
        return costs
