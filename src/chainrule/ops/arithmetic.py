"""Arithmetic: the four operations, powers, negation, matrix products and einsum.

Gradients here are written for the broadcast shape; the engine sums them back
to each input's shape (``autograd.unbroadcast``).
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..errors import ShapeError


class Add(Function):
    float_only = False
    promotes = slice(None)

    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, grad


class Sub(Function):
    float_only = False
    promotes = slice(None)

    def forward(self, a, b):
        return a - b

    def backward(self, grad):
        return grad, -grad


class Mul(Function):
    """∂(ab)/∂a = b, ∂(ab)/∂b = a."""

    float_only = False
    promotes = slice(None)

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        return grad * self.b, grad * self.a


class Div(Function):
    """∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b²."""

    promotes = slice(None)

    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):
        grad_a = grad / self.b
        return grad_a, -grad_a * self.a / self.b


class Pow(Function):
    """∂(aᵇ)/∂a = b·aᵇ⁻¹, ∂(aᵇ)/∂b = aᵇ·ln a."""

    float_only = False
    promotes = slice(None)

    def forward(self, a, b):
        if a.dtype == bool:  # NumPy would answer in int8
            raise TypeError("pow: a bool base is not supported; convert it with .int() or .float()")
        self.a, self.b = a, b
        self.out = np.power(a, b)
        return self.out

    def backward(self, grad):
        a, b = self.a, self.b
        # PyTorch's convention: where b == 0 the gradient is 0 (even at a == 0, where b·aᵇ⁻¹ is 0·∞).
        with np.errstate(divide="ignore", invalid="ignore"):
            grad_a = np.where(b == 0, np.zeros((), grad.dtype), grad * b * np.power(a, b - 1))
        needs_b = self.needs_grad[1]
        grad_b = None
        if needs_b:
            # PyTorch's convention: where a == 0 (and b >= 0) the log term contributes 0.
            with np.errstate(divide="ignore", invalid="ignore"):
                zero_base = (a == 0) & (b >= 0)
                log_a = np.where(zero_base, 0.0, np.log(np.where(zero_base, 1.0, a)))
            grad_b = grad * self.out * log_a
        return grad_a, grad_b


class Remainder(Function):
    """a mod b with the sign of b (Python's %, ``torch.remainder``): a − b·⌊a/b⌋, so
    ∂/∂a = 1 and ∂/∂b = −⌊a/b⌋."""

    float_only = False
    promotes = slice(None)

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.remainder(a, b)

    def backward(self, grad):
        return grad, (-grad * np.floor_divide(self.a, self.b) if self.needs_grad[1] else None)


class FloorDiv(Function):
    """⌊a/b⌋ (Python's //, ``torch.floor_divide``): a step function, its gradient 0 everywhere."""

    float_only = False
    promotes = slice(None)

    def forward(self, a, b):
        return np.floor_divide(a, b)

    def backward(self, grad):
        return np.zeros_like(grad), np.zeros_like(grad)


class Neg(Function):
    float_only = False

    def forward(self, a):
        return -a

    def backward(self, grad):
        return -grad


def _check_matmul_shapes(a, b):
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: both operands need at least one dimension, got shapes {a.shape} and {b.shape}")
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise ShapeError(
            f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied ({inner_a} != {inner_b})"
        )


class MatMul(Function):
    """Batched matrix product with NumPy's rules for 1-d operands.

    For C = A B:  ∂L/∂A = ∂L/∂C · Bᵀ,  ∂L/∂B = Aᵀ · ∂L/∂C.
    """

    def forward(self, a, b):
        _check_matmul_shapes(a, b)
        self.a, self.b = a, b
        return a @ b

    def backward(self, grad):
        a, b = self.a, self.b
        # Promote 1-d operands to matrices so one rule serves every case.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        # b's axis first: for 1-d @ 1-d the gradient is 0-d and must become [1, 1].
        if b.ndim == 1:
            grad = np.expand_dims(grad, -1)
        if a.ndim == 1:
            grad = np.expand_dims(grad, -2)
        grad_a = grad_b = None
        if self.needs_grad[0]:
            grad_a = grad @ np.swapaxes(b2, -1, -2)
            if a.ndim == 1:
                grad_a = grad_a.reshape(grad_a.shape[:-2] + (-1,)).sum(axis=tuple(range(grad_a.ndim - 2)))
        if self.needs_grad[1]:
            grad_b = np.swapaxes(a2, -1, -2) @ grad
            if b.ndim == 1:
                grad_b = grad_b[..., 0].sum(axis=tuple(range(grad_b.ndim - 2)))
        return grad_a, grad_b


class Linear(Function):
    """y = x Wᵀ + b in one op (x: [..., in], W: [out, in], b: [out]), as ``F.linear``.

    ∂L/∂x = g W,  ∂L/∂W = gᵀ x (summed over the batch),  ∂L/∂b = Σ g.
    """

    def forward(self, x, weight, bias=None):
        if x.shape[-1] != weight.shape[1]:
            raise ShapeError(
                f"linear: input has {x.shape[-1]} features (shape {x.shape}) but the weight expects "
                f"{weight.shape[1]} (weight shape {weight.shape})"
            )
        self.x, self.weight = x, weight
        out = x @ weight.T
        if bias is not None:
            out += bias
        return out

    def backward(self, grad):
        x, weight, needs = self.x, self.weight, self.needs_grad
        grad_x = grad @ weight if needs[0] else None
        if grad.ndim != 2:  # fold leading batch dimensions into one (or give a 1-d input one)
            grad, x = grad.reshape(-1, grad.shape[-1]), x.reshape(-1, x.shape[-1])
        grad_w = grad.T @ x if needs[1] else None
        if len(needs) == 2:
            return grad_x, grad_w
        return grad_x, grad_w, (grad.sum(axis=0) if needs[2] else None)


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
