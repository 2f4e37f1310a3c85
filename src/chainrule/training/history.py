"""The record of a run: plain lists, JSON-ready."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields


@dataclass
class History:
    """Everything measured during a run, as plain lists (JSON-ready).

    Per iteration (1-based ``iteration``): ``epoch`` (1-based, the pass over the data it
    belongs to), ``train_loss`` and ``train_acc`` of its mini-batch and ``lr``, the learning
    rate it was trained with. Per evaluation: ``eval_iteration``, ``eval_loss``, ``eval_acc``.
    ``epochs`` holds one dict per epoch (``epoch``, ``iteration``, ``batches``, ``train_loss``
    and ``train_acc`` over its batches, ``eval_loss``/``eval_acc`` when evaluated, and
    ``complete``: False for a last epoch cut short by the iteration budget or a stop).
    ``seconds`` is the training time (summed over resumed parts). ``status`` is
    ``"completed"``, ``"stopped"`` (early stopping or a callback; ``stop_reason`` says why)
    or ``"interrupted"`` (Ctrl-C, with ``on_interrupt="return"``).
    """

    iteration: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    eval_iteration: list = field(default_factory=list)
    eval_loss: list = field(default_factory=list)
    eval_acc: list = field(default_factory=list)
    epochs: list = field(default_factory=list)  # one dict per finished epoch
    seconds: float = 0.0
    epoch: list = field(default_factory=list)  # the epoch of each training record
    status: str = "completed"
    stop_reason: str = ""

    @property
    def interrupted(self) -> bool:
        return self.status == "interrupted"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "History":
        known = {f.name for f in fields(cls)}
        return cls(**{k: copy.deepcopy(v) for k, v in data.items() if k in known})

    def copy(self) -> "History":
        return History.from_dict(self.to_dict())

    def rows(self):
        """One dict per iteration: ``iteration``, ``epoch``, ``loss``, ``acc``, ``lr`` and,
        where the evaluation set was measured at that iteration, ``eval_loss`` and ``eval_acc``."""
        evals = {i: (loss, acc) for i, loss, acc in zip(self.eval_iteration, self.eval_loss, self.eval_acc)}
        epochs = self.epoch if len(self.epoch) == len(self.iteration) else [None] * len(self.iteration)
        for i, e, loss, acc, lr in zip(self.iteration, epochs, self.train_loss, self.train_acc, self.lr):
            row = {"iteration": i, "epoch": e, "loss": loss, "acc": acc, "lr": lr}
            if i in evals:
                row["eval_loss"], row["eval_acc"] = evals[i]
            yield row
