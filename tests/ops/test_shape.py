"""reshape, permute/transpose, flatten, (un)squeeze, getitem, cat, stack, clone, cast."""

import numpy as np
import pytest

import chainrule as cr
from gradcheck import fd_check, parity, randn

X = randn(2, 3, 4, seed=1)

# (name, chainrule/torch function): the same code runs on both.
SHAPE_OPS = {
    "reshape": lambda t: t.reshape(4, 6),
    "reshape_tuple_-1": lambda t: t.reshape((3, -1)),
    "view": lambda t: t.view(-1),
    "permute": lambda t: t.permute(2, 0, 1),
    "permute_negative": lambda t: t.permute(0, -1, 1),
    "transpose": lambda t: t.transpose(0, 2),
    "transpose_negative": lambda t: t.transpose(-1, -2),
    "T_2d": lambda t: t.reshape(6, 4).T,
    "flatten": lambda t: t.flatten(),
    "flatten_1": lambda t: t.flatten(1),
    "flatten_0_1": lambda t: t.flatten(0, 1),
    "flatten_-2_-1": lambda t: t.flatten(-2, -1),
    "unsqueeze": lambda t: t.unsqueeze(1),
    "unsqueeze_-1": lambda t: t.unsqueeze(-1),
    "squeeze": lambda t: t.reshape(2, 1, 3, 1, 4).squeeze(),
    "squeeze_dim": lambda t: t.reshape(2, 1, 12).squeeze(1),
    "clone": lambda t: t.clone(),
    "chain": lambda t: t.permute(1, 2, 0).reshape(12, 2).T.flatten(),
}

# Indices that work the same on both libraries.
INDICES = {
    "int": 1,
    "negative_int": -1,
    "slice": slice(0, 2),
    "step_slice": (slice(None), slice(None, None, 2)),
    "negative_step": (slice(None), slice(None, None, -1), slice(1, None, 2)),
    "int_and_slice": (1, slice(1, 3), 2),
    "ellipsis": (Ellipsis, 0),
    "newaxis": (slice(None), None, 0),
    "int_array_repeated": np.array([0, 1, 1, 0, 1]),
    "int_array_axis1_repeated": (slice(None), np.array([2, 0, 2, 2])),
    "two_arrays_repeated": (np.array([0, 1, 0, 0]), np.array([2, 2, 1, 2])),
    "2d_int_array": np.array([[0, 1], [1, 1]]),
    "array_with_slice_after": (np.array([1, 1, 0]), slice(0, 2), 3),
    "bool_mask_full": (np.arange(24).reshape(2, 3, 4) % 3 == 0),
    "bool_mask_axis0": np.array([False, True]),
    "bool_mask_axis1": (slice(None), np.array([True, False, True])),
}


def _torch_index(index):
    torch = pytest.importorskip("torch")

    def conv(i):
        return torch.from_numpy(i) if isinstance(i, np.ndarray) else i

    return tuple(conv(i) for i in index) if isinstance(index, tuple) else conv(index)


# ------------------------------------------------------------------ finite differences
@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_op_fd(name):
    fd_check(SHAPE_OPS[name], X)


@pytest.mark.parametrize("name", INDICES)
def test_getitem_fd(name):
    out = fd_check(lambda t: t[INDICES[name]], X)
    np.testing.assert_array_equal(out.data, X[INDICES[name]])


def test_getitem_with_tensor_indices_fd():
    mask = cr.tensor(X > 0)
    fd_check(lambda t: t[mask], X)
    fd_check(lambda t: t[cr.tensor([1, 0, 1])], X)
    fd_check(lambda t: t[:, cr.tensor([2, 2, 0])], X)


def test_repeated_index_accumulates():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[np.array([0, 0, 2, 0])].backward(cr.tensor([1.0, 10.0, 100.0, 1000.0]))
    np.testing.assert_array_equal(x.grad.data, [1011.0, 0.0, 100.0])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_fd(dim):
    shapes = {0: [(1, 3, 2), (2, 3, 2), (3, 3, 2)], 1: [(2, 1, 2), (2, 2, 2), (2, 4, 2)],
              -1: [(2, 3, 1), (2, 3, 3), (2, 3, 2)]}[dim]
    arrays = [randn(*s, seed=i) for i, s in enumerate(shapes)]
    out = fd_check(lambda *ts: cr.cat(list(ts), dim=dim), *arrays)
    np.testing.assert_array_equal(out.data, np.concatenate(arrays, axis=dim))
    fd_check(lambda *ts: cr.cat(ts, dim=dim), *arrays, requires_grad=[True, False, True])


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_stack_fd(dim):
    arrays = [randn(2, 3, seed=i) for i in range(3)]
    out = fd_check(lambda *ts: cr.stack(list(ts), dim=dim), *arrays)
    np.testing.assert_array_equal(out.data, np.stack(arrays, axis=dim))
    fd_check(lambda *ts: cr.stack(ts, dim=dim), *arrays, requires_grad=[False, True, False])


def test_cast_fd_and_gradient_dtype():
    x = cr.tensor(randn(2, 3, seed=3).astype(np.float32), requires_grad=True)
    y = x.double()
    assert y.dtype == cr.float64
    (y * y).sum().backward()
    assert x.grad.dtype == cr.float32
    np.testing.assert_allclose(x.grad.data, 2 * x.data, rtol=1e-7)
    # float64 -> float32: the upstream gradient comes back converted to float64
    z = cr.tensor(randn(2, 3, seed=4), requires_grad=True)
    u = randn(2, 3, seed=5).astype(np.float32)
    z.float().backward(u)
    assert z.grad.dtype == cr.float64
    np.testing.assert_array_equal(z.grad.data, u.astype(np.float64))


def test_cast_to_integer_leaves_the_graph():
    y = cr.randn(3, requires_grad=True).to(cr.int64)
    assert y.dtype == cr.int64 and not y.requires_grad and y.grad_fn is None
    assert not cr.randn(3, requires_grad=True).long().requires_grad


# ------------------------------------------------------------------ PyTorch parity
@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_op_parity(name):
    parity(SHAPE_OPS[name], SHAPE_OPS[name], X, exact=True)


@pytest.mark.parametrize("name", [n for n in INDICES if n != "negative_step"])  # torch has no negative steps
def test_getitem_parity(name):
    index = INDICES[name]
    parity(lambda t: t[index], lambda t: t[_torch_index(index)], X, exact=True)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_parity(dim):
    torch = pytest.importorskip("torch")
    shapes = {0: [(1, 3), (2, 3)], 1: [(2, 1), (2, 4)], -1: [(2, 2), (2, 3)]}[dim]
    parity(lambda a, b: cr.cat([a, b], dim), lambda a, b: torch.cat([a, b], dim),
           randn(*shapes[0], seed=1), randn(*shapes[1], seed=2), exact=True)


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_stack_parity(dim):
    torch = pytest.importorskip("torch")
    parity(lambda a, b: cr.stack([a, b], dim), lambda a, b: torch.stack([a, b], dim),
           randn(2, 3, seed=1), randn(2, 3, seed=2), exact=True)


# ------------------------------------------------------------------ errors
def test_cat_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match="cat") as info:
        cr.cat([cr.randn(2, 3), cr.randn(2, 4)], dim=0)
    assert "(2, 3)" in str(info.value) and "(2, 4)" in str(info.value)


def test_stack_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match="stack") as info:
        cr.stack([cr.randn(2, 3), cr.randn(3, 2)])
    assert "(2, 3)" in str(info.value) and "(3, 2)" in str(info.value)


def test_reshape_invalid_names_shapes():
    with pytest.raises(ValueError, match="reshape") as info:
        cr.randn(2, 3).reshape(4, 2)
    assert "(4, 2)" in str(info.value) and "(2, 3)" in str(info.value)


def test_permute_not_a_permutation():
    with pytest.raises(ValueError, match="permute"):
        cr.randn(2, 3).permute(0, 0)


# ------------------------------------------------------------------ dimension checks
S = np.array(1.5)  # a 0-d tensor: PyTorch lets dim-taking ops use dims 0 and -1 on it

# name: (call on (library, tensor), op named in our message, the bad dim, input)
OUT_OF_RANGE = {
    "unsqueeze_4": (lambda lib, t: t.unsqueeze(4), "unsqueeze", 4, X),
    "unsqueeze_7": (lambda lib, t: t.unsqueeze(7), "unsqueeze", 7, X),
    "unsqueeze_-5": (lambda lib, t: t.unsqueeze(-5), "unsqueeze", -5, X),
    "squeeze_3": (lambda lib, t: t.squeeze(3), "squeeze", 3, X),
    "squeeze_-4": (lambda lib, t: t.squeeze(-4), "squeeze", -4, X),
    "squeeze_tuple": (lambda lib, t: t.squeeze((0, 5)), "squeeze", 5, X),
    "permute_5": (lambda lib, t: t.permute(0, 1, 5), "permute", 5, X),
    "permute_-4": (lambda lib, t: t.permute(-4, 1, 2), "permute", -4, X),
    "transpose_5": (lambda lib, t: t.transpose(0, 5), "transpose", 5, X),
    "transpose_-4": (lambda lib, t: t.transpose(-4, 0), "transpose", -4, X),
    "flatten_end_5": (lambda lib, t: t.flatten(0, 5), "flatten", 5, X),
    "flatten_start_3": (lambda lib, t: t.flatten(3), "flatten", 3, X),
    "cat_3": (lambda lib, t: lib.cat([t, t], 3), "cat", 3, X),
    "cat_-4": (lambda lib, t: lib.cat([t, t], -4), "cat", -4, X),
    "stack_4": (lambda lib, t: lib.stack([t, t], 4), "stack", 4, X),
    "stack_-5": (lambda lib, t: lib.stack([t, t], -5), "stack", -5, X),
    "0d_unsqueeze_1": (lambda lib, t: t.unsqueeze(1), "unsqueeze", 1, S),
    "0d_unsqueeze_-2": (lambda lib, t: t.unsqueeze(-2), "unsqueeze", -2, S),
    "0d_squeeze_1": (lambda lib, t: t.squeeze(1), "squeeze", 1, S),
    "0d_transpose_1": (lambda lib, t: t.transpose(0, 1), "transpose", 1, S),
    "0d_flatten_1": (lambda lib, t: t.flatten(1), "flatten", 1, S),
    "0d_stack_1": (lambda lib, t: lib.stack([t, t], 1), "stack", 1, S),
}


@pytest.mark.parametrize("name", OUT_OF_RANGE)
def test_dim_out_of_range_raises_index_error_like_torch(name):
    torch = pytest.importorskip("torch")
    call, op, dim, x = OUT_OF_RANGE[name]
    with pytest.raises(IndexError, match="Dimension out of range"):
        call(torch, torch.tensor(x))
    with pytest.raises(IndexError, match=rf"^{op}: dim {dim} is out of range for a {x.ndim}-d tensor") as info:
        call(cr, cr.tensor(x))
    assert str(x.shape) in str(info.value)


# name: (call on (library, tensor), what our ValueError says; PyTorch raises a RuntimeError)
INVALID_DIMS = {
    "flatten_start_after_end": (lambda lib, t: t.flatten(1, 0), "flatten: start_dim 1 comes after end_dim 0"),
    "flatten_start_after_negative_end": (lambda lib, t: t.flatten(2, -2), "flatten: start_dim 2 comes after end_dim -2"),
    "permute_repeated_after_wrapping": (lambda lib, t: t.permute(0, 1, -3), "permute: dim 0 appears more than once"),
    "squeeze_repeated": (lambda lib, t: t.squeeze((1, -2)), "squeeze: dim 1 appears more than once"),
}


@pytest.mark.parametrize("name", INVALID_DIMS)
def test_invalid_dims_name_the_op(name):
    torch = pytest.importorskip("torch")
    call, message = INVALID_DIMS[name]
    with pytest.raises(RuntimeError):
        call(torch, torch.tensor(X))
    with pytest.raises(ValueError, match=message):
        call(cr, cr.tensor(X))


def test_cat_of_0d_tensors_says_so():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="zero-dimensional"):
        torch.cat([torch.tensor(S), torch.tensor(S)])
    with pytest.raises(ValueError, match=r"cat: zero-dimensional tensors cannot be concatenated"):
        cr.cat([cr.tensor(S), cr.tensor(S)])
    with pytest.raises(ValueError, match="non-empty"):
        torch.cat([])
    with pytest.raises(ValueError, match="cat: expected a non-empty list of tensors"):
        cr.cat([])


# Dims at the edges of the valid range, and the dims a 0-d tensor accepts.
EDGE_DIMS = {
    "unsqueeze_3": (lambda t: t.unsqueeze(3), X),
    "unsqueeze_-4": (lambda t: t.unsqueeze(-4), X),
    "squeeze_tuple": (lambda t: t.reshape(2, 1, 3, 1, 4).squeeze((1, -2, 0)), X),
    "squeeze_empty_tuple": (lambda t: t.reshape(2, 1, 12).squeeze(()), X),
    "flatten_-1_2": (lambda t: t.flatten(-1, 2), X),
    "flatten_1_1": (lambda t: t.flatten(1, 1), X),
    "0d_squeeze_0": (lambda t: t.squeeze(0), S),
    "0d_squeeze_-1": (lambda t: t.squeeze(-1), S),
    "0d_squeeze_tuple": (lambda t: t.squeeze((0,)), S),
    "0d_unsqueeze_0": (lambda t: t.unsqueeze(0), S),
    "0d_unsqueeze_-1": (lambda t: t.unsqueeze(-1), S),
    "0d_transpose": (lambda t: t.transpose(0, -1), S),
    "0d_flatten_0_0": (lambda t: t.flatten(0, 0), S),
    "0d_flatten_-1_0": (lambda t: t.flatten(-1, 0), S),
}


@pytest.mark.parametrize("name", EDGE_DIMS)
def test_edge_dims_parity(name):
    fn, x = EDGE_DIMS[name]
    parity(fn, fn, x, exact=True)


@pytest.mark.parametrize("dim", [0, -1])
def test_stack_of_0d_tensors_parity(dim):
    torch = pytest.importorskip("torch")
    parity(lambda a, b: cr.stack([a, b], dim), lambda a, b: torch.stack([a, b], dim), S, S + 1, exact=True)


def test_cat_and_stack_say_what_is_wrong():
    with pytest.raises(ValueError, match="stack: expected a non-empty list"):
        cr.stack([])
    with pytest.raises(ValueError, match=r"cat: tensors must have the same number of dimensions, got shapes \[\(2,\), \(1, 2\)\]"):
        cr.cat([cr.randn(2), cr.randn(1, 2)])


def test_gather_fd_with_repeated_and_negative_indices():
    index = np.array([[0, 0, 3], [2, -1, 2], [1, 1, 1]])  # a smaller index than the input, repeats
    fd_check(lambda t: t.gather(1, cr.tensor(index)), randn(4, 5, seed=33))
    fd_check(lambda t: t.gather(0, cr.tensor(index)), randn(4, 5, seed=34))


@pytest.mark.parametrize("call", [
    lambda t: t.sort(1)[0], lambda t: t.sort(0, descending=True)[0], lambda t: t.topk(2, 1)[0],
    lambda t: t.topk(3, 0, largest=False)[0],
])
def test_sort_and_topk_values_fd(call):
    fd_check(call, randn(4, 5, seed=35))


def test_gather_says_what_is_wrong():
    x = cr.randn(2, 3)
    with pytest.raises(TypeError, match="gather: index must be an integer tensor"):
        x.gather(1, cr.tensor([[0.0]]))
    with pytest.raises(ValueError, match=r"gather: index of shape \(1,\) does not fit input of shape \(2, 3\)"):
        x.gather(1, cr.tensor([0]))
    with pytest.raises(IndexError, match=r"gather: index values must lie in \[-3, 2\] for dim 1"):
        x.gather(1, cr.tensor([[3]]))
    with pytest.raises(ValueError, match="topk: k must lie in"):
        x.topk(4)
