"""The Tensor class: creation and dtypes (as torch.tensor), conversions, views,
comparisons, small utilities and their errors."""

import numpy as np
import pytest

import chainrule as cr


# ------------------------------------------------------------------ creation and dtypes
@pytest.mark.parametrize("data,dtype", [
    ([1.0, 2.0], cr.float32),
    (1.5, cr.float32),
    ([1, 2], cr.int64),
    (3, cr.int64),
    ([True, False], cr.bool_),
    (np.array([1.0, 2.0]), cr.float64),            # NumPy arrays keep their dtype
    (np.array([1, 2], dtype=np.int32), np.dtype(np.int32)),
    (np.float64(2.0), cr.float64),
])
def test_tensor_dtype_follows_torch_tensor(data, dtype):
    assert cr.tensor(data).dtype == dtype


def test_tensor_dtypes_match_torch():
    torch = pytest.importorskip("torch")
    for data in ([1.0, 2.0], [1, 2], [True], 0.5, 7):
        assert str(cr.tensor(data).dtype) == str(torch.tensor(data).dtype).removeprefix("torch.")


def test_explicit_dtype():
    t = cr.tensor([1, 2], dtype=cr.float64)
    assert t.dtype == cr.float64 and t.tolist() == [1.0, 2.0]


def test_tensor_copies_but_from_numpy_shares():
    a = np.array([1.0, 2.0])
    t, s = cr.tensor(a), cr.from_numpy(a)
    a[0] = 9.0
    assert t.tolist() == [1.0, 2.0] and s.tolist() == [9.0, 2.0]


def test_as_tensor_shares_what_torch_shares():
    torch = pytest.importorskip("torch")
    for data, dtype in ((np.array([1.0, 2.0]), None), (np.array([1.0, 2.0], np.float32), cr.float32),
                        (np.array([1, 2]), cr.float32), ([1.5, 2], None), ([1, 2], None)):
        ours, theirs = cr.as_tensor(data, dtype=dtype), torch.as_tensor(data, dtype=getattr(torch, str(dtype)) if dtype
                                                                        else None)
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.") and ours.tolist() == theirs.tolist()
        if isinstance(data, np.ndarray):
            data[0] = 7
            assert (ours.tolist()[0] == 7) == (theirs.tolist()[0] == 7), (data.dtype, dtype)
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    assert cr.as_tensor(x) is x
    cr.as_tensor(x, dtype=cr.float64).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_tensor_from_a_torch_tensor():
    torch = pytest.importorskip("torch")
    t = cr.tensor(torch.tensor([1.0, 2.0], requires_grad=True))
    assert t.dtype == cr.float32 and t.tolist() == [1.0, 2.0] and not t.requires_grad


def test_tensor_rejects_strings():
    with pytest.raises(TypeError, match="cannot make a tensor"):
        cr.tensor(["a", "b"])


@pytest.mark.parametrize("factory", ["zeros", "ones", "randn", "rand"])
def test_factories(factory):
    t = getattr(cr, factory)(2, 3)
    assert t.shape == (2, 3) and t.dtype == cr.float32 and not t.requires_grad
    assert getattr(cr, factory)((2, 3)).shape == (2, 3)
    t = getattr(cr, factory)(4, dtype=cr.float64, requires_grad=True)
    assert t.dtype == cr.float64 and t.requires_grad and t.is_leaf


@pytest.mark.parametrize("make, dtype", [
    (lambda: cr.full((2,), 7.0), cr.float32), (lambda: cr.full((2,), 7), cr.int64),
    (lambda: cr.full((2,), True), cr.bool_), (lambda: cr.full((2,), np.int32(3)), cr.int64),
    (lambda: cr.full((2,), np.float64(1.0)), cr.float32), (lambda: cr.full((2,), 7, dtype=cr.float64), cr.float64),
    (lambda: cr.arange(2.5), cr.float32), (lambda: cr.arange(0, 1, 0.25), cr.float32),
    (lambda: cr.arange(0, 4, 1.0), cr.float32), (lambda: cr.arange(5), cr.int64),
    (lambda: cr.arange(3, dtype=cr.float64), cr.float64),
])
def test_factories_infer_dtype_from_their_numbers_as_torch_does(make, dtype):
    assert make().dtype == dtype


def test_other_factories():
    assert cr.full((2, 2), 7.0).tolist() == [[7.0, 7.0], [7.0, 7.0]]
    assert cr.arange(3).tolist() == [0, 1, 2] and cr.arange(3).dtype == cr.int64
    assert cr.arange(1, 2, 0.5).tolist() == [1.0, 1.5]
    assert cr.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]] and cr.eye(2).dtype == cr.float32
    x = cr.randn(2, 3)
    assert cr.zeros_like(x).shape == (2, 3) and cr.ones_like(x).tolist() == [[1.0] * 3] * 2


def test_randn_is_reproducible_from_the_seed():
    cr.manual_seed(123)
    a = cr.randn(5)
    cr.manual_seed(123)
    np.testing.assert_array_equal(cr.randn(5).data, a.data)


# ------------------------------------------------------------------ basics
def test_shape_accessors():
    t = cr.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and t.size() == (2, 3, 4) and t.size(1) == 3
    assert t.ndim == 3 and t.dim() == 3 and t.numel() == 24 and len(t) == 2


def test_len_of_0d_raises():
    with pytest.raises(TypeError, match="0-d"):
        len(cr.tensor(1.0))


def test_item():
    assert cr.tensor([[2.5]]).item() == 2.5
    with pytest.raises(ValueError, match=r"one element.*\(2,\)"):
        cr.tensor([1.0, 2.0]).item()


def test_numpy_refuses_tensors_that_require_grad():
    t = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        t.numpy()
    assert t.detach().numpy().tolist() == [1.0]


def test_detach_shares_memory_and_drops_grad():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad and y.grad_fn is None
    d = x.detach()
    d.data[0] = 5.0
    assert x.data[0] == 5.0


def test_array_protocol():
    t = cr.tensor([1.0, 2.0])
    assert np.asarray(t).dtype == np.float32
    assert np.asarray(t, dtype=np.float64).dtype == np.float64


def test_conversions():
    x = cr.tensor([1.7, -2.2])
    assert x.float() is x
    assert x.double().dtype == cr.float64
    assert x.long().tolist() == [1, -2] and x.long().dtype == cr.int64
    assert x.to(cr.float64).dtype == cr.float64


def test_repr_shows_grad_state():
    assert "requires_grad=True" in repr(cr.tensor([1.0], requires_grad=True))
    assert "grad_fn=<Mul>" in repr(cr.tensor([1.0], requires_grad=True) * 2)
    assert "dtype=float64" in repr(cr.tensor(np.array([1.0])))


def test_iteration_and_unsqueeze_squeeze():
    t = cr.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert [row.tolist() for row in t] == [[1.0, 2.0], [3.0, 4.0]]
    assert t.unsqueeze(0).shape == (1, 2, 2) and t.unsqueeze(-1).shape == (2, 2, 1)
    assert t.unsqueeze(0).squeeze(0).shape == (2, 2)
    assert t.squeeze(0).shape == (2, 2)  # a dimension that is not 1 is left alone, as torch


# ------------------------------------------------------------------ comparisons
def test_comparisons_give_bool_tensors_without_grad():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result, expected in [(x > 2, [False, False, True]), (x >= 2, [False, True, True]),
                             (x < 2, [True, False, False]), (x <= 2, [True, True, False]),
                             (x == 2, [False, True, False]), (x != 2, [True, False, True]),
                             (x == cr.tensor([1.0, 0.0, 3.0]), [True, False, True])]:
        assert result.dtype == cr.bool_ and result.tolist() == expected and not result.requires_grad


def test_tensors_stay_hashable():
    t = cr.tensor([1.0])
    assert {t: 1}[t] == 1


def test_bool_of_one_element():
    assert bool(cr.tensor([1.0])) and not bool(cr.tensor(0.0))


def test_argmax_argmin():
    t = cr.tensor([[1.0, 5.0, 5.0], [7.0, 0.0, 7.0]])
    assert t.argmax().item() == 3
    assert t.argmax(1).tolist() == [1, 0] and t.argmin(1).tolist() == [0, 1]
    assert t.argmax(1, keepdim=True).shape == (2, 1) and t.argmax().dtype == cr.int64


# ------------------------------------------------------------------ in-place helpers
def test_zero_fill_copy():
    t = cr.tensor([1.0, 2.0])
    assert t.zero_() is t and t.tolist() == [0.0, 0.0]
    assert t.fill_(3.0).tolist() == [3.0, 3.0]
    assert t.copy_(cr.tensor([4.0, 5.0])).tolist() == [4.0, 5.0]
    with pytest.raises(ValueError, match=r"copy_.*\(3,\).*\(2,\)"):
        t.copy_(np.zeros(3))


def test_in_place_keeps_the_dtype():
    t = cr.tensor([1, 2])
    with pytest.raises(Exception):
        t += 0.5  # same_kind casting: an int tensor cannot hold a float result
    assert t.tolist() == [1, 2]


def test_zero_dimensional_results_are_arrays_that_take_in_place_ops():
    # a full reduction or an integer index gave a NumPy scalar, which rejected out= and +=
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    total = x.detach().sum().numpy()
    assert isinstance(total, np.ndarray) and total.shape == ()
    np.testing.assert_allclose(cr.tensor(0.5).sigmoid().item(), 1 / (1 + np.exp(-0.5)), rtol=1e-6)
    x[0, 0].sigmoid().backward()
    np.testing.assert_allclose(x.grad.data, [[0.19661193, 0.0], [0.0, 0.0]], rtol=1e-6)
    hits = (cr.tensor([1, 2, 3]) == cr.tensor([1, 0, 3])).sum()
    hits += (cr.tensor([1, 2]) == cr.tensor([1, 2])).sum()
    assert hits.item() == 4
    total = cr.tensor([1.0, 2.0]).sum()
    assert total.zero_().item() == 0.0 and total.fill_(2.5).item() == 2.5


PROMOTIONS = [  # (expression over p int64, b bool, f float32, d float64), each as in PyTorch
    "(p == q).sum() / len(q)", "p / 2", "b / 2", "p * 0.5", "p - 1.5", "p + f", "f / p", "b * 1.0", "b + b",
    "p * True", "f + p.sum()", "p.sum() * 1.0", "f * lib.tensor(2.0, dtype=lib.float64)",
    "p * lib.tensor(2.0, dtype=lib.float64)", "f + d", "d + 0.1", "f + 0.1", "p ** 2", "p ** 0.5", "f ** p",
    "2 ** p", "0.5 ** p", "lib.where(b, p, 0.5)", "lib.where(b, p, p)", "lib.where(b, p, d)",
    "lib.cat([p, f])", "lib.cat([b, p])", "lib.stack([p, f])", "lib.maximum(p, f)", "lib.maximum(p, p)",
    "p.exp()", "p.log()", "p.sqrt()", "p.sigmoid()", "p.tanh()",
]


@pytest.mark.parametrize("expression", PROMOTIONS)
def test_dtype_promotion_follows_torch(expression):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (cr, torch):
        p, q = lib.tensor([1, 2, 3, 4]), lib.tensor([1, 0, 3, 4])
        b, f = p == q, lib.tensor([0.5, 1.5, 2.5, 3.5])
        d = lib.tensor([0.5, 1.0, 2.0, 3.0], dtype=lib.float64)
        results.append(eval(expression, {"lib": lib, "p": p, "q": q, "b": b, "f": f, "d": d, "len": len}))
    ours, theirs = results
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)  # exp and the like may differ by an ulp


def test_result_type_ranks_tensors_then_0d_tensors_then_numbers():
    f32, f64 = cr.tensor([1.0]), cr.tensor([1.0], dtype=cr.float64)
    assert cr.result_type(f32, cr.tensor(1.0, dtype=cr.float64)) == cr.float32
    assert cr.result_type(cr.tensor([1]), 0.5) == cr.float32 and cr.result_type(cr.tensor([1]), f64) == cr.float64
    assert cr.result_type(cr.tensor([True]), 1) == cr.int64 and cr.result_type(f32, f64) == cr.float64


def test_gradients_keep_each_input_dtype_through_promotion():
    f = cr.tensor([0.5, 1.5], requires_grad=True)
    d = cr.tensor([2.0, 3.0], dtype=cr.float64, requires_grad=True)
    out = f * d + cr.tensor([1, 2])
    assert out.dtype == cr.float64
    out.sum().backward()
    assert f.grad.dtype == cr.float32 and d.grad.dtype == cr.float64
    np.testing.assert_array_equal(f.grad.numpy(), [2.0, 3.0])
    np.testing.assert_array_equal(d.grad.numpy(), [0.5, 1.5])


@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_arg_extrema_check_dims_and_take_0d_as_torch(op):
    torch = pytest.importorskip("torch")
    values = [[1.0, 5.0], [7.0, 2.0]]
    for dim, keepdim in [(1, False), (-1, True), (0, False), (None, False)]:
        ours = getattr(cr.tensor(values), op)(dim, keepdim=keepdim)
        theirs = getattr(torch.tensor(values), op)(dim, keepdim=keepdim)
        assert ours.tolist() == theirs.tolist() and ours.dtype == cr.int64
    assert getattr(cr.tensor(3.0), op)(0).item() == 0
    with pytest.raises(IndexError, match=rf"{op}: dim 2 is out of range"):
        getattr(cr.tensor(values), op)(2)


def test_an_integer_too_large_for_int64_is_refused_not_made_a_float():
    with pytest.raises(OverflowError):
        cr.tensor([1, 2]) + 2**70


METHODS = [  # over x, y [4]; m, m2 [3, 4]; n [4, 2]; c [3, 1]; pos [4] > 0: values and gradients as torch's
    "x.add(y, alpha=2)", "x.sub(y, alpha=0.5)", "x.mul(y)", "x.div(pos)", "x.pow(2)", "x.neg()",
    "m.matmul(n)", "m.mm(n)", "x.square()", "pos.reciprocal()", "pos.rsqrt()",
    "x.min()", "m.min(1)[0]", "m.min(0, keepdim=True)[0]", "m.amin(1)", "lib.amin(m, (0, 1))",
    "x.var()", "m.var(1)", "m.var(0, keepdim=True)", "m.std(1, correction=0)", "m.var(unbiased=False)", "m.std()",
    "m.t()", "x.t()", "m.view_as(m2.T.T)", "c.expand(3, 4)", "c.expand(2, -1, 4)", "c.expand_as(m)",
    "m.masked_fill(m > 0, 0.5)", "lib.minimum(m, m2)", "lib.outer(x, y)", "lib.dot(x, y)", "lib.min(m)",
    "lib.reshape(m, (4, 3))", "lib.transpose(m, 0, 1)", "lib.permute(m, (1, 0))", "lib.unsqueeze(x, 0)",
    "lib.squeeze(c, 1)", "lib.mm(m, n)",
    "m.gather(1, lib.tensor([[0, 0, 3], [2, 1, 2], [1, 1, 1]]))", "m.sort(1)[0]", "m.sort(0, descending=True)[0]",
    "m.topk(2, 1)[0]", "lib.topk(m, 2, 0, largest=False)[0]", "m.cumsum(1)", "lib.cumsum(x, 0)", "m.norm()",
    "m.norm(dim=1)", "lib.norm(m, p=1, dim=0)", "m.norm(p=float('inf'), dim=1, keepdim=True)",
]


@pytest.mark.parametrize("expression", METHODS)
def test_torch_methods_give_torchs_values_and_gradients(expression):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    arrays = {"x": rng.standard_normal(4), "y": rng.standard_normal(4), "m": rng.standard_normal((3, 4)),
              "m2": rng.standard_normal((3, 4)), "n": rng.standard_normal((4, 2)), "c": rng.standard_normal((3, 1)),
              "pos": rng.uniform(0.5, 2.0, 4)}
    outputs, grads = [], []
    for lib in (cr, torch):
        leaves = {k: lib.tensor(v, dtype=lib.float64, requires_grad=True) for k, v in arrays.items()}
        out = eval(expression, {"lib": lib, **leaves})
        out.sum().backward()
        outputs.append(out.detach().numpy())
        grads.append({k: None if t.grad is None else t.grad.numpy() for k, t in leaves.items()})
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=1e-12, atol=1e-12)
    for key in arrays:
        if grads[1][key] is None:
            assert grads[0][key] is None, key
        else:
            np.testing.assert_allclose(grads[0][key], grads[1][key], rtol=1e-12, atol=1e-12, err_msg=key)


def test_queries_and_casts_as_torch():
    torch = pytest.importorskip("torch")
    values = [[1.5, -2.0, 0.0], [0.0, 3.0, -1.0]]
    ours, theirs = cr.tensor(values), torch.tensor(values)
    for expression in ["t.eq(t * 1)", "t.ne(0)", "t.lt(0)", "t.le(0)", "t.gt(0)", "t.ge(0)", "(t > 0).all()",
                       "(t > 0).any(1)", "(t != 0).all(0, keepdim=True)", "t.sign()", "t.int()", "t.bool()",
                       "lib.argmin(t, 1)", "lib.argmax(t)", "t.sort(1)[1]", "t.argsort(0, descending=True)",
                       "t.topk(2)[1]"]:
        a, b = (eval(expression, {"t": t, "lib": lib}) for t, lib in ((ours, cr), (theirs, torch)))
        assert a.tolist() == b.tolist() and str(a.dtype) == str(b.dtype).removeprefix("torch."), expression
    assert ours.equal(cr.tensor(values)) and not ours.equal(cr.tensor(values[0]))
    assert cr.allclose(ours, ours + 1e-9) and not cr.allclose(ours, ours + 1e-3)


def test_in_place_method_forms():
    t = cr.tensor([1.0, -2.0, 3.0])
    t.add_(cr.tensor([1.0, 1.0, 1.0]), alpha=2).sub_(1.0).mul_(2.0).div_(4.0).clamp_(max=1.0)
    np.testing.assert_array_equal(t.numpy(), [1.0, -0.5, 1.0])
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        w.clamp_(0.0, 1.0)
    with cr.no_grad():
        w.clamp_(0.0, 1.5)
    np.testing.assert_array_equal(w.detach().numpy(), [1.0, 1.5])


def test_more_factories():
    cr.manual_seed(0)
    draws = cr.randint(3, 7, (1000,))
    assert draws.dtype == cr.int64 and draws.shape == (1000,) and set(draws.tolist()) == {3, 4, 5, 6}
    assert sorted(cr.randperm(6).tolist()) == list(range(6)) and cr.randint(5, size=(2, 2)).shape == (2, 2)
    assert cr.randint(5, (2, 2)).shape == (2, 2) and set(cr.randint(2, (500,)).tolist()) == {0, 1}
    np.testing.assert_allclose(cr.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1.0])
    assert cr.linspace(0, 1, 5).dtype == cr.float32 and cr.empty(2, 3).shape == (2, 3)
    like = cr.randn_like(cr.zeros(2, 3, dtype=cr.float64))
    assert like.shape == (2, 3) and like.dtype == cr.float64 and cr.rand_like(like).dtype == cr.float64
    with pytest.raises(ValueError, match="expand: shape \\(3, 1\\) cannot be expanded"):
        cr.zeros(3, 1).expand(2, 4)


def test_float_and_int_of_a_one_element_tensor():
    assert float(cr.tensor([2.5])) == 2.5 and int(cr.tensor(7)) == 7
    with pytest.raises(ValueError, match="one element"):
        float(cr.tensor([1.0, 2.0]))
