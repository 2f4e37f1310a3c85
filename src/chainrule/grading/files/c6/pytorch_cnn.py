"""C6: a deeper CNN with batch norm and dropout, with PyTorch, on Fashion-MNIST.

Contract (what the autograder calls):

- ``PyTorchCNN(num_classes, seed)`` builds ``self.model``, an ``nn.Sequential`` of four blocks
  [Conv2d 3x3 stride 1 padding 1 → ReLU → MaxPool2d(2) → BatchNorm2d → Dropout(0.3)] with 32, 64,
  128, 256 channels, then Flatten → Linear(256, 128) → ReLU → Linear(128, num_classes), after
  ``torch.manual_seed(seed)``; ``self.history`` starts as four empty lists.
- Images cross as NumPy float32 arrays ``(N, 1, 28, 28)``, labels as int64 ``(N,)``.
- ``train`` uses ``nn.CrossEntropyLoss`` on the logits and ``torch.optim.Adam(lr=lr)``; the
  overall test calls it with lr 0.001, batch 64. The same ``history``, ``predict``,
  ``plot_train_val_metrics`` and ``report_my_judgement`` as C5.

The class is not an ``nn.Module`` (its ``train(...)`` would shadow ``nn.Module.train(mode)``); the
network is ``self.model``, switched with ``self.model.train()`` / ``self.model.eval()``.
"""

import numpy as np
import torch
import torch.nn as nn


def block(in_channels, out_channels):
    """One block of the sheet: conv 3x3 → ReLU → max-pool 2 → batch norm → dropout 0.3."""
    return [nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1), nn.ReLU(),
            nn.MaxPool2d(2), nn.BatchNorm2d(out_channels), nn.Dropout(0.3)]


class PyTorchCNN:
    def __init__(self, num_classes, seed):
        """Seed torch with ``seed``; ``self.model`` = the four blocks (32, 64, 128, 256 channels:
        28 → 14 → 7 → 3 → 1 pixels), Flatten, Linear(256, 128), ReLU, Linear(128, num_classes);
        ``self.history`` = dict of empty lists train_loss, train_acc, val_loss, val_acc."""
        torch.manual_seed(seed)
        self.model = nn.Sequential(*block(1, 32), *block(32, 64), *block(64, 128), *block(128, 256),
                                   nn.Flatten(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, num_classes))
        self.loss_fn = nn.CrossEntropyLoss()
        self.history = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": []}

    def forward(self, X):
        """The logits: X, a float32 array or tensor (N, 1, 28, 28) → a tensor (N, num_classes)."""
        return self.model(torch.as_tensor(X, dtype=torch.float32))

    def _evaluate(self, X, y, batch=1000):
        """(mean cross-entropy, accuracy) in eval mode, in batches of ``batch`` (memory)."""
        self.model.eval()
        total, correct = 0.0, 0
        with torch.no_grad():
            for start in range(0, len(X), batch):
                logits = self.forward(X[start:start + batch])
                labels = torch.as_tensor(y[start:start + batch], dtype=torch.int64)
                total += float(self.loss_fn(logits, labels)) * len(labels)
                correct += int((logits.argmax(1) == labels).sum())
        return total / len(X), correct / len(X)

    def train(self, X_train, y_train, X_val, y_val, epochs, batch_size, lr):
        """Train with Adam(lr) for ``epochs`` shuffled passes of mini-batches; after each epoch
        append the epoch's mean batch loss and accuracy (train mode: dropout on) and the
        validation loss and accuracy (eval mode) to ``self.history``. Returns ``self.history``."""
        optimizer = torch.optim.Adam(self.model.parameters(), lr=lr)
        X = torch.as_tensor(X_train, dtype=torch.float32)
        y = torch.as_tensor(y_train, dtype=torch.int64)
        for _ in range(epochs):
            self.model.train()
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
            for key, value in zip(("train_loss", "train_acc", "val_loss", "val_acc"),
                                  (total_loss / len(X), correct / len(X), val_loss, val_acc)):
                self.history[key].append(value)
        return self.history

    def predict(self, X):
        """The class indices, int64 (N,): the argmax of the logits in eval mode."""
        self.model.eval()
        with torch.no_grad():
            return self.forward(X).argmax(dim=1).numpy()

    def plot_train_val_metrics(self, ax):
        """As C5: ``ax = (ax_loss, ax_acc)``, train and validation curves per epoch, labelled."""
        epochs = np.arange(1, len(self.history["train_loss"]) + 1)
        for axes, metric, name in zip(ax, ("loss", "acc"), ("loss", "accuracy")):
            axes.plot(epochs, self.history[f"train_{metric}"], label="train")
            axes.plot(epochs, self.history[f"val_{metric}"], label="validation")
            axes.set_xlabel("epoch")
            axes.set_ylabel(name)
            axes.legend()

    def report_my_judgement(self):
        """As C5, the first rule that holds: "underfitting" when the last train_acc < 0.80;
        "overfitting" when the last train_acc exceeds the last val_acc by more than 0.05, or the
        mean of the (up to) three val_loss values after its minimum is more than 10 % above it
        (two or more epochs after it) while train_loss fell more than 2 % since; else
        "generalizing"."""
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
