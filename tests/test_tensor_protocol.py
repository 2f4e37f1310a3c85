"""Python's protocols on tensors against PyTorch: formatting (``f"{loss:.4f}"``), the repr,
truth value, ``%``, ``//``, ``divmod``, comparisons with Python numbers, ``len``, iteration
and conversion to Python numbers."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from both_engines import check_case  # noqa: E402

A = [[1.5, -2.0, 3.25], [0.5, 4.0, -1.0]]

CASES = {
    "format a scalar": lambda T: (f"{T.tensor(0.123456):.4f}", f"{T.tensor(3):d}", f"{T.tensor(2.5):>8.2f}",
                                  "{:.3e}".format(T.tensor([1234.5]).sum())),
    "format without spec": lambda T: f"{T.tensor([1.0, 2.0])}",
    "repr": lambda T: (repr(T.tensor([1.0, 2.5])), repr(T.tensor([1, 2])), repr(T.tensor(3.0)),
                       repr(T.tensor([True, False])), repr(T.tensor([[1.0, 2.0], [3.0, 4.0]]))),
    "repr requires_grad": lambda T: repr(T.tensor([1.0, -2.0], requires_grad=True)),
    # (chainrule's dtypes print without "torch.": dtype=float64)
    "repr float64 int32": lambda T: tuple(repr(x).replace("torch.", "") for x in
                                          (T.tensor([1.0], dtype=T.float64), T.tensor([1], dtype=T.int32))),
    "repr of a rounded value": lambda T: repr(T.tensor([0.123456789, 10.5])),
    "repr grad_fn-free after detach": lambda T: repr((T.tensor([1.0], requires_grad=True) * 2).detach()),
    "str": lambda T: str(T.tensor([1.0, 2.0])),
    "bool of one element": lambda T: (bool(T.tensor([3.0])), bool(T.tensor(0)), bool(T.tensor([[True]]))),
    "bool of many": lambda T: bool(T.tensor([1.0, 2.0])),
    "if on a comparison": lambda T: "yes" if T.tensor(2.0) > 1 else "no",
    "modulo": lambda T: (T.tensor(A) % 1.5, T.tensor([-7, 7]) % 3, 7 % T.tensor([3, -3]), T.tensor(A) % T.tensor(A).abs()),
    "floor division": lambda T: (T.tensor(A) // 1.5, T.tensor([-7, 7]) // 2, 7 // T.tensor([2, -2])),
    "comparisons with numbers": lambda T: (T.tensor(A) > 1, T.tensor(A) <= 0.5, T.tensor(A) == 4, T.tensor(A) != -1,
                                           1 < T.tensor(A), 0.5 == T.tensor(A)),
    "python numbers": lambda T: (float(T.tensor([2.5])), int(T.tensor(3.7)), T.tensor([2]).item(),
                                 T.tensor(1.5).item(), T.tensor([[True]]).item()),
    "len and iteration": lambda T: (len(T.tensor(A)), [row.sum() for row in T.tensor(A)],
                                    list(T.tensor([1, 2]))),
    "tolist": lambda T: (T.tensor(A).tolist(), T.tensor(3).tolist()),
    "reflected arithmetic": lambda T: (1 - T.tensor(A), 2 / T.tensor([1.0, 4.0]), 2 ** T.tensor([1.0, 3.0]),
                                       -T.tensor(A), abs(T.tensor(A))),
    "index with a tensor scalar": lambda T: T.tensor(A)[T.tensor(1)],
    "matmul operator": lambda T: T.tensor(A) @ T.tensor(A).t(),
    "in": lambda T: (2.0 in T.tensor([1.0, 2.0]), 5 in T.tensor([1, 2])),
    "shape and size": lambda T: (tuple(T.tensor(A).shape), T.tensor(A).size(1), tuple(T.tensor(A).size()),
                                 T.tensor(A).dim(), T.tensor(A).ndim, T.tensor(A).numel()),
    "item of many": lambda T: T.tensor([1.0, 2.0]).item(),
}


@pytest.mark.parametrize("name", CASES)
def test_same_as_torch(name):
    check_case(CASES[name], name)


def test_divmod_is_floor_division_and_modulo():
    """PyTorch has no divmod on tensors; chainrule's is (a // b, a % b), each as torch computes it."""
    import chainrule as cr

    for a, b in (([-7.0, 7.5], 2), ([-7, 7], 3), ([5.0, -5.0], -1.5)):
        q, r = divmod(cr.tensor(a), b)
        assert q.tolist() == (torch.tensor(a) // b).tolist()
        assert r.tolist() == (torch.tensor(a) % b).tolist()


def test_logic_operators():
    def case(T):
        a, b = T.tensor([True, False, True]), T.tensor([True, True, False])
        return (~a, a & b, a | b, a ^ b, ~T.tensor([1, 2]), T.tensor([6]) & 3, T.logical_not(a),
                T.logical_and(a, b), (T.tensor([1.0, -1.0]) > 0) & (T.tensor([2.0, 2.0]) > 1))

    check_case(case, "logic")
