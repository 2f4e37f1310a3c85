"""Finding where a training step stopped being finite.

The trainer checks only the loss value and a cheap sum of each gradient every iteration. When
one of them is NaN or infinite it rolls the random state and the buffers back, then calls
:func:`diagnose_forward` or :func:`diagnose_gradient`, which re-run that one batch with forward
hooks on every module to name the first layer (by its dotted path in the model and its type,
e.g. ``layer 2 (Softmax)``) whose output, or whose backward pass, produced the first
non-finite value. The result is a :class:`NonFiniteError` to raise.
"""

from __future__ import annotations

import numpy as np

from ..autograd import enable_grad
from ..nn.module import Module
from ..tensor import Tensor


class NonFiniteError(FloatingPointError):
    """Training produced NaN or infinity. The message names the iteration and where it
    happened; the attributes say it for programs:

    ``iteration`` (1-based), ``kind`` (``"input"``: the batch itself; ``"forward"``: a layer's
    output; ``"loss"``: the loss function, every layer's output being finite; ``"gradient"``:
    the loss is finite, a gradient is not), ``layer`` (dotted module path, ``""`` for the
    model itself, ``None`` when no layer is to blame), ``layer_type`` (class name),
    ``parameters`` (names of the parameters whose gradients are non-finite) and ``loss``.
    """

    def __init__(self, message: str, *, iteration: int | None = None, kind: str | None = None,
                 layer: str | None = None, layer_type: str | None = None, parameters=(), loss=None):
        super().__init__(message)
        self.iteration, self.kind, self.layer, self.layer_type = iteration, kind, layer, layer_type
        self.parameters, self.loss = list(parameters), loss


def _as_tensor(value) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor._wrap(np.asarray(value))


def layer_label(path: str, module) -> str:
    """``layer features.3 (ReLU)``; the root module is ``the model (Sequential)``."""
    return f"layer {path} ({type(module).__name__})" if path else f"the model ({type(module).__name__})"


def _arrays(value):
    if isinstance(value, Tensor):
        yield value._data
    elif isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _arrays(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _arrays(item)


def _tensors(value):
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _tensors(item)


def count_non_finite(value) -> tuple[int, int, str]:
    """(non-finite count, total count, which kinds: "nan", "inf" or "nan and inf") over every
    floating-point array in ``value`` (a tensor, array, or a tuple/list/dict of them)."""
    bad = total = 0
    nan = inf = False
    for array in _arrays(value):
        if array.dtype.kind not in "fc":
            continue
        total += array.size
        finite = np.isfinite(array)
        if not finite.all():
            bad += int(array.size - np.count_nonzero(finite))
            nan = nan or bool(np.isnan(array).any())
            inf = inf or bool(np.isinf(array).any())
    kinds = " and ".join(k for k, flag in (("nan", nan), ("inf", inf)) if flag)
    return bad, total, kinds


def is_finite(value) -> bool:
    return all(array.dtype.kind not in "fc" or bool(np.isfinite(array).all()) for array in _arrays(value))


def _loss_name(loss_fn) -> str:
    if isinstance(loss_fn, Module):
        return f"the loss function ({type(loss_fn).__name__})"
    return f"the loss function ({getattr(loss_fn, '__qualname__', type(loss_fn).__name__)})"


def _input_error(xb, iteration, loss) -> NonFiniteError | None:
    bad, total, kinds = count_non_finite(xb)
    if not bad:
        return None
    return NonFiniteError(f"training stopped at iteration {iteration}: the loss is {loss}; the input batch "
                          f"itself holds {bad} {kinds} value(s) of {total}", iteration=iteration, kind="input",
                          loss=loss)


class _Recorder:
    """Forward hooks on every module of a model: records each call (in completion order)."""

    def __init__(self, model, keep_inputs: bool = False, retain: bool = False):
        self.calls = []  # (path, module, inputs, output)
        self.first_bad = None  # (path, module, output) of the first call with a non-finite output
        self.keep_inputs, self.retain = keep_inputs, retain
        self.handles = [module.register_forward_hook(self._hook(path)) for path, module in model.named_modules()]

    def _hook(self, path):
        def hook(module, inputs, output):
            if self.retain:
                for t in (*_tensors(inputs), *_tensors(output)):
                    if t.requires_grad:
                        t.retain_grad()
            self.calls.append((path, module, inputs if self.keep_inputs else None, output))
            if self.first_bad is None and not is_finite(output):
                self.first_bad = (path, module, output)

        return hook

    def remove(self):
        for handle in self.handles:
            handle.remove()

    def producer(self, output):
        """The innermost module whose output is ``output`` (the layer that made the model's output)."""
        for path, module, _, out in self.calls:
            if out is output:
                return path, module
        return None


def _count(array, condition) -> int:
    return int(np.count_nonzero(condition(array))) if array.dtype.kind in "fc" else 0


def _op_hint(fn) -> str:
    """What a graph op that turned finite inputs into NaN/inf most likely did."""
    arrays = [t._data for t in fn.inputs]
    name = fn.name
    if name == "Log":
        zeros, negative = _count(arrays[0], lambda a: a == 0), _count(arrays[0], lambda a: a < 0)
        parts = ([f"log of {zeros} exact zero(s) = -inf"] if zeros else []) + (
            [f"log of {negative} negative value(s) = nan"] if negative else [])
        return "; ".join(parts) or "log"
    if name == "Div" and len(arrays) > 1:
        zeros = _count(arrays[1], lambda a: a == 0)
        if zeros:
            return f"division by {zeros} exact zero(s)"
    if name == "Sqrt":
        negative = _count(arrays[0], lambda a: a < 0)
        if negative:
            return f"square root of {negative} negative value(s) = nan"
    if name == "Exp":
        return f"exp overflowed (largest input {float(np.max(arrays[0])):.4g})"
    if name == "Pow":
        return "a power overflowed or was undefined"
    return "overflow or an undefined operation"


def first_bad_op(root):
    """The first recorded op (inputs before outputs) that made a non-finite tensor from finite
    inputs, in the graph that produced ``root``; ``None`` when there is none."""
    from ..autograd import _topological_order

    if not isinstance(root, Tensor) or root._ctx is None:
        return None
    for node in _topological_order(root):
        fn = node._ctx
        if fn is not None and fn.inputs is not None and not is_finite(node) and all(is_finite(t) for t in fn.inputs):
            return fn
    return None


def _describe_op(root) -> str:
    fn = first_bad_op(root)
    return f", first in its {fn.name} op ({_op_hint(fn)})" if fn is not None else ""


def diagnose_forward(model, loss_fn, xb, yb, iteration: int, loss) -> NonFiniteError:
    """Explain a non-finite loss: re-run the batch's forward pass with hooks and name the
    first layer whose output is not finite (and the op inside it), or, every output being
    finite, the loss function (and its op; with a hint when the model's output holds exact
    zeros, as a softmax that underflowed does: log(0) = -inf). The caller restores the random
    state before (so that dropout draws the same masks) and the buffers after."""
    error = _input_error(xb, iteration, loss)
    if error is not None:
        return error
    recorder = _Recorder(model)
    try:
        with enable_grad():  # the graph tells which op made the first NaN / inf
            output = model(_as_tensor(xb))
            rerun_loss = loss_fn(output, _as_tensor(yb))
    finally:
        recorder.remove()
    head = f"training stopped at iteration {iteration}: the loss is {loss}"
    if recorder.first_bad is not None:
        path, module, out = recorder.first_bad
        bad, total, kinds = count_non_finite(out)
        op = _describe_op(out) if isinstance(out, Tensor) else ""
        return NonFiniteError(
            f"{head}. The first layer whose output is not finite is {layer_label(path, module)}: "
            f"{bad} of its {total} output values are {kinds}{op}",
            iteration=iteration, kind="forward", layer=path, layer_type=type(module).__name__, loss=loss)
    if is_finite(rerun_loss):
        return NonFiniteError(f"{head}, but re-running the batch gave a finite loss "
                              f"({float(np.asarray(rerun_loss._data))}): the computation is not deterministic",
                              iteration=iteration, kind="loss", loss=loss)
    op = first_bad_op(rerun_loss)
    message = f"{head}. Every layer's output is finite: {_loss_name(loss_fn)} produced it"
    if op is not None:
        message += f", first in its {op.name} op ({_op_hint(op)})"
    layer = layer_type = None
    made_by = recorder.producer(output)
    data = output._data if isinstance(output, Tensor) else np.asarray(output)
    zeros = _count(data, lambda a: a == 0)
    if made_by is not None:
        layer, module = made_by
        layer_type = type(module).__name__
        where = f"The model's output (from {layer_label(*made_by)})"
    else:
        where = "The model's output"
    if zeros and (op is None or op.name == "Log"):
        message += (f". {where} holds {zeros} exact zero(s): log(0) = -inf, and 0·log(0) = nan in a "
                    f"hand-written cross-entropy such as -(t * log(softmax(z))).sum(). Compute the loss from "
                    f"the logits (nn.CrossEntropyLoss, or F.log_softmax) or clip the probabilities")
    elif made_by is not None:
        message += f". The model's output comes from {layer_label(*made_by)}"
    return NonFiniteError(message, iteration=iteration, kind="loss", layer=layer, layer_type=layer_type, loss=loss)


def non_finite_gradients(model) -> list[str]:
    """Names of the parameters whose ``.grad`` holds NaN or infinity, in the model's order."""
    return [name for name, p in model.named_parameters()
            if p.grad is not None and not np.isfinite(p.grad._data).all()]


def diagnose_gradient(model, loss_fn, xb, yb, iteration: int, loss, names: list[str]) -> NonFiniteError:
    """Explain non-finite gradients under a finite loss: re-run forward and backward with the
    gradient of every layer's input and output kept, and name the layer whose backward pass
    turned a finite gradient into a non-finite one. ``names`` are the parameters whose
    gradients are non-finite; the caller restores the random state before and the buffers after."""
    params = dict(model.named_parameters())
    first = names[0]  # in the model's order
    owner = first.rpartition(".")[0]
    modules = dict(model.named_modules())
    owner_label = layer_label(owner, modules[owner]) if owner in modules else "the model"
    culprit = None
    saved = {name: p.grad for name, p in params.items()}
    recorder = _Recorder(model, keep_inputs=True, retain=True)
    try:
        for p in params.values():
            p.grad = None
        output = model(_as_tensor(xb))
        rerun = loss_fn(output, _as_tensor(yb))
        rerun.backward()
        output_grad_bad = isinstance(output, Tensor) and output.grad is not None and not is_finite(output.grad)
        candidates = []
        for path, module, inputs, out in recorder.calls:
            out_grads = [t.grad for t in _tensors(out) if t.grad is not None]
            in_grads = [t.grad for t in _tensors(inputs) if t.grad is not None]
            if all(is_finite(g) for g in out_grads) and any(not is_finite(g) for g in in_grads):
                candidates.append((path, module))
        leaves = [c for c in candidates if not any(True for _ in c[1].children())]
        if leaves or candidates:
            culprit = (leaves or candidates)[0]
    finally:
        recorder.remove()
        for name, p in params.items():
            p.grad = saved[name]
    _, _, kinds = count_non_finite(params[first].grad)
    message = (f"training stopped at iteration {iteration}: the loss ({loss}) is finite but the gradient of "
               f"parameter {first} ({owner_label}) is {kinds or 'not finite'}")
    if len(names) > 1:
        message += f"; all non-finite gradients: {', '.join(names)}"
    layer = layer_type = None
    if culprit is not None:
        layer, module = culprit
        layer_type = type(module).__name__
        message += f". The gradient first went non-finite in the backward pass of {layer_label(layer, module)}"
    elif output_grad_bad:
        message += f". The gradient first went non-finite in the backward pass of {_loss_name(loss_fn)}"
    return NonFiniteError(message, iteration=iteration, kind="gradient", layer=layer, layer_type=layer_type,
                          parameters=names, loss=loss)
