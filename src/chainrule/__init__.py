"""chainrule: a neural-network lab on a from-scratch NumPy autograd engine.

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4.])

PyTorch code runs on it with ``import chainrule as torch``: the top level carries PyTorch's
names (the tensor functions of :mod:`chainrule.functions`, dtypes, devices, ``save``/``load``),
beside ``nn``, ``optim`` and ``utils.data``.
"""

from . import cuda, nn, optim, utils
from ._malloc import keep_freed_memory
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .errors import ShapeError
from . import functions as _functions
from .functions import *  # noqa: F401,F403 - torch.exp(x), torch.add(a, b, alpha=2), ... (its __all__)
from .ops.elementwise import maximum, minimum
from .ops.shape import cat, stack
from .random import Generator, get_rng_state, manual_seed, set_rng_state
from .serialization import load, save
from .summary import summary
from .tensor import (
    Tensor, arange, as_tensor, bool_, device, dtype, empty, eye, float16, float32, float64, from_numpy, full,
    full_like, int8, int16, int32, int64, linspace, ones, ones_like, rand, rand_like, randint, randn,
    randn_like, randperm, result_type, tensor, uint8, zeros, zeros_like,
)

__version__ = "0.1.0"

keep_freed_memory()  # see chainrule/_malloc.py: reuse freed arrays instead of faulting in new pages

# PyTorch's short dtype names. They shadow builtins inside this module only, so they come
# last: ``chainrule.float`` is float32 as ``torch.float`` is.
float, double, half = float32, float64, float16  # noqa: A001
long, int, short = int64, int32, int16  # noqa: A001
bool = bool_  # noqa: A001


__all__ = [
    "nn", "optim", "utils", "cuda", "Tensor", "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full",
    "zeros_like", "ones_like", "full_like", "empty", "eye", "arange", "linspace", "rand", "randn", "randint",
    "randperm", "rand_like", "randn_like", "result_type", "device", "dtype", "float16", "float32", "float64",
    "int8", "int16", "int32", "int64", "uint8", "bool_", "float", "double", "half", "long", "int", "short", "bool",
    "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
    "manual_seed", "Generator", "get_rng_state", "set_rng_state", "save", "load", "summary", "ShapeError",
    "cat", "stack", "maximum", "minimum", "keep_freed_memory",
    *_functions.__all__,
]
