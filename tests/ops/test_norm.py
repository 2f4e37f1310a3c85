"""batch_norm (training and evaluation, 2-d and 4-d) and dropout (fixed mask)."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.nn import functional as F
from chainrule.ops.norm import Dropout
from gradcheck import fd_check, parity, randn, rng

SHAPES = [(6, 3), (3, 2, 3, 2)]


def _stats(channels, seed=20):
    r = rng(seed)
    return r.standard_normal(channels) * 0.5, r.uniform(0.5, 2.0, channels)


# ------------------------------------------------------------------ batch norm
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_fd(shape, training):
    c = shape[1]
    mean, var = _stats(c)

    def fn(x, w, b):
        # fresh copies: training moves the running statistics in place
        return F.batch_norm(x, mean.copy(), var.copy(), w, b, training=training, eps=1e-3)

    fd_check(fn, randn(*shape, seed=1) * 2 + 1, rng(2).uniform(0.5, 1.5, c), randn(c, seed=3))


@pytest.mark.parametrize("shape", SHAPES)
def test_batch_norm_training_without_running_stats_fd(shape):
    fd_check(lambda x: F.batch_norm(x, None, None, training=True), randn(*shape, seed=4))


@pytest.mark.parametrize("shape", SHAPES)
def test_batch_norm_only_affine_requires_grad_fd(shape):
    c = shape[1]
    fd_check(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
             randn(*shape, seed=5), randn(c, seed=6), randn(c, seed=7), requires_grad=[False, True, True])


def test_batch_norm_training_normalises_each_channel():
    x = randn(8, 3, 2, 2, seed=8) * 5 + 2
    y = F.batch_norm(cr.tensor(x), None, None, training=True, eps=0.0).detach().numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, rtol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("momentum", [0.1, 0.5])
def test_batch_norm_parity_and_running_stats(shape, training, momentum):
    torch = pytest.importorskip("torch")
    c = shape[1]
    mean, var = (a.astype(np.float32) for a in _stats(c))
    ours_mean, ours_var = mean.copy(), var.copy()
    theirs_mean, theirs_var = torch.tensor(mean), torch.tensor(var)
    parity(lambda x, w, b: F.batch_norm(x, ours_mean, ours_var, w, b, training=training, momentum=momentum),
           lambda x, w, b: torch.nn.functional.batch_norm(x, theirs_mean, theirs_var, w, b,
                                                          training=training, momentum=momentum),
           randn(*shape, seed=9) * 2 + 1, rng(10).uniform(0.5, 1.5, c), randn(c, seed=11))
    np.testing.assert_allclose(ours_mean, theirs_mean.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours_var, theirs_var.numpy(), rtol=1e-5, atol=1e-6)
    if not training:
        np.testing.assert_array_equal(ours_mean, mean)


def test_batch_norm_running_stats_as_tensors_are_updated():
    rm, rv = cr.zeros(3), cr.ones(3)
    x = randn(4, 3, seed=12).astype(np.float32)
    F.batch_norm(cr.tensor(x), rm, rv, training=True, momentum=0.1)
    np.testing.assert_allclose(rm.detach().numpy(), 0.1 * x.mean(0), rtol=1e-6)
    np.testing.assert_allclose(rv.detach().numpy(), 0.9 + 0.1 * x.var(0, ddof=1), rtol=1e-6)


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="batch_norm.*channels"):
        F.batch_norm(cr.randn(4, 3), None, None, cr.ones(2), cr.zeros(2), training=True)
    with pytest.raises(ValueError, match="batch_norm.*more than 1 value"):
        F.batch_norm(cr.randn(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match="batch_norm.*running"):
        F.batch_norm(cr.randn(4, 3), None, None, training=False)
    with pytest.raises(TypeError, match="int64"):
        F.batch_norm(cr.tensor(np.ones((4, 3), np.int64)), None, None, training=True)


# ------------------------------------------------------------------ dropout
def _mask(shape, p, seed=13):
    keep = rng(seed).random(shape) >= p
    return keep / (1 - p)


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_dropout_fixed_mask_fd(p):
    mask = _mask((3, 4), p)
    out = fd_check(lambda x: Dropout.apply(x, p=p, mask=mask), randn(3, 4, seed=14))
    np.testing.assert_allclose(out.detach().numpy(), randn(3, 4, seed=14) * mask)


def test_dropout_fixed_mask_parity():
    p = 0.3
    mask = _mask((4, 5), p).astype(np.float32)
    parity(lambda x: Dropout.apply(x, p=p, mask=mask), lambda x: x * __import__("torch").from_numpy(mask),
           randn(4, 5, seed=15), exact=True)


def test_dropout_drawn_mask_is_inverted_dropout():
    cr.manual_seed(0)
    p = 0.25
    x = cr.tensor(rng(16).uniform(1, 2, size=(200, 50)).astype(np.float32), requires_grad=True)
    y = F.dropout(x, p=p, training=True)
    dropped = y.detach().numpy() == 0
    np.testing.assert_allclose(y.detach().numpy()[~dropped], x.detach().numpy()[~dropped] / (1 - p), rtol=1e-6)
    assert abs(dropped.mean() - p) < 0.02
    y.backward(cr.ones(200, 50))
    np.testing.assert_allclose(x.grad.detach().numpy(), np.where(dropped, 0, 1 / (1 - p)), rtol=1e-6)
    # reproducible from the global seed
    cr.manual_seed(0)
    np.testing.assert_array_equal(F.dropout(x, p=p).detach().numpy(), y.detach().numpy())


def test_dropout_identity_cases_and_errors():
    x = cr.randn(3, 4)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert not np.any(F.dropout(x, 1.0).detach().numpy())
    with pytest.raises(ValueError, match="dropout probability"):
        F.dropout(x, 1.5)
