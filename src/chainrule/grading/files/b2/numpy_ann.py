"""B2: ``NumpyANN``, a one-hidden-layer classifier in plain NumPy (numpy_ann.py).

Conventions (the contract the grader checks):

- Rows are samples: ``X`` is (N, input_size).
- Parameters are attributes ``W1`` (input_size, hidden_size), ``b1`` (1, hidden_size),
  ``W2`` (hidden_size, output_size), ``b2`` (1, output_size). Weights start as
  ``0.01 * standard_normal`` from ``self.rng = np.random.default_rng(seed)``; biases start at 0.
- Labels ``y`` / ``y_true`` may be class indices (N,) or one-hot (N, output_size); both work.
- The loss is the cross-entropy averaged over the N samples and divided by the number of classes.
- Only NumPy and the standard library may be imported; do not print.
"""

import numpy as np


class NumpyANN:
    def __init__(self, input_size, hidden_size, output_size, lr=0.1, seed=0):
        """Store the sizes and ``lr``; make ``self.rng = np.random.default_rng(seed)`` and draw
        ``W1`` (input_size, hidden_size), then ``W2`` (hidden_size, output_size), each as
        ``0.01 * self.rng.standard_normal(shape)``; ``b1`` (1, hidden_size) and ``b2``
        (1, output_size) are zeros. ``self.history`` is a dict of four empty lists:
        ``train_loss``, ``train_acc``, ``val_loss``, ``val_acc``."""
        self.input_size, self.hidden_size, self.output_size = int(input_size), int(hidden_size), int(output_size)
        self.lr = float(lr)
        self.rng = np.random.default_rng(seed)
        self.W1 = 0.01 * self.rng.standard_normal((self.input_size, self.hidden_size))
        self.b1 = np.zeros((1, self.hidden_size))
        self.W2 = 0.01 * self.rng.standard_normal((self.hidden_size, self.output_size))
        self.b2 = np.zeros((1, self.output_size))
        self.history = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": []}

    # ---------------------------------------------------------------- done for you
    @staticmethod
    def _softmax(Z):
        """Row-wise softmax of Z (N, classes), shifted by each row's max so that large logits
        cannot overflow."""
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        return E / E.sum(axis=1, keepdims=True)

    def _one_hot(self, y):
        """Labels as one-hot (N, output_size): class indices (N,) are converted, one-hot kept."""
        y = np.asarray(y)
        if y.ndim == 2:
            return y.astype(float)
        Y = np.zeros((len(y), self.output_size))
        Y[np.arange(len(y)), y.astype(np.int64)] = 1.0
        return Y

    @staticmethod
    def _labels(y):
        """Class indices (N,) from class indices or one-hot labels."""
        y = np.asarray(y)
        return np.argmax(y, axis=1) if y.ndim == 2 else y

    def _update(self, grads):
        """One gradient-descent step: each parameter -= lr * its gradient."""
        for name in ("W1", "b1", "W2", "b2"):
            setattr(self, name, getattr(self, name) - self.lr * grads[name])

    # ---------------------------------------------------------------- graded
    def _relu(self, Z):
        """ReLU of an array Z of any shape: max(Z, 0), same shape."""
        return np.maximum(Z, 0.0)

    def _relu_grad(self, Z):
        """ReLU's derivative, same shape as Z: 1 where Z > 0, and 0 where Z <= 0 (0 at exactly 0)."""
        return (np.asarray(Z) > 0).astype(float)

    def _cross_entropy(self, y_true, y_pred):
        """The loss, a float: −Σ Y·log(y_pred) over samples and classes, divided by N (the mean
        over samples) and by the number of classes. ``y_true`` is (N,) indices or (N, C) one-hot,
        ``y_pred`` (N, C) probabilities; clip y_pred to [1e-12, 1] so a probability 0 gives a
        finite loss."""
        Y = self._one_hot(y_true)
        return float(-np.sum(Y * np.log(np.clip(y_pred, 1e-12, 1.0))) / len(Y) / self.output_size)

    def _forward(self, X, training=False):
        """X (N, input_size) → probabilities A2 (N, output_size): Z1 = X W1 + b1, A1 = ReLU(Z1),
        Z2 = A1 W2 + b2, A2 = softmax(Z2). With ``training`` True, keep
        ``self.cache = {"Z1", "A1", "Z2", "A2"}`` for ``_backward``."""
        Z1 = X @ self.W1 + self.b1
        A1 = self._relu(Z1)
        Z2 = A1 @ self.W2 + self.b2
        A2 = self._softmax(Z2)
        if training:
            self.cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
        return A2

    def _backward(self, X, y_true):
        """The gradients of the mean cross-entropy, from ``self.cache`` of the last
        ``_forward(X, training=True)``; it does not update the parameters. dZ2 = A2 − Y,
        dW2 = A1ᵀ dZ2 / N, db2 = Σ_rows dZ2 / N, dZ1 = dZ2 W2ᵀ ⊙ ReLU′(Z1), dW1 = Xᵀ dZ1 / N,
        db1 = Σ_rows dZ1 / N. Returns ``{"W1", "b1", "W2", "b2"}``, each of its parameter's shape
        (b1 (1, hidden), b2 (1, classes))."""
        n = X.shape[0]
        Y = self._one_hot(y_true)
        A1, Z1, A2 = self.cache["A1"], self.cache["Z1"], self.cache["A2"]
        dZ2 = A2 - Y
        dW2 = A1.T @ dZ2 / n
        db2 = np.sum(dZ2, axis=0, keepdims=True) / n
        dZ1 = (dZ2 @ self.W2.T) * self._relu_grad(Z1)
        dW1 = X.T @ dZ1 / n
        db1 = np.sum(dZ1, axis=0, keepdims=True) / n
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    def train(self, X_train, y_train, X_val, y_val, epochs=10, batch_size=64):
        """Mini-batch gradient descent. Each epoch: a new order ``self.rng.permutation(N)``, then
        for each batch of ``batch_size`` rows ``_forward(training=True)``, ``_backward`` and
        ``_update``. After each epoch append to ``self.history`` the training loss and accuracy
        and the validation loss and accuracy (floats). Returns ``self.history``."""
        n = X_train.shape[0]
        for _ in range(int(epochs)):
            order = self.rng.permutation(n)
            for start in range(0, n, batch_size):
                index = order[start:start + batch_size]
                self._forward(X_train[index], training=True)
                self._update(self._backward(X_train[index], np.asarray(y_train)[index]))
            for part, X, y in (("train", X_train, y_train), ("val", X_val, y_val)):
                self.history[f"{part}_loss"].append(self._cross_entropy(y, self._forward(X)))
                self.history[f"{part}_acc"].append(self.accuracy(X, y))
        return self.history

    def predict(self, X):
        """Class probabilities (N, output_size) for X (N, input_size); each row sums to 1."""
        return self._forward(X)

    def accuracy(self, X, y_true):
        """The fraction (a float in [0, 1]) of rows of X whose most probable class is the label."""
        return float(np.mean(np.argmax(self.predict(X), axis=1) == self._labels(y_true)))
