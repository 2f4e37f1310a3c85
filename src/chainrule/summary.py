"""``summary(model, input_size)``: a torchinfo-style table of a model's layers.

It runs one forward pass on zeros, in evaluation mode and without recording a
graph, and puts every buffer back afterwards, so BatchNorm statistics, the
training mode and the random generator are left exactly as they were.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .autograd import no_grad
from .tensor import Tensor


@dataclass(frozen=True)
class LayerRow:
    name: str  # dotted path in the model, e.g. "features.0"
    type: str  # class name, e.g. "Conv2d"
    output_shape: tuple
    params: int  # learnable parameters owned by this layer itself
    trainable: bool


@dataclass(frozen=True)
class ModelSummary:
    rows: list
    input_size: tuple
    output_shape: tuple
    total_params: int
    trainable_params: int

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    def __str__(self) -> str:
        header = ("Layer", "Type", "Output shape", "Param #")
        body = [(r.name, r.type, str(list(r.output_shape)), f"{r.params:,}") for r in self.rows]
        widths = [max(len(row[i]) for row in [header, *body]) for i in range(4)]
        rule = "=" * (sum(widths) + 6)

        def line(cells):
            return "  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

        return "\n".join([
            rule, line(header), rule, *(line(b) for b in body), rule,
            f"Input size: {list(self.input_size)}",
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.non_trainable_params:,}",
            rule,
        ])


def summary(model, input_size, dtype=np.float32) -> ModelSummary:
    """Each leaf layer's output shape and parameter count for an input of ``input_size``
    (batch dimension included, as torchinfo), then the totals."""
    rows, handles = [], []
    names = {id(m): n for n, m in model.named_modules()}

    def record(module, inputs, output):
        own = [p for p in module._parameters.values() if p is not None]
        rows.append(LayerRow(
            name=names.get(id(module), "?"), type=type(module).__name__,
            output_shape=tuple(output.shape) if isinstance(output, Tensor) else (),
            params=sum(p.numel() for p in own),
            trainable=all(p.requires_grad for p in own),
        ))

    for module in model.modules():
        if not module._modules:
            handles.append(module.register_forward_hook(record))
    saved_buffers = [(b, b._data.copy()) for b in model.buffers()]
    modes = [(m, m.training) for m in model.modules()]
    try:
        model.eval()
        with no_grad():
            output = model(Tensor(np.zeros(tuple(input_size), dtype=dtype)))
    finally:
        for handle in handles:
            handle.remove()
        for buffer, value in saved_buffers:
            buffer.copy_(value)
        for module, mode in modes:
            object.__setattr__(module, "training", mode)
    params = list(model.parameters())
    return ModelSummary(
        rows=rows, input_size=tuple(input_size),
        output_shape=tuple(output.shape) if isinstance(output, Tensor) else (),
        total_params=sum(p.numel() for p in params),
        trainable_params=sum(p.numel() for p in params if p.requires_grad),
    )
