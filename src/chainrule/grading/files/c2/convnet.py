"""C2: a first CNN on MNIST, as a module file (``convnet.py``).

Contract (what the autograder calls):

- ``ConvNet()`` is an ``nn.Module`` whose leaf layers are, in order: Conv2d(1, 20, 5) stride 1 →
  ReLU → MaxPool2d(2, stride 2) → Flatten → Linear(20·12·12 = 2880, 100) → ReLU → Linear(100, 10).
  Per layer, one sample's output shape and learnable parameters: (20, 24, 24) 520 · (20, 24, 24) 0 ·
  (20, 12, 12) 0 · (2880,) 0 · (100,) 288,100 · (100,) 0 · (10,) 1,010; 289,630 in all.
- ``forward(x)``: a float32 tensor (N, 1, 28, 28) → the class scores (logits, no softmax), (N, 10).
- ``train_model(model, images, labels, epochs, batch_size, lr)``: plain SGD(lr) on the mean
  cross-entropy, shuffled mini-batches; returns the mean training loss of each epoch (a list).
- ``class_scores`` (done for you) runs the model on a NumPy batch: the grader calls it.
"""

import numpy as np
import torch
from torch import nn


class ConvNet(nn.Module):
    def __init__(self):
        """The sheet's layers, as attributes (any names; the grader reads the leaf layers in order)."""
        super().__init__()
        self.conv = nn.Conv2d(1, 20, kernel_size=5, stride=1)
        self.relu1 = nn.ReLU()
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(20 * 12 * 12, 100)
        self.relu2 = nn.ReLU()
        self.fc2 = nn.Linear(100, 10)

    def forward(self, x):
        """x: (N, 1, 28, 28) tensor → logits (N, 10)."""
        x = self.pool(self.relu1(self.conv(x)))
        return self.fc2(self.relu2(self.fc1(self.flatten(x))))


def class_scores(model, images):
    """Done for you: the model's logits of a NumPy float32 batch (N, 1, 28, 28), as NumPy (N, 10)."""
    model.eval()
    with torch.no_grad():
        return model(torch.as_tensor(np.asarray(images, dtype=np.float32))).numpy()


def train_model(model, images, labels, epochs, batch_size, lr):
    """Train ``model`` with SGD(lr) on the mean cross-entropy for ``epochs`` shuffled passes over
    images (N, 1, 28, 28) float32 and labels (N,) int64 (NumPy); returns the list of each epoch's
    mean mini-batch loss."""
    X = torch.as_tensor(images, dtype=torch.float32)
    y = torch.as_tensor(labels, dtype=torch.int64)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    model.train()
    for _ in range(epochs):
        order, total = torch.randperm(len(X)), 0.0
        for start in range(0, len(X), batch_size):
            index = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(X[index]), y[index])
            loss.backward()
            optimizer.step()
            total += float(loss) * len(index)
        losses.append(total / len(X))
    return losses
