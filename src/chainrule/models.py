"""The catalogue's architectures by name, so the CLI, labs and benchmarks build
exactly the same networks. Each builder takes the input shape [C, H, W] and the
number of classes."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import nn

_REGISTRY: dict[str, tuple[Callable, str]] = {}


def register(name: str, description: str):
    def decorate(builder):
        _REGISTRY[name] = (builder, description)
        return builder

    return decorate


def _features(shape) -> int:
    return int(np.prod(shape))


@register("mlp", "784-100-10 ReLU feed-forward net (exercise C1)")
def mlp(shape=(1, 28, 28), classes=10, hidden=100):
    return nn.Sequential(nn.Flatten(), nn.Linear(_features(shape), hidden), nn.ReLU(), nn.Linear(hidden, classes))


@register("sigmoid-mlp", "784-200-10 sigmoid feed-forward net (exercise C3.2, benchmark M1)")
def sigmoid_mlp(shape=(1, 28, 28), classes=10, hidden=200):
    return nn.Sequential(nn.Flatten(), nn.Linear(_features(shape), hidden), nn.Sigmoid(), nn.Linear(hidden, classes))


@register("b1", "784-8-8-10 all-sigmoid net of exercise B1 (benchmark M2)")
def b1(shape=(1, 28, 28), classes=10, widths=(8, 8)):
    layers, fan_in = [nn.Flatten()], _features(shape)
    for width in (*widths, classes):
        layers += [nn.Linear(fan_in, width), nn.Sigmoid()]
        fan_in = width
    return nn.Sequential(*layers)


@register("c2", "conv 20@5x5, max-pool 2, dense 100, dense 10 (exercise C2, benchmark M3)")
def c2(shape=(1, 28, 28), classes=10):
    c, h, w = shape
    flat = 20 * ((h - 4) // 2) * ((w - 4) // 2)
    return nn.Sequential(
        nn.Conv2d(c, 20, 5), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(),
        nn.Linear(flat, 100), nn.ReLU(), nn.Linear(100, classes),
    )


@register("c3", "five-layer 200-100-60-30-10 ReLU MLP (exercise C3.3)")
def c3(shape=(1, 28, 28), classes=10, activation=nn.ReLU):
    layers, fan_in = [nn.Flatten()], _features(shape)
    for width in (200, 100, 60, 30):
        layers += [nn.Linear(fan_in, width), activation()]
        fan_in = width
    return nn.Sequential(*layers, nn.Linear(fan_in, classes))


@register("c4", "three strided convs 4/8/12 maps, dense 200, dense 10 (exercise C4)")
def c4(shape=(1, 28, 28), classes=10):
    c, h, w = shape
    flat = 12 * (h // 4) * (w // 4)
    return nn.Sequential(
        nn.Conv2d(c, 4, 5, 1, 2), nn.ReLU(), nn.Conv2d(4, 8, 5, 2, 2), nn.ReLU(),
        nn.Conv2d(8, 12, 4, 2, 1), nn.ReLU(), nn.Flatten(),
        nn.Linear(flat, 200), nn.ReLU(), nn.Linear(200, classes),
    )


@register("c6", "four conv-BN-dropout blocks 32/64/128/256, dense 128, dense 10 (exercise C6, benchmark M4)")
def c6(shape=(1, 28, 28), classes=10):
    layers, (channels, h, w) = [], shape
    for width in (32, 64, 128, 256):
        layers += [nn.Conv2d(channels, width, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
                   nn.BatchNorm2d(width), nn.Dropout(0.3)]
        channels, h, w = width, h // 2, w // 2
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(channels * h * w, 128), nn.ReLU(),
                         nn.Linear(128, classes))


def names() -> dict[str, str]:
    """Every architecture's name and one-line description."""
    return {name: description for name, (_, description) in _REGISTRY.items()}


def build(name: str, shape=(1, 28, 28), classes: int = 10) -> nn.Module:
    """Build a named architecture for inputs of ``shape`` [C, H, W]."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown architecture {name!r}; choose one of: {', '.join(_REGISTRY)}")
    return _REGISTRY[name][0](tuple(shape), classes)
