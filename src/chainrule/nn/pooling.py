"""Adaptive pooling: the window follows the input's size so that the output has a fixed one."""

from __future__ import annotations

from . import functional as F
from .module import Module


class AdaptiveAvgPool2d(Module):
    """Mean-pool [N, C, H, W] (or [C, H, W]) to ``output_size``: an int, or a pair whose None
    entries keep the input's size. Windows as PyTorch's: ⌊i·H/out⌋ to ⌈(i+1)·H/out⌉."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
