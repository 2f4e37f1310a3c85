"""PyTorch's top-level functions on tensors (``torch.exp(x)``, ``torch.einsum``, ``torch.add``, ...).

Most are ``torch.f(input, *args) == input.f(*args)``: those are generated from the list
:data:`METHOD_FORMS`, so a Tensor method is the one place where each is written. The rest,
which are more than a delegation, follow.
"""

from __future__ import annotations

import numpy as np

from .ops import arithmetic as _arith
from .errors import ShapeError
from .tensor import Size, Tensor, bool_, float32, float64, int32, int64, uint8  # noqa: F401 - Size is torch.Size

METHOD_FORMS = (
    "abs", "exp", "log", "sqrt", "rsqrt", "sigmoid", "tanh", "relu", "sign", "neg", "square", "reciprocal",
    "sin", "cos", "tan", "erf", "floor", "ceil", "round", "trunc", "pow", "remainder", "floor_divide",
    "clamp", "clip", "softmax", "log_softmax", "matmul", "mm", "bmm", "sum", "mean", "std", "var", "amax", "amin",
    "max", "min", "argmax", "argmin", "all", "any", "norm", "cumsum", "cumprod", "sort", "argsort", "topk",
    "unique", "reshape", "flatten", "transpose", "permute", "squeeze", "unsqueeze", "t", "chunk", "split",
    "flip", "roll", "repeat", "gather", "masked_select", "masked_fill", "nonzero", "isnan", "isinf", "isfinite",
    "allclose", "equal", "eq", "ne", "lt", "le", "gt", "ge", "numel", "broadcast_to", "select", "clone",
    "detach", "logical_not", "logical_and", "logical_or", "is_floating_point", "log1p", "expm1", "prod",
    "logsumexp", "tril", "triu", "index_select",
)

__all__ = [
    *METHOD_FORMS, "is_tensor", "add", "sub", "mul", "div", "subtract", "multiply", "divide", "true_divide",
    "dot", "outer", "where", "einsum", "FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "BoolTensor",
    "ByteTensor", "Size",
]


def _method_form(name: str):
    def function(input, *args, **kwargs):  # noqa: A002 - PyTorch's name
        return _tensor(input).__getattribute__(name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``torch.{name}(input, ...)``: the same as ``input.{name}(...)`` (see ``Tensor.{name}``)."
    return function


globals().update({name: _method_form(name) for name in METHOD_FORMS})


def _tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor._wrap(np.asarray(x))


def is_tensor(x) -> bool:
    return isinstance(x, Tensor)


def add(input, other, *, alpha=1):  # noqa: A002
    return _tensor(input).add(other, alpha=alpha)


def sub(input, other, *, alpha=1):  # noqa: A002
    return _tensor(input).sub(other, alpha=alpha)


def mul(input, other):  # noqa: A002
    return _tensor(input) * other


def div(input, other, *, rounding_mode=None):  # noqa: A002
    return _tensor(input).div(other, rounding_mode=rounding_mode)


subtract, multiply, divide, true_divide = sub, mul, div, div


def dot(a, b):
    """The inner product of two vectors."""
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"dot: both operands must be vectors, got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    return a @ b


def outer(a, b):
    """aᵢ·bⱼ for vectors a and b."""
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"outer: both operands must be vectors, got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    return a.unsqueeze(1) * b.unsqueeze(0)


def where(condition, a=None, b=None):
    """``a`` where ``condition`` holds, else ``b`` (tensors or numbers); with only the
    condition, its ``nonzero(as_tuple=True)``, as ``torch.where``."""
    from .ops.elementwise import where as _where

    if a is None and b is None:
        return _tensor(condition).nonzero(as_tuple=True)
    return _where(condition, a, b)


def einsum(equation: str, *operands):
    """Sums of products over named dimensions (``torch.einsum``)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return _arith.Einsum.apply(*operands, equation=equation)


# ------------------------------------------------------ legacy typed constructors
class _LegacyTensorType(type):
    """``isinstance(x, FloatTensor)`` holds for a float32 tensor, as in PyTorch."""

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype


def _legacy_type(name: str, dtype):
    def new(cls, *args):
        """``{name}(data)`` from a list or array, ``{name}(2, 3)`` zeros of that shape (as ``Tensor``)."""
        return Tensor(*args, dtype=cls.dtype)

    return _LegacyTensorType(name, (), {"dtype": dtype, "__new__": new, "__doc__": f"``torch.{name}``: a {dtype} tensor."})


FloatTensor = _legacy_type("FloatTensor", float32)
DoubleTensor = _legacy_type("DoubleTensor", float64)
LongTensor = _legacy_type("LongTensor", int64)
IntTensor = _legacy_type("IntTensor", int32)
BoolTensor = _legacy_type("BoolTensor", bool_)
ByteTensor = _legacy_type("ByteTensor", uint8)
