"""Training: a loop that counts iterations (mini-batches), evaluates as it goes and
keeps the whole learning history.

    history = fit(model, loss_fn, optimizer, loader, epochs=3, eval_data=(x_test, y_test))

Every iteration records the mini-batch loss and accuracy and the learning rate;
every ``eval_every`` iterations and at each epoch's end the evaluation set's loss
and accuracy are recorded too.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from .autograd import no_grad
from .tensor import Tensor


class NonFiniteError(FloatingPointError):
    """Training produced NaN or infinity; the message says at which iteration."""


@dataclass
class History:
    """Everything measured during a run, as plain lists (JSON-ready)."""

    iteration: list = field(default_factory=list)  # 1-based iteration of each training record
    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    eval_iteration: list = field(default_factory=list)
    eval_loss: list = field(default_factory=list)
    eval_acc: list = field(default_factory=list)
    epochs: list = field(default_factory=list)  # one dict per finished epoch
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "History":
        return cls(**data)


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of rows whose largest score is at the label's index."""
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def predict(model, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """The model's outputs for ``x`` in evaluation mode, batch by batch (training mode is restored)."""
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            outputs = [model(Tensor._wrap(x[i:i + batch_size])).data for i in range(0, len(x), batch_size)]
    finally:
        model.train(was_training)
    return np.concatenate(outputs)


def evaluate(model, loss_fn, x: np.ndarray, y: np.ndarray, batch_size: int = 1000) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` on ``(x, y)``."""
    outputs = predict(model, x, batch_size)
    loss = loss_fn(Tensor._wrap(outputs), Tensor._wrap(y)).item()
    return loss, accuracy(outputs, y)


def fit(model, loss_fn, optimizer, loader, *, epochs: int | None = None, iterations: int | None = None,
        eval_data: tuple | None = None, eval_every: int | None = None, scheduler=None,
        progress=None) -> History:
    """Train ``model`` for ``epochs`` passes over ``loader`` or for ``iterations`` mini-batches.

    ``scheduler.step()`` runs after every iteration (the exercises' schedules are per
    iteration). ``progress``, if given, is called as ``progress(iteration, total, record)``.
    Raises :class:`NonFiniteError` when the loss stops being finite.
    """
    if (epochs is None) == (iterations is None):
        raise ValueError("give exactly one of epochs and iterations")
    total = iterations if iterations is not None else epochs * len(loader)
    history, step, start = History(), 0, time.perf_counter()
    model.train()
    while step < total:
        epoch_losses, epoch_hits, epoch_count = 0.0, 0, 0
        for xb, yb in loader:
            step += 1
            optimizer.zero_grad()
            outputs = model(Tensor._wrap(xb))
            loss = loss_fn(outputs, Tensor._wrap(yb))
            value = loss.item()
            if not math.isfinite(value):
                raise NonFiniteError(f"the loss became {value} at iteration {step}")
            loss.backward()
            optimizer.step()
            hits = int(np.sum(np.argmax(outputs.data, axis=1) == yb))
            history.iteration.append(step)
            history.train_loss.append(value)
            history.train_acc.append(hits / len(yb))
            history.lr.append(optimizer.param_groups[0]["lr"])
            if scheduler is not None:
                scheduler.step()
            epoch_losses += value * len(yb)
            epoch_hits += hits
            epoch_count += len(yb)
            if eval_data is not None and eval_every and step % eval_every == 0:
                _record_eval(history, step, model, loss_fn, eval_data)
            if progress is not None:
                progress(step, total, {"loss": value, "acc": hits / len(yb)})
            if step >= total:
                break
        epoch = {"epoch": len(history.epochs) + 1, "iteration": step,
                 "train_loss": epoch_losses / epoch_count, "train_acc": epoch_hits / epoch_count}
        if eval_data is not None:
            if not history.eval_iteration or history.eval_iteration[-1] != step:
                _record_eval(history, step, model, loss_fn, eval_data)
            epoch.update(eval_loss=history.eval_loss[-1], eval_acc=history.eval_acc[-1])
        history.epochs.append(epoch)
    history.seconds = time.perf_counter() - start
    return history


def _record_eval(history: History, step: int, model, loss_fn, eval_data) -> None:
    loss, acc = evaluate(model, loss_fn, *eval_data)
    history.eval_iteration.append(step)
    history.eval_loss.append(loss)
    history.eval_acc.append(acc)
