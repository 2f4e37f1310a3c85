"""``write_run_report``: everything a run shows (exercises D1-D4), in its output folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._io import atomic_write_bytes, jsonable, write_json
from .confusion import confusion_matrix, most_confused, per_class_accuracy
from .judgement import Judgement, describe_rules, judge
from .plots import plot_confusion_matrix, plot_epoch_curves, plot_learning_curves, plot_prediction_grid

FILES = {
    "curves": "curves.png",
    "epochs": "epochs.png",
    "grid": "predictions.png",
    "confusion": "confusion.png",
    "history": "history.json",
    "metrics": "metrics.json",
    "report": "report.md",
}
"""The file each piece of the report is written to, inside the run's folder."""


def predict_labels(model, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """The class the model predicts for each row of ``x`` (argmax of its outputs, in
    evaluation mode), via :func:`chainrule.training.predict`."""
    from ..training import predict

    return np.argmax(predict(model, np.asarray(x), batch_size), axis=1)


def write_run_report(out: Path, *, title: str, history, summary=None, metrics: dict | None = None,
                     settings: dict | None = None, images=None, labels=None, predictions=None,
                     logits=None, class_names=None, judgement: Judgement | None = None,
                     grid_size: int = 100, grid_seed: int = 0) -> Path:
    """Write a run's report into ``out`` and return the path of its ``report.md``.

    Always: ``curves.png`` (loss and accuracy per iteration), ``epochs.png`` (per epoch,
    when there are several), ``history.json``, ``metrics.json`` and ``report.md`` with the
    settings, results, the learning-curve judgement (:func:`~chainrule.report.judge`,
    defaults unless ``judgement`` is given) and the model ``summary`` (a ModelSummary or text).

    With the test set's ``labels`` and the model's ``predictions`` (or ``logits``, whose
    argmax is taken): ``confusion.png`` and the confusion matrix and per-class accuracy in
    ``metrics.json``; with ``images`` too, ``predictions.png``, ``grid_size`` random images
    (chosen with ``grid_seed``) captioned with ``class_names`` when given, wrong ones in red.
    """
    out = Path(out)
    metrics = dict(metrics or {})
    settings = dict(settings or {})
    judgement = judgement or judge(history)
    written = {"curves": plot_learning_curves(history, out / FILES["curves"], title, judgement.overfit_start)}
    if len(history.epochs) > 1:
        written["epochs"] = plot_epoch_curves(history, out / FILES["epochs"], f"{title}: per epoch" if title else "")

    if predictions is None and logits is not None:
        predictions = np.argmax(np.asarray(logits), axis=1)
    matrix = grid = grid_problem = None
    if labels is not None and predictions is not None:
        labels = np.asarray(labels, dtype=np.int64).ravel()
        predictions = np.asarray(predictions, dtype=np.int64).ravel()
        k = len(class_names) if class_names is not None else None
        if k is None and logits is not None:
            k = np.asarray(logits).shape[1]
        matrix = confusion_matrix(labels, predictions, k)
        written["confusion"] = plot_confusion_matrix(matrix, out / FILES["confusion"], class_names)
        if images is not None:
            try:
                grid = plot_prediction_grid(images, labels, predictions, out / FILES["grid"],
                                            class_names=class_names, n=grid_size, seed=grid_seed)
                written["grid"] = out / FILES["grid"]
            except ValueError as exc:
                grid_problem = str(exc)

    names = [str(class_names[i]) if class_names is not None else str(i) for i in range(len(matrix))] \
        if matrix is not None else []
    extra = {"judgement": judgement.to_dict()}
    if matrix is not None:
        accuracy = per_class_accuracy(matrix)
        extra.update(classes=names, confusion_matrix=matrix,
                     per_class_accuracy=dict(zip(names, accuracy)),
                     prediction_accuracy=float(np.trace(matrix) / max(matrix.sum(), 1)))
    if grid is not None:
        extra["grid"] = {"seed": grid_seed, "indices": [c.index for c in grid],
                         "wrong": [c.index for c in grid if not c.correct]}
    write_json(out / FILES["history"], history.to_dict())
    write_json(out / FILES["metrics"], {**metrics, **extra})

    text = _markdown(title=title, history=history, summary=summary, metrics=metrics, settings=settings,
                     judgement=judgement, written=written, matrix=matrix, names=names, grid=grid,
                     grid_problem=grid_problem)
    atomic_write_bytes(out / FILES["report"], text.encode())
    return out / FILES["report"]


def _markdown(*, title, history, summary, metrics, settings, judgement, written, matrix, names, grid,
              grid_problem) -> str:
    parts = [f"# {title}\n"]
    if settings:
        parts.append(_section("Settings", _table(("setting", "value"), settings.items())))
    scalars = [(k, v) for k, v in metrics.items() if _is_scalar(v)]
    scalars.append(("judgement", f"**{judgement.verdict}**"))
    parts.append(_section("Results", _table(("measure", "value"), scalars)))

    lines = [f"**{judgement.verdict}**\n", *(f"- {r}" for r in judgement.reasons), ""]
    start = judgement.overfit_start
    if start is not None:
        lines.append(f"Overfitting starts at **iteration {start}**: the evaluation loss is lowest there "
                     "and turns up afterwards while the training loss still falls (dashed line in the curves).\n")
    elif judgement.numbers.get("eval_points"):
        lines.append("No overfitting start: the evaluation loss does not turn up after its minimum "
                     "while the training loss falls.\n")
    lines.append(_table(("number", "value"), ((k, v) for k, v in judgement.numbers.items() if v is not None)))
    lines.append("\nRules (`chainrule.report.judge`):\n")
    lines.extend(f"- {rule}" for rule in describe_rules(judgement.thresholds))
    parts.append(_section("Judgement", "\n".join(lines)))

    curves = ["![learning curves](curves.png)", "",
              "Per iteration: the training loss and accuracy of each mini-batch (faint), their moving "
              "average, and the evaluation set's."]
    if "epochs" in written:
        curves += ["", "### Per epoch", "", f"![per-epoch curves]({FILES['epochs']})", "",
                   _table(("epoch", "iteration", "train loss", "train acc", "eval loss", "eval acc"),
                          ([e.get("epoch"), e.get("iteration"), e.get("train_loss"), e.get("train_acc"),
                            e.get("eval_loss", "–"), e.get("eval_acc", "–")] for e in history.epochs))]
    parts.append(_section("Learning curves", "\n".join(curves)))

    if grid is not None:
        wrong = [c for c in grid if not c.correct]
        parts.append(_section("Predictions", "\n".join([
            f"![predictions on test images]({FILES['grid']})", "",
            f"{len(grid)} random test images with the predicted label; {len(wrong)} wrong, in red with "
            "the true label."])))
    elif grid_problem:
        parts.append(_section("Predictions", f"No image grid: {grid_problem}."))

    if matrix is not None:
        accuracy = per_class_accuracy(matrix)
        rows = [(names[i], int(matrix[i].sum()), int(matrix[i, i]), accuracy[i]) for i in range(len(matrix))]
        body = [f"![confusion matrix]({FILES['confusion']})", "",
                _table(("class", "images", "correct", "accuracy"), rows)]
        confused = most_confused(matrix)
        if confused:
            body += ["", "Most frequent mistakes: " + ", ".join(
                f"{names[i]} taken for {names[j]} ({c})" for i, j, c in confused) + "."]
        parts.append(_section("Confusion matrix", "\n".join(body)))

    if summary is not None:
        parts.append(_section("Model", f"```\n{summary}\n```"))
    return "\n".join(parts)


def _section(name: str, body: str) -> str:
    return f"## {name}\n\n{body}\n"


def _table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(_fmt(v).replace("|", "\\|") for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _is_scalar(value) -> bool:
    return isinstance(value, (str, int, float, bool, np.generic)) or value is None


def _fmt(value) -> str:
    value = jsonable(value)
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)
