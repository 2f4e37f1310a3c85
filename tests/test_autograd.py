"""The autograd engine: accumulation, graph freeing, deep graphs, shared subgraphs,
grad modes, in-place rules and its error messages."""

import gc
import weakref

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.autograd import unbroadcast
from chainrule.nn import functional as F
from gradcheck import fd_check, randn


def _leaf(values, dtype=cr.float64):
    return cr.tensor(np.asarray(values), requires_grad=True, dtype=dtype)


# ------------------------------------------------------------------ accumulation
def test_gradients_accumulate_across_backward_calls():
    x = _leaf([1.0, 2.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [2.0, 4.0, 6.0])
    first = x.grad
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [5.0, 7.0, 9.0])
    assert x.grad is first  # accumulated in place, like PyTorch
    x.grad = None
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [3.0, 3.0, 3.0])


def test_leaf_gradient_is_a_copy_of_the_upstream_gradient():
    x = _leaf([1.0, 2.0])
    u = np.array([5.0, 7.0])
    x.backward(u)  # a leaf is its own root
    u[:] = 0
    np.testing.assert_array_equal(x.grad.detach().numpy(), [5.0, 7.0])


def test_grad_keeps_the_leaf_dtype():
    x = _leaf([1.0, 2.0], dtype=cr.float32)
    (x.double() * 2).sum().backward()
    assert x.grad.dtype == cr.float32


# ------------------------------------------------------------------ graph freeing
def test_second_backward_raises_a_clear_error():
    x = _leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [2.0, 4.0])  # the failed call changed nothing


def test_second_backward_through_a_shared_subgraph_raises():
    x = _leaf([1.0, 2.0])
    h = x.exp()
    h.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        (h * 2).sum().backward()


def test_retain_graph_allows_a_second_backward():
    x = _leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [6.0, 12.0])
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_backward_frees_saved_tensors():
    x = _leaf(randn(3, 4))
    h = x * 2
    y = (h.exp() * h).sum()
    intermediate = weakref.ref(h)
    del h
    gc.collect()
    assert intermediate() is not None  # the graph keeps it alive ...
    y.backward()
    assert intermediate() is None  # ... until backward frees the graph
    assert y.grad_fn.inputs is None


def test_retain_graph_keeps_saved_tensors():
    x = _leaf(randn(3, 4))
    h = x * 2
    y = (h * h).sum()
    intermediate = weakref.ref(h)
    del h
    y.backward(retain_graph=True)
    assert intermediate() is not None


# ------------------------------------------------------------------ graph shapes
def test_very_deep_chain_backprops_without_recursion_error():
    depth = 20_000
    x = _leaf([0.5, -1.0])
    y = x
    for _ in range(depth):
        y = y * 1.0001 + 0.0
    y.sum().backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.detach().numpy(), [1.0001 ** depth] * 2, rtol=1e-9)
    del y  # tearing down a 40,000-node graph must not overflow the stack either
    gc.collect()


def test_diamond_sums_both_paths():
    # y = a·b with a = 2x and b = x²: dy/dx = 2·x² + 2x·2x = 6x²
    x = _leaf([1.0, -2.0, 3.0])
    a = x * 2
    b = x * x
    (a * b).sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), 6 * x.detach().numpy() ** 2)


def test_tensor_used_twice_in_one_op_and_along_paths_of_different_length():
    # h is used twice by one op (h * h) and again after a longer path: its gradient
    # must be complete before it propagates to x.
    x = _leaf([0.5, 1.5])
    h = x.exp()
    z = (h * h + h.log() * h).sum()
    z.backward()
    e = np.exp(x.detach().numpy())
    np.testing.assert_allclose(x.grad.detach().numpy(), (2 * e + (1 / e) * e + x.detach().numpy()) * e, rtol=1e-12)


def test_diamond_against_finite_differences():
    def fn(x, w):
        h = (x @ w).tanh()  # h feeds three ops, w two
        return h * h.sigmoid() + (h @ w.T) @ w

    fd_check(fn, randn(3, 4, seed=1), randn(4, 4, seed=2) * 0.5)


def test_gradients_reach_inputs_and_parameters():
    torch = pytest.importorskip("torch")
    cr.manual_seed(0)
    layer = nn.Linear(3, 2)
    x = cr.tensor(randn(4, 3, seed=3).astype(np.float32), requires_grad=True)
    F.mse_loss(layer(x).tanh(), cr.zeros(4, 2)).backward()
    assert x.grad is not None and layer.weight.grad is not None and layer.bias.grad is not None

    tx = torch.tensor(x.detach().numpy(), requires_grad=True)
    tw = torch.tensor(layer.weight.detach().numpy(), requires_grad=True)
    tb = torch.tensor(layer.bias.detach().numpy(), requires_grad=True)
    torch.nn.functional.mse_loss(torch.tanh(tx @ tw.T + tb), torch.zeros(4, 2)).backward()
    for ours, theirs in [(x, tx), (layer.weight, tw), (layer.bias, tb)]:
        np.testing.assert_allclose(ours.grad.detach().numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_inputs_that_do_not_require_grad_get_none():
    x = cr.tensor([1.0, 2.0])
    w = _leaf([3.0, 4.0])
    (x * w).sum().backward()
    assert x.grad is None
    np.testing.assert_array_equal(w.grad.detach().numpy(), [1.0, 2.0])


def test_unused_leaf_gets_no_gradient():
    x, unused = _leaf([1.0]), _leaf([2.0])
    (x * 2).sum().backward()
    assert unused.grad is None


def test_retain_grad_on_an_intermediate_accumulates():
    x = _leaf([1.0, 2.0])
    y = x * 3
    y.retain_grad()
    z = (y * y).sum()
    z.backward(retain_graph=True)
    np.testing.assert_array_equal(y.grad.detach().numpy(), 2 * y.detach().numpy())
    z.backward()
    np.testing.assert_array_equal(y.grad.detach().numpy(), 4 * y.detach().numpy())


def test_non_leaf_without_retain_grad_keeps_no_grad():
    x = _leaf([1.0, 2.0])
    y = x * 3
    y.sum().backward()
    assert y.grad is None and not y.is_leaf and x.is_leaf


def test_backward_with_explicit_gradient():
    x = _leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x * x
    y.backward(cr.tensor([[1.0, 0.0], [0.5, 2.0]], dtype=cr.float64))
    np.testing.assert_array_equal(x.grad.detach().numpy(), [[2.0, 0.0], [3.0, 16.0]])


def test_detach_cuts_the_graph():
    x = _leaf([1.0, 2.0])
    y = (x * x.detach()).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [1.0, 2.0])  # not 2x: the detached factor is a constant


# ------------------------------------------------------------------ grad modes
def test_no_grad_records_nothing():
    x = _leaf([1.0, 2.0])
    with cr.no_grad():
        assert not cr.is_grad_enabled()
        y = (x * x).exp().sum()
    assert cr.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_no_grad_as_decorator_and_enable_grad_inside():
    x = _leaf([1.0, 2.0])

    @cr.no_grad()
    def f(t):
        with cr.enable_grad():
            inner = t * 2
        return inner, t * 3

    inner, outer = f(x)
    assert inner.requires_grad and inner.grad_fn is not None
    assert not outer.requires_grad
    assert cr.is_grad_enabled()


def test_no_grad_as_a_bare_decorator_and_in_recursion():
    x = _leaf([1.0, 2.0])

    @cr.no_grad
    def doubled(t):
        return t * 2

    @cr.enable_grad()
    def recording(depth):  # each call restores what the one before it set
        return recording(depth - 1) if depth else (x * 2).requires_grad

    assert not doubled(x).requires_grad and cr.is_grad_enabled()
    with cr.no_grad():
        assert recording(3) and not cr.is_grad_enabled()
    assert cr.is_grad_enabled()


def test_no_grad_covers_a_generator_each_time_it_resumes():
    @cr.no_grad()
    def modes():
        sent = yield cr.is_grad_enabled()
        yield sent, cr.is_grad_enabled()
        return "done"

    gen = modes()
    assert next(gen) is False and cr.is_grad_enabled()
    assert gen.send("hello") == ("hello", False) and cr.is_grad_enabled()
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert stop.value.value == "done"


def test_no_grad_restores_state_after_an_exception():
    with pytest.raises(ValueError):
        with cr.no_grad():
            raise ValueError
    assert cr.is_grad_enabled()


def test_ops_on_constants_record_nothing():
    y = cr.tensor([1.0]) * 2
    assert not y.requires_grad and y.grad_fn is None


# ------------------------------------------------------------------ errors
def test_backward_on_non_scalar_needs_a_gradient_and_names_the_shape():
    x = _leaf(randn(2, 3))
    with pytest.raises(RuntimeError, match=r"scalar.*\(2, 3\)"):
        (x * 2).backward()


def test_backward_gradient_of_wrong_shape_names_both_shapes():
    x = _leaf(randn(2, 3))
    with pytest.raises(RuntimeError, match=r"\(3, 2\).*\(2, 3\)"):
        (x * 2).backward(np.ones((3, 2)))


def test_backward_of_a_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.tensor([1.0]).sum().backward()


@pytest.mark.parametrize("make", [
    lambda: cr.tensor([1, 2], requires_grad=True),
    lambda: cr.tensor([1, 2]).requires_grad_(),
    lambda: cr.tensor([True, False], requires_grad=True),
    lambda: cr.zeros(3, dtype=cr.int64, requires_grad=True),
])
def test_requires_grad_on_an_integer_tensor_raises(make):
    with pytest.raises(TypeError, match="floating-point.*(int64|bool)"):
        make()


def test_requires_grad_off_on_a_non_leaf_raises():
    y = _leaf([1.0]) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


def test_a_wrong_gradient_shape_from_an_op_is_caught():
    from chainrule.autograd import Function

    class Broken(Function):
        def forward(self, x):
            return x.sum(axis=0)

        def backward(self, grad):
            return np.ones((7,))

    with pytest.raises(RuntimeError, match=r"Broken.backward.*\(7,\).*\(2, 3\)"):
        Broken.apply(_leaf(randn(2, 3))).sum().backward()


# ------------------------------------------------------------------ in-place
def test_in_place_update_under_no_grad():
    w = _leaf([1.0, 2.0])
    (w * w).sum().backward()
    data = w.detach().numpy()
    with cr.no_grad():
        w -= 0.5 * w.grad
        w *= 2.0
        w += 1.0
        w /= 2.0
    assert w.detach().numpy() is data  # updated in place: the same array
    np.testing.assert_array_equal(w.detach().numpy(), [0.5, 0.5])
    assert w.requires_grad and w.is_leaf


@pytest.mark.parametrize("op", ["__iadd__", "__isub__", "__imul__", "__itruediv__"])
def test_in_place_update_outside_no_grad_raises(op):
    w = _leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="in-place.*no_grad"):
        getattr(w, op)(1.0)
    np.testing.assert_array_equal(w.detach().numpy(), [1.0, 2.0])



@pytest.mark.parametrize("op", ["__iadd__", "__isub__", "__imul__", "__itruediv__"])
def test_in_place_update_of_a_result_is_recorded(op):
    """On the result of an op, PyTorch records the in-place change in the graph: so does chainrule."""
    torch = pytest.importorskip("torch")
    grads = []
    for T in (cr, torch):
        w = T.tensor([1.0, 2.0], requires_grad=True)
        y = w * w
        y = getattr(y, op)(3.0) if op != "__iadd__" else getattr(y, op)(w)
        assert y.requires_grad
        y.sum().backward()
        grads.append(w.grad.tolist())
    assert grads[0] == grads[1]


def test_backward_refuses_an_array_changed_in_place_after_the_forward_pass():
    # PyTorch raises here too; without the check the gradient would use the new weight
    lin = nn.Linear(2, 1, bias=False)
    lin.weight.copy_(np.array([[1.0, 2.0]]))
    x = _leaf([[3.0, 4.0]], dtype=cr.float32)
    loss = lin(x).sum()
    with cr.no_grad():
        lin.weight -= 1.0
    with pytest.raises(RuntimeError, match=r"arrays Linear saved .*\(weight, shape \[1, 2\]\) was modified by an in-place"):
        loss.backward()


@pytest.mark.parametrize("change", [
    lambda t: t.__iadd__(1.0), lambda t: t.__imul__(2.0), lambda t: t.zero_(), lambda t: t.fill_(3.0),
    lambda t: t.copy_(np.ones(t.shape)),
], ids=["+=", "*=", "zero_", "fill_", "copy_"])
def test_every_in_place_method_is_noticed(change):
    x = _leaf([1.0, 2.0])
    y = x.exp()  # its backward pass reads its output
    with cr.no_grad():
        change(y)
    with pytest.raises(RuntimeError, match="Exp saved"):
        y.sum().backward()


def test_a_change_through_a_view_is_noticed():
    x = _leaf([[1.0, 2.0], [3.0, 4.0]])
    h = x * 1.0
    y = h * h
    with cr.no_grad():
        view = h.reshape(4)
        view += 1.0
    with pytest.raises(RuntimeError, match="Mul saved"):
        y.sum().backward()


def test_an_optimizer_step_is_an_in_place_change():
    w = _leaf([1.0, 2.0])
    opt = cr.optim.SGD([w], lr=0.1)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match="Mul saved"):
        loss.backward()


def test_an_optimizer_step_leaves_parameters_without_gradients_unmarked():
    frozen, trained = _leaf([[1.0, 0.0], [0.0, 1.0]]), _leaf([1.0, 2.0])
    frozen.requires_grad_(False)
    x = _leaf([1.0, 1.0])
    y = (frozen @ x).sum()
    opt = cr.optim.SGD([frozen, trained], lr=0.1)
    (trained * trained).sum().backward()
    opt.step()  # frozen has no gradient: it is not written
    y.backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [1.0, 1.0])


def test_changes_that_no_backward_pass_reads_are_allowed():
    x = _leaf([1.0, 2.0])
    y = x + 1.0  # addition saves nothing
    z = (y * 3.0).sum()
    with cr.no_grad():
        x += 5.0
    z.backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [3.0, 3.0])
    w = _leaf([1.0, 2.0])  # and a change made before the forward pass is just the new value
    with cr.no_grad():
        w *= 2.0
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.detach().numpy(), [4.0, 8.0])


def test_in_place_on_a_plain_tensor_is_allowed():
    t = cr.tensor([1.0, 2.0])
    t += 1
    np.testing.assert_array_equal(t.detach().numpy(), [2.0, 3.0])


# ------------------------------------------------------------------ unbroadcast
@pytest.mark.parametrize("grad_shape,shape", [
    ((2, 3), (2, 3)), ((4, 2, 3), (2, 3)), ((4, 2, 3), (1, 3)), ((4, 2, 3), ()), ((2, 3), (2, 1)),
    ((5, 3, 4), (3, 1)),
])
def test_unbroadcast_is_the_adjoint_of_broadcasting(grad_shape, shape):
    # ⟨unbroadcast(g), v⟩ = ⟨g, broadcast(v)⟩ for all g, v
    g, v = randn(*grad_shape, seed=1), np.asarray(randn(*shape, seed=2))
    reduced = unbroadcast(g, shape)
    assert reduced.shape == shape
    np.testing.assert_allclose(np.sum(reduced * v), np.sum(g * np.broadcast_to(v, grad_shape)), rtol=1e-12)


def test_higher_order_backward_is_refused_clearly():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="create_graph"):
        (x * x).sum().backward(create_graph=True)
    assert x.grad is None
