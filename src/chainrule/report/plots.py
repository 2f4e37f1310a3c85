"""The report's figures: learning curves per iteration and per epoch, the grid of test
images with their predicted labels, the confusion matrix.

matplotlib (the ``reports`` extra) is imported on first use, with the Agg backend, so
no display is needed. Every ``plot_*`` function writes a PNG and closes its figure; the
``*_figure`` functions return the open figure for inspection.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .confusion import per_class_accuracy

CORRECT_COLOR = "black"
WRONG_COLOR = "red"
TRAIN_COLOR = "tab:blue"
EVAL_COLOR = "tab:orange"
MARK_COLOR = "tab:red"


def smooth(values, window: int = 50) -> np.ndarray:
    """Trailing moving average (shorter at the start), to read a noisy per-batch curve."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return values
    cumulative = np.cumsum(np.insert(values, 0, 0.0))
    index = np.arange(1, len(values) + 1)
    start = np.maximum(index - window, 0)
    return (cumulative[index] - cumulative[start]) / (index - start)


def smoothing_window(records: int) -> int:
    """The moving-average window of the learning curves: 50 batches, a tenth of a short run."""
    return 50 if records >= 500 else max(1, records // 10)


def pyplot():
    """matplotlib's pyplot on the Agg backend (no display needed), with a clear message when
    matplotlib is missing."""
    try:
        import matplotlib
    except ImportError as exc:
        raise RuntimeError("plots need matplotlib: pip install 'chainrule[reports]'") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: Path, dpi: int = 110) -> Path:
    """Save ``fig`` as ``path`` (folders made as needed) and close it."""
    plt = pyplot()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fig.savefig(path, dpi=dpi, facecolor="white")
    finally:
        plt.close(fig)
    return path


# ---------------------------------------------------------------------------- learning curves

def learning_curves_figure(history, title: str = "", overfit_at: int | None = None):
    """Loss and accuracy side by side against the iteration: the noisy per-batch training
    curve, its moving average and the evaluation points; dotted lines at epoch ends and a
    dashed line where overfitting starts (``overfit_at``), when given."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
    n = len(history.iteration)
    window = smoothing_window(n)
    panels = (("loss", history.train_loss, history.eval_loss),
              ("accuracy", history.train_acc, history.eval_acc))
    epoch_ends = [e["iteration"] for e in history.epochs[:-1]] if len(history.epochs) > 1 else []
    for ax, (label, train, evaluation) in zip(axes, panels):
        if n:
            ax.plot(history.iteration, train, color=TRAIN_COLOR, alpha=0.22 if window > 1 else 1.0,
                    linewidth=0.7 if window > 1 else 1.6, label="training (per batch)")
            if window > 1:
                ax.plot(history.iteration, smooth(train, window), color=TRAIN_COLOR, linewidth=1.6,
                        label=f"training (moving average of {window})")
        if evaluation:
            many = len(evaluation) > 60
            ax.plot(history.eval_iteration, evaluation, "-" if many else "o-", color=EVAL_COLOR,
                    markersize=3.5, linewidth=1.6, label="evaluation")
        for end in epoch_ends:
            ax.axvline(end, color="grey", linestyle=":", linewidth=0.9, alpha=0.8)
        if overfit_at is not None:
            ax.axvline(overfit_at, color=MARK_COLOR, linestyle="--", linewidth=1.1,
                       label=f"overfitting starts (iteration {overfit_at})")
        ax.set_xlabel("iteration" + ("   (dotted: epoch ends)" if epoch_ends else ""))
        ax.set_ylabel(label)
        ax.set_title(f"{label}: training vs. evaluation", fontsize=11)
        ax.grid(alpha=0.3)
        if n:
            ax.set_xlim(0, history.iteration[-1] * 1.01 + 0.5)
    if n and _spans_decades(history.train_loss, history.eval_loss):
        axes[0].set_yscale("log")
        axes[0].set_ylabel("loss (log scale)")
    if n:
        axes[1].set_ylim(_acc_floor(history.train_acc, history.eval_acc), 1.005)
    handles, names = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, names, loc="lower center", ncol=len(handles), fontsize=9, frameon=False)
    if title:
        fig.suptitle(title, fontsize=12)
    fig.tight_layout(rect=(0, 0.07 if handles else 0, 1, 1))
    return fig


def plot_learning_curves(history, path: Path, title: str = "", overfit_at: int | None = None) -> Path:
    """Write :func:`learning_curves_figure` to ``path`` (PNG)."""
    return save_figure(learning_curves_figure(history, title, overfit_at), path)


def _spans_decades(*series) -> bool:
    values = np.concatenate([np.asarray(s, dtype=np.float64) for s in series if len(s)])
    values = values[np.isfinite(values) & (values > 0)]
    return len(values) > 0 and values.max() / max(values.min(), 1e-12) > 30


def _acc_floor(*series) -> float:
    """A lower accuracy limit that shows the interesting part: the smaller of the 2nd
    percentile of the training accuracy (its minimum in runs under 100 iterations) and the
    lowest evaluation accuracy, minus a margin."""
    train, evaluation = (np.asarray(s, dtype=np.float64) for s in series)
    low = (np.percentile(train, 2) if len(train) >= 100 else train.min()) if len(train) else 1.0
    if len(evaluation):
        low = min(low, evaluation.min())
    return float(max(0.0, low - 0.05))


def epoch_curves_figure(history, title: str = ""):
    """Loss and accuracy per epoch: the training mean over each epoch and the evaluation at
    its end."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    epochs = [e["epoch"] for e in history.epochs]
    for ax, key in zip(axes, ("loss", "accuracy")):
        short = "loss" if key == "loss" else "acc"
        train = [e.get(f"train_{short}") for e in history.epochs]
        ax.plot(epochs, train, "o-", color=TRAIN_COLOR, label="training (mean over the epoch)")
        evaluation = [e.get(f"eval_{short}") for e in history.epochs]
        if any(v is not None for v in evaluation):
            ax.plot(epochs, [np.nan if v is None else v for v in evaluation], "s-", color=EVAL_COLOR,
                    label="evaluation (end of the epoch)")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.set_title(f"{key} per epoch", fontsize=11)
        ax.set_xticks(epochs if len(epochs) <= 20 else ax.get_xticks())
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8.5)
    if title:
        fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return fig


def plot_epoch_curves(history, path: Path, title: str = "") -> Path:
    """Write :func:`epoch_curves_figure` to ``path`` (PNG)."""
    return save_figure(epoch_curves_figure(history, title), path)


# ---------------------------------------------------------------------------- prediction grid

@dataclass(frozen=True)
class GridCell:
    """One image of the prediction grid: its index in the test set, true and predicted
    class, the caption shown and its colour."""

    index: int
    label: int
    prediction: int
    text: str
    color: str

    @property
    def correct(self) -> bool:
        return self.label == self.prediction


def as_images(x) -> np.ndarray:
    """Images ``[n, H, W]`` (grey) or ``[n, H, W, 3]`` (colour) from ``[n, 1, H, W]``,
    ``[n, 3, H, W]``, channel-last, ``[n, H, W]`` or flattened square ``[n, H*W]`` arrays.
    Raises ValueError for anything else (e.g. feature vectors that are no image)."""
    x = np.asarray(x)
    if x.ndim == 4:
        if x.shape[1] in (1, 3):
            x = np.moveaxis(x, 1, -1)
        if x.shape[-1] == 1:
            return x[..., 0]
        if x.shape[-1] == 3:
            return x
    elif x.ndim == 3:
        return x
    elif x.ndim == 2:
        side = math.isqrt(x.shape[1])
        if side > 1 and side * side == x.shape[1]:
            return x.reshape(len(x), side, side)
    raise ValueError(f"cannot show samples of shape {list(x.shape[1:])} as images")


def choose(count: int, n: int = 100, seed: int = 0) -> np.ndarray:
    """``n`` distinct indices below ``count`` (all when fewer), drawn with ``seed``, sorted."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(count, size=min(n, count), replace=False))


def _name(k: int, class_names) -> str:
    if class_names is not None and 0 <= k < len(class_names):
        return str(class_names[k])
    return str(k)


def prediction_grid_figure(images, labels, predictions, *, class_names=None, n: int = 100, seed: int = 0,
                           columns: int = 10, title: str | None = None, cmap: str = "gray_r"):
    """``n`` random images (seeded choice) with their predicted labels, a wrong prediction
    captioned in red with the true label under it and framed in red.

    Returns ``(figure, cells)``: the open matplotlib figure and a :class:`GridCell` per image,
    in the order shown."""
    plt = pyplot()
    pictures = as_images(images)
    labels = np.asarray(labels, dtype=np.int64).ravel()
    predictions = np.asarray(predictions, dtype=np.int64).ravel()
    if not len(pictures) == len(labels) == len(predictions):
        raise ValueError(f"{len(pictures)} images, {len(labels)} labels and {len(predictions)} predictions")
    chosen = choose(len(pictures), n, seed)
    rows = max(1, math.ceil(len(chosen) / columns))
    long_names = class_names is not None and max((len(str(c)) for c in class_names), default=0) > 5
    width = 1.45 if long_names else 1.2
    fig, axes = plt.subplots(rows, columns, figsize=(columns * width, rows * 1.5 + 0.6), squeeze=False)
    shown = pictures[chosen].astype(np.float64)
    low, high = float(shown.min(initial=0.0)), float(shown.max(initial=1.0))
    if shown.ndim == 4:  # colour: scale into [0, 1] for imshow
        shown = (shown - low) / (high - low or 1.0)
    cells = []
    for ax in axes.ravel():
        ax.set_axis_off()
    for ax, i, picture in zip(axes.ravel(), chosen, shown):
        truth, guess = int(labels[i]), int(predictions[i])
        wrong = truth != guess
        text = _name(guess, class_names) + (f"\ntrue: {_name(truth, class_names)}" if wrong else "")
        color = WRONG_COLOR if wrong else CORRECT_COLOR
        ax.set_axis_on()
        ax.imshow(picture, cmap=None if picture.ndim == 3 else cmap, vmin=low, vmax=high,
                  interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(wrong)
            spine.set_color(WRONG_COLOR)
            spine.set_linewidth(2.0)
        ax.set_title(text, color=color, fontsize=8 if long_names else 10.5, pad=2,
                     fontweight="bold" if wrong else "normal", linespacing=1.0)
        cells.append(GridCell(int(i), truth, guess, text, color))
    wrong_count = sum(not c.correct for c in cells)
    if title is None:
        title = (f"Predictions on {len(cells)} random test images: "
                 f"{wrong_count} wrong (red, with the true label)")
    height = fig.get_figheight()
    fig.suptitle(title, fontsize=12, y=1 - 0.12 / height)
    # fixed margins: tight_layout over a hundred axes is slow and gains nothing here
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.1 / height, top=1 - 0.75 / height,
                        wspace=0.12, hspace=0.45)
    return fig, cells


def plot_prediction_grid(images, labels, predictions, path: Path, **options) -> list[GridCell]:
    """Write :func:`prediction_grid_figure` to ``path`` (PNG); returns its cells."""
    fig, cells = prediction_grid_figure(images, labels, predictions, **options)
    save_figure(fig, path)
    return cells


# ---------------------------------------------------------------------------- confusion matrix

def confusion_figure(matrix, class_names=None, title: str | None = None):
    """The confusion matrix with its counts in the cells (rows: true class, columns:
    predicted), coloured by the share of the true class, and each class's accuracy on the
    right."""
    plt = pyplot()
    from matplotlib.colors import PowerNorm

    matrix = np.asarray(matrix)
    k = len(matrix)
    names = [_name(i, class_names) for i in range(k)]
    totals = matrix.sum(axis=1, keepdims=True)
    share = np.where(totals > 0, matrix / np.maximum(totals, 1), 0.0)
    accuracy = per_class_accuracy(matrix)
    size = max(5.0, 0.62 * k + 2.8)
    fig, ax = plt.subplots(figsize=(size + 1.0, size))
    ax.imshow(share, cmap="Blues", norm=PowerNorm(0.5, vmin=0.0, vmax=1.0), interpolation="nearest")
    if k <= 30:
        for i in range(k):
            for j in range(k):
                if matrix[i, j]:
                    ax.text(j, i, f"{matrix[i, j]:d}", ha="center", va="center",
                            fontsize=8 if k > 12 else 9,
                            color="white" if share[i, j] > 0.45 else "#222222")
    ax.set_xticks(range(k), names, rotation=45 if max(map(len, names)) > 2 else 0,
                  ha="right" if max(map(len, names)) > 2 else "center", fontsize=9)
    ax.set_yticks(range(k), names, fontsize=9)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    for i, a in enumerate(accuracy):  # each class's accuracy, right of its row
        ax.annotate("–" if np.isnan(a) else f"{100 * a:.1f}%", xy=(k - 0.5, i), xytext=(8, 0),
                    textcoords="offset points", ha="left", va="center", fontsize=9, annotation_clip=False)
    ax.annotate("accuracy", xy=(k - 0.5, -0.5), xytext=(8, 4), textcoords="offset points", ha="left",
                va="bottom", fontsize=9, fontweight="bold", annotation_clip=False)
    ax.tick_params(length=0)
    total = int(matrix.sum())
    overall = np.trace(matrix) / total if total else float("nan")
    if title is None:
        title = f"Confusion matrix: {total:,} images, accuracy {100 * overall:.2f}%"
    ax.set_title(title, fontsize=11)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(matrix, path: Path, class_names=None, title: str | None = None) -> Path:
    """Write :func:`confusion_figure` to ``path`` (PNG)."""
    return save_figure(confusion_figure(matrix, class_names, title), path)
