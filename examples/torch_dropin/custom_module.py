"""A module from hand-made nn.Parameters, trained by an SGD step written by hand, the way a
course introduces autograd. No randomness: the weights start from torch.linspace and the data
is two interleaved spirals, so both engines give the same numbers to float32 precision.

Plain PyTorch. Runs as it is on torch (`python custom_module.py`) and on chainrule
(`chainrule run-torch custom_module.py`).
"""

import argparse
import math

import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=200)
parser.add_argument("--lr", type=float, default=0.5)
args = parser.parse_args()


class TwoLayerNet(nn.Module):
    def __init__(self, inputs, hidden, outputs):
        super().__init__()
        self.W1 = nn.Parameter(torch.linspace(-1, 1, inputs * hidden).reshape(hidden, inputs))
        self.b1 = nn.Parameter(torch.zeros(hidden))
        self.W2 = nn.Parameter(torch.linspace(1, -1, hidden * outputs).reshape(outputs, hidden) / math.sqrt(hidden))
        self.b2 = nn.Parameter(torch.zeros(outputs))

    def forward(self, x):
        h = torch.tanh(x @ self.W1.t() + self.b1)
        return h @ self.W2.t() + self.b2


def spirals(n):
    t = torch.linspace(0.25, 1.5 * math.pi, n)
    arm = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1) / (1.5 * math.pi)
    x = torch.cat([arm, -arm])
    y = torch.cat([torch.zeros(n, dtype=torch.long), torch.ones(n, dtype=torch.long)])
    return x, y


x, y = spirals(100)
model = TwoLayerNet(2, 16, 2)
print(f"{sum(p.numel() for p in model.parameters())} parameters")

for epoch in range(args.epochs):
    logits = model(x)
    loss = nn.functional.cross_entropy(logits, y)
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.startswith("W"):
                p -= args.lr * p.grad
            else:
                p.data -= args.lr * p.grad.data
    if (epoch + 1) % 20 == 0:
        accuracy = (logits.argmax(1) == y).float().mean().item()
        print(f"epoch {epoch + 1} loss {loss.item():.6f} accuracy {accuracy:.4f}")
