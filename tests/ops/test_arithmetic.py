"""+ − * / ** neg, matmul, linear: finite differences (float64), PyTorch parity (float32),
broadcasting properties, and error messages."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import chainrule as cr
from chainrule.nn import functional as F
from gradcheck import away_from, fd_check, parity, randn, rng

# PyTorch is imported lazily (pytest.importorskip inside gradcheck.parity), so the
# finite-difference tests still run where it is not installed.

BINARY = {
    "add": (lambda a, b: a + b),
    "sub": (lambda a, b: a - b),
    "mul": (lambda a, b: a * b),
    "div": (lambda a, b: a / b),
}

# (shape of a, shape of b): equal, broadcast both ways, against a 0-d tensor, size-1 axes.
BROADCAST_SHAPES = [
    ((2, 3), (2, 3)),
    ((3, 1, 4), (5, 4)),
    ((5, 4), (3, 1, 4)),
    ((4,), ()),
    ((), (2, 3)),
    ((2, 3), (1, 1)),
    ((2, 1), (1, 3)),
]


def _denominator(shape, seed):
    """Values away from 0 so a / b is smooth."""
    return away_from(shape, kinks=(0.0,), margin=0.5, seed=seed)


def _operands(name, sa, sb):
    a = randn(*sa, seed=1)
    b = _denominator(sb, 2) if name == "div" else randn(*sb, seed=2)
    return a, b


# ------------------------------------------------------------------ finite differences
@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("sa,sb", BROADCAST_SHAPES)
def test_binary_fd(name, sa, sb):
    fd_check(BINARY[name], *_operands(name, sa, sb))


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("scalar_first", [False, True])
def test_binary_with_python_scalar_fd(name, scalar_first):
    x = _denominator((2, 3), 3)
    if scalar_first:
        out = fd_check(lambda t: BINARY[name](1.7, t), x)
        np.testing.assert_allclose(out.data, BINARY[name](1.7, x))
    else:
        out = fd_check(lambda t: BINARY[name](t, -2.5), x)
        np.testing.assert_allclose(out.data, BINARY[name](x, -2.5))


@pytest.mark.parametrize("name", BINARY)
def test_binary_only_one_side_requires_grad(name):
    a, b = _operands(name, (3, 1, 4), (5, 4))
    fd_check(BINARY[name], a, b, requires_grad=[False, True])
    fd_check(BINARY[name], a, b, requires_grad=[True, False])


@pytest.mark.parametrize("exponent", [2.0, 3.0, -1.5, 0.5, 0.0])
def test_pow_scalar_exponent_fd(exponent):
    base = rng(4).uniform(0.5, 2.0, size=(2, 3))
    out = fd_check(lambda a: a ** exponent, base)
    np.testing.assert_allclose(out.data, base ** exponent)


def test_pow_integer_exponent_negative_base_fd():
    fd_check(lambda a: a ** 3, away_from((2, 3), seed=5))


@pytest.mark.parametrize("sa,sb", [((2, 3), (2, 3)), ((3, 1, 4), (5, 4)), ((4,), ())])
def test_pow_tensor_exponent_fd(sa, sb):
    base = rng(6).uniform(0.5, 2.0, size=sa)
    exponent = rng(7).uniform(-2.0, 2.0, size=sb)
    fd_check(lambda a, b: a ** b, base, exponent)


def test_rpow_fd():
    fd_check(lambda b: 2.5 ** b, randn(2, 3, seed=8))


def test_neg_fd():
    fd_check(lambda a: -a, randn(2, 3, seed=9))


MATMUL_SHAPES = [
    ((3,), (3,)),             # dot product
    ((2, 3), (3,)),           # matrix-vector
    ((3,), (3, 4)),           # vector-matrix
    ((2, 3), (3, 4)),
    ((2, 2, 3), (2, 3, 4)),   # batched
    ((2, 1, 2, 3), (3, 3, 4)),  # broadcast batch
    ((3,), (2, 3, 4)),        # 1-d against a batch
    ((2, 2, 3), (3,)),
    ((2, 3), (2, 3, 4)),      # matrix against a batch
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul_fd(sa, sb):
    a, b = randn(*sa, seed=10), randn(*sb, seed=11)
    out = fd_check(lambda x, y: x @ y, a, b)
    np.testing.assert_allclose(out.data, a @ b, rtol=1e-12)


@pytest.mark.parametrize("x_shape", [(4, 3), (2, 4, 3), (3,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_fd(x_shape, bias):
    x, w, b = randn(*x_shape, seed=12), randn(5, 3, seed=13), randn(5, seed=14)
    if bias:
        out = fd_check(lambda x, w, b: F.linear(x, w, b), x, w, b)
        np.testing.assert_allclose(out.data, x @ w.T + b, rtol=1e-12)
    else:
        out = fd_check(lambda x, w: F.linear(x, w), x, w)
        np.testing.assert_allclose(out.data, x @ w.T, rtol=1e-12)


def test_linear_only_weight_requires_grad_fd():
    fd_check(lambda x, w, b: F.linear(x, w, b), randn(4, 3, seed=15), randn(5, 3, seed=16),
             randn(5, seed=17), requires_grad=[False, True, False])


# ------------------------------------------------------------------ PyTorch parity
@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("sa,sb", BROADCAST_SHAPES)
def test_binary_parity(name, sa, sb):
    parity(BINARY[name], BINARY[name], *_operands(name, sa, sb))


@pytest.mark.parametrize("name", BINARY)
def test_binary_python_scalar_parity(name):
    x = _denominator((2, 3), 3)
    parity(lambda t: BINARY[name](t, 0.3), lambda t: BINARY[name](t, 0.3), x)
    parity(lambda t: BINARY[name](0.3, t), lambda t: BINARY[name](0.3, t), x)


@pytest.mark.parametrize("exponent", [2.0, 3.0, -1.5, 0.5, 0.0, 2])
def test_pow_scalar_parity(exponent):
    base = rng(4).uniform(0.5, 2.0, size=(2, 3))
    parity(lambda a: a ** exponent, lambda a: a ** exponent, base)


def test_pow_tensor_parity():
    base = rng(6).uniform(0.5, 2.0, size=(3, 1, 4))
    exponent = rng(7).uniform(-2.0, 2.0, size=(5, 4))
    parity(lambda a, b: a ** b, lambda a, b: a ** b, base, exponent)
    parity(lambda b: 2.5 ** b, lambda b: 2.5 ** b, exponent)


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # 0 ** -1 = inf, on purpose
def test_pow_at_zero_base_and_zero_exponent_parity():
    # 0 ** 0 = 1 with gradient 0 (not 0 · 0⁻¹ = nan); d(aᵇ)/db at a = 0 is 0 for b >= 0
    # and −inf for b < 0, as PyTorch.
    base = np.array([0.0, 0.0, 0.0, 2.0, 0.0])
    exponent = np.array([0.0, 2.0, 1.0, 0.0, -1.0])
    parity(lambda a, b: a ** b, lambda a, b: a ** b, base, exponent, exact=True)
    parity(lambda a: a ** 0.0, lambda a: a ** 0.0, np.array([0.0, 1.0, -2.0]), exact=True)


def test_neg_parity():
    parity(lambda a: -a, lambda a: -a, randn(2, 3, seed=9))


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul_parity(sa, sb):
    parity(lambda x, y: x @ y, lambda x, y: x @ y, randn(*sa, seed=10), randn(*sb, seed=11))


@pytest.mark.parametrize("x_shape", [(4, 3), (2, 4, 3), (3,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_parity(x_shape, bias):
    TF = pytest.importorskip("torch").nn.functional
    x, w, b = randn(*x_shape, seed=12), randn(5, 3, seed=13), randn(5, seed=14)
    if bias:
        parity(F.linear, TF.linear, x, w, b)
    else:
        parity(F.linear, TF.linear, x, w)


def test_python_scalar_keeps_its_value_and_category():
    torch = pytest.importorskip("torch")
    # A float never takes an integer tensor's dtype (0.5 must not become 0) ...
    np.testing.assert_array_equal((cr.tensor([1, 2]) + 0.5).data, [1.5, 2.5])
    np.testing.assert_array_equal((cr.tensor([1, 2]) * 0.5).data, (torch.tensor([1, 2]) * 0.5).numpy())
    # ... an int never takes a bool tensor's ...
    out = cr.tensor([True, False]) * 2
    assert out.dtype == cr.int64
    np.testing.assert_array_equal(out.data, [2, 0])
    # ... but takes a float tensor's dtype, as PyTorch's "weak" scalars do.
    assert (cr.tensor([1.0, 2.0]) * 2).dtype == cr.float32
    assert (cr.tensor([1.0], dtype=cr.float64) + 1.5).dtype == cr.float64
    assert (cr.tensor([1, 2]) + 3).dtype == cr.int64


# ------------------------------------------------------------ broadcasting properties
BINARY_TORCH = {**BINARY, "pow": (lambda a, b: a ** b), "maximum": None}


@settings(max_examples=25, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3),
       name=st.sampled_from(["add", "sub", "mul", "div", "pow", "maximum"]),
       seed=st.integers(0, 2**16))
def test_broadcast_gradients_match_torch(shapes, name, seed):
    torch = pytest.importorskip("torch")
    (sa, sb), out_shape = shapes.input_shapes, shapes.result_shape
    r = rng(seed)
    a = r.uniform(0.5, 2.0, size=sa).astype(np.float32)
    b = (r.uniform(0.5, 2.0, size=sb) * r.choice([-1, 1], size=sb)).astype(np.float32)
    if name == "maximum":
        ours, theirs = cr.maximum, torch.maximum
    else:
        ours = theirs = BINARY_TORCH[name]
    _, (ta, tb), co, _ = parity(ours, theirs, a, b, seed=seed)
    assert co.shape == out_shape


@settings(max_examples=15, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       seed=st.integers(0, 2**16))
def test_broadcast_mul_gradient_is_unbroadcast_sum(shapes, seed):
    """Engine-only property (no torch): the gradient of Σ u·(a*b) w.r.t. a is Σ over the
    broadcast axes of u·b, reshaped to a's shape."""
    (sa, sb), out_shape = shapes.input_shapes, shapes.result_shape
    r = rng(seed)
    a_np, b_np = r.standard_normal(sa), r.standard_normal(sb)
    u = r.standard_normal(out_shape)
    a, b = cr.tensor(a_np, requires_grad=True), cr.tensor(b_np, requires_grad=True)
    (a * b).backward(u)
    assert a.grad.shape == sa and b.grad.shape == sb
    # Independent reference: walk every output element and add its contribution to the
    # element of `a` that broadcasting read (index 0 along a's size-1 axes).
    expected = np.zeros(sa)
    b_full = np.broadcast_to(b_np, out_shape)
    for idx in np.ndindex(out_shape):
        a_idx = tuple(0 if n == 1 else i for i, n in zip(idx[len(idx) - len(sa):], sa))
        expected[a_idx] += u[idx] * b_full[idx]
    np.testing.assert_allclose(a.grad.data, expected, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("sa,sb", [((2, 3), (4, 5)), ((3,), (4,)), ((2, 2, 3), (2, 4, 5))])
def test_matmul_shape_mismatch_names_op_and_shapes(sa, sb):
    with pytest.raises(ValueError, match="matmul") as info:
        cr.randn(*sa) @ cr.randn(*sb)
    assert str(sa) in str(info.value) and str(sb) in str(info.value)


def test_matmul_0d_operand_is_rejected():
    with pytest.raises(ValueError, match="matmul"):
        cr.tensor(2.0) @ cr.randn(2)


def test_linear_shape_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match="linear") as info:
        F.linear(cr.randn(4, 3), cr.randn(5, 2))
    assert "(4, 3)" in str(info.value) and "(5, 2)" in str(info.value)


def test_integer_tensor_where_floats_needed_names_dtype():
    # (division and powers of integers compute as PyTorch's do: see test_tensor's promotion table)
    with pytest.raises(TypeError, match="int64"):
        cr.tensor([[1, 2], [3, 4]]) @ cr.tensor([[1, 2], [3, 4]])


def test_linear_integer_input_names_dtype():
    with pytest.raises(TypeError, match="int64"):
        F.linear(cr.tensor([[1, 2, 3]]), cr.randn(2, 3))


def test_pow_of_bools_is_refused_clearly():
    # a bool base with an int exponent promotes to int64 (as in PyTorch); bool ** bool NumPy
    # would compute in int8, so it is refused
    assert (cr.tensor([True, False]) ** 2).tolist() == [1, 0]
    with pytest.raises(TypeError, match="pow: a bool base"):
        cr.tensor([True, False]) ** True
