"""A run's report: learning curves per iteration and per epoch, the grid of test images with
their predicted labels, the confusion matrix, the model summary and the learning-curve
judgement, tied together in ``report.md`` with the numbers in ``metrics.json``
(exercises D1-D4).

Plots use matplotlib's Agg backend (no display needed); matplotlib is the ``reports``
extra, imported only when a figure is drawn.
"""

from ._io import atomic_write_bytes, jsonable, write_json
from .confusion import confusion_matrix, most_confused, per_class_accuracy
from .judgement import DEFAULTS as JUDGE_DEFAULTS
from .judgement import VERDICTS, Judgement, describe_rules, judge, measure, overfit_start
from .plots import (
    GridCell,
    as_images,
    choose,
    confusion_figure,
    epoch_curves_figure,
    learning_curves_figure,
    plot_confusion_matrix,
    plot_epoch_curves,
    plot_learning_curves,
    plot_prediction_grid,
    prediction_grid_figure,
    smooth,
)
from .run import FILES, predict_labels, write_run_report

__all__ = [
    "FILES", "GridCell", "JUDGE_DEFAULTS", "Judgement", "VERDICTS", "as_images", "atomic_write_bytes",
    "choose", "confusion_figure", "confusion_matrix", "describe_rules", "epoch_curves_figure", "judge",
    "jsonable", "learning_curves_figure", "measure", "most_confused", "overfit_start", "per_class_accuracy",
    "plot_confusion_matrix", "plot_epoch_curves", "plot_learning_curves", "plot_prediction_grid",
    "predict_labels", "prediction_grid_figure", "smooth", "write_json", "write_run_report",
]
