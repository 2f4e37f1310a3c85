"""sum, mean, amax, max (all / along a dim): finite differences, PyTorch parity incl. ties,
hypothesis over random shapes and dims."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from gradcheck import distinct, fd_check, parity, randn, rng

DIMS = [None, 0, 1, -1, (0, 2), (-1, 0), (0, 1, 2), ()]


def _call(name, dim, keepdim):
    if dim is None and not keepdim:
        return lambda t: getattr(t, name)()
    return lambda t: getattr(t, name)(dim=dim, keepdim=keepdim)


# ------------------------------------------------------------------ finite differences
@pytest.mark.parametrize("name", ["sum", "mean", "amax"])
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_reduction_fd(name, dim, keepdim):
    x = distinct((2, 3, 4), seed=1)  # no ties: amax is smooth at x
    fd_check(_call(name, dim, keepdim), x)


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_dim_values_fd(dim, keepdim):
    x = distinct((3, 4, 2), seed=2)
    out = fd_check(lambda t: t.max(dim, keepdim=keepdim).values, x)
    np.testing.assert_array_equal(out.data, x.max(axis=dim, keepdims=keepdim))


def test_max_all_fd():
    fd_check(lambda t: t.max(), distinct((3, 4), seed=3))


def test_reductions_of_0d_and_1d_fd():
    fd_check(lambda t: t.sum(), np.array(1.5))
    fd_check(lambda t: t.mean(0), randn(5, seed=4))
    fd_check(lambda t: t.amax(0, keepdim=True), distinct((5,), seed=4))


def test_module_level_functions_fd():
    x = distinct((2, 3), seed=5)
    fd_check(lambda t: cr.sum(t, 1) + cr.mean(t, 1) + cr.amax(t, 1) + cr.max(t, 1).values, x)


# ------------------------------------------------------------------ PyTorch parity
def _torch_call(name, dim, keepdim):
    if dim is None and not keepdim:
        return lambda t: getattr(t, name)()
    if dim is None:  # torch.amax has no dim=None; reduce every axis instead
        return lambda t: getattr(t, name)(dim=tuple(range(t.ndim)), keepdim=keepdim)
    return lambda t: getattr(t, name)(dim=dim, keepdim=keepdim)


@pytest.mark.parametrize("name", ["sum", "mean", "amax"])
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_reduction_parity(name, dim, keepdim):
    parity(_call(name, dim, keepdim), _torch_call(name, dim, keepdim), randn(2, 3, 4, seed=6))


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_dim_parity(dim, keepdim):
    _, _, _, _ = parity(lambda t: t.max(dim, keepdim).values, lambda t: t.max(dim, keepdim).values,
                        randn(3, 4, 2, seed=7))
    torch = pytest.importorskip("torch")
    x = randn(3, 4, 2, seed=7).astype(np.float32)
    ours, theirs = cr.tensor(x).max(dim, keepdim), torch.tensor(x).max(dim, keepdim)
    np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())
    assert ours.indices.dtype == cr.int64


TIES = np.array([[3.0, 1.0, 3.0, 3.0],
                 [2.0, 2.0, 0.0, -1.0],
                 [5.0, 4.0, 5.0, 1.0]])


@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_amax_ties_share_the_gradient_like_torch(dim, keepdim):
    parity(_call("amax", dim, keepdim), _torch_call("amax", dim, keepdim), TIES, exact=True)


def test_max_all_ties_share_the_gradient_like_torch():
    x = np.array([[1.0, 7.0, 7.0], [7.0, 0.0, 2.0]])
    cts, _, _, _ = parity(lambda t: t.max(), lambda t: t.max(), x, exact=True)
    # the gradient is split three ways, exactly
    g = cts[0].grad.data
    assert np.count_nonzero(g) == 3 and np.all(g[g != 0] == g[0, 1])


@pytest.mark.parametrize("dim", [0, 1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_dim_ties_pick_torchs_index(dim, keepdim):
    torch = pytest.importorskip("torch")
    parity(lambda t: t.max(dim, keepdim).values, lambda t: t.max(dim, keepdim).values, TIES, exact=True)
    ours, theirs = cr.tensor(TIES).max(dim, keepdim), torch.tensor(TIES).max(dim, keepdim)
    np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())


# ------------------------------------------------------------------ hypothesis
@st.composite
def _shape_and_dims(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    ndim = len(shape)
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        dim = None
    elif kind == "int":
        dim = draw(st.integers(-ndim, ndim - 1))
    else:
        axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
        dim = tuple(a - ndim if draw(st.booleans()) else a for a in axes)  # mix negative axes in
    return shape, dim, draw(st.booleans())


@settings(max_examples=40, deadline=None)
@given(case=_shape_and_dims(), name=st.sampled_from(["sum", "mean", "amax"]), seed=st.integers(0, 2**16))
def test_random_reductions_match_torch(case, name, seed):
    pytest.importorskip("torch")
    shape, dim, keepdim = case
    x = rng(seed).standard_normal(shape)
    cts, _, co, to = parity(_call(name, dim, keepdim), _torch_call(name, dim, keepdim), x, seed=seed)
    assert cts[0].grad.shape == shape


@settings(max_examples=25, deadline=None)
@given(case=_shape_and_dims(), seed=st.integers(0, 2**16))
def test_random_max_dim_matches_torch(case, seed):
    torch = pytest.importorskip("torch")
    shape, dim, keepdim = case
    dim = 0 if dim is None else dim if isinstance(dim, int) else dim[0]
    # small integers: ties are frequent, and torch's choice of index must be ours
    x = rng(seed).integers(-2, 3, size=shape).astype(np.float32)
    parity(lambda t: t.max(dim, keepdim).values, lambda t: t.max(dim, keepdim).values, x, exact=True)
    np.testing.assert_array_equal(cr.tensor(x).max(dim, keepdim).indices.data,
                                  torch.tensor(x).max(dim, keepdim).indices.numpy())


# ------------------------------------------------------------------ errors and dtypes
@pytest.mark.parametrize("name", ["sum", "mean", "amax"])
def test_dim_out_of_range(name):
    with pytest.raises(IndexError, match="out of range"):
        getattr(cr.randn(2, 3), name)(dim=2)


def test_mean_of_integer_tensor_names_dtype():
    with pytest.raises(TypeError, match="int64"):
        cr.tensor([1, 2, 3]).mean()


def test_sum_of_integers_stays_integer():
    out = cr.tensor([[1, 2], [3, 4]]).sum(0)
    assert out.dtype == cr.int64 and out.tolist() == [4, 6]
