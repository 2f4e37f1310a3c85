"""Error classes that PyTorch code can catch by PyTorch's names.

Where PyTorch raises ``RuntimeError`` (shapes that do not multiply, an in-place change that
would corrupt a gradient), chainrule raises these: each is also the ``ValueError`` (or
``IndexError``) chainrule raised before, so both ``except`` clauses catch it.
"""


class ShapeError(ValueError, RuntimeError):
    """Operands whose shapes an op cannot combine (``matmul`` of (2, 3) and (4, 5))."""


class IndexDtypeError(TypeError, RuntimeError):
    """Indices that are not integers (``F.embedding`` of floats: PyTorch raises RuntimeError)."""


class ClassValueError(ValueError, RuntimeError):
    """A class index that ``one_hot`` cannot encode (PyTorch raises RuntimeError)."""


class ClassIndexError(IndexError, ValueError):
    """A class-index target outside 0..C−1 (and not ``ignore_index``). PyTorch raises
    IndexError; chainrule raised ValueError before, so both ``except`` clauses catch it."""
