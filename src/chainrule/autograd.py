"""Reverse-mode automatic differentiation.

Every differentiable operation is a :class:`Function` subclass with a ``forward``
that computes the result from plain NumPy arrays and a ``backward`` that maps the
gradient of the result to the gradients of the inputs. ``Function.apply`` runs
the forward pass and, when gradients are wanted, links the result into the graph.

``backward`` walks the graph in reverse topological order (computed iteratively,
so deep graphs never hit Python's recursion limit) and applies the chain rule

    ∂L/∂x = Σ over every use of x  (∂L/∂out) · (∂out/∂x).

Broadcasting is undone in exactly one place, :func:`unbroadcast`, and every
gradient's shape is checked against its input's shape before it is accumulated.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import threading
import weakref

import numpy as np

from .errors import ShapeError
from .tensor import Tensor, float32, result_type

class _GradState(threading.local):
    grad_enabled = True  # per thread, like PyTorch's grad mode


_state = _GradState()


def is_grad_enabled() -> bool:
    """Whether operations currently record the graph."""
    return _state.grad_enabled


class _SetGradMode(contextlib.ContextDecorator):
    """Sets grad mode for a ``with`` block or a decorated function, and restores it after."""

    enabled: bool

    def __new__(cls, func=None):
        self = super().__new__(cls)
        return self(func) if callable(func) else self  # bare @no_grad, as PyTorch allows

    def __enter__(self):
        self.previous = _state.grad_enabled
        _state.grad_enabled = self.enabled

    def __exit__(self, *exc):
        _state.grad_enabled = self.previous
        return False

    def _recreate_cm(self):  # a fresh one per call of a decorated function, so recursion restores correctly
        return type(self)()

    def __call__(self, func):
        if inspect.isgeneratorfunction(func):
            return _generator_in_mode(self._recreate_cm, func)
        return super().__call__(func)


def _generator_in_mode(mode, func):
    """``func``, a generator function, with its body in ``mode`` every time it resumes, as
    PyTorch's decorators do (ContextDecorator alone covers only the call that creates it)."""

    @functools.wraps(func)
    def generator(*args, **kwargs):
        inner = func(*args, **kwargs)
        try:
            with mode():
                value = inner.send(None)
            while True:
                try:
                    sent = yield value
                except GeneratorExit:
                    with mode():
                        inner.close()
                    raise
                except BaseException as error:  # thrown in by the caller: pass it on
                    with mode():
                        value = inner.throw(error)
                else:
                    with mode():
                        value = inner.send(sent)
        except StopIteration as stop:
            return stop.value

    return generator


class no_grad(_SetGradMode):
    """Stops graph recording in a ``with`` block or a decorated function (``@no_grad()`` or
    ``@no_grad``), like ``torch.no_grad``."""

    enabled = False


class enable_grad(_SetGradMode):
    """Turns graph recording back on inside ``no_grad``, like ``torch.enable_grad``."""

    enabled = True


class _GradMode(_SetGradMode):
    """Grad mode ``enabled`` for a ``with`` block or a decorated function."""

    def __new__(cls, enabled: bool):
        self = object.__new__(cls)
        self.enabled = bool(enabled)
        return self

    def _recreate_cm(self):
        return _GradMode(self.enabled)


class set_grad_enabled(_GradMode):
    """Grad mode on or off, like ``torch.set_grad_enabled(mode)``: called alone it switches at
    once (and stays); as a ``with`` block or a decorator it restores the previous mode after."""

    def __new__(cls, mode: bool):
        self = super().__new__(cls, mode)
        self.previous = _state.grad_enabled
        _state.grad_enabled = self.enabled
        return self

    def __enter__(self):  # the mode was set when this was made
        pass

    def __call__(self, func):  # as a decorator it applies to the function's calls only
        _state.grad_enabled = self.previous
        return super().__call__(func)


def inference_mode(mode=True):
    """``torch.inference_mode(mode=True)``: on this engine the same as ``no_grad`` (and
    ``inference_mode(False)`` the same as ``enable_grad``), as a block or a decorator."""
    if callable(mode):  # bare @inference_mode
        return _GradMode(False)(mode)
    return _GradMode(not mode)


# ------------------------------------------------------ in-place writes
# An op saves arrays for its backward pass (its inputs, its output, masks). If one of
# them is overwritten in place between the forward and the backward pass, the
# gradient comes out silently wrong. PyTorch counts versions per tensor storage; here
# every in-place write through the library's API (a tensor's in-place operators and
# ``*_`` methods, optimiser steps, ``nn.init``, ``load_state_dict``) ticks one global
# clock and notes the memory it wrote. An op records the clock when it runs; if the
# clock has not moved by the time its backward pass comes, nothing was written (the
# usual case, one integer comparison), otherwise its saved arrays are checked.
_clock = 0
_written: dict[int, list] = {}  # id of the array owning some memory -> [weak reference to it, clock of its last write]


def note_inplace_write(*arrays: np.ndarray) -> None:
    """Record that ``arrays`` (or memory they share) were just written in place."""
    global _clock
    _clock = clock = _clock + 1  # the value this write stores, whatever other threads do next
    for array in arrays:
        if isinstance(array, Tensor):
            array = array._data
        owner = array if array.base is None else _owner(array)  # (an optimiser's parameters own their memory)
        if owner is None:
            continue
        entry = _written.get(id(owner))
        if entry is not None and entry[0]() is owner:
            entry[1] = clock
        else:  # the entry goes when the array does, before its id can be reused
            key = id(owner)
            _written[key] = [weakref.ref(owner, lambda _, key=key: _written.pop(key, None)), clock]


# A recorded in-place change of a tensor in the graph (``Tensor._become``: ``h += r`` on a
# result) moves the tensor object to a new node, while the ops that used it before keep
# pointing at the object. Their gradient belongs to the version they saw: the change ticks the
# clock first, so a parent whose node is younger than the op that used it was changed after
# that use, and the version it replaced (``node.replaced``) is the one to follow.
_rebinds = 0


def note_rebind() -> None:
    """Tick the clock before a recorded in-place change builds its node (see above)."""
    global _clock, _rebinds
    _clock += 1
    _rebinds += 1


def _as_seen_by(parent: Tensor, fn: "Function") -> Tensor:
    """The version of ``parent`` that ``fn`` used."""
    ctx = parent._ctx
    while ctx is not None and getattr(ctx, "clock", -1) > fn.clock:  # (a node freed by backward has none)
        parent = ctx.replaced
        ctx = parent._ctx
    return parent


def _last_write(owner: np.ndarray) -> int:
    entry = _written.get(id(owner))
    return entry[1] if entry is not None and entry[0]() is owner else -1


def _owner(array):
    """The ndarray that owns ``array``'s memory (views share their owner's); None if it is not an ndarray."""
    while isinstance(array, np.ndarray) and isinstance(array.base, np.ndarray):
        array = array.base
    return array if isinstance(array, np.ndarray) else None


def _check_saved_arrays(fn: "Function") -> None:
    """Raise if an array ``fn`` saved for its backward pass was written in place after ``fn`` ran."""
    for name, value in vars(fn).items():
        for array in value if isinstance(value, (tuple, list)) else (value,):
            owner = _owner(array)
            if owner is not None and _last_write(owner) > fn.clock:
                raise RuntimeError(
                    f"one of the arrays {fn.name} saved for its backward pass ({name}, shape "
                    f"{list(array.shape)}) was modified by an in-place operation after {fn.name} ran, so "
                    f"its gradient would be wrong. Change a copy (.clone()) instead, or make the "
                    f"in-place change after backward()."
                )


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` back to ``shape``: the adjoint of NumPy broadcasting.

    Broadcasting copies an input along new leading axes and along axes of size 1;
    the gradient of a copy is the sum of the copies' gradients.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


class Function:
    """One node of the graph: an operation with its forward and backward rule.

    Subclasses implement ``forward(self, *arrays, **options) -> ndarray`` and
    ``backward(self, grad) -> gradient or tuple of gradients`` (one per tensor
    input, ``None`` where an input needs none). Anything ``backward`` needs is
    saved on ``self`` during ``forward``; ``self.recording`` says whether it will be needed.
    Every array saved that way (directly, or in a tuple or list) is checked before the
    backward pass: if it was written in place after the op ran (``self.clock``), the pass
    is refused (see "in-place writes" above).
    """

    #: Set on ops that are only defined for floating-point inputs.
    float_only = True
    #: The inputs (a slice of them) that an elementwise op brings to one dtype by PyTorch's
    #: promotion rules (``tensor.result_type``); None: no promotion. A float-only op that
    #: promotes computes integer inputs in float32, as PyTorch's exp or true division do.
    promotes: slice | None = None

    __slots__ = ("inputs", "needs_grad", "clock", "__dict__")

    @classmethod
    def apply(cls, *inputs, **options):
        # This runs for every op of every step: it is kept lean on purpose.
        tensors = inputs
        for x in inputs:
            if not isinstance(x, Tensor):
                tensors = _as_tensors(inputs, cls.promotes)
                break
        arrays = [t._data for t in tensors]
        if arrays:  # the usual case, checked quickly: every input of one float dtype
            first = arrays[0].dtype
            settle = cls.float_only and first.kind != "f"
            for a in arrays:
                if settle or a.dtype is not first:
                    arrays = _settle_dtypes(cls, arrays)
                    break
        fn = cls()
        # Known before forward, so an op can skip saving what only its backward needs.
        fn.needs_grad = needs_grad = [t.requires_grad for t in tensors] if _state.grad_enabled else None
        try:
            out = fn.forward(*arrays, **options)
        except ValueError as exc:  # NumPy's broadcasting error, raised as PyTorch's RuntimeError is
            if isinstance(exc, ShapeError) or "broadcast" not in str(exc):
                raise
            shapes = " and ".join(str(a.shape) for a in arrays)
            raise ShapeError(f"{cls.__name__}: shapes {shapes} cannot be broadcast together") from None
        if needs_grad is not None and True in needs_grad:
            result = Tensor._wrap(out, True)
            fn.inputs = tensors
            fn.clock = _clock
            result._ctx = fn
            return result
        return Tensor._wrap(out)

    def forward(self, *arrays, **options) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad: np.ndarray):  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def recording(self) -> bool:
        """Whether this op's backward may run: grad mode is on and an input requires grad."""
        needs_grad = getattr(self, "needs_grad", None)  # unset when forward is called outside apply
        return needs_grad is not None and True in needs_grad

    def release(self) -> None:
        """Drop the saved arrays and the links to the inputs: the graph is freed."""
        self.__dict__.clear()
        self.inputs = None

    @property
    def name(self) -> str:
        return type(self).__name__


def _settle_dtypes(cls, arrays: list) -> list:
    """The inputs ``cls`` promotes, cast to their common dtype; then a clear error for a
    non-float input to a float-only op."""
    if cls.promotes is not None:
        positions = range(len(arrays))[cls.promotes]
        dtype = result_type(*(arrays[i] for i in positions))
        if cls.float_only and dtype.kind != "f":
            dtype = float32
        arrays = [a.astype(dtype, copy=False) if i in positions else a for i, a in enumerate(arrays)]
    if cls.float_only:
        for a in arrays:
            if a.dtype.kind != "f":
                raise TypeError(
                    f"{cls.__name__} needs floating-point tensors, got one of dtype "
                    f"{a.dtype} and shape {a.shape}; convert it with .float()"
                )
    return arrays


def _shared_float_dtype(inputs):
    """The usual case, quickly: float tensors of one dtype with Python numbers, which
    take the tensors' dtype (``x * 2.0``). None otherwise."""
    dtype = None
    for x in inputs:
        if isinstance(x, Tensor):
            if dtype is None:
                dtype = x._data.dtype
            if x._data.dtype is not dtype or dtype.kind != "f":
                return None
        elif type(x) not in (float, int):
            return None
    return dtype


def _as_tensors(inputs, promotes: slice | None = None) -> tuple:
    """Wrap constants. A number an op promotes becomes a 0-d array of the promoted dtype
    straight away (``float64 + 0.1`` keeps 0.1 exact). For an op that does not promote, a
    number takes the dtype of its float tensor (else of its first tensor) unless the number
    is of a higher category (``int_tensor + 0.5`` keeps 0.5 a float); other constants
    (lists, arrays) are converted as ``tensor()`` converts them.
    """
    if promotes is not None:
        positions = range(len(inputs))[promotes]
        dtype = _shared_float_dtype(inputs) or result_type(*(inputs[i] for i in positions))
        return tuple(x if isinstance(x, Tensor)
                     else Tensor._wrap(np.asarray(x, dtype)) if i in positions
                     else Tensor._constant(x)  # a where's condition, say
                     for i, x in enumerate(inputs))
    tensors = [x for x in inputs if isinstance(x, Tensor)]
    # Prefer a floating tensor's dtype (where(mask, x, 0.5) must not make 0.5 a bool).
    hint = next((t._data.dtype for t in tensors if t._data.dtype.kind == "f"), None)
    if hint is None and tensors:
        hint = tensors[0]._data.dtype
    return tuple(x if isinstance(x, Tensor) else Tensor._constant(x, hint) for x in inputs)


def _topological_order(root) -> list:
    """Tensors reachable from ``root`` through recorded ops, inputs before outputs.

    A depth-first search with an explicit stack (no recursion limit). A leaf has no
    inputs, so it takes its place in the order as soon as it is found: every op that
    uses it is placed after it, once that op's own inputs are done.
    """
    # Tensors are keys by identity (Tensor.__hash__ is object's; a set compares identity
    # before calling the elementwise __eq__, and identity hashes of live objects differ).
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        fn = node._ctx
        if fn is None:
            order.append(node)
            continue
        if fn.inputs is None:
            raise RuntimeError(
                "Trying to backward through the graph a second time: its saved values were "
                "freed by the first backward(). Pass retain_graph=True to the first call."
            )
        stack.append((node, True))
        inputs = fn.inputs
        if _rebinds:  # resolved now, before backward() frees the nodes that tell
            inputs = fn.seen_inputs = [_as_seen_by(p, fn) if needed else p for p, needed in zip(inputs, fn.needs_grad)]
        for parent, needed in zip(inputs, fn.needs_grad):
            if needed and parent not in visited:
                if parent._ctx is None:
                    visited.add(parent)
                    order.append(parent)
                else:
                    stack.append((parent, False))
    return order


def backward(root, grad: np.ndarray, retain_graph: bool = False) -> None:
    """Accumulate ∂root/∂leaf into ``leaf.grad`` for every leaf that requires grad."""
    order = _topological_order(root)
    grads = {root: grad}
    for node in reversed(order):
        g = grads.pop(node, None)
        if g is None:
            continue
        fn = node._ctx
        if fn is None:
            if node.requires_grad:
                if node.grad is None:
                    node.grad = Tensor._wrap(np.array(g, dtype=node._data.dtype))  # a copy: g may be shared
                else:
                    node.grad._data += g
            continue
        if node._retains_grad:  # accumulates across backward calls, as a leaf's grad does
            if node.grad is None:
                node.grad = Tensor._wrap(np.array(g))
            else:
                node.grad._data += g
        if fn.clock != _clock:
            _check_saved_arrays(fn)
        input_grads = fn.backward(g)
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        for parent, needed, pg in zip(fn.seen_inputs if _rebinds else fn.inputs, fn.needs_grad, input_grads):
            if not needed or pg is None:
                continue
            data = parent._data
            if pg.shape != data.shape:
                pg = _checked_unbroadcast(fn, pg, data.shape)
            if pg.dtype != data.dtype:
                pg = pg.astype(data.dtype)
            if parent in grads:
                grads[parent] = grads[parent] + pg
            else:
                grads[parent] = pg
        if not retain_graph:
            fn.release()


def _checked_unbroadcast(fn: Function, grad, shape: tuple) -> np.ndarray:
    grad = unbroadcast(np.asarray(grad), shape)
    if grad.shape != shape:
        raise RuntimeError(
            f"{fn.name}.backward returned a gradient of shape {grad.shape} for an input of shape {shape}"
        )
    return grad
