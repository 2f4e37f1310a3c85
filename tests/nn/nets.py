"""The exercise networks (docs/exercises.md), built from chainrule layers.

Each is a ``Sequential`` (nested for C6's blocks) so ``torch_twin.build`` can
mirror it, and the parameter names are exactly those of the same PyTorch tree.
"""

from __future__ import annotations

from chainrule import nn


def c2_cnn() -> nn.Sequential:
    """C2: conv 20@5x5 s1 → ReLU → max-pool 2x2 s2 → flatten → dense 100 → ReLU → dense 10."""
    return nn.Sequential(
        nn.Conv2d(1, 20, 5), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(),
        nn.Linear(20 * 12 * 12, 100), nn.ReLU(), nn.Linear(100, 10),
    )


def c3_mlp(activation=nn.Sigmoid) -> nn.Sequential:
    """C3.3: 784-200-100-60-30-10, ``activation`` after each hidden layer, logits out."""
    widths = [784, 200, 100, 60, 30]
    layers = []
    for n_in, n_out in zip(widths, widths[1:]):
        layers += [nn.Linear(n_in, n_out), activation()]
    return nn.Sequential(nn.Flatten(), *layers, nn.Linear(30, 10))


def c4_cnn() -> nn.Sequential:
    """C4: conv 4@5x5 s1 p2, conv 8@5x5 s2 p2, conv 12@4x4 s2 p1 (each + ReLU),
    flatten (12·7·7 = 588), dense 200 + ReLU, dense 10."""
    return nn.Sequential(
        nn.Conv2d(1, 4, 5, stride=1, padding=2), nn.ReLU(),
        nn.Conv2d(4, 8, 5, stride=2, padding=2), nn.ReLU(),
        nn.Conv2d(8, 12, 4, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(588, 200), nn.ReLU(), nn.Linear(200, 10),
    )


def c6_cnn(p: float = 0.3, classes: int = 10) -> nn.Sequential:
    """C6: four blocks [conv 3x3 p1 → ReLU → MaxPool2d(2) → BatchNorm2d → Dropout(p)] with
    32/64/128/256 channels (28 → 14 → 7 → 3 → 1), flatten 256, dense 128 + ReLU, dense out."""
    blocks, channels = [], 1
    for width in (32, 64, 128, 256):
        blocks.append(nn.Sequential(
            nn.Conv2d(channels, width, 3, stride=1, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.BatchNorm2d(width), nn.Dropout(p),
        ))
        channels = width
    return nn.Sequential(*blocks, nn.Flatten(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, classes))


NETWORKS = {
    "C2": (c2_cnn, (1, 28, 28)),
    "C3-sigmoid": (lambda: c3_mlp(nn.Sigmoid), (1, 28, 28)),
    "C3-relu": (lambda: c3_mlp(nn.ReLU), (1, 28, 28)),
    "C4": (c4_cnn, (1, 28, 28)),
    "C6": (c6_cnn, (1, 28, 28)),
}
