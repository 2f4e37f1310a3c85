"""Every loss, every reduction: finite differences (float64) for the input and every
float target, PyTorch parity (float32), and target errors."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.nn import functional as F
from gradcheck import fd_check, parity, randn, rng

REDUCTIONS = ["mean", "sum", "none"]
N, C = 5, 4
CLASSES = np.array([0, 3, 1, 3, 2])


def _probs(seed):
    p = rng(seed).uniform(0.1, 1.0, size=(N, C))
    return p / p.sum(axis=1, keepdims=True)


def _torch_f():
    return pytest.importorskip("torch").nn.functional


def _half_mse_torch(reduction):
    def fn(x, t):
        per_sample = 0.5 * ((x - t) ** 2).reshape(len(x), -1).sum(1)
        return {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]
    return fn


# ------------------------------------------------------------------ finite differences
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_class_indices_fd(reduction):
    fd_check(lambda x, t: F.cross_entropy(x, t, reduction=reduction), randn(N, C, seed=1) * 2, CLASSES)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probabilities_fd(reduction):
    # gradients to the logits and to the soft targets
    fd_check(lambda x, t: F.cross_entropy(x, t, reduction=reduction), randn(N, C, seed=2) * 2, _probs(3))


def test_cross_entropy_accepts_a_list_of_classes():
    x = cr.tensor(randn(N, C, seed=4))
    a = F.cross_entropy(x, CLASSES.tolist()).item()
    b = F.cross_entropy(x, cr.tensor(CLASSES)).item()
    assert a == b


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_fd(reduction):
    fd_check(lambda x, t: F.nll_loss(x, t, reduction=reduction), randn(N, C, seed=5), CLASSES)


def test_nll_of_log_softmax_is_cross_entropy():
    x = cr.tensor(randn(N, C, seed=6))
    np.testing.assert_allclose(F.nll_loss(F.log_softmax(x, 1), CLASSES).item(),
                               F.cross_entropy(x, CLASSES).item(), rtol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(N, C), (N,), (2, 3, 2)])
def test_mse_fd(reduction, shape):
    fd_check(lambda x, t: F.mse_loss(x, t, reduction=reduction), randn(*shape, seed=7), randn(*shape, seed=8))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(N, C), (N,), (2, 3, 2)])
def test_half_mse_fd(reduction, shape):
    x, t = randn(*shape, seed=9), randn(*shape, seed=10)
    out = fd_check(lambda x, t: F.half_mse_loss(x, t, reduction=reduction), x, t)
    per_sample = 0.5 * ((x - t) ** 2).reshape(shape[0], -1).sum(1)
    expected = {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]
    np.testing.assert_allclose(out.data, expected, rtol=1e-13)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_fd(reduction):
    p = rng(11).uniform(0.05, 0.95, size=(N, C))
    t = rng(12).uniform(0, 1, size=(N, C))  # soft targets: the target gradient is non-trivial
    fd_check(lambda p, t: F.binary_cross_entropy(p, t, reduction=reduction), p, t)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_fd(reduction):
    x = randn(N, C, seed=13) * 3
    t = rng(14).uniform(0, 1, size=(N, C))
    fd_check(lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction=reduction), x, t)


# ------------------------------------------------------------------ PyTorch parity
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_parity(reduction):
    TF = _torch_f()
    parity(lambda x, t: F.cross_entropy(x, t, reduction=reduction),
           lambda x, t: TF.cross_entropy(x, t, reduction=reduction), randn(N, C, seed=1) * 2, CLASSES)
    parity(lambda x, t: F.cross_entropy(x, t, reduction=reduction),
           lambda x, t: TF.cross_entropy(x, t, reduction=reduction), randn(N, C, seed=2) * 2, _probs(3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_parity(reduction):
    TF = _torch_f()
    parity(lambda x, t: F.nll_loss(x, t, reduction=reduction),
           lambda x, t: TF.nll_loss(x, t, reduction=reduction), randn(N, C, seed=5), CLASSES)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_parity(reduction):
    TF = _torch_f()
    parity(lambda x, t: F.mse_loss(x, t, reduction=reduction),
           lambda x, t: TF.mse_loss(x, t, reduction=reduction), randn(2, 3, 2, seed=7), randn(2, 3, 2, seed=8))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_half_mse_parity(reduction):
    _torch_f()
    parity(lambda x, t: F.half_mse_loss(x, t, reduction=reduction), _half_mse_torch(reduction),
           randn(N, C, seed=9), randn(N, C, seed=10))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_parity(reduction):
    TF = _torch_f()
    p = rng(11).uniform(0.05, 0.95, size=(N, C))
    t = rng(12).uniform(0, 1, size=(N, C))
    parity(lambda p, t: F.binary_cross_entropy(p, t, reduction=reduction),
           lambda p, t: TF.binary_cross_entropy(p, t, reduction=reduction), p, t)


def test_bce_at_zero_and_one_parity():
    # log is clamped at -100, so p in {0, 1} gives a finite loss and PyTorch's gradient
    TF = _torch_f()
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    t = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    parity(lambda p, t: F.binary_cross_entropy(p, t, reduction="none"),
           lambda p, t: TF.binary_cross_entropy(p, t, reduction="none"), p, t, requires_grad=[True, False])


def test_bce_target_gradient_is_minus_logit_unclamped():
    # ∂/∂t = log(1 − p) − log p: ±inf at p = 1 and 0, and past the forward's −100 clamp
    # for a denormal p (−log 1e-45 ≈ 103.6), as in PyTorch
    TF = _torch_f()
    import torch

    for dtype in (np.float32, np.float64):
        p, t = np.array([0.0, 1.0, 1e-45, 0.3], dtype), np.array([0.5, 0.5, 0.5, 0.2], dtype)
        ct = cr.tensor(t, requires_grad=True)
        F.binary_cross_entropy(cr.tensor(p), ct).backward()
        tt = torch.tensor(t, requires_grad=True)
        TF.binary_cross_entropy(torch.tensor(p), tt).backward()
        np.testing.assert_allclose(ct.grad.data, tt.grad.numpy(), rtol=1e-6)
        assert ct.grad.data[0] == np.inf and ct.grad.data[1] == -np.inf


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_parity(reduction):
    TF = _torch_f()
    x = randn(N, C, seed=13) * 3
    t = rng(14).uniform(0, 1, size=(N, C))
    parity(lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction=reduction),
           lambda x, t: TF.binary_cross_entropy_with_logits(x, t, reduction=reduction), x, t)


def test_bce_with_logits_is_stable_for_huge_logits():
    TF = _torch_f()
    x = np.array([100.0, -100.0, 1e4, -1e4, 0.0])
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.5])
    _, _, co, _ = parity(lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction="none"),
                         lambda x, t: TF.binary_cross_entropy_with_logits(x, t, reduction="none"), x, t)
    assert np.all(np.isfinite(co.data))


def test_bce_with_logits_small_losses_keep_relative_precision():
    # confident, correct predictions: the loss is log1p(e^-|x|) ~ 1e-9..1e-13, which
    # log(1 + e^-|x|) would round to 0. No atol: relative error only.
    # (For x < 0, t = 0 PyTorch's own formula rounds to exactly 0 in float32 while ours
    # keeps e^x; those cases are left out.)
    TF = _torch_f()
    x = np.array([20.0, 30.0, 12.0, 16.5])
    t = np.ones(4)
    parity(lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction="none"),
           lambda x, t: TF.binary_cross_entropy_with_logits(x, t, reduction="none"), x, t,
           requires_grad=[True, False], rtol=1e-5, atol=0)


def test_cross_entropy_is_stable_for_huge_logits():
    TF = _torch_f()
    x = np.array([[1000.0, 0.0, -1000.0], [0.0, 1e4, 0.0]])
    parity(lambda x, t: F.cross_entropy(x, t), lambda x, t: TF.cross_entropy(x, t), x, np.array([2, 0]))


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_class_target_shape_mismatch_names_op_and_shapes(loss):
    with pytest.raises(ValueError, match=loss) as info:
        getattr(F, loss)(cr.randn(N, C), cr.tensor([0, 1, 2]))
    assert "(5, 4)" in str(info.value) and "(3,)" in str(info.value)


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_class_out_of_range(loss):
    with pytest.raises(ValueError, match=f"{loss}.*class 4"):
        getattr(F, loss)(cr.randn(2, C), cr.tensor([0, 4]))
    with pytest.raises(ValueError, match=f"{loss}.*class -1"):
        getattr(F, loss)(cr.randn(2, C), cr.tensor([-1, 0]))


def test_cross_entropy_probability_target_shape_mismatch():
    with pytest.raises(ValueError, match="cross_entropy") as info:
        F.cross_entropy(cr.randn(N, C), cr.randn(N, C + 1))
    assert "(5, 4)" in str(info.value) and "(5, 5)" in str(info.value)


@pytest.mark.parametrize("loss", ["mse_loss", "half_mse_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits"])
def test_elementwise_target_shape_mismatch_names_op_and_shapes(loss):
    with pytest.raises(ValueError, match=loss) as info:
        getattr(F, loss)(cr.rand(4, 3), cr.rand(4, 2))
    assert "(4, 3)" in str(info.value) and "(4, 2)" in str(info.value)


def test_integer_logits_and_float_class_targets_name_the_dtype():
    with pytest.raises(TypeError, match="int64"):
        F.cross_entropy(cr.tensor([[1, 2], [3, 4]]), cr.tensor([0, 1]))
    with pytest.raises(TypeError, match="nll_loss.*float32"):
        F.nll_loss(cr.randn(2, 3), cr.tensor([0.0, 1.0]))
    with pytest.raises(TypeError, match="int64"):
        F.mse_loss(cr.tensor([1, 2]), cr.tensor([1, 2]))


def test_bce_rejects_values_outside_0_1():
    with pytest.raises(ValueError, match="binary_cross_entropy.*between 0 and 1"):
        F.binary_cross_entropy(cr.tensor([0.5, 1.5]), cr.tensor([0.0, 1.0]))


@pytest.mark.parametrize("loss", ["cross_entropy", "mse_loss", "binary_cross_entropy_with_logits"])
def test_bad_reduction(loss):
    target = cr.tensor([0, 1]) if loss == "cross_entropy" else cr.rand(2, 3)
    with pytest.raises(ValueError, match="reduction"):
        getattr(F, loss)(cr.rand(2, 3), target, reduction="avg")
