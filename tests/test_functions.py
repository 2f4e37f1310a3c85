"""The top-level functions (``torch.exp(x)``, ``torch.max(a, 1)``, ``torch.einsum``, ...) against
PyTorch: each case is written once in PyTorch's spelling and run on both (see both_engines.py)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from both_engines import check_case  # noqa: E402

import chainrule as cr  # noqa: E402

A = [[1.5, -2.0, 3.25], [0.5, 4.0, -1.0]]
B = [[2.0, 1.0, -0.5], [3.0, -2.5, 1.0]]


def a(T, requires_grad=False):
    return T.tensor(A, requires_grad=requires_grad)


CASES = {
    # the method forms
    "exp": lambda T: T.exp(a(T)),
    "log of abs": lambda T: T.log(T.abs(a(T))),
    "sqrt": lambda T: T.sqrt(T.tensor([4.0, 2.0])),
    "sigmoid tanh relu": lambda T: (T.sigmoid(a(T)), T.tanh(a(T)), T.relu(a(T))),
    "floor ceil round trunc": lambda T: tuple(f(T.tensor([-1.5, -0.5, 0.5, 1.5, 2.7])) for f in
                                              (T.floor, T.ceil, T.round, T.trunc)),
    "sin cos tan erf": lambda T: tuple(f(a(T)) for f in (T.sin, T.cos, T.tan, T.erf)),
    "sign": lambda T: T.sign(a(T)),
    "pow": lambda T: T.pow(a(T), 2),
    "remainder": lambda T: T.remainder(a(T), 1.5),
    "sum dim keepdim": lambda T: T.sum(a(T), 1, keepdim=True),
    "sum all": lambda T: T.sum(a(T)),
    "mean dim": lambda T: T.mean(a(T), dim=0),
    "mean axis": lambda T: T.mean(a(T), axis=1),
    "std var": lambda T: (T.std(a(T)), T.var(a(T), dim=1), T.var(a(T), 1, unbiased=False)),
    "max over dim": lambda T: T.max(a(T), 1),
    "max over dim keepdim": lambda T: T.max(a(T), dim=0, keepdim=True),
    "max all": lambda T: T.max(a(T)),
    "max elementwise": lambda T: T.max(a(T), T.tensor(B)),
    "min over dim": lambda T: T.min(a(T), 0),
    "min elementwise": lambda T: T.min(a(T), T.tensor(B)),
    "maximum minimum": lambda T: (T.maximum(a(T), T.tensor(B)), T.minimum(a(T), T.tensor(B))),
    "argmax argmin": lambda T: (T.argmax(a(T)), T.argmax(a(T), dim=1), T.argmin(a(T), 0, keepdim=True)),
    "amax amin": lambda T: (T.amax(a(T), 1), T.amin(a(T), dim=0)),
    "cumsum cumprod": lambda T: (T.cumsum(a(T), 1), T.cumprod(a(T), dim=0)),
    "sort stable": lambda T: T.sort(T.tensor([3, 1, 2, 1, 3]), stable=True),
    "sort descending": lambda T: T.sort(a(T), dim=1, descending=True),
    "argsort": lambda T: T.argsort(T.tensor([3.0, 1.0, 2.0]), descending=True),
    "topk positional": lambda T: T.topk(T.tensor([1.0, 5.0, 3.0, 4.0]), 2, 0, False, True),
    "topk largest": lambda T: T.topk(a(T), 2, dim=1),
    "unique": lambda T: T.unique(T.tensor([3, 1, 3, 2, 1])),
    "unique counts": lambda T: T.unique(T.tensor([3, 1, 3, 2, 1]), return_inverse=True, return_counts=True),
    "reshape transpose permute": lambda T: (T.reshape(a(T), (3, 2)), T.transpose(a(T), 0, 1),
                                            T.permute(a(T).unsqueeze(0), (2, 0, 1))),
    "squeeze unsqueeze flatten": lambda T: (T.squeeze(T.ones(1, 3, 1)), T.unsqueeze(a(T), 1),
                                            T.flatten(T.ones(2, 3, 4), 1)),
    "chunk": lambda T: T.chunk(T.arange(7), 3),
    "split sizes": lambda T: T.split(T.arange(7), [2, 5]),
    "split size": lambda T: T.split(a(T), 2, dim=1),
    "flip roll": lambda T: (T.flip(a(T), [0, 1]), T.roll(T.arange(5), 2), T.roll(a(T), 1, 1)),
    "repeat expand contiguous": lambda T: (a(T).repeat(2, 1), T.tensor([[1.0], [2.0]]).expand(2, 3),
                                           a(T).t().contiguous()),
    "gather": lambda T: T.gather(a(T), 1, T.tensor([[0, 2], [1, 1]])),
    "masked_select": lambda T: T.masked_select(a(T), a(T) > 1),
    "nonzero": lambda T: (T.nonzero(a(T) > 1), T.nonzero(a(T) > 1, as_tuple=True)),
    "where three": lambda T: T.where(a(T) > 0, a(T), T.tensor(B)),
    "where scalars": lambda T: T.where(a(T) > 0, a(T), 0.0),
    "where two scalars": lambda T: T.where(a(T) > 0, 1.0, -1.0),
    "where one": lambda T: T.where(a(T) > 1),
    "isnan isinf isfinite": lambda T: tuple(f(T.tensor([1.0, float("nan"), float("inf"), -float("inf")]))
                                            for f in (T.isnan, T.isinf, T.isfinite)),
    "clamp numbers": lambda T: T.clamp(a(T), -1, 2),
    "clamp tensors": lambda T: T.clamp(a(T), min=T.tensor([0.0, -3.0, 0.0]), max=T.tensor(B).abs()),
    "clamp min only": lambda T: T.clamp(a(T), min=0),
    "einsum matmul": lambda T: T.einsum("ij,kj->ik", a(T), T.tensor(B)),
    "einsum trace-free sum": lambda T: T.einsum("ij->j", a(T)),
    "einsum implicit": lambda T: T.einsum("ij,jk", a(T), T.tensor(B).t()),
    "einsum list": lambda T: T.einsum("i,i->", [T.tensor([1.0, 2.0]), T.tensor([3.0, 4.0])]),
    "bmm": lambda T: T.bmm(T.ones(2, 3, 4), T.ones(2, 4, 5)),
    "mm matmul dot outer": lambda T: (T.mm(a(T), T.tensor(B).t()), T.matmul(a(T), T.ones(3)),
                                      T.dot(T.tensor([1.0, 2.0]), T.tensor([3.0, 4.0])),
                                      T.outer(T.tensor([1.0, 2.0]), T.tensor([3.0, 4.0, 5.0]))),
    "add sub alpha": lambda T: (T.add(a(T), T.tensor(B), alpha=2), T.sub(a(T), T.tensor(B), alpha=0.5)),
    "mul div": lambda T: (T.mul(a(T), 3), T.div(a(T), T.tensor(B)), T.div(a(T), 2, rounding_mode="floor"),
                          T.div(a(T), 2, rounding_mode="trunc")),
    "numel is_tensor": lambda T: (T.numel(a(T)), T.is_tensor(a(T)), T.is_tensor([1.0])),
    "allclose equal": lambda T: (T.allclose(a(T), a(T) + 1e-9), T.equal(a(T), T.tensor(B))),
    "cat stack": lambda T: (T.cat([a(T), T.tensor(B)]), T.cat((a(T), T.tensor(B)), dim=1),
                            T.stack([a(T), T.tensor(B)], 1)),
    "softmax log_softmax": lambda T: (T.softmax(a(T), 1), T.log_softmax(a(T), dim=0)),
    "norm": lambda T: (T.norm(a(T)), T.norm(a(T), dim=1)),
    "full_like zeros_like ones_like": lambda T: (T.full_like(a(T), 7), T.zeros_like(a(T)),
                                                 T.ones_like(a(T), dtype=T.int64)),
    "rand_like randn_like shapes": lambda T: (T.rand_like(a(T)).shape, T.randn_like(a(T)).dtype),
    "creation": lambda T: (T.zeros(2, 3), T.ones((2,)), T.full((2, 2), 1.5), T.eye(3), T.arange(5),
                           T.arange(0, 1, 0.25), T.linspace(0, 1, 5), T.empty(2).shape),
    "creation dtypes": lambda T: (T.zeros(2, dtype=T.long), T.ones(2, dtype=T.bool), T.arange(3.0),
                                  T.full((2,), 3), T.tensor([1, 2]).dtype, T.tensor(True).dtype),
    "randint randperm": lambda T: (T.randint(0, 5, (3, 4)).shape, T.randint(3, (2,)).dtype, T.randperm(5).sort()[0]),
    "log1p expm1 prod": lambda T: (T.log1p(T.abs(a(T))), T.expm1(a(T)), T.prod(a(T), 1), a(T).prod(),
                                   T.prod(T.tensor([2, 3]))),
    "logsumexp": lambda T: (T.logsumexp(a(T), 1), a(T).logsumexp(0, keepdim=True),
                            T.logsumexp(T.tensor([1000.0, 1000.0]), 0), T.logsumexp(T.tensor([-float("inf")] * 2), 0)),
    "tril triu": lambda T: (T.tril(T.ones(3, 4)), T.triu(T.ones(3, 3), 1), a(T).tril(-1)),
    "index_select": lambda T: (T.index_select(a(T), 1, T.tensor([2, 0])), a(T).index_select(0, T.tensor([1]))),
    "new tensors": lambda T: (a(T).new_zeros(2, 3), a(T).new_ones((2,)), T.tensor([1]).new_full((2,), 7),
                              a(T).new_tensor([1, 2]), T.tensor([1]).new_zeros(2, dtype=T.float)),
    "Size": lambda T: (T.Size([2, 3]), T.ones(2, 3).shape == T.Size([2, 3]), T.Size([2, 3]).numel()),
    # errors PyTorch raises, caught by PyTorch's class
    "matmul shapes": lambda T: T.matmul(T.ones(2, 3), T.ones(4, 5)),
    "cat mismatch": lambda T: T.cat([T.ones(2, 3), T.ones(2, 4)]),
}


@pytest.mark.parametrize("name", CASES)
def test_same_as_torch(name):
    check_case(CASES[name], name)


GRAD_CASES = {
    "sign keeps the graph": lambda T, x: T.sign(x),
    "max over dim": lambda T, x: T.max(x, 1)[0],
    "min all": lambda T, x: T.min(x),
    "max elementwise": lambda T, x: T.max(x, T.tensor(B)),
    "clamp tensors": lambda T, x: T.clamp(x, min=T.tensor([0.0, -3.0, 0.0]), max=T.tensor([[2.0], [3.0]])),
    "cumprod": lambda T, x: T.cumprod(x, 1),
    "einsum": lambda T, x: T.einsum("ij,kj->ik", x, T.tensor(B)),
    "einsum sum out": lambda T, x: T.einsum("ij->i", x) * T.tensor([1.0, 2.0]),
    "flip roll": lambda T, x: T.roll(T.flip(x, [1]), 1, 0) * T.tensor(B),
    "chunk": lambda T, x: T.chunk(x, 2, dim=1)[1] * 3,
    "split": lambda T, x: T.split(x, [1, 2], dim=1)[1] ** 2,
    "repeat": lambda T, x: x.repeat(2, 3),
    "where scalar": lambda T, x: T.where(x > 0, x, 0.5),
    "masked_select": lambda T, x: T.masked_select(x, x > 1) ** 2,
    "sort values": lambda T, x: T.sort(x, 1)[0] * T.tensor(B),
    "topk values": lambda T, x: T.topk(x, 2)[0] ** 2,
    "add alpha": lambda T, x: T.add(x, x * x, alpha=3),
    "div floor": lambda T, x: T.div(x, 2.0) * T.tensor(B),
    "erf sin": lambda T, x: T.erf(x) + T.sin(x) * T.cos(x),
    "floor": lambda T, x: T.floor(x) + x,
    "prod": lambda T, x: T.prod(x, 0),
    "logsumexp": lambda T, x: T.logsumexp(x, 1),
    "tril index_select": lambda T, x: T.index_select(T.tril(x, 1), 1, T.tensor([2, 2, 0])),
    "log1p expm1": lambda T, x: T.log1p(x.abs()) + T.expm1(x),
}


@pytest.mark.parametrize("name", GRAD_CASES)
def test_gradient_same_as_torch(name):
    def case(T):
        x = T.tensor(A, requires_grad=True)
        out = GRAD_CASES[name](T, x)
        (out * T.arange(out.numel()).reshape(out.shape).to(out.dtype)).sum().backward()
        return out.detach(), x.grad

    check_case(case, name, rtol=1e-5, atol=1e-5)  # float32 sums of several terms


def test_sign_gradient_is_zero_and_in_graph():
    """Bug 4: sign() of a tensor that requires grad stays in the graph, with a zero gradient."""
    x = cr.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    y = cr.sign(x)
    assert y.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])


@pytest.mark.filterwarnings("ignore:(var|std)\(\).*degrees of freedom:UserWarning")
@pytest.mark.parametrize("correction", [1, 2, 3, 5])
def test_var_std_with_correction_past_the_count(correction):
    """Bug 2: correction ≥ the number of elements gives inf or nan as torch, never a negative."""
    def case(T):
        x = T.tensor([1.0, 2.0, 4.0])
        return (T.var(x, correction=correction), T.std(x, correction=correction),
                T.var(T.tensor([[1.0, 2.0], [3.0, 3.0]]), dim=1, correction=correction))

    check_case(case, f"correction={correction}")


def test_bool_extrema_and_linspace_bool():
    """Bug 5: min/max/minimum/maximum on bool tensors work as torch's; linspace refuses bool."""
    def case(T):
        b, c = T.tensor([True, False, True]), T.tensor([False, False, True])
        return T.max(b), T.min(b), T.maximum(b, c), T.minimum(b, c), T.max(T.stack([b, c]), 0)

    check_case(case, "bool extrema")
    with pytest.raises((TypeError, RuntimeError)):
        cr.linspace(0, 1, 3, dtype=cr.bool)


def test_set_grad_enabled_and_inference_mode():
    def case(T):
        x = T.tensor([1.0], requires_grad=True)
        with T.set_grad_enabled(False):
            off = (x * 2).requires_grad
        on = (x * 2).requires_grad
        T.set_grad_enabled(False)
        switched = (x * 2).requires_grad
        T.set_grad_enabled(True)
        with T.inference_mode():
            inf = (x * 2).requires_grad

        @T.inference_mode()
        def f():
            return (x * 2).requires_grad

        return off, on, switched, inf, f(), T.is_grad_enabled()

    check_case(case, "grad modes")


def test_legacy_typed_constructors():
    def case(T):
        f, g = T.FloatTensor([1, 2]), T.LongTensor([[1], [2]])
        return f, g, T.FloatTensor(2, 3).shape, isinstance(f, T.FloatTensor), isinstance(g, T.FloatTensor), f.type()

    check_case(case, "FloatTensor")


def test_grad_mode_decorators_restore_the_mode():
    def case(T):
        seen = []

        @T.set_grad_enabled(False)
        def f():
            return T.is_grad_enabled()

        seen += [T.is_grad_enabled(), f(), T.is_grad_enabled()]

        @T.set_grad_enabled(False)
        def g():
            yield T.is_grad_enabled()

        seen += [list(g()), T.is_grad_enabled()]
        with T.no_grad():
            @T.inference_mode(False)
            def h():
                yield T.is_grad_enabled()

            seen.append(list(h()))

        @T.inference_mode
        def k():
            return T.is_grad_enabled()

        return seen + [k(), T.is_grad_enabled()]

    check_case(case, "decorators")
