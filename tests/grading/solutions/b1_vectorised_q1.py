"""A second B1 solution, written differently from the instructor's: the network's state is
kept as (W, b) pairs, back-propagation uses einsum, and a mini-batch's gradient is computed
for the whole batch at once. The grader must give it full marks too."""

import numpy as np


def sigmoid(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    positive = z >= 0
    out[positive] = 1 / (1 + np.exp(-z[positive]))
    ez = np.exp(z[~positive])
    out[~positive] = ez / (1 + ez)
    return out


def sigmoid_derivative(z):
    return sigmoid(z) * sigmoid(-z)


def cost_derivative(output_activations, y):
    return np.subtract(output_activations, y)


class NeuralNetwork:
    def __init__(self, sizes):
        self.sizes = sizes
        self.weights = [np.random.randn(i, o) for i, o in zip(sizes, sizes[1:])]
        self.biases = [np.random.randn(o, 1) for o in sizes[1:]]

    def _layers(self, A):
        """Activations and pre-activations for a batch of row samples A (N, n_0)."""
        acts, zs = [A], []
        for W, b in zip(self.weights, self.biases):
            zs.append(np.einsum("ni,io->no", acts[-1], W) + b.T)
            acts.append(sigmoid(zs[-1]))
        return acts, zs

    def forward_pass(self, x):
        return self._layers(x.T)[0][-1].T

    def cost(self, X, Y):
        return 0.5 * float(((self._layers(X)[0][-1] - Y) ** 2).sum())

    def _batch_gradients(self, X, Y):
        """Summed gradients over the rows of X, Y."""
        acts, zs = self._layers(X)
        delta = (acts[-1] - Y) * sigmoid_derivative(zs[-1])
        dw, db = [], []
        for layer in reversed(range(len(self.weights))):
            dw.insert(0, np.einsum("ni,no->io", acts[layer], delta))
            db.insert(0, delta.sum(axis=0).reshape(-1, 1))
            if layer:
                delta = np.einsum("no,io->ni", delta, self.weights[layer]) * sigmoid_derivative(zs[layer - 1])
        return dw, db

    def back_propagation(self, x, y):
        return self._batch_gradients(x.T, y.T)

    def make_mini_batches(self, X, Y, mini_batch_size):
        order = np.random.permutation(len(X))
        X, Y = X[order], Y[order]
        return [(X[k:k + mini_batch_size], Y[k:k + mini_batch_size]) for k in range(0, len(X), mini_batch_size)]

    def mini_batch_GD(self, X, Y, epochs, mini_batch_size, eta, test_X=None, test_Y=None):
        history = []
        for _ in range(epochs):
            for Xb, Yb in self.make_mini_batches(X, Y, mini_batch_size):
                dw, db = self._batch_gradients(Xb, Yb)
                rate = eta / len(Xb)
                self.weights = [W - rate * g for W, g in zip(self.weights, dw)]
                self.biases = [b - rate * g for b, g in zip(self.biases, db)]
            history.append(self.cost(X, Y))
        return history
