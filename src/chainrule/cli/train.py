"""``chainrule train``: options -> :class:`TrainConfig` -> :func:`run_training`, step by step.

The steps are separate functions so that the Trainer's features slot in without touching the
rest: ``--checkpoint-every`` and ``--resume`` become two more options and two more fields of
:class:`TrainConfig`, used in :func:`fit_model` (marked ``LEAD``), and the richer report
(image grid, confusion matrix, judgement) is one call in :func:`write_report`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np

from ..training.run_folder import CHECKPOINTS, MODEL_FILE, data_checksum
from ._app import main
from ._common import (
    SPEC_COPY,
    ModelChoice,
    class_names,
    data_dir_option,
    data_option,
    load_split,
    model_option,
    resolve_model,
    write_run_file,
)

DEFAULT_EPOCHS = 2


# ----------------------------------------------------------------- schedule
@dataclass(frozen=True)
class Schedule:
    """A ``--schedule``: ``kind`` and its numbers; :meth:`build` makes the scheduler (stepped
    after every iteration, as the exercises count)."""

    kind: str = "none"
    args: tuple = ()

    def build(self, optimizer):
        from ..optim import lr_scheduler as s

        if self.kind == "step":
            return s.StepLR(optimizer, step_size=int(self.args[0]), gamma=self.args[1])
        if self.kind == "exp":
            return s.ExponentialLR(optimizer, gamma=self.args[0])
        if self.kind == "cosine":
            return s.CosineAnnealingLR(optimizer, T_max=int(self.args[0]),
                                       eta_min=self.args[1] if len(self.args) > 1 else 0.0)
        if self.kind == "decay":
            return s.ExpDecayLR(optimizer, tau=self.args[0], eta_min=self.args[1] if len(self.args) > 1 else 0.0)
        return None

    def __str__(self) -> str:
        return ":".join([self.kind, *(f"{a:g}" for a in self.args)])


class ScheduleType(click.ParamType):
    """none | step:SIZE:GAMMA | exp:GAMMA | cosine:T_MAX[:ETA_MIN] | decay:TAU[:ETA_MIN]."""

    name = "schedule"
    FORMS = {  # kind: (names of the numbers, how many are required)
        "none": ((), 0),
        "step": (("SIZE", "GAMMA"), 2),
        "exp": (("GAMMA",), 1),
        "cosine": (("T_MAX", "ETA_MIN"), 1),
        "decay": (("TAU", "ETA_MIN"), 1),
    }

    def convert(self, value, param, ctx):
        if isinstance(value, Schedule):
            return value
        kind, *parts = str(value).strip().lower().split(":")
        if kind not in self.FORMS:
            self.fail(f"{value!r}: use none, step:SIZE:GAMMA, exp:GAMMA, cosine:T_MAX[:ETA_MIN] "
                      f"or decay:TAU[:ETA_MIN]", param, ctx)
        names, required = self.FORMS[kind]
        if not required <= len(parts) <= len(names):
            form = ":".join([kind, *names[:required], *(f"[{n}]" for n in names[required:])])
            self.fail(f"{value!r}: expected {form}", param, ctx)
        try:
            args = tuple(float(p) for p in parts)
        except ValueError:
            self.fail(f"{value!r}: {', '.join(names)} must be numbers", param, ctx)
        for name, number in zip(names, args):
            if not math.isfinite(number):
                self.fail(f"{value!r}: {name} must be finite", param, ctx)
            if name in ("SIZE", "T_MAX") and (number < 1 or number != int(number)):
                self.fail(f"{value!r}: {name} must be a whole number of iterations >= 1", param, ctx)
            if name in ("GAMMA", "TAU") and number <= 0:
                self.fail(f"{value!r}: {name} must be positive", param, ctx)
            if name == "ETA_MIN" and number < 0:
                self.fail(f"{value!r}: ETA_MIN must not be negative", param, ctx)
        return Schedule(kind, args)


# ------------------------------------------------------------------- config
@dataclass
class TrainConfig:
    """Everything ``chainrule train`` was asked to do (one field per option)."""

    model: str = "mlp"
    dataset: str = "mnist"
    data_dir: Path | None = None
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.0
    weight_decay: float = 0.0
    schedule: Schedule = Schedule()
    epochs: int | None = None
    iterations: int | None = None
    batch_size: int = 100
    limit: int | None = None
    seed: int = 0
    eval_every: int = 100
    out: Path | None = None
    checkpoint_every: int | None = None
    resume: bool = False
    overwrite: bool = False
    backend: str = "chainrule"
    device: str = "auto"

    def settings(self, choice: ModelChoice, train_images: int) -> dict:
        """The settings table of the report and run.json."""
        length = self.length()
        return {"model": choice.name if choice.spec is None else f"{choice.name} ({choice.text})",
                "data": self.dataset, "optimizer": self.optimizer, "lr": self.lr,
                **({"momentum": self.momentum} if self.optimizer == "sgd" else {}),
                "weight decay": self.weight_decay, "schedule": str(self.schedule), **length,
                "batch size": self.batch_size, "seed": self.seed, "training images": train_images}

    def length(self) -> dict:
        return {"iterations": self.iterations} if self.iterations else {"epochs": self.epochs}

    def identity(self, choice: ModelChoice, train_set) -> dict:
        """The settings that make the run the run it is (see ``training.run_folder``): all but its length."""
        settings = self.settings(choice, len(train_set))
        for unit in ("epochs", "iterations"):
            settings.pop(unit, None)
        return {**settings, "data checksum": data_checksum(train_set.x, train_set.y), "loss": "cross_entropy",
                "engine": self.backend}


@main.command()
@model_option("mlp")
@data_option("mnist")
@data_dir_option()
@click.option("--optimizer", default="adam", show_default=True, type=click.Choice(["sgd", "adam"]))
@click.option("--lr", default=1e-3, show_default=True, type=click.FloatRange(min=0), help="Learning rate.")
@click.option("--momentum", default=0.0, show_default=True, type=click.FloatRange(min=0), help="SGD momentum.")
@click.option("--weight-decay", default=0.0, show_default=True, type=click.FloatRange(min=0),
              help="L2 penalty added to the gradients (PyTorch's weight_decay).")
@click.option("--schedule", default="none", show_default=True, type=ScheduleType(),
              help="Learning-rate schedule, stepped every iteration: none | step:SIZE:GAMMA | exp:GAMMA | "
                   "cosine:T_MAX[:ETA_MIN] | decay:TAU[:ETA_MIN] (C4's eta_min + (eta0 - eta_min)*exp(-t/TAU)).")
@click.option("--epochs", type=click.IntRange(min=1), help=f"Passes over the training set (default {DEFAULT_EPOCHS}, unless --iterations is given).")
@click.option("--iterations", type=click.IntRange(min=1), help="Train for this many mini-batches instead of --epochs.")
@click.option("--batch-size", default=100, show_default=True, type=click.IntRange(min=1))
@click.option("--limit", type=click.IntRange(min=1), help="Use only the first N training images (quick runs).")
@click.option("--seed", default=0, show_default=True, help="Seeds the weights and the batch order.")
@click.option("--eval-every", default=100, show_default=True, type=click.IntRange(min=0),
              help="Evaluate on the test set every N iterations (0: at each epoch's end only).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder (default runs/MODEL-DATA).")
@click.option("--checkpoint-every", type=click.IntRange(min=1),
              help="Checkpoint into OUT/checkpoints every N iterations (and always on Ctrl-C).")
@click.option("--resume", is_flag=True,
              help="Continue the run in --out from its latest checkpoint; it ends exactly as an uninterrupted run would. "
                   "Its settings must be the run's; a larger --epochs or --iterations extends a finished run.")
@click.option("--overwrite", is_flag=True, help="Replace the run that --out holds (its files are removed first).")
@click.option("--backend", default="chainrule", show_default=True, type=click.Choice(["chainrule", "torch"]),
              help="Train on chainrule's engine or on a PyTorch twin of the model (same data, history, report; "
                   "needs pip install 'chainrule[torch]').")
@click.option("--device", default="auto", show_default=True,
              help="With --backend torch: auto (CUDA when available), cpu, cuda or cuda:N. "
                   "chainrule's own engine runs on the CPU only.")
def train(**options):
    """Train a network on real data and write its report.

    The model is a named architecture or a .toml spec file of layers. The output folder holds
    report.md, curves.png, metrics.json, history.json, the trained weights (model.npz) and
    run.json (which model and data: `chainrule evaluate` and `predict` read it).

    \b
    Examples:
      chainrule train --model mlp --epochs 2
      chainrule train --model c2 --data fashion-mnist --lr 0.001 --out runs/c2-fashion
      chainrule train --model examples/c2.toml --iterations 500 --limit 10000
      chainrule train --model c4 --optimizer adam --lr 0.003 --iterations 10000 \\
          --schedule decay:2000:0.0001
      chainrule train --model mlp --optimizer sgd --lr 0.5 --schedule step:1000:0.5 --weight-decay 1e-4
      chainrule train --model c2 --checkpoint-every 200 --out runs/c2   # Ctrl-C, then:
      chainrule train --model c2 --checkpoint-every 200 --out runs/c2 --resume
    """
    config = TrainConfig(**options)
    if config.epochs is not None and config.iterations is not None:
        raise click.UsageError("--epochs and --iterations are mutually exclusive: give one of them")
    if config.epochs is None and config.iterations is None:
        config.epochs = DEFAULT_EPOCHS
    run_training(config)


def run_training(config: TrainConfig) -> Path:
    """Data, model, optimiser, schedule, training, test, weights, report; returns report.md."""
    from .. import manual_seed, nn
    from ..summary import summary as model_summary
    from ..tensor import Tensor, check_device
    from ..training import predict
    from ..training.run_folder import claim

    if config.backend == "chainrule" and config.device != "auto":
        check_device(config.device)  # cuda on this engine: an error that names --backend torch
    choice = resolve_model(config.model)  # a bad name or spec fails before any data is read
    train_set = load_split(config.dataset, "train", config.data_dir, config.limit)
    test_set = load_split(config.dataset, "test", config.data_dir)
    shape, classes = tuple(train_set.x.shape[1:]), class_names(config.dataset)
    out = config.out or Path("runs") / f"{choice.name}-{config.dataset}"

    manual_seed(config.seed)
    network = choice.build(shape, len(classes))
    summary = model_summary(network, (1, *shape))  # also the shape check of a named model
    outcome = claim(out, config.identity(choice, train_set), config.length(), resume=config.resume,
                    overwrite=config.overwrite, outputs=run_outputs())
    if outcome == "finished":
        click.echo(f"the run in {out} has finished ({_length_text(config.length())}): nothing to do; "
                   f"give a larger --epochs or --iterations to extend it")
        return Path(out) / "report.md"

    loss_fn = nn.CrossEntropyLoss()
    optimizer = make_optimizer(config, network)
    scheduler = config.schedule.build(optimizer)
    if config.backend == "torch":  # the PyTorch twin trains; its weights come back into ``network``
        twin = torch_twin(config, network, scheduler)
        history = fit_model(config, out, *twin, train_set, test_set)
        from ..backends.torch_backend import from_torch_state_dict

        from_torch_state_dict(network, twin[0].state_dict())
    else:
        history = fit_model(config, out, network, loss_fn, optimizer, scheduler, train_set, test_set)

    logits = predict(network, test_set.x)
    test_loss = loss_fn(Tensor(logits), Tensor(test_set.y)).item()
    test_acc = float(np.mean(np.argmax(logits, axis=1) == test_set.y))
    metrics = {"test_accuracy": test_acc, "test_loss": test_loss, "train_images": len(train_set),
               "iterations": history.iteration[-1] if history.iteration else 0,
               "seconds": round(history.seconds, 2),
               "parameters": sum(p.numel() for p in network.parameters())}
    settings = config.settings(choice, len(train_set))
    if config.backend != "chainrule":
        settings["backend"] = f"{config.backend} ({config.device})"
    save_model(network, out, choice, shape, classes)
    write_run_file(out, choice, config.dataset, shape, settings)
    report = write_report(out, choice, config, history, summary, metrics, settings, test_set, logits, classes)
    click.echo(f"test accuracy {test_acc:.4f}, loss {test_loss:.4f}, {history.seconds:.1f}s; report: {report}")
    return report


def run_outputs() -> tuple:
    """What ``chainrule train`` writes into a run's folder, each name from the code that writes it."""
    from ..report.run import FILES
    from ..training.callbacks import MetricsLogger

    return (*FILES.values(), MetricsLogger.JSONL, MetricsLogger.CSV, MODEL_FILE, SPEC_COPY, CHECKPOINTS)


def _length_text(length: dict) -> str:
    (unit, n), = length.items()
    return f"{unit}: {n}"


def make_optimizer(config: TrainConfig, network):
    from .. import optim

    if config.optimizer == "adam":
        return optim.Adam(network.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    return optim.SGD(network.parameters(), lr=config.lr, momentum=config.momentum,
                     weight_decay=config.weight_decay)


def fit_model(config: TrainConfig, out: Path, network, loss_fn, optimizer, scheduler, train_set, test_set):
    """Train ``network`` (chainrule's, or its PyTorch twin with PyTorch's loss, optimiser and
    scheduler), checkpointing into ``out/checkpoints`` and logging metrics into ``out``; returns
    the History. The loader is built here because its position is part of a checkpoint."""
    from ..data import DataLoader
    from ..training import TqdmProgress, fit

    loader = DataLoader(train_set.x, train_set.y, batch_size=config.batch_size, shuffle=True, seed=config.seed)
    checkpoints = out / CHECKPOINTS if (config.checkpoint_every or config.resume) else None
    return fit(network, loss_fn, optimizer, loader, epochs=None if config.iterations else config.epochs,
               iterations=config.iterations, eval_data=(test_set.x, test_set.y),
               eval_every=config.eval_every or None, scheduler=scheduler, callbacks=[TqdmProgress()],
               checkpoint_dir=checkpoints, checkpoint_every=config.checkpoint_every,
               resume=config.resume or None, metrics_dir=out)


def torch_twin(config: TrainConfig, network, scheduler):
    """``--backend torch``: the PyTorch twin of ``network`` (its weights as chainrule initialised
    them) on ``config.device`` (auto: CUDA when available), with PyTorch's cross-entropy, the
    optimiser of ``config`` and the twin of ``scheduler``; PyTorch's generator (dropout) is
    seeded with ``config.seed``."""
    from ..backends.torch_backend import resolve_device, training_twin

    device = resolve_device(config.device)
    config.device = str(device)
    return training_twin(network, loss="cross_entropy", optimizer=config.optimizer, lr=config.lr,
                         momentum=config.momentum, weight_decay=config.weight_decay, scheduler=scheduler,
                         seed=config.seed, device=device)


def save_model(network, out: Path, choice: ModelChoice, shape, classes) -> Path:
    """``model.npz``: the weights and the architecture, so ``load_model`` rebuilds it."""
    from ..serialization import save_model as save

    named = choice.spec is None
    return save(network, Path(out) / MODEL_FILE, name=choice.name if named else None,
                input_shape=shape, classes=len(classes), metadata={"classes": list(classes)})


def write_report(out, choice, config, history, summary, metrics, settings, test_set, logits, classes) -> Path:
    """The run's report: curves, the prediction grid, the confusion matrix and the judgement."""
    from ..report import write_run_report

    return write_run_report(out, title=f"{choice.name} on {config.dataset}", history=history,
                            summary=summary, metrics=metrics, settings=settings,
                            images=test_set.x, labels=test_set.y, logits=logits, class_names=classes)


__all__ = ["Schedule", "ScheduleType", "TrainConfig", "run_training", "train"]
