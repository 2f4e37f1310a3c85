"""PyTorch as a second backend: the same model on either engine, weights both ways, a torch
training loop that fills chainrule's :class:`~chainrule.training.History`, and the parity check.

* :func:`to_torch` builds the ``torch.nn`` module tree of a chainrule model (same layer names,
  arguments, ``state_dict`` keys and layouts, train/eval modes) and copies its weights and buffers.
  ``Step``, which PyTorch lacks, becomes :func:`torch_step_class` (1[x >= 0], zero gradient).
* :func:`from_torch_state_dict` loads a PyTorch ``state_dict`` (a mapping, or a file written by
  ``torch.save`` and read with ``torch.load(..., weights_only=True)``) into a chainrule model;
  :func:`load_chainrule_weights` loads a chainrule ``.npz`` weights file into a torch twin.
* :func:`fit_torch` trains a torch twin with chainrule's DataLoader (same batches, same order)
  and records the run in a History exactly as :class:`~chainrule.training.Trainer` does.
* :func:`parity` runs a chainrule model and its twin on one batch and reports the largest
  differences of outputs, loss, gradients and of the parameters after K optimiser steps.

torch is imported lazily (:func:`require_torch`); without it these functions raise
:class:`TorchMissingError`, which names ``pip install 'chainrule[torch]'``.
"""

from __future__ import annotations

import copy
import functools
import importlib
import math
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "TorchMissingError", "require_torch", "torch_step_class", "build_torch", "to_torch",
    "state_to_torch", "from_torch_state_dict", "load_chainrule_weights", "resolve_device",
    "make_torch_optimizer", "make_torch_scheduler", "fit_torch", "torch_predict", "ParityRow", "ParityResult",
    "parity",
]

INSTALL_HINT = "pip install 'chainrule[torch]'"

class TorchMissingError(ImportError, RuntimeError):
    """PyTorch is needed for this feature but is not installed."""


def require_torch():
    """The ``torch`` module, or :class:`TorchMissingError` saying what to install."""
    try:
        return importlib.import_module("torch")
    except ImportError as exc:
        raise TorchMissingError(
            f"this feature needs PyTorch, which is not installed ({exc}); install it with: {INSTALL_HINT}"
        ) from None


# ------------------------------------------------------------------ modules
@functools.cache
def torch_step_class():
    """The ``torch.nn.Module`` twin of :class:`chainrule.nn.Step`: 1[x >= 0], zero gradient."""
    torch = require_torch()

    class Step(torch.nn.Module):
        """Hard threshold 1[x >= 0] (exercise A7); its gradient is zero (not None), as in chainrule."""

        def forward(self, x):
            return (x >= 0).to(x.dtype) + x * 0  # ``x * 0`` keeps the graph: d/dx = 0

    return Step


def _leaf(m):
    torch = require_torch()
    t = torch.nn
    kind = type(m).__name__
    if kind == "Linear":
        return t.Linear(m.in_features, m.out_features, bias=m.bias is not None)
    if kind == "Conv2d":
        return t.Conv2d(m.in_channels, m.out_channels, m.kernel_size, stride=m.stride,
                        padding=m.padding, bias=m.bias is not None)
    if kind in ("MaxPool2d", "AvgPool2d"):
        return getattr(t, kind)(m.kernel_size, m.stride, m.padding)
    if kind in ("BatchNorm1d", "BatchNorm2d"):
        return getattr(t, kind)(m.num_features, eps=m.eps, momentum=m.momentum, affine=m.affine,
                                track_running_stats=m.track_running_stats)
    if kind == "Dropout":
        return t.Dropout(m.p)
    if kind == "Flatten":
        return t.Flatten(m.start_dim, m.end_dim)
    if kind == "LeakyReLU":
        return t.LeakyReLU(m.negative_slope)
    if kind == "ELU":
        return t.ELU(m.alpha)
    if kind in ("Softmax", "LogSoftmax"):
        return getattr(t, kind)(dim=m.dim)
    if kind in ("ReLU", "Sigmoid", "Tanh", "Identity"):
        return getattr(t, kind)()
    if kind == "Step":
        return torch_step_class()()
    raise TypeError(f"the torch backend has no PyTorch twin for the layer {kind}")


def build_torch(model):
    """The ``torch.nn`` module tree matching chainrule ``model`` (PyTorch's fresh weights)."""
    from .. import nn

    torch = require_torch()
    if isinstance(model, nn.Sequential):
        return torch.nn.Sequential(OrderedDict((name, build_torch(child)) for name, child in model.named_children()))
    if isinstance(model, nn.ModuleList):
        return torch.nn.ModuleList([build_torch(child) for child in model])
    return _leaf(model)


def state_to_torch(state_dict) -> OrderedDict:
    """A chainrule state_dict (or a mapping of arrays) as PyTorch CPU tensors (copies)."""
    torch = require_torch()
    out = OrderedDict()
    for key, value in state_dict.items():
        array = np.array(getattr(value, "data", value), copy=True)
        out[key] = torch.from_numpy(array)
    return out


def _copy_modes(model, tmodel) -> None:
    for (_, a), (_, b) in zip(model.named_modules(), tmodel.named_modules(), strict=True):
        b.training = a.training


def _torch_dtype(model):
    torch = require_torch()
    for _, p in model.named_parameters():
        return torch.float64 if p.data.dtype == np.float64 else torch.float32
    return torch.float32


def to_torch(model, device=None, dtype=None):
    """A ``torch.nn.Module`` with ``model``'s tree, state_dict keys, weights, buffers and
    train/eval modes, on ``device`` (default CPU) in ``dtype`` (default: the model's)."""
    tmodel = build_torch(model)
    tmodel = tmodel.to(dtype or _torch_dtype(model))
    result = tmodel.load_state_dict(state_to_torch(model.state_dict()), strict=True)
    assert not result.missing_keys and not result.unexpected_keys, result
    _copy_modes(model, tmodel)
    if device is not None:
        tmodel = tmodel.to(resolve_device(device))
    return tmodel


def _torch_state_as_numpy(state) -> "OrderedDict[str, np.ndarray]":
    torch = require_torch()
    out = OrderedDict()
    for key, value in state.items():
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
        out[key] = np.asarray(value)
    return out


def from_torch_state_dict(model, source, strict: bool = True):
    """Load a PyTorch ``state_dict`` into chainrule ``model`` and return ``model``.

    ``source`` is a mapping of tensors, a ``torch.nn.Module``, or the path of a file written by
    ``torch.save(state_dict, path)`` (read with ``weights_only=True``: no code is run). A key or
    shape mismatch raises a ValueError naming them (see ``Module.load_state_dict``)."""
    torch = require_torch()
    if isinstance(source, torch.nn.Module):
        state = source.state_dict()
    elif isinstance(source, (str, Path)):
        path = Path(source)
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise
        except Exception as exc:  # pickle errors, a refused (non-weights) object, a bad archive
            raise ValueError(f"{path}: not a PyTorch state_dict readable with weights_only=True ({exc})") from None
        if not isinstance(state, dict):
            raise ValueError(f"{path}: holds a {type(state).__name__}, not a state_dict (save model.state_dict())")
    else:
        state = source
    model.load_state_dict(_torch_state_as_numpy(state), strict=strict)
    return model


def load_chainrule_weights(tmodel, path):
    """Load a chainrule weights file (``model.npz`` or any ``.npz`` state_dict) into torch
    module ``tmodel``; returns ``tmodel``."""
    from ..serialization import load

    torch = require_torch()
    device = next((p.device for p in tmodel.parameters()), torch.device("cpu"))
    tmodel.load_state_dict({k: v.to(device) for k, v in state_to_torch(load(path)).items()}, strict=True)
    return tmodel


def resolve_device(device=None):
    """``"auto"``/None: CUDA when available, else CPU; otherwise ``torch.device(device)``,
    refused with a ValueError when it names a CUDA device that is not there."""
    torch = require_torch()
    if device is None or str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        chosen = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"unknown device {device!r} ({exc})") from None
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but PyTorch sees no CUDA device (use --device cpu)")
    return chosen


# ---------------------------------------------------------- optimisation
def make_torch_optimizer(name: str, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
    """``torch.optim.Adam`` or ``SGD`` with the arguments chainrule's optimisers take."""
    torch = require_torch()
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    raise ValueError(f"unknown optimiser {name!r}; use sgd or adam")


def make_torch_scheduler(kind: str, args, optimizer):
    """The PyTorch scheduler of a chainrule ``--schedule`` (``kind`` and its numbers), stepped
    per iteration; ``decay:TAU[:ETA_MIN]`` (chainrule's ExpDecayLR) becomes a LambdaLR."""
    torch = require_torch()
    s = torch.optim.lr_scheduler
    args = tuple(args)
    if kind in (None, "none"):
        return None
    if kind == "step":
        return s.StepLR(optimizer, step_size=int(args[0]), gamma=args[1])
    if kind == "exp":
        return s.ExponentialLR(optimizer, gamma=args[0])
    if kind == "cosine":
        return s.CosineAnnealingLR(optimizer, T_max=int(args[0]), eta_min=args[1] if len(args) > 1 else 0.0)
    if kind == "decay":
        tau, eta_min = args[0], (args[1] if len(args) > 1 else 0.0)
        lambdas = []
        for group in optimizer.param_groups:
            base = group["lr"]

            def factor(t, base=base):
                if base == 0:
                    return 0.0
                return (eta_min + (base - eta_min) * math.exp(-t / tau)) / base

            lambdas.append(factor)
        return s.LambdaLR(optimizer, lambdas)
    raise ValueError(f"unknown schedule {kind!r}")


class _RunView:
    """What chainrule's callbacks (MetricsLogger, TqdmProgress) read from a trainer."""

    def __init__(self, model, total, eval_data):
        self.model, self.total, self.eval_data = model, total, eval_data
        self.iteration, self.history = 0, None
        self.stop_training, self.stop_reason = False, ""

    def stop(self, reason: str = "stopped by a callback") -> None:
        self.stop_training, self.stop_reason = True, reason


def _torch_evaluate(tmodel, x, y, device, batch_size=1000):
    """Mean cross-entropy and accuracy on (x, y), in evaluation mode (mode restored)."""
    torch = require_torch()
    was = tmodel.training
    tmodel.eval()
    try:
        with torch.no_grad():
            outs = [tmodel(torch.from_numpy(np.ascontiguousarray(x[i:i + batch_size])).to(device))
                    for i in range(0, len(x), batch_size)]
            logits = torch.cat(outs)
            target = torch.from_numpy(np.asarray(y, dtype=np.int64)).to(device)
            loss = torch.nn.functional.cross_entropy(logits, target).item()
            acc = (logits.argmax(1) == target).double().mean().item()
    finally:
        tmodel.train(was)
    return float(loss), float(acc)


def torch_predict(tmodel, x, device=None, batch_size: int = 1000) -> np.ndarray:
    """``tmodel``'s outputs for ``x`` in evaluation mode, as a NumPy array."""
    torch = require_torch()
    device = device or next((p.device for p in tmodel.parameters()), torch.device("cpu"))
    was = tmodel.training
    tmodel.eval()
    try:
        with torch.no_grad():
            outs = [tmodel(torch.from_numpy(np.ascontiguousarray(x[i:i + batch_size])).to(device)).cpu().numpy()
                    for i in range(0, len(x), batch_size)]
    finally:
        tmodel.train(was)
    return np.concatenate(outs)


def fit_torch(tmodel, optimizer, loader, *, epochs=None, iterations=None, scheduler=None, eval_data=None,
              eval_every=None, eval_batch_size: int = 1000, callbacks=(), metrics_dir=None, device=None):
    """Train torch module ``tmodel`` with cross-entropy on ``loader``'s batches (NumPy arrays,
    e.g. :class:`chainrule.data.DataLoader`) and return a :class:`~chainrule.training.History`
    filled as chainrule's Trainer fills it: per iteration loss, accuracy, lr and epoch; an
    evaluation every ``eval_every`` iterations and at each epoch's end; one record per epoch, and
    for a run ending inside an epoch a last evaluation and that partial epoch's record.
    ``callbacks`` are chainrule Callbacks (their ``trainer`` argument is a small view with
    ``total``, ``iteration``, ``history``, ``eval_data``, ``model``, ``stop``); checkpoints and
    the non-finite guard are not supported on this backend."""
    from ..training import History
    from ..training.callbacks import MetricsLogger

    torch = require_torch()
    if (epochs is None) == (iterations is None):
        raise ValueError("give exactly one of epochs and iterations")
    device = resolve_device(device) if device is not None else next(
        (p.device for p in tmodel.parameters()), torch.device("cpu"))
    batches = len(loader)
    if batches < 1:
        raise ValueError("the loader gives no batches")
    total = int(iterations) if iterations is not None else int(epochs) * batches
    if eval_data is not None:
        eval_data = (np.asarray(eval_data[0]), np.asarray(eval_data[1]))
    callbacks = list(callbacks)
    if metrics_dir is not None:
        callbacks.append(MetricsLogger(metrics_dir))
    view = _RunView(tmodel, total, eval_data)
    h = History()
    view.history = h
    loss_fn = torch.nn.CrossEntropyLoss()
    tmodel.train()
    start = time.perf_counter()
    for cb in callbacks:
        cb.on_train_begin(view)
    iteration, epoch, sums = 0, 1, [0.0, 0, 0]
    in_epoch = 0

    def evaluate():
        return _torch_evaluate(tmodel, eval_data[0], eval_data[1], device, eval_batch_size)

    def epoch_record(complete):
        record = {"epoch": epoch, "iteration": iteration, "batches": in_epoch,
                  "train_loss": sums[0] / sums[2], "train_acc": sums[1] / sums[2], "complete": complete}
        if h.eval_iteration and h.eval_iteration[-1] == iteration:
            record.update(eval_loss=h.eval_loss[-1], eval_acc=h.eval_acc[-1])
        return record

    while iteration < total and not view.stop_training:
        if in_epoch == 0:
            for cb in callbacks:
                cb.on_epoch_begin(view, epoch)
        for xb, yb in loader:
            x = torch.from_numpy(np.ascontiguousarray(xb)).to(device)
            y = torch.from_numpy(np.asarray(yb, dtype=np.int64)).to(device)
            optimizer.zero_grad()
            out = tmodel(x)
            loss = loss_fn(out, y)
            loss.backward()
            value = float(loss.item())
            if not math.isfinite(value):
                raise FloatingPointError(f"iteration {iteration + 1}: the loss is {value} (torch backend)")
            n = len(yb)
            hits = int((out.detach().argmax(1) == y).sum().item())
            lr = optimizer.param_groups[0]["lr"]
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            iteration += 1
            in_epoch += 1
            view.iteration = iteration
            h.iteration.append(iteration)
            h.epoch.append(epoch)
            h.train_loss.append(value)
            h.train_acc.append(hits / n)
            h.lr.append(lr)
            sums[0] += value * n
            sums[1] += hits
            sums[2] += n
            epoch_end = in_epoch == batches
            evaluated = eval_data is not None and (bool(eval_every and iteration % eval_every == 0) or epoch_end)
            if evaluated:
                eval_loss, eval_acc = evaluate()
                h.eval_iteration.append(iteration)
                h.eval_loss.append(eval_loss)
                h.eval_acc.append(eval_acc)
                logs = {"iteration": iteration, "epoch": epoch, "eval_loss": eval_loss, "eval_acc": eval_acc}
                for cb in callbacks:
                    cb.on_evaluate(view, logs)
            logs = {"iteration": iteration, "epoch": epoch, "loss": value, "acc": hits / n, "lr": lr}
            if evaluated:
                logs.update(eval_loss=h.eval_loss[-1], eval_acc=h.eval_acc[-1])
            for cb in callbacks:
                cb.on_batch_end(view, logs)
            if epoch_end:
                h.epochs.append(epoch_record(True))
                for cb in callbacks:
                    cb.on_epoch_end(view, dict(h.epochs[-1]))
                epoch += 1
                in_epoch = 0
                sums = [0.0, 0, 0]
            if iteration >= total or view.stop_training or epoch_end:
                break
    if device.type == "cuda":
        torch.cuda.synchronize()
    h.seconds = time.perf_counter() - start
    if view.stop_training:
        h.status, h.stop_reason = "stopped", view.stop_reason
    if in_epoch > 0:
        if eval_data is not None and (not h.eval_iteration or h.eval_iteration[-1] != iteration):
            eval_loss, eval_acc = evaluate()
            h.eval_iteration.append(iteration)
            h.eval_loss.append(eval_loss)
            h.eval_acc.append(eval_acc)
            for cb in callbacks:
                cb.on_evaluate(view, {"iteration": iteration, "epoch": epoch, "eval_loss": eval_loss,
                                      "eval_acc": eval_acc})
        h.epochs.append(epoch_record(False))
    for cb in callbacks:
        cb.on_train_end(view, h)
    return h


# ------------------------------------------------------------------ parity
@dataclass
class ParityRow:
    """One compared quantity: the largest |a − b|, the largest |b| (scale) and whether
    ``max_abs <= atol + rtol * scale``; ``max_rel`` is ``max_abs / scale``."""

    what: str
    max_abs: float
    scale: float
    ok: bool
    tol: float = 0.0  # the allowed max_abs

    @property
    def max_rel(self) -> float:
        return self.max_abs / self.scale if self.scale > 0 else (0.0 if self.max_abs == 0 else math.inf)


@dataclass
class ParityResult:
    rows: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    rtol: float = 0.0
    atol: float = 0.0

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    @property
    def worst(self) -> ParityRow | None:
        return max(self.rows, key=lambda r: r.max_rel, default=None)


def _array(x) -> np.ndarray:
    torch = require_torch()
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(getattr(x, "data", x))


def parity(model, x, y, *, steps: int = 3, optimizers=("sgd", "adam"), lrs=None, momentum: float = 0.9,
           schedule=("step", (1, 0.5)), rtol: float = 1e-4, atol: float = 1e-6, perturb: float = 0.0,
           float64_steps: bool = True):
    """Compare chainrule ``model`` with its PyTorch twin on the batch ``(x, y)`` (class indices).

    The difference of two arrays is measured as ``max|a − b|`` against the scale ``max|b|`` of
    PyTorch's (float32 round-off is relative to the size of the terms, not of each entry), and
    passes when ``max|a − b| <= atol + rtol · max|b|``. Compared: the outputs in evaluation
    mode, then (in training mode) the outputs, the cross-entropy loss, every parameter's
    gradient, and, for each optimiser in ``optimizers`` (SGD with ``momentum``, Adam) with the
    ``schedule`` (kind, args) stepped each iteration, every parameter and buffer after ``steps``
    steps on the same batch, in float64 when ``float64_steps`` (see the note it adds). Dropout's random masks cannot match, so every Dropout's ``p`` is set
    to 0 in both models for the training-mode comparisons (a note says so); BatchNorm runs in
    training mode (batch statistics, running-statistics updates). ``perturb`` (for tests) adds
    this much to one weight of the twin. ``model`` itself is not modified."""
    from .. import nn, optim
    from ..optim import lr_scheduler as s
    from ..tensor import Tensor
    from ..autograd import no_grad

    torch = require_torch()
    lrs = dict(lrs or {"sgd": 0.05, "adam": 1e-3})
    result = ParityResult(rtol=rtol, atol=atol)
    x = np.asarray(x)
    y = np.asarray(y, dtype=np.int64)

    def row(what, ours, theirs, skip=None, extra=0.0):
        a, b = _array(ours).astype(np.float64), _array(theirs).astype(np.float64)
        if a.shape != b.shape:
            result.rows.append(ParityRow(f"{what} (shape {a.shape} vs {b.shape})", math.inf, 0.0, False))
            return
        if skip is not None and skip.any():
            a, b = a[~skip], b[~skip]
            what += f" ({int(skip.sum())} of {skip.size} noise-level-gradient entries left out)"
        diff = float(np.max(np.abs(a - b))) if a.size else 0.0
        scale = float(np.max(np.abs(b))) if b.size else 0.0
        tol = atol + rtol * scale + extra
        ok = bool(np.isfinite(diff)) and diff <= tol
        result.rows.append(ParityRow(what, diff, scale, ok, tol))

    def twin_of(m):
        tm = to_torch(m)
        if perturb:
            with torch.no_grad():
                first = next(iter(tm.parameters()), None)
                if first is not None:
                    first.view(-1)[0] += perturb
        return tm

    base = copy.deepcopy(model)
    dropouts = [m for m in base.modules() if isinstance(m, nn.Dropout)]
    # 1. Evaluation mode, dropout as it is (the identity in evaluation).
    base.eval()
    tm = twin_of(base)
    with no_grad():
        ours = base(Tensor(x)).data
    with torch.no_grad():
        theirs = tm(torch.from_numpy(x.copy()))
    row("outputs (eval mode)", ours, theirs)

    # 2. Training mode, dropout p = 0.
    for m in dropouts:
        m.p = 0.0
    if dropouts:
        result.notes.append(f"dropout: {len(dropouts)} Dropout layer(s) compared with p = 0 in both models in "
                            f"training mode (random masks cannot match); evaluation mode uses them as they are "
                            f"(the identity)")
    base.train()
    loss_fn = nn.CrossEntropyLoss()
    start = copy.deepcopy(base)  # the weights every optimiser run starts from

    m = copy.deepcopy(start)
    tm = twin_of(m)
    out = m(Tensor(x))
    loss = loss_fn(out, Tensor(y))
    loss.backward()
    tout = tm(torch.from_numpy(x.copy()))
    tloss = torch.nn.functional.cross_entropy(tout, torch.from_numpy(y))
    tloss.backward()
    row("outputs (train mode)", out, tout)
    row("loss", np.array(loss.item()), tloss)
    tparams = dict(tm.named_parameters())
    for name, p in m.named_parameters():
        tp = tparams[name]
        if p.grad is None or tp.grad is None:
            both_none = p.grad is None and tp.grad is None
            result.rows.append(ParityRow(f"grad {name}" + ("" if both_none else " (one side has none)"),
                                         0.0 if both_none else math.inf, 0.0, both_none))
            continue
        row(f"grad {name}", p.grad, tp.grad)
    tstate = tm.state_dict()
    for key, value in m.state_dict().items():
        if key.endswith(("running_mean", "running_var", "num_batches_tracked")):
            row(f"buffer {key} (after 1 forward)", value, tstate[key])

    # 3. K optimiser steps on the same batch, with a schedule.
    kind, args = schedule if schedule else ("none", ())
    for name in optimizers:
        m = copy.deepcopy(start)
        if float64_steps:
            m.double()
        tm = twin_of(m)
        lr = lrs[name]
        xs = x.astype(np.float64) if float64_steps else x
        precision = "float64" if float64_steps else "float32"
        if name == "sgd":
            opt = optim.SGD(m.parameters(), lr=lr, momentum=momentum)
        else:
            opt = optim.Adam(m.parameters(), lr=lr)
        topt = make_torch_optimizer(name, tm.parameters(), lr=lr, momentum=momentum)
        sched = {"step": lambda o: s.StepLR(o, int(args[0]), args[1]),
                 "exp": lambda o: s.ExponentialLR(o, args[0]),
                 "cosine": lambda o: s.CosineAnnealingLR(o, int(args[0]), args[1] if len(args) > 1 else 0.0),
                 "decay": lambda o: s.ExpDecayLR(o, args[0], args[1] if len(args) > 1 else 0.0),
                 }.get(kind, lambda o: None)(opt)
        tsched = make_torch_scheduler(kind, args, topt)
        xt, yt = torch.from_numpy(xs.copy()), torch.from_numpy(y)
        for _ in range(steps):
            opt.zero_grad()
            loss_fn(m(Tensor(xs)), Tensor(y)).backward()
            opt.step()
            topt.zero_grad()
            torch.nn.functional.cross_entropy(tm(xt), yt).backward()
            topt.step()
            if sched is not None:
                sched.step()
            if tsched is not None:
                tsched.step()
        label = f"{name}" + (f"(momentum={momentum})" if name == "sgd" else "") + f" lr={lr:g}"
        label += f", schedule {kind}:{':'.join(f'{a:g}' for a in args)}" if kind != "none" else ""
        tstate = tm.state_dict()
        for key, value in m.state_dict().items():
            row(f"{key} after {steps} {label} steps ({precision})", value, tstate[key])
    if float64_steps and optimizers:
        result.notes.append("optimiser steps run in float64 in both engines: Adam divides each gradient entry by "
                            "its own size, so in float32 the round-off of entries that cancel to about 0 would set "
                            "their step's direction (a difference up to the lr) and, through the next forward "
                            "passes, spread; in float64 that round-off is far below Adam's eps")
    return result


# ------------------------------------------------------- chainrule train
