"""What the :class:`~chainrule.training.Trainer` asks of the engine that runs the model.

The Trainer owns the loop — batches, history, evaluations, callbacks, checkpoints, Ctrl-C,
the non-finite guard — and asks its *backend* for the few things that depend on the engine:
turning NumPy batches into the engine's tensors and outputs back into arrays, checking
gradients, explaining a non-finite loss, predicting, and getting and setting the state a
checkpoint holds (as NumPy arrays and plain values, so checkpoints look the same whichever
engine wrote them). :class:`ChainruleBackend` is chainrule's own engine;
:class:`chainrule.backends.torch_backend.TorchBackend` runs a ``torch.nn.Module`` with a
``torch.optim`` optimiser through the same Trainer.
"""

from __future__ import annotations

import math

import numpy as np

from .. import random as _random
from ..tensor import Tensor
from . import nan_guard
from .metrics import predict

__all__ = ["ChainruleBackend", "backend_for"]


class ChainruleBackend:
    """chainrule's NumPy engine: tensors wrap the arrays, states are arrays already."""

    name = "chainrule"

    # -- one iteration
    @staticmethod
    def batch(xb, yb):
        """The model's input and the loss's target for one mini-batch."""
        return (Tensor._wrap(xb) if isinstance(xb, np.ndarray) else xb,
                Tensor._wrap(yb) if isinstance(yb, np.ndarray) else yb)

    @staticmethod
    def numpy(outputs) -> np.ndarray:
        return outputs._data

    @staticmethod
    def gradients_look_finite(params) -> bool:
        """A cheap test (one sum per parameter): False when some gradient may be non-finite."""
        for p in params:
            g = p.grad
            if g is not None and not math.isfinite(np.add.reduce(g._data, axis=None)):
                return False
        return True

    non_finite_gradients = staticmethod(nan_guard.non_finite_gradients)
    diagnose_forward = staticmethod(nan_guard.diagnose_forward)
    diagnose_gradient = staticmethod(nan_guard.diagnose_gradient)

    # -- evaluation
    predict = staticmethod(predict)

    @staticmethod
    def loss_value(loss_fn, outputs: np.ndarray, targets: np.ndarray) -> float:
        """``loss_fn`` on arrays of outputs and targets, as a float (no graph is built)."""
        from ..autograd import no_grad

        with no_grad():
            return float(loss_fn(Tensor._wrap(outputs), Tensor._wrap(np.asarray(targets))).item())

    # -- state
    @staticmethod
    def rng_state():
        return _random.get_rng_state()

    @staticmethod
    def set_rng_state(state) -> None:
        _random.set_rng_state(state)

    @staticmethod
    def copy_buffers(buffers) -> list:
        return [np.array(b._data, copy=True) for b in buffers]

    @staticmethod
    def restore_buffers(buffers, saved) -> None:
        for b, array in zip(buffers, saved):
            if b._data.shape == array.shape and b._data.dtype == array.dtype:
                b.copy_(array)
            else:
                b._data = array.copy()

    @staticmethod
    def state_dict(obj) -> dict:
        """The state of a model, optimiser or scheduler, as a checkpoint stores it."""
        return obj.state_dict()

    @staticmethod
    def load_state_dict(obj, state) -> None:
        obj.load_state_dict(state)


def backend_for(model):
    """The backend that trains ``model``: chainrule's for a chainrule Module, PyTorch's for a
    ``torch.nn.Module`` (on the device of its parameters)."""
    from ..nn import Module

    if isinstance(model, Module):
        return ChainruleBackend()
    if any(c.__module__.startswith("torch.") and c.__name__ == "Module" for c in type(model).__mro__):
        from ..backends.torch_backend import TorchBackend

        return TorchBackend.for_model(model)
    raise TypeError(f"cannot train a {type(model).__name__}: the model must be a chainrule.nn.Module "
                    f"or a torch.nn.Module")
