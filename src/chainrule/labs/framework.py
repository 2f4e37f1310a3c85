"""The lab machinery: a lab declares its steps (model, initialisation, loss, optimiser, schedule,
iterations) and its questions; :func:`run` trains the steps in order on shared data with the
library's :class:`~chainrule.training.Trainer`, writes each step's D1-D4 report with
:func:`~chainrule.report.write_run_report`, draws the comparison plots, and writes the lab's
``report.md`` (the exercise's questions in order, answered with numbers measured in the run) and
``metrics.json`` (every number the answers cite).

A lab file holds no training loop: only declarations and the small functions that turn the
measured results into answers (each number goes through :meth:`Context.num`, which records it
in ``metrics.json`` under the same key the report shows it with).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "Comparison",
    "Context",
    "Lab",
    "Question",
    "Step",
    "StepResult",
    "hand_written_cross_entropy",
    "init_normal",
    "init_zeros",
    "run",
    "weights",
]


# ------------------------------------------------------------------ declarations
@dataclass
class Step:
    """One training run of a lab.

    ``model(shape, classes)`` builds the network; ``init(model)`` (optional) re-initialises it
    after the seeded build; ``loss`` is ``"cross_entropy"`` (fused, on logits) or
    ``"softmax_log"`` (hand-written ``-Σ t·log p`` on a softmax output, exercise C3) or a
    callable; ``optimizer`` is ``"sgd"`` or ``"adam"``; ``schedule(optimizer)`` builds a
    per-iteration learning-rate scheduler. Length: ``iterations`` or ``epochs`` in a full run,
    ``quick_iterations`` in a quick one. ``expect_non_finite``: the step is meant to stop with
    :class:`~chainrule.training.NonFiniteError` (the report shows where)."""

    name: str
    title: str
    model: Callable
    loss: str | Callable = "cross_entropy"
    optimizer: str = "sgd"
    lr: float = 0.5
    momentum: float = 0.0
    schedule: Callable | None = None
    init: Callable | None = None
    batch_size: int = 100
    iterations: int | None = None
    epochs: int | None = None
    quick_iterations: int = 100
    eval_every: int | None = None
    quick_eval_every: int | None = 20
    expect_non_finite: bool = False
    train_limit: int | None = None  # train on the first n training images only (both modes)
    describe: str = ""


@dataclass
class Question:
    """One question of the exercise, in order, and the function answering it from the run."""

    title: str
    answer: Callable  # answer(ctx: Context) -> markdown str


@dataclass
class Comparison:
    """A plot comparing steps' evaluation curves (accuracy and loss) over iterations."""

    name: str
    title: str
    steps: list
    train: bool = False  # also draw the smoothed training curves


@dataclass
class Lab:
    id: str
    title: str
    trains: str
    expected: str  # expected full-run time on the 2-core machine
    dataset: str
    steps: list
    questions: list
    comparisons: list = field(default_factory=list)
    eval_split: str = "test"  # "test" or "validation" (held out of the training set)
    validation_size: int = 0
    quick_train: int = 2000
    quick_eval: int = 1000
    quick_test: int = 1000
    judge_options: dict = field(default_factory=dict)


# ------------------------------------------------------------------ helpers for lab files
def hand_written_cross_entropy(probabilities, targets):
    """``mean(-Σ_k t_k log p_k)`` on softmax outputs, as the exercise writes it by hand: an
    exact zero probability gives ``log 0 = -inf`` and ``0 · -inf = nan``."""
    from .. import log
    from ..tensor import Tensor

    labels = np.asarray(targets.data if isinstance(targets, Tensor) else targets).astype(np.int64)
    one_hot = np.zeros(probabilities.shape, dtype=probabilities.data.dtype)
    one_hot[np.arange(len(labels)), labels] = 1
    return -(log(probabilities) * Tensor(one_hot)).sum(dim=1).mean()


def init_normal(std: float = 0.1, bias: float = 0.0):
    """Every weight ``std · randn`` (from the seeded global generator), every bias ``bias``."""
    from ..nn import init

    def apply(model):
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                init.constant_(p, bias)
            else:
                init.normal_(p, 0.0, std)

    return apply


def init_zeros(model):
    """Every weight and bias zero."""
    from ..nn import init

    for _, p in model.named_parameters():
        init.zeros_(p)


def weights(model) -> list[np.ndarray]:
    """The weight matrices of the model's layers, in order."""
    return [p.data for name, p in model.named_parameters() if name.endswith("weight")]


# ------------------------------------------------------------------ results
@dataclass
class StepResult:
    step: Step
    model: object
    history: object
    summary: object
    parameters: int
    iterations: int
    seconds: float
    test_accuracy: float | None
    test_loss: float | None
    error: Exception | None = None
    report: Path | None = None

    def metrics(self) -> dict:
        m = {"title": self.step.title, "parameters": self.parameters, "iterations": self.iterations,
             "seconds": round(self.seconds, 2), "test_accuracy": self.test_accuracy, "test_loss": self.test_loss,
             "final_eval_accuracy": self.history.eval_acc[-1] if self.history.eval_acc else None,
             "best_eval_accuracy": max(self.history.eval_acc) if self.history.eval_acc else None}
        if self.error is not None:
            m["stopped"] = str(self.error)
            m["stopped_at_iteration"] = getattr(self.error, "iteration", None)
        return m


class Context:
    """What a question's answer function sees: the step results by name, the data, the mode,
    and :meth:`num` to cite a measured number (recorded in metrics.json)."""

    def __init__(self, lab: Lab, quick: bool, seed: int, data: dict, out: Path):
        self.lab, self.quick, self.seed, self.data, self.out = lab, quick, seed, data, out
        self.results: dict[str, StepResult] = {}
        self.numbers: dict = {}
        self.cited: dict = {}  # key -> the text the report shows

    def __getitem__(self, name: str) -> StepResult:
        return self.results[name]

    def num(self, key: str, value, fmt: str = ".4f") -> str:
        """Record ``value`` under ``key`` in metrics.json and return it formatted for the report."""
        if isinstance(value, (np.integer,)):
            value = int(value)
        elif isinstance(value, (np.floating,)):
            value = float(value)
        self.numbers[key] = value
        if value is None:
            text = "–"
        elif isinstance(value, float) and not math.isfinite(value) or isinstance(value, bool) or not isinstance(value, (int, float)) or not fmt:
            text = str(value)
        else:
            text = format(value, fmt)
        self.cited[key] = text
        return text

    def table(self, header, rows) -> str:
        lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
        return "\n".join(lines)

    def epoch_table(self, step: str, train_acc_label: str = "train accuracy") -> str:
        """Step ``step``'s training and validation loss and accuracy per epoch (C5, C6), cited."""
        rows = [(e["epoch"], self.num(f"epoch_{e['epoch']}_train_loss", e["train_loss"]),
                 self.num(f"epoch_{e['epoch']}_train_acc", e["train_acc"]),
                 self.num(f"epoch_{e['epoch']}_val_loss", e.get("eval_loss")),
                 self.num(f"epoch_{e['epoch']}_val_acc", e.get("eval_acc"))) for e in self[step].history.epochs]
        return self.table(("epoch", "train loss", train_acc_label, "validation loss", "validation accuracy"), rows)


# ------------------------------------------------------------------ running
def _slice(x, y, n):
    return (x[:n], y[:n]) if n and n < len(y) else (x, y)


def load_data(lab: Lab, quick: bool, data_dir) -> dict:
    """The lab's data, loaded once and shared by its steps: train, eval (test or held-out
    validation) and test arrays; a quick run takes the first ``quick_*`` samples of each."""
    from ..data import load

    kw = {"data_dir": data_dir} if data_dir is not None else {}
    train = load(lab.dataset, "train", validation_size=lab.validation_size, **kw)
    test = load(lab.dataset, "test", **kw)
    data = {"train": (train.x, train.y), "test": (test.x, test.y), "classes": list(train.classes),
            "shape": tuple(train.x.shape[1:])}
    if lab.eval_split == "validation":
        val = load(lab.dataset, "validation", validation_size=lab.validation_size, **kw)
        data["eval"] = (val.x, val.y)
    else:
        data["eval"] = data["test"]
    if quick:
        data["train"] = _slice(*data["train"], lab.quick_train)
        data["test"] = _slice(*data["test"], lab.quick_test)
        data["eval"] = data["test"] if lab.eval_split == "test" else _slice(*data["eval"], lab.quick_eval)
    return data


def _loss(step: Step):
    from .. import nn

    if callable(step.loss):
        return step.loss
    if step.loss == "cross_entropy":
        return nn.CrossEntropyLoss()
    if step.loss == "softmax_log":
        return hand_written_cross_entropy
    raise ValueError(f"step {step.name}: unknown loss {step.loss!r}")


def _optimizer(step: Step, model):
    from .. import optim

    if step.optimizer == "adam":
        return optim.Adam(model.parameters(), lr=step.lr)
    if step.optimizer == "sgd":
        return optim.SGD(model.parameters(), lr=step.lr, momentum=step.momentum)
    raise ValueError(f"step {step.name}: unknown optimizer {step.optimizer!r}")


def run_step(lab: Lab, step: Step, data: dict, quick: bool, seed: int, out: Path,
             log: Callable = print) -> StepResult:
    """Train one step with the library's Trainer and write its D1-D4 report in ``out/<name>``."""
    from .. import manual_seed
    from ..data import DataLoader
    from ..report import judge, write_run_report
    from ..summary import summary as model_summary
    from ..tensor import Tensor
    from ..training import NonFiniteError, Trainer, predict

    shape, classes = data["shape"], data["classes"]
    manual_seed(seed)
    model = step.model(shape, len(classes))
    if step.init is not None:
        step.init(model)
    summary = model_summary(model, (1, *shape))
    loss_fn = _loss(step)
    optimizer = _optimizer(step, model)
    scheduler = step.schedule(optimizer) if step.schedule is not None else None
    x, y = data["train"]
    if step.train_limit is not None:
        x, y = x[:step.train_limit], y[:step.train_limit]
    loader = DataLoader(x, y, batch_size=step.batch_size, shuffle=True, seed=seed)
    trainer = Trainer(model, loss_fn, optimizer, loader, scheduler=scheduler, eval_data=data["eval"],
                      eval_every=step.quick_eval_every if quick else step.eval_every)
    if quick:
        length = {"iterations": step.quick_iterations}
    elif step.iterations is not None:
        length = {"iterations": step.iterations}
    else:
        length = {"epochs": step.epochs}
    error = None
    started = time.perf_counter()
    try:
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # the NaN guard reports these
            history = trainer.fit(**length)
    except NonFiniteError as exc:
        error, history = exc, trainer.history  # the live record: up to the last good iteration
        if not step.expect_non_finite:
            log(f"  {step.name}: stopped: {exc}")
    seconds = time.perf_counter() - started
    tx, ty = data["test"]
    outputs = predict(model, tx)
    test_acc = float(np.mean(np.argmax(outputs, axis=1) == ty))
    try:
        test_loss = float(loss_fn(Tensor(outputs), Tensor(ty)).item())
    except Exception:  # noqa: BLE001 - a loss that cannot be evaluated is reported as missing
        test_loss = None
    result = StepResult(step, model, history, summary, sum(p.numel() for p in model.parameters()),
                        history.iteration[-1] if history.iteration else 0, seconds, test_acc, test_loss, error)
    settings = {"model": step.describe or step.title, "loss": step.loss if isinstance(step.loss, str) else
                getattr(step.loss, "__name__", "custom"), "optimizer": f"{step.optimizer} lr={step.lr}",
                "schedule": "per-iteration " + type(scheduler).__name__ if scheduler is not None else "none",
                "batch size": step.batch_size, **length, "training images": len(y),
                "evaluated on": f"{lab.eval_split} ({len(data['eval'][1])} images)", "seed": seed}
    if error is not None:
        settings["stopped"] = str(error).replace("|", "/").replace("\n", " ")
    judgement = judge(history, **lab.judge_options) if history.iteration else None
    if history.iteration:
        result.report = write_run_report(out / step.name, title=f"{lab.id} {step.name}: {step.title}",
                                         history=history, summary=summary, metrics=result.metrics(),
                                         settings=settings, images=tx, labels=ty, logits=outputs,
                                         class_names=classes, judgement=judgement)
    result.judgement = judgement
    acc = f"{test_acc:.4f}"
    log(f"  {step.name}: {result.iterations} iterations, test accuracy {acc}, {seconds:.1f}s"
        + (" (stopped: non-finite)" if error is not None else ""))
    return result


def comparison_plot(ctx: Context, comparison: Comparison, path: Path) -> Path:
    """The evaluation accuracy and loss of several steps over iterations, side by side."""
    from ..report.plots import pyplot, save_figure, smooth, smoothing_window

    plt = pyplot()
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(12, 4.2))
    for name in comparison.steps:
        r = ctx.results[name]
        h = r.history
        label = r.step.title
        if comparison.train and h.iteration:
            w = smoothing_window(len(h.iteration))
            ax_loss.plot(h.iteration, smooth(h.train_loss, w), alpha=0.5, linestyle="--", label=f"{label} (train)")
            ax_acc.plot(h.iteration, smooth(h.train_acc, w), alpha=0.5, linestyle="--", label=f"{label} (train)")
        if h.eval_iteration:
            finite = [v if v is not None and math.isfinite(v) else np.nan for v in h.eval_loss]
            ax_loss.plot(h.eval_iteration, finite, label=label)
            ax_acc.plot(h.eval_iteration, h.eval_acc, label=label)
    split = ctx.lab.eval_split
    ax_loss.set(xlabel="iteration", ylabel=f"{split} loss", title=f"{split} loss")
    ax_acc.set(xlabel="iteration", ylabel=f"{split} accuracy", title=f"{split} accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(comparison.title)
    return save_figure(fig, path)


def line_plot(path: Path, x, series: dict, *, xlabel: str, ylabel: str, title: str, logx: bool = False) -> Path:
    """One figure of ``series`` (label -> y values) against ``x`` (e.g. accuracy against width)."""
    from ..report.plots import pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for label, ys in series.items():
        ax.plot(x, ys, marker="o", label=label)
    if logx:
        ax.set_xscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def curves_answer(ctx: Context, name: str) -> str:
    """C5/C6: the side-by-side loss and accuracy figure (train vs evaluation, per epoch and per
    iteration) and the judgement string with its evidence."""
    r = ctx[name]
    j = r.judgement
    figure = f"{name}/epochs.png" if (ctx.out / name / "epochs.png").exists() else f"{name}/curves.png"
    return "\n".join([
        f"![loss and accuracy, training vs {ctx.lab.eval_split}, side by side]({figure})", "",
        f"Per iteration: [{name}/curves.png]({name}/curves.png).", "",
        f"**Judgement: `{j.verdict}`** (`chainrule.report.judge`, min. training accuracy "
        f"{j.thresholds['min_train_acc']}):", "", *(f"- {reason}" for reason in j.reasons), "",
        ctx.table(("measure", "value"), [
            ("training accuracy at the end", ctx.num(f"{name}_train_acc_end", j.numbers["train_acc_end"])),
            (f"{ctx.lab.eval_split} accuracy at the end", ctx.num(f"{name}_eval_acc_end", j.numbers["eval_acc_end"])),
            ("accuracy gap", ctx.num(f"{name}_acc_gap", j.numbers["acc_gap"])),
            (f"lowest {ctx.lab.eval_split} loss", ctx.num(f"{name}_eval_loss_min", j.numbers["eval_loss_min"])),
            (f"{ctx.lab.eval_split} loss at the end", ctx.num(f"{name}_eval_loss_end", j.numbers["eval_loss_end"])),
        ])])


def run(lab: Lab, *, quick: bool = False, seed: int = 0, out=None, data_dir=None, log: Callable = print) -> Path:
    """Run ``lab``'s steps in order and write its report; returns the path of report.md."""
    from ..report import write_json

    out = Path(out) if out is not None else Path("runs") / f"lab-{lab.id.lower()}{'-quick' if quick else ''}"
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    data = load_data(lab, quick, data_dir)
    ctx = Context(lab, quick, seed, data, out)
    log(f"lab {lab.id} ({'quick' if quick else 'full'}): {len(lab.steps)} steps, "
        f"{len(data['train'][1])} training images")
    for step in lab.steps:
        ctx.results[step.name] = run_step(lab, step, data, quick, seed, out, log)
    plots = {c.name: comparison_plot(ctx, c, out / f"{c.name}.png") for c in lab.comparisons}
    answers = []
    for i, q in enumerate(lab.questions, 1):
        answers.append((i, q.title, q.answer(ctx).strip()))
    seconds = time.perf_counter() - started

    metrics = {"lab": lab.id, "title": lab.title, "mode": "quick" if quick else "full", "seed": seed,
               "dataset": lab.dataset, "train_images": len(data["train"][1]), "eval_split": lab.eval_split,
               "eval_images": len(data["eval"][1]), "test_images": len(data["test"][1]),
               "seconds": round(seconds, 1), "steps": {n: r.metrics() for n, r in ctx.results.items()},
               "answers": ctx.numbers, "cited": ctx.cited, "questions": [t for _, t, _ in answers]}
    write_json(out / "metrics.json", metrics)

    parts = [f"# Lab {lab.id}: {lab.title}\n",
             f"Trains: {lab.trains}. Mode: **{'quick (a small slice; numbers are not the targets)' if quick else 'full'}**, "
             f"seed {seed}, {lab.dataset}: {len(data['train'][1])} training images, evaluated on "
             f"{lab.eval_split} ({len(data['eval'][1])} images), tested on {len(data['test'][1])} test images; "
             f"{seconds:.1f} s in all. Every number below is in `metrics.json` (`answers`, `steps`).\n",
             "## Steps\n",
             ctx.table(("step", "what", "parameters", "iterations", "test accuracy", "seconds", "report"),
                       [(n, r.step.title, f"{r.parameters:,}", r.iterations, f"{r.test_accuracy:.4f}",
                         f"{r.seconds:.1f}", f"[{n}/report.md]({n}/report.md)" if r.report else "–")
                        for n, r in ctx.results.items()]) + "\n"]
    for i, title, body in answers:
        parts.append(f"## Q{i}. {title}\n\n{body}\n")
    if plots:
        parts.append("## Comparison plots\n")
        for c in lab.comparisons:
            parts.append(f"### {c.title}\n\n![{c.title}]({c.name}.png)\n")
    parts.append("## Per-step reports (D1–D4)\n\nEach step's folder has its learning curves (D2), the grid of "
                 "100 test images with wrong predictions in red (D1), the confusion matrix, the model summary "
                 "(D3) and the learning-curve judgement (D4).\n")
    from ..report import atomic_write_bytes

    atomic_write_bytes(out / "report.md", "\n".join(parts).encode())
    log(f"lab {lab.id}: {seconds:.1f}s; report: {out / 'report.md'}")
    return out / "report.md"
