"""Exercise B2 from scratch: ``NumpyANN``, a one-hidden-layer classifier in plain NumPy.

Rows are samples (``X``: N x input_size). ReLU hidden layer, softmax output; the loss is the
cross-entropy divided by the number of classes, and ``_backward`` uses ``dZ2 = A2 − Y`` averaged
over the samples, i.e. the gradient of the mean cross-entropy (the loss's ``1/classes`` scaling
is not carried into the gradient, as the exercise writes it).
"""

from __future__ import annotations

import numpy as np

__all__ = ["NumpyANN"]


class NumpyANN:
    def __init__(self, input_size, hidden_size, output_size, lr=0.1, seed=0):
        self.input_size, self.hidden_size, self.output_size = int(input_size), int(hidden_size), int(output_size)
        self.lr = float(lr)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.W1 = 0.01 * self.rng.standard_normal((self.input_size, self.hidden_size))
        self.b1 = np.zeros((1, self.hidden_size))
        self.W2 = 0.01 * self.rng.standard_normal((self.hidden_size, self.output_size))
        self.b2 = np.zeros((1, self.output_size))
        self.history = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": []}

    # ---------------------------------------------------------------- pieces
    @staticmethod
    def _relu(Z):
        return np.maximum(Z, 0.0)

    @staticmethod
    def _relu_derivative(Z):
        return (Z > 0).astype(Z.dtype)  # 0 for Z <= 0

    @staticmethod
    def _softmax(Z):
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        return E / E.sum(axis=1, keepdims=True)

    def _one_hot(self, y):
        y = np.asarray(y)
        if y.ndim == 2:
            return y.astype(float)
        Y = np.zeros((len(y), self.output_size))
        Y[np.arange(len(y)), y.astype(np.int64)] = 1.0
        return Y

    def _loss(self, A2, y):
        """Cross-entropy averaged over samples, divided by the number of classes."""
        Y = self._one_hot(y)
        return float(-np.sum(Y * np.log(np.clip(A2, 1e-12, 1.0))) / len(Y) / self.output_size)

    # ---------------------------------------------------------------- forward / backward
    def _forward(self, X, training=False):
        """Probabilities A2 (N x classes); with ``training`` the intermediate values are kept
        for ``_backward``."""
        Z1 = X @ self.W1 + self.b1
        A1 = self._relu(Z1)
        Z2 = A1 @ self.W2 + self.b2
        A2 = self._softmax(Z2)
        if training:
            self.cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
        return A2

    def _backward(self, X, y):
        """Gradients from the cached forward pass: ``dZ2 = A2 − Y``, ``dW2 = A1ᵀ dZ2``,
        ``db2 = Σ dZ2``, back through the ReLU, all averaged over the N samples. Returns
        ``{"W1", "b1", "W2", "b2"}`` (the same shapes as the parameters)."""
        m = X.shape[0]
        Y = self._one_hot(y)
        A1, Z1, A2 = self.cache["A1"], self.cache["Z1"], self.cache["A2"]
        dZ2 = A2 - Y
        dW2 = A1.T @ dZ2 / m
        db2 = np.sum(dZ2, axis=0, keepdims=True) / m
        dA1 = dZ2 @ self.W2.T
        dZ1 = dA1 * self._relu_derivative(Z1)
        dW1 = X.T @ dZ1 / m
        db1 = np.sum(dZ1, axis=0, keepdims=True) / m
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    def _update(self, grads):
        self.W1 -= self.lr * grads["W1"]
        self.b1 -= self.lr * grads["b1"]
        self.W2 -= self.lr * grads["W2"]
        self.b2 -= self.lr * grads["b2"]

    # ---------------------------------------------------------------- the user's methods
    def train(self, X, y, X_val=None, y_val=None, epochs=10, batch_size=64, verbose=False):
        """Mini-batch SGD: each epoch a new order from the seeded generator, one update per
        batch; after each epoch the training loss/accuracy and the validation loss/accuracy
        are appended to ``self.history`` (returned)."""
        X = np.asarray(X, dtype=float).reshape(len(X), -1)
        y = np.asarray(y)
        if X_val is not None:
            X_val = np.asarray(X_val, dtype=float).reshape(len(X_val), -1)
        n = X.shape[0]
        for epoch in range(int(epochs)):
            order = self.rng.permutation(n)
            for lo in range(0, n, batch_size):
                index = order[lo:lo + batch_size]
                self._forward(X[index], training=True)
                self._update(self._backward(X[index], y[index]))
            A = self._forward(X)
            self.history["train_loss"].append(self._loss(A, y))
            self.history["train_acc"].append(float(np.mean(np.argmax(A, axis=1) == self._labels(y))))
            if X_val is not None:
                A = self._forward(X_val)
                self.history["val_loss"].append(self._loss(A, y_val))
                self.history["val_acc"].append(float(np.mean(np.argmax(A, axis=1) == self._labels(y_val))))
            if verbose:
                print(f"epoch {epoch + 1}/{epochs}: loss {self.history['train_loss'][-1]:.4f}"
                      + (f", val loss {self.history['val_loss'][-1]:.4f}, val acc {self.history['val_acc'][-1]:.4f}"
                         if X_val is not None else ""))
        return self.history

    @staticmethod
    def _labels(y):
        y = np.asarray(y)
        return np.argmax(y, axis=1) if y.ndim == 2 else y

    def predict(self, X):
        """Class probabilities (N x classes)."""
        return self._forward(np.asarray(X, dtype=float).reshape(len(X), -1))

    def accuracy(self, X, y) -> float:
        return float(np.mean(np.argmax(self.predict(X), axis=1) == self._labels(y)))
