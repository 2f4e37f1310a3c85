"""Keras-style callbacks: code that the trainer calls at fixed points of a run.

Order of the calls (``i`` = iteration, ``e`` = epoch, both 1-based)::

    on_train_begin(trainer)
    on_epoch_begin(trainer, e)                        at the first batch of each epoch
        … one training step (forward, backward, optimiser, scheduler) …
        on_evaluate(trainer, logs)                    when the evaluation set is measured at i:
                                                      every eval_every iterations and at each
                                                      epoch's last batch
        on_batch_end(trainer, logs)                   every iteration
        on_epoch_end(trainer, logs)                   after the epoch's last batch
        on_checkpoint(trainer, path)                  after each checkpoint is written
    on_evaluate(trainer, logs)                        a final evaluation, when the run ends
                                                      between scheduled ones
    on_train_end(trainer, history)                    also after a Ctrl-C with on_interrupt="return"

``logs`` are plain dicts: ``on_batch_end`` gets ``iteration``, ``epoch``, ``loss``, ``acc``,
``lr`` (the rate this batch was trained with), plus ``eval_loss`` and ``eval_acc`` when the
evaluation ran at this iteration; ``on_evaluate`` gets ``iteration``, ``epoch``,
``eval_loss``, ``eval_acc``; ``on_epoch_end`` the epoch's record (see :class:`History`).

A callback stops training with ``trainer.stop("why")``: the run ends after the current
iteration. A callback whose ``state_dict()`` returns a non-empty dict (JSON values and NumPy
arrays) has that state saved in checkpoints and given back to ``load_state_dict`` on resume.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from pathlib import Path

import numpy as np


class Callback:
    """Base class: override the hooks you need; every one does nothing by default."""

    def on_train_begin(self, trainer) -> None: ...

    def on_train_end(self, trainer, history) -> None: ...

    def on_epoch_begin(self, trainer, epoch: int) -> None: ...

    def on_epoch_end(self, trainer, logs: dict) -> None: ...

    def on_batch_end(self, trainer, logs: dict) -> None: ...

    def on_evaluate(self, trainer, logs: dict) -> None: ...

    def on_checkpoint(self, trainer, path) -> None: ...

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None: ...


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_batch_end=lambda trainer, logs: ...)``."""

    _HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_batch_end",
              "on_evaluate", "on_checkpoint")

    def __init__(self, **hooks):
        unknown = set(hooks) - set(self._HOOKS)
        if unknown:
            raise TypeError(f"LambdaCallback: unknown hook(s) {', '.join(sorted(unknown))}; "
                            f"choose from {', '.join(self._HOOKS)}")
        for name, function in hooks.items():
            setattr(self, name, function)


class ProgressCallback(Callback):
    """Adapts a plain function ``progress(iteration, total, logs)`` (the ``progress=`` argument
    of :func:`fit`), called after every iteration; ``logs`` as ``on_batch_end``'s."""

    def __init__(self, function):
        self.function = function

    def on_batch_end(self, trainer, logs):
        self.function(logs["iteration"], trainer.total, logs)


class TqdmProgress(Callback):
    """A tqdm progress bar with the loss, accuracy and learning rate (speed is tqdm's own).
    ``disable=None`` (tqdm's own rule) hides it when ``file`` is not a terminal. A resumed run's
    bar starts at the resumed iteration."""

    def __init__(self, file=None, disable: bool | None = None, every: int = 10, **tqdm_kwargs):
        self.file, self.disable, self.every, self.kwargs = file, disable, max(1, int(every)), tqdm_kwargs
        self.bar = None

    def on_train_begin(self, trainer):
        from tqdm import tqdm

        self.bar = tqdm(total=trainer.total, initial=trainer.iteration, unit="it", file=self.file or sys.stderr,
                        disable=self.disable, dynamic_ncols=True, **self.kwargs)

    def on_batch_end(self, trainer, logs):
        if self.bar is None:
            return
        self.bar.update(logs["iteration"] - self.bar.n)
        if logs["iteration"] % self.every == 0 or "eval_loss" in logs:
            post = {"epoch": logs["epoch"], "loss": f"{logs['loss']:.4f}", "acc": f"{logs['acc']:.3f}",
                    "lr": f"{logs['lr']:.3g}"}
            if trainer.history.eval_loss:
                post["eval_acc"] = f"{trainer.history.eval_acc[-1]:.3f}"
            self.bar.set_postfix(post, refresh=False)

    def on_train_end(self, trainer, history):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class EarlyStopping(Callback):
    """Stop when the monitored evaluation metric has stopped improving.

    ``monitor`` is ``"eval_loss"`` (lower is better) or ``"eval_acc"`` (higher is better;
    ``mode`` "min"/"max" overrides). It is checked at every evaluation (every ``eval_every``
    iterations and at each epoch's end), so ``patience`` counts evaluations: training stops
    once ``patience`` evaluations in a row have not beaten the best value by more than
    ``min_delta``. With ``restore_best_weights`` the model's parameters and buffers are set back
    to those of the best evaluation when training ends (stopped or not). A NaN never counts as
    an improvement. ``best``, ``best_iteration`` and ``stopped_iteration`` tell the outcome.
    """

    def __init__(self, monitor: str = "eval_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = False):
        if monitor not in ("eval_loss", "eval_acc"):
            raise ValueError(f"EarlyStopping monitors 'eval_loss' or 'eval_acc', not {monitor!r}")
        if mode == "auto":
            mode = "max" if monitor == "eval_acc" else "min"
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping mode must be 'auto', 'min' or 'max', not {mode!r}")
        if patience < 1 or min_delta < 0:
            raise ValueError("EarlyStopping needs patience >= 1 and min_delta >= 0")
        self.monitor, self.patience, self.min_delta, self.mode = monitor, int(patience), float(min_delta), mode
        self.restore_best_weights = restore_best_weights
        self.best = None
        self.best_iteration = None
        self.wait = 0
        self.stopped_iteration = None
        self.best_weights = None

    def on_train_begin(self, trainer):
        if trainer.eval_data is None:
            raise ValueError(f"EarlyStopping monitors {self.monitor} but the trainer has no eval_data")

    def _improved(self, value) -> bool:
        if value is None or not math.isfinite(value):
            return False
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_evaluate(self, trainer, logs):
        value = logs[self.monitor]
        if self._improved(value):
            self.best, self.best_iteration, self.wait = float(value), logs["iteration"], 0
            if self.restore_best_weights:
                self.best_weights = {k: np.array(v._data, copy=True) for k, v in trainer.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience and self.stopped_iteration is None:
            self.stopped_iteration = logs["iteration"]
            trainer.stop(f"early stopping: {self.monitor} has not improved by more than {self.min_delta} "
                         f"for {self.patience} evaluation(s); best {self.best} at iteration {self.best_iteration}")

    def on_train_end(self, trainer, history):
        if self.restore_best_weights and self.best_weights is not None:
            trainer.model.load_state_dict(self.best_weights)

    def state_dict(self):
        state = {"best": self.best, "best_iteration": self.best_iteration, "wait": self.wait,
                 "stopped_iteration": self.stopped_iteration}
        if self.best_weights is not None:
            state["best_weights"] = dict(self.best_weights)
        return state

    def load_state_dict(self, state):
        self.best, self.best_iteration = state["best"], state["best_iteration"]
        self.wait, self.stopped_iteration = state["wait"], state["stopped_iteration"]
        weights = state.get("best_weights")
        self.best_weights = {k: np.array(v, copy=True) for k, v in weights.items()} if weights is not None else None


def _csv_value(value):
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else value


class MetricsLogger(Callback):
    """Writes ``metrics.jsonl`` (one JSON object per iteration) and ``metrics.csv`` (one row per
    iteration) into ``folder``: ``iteration``, ``epoch``, ``loss``, ``acc``, ``lr`` and, when the
    trainer has evaluation data, ``eval_loss`` and ``eval_acc`` (empty / absent where the
    evaluation set was not measured at that iteration). Floats are written exactly (``repr``).

    Each row is written (and flushed) at its iteration's end; a final evaluation that comes
    after it rewrites that last row. A resumed run first rewrites both files from the
    checkpoint's history, so they end up the same as an uninterrupted run's.
    """

    JSONL, CSV = "metrics.jsonl", "metrics.csv"

    def __init__(self, folder):
        self.folder = Path(folder)
        self.columns = None
        self._files = None
        self._last = None  # (iteration, row, jsonl offset, csv offset) of the last row written

    @property
    def jsonl_path(self) -> Path:
        return self.folder / self.JSONL

    @property
    def csv_path(self) -> Path:
        return self.folder / self.CSV

    def on_train_begin(self, trainer):
        self.folder.mkdir(parents=True, exist_ok=True)
        self.columns = ["iteration", "epoch", "loss", "acc", "lr"]
        if trainer.eval_data is not None:
            self.columns += ["eval_loss", "eval_acc"]
        self._close()
        self._files = (open(self.jsonl_path, "w+", encoding="utf-8"),
                       open(self.csv_path, "w+", encoding="utf-8", newline=""))
        self._files[1].write(self._csv_line(self.columns))
        self._last = None
        for row in trainer.history.rows():  # a resumed run: the rows so far
            self._write(row)
        self._flush()

    def _csv_line(self, values) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(values)
        return buffer.getvalue()

    def _write(self, row: dict):
        jsonl, table = self._files
        offsets = (jsonl.tell(), table.tell())
        jsonl.write(json.dumps({k: row[k] for k in self.columns if k in row}) + "\n")
        table.write(self._csv_line([_csv_value(row.get(k)) for k in self.columns]))
        self._last = (row["iteration"], dict(row), *offsets)

    def _flush(self):
        for handle in self._files:
            handle.flush()

    def on_batch_end(self, trainer, logs):
        if self._files is None or (self._last is not None and logs["iteration"] <= self._last[0]):
            return
        self._write({k: logs.get(k) for k in self.columns if k in logs})
        self._flush()

    def on_evaluate(self, trainer, logs):
        if self._files is None or self._last is None or self._last[0] != logs["iteration"]:
            return  # this iteration's row is written at its on_batch_end, with the evaluation
        _, row, jsonl_at, csv_at = self._last
        if row.get("eval_loss") == logs["eval_loss"] and row.get("eval_acc") == logs["eval_acc"]:
            return
        row.update(eval_loss=logs["eval_loss"], eval_acc=logs["eval_acc"])
        for handle, at in zip(self._files, (jsonl_at, csv_at)):
            handle.seek(at)
            handle.truncate()
        self._write(row)
        self._flush()

    def on_train_end(self, trainer, history):
        self._close()

    def _close(self):
        if self._files is not None:
            for handle in self._files:
                handle.close()
            self._files = None

    def __del__(self):
        try:
            self._close()
        except Exception:  # pragma: no cover
            pass
