"""A run's report: learning curves, metrics and a Markdown page tying them together.

Plots use matplotlib's Agg backend (no display needed); matplotlib is the
``reports`` extra, imported only here.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from .training import History


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder and rename it into place,
    so a crash never leaves a half-written file behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data) -> None:
    atomic_write_bytes(path, (json.dumps(data, indent=2) + "\n").encode())


def smooth(values, window: int = 50) -> np.ndarray:
    """Trailing moving average (shorter at the start), to read a noisy per-batch curve."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return values
    cumulative = np.cumsum(np.insert(values, 0, 0.0))
    index = np.arange(1, len(values) + 1)
    start = np.maximum(index - window, 0)
    return (cumulative[index] - cumulative[start]) / (index - start)


def _pyplot():
    try:
        import matplotlib
    except ImportError as exc:
        raise RuntimeError("plots need matplotlib: pip install 'chainrule[reports]'") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_learning_curves(history: History, path: Path, title: str = "") -> Path:
    """Loss and accuracy side by side: the noisy per-batch training curve, its moving
    average, and the evaluation points."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    panels = (("loss", history.train_loss, history.eval_loss), ("accuracy", history.train_acc, history.eval_acc))
    for ax, (label, train, evaluation) in zip(axes, panels):
        ax.plot(history.iteration, train, color="tab:blue", alpha=0.25, linewidth=0.7, label="training (per batch)")
        ax.plot(history.iteration, smooth(train), color="tab:blue", label="training (moving average)")
        if evaluation:
            ax.plot(history.eval_iteration, evaluation, "o-", color="tab:orange", markersize=3, label="evaluation")
        ax.set_xlabel("iteration")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_run_report(out: Path, *, title: str, history: History, summary, metrics: dict,
                     settings: dict) -> Path:
    """Write ``curves.png``, ``history.json``, ``metrics.json`` and ``report.md`` into ``out``."""
    out = Path(out)
    plot_learning_curves(history, out / "curves.png", title)
    write_json(out / "history.json", history.to_dict())
    write_json(out / "metrics.json", metrics)
    rows = "\n".join(f"| {k} | {v} |" for k, v in settings.items())
    results = "\n".join(f"| {k} | {_fmt(v)} |" for k, v in metrics.items())
    text = f"""# {title}

## Settings

| setting | value |
| --- | --- |
{rows}

## Results

| measure | value |
| --- | --- |
{results}

## Learning curves

![learning curves](curves.png)

## Model

```
{summary}
```
"""
    atomic_write_bytes(out / "report.md", text.encode())
    return out / "report.md"


def _fmt(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)
