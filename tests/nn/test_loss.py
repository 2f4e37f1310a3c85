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
    np.testing.assert_allclose(a.grad.numpy(), LOGITS - OTHER, rtol=1e-6)


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


# ====================================================== every option of every loss module
W = np.array([0.5, 2.0, 1.0, 3.0], np.float32)  # class weights, C = 4
IMAGE = rng.standard_normal((2, C, 3, 2)).astype(np.float32)  # (N, C, H, W)
IMAGE_CLASSES = rng.integers(0, C, (2, 3, 2))
IMAGE_CLASSES[0, 0, :] = -100  # ignored positions
IMAGE_SOFT = rng.random((2, C, 3, 2)).astype(np.float32)
IMAGE_SOFT /= IMAGE_SOFT.sum(axis=1, keepdims=True)
LOG_P = torch.log_softmax(t(LOGITS), 1).numpy()
LOG_Q = torch.log_softmax(t(OTHER), 1).numpy()

MODULES = {  # id: (class name, constructor options, input, target, target is class indices)
    "ce-4d-weight-ignore-smoothing": ("CrossEntropyLoss", {"weight": W, "label_smoothing": 0.1},
                                      IMAGE, IMAGE_CLASSES, True),
    "ce-4d-soft-weight-smoothing": ("CrossEntropyLoss", {"weight": W, "label_smoothing": 0.2},
                                    IMAGE, IMAGE_SOFT, False),
    "ce-ignore-index": ("CrossEntropyLoss", {"ignore_index": 1}, LOGITS, CLASSES, True),
    "nll-4d-weight": ("NLLLoss", {"weight": W},
                      torch.log_softmax(t(IMAGE), 1).numpy(), IMAGE_CLASSES, True),
    "bce-weight": ("BCELoss", {"weight": W}, PROBS, UNIT, False),
    "bce-logits-weight-pos-weight": ("BCEWithLogitsLoss", {"weight": UNIT[:1] + 0.5, "pos_weight": W * 2},
                                     LOGITS, UNIT, False),
    "multi-margin": ("MultiMarginLoss", {}, LOGITS, CLASSES, True),
    "multi-margin-p2-weight": ("MultiMarginLoss", {"p": 2, "margin": 0.5, "weight": W}, LOGITS, CLASSES, True),
    "smooth-l1": ("SmoothL1Loss", {}, LOGITS, OTHER, False),
    "smooth-l1-beta": ("SmoothL1Loss", {"beta": 0.5}, LOGITS, OTHER, False),
    "huber": ("HuberLoss", {"delta": 0.7}, LOGITS, OTHER, False),
    "kl-div": ("KLDivLoss", {}, LOG_P, np.exp(LOG_Q), False),
    "kl-div-log-target": ("KLDivLoss", {"log_target": True}, LOG_P, LOG_Q, False),
    "l1": ("L1Loss", {}, LOGITS, OTHER, False),
}


def _both(name, options):
    """Our module and PyTorch's, built with the same options (arrays as tensors)."""
    ours = {k: cr.tensor(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}
    theirs = {k: t(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}
    return getattr(nn, name)(**ours), getattr(torch.nn, name)(**theirs)


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
@pytest.mark.parametrize("case", MODULES)
def test_module_matches_torch(case):
    name, options, x, target, int_target = MODULES[case]
    reductions = REDUCTIONS + ["batchmean"] if name == "KLDivLoss" else REDUCTIONS
    for reduction in reductions:
        ours, theirs = _both(name, dict(options, reduction=reduction))
        _compare(ours, theirs, x, target, int_target=int_target,
                 target_grad=not int_target and name in ("BCEWithLogitsLoss", "SmoothL1Loss", "KLDivLoss"))


@pytest.mark.parametrize("name", ["CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "MultiMarginLoss",
                                  "L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss", "KLDivLoss"])
def test_constructor_signature_is_torchs(name):
    import inspect

    def params(cls):
        return [(p.name, p.default) for p in inspect.signature(cls.__init__).parameters.values()]

    assert params(getattr(nn, name)) == params(getattr(torch.nn, name))


@pytest.mark.parametrize("name, options", [
    ("CrossEntropyLoss", {"weight": W}), ("NLLLoss", {"weight": W}), ("BCELoss", {"weight": W}),
    ("MultiMarginLoss", {"weight": W}), ("BCEWithLogitsLoss", {"weight": W, "pos_weight": W * 2}),
    ("BCEWithLogitsLoss", {"pos_weight": W}), ("CrossEntropyLoss", {}),
])
def test_weights_are_buffers_in_the_state_dict_as_torch(name, options):
    ours, theirs = _both(name, options)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == []
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value.numpy())
    # and a PyTorch state_dict loads into ours, changing the loss
    if options:
        changed = {key: value * 3 for key, value in theirs.state_dict().items()}
        ours.load_state_dict(changed)
        theirs.load_state_dict(changed)
        x, target = (LOGITS, UNIT) if name.startswith("BCE") else (LOG_P, CLASSES)
        x = PROBS if name == "BCELoss" else x
        assert ours(cr.tensor(x), cr.tensor(target)).item() == pytest.approx(theirs(t(x), t(target)).item(), rel=1e-5)


def test_legacy_size_average_sets_the_reduction():
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert nn.CrossEntropyLoss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert nn.MSELoss(reduce=False).reduction == "none"


def test_multi_margin_rejects_other_p_as_torch():
    with pytest.raises(ValueError, match="p == 1 and p == 2"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError):
        torch.nn.MultiMarginLoss(p=3)
