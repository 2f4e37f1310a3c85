"""Item assignment, in-place methods and ``.data`` against PyTorch, with PyTorch's autograd
rules: an in-place change of a leaf that requires grad is refused, a write into a tensor
joins the written value to the graph, and a changed value that a backward pass needs is
detected. Each case is written once in PyTorch's spelling (see both_engines.py)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from both_engines import check_case  # noqa: E402


def base(T):
    return T.arange(12.0).reshape(3, 4) - 5


def _set(x, index, value):
    x[index] = value
    return x


def _add_at(x, index, value):
    x[index] += value
    return x


CASES = {
    "x[mask] = 0": lambda T: _set(base(T), base(T) > 0, 0),
    "x[:, 0] = t": lambda T: _set(base(T), (slice(None), 0), T.tensor([7.0, 8.0, 9.0])),
    "x[1] = number": lambda T: _set(base(T), 1, 2.5),
    "x[idx] += 1": lambda T: _add_at(base(T), T.tensor([0, 2]), 1),
    "x[idx] += 1, repeated index": lambda T: _add_at(T.zeros(3), T.tensor([0, 0, 2]), 1),
    "x[..., 1:3] = broadcast row": lambda T: _set(base(T), (Ellipsis, slice(1, 3)), T.tensor([1.0, 2.0])),
    "x[0, :, i] as torch places dims": lambda T: T.arange(60).reshape(3, 4, 5)[0, :, T.tensor([1, 3])],
    "x[i, :, 0]": lambda T: T.arange(60).reshape(3, 4, 5)[T.tensor([2, 0]), :, 0],
    "x[:, i, 1:3]": lambda T: T.arange(60).reshape(3, 4, 5)[:, T.tensor([1, 3]), 1:3],
    "x[i, j] pairs": lambda T: base(T)[T.tensor([0, 2]), T.tensor([1, 3])],
    "x[None, bool row]": lambda T: base(T)[None, T.tensor([True, False, True])],
    "index_put_": lambda T: base(T).index_put_((T.tensor([0, 2]), T.tensor([1, 1])), T.tensor([-1.0, -2.0])),
    "index_put_ accumulate": lambda T: T.zeros(3).index_put_((T.tensor([0, 0, 1]),), T.tensor([1.0, 2.0, 3.0]),
                                                             accumulate=True),
    "masked_fill_": lambda T: base(T).masked_fill_(base(T) < 0, -1.0),
    "masked_fill": lambda T: base(T).masked_fill(T.tensor([True, False, True, False]), 0.5),
    "zero_ fill_": lambda T: (base(T).zero_(), base(T).fill_(3)),
    "copy_ broadcasts": lambda T: base(T).copy_(T.tensor([1.0, 2.0, 3.0, 4.0])),
    "clamp_": lambda T: base(T).clamp_(-1, 2),
    "clamp_ min only": lambda T: base(T).clamp_(min=0),
    "add_ mul_ sub_ div_": lambda T: base(T).add_(1).mul_(2).sub_(T.ones(4)).div_(4),
    "add_ alpha": lambda T: base(T).add_(T.ones(3, 4), alpha=0.5),
    "in-place operators": lambda T: _ops(base(T)),
    "normal_ uniform_ shapes": lambda T: (base(T).normal_(0, 1).shape, base(T).uniform_(-1, 1).abs().max() <= 1),
    # the autograd rules
    "leaf that requires grad": lambda T: T.ones(3, requires_grad=True).add_(1),
    "leaf item assignment": lambda T: _set(T.ones(3, requires_grad=True), 0, 5.0),
    "leaf in no_grad is allowed": lambda T: _in_no_grad(T),
    "changed saved value": lambda T: _changed_saved(T),
    "write joins the graph": lambda T: _write_joins_graph(T),
    "masked write gradient": lambda T: _masked_write_gradient(T),
    # .data
    ".data is a tensor outside the graph": lambda T: _data_tensor(T),
    "p.data -= lr * p.grad": lambda T: _manual_sgd(T),
    "torch.max(out.data, 1)": lambda T: T.max((T.tensor([[0.1, 0.9], [0.8, 0.2]], requires_grad=True) * 2).data, 1),
    "p.data.copy_(t)": lambda T: _data_copy(T),
    "p.data = t": lambda T: _data_set(T),
}


def _ops(x):
    x += 1
    x *= 2
    x -= 3
    x /= 2
    return x


def _in_no_grad(T):
    w = T.ones(3, requires_grad=True)
    with T.no_grad():
        w -= 0.5
        w[0] = 2.0
    return w


def _changed_saved(T):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    with T.no_grad():
        y.add_(1)  # exp's backward needs its output: the pass must refuse
    y.sum().backward()


def _write_joins_graph(T):
    t = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = T.zeros(2, 3)
    x[1] = t * 2
    (x * T.arange(6.0).reshape(2, 3)).sum().backward()
    return x.requires_grad, t.grad


def _masked_write_gradient(T):
    w = T.tensor([-1.0, 2.0, -3.0], requires_grad=True)
    y = w * 3
    y[y < 0] = 0
    y.sum().backward()
    return y.detach(), w.grad


def _data_tensor(T):
    p = T.tensor([1.0, 2.0], requires_grad=True)
    d = p.data
    return d, d.requires_grad, T.is_tensor(d), (p * 2).data.requires_grad


def _manual_sgd(T):
    p = T.tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()
    p.data -= 0.1 * p.grad
    p.grad.zero_()
    return p, p.grad


def _data_copy(T):
    p = T.zeros(2, requires_grad=True)
    p.data.copy_(T.tensor([3.0, 4.0]))
    return p


def _data_set(T):
    p = T.zeros(2, requires_grad=True)
    p.data = T.tensor([5.0, 6.0, 7.0])
    return p, p.shape


@pytest.mark.parametrize("name", CASES)
def test_same_as_torch(name):
    check_case(CASES[name], name)


def _inplace_on_results(T):
    """Course code's ``out += residual`` and ``h *= mask`` on intermediate results."""
    w = T.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    r = T.tensor([0.25, -1.0], requires_grad=True)
    h = w * 2
    h += r
    h *= T.tensor([1.0, 0.0])
    h.clamp_(-1, 10)
    h.sub_(r, alpha=2)
    h /= 4
    h.masked_fill_(h > 0.4, 0.4)
    h[0, 1] = r[0] * 3
    (h * T.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    return h.detach(), w.grad, r.grad


def _plain_tensor_takes_a_graph_value(T):
    w = T.tensor([1.0, 2.0], requires_grad=True)
    acc = T.zeros(2)
    acc += w * w
    acc.add_(w, alpha=3)
    acc.sum().backward()
    return acc.requires_grad, w.grad


@pytest.mark.parametrize("case", [_inplace_on_results, _plain_tensor_takes_a_graph_value])
def test_inplace_ops_on_graph_tensors_are_recorded(case):
    check_case(case, case.__name__, rtol=1e-6)


def test_recorded_inplace_change_keeps_saved_values():
    """Where PyTorch refuses a backward pass because an op's saved output was changed by a
    recorded in-place op, chainrule records the change out of place: the saved values stay
    as they were and the gradient is the true one (d/dx of exp(x) + 1 is exp(x))."""
    import chainrule as cr

    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.add_(1)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0]), rtol=1e-6)


def _item_add_of_a_result(T):
    a = T.ones(3, requires_grad=True)
    h = a * 2
    h[1] += a[0]  # h[1] is read (an op that used h) before h changes
    h.sum().backward()
    return a.grad


def _used_before_the_change(T):
    a = T.tensor([1.0, 2.0], requires_grad=True)
    x = a * 1
    y = x * 2  # uses x before it changes: its gradient follows the old x
    x *= 3
    (y + x).sum().backward()
    return a.grad


def _changed_twice_then_used(T):
    a = T.tensor([1.0, 2.0], requires_grad=True)
    x = a * 1
    x += 1
    x *= a
    x.sum().backward()
    return a.grad


def _masked_fill_after_use(T):
    a = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = a * a
    s = (h * 2).sum()
    h.masked_fill_(T.tensor([True, False, False]), 0)
    (s + h.sum()).backward()
    return a.grad


def _shape_change_refused(T):
    h = T.zeros(3)
    h += T.ones(2, 3, requires_grad=True)


def _dtype_kept(T):
    h = T.zeros(3)
    h += T.ones(3, dtype=T.float64, requires_grad=True)
    return h.detach()


def _mixed_index_write(T):
    x = T.zeros(3, 4, 5)
    w = T.ones(4, 2, requires_grad=True)
    x[0, :, [0, 1]] = w * T.arange(2.0)
    (x * T.arange(60.0).reshape(3, 4, 5)).sum().backward()
    return x.detach(), w.grad


@pytest.mark.parametrize("case", [_item_add_of_a_result, _used_before_the_change, _changed_twice_then_used,
                                  _masked_fill_after_use, _shape_change_refused, _dtype_kept, _mixed_index_write])
def test_an_op_that_used_a_tensor_before_its_change_keeps_its_gradient(case):
    check_case(case, case.__name__)


def test_new_axis_with_an_int_and_an_index_list():
    check_case(lambda T: T.arange(60.0).reshape(5, 3, 4)[0, None, :, [0, 1]], "x[0, None, :, [0, 1]]")


INPLACE_FORMS = {
    "relu_ sigmoid_ tanh_": lambda T: (T.tensor([-1.0, 2.0]).relu_(), T.tensor([0.5]).sigmoid_(), T.tensor([0.5]).tanh_()),
    "exp_ log_ sqrt_ abs_ neg_ pow_": lambda T: (T.tensor([1.0]).exp_(), T.tensor([2.0]).log_(), T.tensor([4.0]).sqrt_(),
                                                 T.tensor([-3.0]).abs_(), T.tensor([3.0]).neg_(), T.tensor([3.0]).pow_(2)),
    "on a result, with gradients": lambda T: _inplace_forms_grad(T),
    "copy_ records its source": lambda T: _copy_records(T),
    "copy_ into a leaf under no_grad": lambda T: _copy_into_leaf(T),
    "mT": lambda T: T.arange(24.0).reshape(2, 3, 4).mT,
}


def _inplace_forms_grad(T):
    a = T.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    h = a * 2
    h.relu_()
    g = a * 1
    g.neg_().exp_()
    (h + g).sum().backward()
    return a.grad


def _copy_records(T):
    a = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = T.zeros(2, 3)
    x.copy_(a * 2)
    (x * T.arange(6.0).reshape(2, 3)).sum().backward()
    return x.detach(), a.grad


def _copy_into_leaf(T):
    p = T.zeros(3, requires_grad=True)
    with T.no_grad():
        p.copy_(T.tensor([1.0, 2.0, 3.0]))
    return p.detach(), p.is_leaf


@pytest.mark.parametrize("name", INPLACE_FORMS)
def test_inplace_forms_same_as_torch(name):
    check_case(INPLACE_FORMS[name], name)
