"""PyTorch's top-level functions on tensors (``torch.einsum``, ``torch.add``, ...), each
a thin call of a Tensor method or of an op; see ``chainrule/__init__.py`` for the rest."""

from __future__ import annotations

import numpy as np

from .autograd import Function, enable_grad, no_grad
from .tensor import Tensor, _plain


def _tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor._wrap(np.asarray(x))


def numel(x) -> int:
    return _tensor(x).numel()


def is_tensor(x) -> bool:
    return isinstance(x, Tensor)


def add(a, b, *, alpha=1):
    return _tensor(a).add(b, alpha=alpha)


def sub(a, b, *, alpha=1):
    return _tensor(a).sub(b, alpha=alpha)


def mul(a, b):
    return _tensor(a) * b


def div(a, b, *, rounding_mode=None):
    return _tensor(a).div(b, rounding_mode=rounding_mode)


def bmm(a, b):
    return a.bmm(b)


def where(condition, a=None, b=None):
    """``a`` where ``condition`` holds, else ``b`` (tensors or numbers); with only the
    condition, its ``nonzero(as_tuple=True)``, as ``torch.where``."""
    from .ops.elementwise import where as _where

    if a is None and b is None:
        return _tensor(condition).nonzero(as_tuple=True)
    return _where(condition, a, b)


class Einsum(Function):
    """``np.einsum`` of the inputs. The gradient of operand k is the einsum of the output's
    gradient with the other operands, written to k's subscripts (a subscript of k's found
    nowhere else was summed over k alone: its gradient is broadcast along it)."""

    float_only = False
    promotes = slice(None)

    def forward(self, *arrays, equation):
        equation = equation.replace(" ", "")
        if "->" not in equation:  # implicit output: the subscripts used once, in order
            inputs = equation.split(",")
            letters = "".join(inputs)
            equation += "->" + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
        self.inputs_subs, self.output = equation.split("->")[0].split(","), equation.split("->")[1]
        if "." in equation:
            raise NotImplementedError("einsum: '...' (ellipsis) is not supported; name every dimension")
        self.arrays = arrays
        return np.einsum(equation, *arrays)

    def backward(self, grad):
        grads = []
        for k, (subs, needed) in enumerate(zip(self.inputs_subs, self.needs_grad)):
            if not needed:
                grads.append(None)
                continue
            others = [s for i, s in enumerate(self.inputs_subs) if i != k]
            known = set(self.output).union(*others)
            target = "".join(dict.fromkeys(c for c in subs if c in known))
            operands = [grad] + [a for i, a in enumerate(self.arrays) if i != k]
            g = np.einsum(",".join([self.output] + others) + "->" + target, *operands)
            shape = self.arrays[k].shape
            if target != subs:  # put back the dimensions summed over k alone
                if len(set(subs)) != len(subs):
                    raise NotImplementedError("einsum: the gradient of a repeated subscript (a trace) is not supported")
                sizes = dict(zip(subs, shape))
                full = np.broadcast_to(np.expand_dims(g, tuple(i for i, c in enumerate(dict.fromkeys(subs))
                                                               if c not in target)),
                                       tuple(sizes[c] for c in dict.fromkeys(subs)))
                g = full
            grads.append(np.ascontiguousarray(g))
        return tuple(grads)


def einsum(equation: str, *operands):
    """Sums of products over named dimensions (``torch.einsum``)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return Einsum.apply(*operands, equation=equation)


class set_grad_enabled:
    """Grad mode on or off, as a function call, a ``with`` block or a decorator (``torch.set_grad_enabled``)."""

    def __init__(self, mode: bool):
        from . import autograd

        self.previous = autograd._state.grad_enabled
        autograd._state.grad_enabled = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        from . import autograd

        autograd._state.grad_enabled = self.previous
        return False


class inference_mode(no_grad):
    """``torch.inference_mode``: here the same as ``no_grad`` (``inference_mode(False)`` as ``enable_grad``)."""

    def __new__(cls, mode=True):
        if callable(mode):
            return no_grad(mode)
        return no_grad() if mode else enable_grad()


def _extremum(reduce, pairwise, x, dim=None, keepdim=False, *, axis=None, out=None):
    if isinstance(dim, Tensor):
        return pairwise(x, dim)
    return getattr(_tensor(x), reduce)(dim, keepdim, axis=axis, out=out)


def max(x, dim=None, keepdim=False, *, axis=None, out=None):  # noqa: A001 - PyTorch's name
    """The largest value; with ``dim`` a (values, indices) pair; with a tensor the elementwise maximum."""
    from .ops.elementwise import maximum

    return _extremum("max", maximum, x, dim, keepdim, axis=axis, out=out)


def min(x, dim=None, keepdim=False, *, axis=None, out=None):  # noqa: A001
    from .ops.elementwise import minimum

    return _extremum("min", minimum, x, dim, keepdim, axis=axis, out=out)
