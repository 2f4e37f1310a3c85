"""PyTorch's ``torch.utils`` names: so far :mod:`chainrule.utils.data`."""

from . import data

__all__ = ["data"]
