"""exp, log, sqrt, abs, clip, where, maximum: finite differences away from kinks,
PyTorch parity including exact behaviour at the kinks and ties."""

import numpy as np
import pytest

import chainrule as cr
from gradcheck import away_from, fd_check, parity, randn, rng


def _positive(*shape, seed=0):
    return rng(seed).uniform(0.3, 3.0, size=shape)


# ------------------------------------------------------------------ finite differences
def test_exp_fd():
    out = fd_check(lambda t: t.exp(), randn(2, 3, seed=1))
    np.testing.assert_allclose(out.data, np.exp(randn(2, 3, seed=1)))


def test_log_fd():
    fd_check(lambda t: t.log(), _positive(2, 3, seed=2))


def test_sqrt_fd():
    fd_check(lambda t: t.sqrt(), _positive(2, 3, seed=3))


def test_abs_fd():
    fd_check(lambda t: t.abs(), away_from((3, 4), seed=4))


@pytest.mark.parametrize("lo,hi", [(-0.5, 0.7), (-0.5, None), (None, 0.7)])
def test_clip_fd(lo, hi):
    x = away_from((4, 5), kinks=[k for k in (lo, hi) if k is not None], margin=0.05, seed=5)
    out = fd_check(lambda t: t.clip(lo, hi), x)
    np.testing.assert_array_equal(out.data, np.clip(x, lo, hi))
    fd_check(lambda t: cr.clamp(t, lo, hi), x)


def test_module_level_functions_fd():
    x = _positive(2, 3, seed=6)
    fd_check(lambda t: cr.exp(t) + cr.log(t) + cr.sqrt(t) + cr.abs(t), x)


@pytest.mark.parametrize("cond_shape,a_shape,b_shape", [
    ((2, 3), (2, 3), (2, 3)),
    ((2, 3), (3,), (2, 1)),      # broadcasting every way
    ((1, 3), (2, 3), ()),
])
def test_where_fd(cond_shape, a_shape, b_shape):
    cond = rng(7).random(cond_shape) > 0.5
    a, b = randn(*a_shape, seed=8), randn(*b_shape, seed=9)
    out = fd_check(lambda c, x, y: cr.where(c, x, y), cond, a, b)
    np.testing.assert_array_equal(out.data, np.where(cond, a, b))


def test_where_with_python_scalar_branch_fd():
    cond = np.array([[True, False, True], [False, False, True]])
    x = randn(2, 3, seed=10)
    out = fd_check(lambda c, t: cr.where(c, t, 0.5), cond, x)
    np.testing.assert_array_equal(out.data, np.where(cond, x, 0.5))
    out = fd_check(lambda c, t: cr.where(c, -2.0, t), cond, x)
    np.testing.assert_array_equal(out.data, np.where(cond, -2.0, x))


@pytest.mark.parametrize("a_shape,b_shape", [((2, 3), (2, 3)), ((3, 1, 4), (5, 4)), ((2, 3), ())])
def test_maximum_fd(a_shape, b_shape):
    a, b = randn(*a_shape, seed=11), randn(*b_shape, seed=12)
    fd_check(cr.maximum, a, b)


# ------------------------------------------------------------------ PyTorch parity
def test_exp_log_sqrt_parity():
    torch = pytest.importorskip("torch")
    x = _positive(3, 4, seed=13)
    parity(lambda t: t.exp(), lambda t: t.exp(), randn(3, 4, seed=13))
    parity(lambda t: t.log(), torch.log, x)
    parity(lambda t: t.sqrt(), torch.sqrt, x)


def test_log_and_sqrt_at_zero_parity():
    torch = pytest.importorskip("torch")
    # log(0) = -inf with gradient inf; sqrt(0) = 0 with gradient inf.
    x = np.array([0.0, 1.0, 4.0])
    parity(lambda t: t.log(), torch.log, x, exact=True)
    parity(lambda t: t.sqrt(), torch.sqrt, x, exact=True)


def test_abs_at_zero_parity():
    # d|x|/dx = sign(x): 0 at 0 (and at -0.0)
    x = np.array([-1.5, -0.0, 0.0, 2.0, 0.0])
    cts, _, _, _ = parity(lambda t: t.abs(), lambda t: t.abs(), x, exact=True)
    assert cts[0].grad.data[1] == 0 and cts[0].grad.data[2] == 0


@pytest.mark.parametrize("lo,hi", [(-0.5, 0.5), (-0.5, None), (None, 0.5), (0.5, 0.5), (0.7, -0.7)])
def test_clip_at_its_bounds_parity(lo, hi):
    torch = pytest.importorskip("torch")
    # values exactly on the bounds keep their gradient (bounds are inclusive); min > max gives max
    x = np.array([-1.0, -0.5, -0.25, 0.0, 0.5, 0.7, -0.7, 2.0], dtype=np.float32)
    parity(lambda t: t.clip(lo, hi), lambda t: torch.clamp(t, lo, hi), x, exact=True)


def test_where_parity():
    torch = pytest.importorskip("torch")
    cond = rng(14).random((2, 3)) > 0.5
    parity(lambda c, a, b: cr.where(c, a, b), torch.where, cond, randn(3, seed=15), randn(2, 1, seed=16))
    parity(lambda c, a: cr.where(c, a, 0.5), lambda c, a: torch.where(c, a, 0.5),
           cond, randn(2, 3, seed=17), exact=True)


def test_maximum_parity_with_ties():
    torch = pytest.importorskip("torch")
    # ties give each side half the gradient
    a = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]])
    b = np.array([[1.0, 3.0, 2.0], [0.0, -1.0, 4.0]])
    cts, _, _, _ = parity(cr.maximum, torch.maximum, a, b, exact=True)
    parity(cr.maximum, torch.maximum, np.array([[1.0, 2.0], [2.0, 0.0]]), np.array([2.0, 0.0]), exact=True)
    parity(cr.maximum, torch.maximum, randn(3, 1, 4, seed=18), randn(5, 4, seed=19))


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("op", [lambda t: t.abs(), lambda t: t.clip(0, 1)])
def test_integer_input_names_dtype(op):
    # (exp, log and sqrt compute integers in float32, as PyTorch's do)
    with pytest.raises(TypeError, match="int64"):
        op(cr.tensor([1, 2, 3]))


def test_clip_needs_a_bound():
    with pytest.raises(ValueError, match="clip"):
        cr.randn(3).clip()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_maximum_and_abs_gradients_at_nan_follow_torch(dtype):
    # maximum: a side loses its gradient only where strictly smaller, so NaN on either side
    # gives both all of it; abs: the sign of NaN counts as 0
    torch = pytest.importorskip("torch")
    a = np.array([np.nan, 1, 2, 3, np.nan], dtype)
    b = np.array([1, np.nan, 2, 1, np.nan], dtype)
    weights = np.arange(1, 6).astype(dtype)
    ca, cb = cr.tensor(a, requires_grad=True), cr.tensor(b, requires_grad=True)
    (cr.maximum(ca, cb) * cr.tensor(weights)).sum().backward()
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (torch.maximum(ta, tb) * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(ca.grad.data, ta.grad.numpy())
    np.testing.assert_array_equal(cb.grad.data, tb.grad.numpy())
    x = cr.tensor(np.array([np.nan, -1, 0, 2], dtype), requires_grad=True)
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0, -1, 0, 1])


@pytest.mark.parametrize("condition", [np.array([True, False]), [True, False]], ids=["array", "list"])
def test_where_takes_a_plain_condition(condition):
    out = cr.where(condition, cr.tensor([1.0, 2.0]), 0.5)
    assert out.dtype == cr.float32 and out.tolist() == [1.0, 0.5]


def test_log1p_expm1_finite_differences_and_tiny_values():
    fd_check(lambda t: t.log1p(), _positive(2, 3, seed=5) - 0.5)
    fd_check(lambda t: t.expm1(), randn(2, 3, seed=6))
    tiny = cr.tensor([1e-12], dtype=cr.float64)
    assert tiny.log1p().item() == pytest.approx(1e-12, rel=1e-12)
    assert tiny.expm1().item() == pytest.approx(1e-12, rel=1e-12)
