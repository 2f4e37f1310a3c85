"""Predictions and measurements of a model on arrays, in evaluation mode."""

from __future__ import annotations

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of rows whose largest score is at the label's index (labels given as class
    indices [N] or as one-hot / probability rows [N, C])."""
    return correct(logits, labels) / len(logits)


def correct(logits: np.ndarray, labels: np.ndarray) -> int:
    """Number of rows whose largest score is at the label's index."""
    logits, labels = np.asarray(logits), np.asarray(labels)
    if labels.ndim == 2 and labels.shape == logits.shape:
        labels = np.argmax(labels, axis=1)
    return int(np.count_nonzero(np.argmax(logits, axis=1) == labels))


def predict(model, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """The model's outputs for ``x`` in evaluation mode, batch by batch (training mode is
    restored). Nothing random is drawn (dropout is off), so the global RNG is untouched."""
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            outputs = [model(Tensor._wrap(x[i:i + batch_size]))._data for i in range(0, len(x), batch_size)]
    finally:
        model.train(was_training)
    return np.concatenate(outputs)


def evaluate(model, loss_fn, x: np.ndarray, y: np.ndarray, batch_size: int = 1000,
             metric=accuracy, backend=None) -> tuple[float, float]:
    """Mean loss and ``metric`` (accuracy by default) of ``model`` on ``(x, y)``; ``backend``
    (:mod:`.backend`, chosen from the model by default) runs a PyTorch model as well."""
    from .backend import backend_for

    backend = backend if backend is not None else backend_for(model)
    outputs = backend.predict(model, x, batch_size)
    return backend.loss_value(loss_fn, outputs, y), float(metric(outputs, y))
