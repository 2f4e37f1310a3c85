"""Confusion matrices and per-class accuracy (pure NumPy)."""

from __future__ import annotations

import numpy as np


def confusion_matrix(labels, predictions, num_classes: int | None = None) -> np.ndarray:
    """Counts ``[k, k]``: row = true class, column = predicted class. ``num_classes``
    defaults to one more than the largest label or prediction."""
    labels = np.asarray(labels, dtype=np.int64).ravel()
    predictions = np.asarray(predictions, dtype=np.int64).ravel()
    if labels.shape != predictions.shape:
        raise ValueError(f"{len(labels)} labels but {len(predictions)} predictions")
    if num_classes is None:
        num_classes = int(max(labels.max(initial=-1), predictions.max(initial=-1))) + 1
    if len(labels) and (min(labels.min(), predictions.min()) < 0
                        or max(labels.max(), predictions.max()) >= num_classes):
        raise ValueError(f"classes must lie in 0..{num_classes - 1}")
    return np.bincount(labels * num_classes + predictions,
                       minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def per_class_accuracy(matrix: np.ndarray) -> np.ndarray:
    """Each class's recall: the diagonal over the row sums (NaN for a class with no samples)."""
    matrix = np.asarray(matrix)
    totals = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(matrix) / np.maximum(totals, 1), np.nan)


def most_confused(matrix: np.ndarray, top: int = 5) -> list[tuple[int, int, int]]:
    """The ``top`` largest off-diagonal cells as (true class, predicted class, count), count > 0,
    largest first (ties in row-major order)."""
    matrix = np.asarray(matrix).copy()
    np.fill_diagonal(matrix, 0)
    order = np.argsort(-matrix, axis=None, kind="stable")[:top]
    pairs = [(int(i), int(j), int(matrix[i, j])) for i, j in zip(*np.unravel_index(order, matrix.shape))]
    return [p for p in pairs if p[2] > 0]
