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
    "half_mse",
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
    after the seeded build; ``loss`` is ``"cross_entropy"`` (fused, on logits),
    ``"half_mse"`` (½‖a − t‖² on one-hot targets, exercise B1) or ``"softmax_log"``
    (hand-written ``-Σ t·log p`` on a softmax output, exercise C3) — each has a PyTorch twin —
    or a callable (chainrule backend only); ``optimizer`` is ``"sgd"`` or ``"adam"``; ``schedule(optimizer)`` builds a
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

    labels = np.asarray(targets.detach().numpy() if isinstance(targets, Tensor) else targets).astype(np.int64)
    one_hot = np.zeros(probabilities.shape, dtype=probabilities.detach().numpy().dtype)
    one_hot[np.arange(len(labels)), labels] = 1
    return -(log(probabilities) * Tensor(one_hot)).sum(dim=1).mean()


def half_mse(outputs, targets):
    """The B1 cost ``½ Σ_j (a_j − y_j)²`` per sample on one-hot targets, averaged over the batch
    (so SGD with rate η makes the exercise's update ``W -= (η/m) Σ dC/dW``)."""
    from .. import nn
    from ..tensor import Tensor

    labels = np.asarray(targets.detach().numpy() if isinstance(targets, Tensor) else targets).astype(np.int64)
    one_hot = np.zeros(outputs.shape, dtype=outputs.detach().numpy().dtype)
    one_hot[np.arange(len(labels)), labels] = 1
    return nn.HalfMSELoss()(outputs, Tensor(one_hot))


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
    return [p.detach().numpy() for name, p in model.named_parameters() if name.endswith("weight")]


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
    backend: str = "chainrule"
    device: str = "cpu"
    batches_per_epoch: int = 0
    judgement: object = None

    @property
    def seconds_per_epoch(self) -> float:
        """Training time per pass over the training set (a run's partial epoch counted pro rata)."""
        return self.seconds * self.batches_per_epoch / self.iterations if self.iterations else float("nan")

    def metrics(self) -> dict:
        m = {"title": self.step.title, "backend": self.backend, "parameters": self.parameters,
             "iterations": self.iterations, "seconds_per_epoch": round(self.seconds_per_epoch, 2),
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

    def __init__(self, lab: Lab, quick: bool, seed: int, data: dict, out: Path, backend: str = "chainrule"):
        self.lab, self.quick, self.seed, self.data, self.out = lab, quick, seed, data, out
        self.backend = backend
        self.results: dict[str, StepResult] = {}  # what the answers cite (torch's with --backend torch)
        self.twins: dict[str, StepResult] = {}  # with --backend both: the same steps trained on PyTorch
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


def _loss(loss, where: str = "loss"):
    """chainrule's loss function for a step's ``loss`` (a name, or a callable as it is)."""
    from .. import nn

    if callable(loss):
        return loss
    if loss == "cross_entropy":
        return nn.CrossEntropyLoss()
    if loss == "softmax_log":
        return hand_written_cross_entropy
    if loss == "half_mse":
        return half_mse
    raise ValueError(f"{where}: unknown loss {loss!r}")


def _optimizer(step: Step, model):
    from .. import optim

    if step.optimizer == "adam":
        return optim.Adam(model.parameters(), lr=step.lr)
    if step.optimizer == "sgd":
        return optim.SGD(model.parameters(), lr=step.lr, momentum=step.momentum)
    raise ValueError(f"step {step.name}: unknown optimizer {step.optimizer!r}")


BACKENDS = ("chainrule", "torch", "both")


def check_backend(lab: Lab, backend: str) -> None:
    """Refuse, before anything runs, a backend the lab's steps cannot train on."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
    if backend != "chainrule":
        from ..backends.torch_backend import require_torch

        require_torch()
        custom = [step.name for step in lab.steps if callable(step.loss)]
        if custom:
            raise ValueError(f"lab {lab.id}: step(s) {', '.join(custom)} use a hand-written loss function that "
                             f"has no PyTorch twin; run this lab with the chainrule backend")


def architectures(lab: Lab) -> list[tuple[list[str], Callable, object]]:
    """The distinct trained networks of ``lab``: ``(step names, build(shape, classes), loss name)``
    for each different architecture and loss, ``build`` applying the step's initialisation."""
    from .. import manual_seed

    found: dict = {}
    for step in lab.steps:
        manual_seed(0)
        key = (repr(step.model((1, 28, 28), 10)), step.loss if isinstance(step.loss, str) else id(step.loss))
        if key not in found:
            def build(shape, classes, step=step):
                model = step.model(shape, classes)
                if step.init is not None:
                    step.init(model)
                return model
            found[key] = ([], build, step.loss)
        found[key][0].append(step.name)
    return list(found.values())


def loss_pair(name):
    """chainrule's loss of a step and its PyTorch twin."""
    from ..backends.torch_backend import torch_loss

    return _loss(name), torch_loss(name)


def run_step(lab: Lab, step: Step, data: dict, quick: bool, seed: int, out: Path,
             log: Callable = print, backend: str = "chainrule", device=None) -> StepResult:
    """Train one step with the library's Trainer and write its D1-D4 report in ``out``.
    ``backend="torch"``: the same seeded model, data order, optimiser and schedule on PyTorch
    (``device``: auto, cpu, cuda); its trained weights come back into the chainrule model,
    which the report evaluates."""
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
    loss_fn = _loss(step.loss, f"step {step.name}")
    optimizer = _optimizer(step, model)
    scheduler = step.schedule(optimizer) if step.schedule is not None else None
    x, y = data["train"]
    if step.train_limit is not None:
        x, y = x[:step.train_limit], y[:step.train_limit]
    loader = DataLoader(x, y, batch_size=step.batch_size, shuffle=True, seed=seed)
    trained = (model, loss_fn, optimizer, scheduler)
    if backend == "torch":  # the same seeded weights, optimiser and schedule on PyTorch
        from ..backends.torch_backend import training_twin

        trained = training_twin(model, loss=step.loss, optimizer=step.optimizer, lr=step.lr, momentum=step.momentum,
                                scheduler=scheduler, seed=seed, device=device)
    trainer = Trainer(*trained[:3], loader, scheduler=trained[3], eval_data=data["eval"],
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
    if backend == "torch":
        from ..backends.torch_backend import from_torch_state_dict

        from_torch_state_dict(model, trained[0].state_dict())
    tx, ty = data["test"]
    outputs = predict(model, tx)
    test_acc = float(np.mean(np.argmax(outputs, axis=1) == ty))
    try:
        with np.errstate(invalid="ignore", divide="ignore"):  # log(0) of a saturated softmax: reported as inf/nan
            test_loss = float(loss_fn(Tensor(outputs), Tensor(ty)).item())
    except Exception:  # noqa: BLE001 - a loss that cannot be evaluated is reported as missing
        test_loss = None
    result = StepResult(step, model, history, summary, sum(p.numel() for p in model.parameters()),
                        history.iteration[-1] if history.iteration else 0, seconds, test_acc, test_loss, error,
                        backend=backend, device=str(getattr(trainer.backend, "device", "cpu")),
                        batches_per_epoch=len(loader))
    settings = {"model": step.describe or step.title, "loss": step.loss if isinstance(step.loss, str) else
                getattr(step.loss, "__name__", "custom"), "optimizer": f"{step.optimizer} lr={step.lr}",
                "schedule": "per-iteration " + type(scheduler).__name__ if scheduler is not None else "none",
                "batch size": step.batch_size, **length, "training images": len(y),
                "evaluated on": f"{lab.eval_split} ({len(data['eval'][1])} images)", "seed": seed}
    if backend != "chainrule":
        settings["backend"] = f"{backend} ({result.device})"
    if error is not None:
        settings["stopped"] = str(error).replace("|", "/").replace("\n", " ")
    judgement = judge(history, **lab.judge_options) if history.iteration else None
    if history.iteration:
        result.report = write_run_report(out, title=f"{lab.id} {step.name}: {step.title}"
                                         + (f" ({backend} backend)" if backend != "chainrule" else ""),
                                         history=history, summary=summary, metrics=result.metrics(),
                                         settings=settings, images=tx, labels=ty, logits=outputs,
                                         class_names=classes, judgement=judgement)
    result.judgement = judgement
    acc = f"{test_acc:.4f}"
    log(f"  {step.name}{' [torch]' if backend == 'torch' else ''}: {result.iterations} iterations, "
        f"test accuracy {acc}, {seconds:.1f}s" + (" (stopped: non-finite)" if error is not None else ""))
    return result


def _finish_curves(ctx: Context, fig, ax_loss, ax_acc, title: str, path: Path) -> Path:
    """Label a pair of evaluation-loss / evaluation-accuracy axes over iterations and save the figure."""
    from ..report.plots import save_figure

    split = ctx.lab.eval_split
    ax_loss.set(xlabel="iteration", ylabel=f"{split} loss", title=f"{split} loss")
    ax_acc.set(xlabel="iteration", ylabel=f"{split} accuracy", title=f"{split} accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(title)
    return save_figure(fig, path)


def comparison_plot(ctx: Context, comparison: Comparison, path: Path) -> Path:
    """The evaluation accuracy and loss of several steps over iterations, side by side."""
    from ..report.plots import pyplot, smooth, smoothing_window

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
    return _finish_curves(ctx, fig, ax_loss, ax_acc, comparison.title, path)


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


def backends_answer(ctx: Context) -> str:
    """``--backend both``: every step's result on chainrule's engine and on PyTorch, side by side,
    and the figure of both engines' evaluation curves."""
    rows = []
    for name, ours in ctx.results.items():
        theirs = ctx.twins[name]
        rows.append((name, ours.iterations, ctx.num(f"{name}_chainrule_test_accuracy", ours.test_accuracy),
                     ctx.num(f"{name}_torch_test_accuracy", theirs.test_accuracy),
                     ctx.num(f"{name}_chainrule_seconds_per_epoch", ours.seconds_per_epoch, ".2f"),
                     ctx.num(f"{name}_torch_seconds_per_epoch", theirs.seconds_per_epoch, ".2f"),
                     ctx.num(f"{name}_time_ratio", ours.seconds / theirs.seconds, ".2f"),
                     f"[{name}/report.md]({name}/report.md) · [{name}-torch/report.md]({name}-torch/report.md)"))
    device = next(iter(ctx.twins.values())).device
    gap = max(abs(r.test_accuracy - ctx.twins[n].test_accuracy) for n, r in ctx.results.items())
    return "\n".join([
        f"Each step trained twice from the same seeded weights, on the same batches in the same order: on "
        f"chainrule's NumPy engine and on PyTorch ({device}), by the same Trainer. Time per epoch is training "
        "time (no evaluation) per pass over the training set.", "",
        ctx.table(("step", "iterations", "test accuracy, chainrule", "test accuracy, PyTorch",
                   "s/epoch, chainrule", "s/epoch, PyTorch", "time chainrule / PyTorch", "reports"), rows), "",
        "![evaluation curves on both engines](backends.png)", "",
        "The two engines compute the same functions in float32 but not in the same order (BLAS blocking, "
        "summation order), so the runs drift apart by rounding over thousands of updates (and dropout draws "
        "its masks from each engine's own generator): the largest test-accuracy difference here is "
        f"{ctx.num('backends_max_accuracy_difference', gap)}. "
        "`chainrule parity` shows the agreement of one step: outputs, loss and gradients to float32 rounding."])


def backends_plot(ctx: Context, path: Path) -> Path:
    """Every step's evaluation loss and accuracy on chainrule (solid) and PyTorch (dashed)."""
    from ..report.plots import pyplot

    plt = pyplot()
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(12, 4.2))
    for i, (name, ours) in enumerate(ctx.results.items()):
        for result, style, engine in ((ours, "-", "chainrule"), (ctx.twins[name], "--", "PyTorch")):
            h = result.history
            ax_loss.plot(h.eval_iteration, h.eval_loss, style, color=f"C{i}", label=f"{name} ({engine})")
            ax_acc.plot(h.eval_iteration, h.eval_acc, style, color=f"C{i}", label=f"{name} ({engine})")
    return _finish_curves(ctx, fig, ax_loss, ax_acc, f"Lab {ctx.lab.id}: chainrule vs PyTorch", path)


def run(lab: Lab, *, quick: bool = False, seed: int = 0, out=None, data_dir=None, log: Callable = print,
        backend: str = "chainrule", device=None) -> Path:
    """Run ``lab``'s steps in order and write its report; returns the path of report.md.
    ``backend``: ``"chainrule"``, ``"torch"`` (every step trained on PyTorch, ``device`` auto /
    cpu / cuda) or ``"both"`` (each step on both, compared side by side in the report)."""
    from ..report import write_json

    check_backend(lab, backend)
    out = Path(out) if out is not None else Path("runs") / f"lab-{lab.id.lower()}{'-quick' if quick else ''}"
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    data = load_data(lab, quick, data_dir)
    ctx = Context(lab, quick, seed, data, out, backend)
    log(f"lab {lab.id} ({'quick' if quick else 'full'}, {backend}): {len(lab.steps)} steps, "
        f"{len(data['train'][1])} training images")
    for step in lab.steps:
        engines = ("chainrule", "torch") if backend == "both" else (backend,)
        for engine in engines:
            folder = out / (f"{step.name}-torch" if backend == "both" and engine == "torch" else step.name)
            result = run_step(lab, step, data, quick, seed, folder, log, backend=engine, device=device)
            (ctx.twins if backend == "both" and engine == "torch" else ctx.results)[step.name] = result
    plots = {c.name: comparison_plot(ctx, c, out / f"{c.name}.png") for c in lab.comparisons}
    answers = []
    for i, q in enumerate(lab.questions, 1):
        answers.append((i, q.title, q.answer(ctx).strip()))
    if backend == "both":
        backends_plot(ctx, out / "backends.png")
        answers.append((len(answers) + 1, "The same lab on chainrule and on PyTorch", backends_answer(ctx).strip()))
    seconds = time.perf_counter() - started

    metrics = {"lab": lab.id, "title": lab.title, "mode": "quick" if quick else "full", "seed": seed,
               "backend": backend,
               "dataset": lab.dataset, "train_images": len(data["train"][1]), "eval_split": lab.eval_split,
               "eval_images": len(data["eval"][1]), "test_images": len(data["test"][1]),
               "seconds": round(seconds, 1), "steps": {n: r.metrics() for n, r in ctx.results.items()},
               "answers": ctx.numbers, "cited": ctx.cited, "questions": [t for _, t, _ in answers]}
    if ctx.twins:
        metrics["torch_steps"] = {n: r.metrics() for n, r in ctx.twins.items()}
    write_json(out / "metrics.json", metrics)

    parts = [f"# Lab {lab.id}: {lab.title}\n",
             f"Trains: {lab.trains}. Mode: **{'quick (a small slice; numbers are not the targets)' if quick else 'full'}**, "
             f"backend **{backend}**, seed {seed}, {lab.dataset}: {len(data['train'][1])} training images, evaluated on "
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
