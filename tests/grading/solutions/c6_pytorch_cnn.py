"""An independent C6 solution: the blocks as nested nn.Sequential built in a loop, a DataLoader,
the judgement as a rule table."""

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class PyTorchCNN:
    def __init__(self, num_classes, seed):
        torch.manual_seed(seed)
        blocks, c_in = [], 1
        for c_out in (32, 64, 128, 256):
            blocks.append(nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
                                        nn.BatchNorm2d(c_out), nn.Dropout(p=0.3)))
            c_in = c_out
        self.model = nn.Sequential(*blocks, nn.Flatten(), nn.Sequential(nn.Linear(256, 128), nn.ReLU()),
                                   nn.Linear(128, num_classes))
        self.history = {k: [] for k in ("train_loss", "train_acc", "val_loss", "val_acc")}

    def forward(self, X):
        return self.model(X if torch.is_tensor(X) else torch.tensor(X, dtype=torch.float32))

    def _measure(self, loader):
        self.model.eval()
        n, loss, hits = 0, 0.0, 0
        with torch.no_grad():
            for xb, yb in loader:
                out = self.forward(xb)
                loss += nn.functional.cross_entropy(out, yb, reduction="sum").item()
                hits += (out.argmax(1) == yb).sum().item()
                n += len(yb)
        return loss / n, hits / n

    def train(self, X_train, y_train, X_val, y_val, epochs, batch_size, lr):
        def loader(X, y, shuffle):
            data = TensorDataset(torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.long))
            return DataLoader(data, batch_size=batch_size if shuffle else 500, shuffle=shuffle)

        train, val = loader(X_train, y_train, True), loader(X_val, y_val, False)
        opt = torch.optim.Adam(self.model.parameters(), lr=lr)
        for _ in range(epochs):
            self.model.train()
            seen, loss_sum, hits = 0, 0.0, 0
            for xb, yb in train:
                opt.zero_grad()
                out = self.forward(xb)
                loss = nn.functional.cross_entropy(out, yb)
                loss.backward()
                opt.step()
                seen += len(yb)
                loss_sum += loss.item() * len(yb)
                hits += (out.argmax(1) == yb).sum().item()
            self.history["train_loss"].append(loss_sum / seen)
            self.history["train_acc"].append(hits / seen)
            val_loss, val_acc = self._measure(val)
            self.history["val_loss"].append(val_loss)
            self.history["val_acc"].append(val_acc)
        return self.history

    def predict(self, X):
        self.model.eval()
        with torch.no_grad():
            return self.forward(X).argmax(1).numpy()

    def plot_train_val_metrics(self, ax):
        for axis, metric in zip(ax, ["loss", "acc"]):
            for part in ("train", "val"):
                axis.plot(self.history[f"{part}_{metric}"], label=part)
            axis.legend()

    def report_my_judgement(self):
        h = self.history
        losses = np.array(h["val_loss"])
        best = losses.argmin()
        tail = losses[best + 1:][-3:]
        rising = tail.size >= 2 and tail.mean() > 1.1 * losses[best] and h["train_loss"][-1] < 0.98 * h["train_loss"][best]
        if h["train_acc"][-1] < 0.8:
            return "underfitting"
        return "overfitting" if h["train_acc"][-1] - h["val_acc"][-1] > 0.05 or rising else "generalizing"
