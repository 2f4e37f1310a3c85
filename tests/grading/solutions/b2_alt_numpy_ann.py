"""B2 written another way: the parameters live in a dict, samples are columns internally, and
the products are einsums. It must earn full marks too: the grader may not demand one layout."""

import numpy as np


class NumpyANN:
    def __init__(self, input_size, hidden_size, output_size, lr=0.1, seed=0):
        self.rng = np.random.default_rng(seed)
        self.lr, self.output_size = lr, output_size
        self.p = {"W1": 0.01 * self.rng.standard_normal((input_size, hidden_size)),
                  "W2": 0.01 * self.rng.standard_normal((hidden_size, output_size))}
        self.p["b1"], self.p["b2"] = np.zeros((1, hidden_size)), np.zeros((1, output_size))
        self.history = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": []}

    def __getattr__(self, name):  # W1, b1, W2, b2 read from the dict
        if name in ("W1", "b1", "W2", "b2"):
            return self.__dict__["p"][name]
        raise AttributeError(name)

    def __setattr__(self, name, value):
        if name in ("W1", "b1", "W2", "b2"):
            self.__dict__["p"][name] = np.asarray(value, dtype=float)
        else:
            super().__setattr__(name, value)

    def _relu(self, Z):
        return Z * (Z > 0)

    def _relu_grad(self, Z):
        return np.where(Z > 0, 1.0, 0.0)

    def _targets(self, y):
        y = np.asarray(y)
        return y.astype(float).T if y.ndim == 2 else (np.arange(self.output_size)[:, None] == y[None, :]) * 1.0

    def _cross_entropy(self, y_true, y_pred):
        T = self._targets(y_true)  # (C, N)
        logp = np.log(np.maximum(np.asarray(y_pred, dtype=float).T, 1e-12))
        return float(-np.einsum("cn,cn->", T, logp) / (T.shape[1] * T.shape[0]))

    def _forward(self, X, training=False):
        Z1 = np.einsum("ih,ni->hn", self.p["W1"], X) + self.p["b1"].T  # columns are samples
        A1 = self._relu(Z1)
        Z2 = np.einsum("ho,hn->on", self.p["W2"], A1) + self.p["b2"].T
        E = np.exp(Z2 - Z2.max(axis=0))
        A2 = E / E.sum(axis=0)
        if training:
            self._saved = (Z1, A1, A2)
        return A2.T

    def _backward(self, X, y_true):
        Z1, A1, A2 = self._saved
        n = A2.shape[1]
        D2 = (A2 - self._targets(y_true)) / n
        D1 = np.einsum("ho,on->hn", self.p["W2"], D2) * self._relu_grad(Z1)
        return {"W2": np.einsum("hn,on->ho", A1, D2), "b2": D2.sum(axis=1)[None, :],
                "W1": np.einsum("ni,hn->ih", X, D1), "b1": D1.sum(axis=1)[None, :]}

    def train(self, X_train, y_train, X_val, y_val, epochs=10, batch_size=64):
        y_train = np.asarray(y_train)
        for _ in range(epochs):
            order = self.rng.permutation(len(X_train))
            for chunk in np.array_split(order, max(1, -(-len(order) // batch_size))):
                self._forward(X_train[chunk], True)
                for k, g in self._backward(X_train[chunk], y_train[chunk]).items():
                    self.p[k] = self.p[k] - self.lr * g
            for part, X, y in (("train", X_train, y_train), ("val", X_val, y_val)):
                self.history[part + "_loss"].append(self._cross_entropy(y, self._forward(X)))
                self.history[part + "_acc"].append(self.accuracy(X, y))
        return self.history

    def predict(self, X):
        return self._forward(X)

    def accuracy(self, X, y_true):
        y = np.asarray(y_true)
        labels = y.argmax(axis=1) if y.ndim == 2 else y
        return float((self.predict(X).argmax(axis=1) == labels).mean())
