"""Loss modules: thin wrappers of the functional losses, as ``torch.nn``'s."""

from __future__ import annotations

from . import functional as F
from .module import Module


class _Loss(Module):
    _function = None

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input, target):
        return type(self)._function(input, target, reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class MSELoss(_Loss):
    _function = staticmethod(F.mse_loss)


class HalfMSELoss(_Loss):
    """½‖y − t‖² per sample, averaged (or summed) over the batch: the B1 cost."""

    _function = staticmethod(F.half_mse_loss)


class CrossEntropyLoss(_Loss):
    """Cross-entropy on logits (stable); targets are class indices or probabilities."""

    _function = staticmethod(F.cross_entropy)


class NLLLoss(_Loss):
    _function = staticmethod(F.nll_loss)


class BCELoss(_Loss):
    _function = staticmethod(F.binary_cross_entropy)


class BCEWithLogitsLoss(_Loss):
    _function = staticmethod(F.binary_cross_entropy_with_logits)
