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
X = randn(2, 3, 4, seed=8)
S = np.array(1.5)  # a 0-d tensor: PyTorch lets reductions use dims 0 and -1 on it


OUT_OF_RANGE = {"3": (X, 3), "-4": (X, -4), "tuple_5": (X, (0, 5)), "0d_1": (S, 1), "0d_-2": (S, -2)}


@pytest.mark.parametrize("name,case", [(n, c) for n in ["sum", "mean", "amax", "max"] for c in OUT_OF_RANGE
                                       if not (n == "max" and c == "tuple_5")])  # max takes one dim only
def test_dim_out_of_range_raises_index_error_like_torch(name, case):
    torch = pytest.importorskip("torch")
    x, dim = OUT_OF_RANGE[case]
    bad = dim[-1] if isinstance(dim, tuple) else dim
    with pytest.raises(IndexError, match="Dimension out of range"):
        getattr(torch.tensor(x), name)(dim)
    with pytest.raises(IndexError, match=rf"^{name}: dim {bad} is out of range for a {x.ndim}-d tensor"):
        getattr(cr.tensor(x), name)(dim)


@pytest.mark.parametrize("name", ["sum", "mean", "amax"])
@pytest.mark.parametrize("x,dim,repeated", [(X, (0, 0), 0), (X, (2, -3, 0), 0), (X, (1, -2), 1), (S, (0, -1), 0)],
                         ids=["0_0", "wrapped", "1_-2", "0d"])
def test_repeated_dims_name_the_op(name, x, dim, repeated):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="appears multiple times"):
        getattr(torch.tensor(x), name)(dim)
    with pytest.raises(ValueError, match=rf"^{name}: dim {repeated} appears more than once in dims"):
        getattr(cr.tensor(x), name)(dim)


def test_max_rejects_a_tuple_of_dims():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):
        torch.tensor(X).max((0, 1))
    with pytest.raises(TypeError, match=r"max: dim must be an int, got \(0, 1\)"):
        cr.tensor(X).max((0, 1))


@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean", "amax", "max"])
def test_0d_reductions_over_dim_0_and_minus_1_parity(name, dim, keepdim):
    torch = pytest.importorskip("torch")
    if name == "max":
        parity(lambda t: t.max(dim, keepdim).values, lambda t: t.max(dim, keepdim).values, S, exact=True)
        ours, theirs = cr.tensor(S).max(dim, keepdim).indices, torch.tensor(S).max(dim, keepdim).indices
        assert ours.shape == tuple(theirs.shape) and ours.dtype == cr.int64 and ours.item() == theirs.item()
    else:
        parity(_call(name, dim, keepdim), _call(name, dim, keepdim), S, exact=True)


# ------------------------------------------------------------------ NaN
NAN, INF = np.nan, np.inf
NAN_INPUTS = {
    "one_nan": [1.0, NAN, 3.0],
    "two_nans": [NAN, NAN, 3.0],
    "nan_2d": [[1.0, NAN], [2.0, 3.0]],
    "nan_column": [[NAN, 2.0], [NAN, 1.0]],
    "infinite_ties": [INF, 1.0, INF],
    "all_nan": [NAN, NAN],
}


@pytest.mark.parametrize("name", NAN_INPUTS)
def test_max_of_everything_sends_the_gradient_to_the_nans_like_torch(name):
    # torch's evenly_distribute_backward: a NaN maximum shares the gradient among the NaNs
    cts, _, _, _ = parity(lambda t: t.max(), lambda t: t.max(), np.array(NAN_INPUTS[name]), exact=True)
    assert not np.isnan(cts[0].grad.data).any()


def test_max_of_one_nan_gradient_is_one_hot():
    x = cr.tensor([1.0, NAN, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0, 0.0])


@pytest.mark.parametrize("name", NAN_INPUTS)
@pytest.mark.parametrize("dim", [0, -1])
def test_max_along_dim_with_nans_picks_torchs_index(name, dim):
    torch = pytest.importorskip("torch")
    x = np.array(NAN_INPUTS[name], dtype=np.float32)
    parity(lambda t: t.max(dim).values, lambda t: t.max(dim).values, x, exact=True)
    np.testing.assert_array_equal(cr.tensor(x).max(dim).indices.data, torch.tensor(x).max(dim).indices.numpy())


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # 0/0 is how the NaNs arise
@pytest.mark.parametrize("name", NAN_INPUTS)
@pytest.mark.parametrize("dim", [None, 0])
def test_amax_with_nans_keeps_torchs_nan_gradient(name, dim):
    # amax's backward is not max's: torch divides by the count of x == result, 0 under a NaN
    parity(_call("amax", dim, False), _torch_call("amax", dim, False), np.array(NAN_INPUTS[name]), exact=True)


def test_mean_of_integer_tensor_names_dtype():
    with pytest.raises(TypeError, match="int64"):
        cr.tensor([1, 2, 3]).mean()


def test_sum_of_integers_stays_integer():
    out = cr.tensor([[1, 2], [3, 4]]).sum(0)
    assert out.dtype == cr.int64 and out.tolist() == [4, 6]


@pytest.mark.parametrize("dim, keepdim", [(None, False), (1, False), ((0, 2), True), (-1, True)])
def test_norm_fd(dim, keepdim):
    fd_check(lambda t: t.norm(dim=dim, keepdim=keepdim), randn(3, 4, 2, seed=31))


def test_norm_gradient_is_zero_at_zero_as_in_torch():
    x = cr.zeros(2, 3, dtype=cr.float64, requires_grad=True)
    (x.norm(dim=1) + x.norm()).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum_fd_and_integer_dtype(dim):
    fd_check(lambda t: t.cumsum(dim), randn(3, 4, seed=32))
    assert cr.tensor([[1, 2], [3, 4]], dtype=cr.int64).cumsum(dim).tolist() == np.cumsum([[1, 2], [3, 4]], axis=dim).tolist()


@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), (-1, False)])
def test_prod_finite_differences(dim, keepdim):
    fd_check(lambda t: t.prod(dim, keepdim=keepdim) if dim is not None else t.prod(), randn(3, 4, seed=7))


def test_prod_gradient_with_zeros_against_torch():
    """A zero among the factors: the gradient is the product of the others, not 0/0."""
    x = np.array([[1.0, 0.0, 3.0], [0.0, 0.0, 2.0], [2.0, -1.0, 4.0]])
    parity(lambda t: t.prod(1), lambda t: t.prod(1), x)
    parity(lambda t: t.prod(), lambda t: t.prod(), x[2:])
