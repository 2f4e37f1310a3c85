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
    empty,
    linspace,
    rand_like,
    randint,
    randn_like,
    randperm,
    result_type,
    arange,
    as_tensor,
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
    "nn", "optim", "Tensor", "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "zeros_like", "ones_like",
    "randn", "rand", "arange", "eye", "float32", "float64", "int64", "bool_",
    "no_grad", "enable_grad", "is_grad_enabled", "manual_seed", "get_rng_state", "set_rng_state",
    "summary", "cat", "stack", "flatten", "where", "maximum", "exp", "log", "sqrt", "abs", "clip", "clamp",
    "sigmoid", "tanh", "relu", "softmax", "log_softmax", "matmul", "sum", "mean", "max", "amax",
    "keep_freed_memory", "result_type", "empty", "linspace", "rand_like", "randn_like", "randint", "randperm",
    "reshape", "transpose", "permute", "squeeze", "unsqueeze", "argmax", "argmin", "min", "amin", "minimum",
    "allclose", "equal", "mm", "dot", "outer", "gather", "sort", "argsort", "topk", "cumsum", "norm",
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


def min(x, dim=None, keepdim=False):  # noqa: A001
    return x.min(dim, keepdim)


def amin(x, dim=None, keepdim=False):
    return x.amin(dim, keepdim)


def minimum(a, b):
    """Elementwise smaller of two: the larger of their negatives, so ties share the gradient as in ``maximum``."""
    return -maximum(-a, -b)


def argmax(x, dim=None, keepdim=False):
    return x.argmax(dim, keepdim)


def argmin(x, dim=None, keepdim=False):
    return x.argmin(dim, keepdim)


def reshape(x, shape):
    return x.reshape(shape)


def transpose(x, dim0, dim1):
    return x.transpose(dim0, dim1)


def permute(x, dims):
    return x.permute(dims)


def squeeze(x, dim=None):
    return x.squeeze(dim)


def unsqueeze(x, dim):
    return x.unsqueeze(dim)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return a.allclose(b, rtol, atol, equal_nan)


def equal(a, b):
    return a.equal(b)


def mm(a, b):
    return a.mm(b)


def dot(a, b):
    """The inner product of two vectors."""
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"dot: both operands must be vectors, got shapes {a.shape} and {b.shape}")
    return a @ b


def outer(a, b):
    """aᵢ·bⱼ for vectors a and b."""
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"outer: both operands must be vectors, got shapes {a.shape} and {b.shape}")
    return a.unsqueeze(1) * b.unsqueeze(0)


def gather(x, dim, index):
    return x.gather(dim, index)


def sort(x, dim=-1, descending=False):
    return x.sort(dim, descending)


def argsort(x, dim=-1, descending=False):
    return x.argsort(dim, descending)


def topk(x, k, dim=-1, largest=True):
    return x.topk(k, dim, largest)


def cumsum(x, dim):
    return x.cumsum(dim)


def norm(x, p=2, dim=None, keepdim=False):
    return x.norm(p, dim, keepdim)
