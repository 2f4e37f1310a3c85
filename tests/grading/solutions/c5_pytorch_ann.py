"""An independent C5 solution: nn.Module-free, TensorDataset + DataLoader, the judgement as a
table of rules, the curves drawn in a loop over a dict."""

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class PyTorchANN:
    def __init__(self, input_size, hidden_size, output_size, seed):
        torch.manual_seed(seed)
        layers = [nn.Linear(input_size, hidden_size), nn.ReLU(), nn.Linear(hidden_size, output_size)]
        self.model = nn.Sequential(*layers)
        self.history = {k: [] for k in ("train_loss", "train_acc", "val_loss", "val_acc")}

    def forward(self, X):
        if not torch.is_tensor(X):
            X = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
        return self.model(X)

    def train(self, X_train, y_train, X_val, y_val, epochs, batch_size, lr):
        data = TensorDataset(torch.tensor(X_train, dtype=torch.float32), torch.tensor(y_train, dtype=torch.long))
        loader = DataLoader(data, batch_size=batch_size, shuffle=True)
        opt = torch.optim.SGD(self.model.parameters(), lr)
        for _ in range(epochs):
            self.model.train()
            for xb, yb in loader:
                opt.zero_grad()
                nn.functional.cross_entropy(self.forward(xb), yb).backward()
                opt.step()
            with torch.no_grad():
                for part, X, y in (("train", X_train, y_train), ("val", X_val, y_val)):
                    logits = self.forward(X)
                    target = torch.as_tensor(np.asarray(y), dtype=torch.long)
                    self.history[f"{part}_loss"].append(nn.functional.cross_entropy(logits, target).item())
                    self.history[f"{part}_acc"].append((logits.argmax(-1) == target).double().mean().item())
        return self.history

    def predict(self, X):
        with torch.no_grad():
            return torch.argmax(self.forward(X), dim=-1).numpy().astype(np.int64)

    def plot_train_val_metrics(self, ax):
        for axis, metric in zip(ax, ["loss", "acc"]):
            for part, label in (("train", "training"), ("val", "validation")):
                values = self.history[f"{part}_{metric}"]
                axis.plot(range(1, len(values) + 1), values, marker="o", label=label)
            axis.legend()

    def report_my_judgement(self):
        train_acc, val_acc = self.history["train_acc"], self.history["val_acc"]
        losses = np.array(self.history["val_loss"])
        best = losses.argmin()
        tail = losses[best + 1:][-3:]
        rising = tail.size >= 2 and tail.mean() > 1.1 * losses[best] and \
            self.history["train_loss"][-1] < 0.98 * self.history["train_loss"][best]
        rules = [(train_acc[-1] < 0.8, "underfitting"), (train_acc[-1] - val_acc[-1] > 0.05 or rising, "overfitting")]
        return next((verdict for holds, verdict in rules if holds), "generalizing")
