"""Every loss module against PyTorch's: value and gradient (input, and target where
PyTorch differentiates it), for each reduction."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_twin import torch_single_thread  # noqa: E402,F401  (fixture)

pytestmark = pytest.mark.usefixtures("torch_single_thread")

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402
from torch_twin import assert_close, t  # noqa: E402

REDUCTIONS = ["mean", "sum", "none"]
rng = np.random.default_rng(11)
N, C = 6, 4
LOGITS = (rng.standard_normal((N, C)) * 2).astype(np.float32)
OTHER = rng.standard_normal((N, C)).astype(np.float32)
CLASSES = rng.integers(0, C, N)
PROBS = (1 / (1 + np.exp(-LOGITS))).astype(np.float32)
SOFT = rng.random((N, C)).astype(np.float32)
SOFT /= SOFT.sum(axis=1, keepdims=True)
UNIT = rng.random((N, C)).astype(np.float32)


def _compare(ours, theirs, x, target, *, target_grad=False, int_target=False, rtol=1e-5):
    xc, xt = cr.tensor(x, requires_grad=True), t(x).requires_grad_(True)
    if int_target:
        tc, tt = target, t(target)
    else:
        tc, tt = cr.tensor(target, requires_grad=target_grad), t(target).requires_grad_(target_grad)
    lc, lt = ours(xc, tc), theirs(xt, tt)
    assert lc.shape == tuple(lt.shape)
    assert lc.dtype == np.float32
    assert_close(lc, lt, rtol=rtol, what="loss")
    g = rng.standard_normal(lt.shape).astype(np.float32) if lt.ndim else np.float32(1.0)
    lc.backward(cr.tensor(g) if lt.ndim else None)
    lt.backward(t(g) if lt.ndim else None)
    assert_close(xc.grad, xt.grad, rtol=rtol, what="input grad")
    if target_grad:
        assert_close(tc.grad, tt.grad, rtol=rtol, what="target grad")


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse(reduction):
    _compare(nn.MSELoss(reduction=reduction), torch.nn.MSELoss(reduction=reduction), LOGITS, OTHER, target_grad=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_class_indices(reduction):
    _compare(nn.CrossEntropyLoss(reduction=reduction), torch.nn.CrossEntropyLoss(reduction=reduction),
             LOGITS, CLASSES, int_target=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_class_probabilities(reduction):
    _compare(nn.CrossEntropyLoss(reduction=reduction), torch.nn.CrossEntropyLoss(reduction=reduction),
             LOGITS, SOFT)


def test_cross_entropy_is_stable_for_huge_logits():
    big = (LOGITS * 500).astype(np.float32)
    _compare(nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), big, CLASSES, int_target=True)
    assert np.isfinite(nn.CrossEntropyLoss()(cr.tensor(big), CLASSES).item())


def test_cross_entropy_accepts_list_and_array_targets():
    expected = torch.nn.functional.cross_entropy(t(LOGITS), t(CLASSES)).item()
    for target in (list(CLASSES), np.asarray(CLASSES), cr.tensor(CLASSES)):
        assert nn.CrossEntropyLoss()(cr.tensor(LOGITS), target).item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll(reduction):
    log_probs = torch.log_softmax(t(LOGITS), 1).numpy()
    _compare(nn.NLLLoss(reduction=reduction), torch.nn.NLLLoss(reduction=reduction), log_probs, CLASSES,
             int_target=True)


def test_log_softmax_then_nll_is_cross_entropy():
    x = cr.tensor(LOGITS, requires_grad=True)
    a = nn.NLLLoss()(nn.LogSoftmax(dim=1)(x), CLASSES)
    b = nn.CrossEntropyLoss()(x, CLASSES)
    assert a.item() == pytest.approx(b.item(), rel=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce(reduction):
    _compare(nn.BCELoss(reduction=reduction), torch.nn.BCELoss(reduction=reduction), PROBS, UNIT)


def test_bce_clamps_the_log_at_minus_100_as_torch():
    p = np.array([[0.0, 1.0, 0.0, 1.0, 1e-30, 0.5]], np.float32)
    target = np.array([[1.0, 0.0, 0.0, 1.0, 1.0, 0.3]], np.float32)
    for reduction in ("none", "sum"):
        _compare(nn.BCELoss(reduction=reduction), torch.nn.BCELoss(reduction=reduction), p, target)
    assert nn.BCELoss(reduction="sum")(cr.tensor(p), cr.tensor(target)).item() == pytest.approx(
        torch.nn.BCELoss(reduction="sum")(t(p), t(target)).item(), rel=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits(reduction):
    _compare(nn.BCEWithLogitsLoss(reduction=reduction), torch.nn.BCEWithLogitsLoss(reduction=reduction),
             LOGITS, UNIT, target_grad=True)


def test_bce_with_logits_is_stable_for_huge_logits():
    x = np.array([[-80.0, -30.0, 0.0, 30.0, 80.0]], np.float32)
    target = np.array([[0.0, 1.0, 0.5, 0.0, 1.0]], np.float32)
    _compare(nn.BCEWithLogitsLoss(reduction="none"), torch.nn.BCEWithLogitsLoss(reduction="none"), x, target)


def test_half_mse_is_half_the_squared_error_per_sample_averaged():
    _compare(nn.HalfMSELoss(), lambda y, target: 0.5 * ((y - target) ** 2).sum(1).mean(), LOGITS, OTHER,
             target_grad=True)


def test_half_mse_sum_and_none():
    _compare(nn.HalfMSELoss(reduction="sum"), lambda y, target: 0.5 * ((y - target) ** 2).sum(), LOGITS, OTHER)
    _compare(nn.HalfMSELoss(reduction="none"), lambda y, target: 0.5 * ((y - target) ** 2).sum(1), LOGITS, OTHER)


def test_half_mse_gradient_is_a_minus_y_over_the_batch():
    """B1's cost: dC/da = a − y per sample (divided by N for the mean)."""
    a = cr.tensor(LOGITS, requires_grad=True)
    nn.HalfMSELoss(reduction="sum")(a, cr.tensor(OTHER)).backward()
    np.testing.assert_allclose(a.grad.data, LOGITS - OTHER, rtol=1e-6)


def test_bad_targets_raise_value_errors():
    with pytest.raises(ValueError, match="outside"):
        nn.CrossEntropyLoss()(cr.tensor(LOGITS), np.full(N, C))
    with pytest.raises(ValueError, match="shape"):
        nn.MSELoss()(cr.tensor(LOGITS), cr.tensor(OTHER[:, :2]))
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")(cr.tensor(LOGITS), cr.tensor(OTHER))
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.BCELoss()(cr.tensor(LOGITS * 10), cr.tensor(UNIT))


def test_repr_shows_a_non_default_reduction():
    """Deliberate difference: PyTorch's loss repr is always e.g. ``MSELoss()``."""
    assert repr(nn.MSELoss()) == repr(torch.nn.MSELoss()) == "MSELoss()"
    assert repr(nn.CrossEntropyLoss(reduction="sum")) == "CrossEntropyLoss(reduction='sum')"
