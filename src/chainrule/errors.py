"""Error classes that PyTorch code can catch by PyTorch's names.

Where PyTorch raises ``RuntimeError`` (shapes that do not multiply, an in-place change that
would corrupt a gradient), chainrule raises these: each is also the ``ValueError`` (or
``IndexError``) chainrule raised before, so both ``except`` clauses catch it.
"""


class ShapeError(ValueError, RuntimeError):
    """Operands whose shapes an op cannot combine (``matmul`` of (2, 3) and (4, 5))."""
