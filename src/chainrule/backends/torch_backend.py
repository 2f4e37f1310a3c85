"""PyTorch as a second backend: the same model on either engine, weights both ways, PyTorch
models trained by chainrule's own Trainer (:class:`TorchBackend`), and the parity check.

* :func:`to_torch` builds the ``torch.nn`` module tree of a chainrule model (same layer names,
  arguments, ``state_dict`` keys and layouts, train/eval modes) and copies its weights and buffers.
  ``Step``, which PyTorch lacks, becomes :func:`torch_step_class` (1[x >= 0], zero gradient).
* :func:`from_torch_state_dict` loads a PyTorch ``state_dict`` (a mapping, or a file written by
  ``torch.save`` and read with ``torch.load(..., weights_only=True)``) into a chainrule model;
  :func:`load_chainrule_weights` loads a chainrule ``.npz`` weights file into a torch twin.
* :class:`TorchBackend` lets chainrule's :class:`~chainrule.training.Trainer` train a torch
  twin: same DataLoader (same batches, same order), History, callbacks, reports and checkpoints.
* :func:`parity` runs a chainrule model and its twin on one batch and reports the largest
  differences of outputs, loss, gradients and of the parameters after K optimiser steps.

torch is imported lazily (:func:`require_torch`); without it these functions raise
:class:`TorchMissingError`, which names ``pip install 'chainrule[torch]'``.
"""

from __future__ import annotations

import copy
import functools
import importlib
import inspect
import math
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "TorchMissingError", "require_torch", "torch_step_class", "build_torch", "to_torch",
    "state_to_torch", "from_torch_state_dict", "load_chainrule_weights", "resolve_device",
    "make_torch_optimizer", "make_torch_scheduler", "torch_loss", "torch_scheduler_like", "training_twin", "TorchBackend", "torch_predict", "ParityRow", "ParityResult",
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


# The arguments of PyTorch's recurrent layers, whose constructors take ``*args, **kwargs``.
_RECURRENT_ARGS = ("input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "batch_first", "dropout",
                   "bidirectional")


def _leaf(m):
    """The ``torch.nn`` layer of ``m``'s class name, built with ``m``'s constructor arguments:
    every argument of PyTorch's constructor that ``m`` keeps as an attribute of that name
    (chainrule's layers keep PyTorch's), ``bias`` as whether ``m`` has one."""
    torch = require_torch()
    kind = type(m).__name__
    if kind == "Step":
        return torch_step_class()()
    layer = getattr(torch.nn, kind, None)
    if not (isinstance(layer, type) and issubclass(layer, torch.nn.Module)):
        raise TypeError(f"the torch backend has no PyTorch twin for the layer {kind}")
    parameters = inspect.signature(layer.__init__).parameters
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters.values()):
        names = _RECURRENT_ARGS
    else:
        names = [n for n, p in parameters.items() if n not in ("self", "device", "dtype") and not n.startswith("_")
                 and p.kind is not inspect.Parameter.VAR_KEYWORD]
    arguments = {}
    for name in names:
        if hasattr(m, name):
            value = getattr(m, name)
            arguments[name] = value is not None if name == "bias" and not isinstance(value, bool) else value
    return layer(**arguments)


def build_torch(model):
    """The ``torch.nn`` module tree matching chainrule ``model`` (PyTorch's fresh weights)."""
    from .. import nn

    torch = require_torch()
    if isinstance(model, nn.Sequential):
        return torch.nn.Sequential(OrderedDict((name, build_torch(child)) for name, child in model.named_children()))
    if isinstance(model, nn.ModuleList):
        return torch.nn.ModuleList([build_torch(child) for child in model])
    if isinstance(model, nn.ModuleDict):
        return torch.nn.ModuleDict(OrderedDict((name, build_torch(child)) for name, child in model.items()))
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
        return torch.float64 if p._data.dtype == np.float64 else torch.float32
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


def torch_scheduler_like(scheduler, optimizer):
    """PyTorch's twin of chainrule ``scheduler`` (StepLR, ExponentialLR, CosineAnnealingLR,
    LambdaLR, ExpDecayLR) driving torch ``optimizer``; None for None."""
    from ..optim import lr_scheduler as ours

    torch = require_torch()
    theirs = torch.optim.lr_scheduler
    if scheduler is None:
        return None
    if isinstance(scheduler, ours.StepLR):
        return theirs.StepLR(optimizer, step_size=scheduler.step_size, gamma=scheduler.gamma)
    if isinstance(scheduler, ours.ExponentialLR):
        return theirs.ExponentialLR(optimizer, gamma=scheduler.gamma)
    if isinstance(scheduler, ours.CosineAnnealingLR):
        return theirs.CosineAnnealingLR(optimizer, T_max=scheduler.T_max, eta_min=scheduler.eta_min)
    if isinstance(scheduler, ours.ExpDecayLR):
        return make_torch_scheduler("decay", (scheduler.tau, scheduler.eta_min), optimizer)
    if isinstance(scheduler, ours.LambdaLR):
        return theirs.LambdaLR(optimizer, list(scheduler.lr_lambdas))
    raise TypeError(f"the torch backend has no twin for the scheduler {type(scheduler).__name__}")


def training_twin(model, *, loss: str, optimizer: str, lr: float, momentum: float = 0.0,
                  weight_decay: float = 0.0, scheduler=None, seed: int = 0, device=None):
    """What the Trainer needs to train ``model``'s PyTorch twin from ``model``'s current weights:
    ``(twin, loss, optimizer, scheduler)`` — the loss named ``loss`` (:func:`torch_loss`), the
    optimiser named ``optimizer``, the twin of chainrule ``scheduler``
    (:func:`torch_scheduler_like`); PyTorch's generator (dropout) seeded with ``seed``."""
    require_torch().manual_seed(seed)
    twin = to_torch(model, device=device)
    t_opt = make_torch_optimizer(optimizer, twin.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    return twin, torch_loss(loss), t_opt, torch_scheduler_like(scheduler, t_opt)


def torch_predict(tmodel, x, device=None, batch_size: int = 1000) -> np.ndarray:
    """``tmodel``'s outputs for ``x`` in evaluation mode, as a NumPy array (mode restored)."""
    torch = require_torch()
    device = device or _device_of(tmodel)
    was = tmodel.training
    tmodel.eval()
    try:
        with torch.no_grad():
            outs = [tmodel(torch.from_numpy(np.ascontiguousarray(x[i:i + batch_size])).to(device)).cpu().numpy()
                    for i in range(0, len(x), batch_size)]
    finally:
        tmodel.train(was)
    return np.concatenate(outs)


def _device_of(tmodel):
    torch = require_torch()
    return next((p.device for p in tmodel.parameters()), torch.device("cpu"))


def torch_loss(name: str):
    """The PyTorch twin of a lab's loss named ``name``: ``"cross_entropy"`` (on logits),
    ``"half_mse"`` (``mean(½ Σ (a − t)²)`` on one-hot targets, exercise B1) or ``"softmax_log"``
    (``mean(-Σ t·log p)`` on probabilities, written by hand as exercise C3 does, so an exact
    zero probability gives NaN as it does in chainrule)."""
    torch = require_torch()
    if name == "cross_entropy":
        return torch.nn.CrossEntropyLoss()
    if name == "half_mse":
        def half_mse(outputs, targets):
            one_hot = torch.nn.functional.one_hot(targets.long(), outputs.shape[1]).to(outputs.dtype)
            return 0.5 * ((outputs - one_hot) ** 2).sum(dim=1).mean()
        return half_mse
    if name == "softmax_log":
        def hand_written_cross_entropy(probabilities, targets):
            one_hot = torch.nn.functional.one_hot(targets.long(), probabilities.shape[1]).to(probabilities.dtype)
            return -(torch.log(probabilities) * one_hot).sum(dim=1).mean()
        return hand_written_cross_entropy
    raise ValueError(f"the torch backend has no twin for the loss {name!r}")


def _to_numpy(value):
    """A PyTorch state (tensors nested in dicts, lists, tuples) with every tensor as an array."""
    torch = require_torch()
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy().copy()
    if isinstance(value, dict):
        return type(value)((k, _to_numpy(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(_to_numpy(v) for v in value)
    return value


def _to_torch(value):
    """The inverse of :func:`_to_numpy` (CPU tensors; ``load_state_dict`` moves them)."""
    torch = require_torch()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.array(value, copy=True))
    if isinstance(value, dict):
        return type(value)((k, _to_torch(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(_to_torch(v) for v in value)
    return value


class TorchBackend:
    """Runs a ``torch.nn.Module`` (with a ``torch.optim`` optimiser, a PyTorch loss and
    scheduler) through chainrule's :class:`~chainrule.training.Trainer`: same loader, history,
    evaluations, callbacks, reports and checkpoints as the chainrule engine. Checkpoints store
    the states as NumPy arrays (the model's under the same keys as chainrule's) and PyTorch's
    random state beside chainrule's, so a resumed run continues exactly. The non-finite guard
    names the first layer whose output is not finite, or the loss, or the parameters whose
    gradients are not."""

    name = "torch"

    def __init__(self, device="cpu"):
        self.device = resolve_device(device)  # where the batches go: the model's device

    @classmethod
    def for_model(cls, tmodel) -> TorchBackend:
        return cls(_device_of(tmodel))

    # -- one iteration
    def batch(self, xb, yb):
        torch = require_torch()
        return (torch.from_numpy(np.ascontiguousarray(xb)).to(self.device),
                torch.from_numpy(np.asarray(yb, dtype=np.int64)).to(self.device))

    @staticmethod
    def numpy(outputs) -> np.ndarray:
        return outputs.detach().cpu().numpy()

    @staticmethod
    def gradients_look_finite(params) -> bool:
        torch = require_torch()
        grads = [p.grad for p in params if p.grad is not None]
        return not grads or bool(torch.isfinite(torch.stack([g.sum() for g in grads])).all())

    @staticmethod
    def non_finite_gradients(model) -> list[str]:
        torch = require_torch()
        return [name for name, p in model.named_parameters()
                if p.grad is not None and not bool(torch.isfinite(p.grad).all())]

    def diagnose_forward(self, model, loss_fn, xb, yb, iteration: int, loss):
        """Re-run the batch with forward hooks: name the first leaf layer whose output is not
        finite, else the loss function."""
        from ..training.nan_guard import NonFiniteError

        torch = require_torch()
        first = []

        def hook(path):
            def record(module, inputs, output):
                if not first and isinstance(output, torch.Tensor) and not bool(torch.isfinite(output).all()):
                    first.append((path, module, output))
            return record

        leaves = [(path, m) for path, m in model.named_modules() if not any(True for _ in m.children())]
        handles = [m.register_forward_hook(hook(path)) for path, m in leaves]
        try:
            with torch.no_grad():
                output = model(self.batch(xb, yb)[0])
        finally:
            for handle in handles:
                handle.remove()
        head = f"training stopped at iteration {iteration}: the loss is {loss} (torch backend)"
        if first:
            path, module, out = first[0]
            bad = int((~torch.isfinite(out)).sum())
            return NonFiniteError(f"{head}. The first layer whose output is not finite is layer {path} "
                                  f"({type(module).__name__}): {bad} of its {out.numel()} output values",
                                  iteration=iteration, kind="forward", layer=path, layer_type=type(module).__name__,
                                  loss=loss)
        message = f"{head}. Every layer's output is finite: the loss function produced it"
        zeros = int((output == 0).sum())
        if zeros:
            message += (f". The model's output holds {zeros} exact zero(s): log(0) = -inf, and 0·log(0) = nan in a "
                        f"hand-written cross-entropy. Compute the loss from the logits (nn.CrossEntropyLoss)")
        return NonFiniteError(message, iteration=iteration, kind="loss", loss=loss)

    @staticmethod
    def diagnose_gradient(model, loss_fn, xb, yb, iteration: int, loss, names):
        from ..training.nan_guard import NonFiniteError

        return NonFiniteError(f"training stopped at iteration {iteration}: the loss ({loss}) is finite but the "
                              f"gradients of {', '.join(names)} are not (torch backend)",
                              iteration=iteration, kind="gradient", parameters=names, loss=loss)

    # -- evaluation
    def predict(self, model, x, batch_size: int = 1000) -> np.ndarray:
        return torch_predict(model, x, self.device, batch_size)

    @staticmethod
    def loss_value(loss_fn, outputs: np.ndarray, targets: np.ndarray) -> float:
        torch = require_torch()
        with torch.no_grad():
            return float(loss_fn(torch.from_numpy(outputs), torch.from_numpy(np.asarray(targets, np.int64))).item())

    # -- state
    @staticmethod
    def rng_state() -> dict:
        """chainrule's generator (the DataLoader may draw from it) and PyTorch's (dropout)."""
        from .. import random as _random

        torch = require_torch()
        state = {"chainrule": _random.get_rng_state(), "torch": torch.get_rng_state().numpy().copy()}
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state["cuda"] = [s.numpy().copy() for s in torch.cuda.get_rng_state_all()]
        return state

    @staticmethod
    def set_rng_state(state) -> None:
        from .. import random as _random

        torch = require_torch()
        _random.set_rng_state(state["chainrule"])
        torch.set_rng_state(torch.from_numpy(np.array(state["torch"], dtype=np.uint8)))
        if "cuda" in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all([torch.from_numpy(np.array(s, dtype=np.uint8)) for s in state["cuda"]])

    @staticmethod
    def copy_buffers(buffers) -> list:
        return [b.detach().clone() for b in buffers]

    @staticmethod
    def restore_buffers(buffers, saved) -> None:
        for b, value in zip(buffers, saved):
            b.data.copy_(value)

    @staticmethod
    def state_dict(obj) -> dict:
        return _to_numpy(obj.state_dict())

    @staticmethod
    def load_state_dict(obj, state) -> None:
        torch = require_torch()
        if isinstance(obj, torch.nn.Module):
            obj.load_state_dict(_to_torch(dict(state)), strict=True)
        else:
            obj.load_state_dict(_to_torch(state))


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
           float64_steps: bool = True, losses=None):
    """Compare chainrule ``model`` with its PyTorch twin on the batch ``(x, y)`` (class indices).

    The difference of two arrays is measured as ``max|a − b|`` against the scale ``max|b|`` of
    PyTorch's (float32 round-off is relative to the size of the terms, not of each entry), and
    passes when ``max|a − b| <= atol + rtol · max|b|``. Compared: the outputs in evaluation
    mode, then (in training mode) the outputs, the loss, every parameter's
    gradient, and, for each optimiser in ``optimizers`` (SGD with ``momentum``, Adam) with the
    ``schedule`` (kind, args) stepped each iteration, every parameter and buffer after ``steps``
    steps on the same batch, in float64 when ``float64_steps`` (see the note it adds). Dropout's random masks cannot match, so every Dropout's ``p`` is set
    to 0 in both models for the training-mode comparisons (a note says so); BatchNorm runs in
    training mode (batch statistics, running-statistics updates). ``perturb`` (for tests) adds
    this much to one weight of the twin. ``losses``: the pair (chainrule's loss function, PyTorch's
    twin of it), by default cross-entropy on logits. ``model`` itself is not modified."""
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
        ours = base(Tensor(x))._data
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
    loss_fn, tloss_fn = losses if losses is not None else (nn.CrossEntropyLoss(), torch_loss("cross_entropy"))
    start = copy.deepcopy(base)  # the weights every optimiser run starts from

    m = copy.deepcopy(start)
    tm = twin_of(m)
    out = m(Tensor(x))
    loss = loss_fn(out, Tensor(y))
    loss.backward()
    tout = tm(torch.from_numpy(x.copy()))
    tloss = tloss_fn(tout, torch.from_numpy(y))
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
        tsched = torch_scheduler_like(sched, topt)
        xt, yt = torch.from_numpy(xs.copy()), torch.from_numpy(y)
        for _ in range(steps):
            opt.zero_grad()
            loss_fn(m(Tensor(xs)), Tensor(y)).backward()
            opt.step()
            topt.zero_grad()
            tloss_fn(tm(xt), yt).backward()
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
