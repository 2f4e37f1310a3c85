"""C5: a feed-forward classifier with PyTorch's modules, on Fashion-MNIST.

Contract (what the autograder calls):

- ``PyTorchANN(input_size, hidden_size, output_size, seed)`` builds ``self.model``, an
  ``nn.Sequential`` of ``Linear(input_size, hidden_size) → ReLU → Linear(hidden_size,
  output_size)``, after ``torch.manual_seed(seed)``, and an empty ``self.history``.
- Arrays cross as NumPy: images are float32 arrays ``(N, input_size)``, labels int64 ``(N,)``.
- ``train`` uses ``nn.CrossEntropyLoss`` (mean over the batch) on the logits and plain
  ``torch.optim.SGD(lr=lr)`` (no momentum), with zero_grad / forward / loss / backward / step per
  mini-batch, and records ``self.history`` per epoch.

The class is not an ``nn.Module``: its ``train(...)`` would shadow ``nn.Module.train(mode)``,
which ``eval()`` calls. The network lives in ``self.model``.
"""

import numpy as np
import torch
import torch.nn as nn


class PyTorchANN:
    def __init__(self, input_size, hidden_size, output_size, seed):
        """Seed torch with ``seed``, then build ``self.model`` = nn.Sequential(Linear(input_size,
        hidden_size), ReLU(), Linear(hidden_size, output_size)); ``self.history`` starts as a dict
        of four empty lists: train_loss, train_acc, val_loss, val_acc."""
        torch.manual_seed(seed)
        self.model = nn.Sequential(nn.Linear(input_size, hidden_size), nn.ReLU(),
                                   nn.Linear(hidden_size, output_size))
        self.loss_fn = nn.CrossEntropyLoss()
        self.history = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": []}

    def forward(self, X):
        """The logits (no softmax): X, a float32 array or tensor (N, input_size) → a tensor
        (N, output_size)."""
        return self.model(torch.as_tensor(X, dtype=torch.float32))

    def _evaluate(self, X, y):
        """(mean cross-entropy, accuracy) of the whole set, without gradients."""
        with torch.no_grad():
            logits = self.forward(X)
            labels = torch.as_tensor(y, dtype=torch.int64)
            return float(self.loss_fn(logits, labels)), float((logits.argmax(1) == labels).float().mean())

    def train(self, X_train, y_train, X_val, y_val, epochs, batch_size, lr):
        """Train for ``epochs`` passes of mini-batches of ``batch_size`` (shuffled each epoch; the
        last batch may be smaller) with SGD(lr). After each epoch append to ``self.history``:
        ``train_loss`` and ``train_acc``, the means over the epoch's batches (weighted by batch
        size), and ``val_loss`` and ``val_acc`` on the whole validation set. Accuracies are
        fractions in [0, 1]. Returns ``self.history``."""
        optimizer = torch.optim.SGD(self.model.parameters(), lr=lr)
        X = torch.as_tensor(X_train, dtype=torch.float32)
        y = torch.as_tensor(y_train, dtype=torch.int64)
        for _ in range(epochs):
            order = torch.randperm(len(X))
            total_loss, correct = 0.0, 0
            for start in range(0, len(X), batch_size):
                index = order[start:start + batch_size]
                optimizer.zero_grad()
                logits = self.forward(X[index])
                loss = self.loss_fn(logits, y[index])
                loss.backward()
                optimizer.step()
                total_loss += float(loss) * len(index)
                correct += int((logits.argmax(1) == y[index]).sum())
            val_loss, val_acc = self._evaluate(X_val, y_val)
            self.history["train_loss"].append(total_loss / len(X))
            self.history["train_acc"].append(correct / len(X))
            self.history["val_loss"].append(val_loss)
            self.history["val_acc"].append(val_acc)
        return self.history

    def predict(self, X):
        """The predicted class of each row: X (N, input_size) → int64 array (N,), the argmax of
        the logits."""
        with torch.no_grad():
            return self.forward(X).argmax(dim=1).numpy()

    def plot_train_val_metrics(self, ax):
        """Draw the curves of ``self.history`` on a pair of axes ``ax = (ax_loss, ax_acc)``: on
        ax_loss the training and validation loss per epoch, on ax_acc the training and validation
        accuracy, each line labelled ("train", "validation") with a legend."""
        epochs = np.arange(1, len(self.history["train_loss"]) + 1)
        for axes, metric in zip(ax, ("loss", "acc")):
            axes.plot(epochs, self.history[f"train_{metric}"], label="train")
            axes.plot(epochs, self.history[f"val_{metric}"], label="validation")
            axes.set_xlabel("epoch")
            axes.set_ylabel("loss" if metric == "loss" else "accuracy")
            axes.legend()

    def report_my_judgement(self):
        """Judge the curves in ``self.history``: "underfitting", "overfitting" or "generalizing",
        by these rules, the first that holds:

        1. "underfitting" when the last epoch's train_acc is below 0.80;
        2. "overfitting" when the last train_acc exceeds the last val_acc by more than 0.05, or
           when the mean of the (up to) three val_loss values after its minimum is more than 10 %
           above that minimum, with at least two epochs after it, while train_loss fell by more
           than 2 % from the minimum's epoch to the last epoch;
        3. "generalizing" otherwise."""
        h = self.history
        if h["train_acc"][-1] < 0.80:
            return "underfitting"
        if h["train_acc"][-1] - h["val_acc"][-1] > 0.05:
            return "overfitting"
        val = np.asarray(h["val_loss"], dtype=float)
        k = int(np.argmin(val))
        after = val[k + 1:][-3:]
        if len(after) >= 2 and after.mean() > 1.10 * val[k] and h["train_loss"][-1] < 0.98 * h["train_loss"][k]:
            return "overfitting"
        return "generalizing"
