"""chainrule: a neural-network lab on a from-scratch NumPy autograd engine.

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4.])
"""

from . import nn, optim
from ._malloc import keep_freed_memory
from .autograd import enable_grad, is_grad_enabled, no_grad
from .ops.elementwise import maximum, where
from .ops.shape import cat, flatten, stack
from .random import get_rng_state, manual_seed, set_rng_state
from .summary import summary
from .tensor import (
    Tensor,
    result_type,
    arange,
    bool_,
    eye,
    float32,
    float64,
    from_numpy,
    full,
    int64,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)

__version__ = "0.1.0"

__all__ = [
    "nn", "optim", "Tensor", "tensor", "from_numpy", "zeros", "ones", "full", "zeros_like", "ones_like",
    "randn", "rand", "arange", "eye", "float32", "float64", "int64", "bool_",
    "no_grad", "enable_grad", "is_grad_enabled", "manual_seed", "get_rng_state", "set_rng_state",
    "summary", "cat", "stack", "flatten", "where", "maximum", "exp", "log", "sqrt", "abs", "clip", "clamp",
    "sigmoid", "tanh", "relu", "softmax", "log_softmax", "matmul", "sum", "mean", "max", "amax",
    "keep_freed_memory", "result_type",
]

keep_freed_memory()  # see chainrule/_malloc.py: reuse freed arrays instead of faulting in new pages


def exp(x):
    return x.exp()


def log(x):
    return x.log()


def sqrt(x):
    return x.sqrt()


def abs(x):  # noqa: A001 - PyTorch's name
    return x.abs()


def clip(x, min=None, max=None):  # noqa: A002
    return x.clip(min, max)


clamp = clip


def sigmoid(x):
    return x.sigmoid()


def tanh(x):
    return x.tanh()


def relu(x):
    return x.relu()


def softmax(x, dim):
    return x.softmax(dim)


def log_softmax(x, dim):
    return x.log_softmax(dim)


def matmul(a, b):
    return a @ b


def sum(x, dim=None, keepdim=False):  # noqa: A001
    return x.sum(dim, keepdim)


def mean(x, dim=None, keepdim=False):
    return x.mean(dim, keepdim)


def max(x, dim=None, keepdim=False):  # noqa: A001
    return x.max(dim, keepdim)


def amax(x, dim=None, keepdim=False):
    return x.amax(dim, keepdim)
