"""addmm: out ← a·b + β·out in place, through NumPy's own BLAS and through the NumPy fallback."""

import os

import numpy as np
import pytest

from chainrule import _blas
from chainrule._blas import addmm


@pytest.fixture(params=["BLAS", "NumPy"])
def products(request, monkeypatch):
    if request.param == "NumPy":
        monkeypatch.setattr(_blas, "_GEMMS", {})
    return request.param


def _operands(dtype, a_transposed, b_transposed):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 4) if a_transposed else (4, 5)).astype(dtype)
    b = rng.standard_normal((6, 5) if b_transposed else (5, 6)).astype(dtype)
    return (a.T if a_transposed else a), (b.T if b_transposed else b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("a_transposed", [False, True])
@pytest.mark.parametrize("b_transposed", [False, True])
@pytest.mark.parametrize("beta", [0.0, 1.0, 0.5])
def test_addmm_adds_the_product_into_a_strided_view(products, dtype, a_transposed, b_transposed, beta):
    a, b = _operands(dtype, a_transposed, b_transposed)
    base = np.arange(8 * 9, dtype=dtype).reshape(8, 9)
    if beta == 0:
        base[::2] = np.nan  # β = 0 must ignore what the output held, NaN included
    before = base.copy()
    out = base[::2, 2:8]  # rows 18 apart: the leading dimension is not the width
    expected = a.astype(np.float64) @ b.astype(np.float64) + (beta * before[::2, 2:8] if beta else 0)

    assert addmm(a, b, out, beta) is out
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(base[::2, 2:8], expected, rtol=rtol, atol=rtol)
    untouched = np.ones(base.shape, bool)
    untouched[::2, 2:8] = False
    np.testing.assert_array_equal(base[untouched], before[untouched])


def test_addmm_with_operands_blas_cannot_read_falls_back_to_numpy():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((6, 8))[::2, ::2]  # no unit stride in either dimension
    b = rng.standard_normal((4, 3)).astype(np.float32)  # another dtype
    out = np.zeros((3, 3))
    np.testing.assert_allclose(addmm(a, b, out, 1.0), a @ b.astype(np.float64), rtol=1e-12)


def test_addmm_where_out_is_an_operand(products):
    """The product is formed before ``out`` changes (BLAS would read what it already wrote)."""
    rng = np.random.default_rng(2)
    x, b = rng.standard_normal((300, 300)), rng.standard_normal((300, 300))
    expected = x @ b + 0.5 * x
    np.testing.assert_allclose(addmm(x, b, x, 0.5), expected, rtol=1e-12, atol=1e-12)


def test_addmm_leaves_a_read_only_out_alone(products):
    out = np.zeros((2, 2))
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        addmm(np.ones((2, 3)), np.ones((3, 2)), out, 0.0)
    np.testing.assert_array_equal(out, 0)


def test_addmm_into_a_field_of_a_structured_array_touches_only_that_field():
    """Strides that are no multiple of the item size: BLAS cannot take them, NumPy can."""
    record = np.zeros((3, 3), dtype=[("a", "<f4"), ("b", "u1")])
    addmm(np.ones((3, 2), np.float32), np.ones((2, 3), np.float32), record["a"], 0.0)
    np.testing.assert_array_equal(record["a"], 2)
    np.testing.assert_array_equal(record["b"], 0)


def test_addmm_names_mismatched_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\) · \(4, 5\)"):
        addmm(np.ones((2, 3)), np.ones((4, 5)), np.ones((2, 5)))
    with pytest.raises(ValueError, match=r"do not make \(2, 4\)"):
        addmm(np.ones((2, 3)), np.ones((3, 5)), np.ones((2, 4)))


def test_numpy_wheels_blas_is_found_and_used():
    """Where NumPy ships its OpenBLAS beside itself (the PyPI wheels), addmm calls it directly."""
    if not _blas._library_paths():
        pytest.skip("this NumPy does not ship its BLAS library beside itself")
    if os.environ.get("CHAINRULE_NO_BLAS"):
        pytest.skip("CHAINRULE_NO_BLAS is set")
    assert _blas.uses_blas
    out = np.zeros((2, 2), np.float32)
    assert _blas._blas_addmm(np.ones((2, 3), np.float32), np.ones((3, 2), np.float32), out, 0.0)
    np.testing.assert_array_equal(out, 3)
