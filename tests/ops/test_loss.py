"""Every loss, every reduction: finite differences (float64) for the input and every
float target, PyTorch parity (float32), and target errors."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.nn import functional as F
from gradcheck import away_from, fd_check, parity, randn, rng

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
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-13)


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
        np.testing.assert_allclose(ct.grad.numpy(), tt.grad.numpy(), rtol=1e-6)
        assert ct.grad.numpy()[0] == np.inf and ct.grad.numpy()[1] == -np.inf


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
    assert np.all(np.isfinite(co.detach().numpy()))


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


# ====================================================== the full surface, case by case
# Each case: loss name, options (arrays among them become tensors of the input's dtype),
# input, target. Every case is checked against PyTorch (float32) and by finite differences
# (float64) for each reduction.
pytestmark = pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")  # kl_div's own warning


def _soft(*shape, seed=0):
    """Class probabilities along axis 1 (axis 0 for a 1-d shape)."""
    p = rng(seed).uniform(0.1, 1.0, size=shape)
    return p / p.sum(axis=1 if len(shape) > 1 else 0, keepdims=True)


def _classes(*shape, seed=0, ignored=0):
    """Class indices in 0..C−1; the first ``ignored`` entries (flat) are 7, the ignore_index used below."""
    t = rng(seed).integers(0, C, size=shape)
    t.flat[:ignored] = 7
    return t


def _margin_scores(shape, target, margin, seed):
    """Scores whose hinge terms margin − x_y + x_c all stay clear of their kink at 0."""
    x = randn(*shape, seed=seed)
    picked = np.take_along_axis(x.reshape(-1, C), target.reshape(-1, 1), 1)
    assert np.abs(margin - picked + x.reshape(-1, C)).min() > 1e-3
    return x


def _near_kinks(shape, kinks, seed):
    """(input, target) whose difference stays clear of the loss's kinks."""
    t = randn(*shape, seed=seed)
    return t + away_from(shape, kinks=kinks, margin=0.05, seed=seed + 1), t


W = np.array([0.5, 2.0, 1.0, 3.0])  # class weights, C = 4
_MARGIN_T = np.array([0, 3, 1, 3, 2])

CASES = {
    # the regression: probability targets on (N, C, H, W) take the softmax over axis 1
    "ce-soft-4d": ("cross_entropy", {}, randn(2, C, 3, 2, seed=20) * 2, _soft(2, C, 3, 2, seed=21)),
    "ce-soft-3d-weight-smoothing": ("cross_entropy", {"weight": W, "label_smoothing": 0.2},
                                    randn(3, C, 2, seed=22), _soft(3, C, 2, seed=23)),
    "ce-soft-weight": ("cross_entropy", {"weight": W}, randn(N, C, seed=24), _soft(N, C, seed=25)),
    "ce-soft-unbatched": ("cross_entropy", {"label_smoothing": 0.1}, randn(C, seed=26), _soft(C, seed=27)),
    "ce-index-4d": ("cross_entropy", {}, randn(2, C, 3, 2, seed=28) * 2, _classes(2, 3, 2, seed=29)),
    "ce-index-weight-ignore": ("cross_entropy", {"weight": W, "ignore_index": 7},
                               randn(N, C, seed=30), _classes(N, seed=31, ignored=2)),
    "ce-index-3d-weight-ignore-smoothing": ("cross_entropy", {"weight": W, "ignore_index": 7, "label_smoothing": 0.3},
                                            randn(3, C, 2, seed=32), _classes(3, 2, seed=33, ignored=2)),
    "ce-index-smoothing": ("cross_entropy", {"label_smoothing": 0.15}, randn(N, C, seed=34), _classes(N, seed=35)),
    "ce-index-unbatched": ("cross_entropy", {"weight": W}, randn(C, seed=36), np.array(2)),
    "nll-4d-weight-ignore": ("nll_loss", {"weight": W, "ignore_index": 7},
                             randn(2, C, 3, 2, seed=37), _classes(2, 3, 2, seed=38, ignored=3)),
    "nll-unbatched": ("nll_loss", {}, randn(C, seed=39), np.array(1)),
    "bce-weight": ("binary_cross_entropy", {"weight": rng(40).uniform(0.5, 2, size=C)},
                   rng(41).uniform(0.05, 0.95, size=(N, C)), rng(42).uniform(0, 1, size=(N, C))),
    "bce-logits-weight-pos-weight": ("binary_cross_entropy_with_logits",
                                     {"weight": rng(43).uniform(0.5, 2, size=(N, 1)),
                                      "pos_weight": rng(44).uniform(0.2, 4, size=C)},
                                     randn(N, C, seed=45) * 3, rng(46).uniform(0, 1, size=(N, C))),
    "bce-logits-3d-pos-weight": ("binary_cross_entropy_with_logits", {"pos_weight": rng(47).uniform(0.2, 4, size=C)},
                                 randn(2, 3, C, seed=48) * 3, rng(49).uniform(0, 1, size=(2, 3, C))),
    "multi-margin": ("multi_margin_loss", {}, _margin_scores((N, C), _MARGIN_T, 1.0, 50), _MARGIN_T),
    "multi-margin-p2-weight": ("multi_margin_loss", {"p": 2, "margin": 0.7, "weight": W},
                               _margin_scores((N, C), _MARGIN_T, 0.7, 51), _MARGIN_T),
    "multi-margin-unbatched": ("multi_margin_loss", {"weight": W}, _margin_scores((C,), np.array(1), 1.0, 52),
                               np.array(1)),
    "l1": ("l1_loss", {}, *_near_kinks((N, C), (0.0,), 53)),
    "smooth-l1": ("smooth_l1_loss", {}, *_near_kinks((N, C), (-1.0, 1.0), 54)),
    "smooth-l1-beta": ("smooth_l1_loss", {"beta": 0.5}, *_near_kinks((2, 3, 2), (-0.5, 0.5), 55)),
    "smooth-l1-beta-0": ("smooth_l1_loss", {"beta": 0.0}, *_near_kinks((N, C), (0.0,), 56)),
    "huber": ("huber_loss", {}, *_near_kinks((N, C), (-1.0, 1.0), 57)),
    "huber-delta": ("huber_loss", {"delta": 0.4}, *_near_kinks((N, C), (-0.4, 0.4), 58)),
    "kl-div": ("kl_div", {}, np.log(_soft(N, C, seed=59)), _soft(N, C, seed=60)),
    "kl-div-log-target": ("kl_div", {"log_target": True}, np.log(_soft(N, C, seed=61)), np.log(_soft(N, C, seed=62))),
    "mse-3d": ("mse_loss", {}, randn(2, 3, 2, seed=63), randn(2, 3, 2, seed=64)),
}


def _fn(lib, name, options, tensor):
    def fn(x, t):
        opts = {k: tensor(v, x.dtype) if isinstance(v, np.ndarray) else v for k, v in options.items()}
        return getattr(lib, name)(x, t, **opts)
    return fn


def _ours(name, options):
    return _fn(F, name, options, lambda v, dtype: cr.tensor(v.astype(dtype)))


def _theirs(name, options):
    torch = pytest.importorskip("torch")
    return _fn(torch.nn.functional, name, options, lambda v, dtype: torch.tensor(v, dtype=dtype))


def _reductions(name):
    return REDUCTIONS + ["batchmean"] if name == "kl_div" else REDUCTIONS


@pytest.mark.parametrize("case", CASES)
def test_parity_with_torch(case):
    name, options, x, target = CASES[case]
    for reduction in _reductions(name):
        opts = dict(options, reduction=reduction)
        parity(_ours(name, opts), _theirs(name, opts), x, target)


@pytest.mark.parametrize("case", CASES)
def test_finite_differences(case):
    name, options, x, target = CASES[case]
    for reduction in _reductions(name):
        fd_check(_ours(name, dict(options, reduction=reduction)), x, target)


def test_soft_targets_on_4d_input_use_axis_1_and_average_over_positions():
    """The regression by hand: −Σ_c q log softmax(x) over axis 1, mean over N·H·W positions."""
    x, q = randn(2, C, 3, 2, seed=70), _soft(2, C, 3, 2, seed=71)
    log_probs = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    per_position = -(q * log_probs).sum(axis=1)
    np.testing.assert_allclose(F.cross_entropy(cr.tensor(x), cr.tensor(q)).item(), per_position.mean(), rtol=1e-12)
    np.testing.assert_allclose(F.cross_entropy(cr.tensor(x), cr.tensor(q), reduction="none").numpy(),
                               per_position, rtol=1e-12)


def test_class_index_mean_divides_by_the_weights_of_the_kept_targets():
    x, target = randn(N, C, seed=72), np.array([0, 7, 3, 3, 7])
    log_probs = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    kept = [0, 2, 3]
    expected = -sum(W[target[i]] * log_probs[i, target[i]] for i in kept) / W[target[kept]].sum()
    got = F.cross_entropy(cr.tensor(x), target, weight=cr.tensor(W), ignore_index=7).item()
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_every_target_ignored_gives_nan_as_torch():
    torch = pytest.importorskip("torch")
    x, target = randn(3, C, seed=73).astype(np.float32), np.full(3, -100)
    expected = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(target)).item()
    assert np.isnan(expected) and np.isnan(F.cross_entropy(cr.tensor(x), target).item())
    assert F.nll_loss(cr.tensor(x), target, reduction="sum").item() == 0.0


def test_kl_div_mean_warns_as_torch():
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(cr.tensor(np.log(_soft(N, C))), cr.tensor(_soft(N, C, seed=1)))


@pytest.mark.parametrize("size_average, reduce, reduction", [(None, False, "none"), (False, None, "sum"),
                                                             (True, True, "mean")])
def test_legacy_size_average_and_reduce(size_average, reduce, reduction):
    x = cr.tensor(randn(N, C, seed=74))
    with pytest.warns(UserWarning, match="size_average and reduce"):
        old = F.cross_entropy(x, CLASSES, size_average=size_average, reduce=reduce)
    np.testing.assert_array_equal(old.numpy(), F.cross_entropy(x, CLASSES, reduction=reduction).numpy())


# ------------------------------------------------------------------ errors on the new surface
@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss", "multi_margin_loss"])
def test_out_of_range_target_is_an_index_error_naming_class_and_count(loss):
    for error in (IndexError, ValueError):
        with pytest.raises(error, match=f"{loss}: target holds class 9, outside 0..3 for an input of 4 classes"):
            getattr(F, loss)(cr.randn(3, C), cr.tensor([0, 9, 1]))


def test_ignore_index_may_lie_outside_the_classes_but_nothing_else():
    x = cr.randn(2, C, 3)
    F.cross_entropy(x, cr.tensor([[0, -100, 3], [-100, 1, 2]]))
    with pytest.raises(IndexError, match="class -1.*ignore_index=-100"):
        F.cross_entropy(x, cr.tensor([[0, -1, 3], [1, 1, 2]]))


@pytest.mark.parametrize("call, shapes", [
    (lambda: F.cross_entropy(cr.randn(2, C, 3), cr.tensor(np.zeros((2, 4), np.int64))), ["(2, 4, 3)", "(2, 3)", "(2, 4)"]),
    (lambda: F.nll_loss(cr.randn(C), cr.tensor([1])), ["(4,)", "()", "(1,)"]),
    (lambda: F.cross_entropy(cr.randn(2, C, 3), cr.rand(2, C, 2)), ["(2, 4, 3)", "(2, 4, 2)"]),
    (lambda: F.cross_entropy(cr.randn(2, C), CLASSES[:2], weight=cr.ones(3)), ["(3,)", "(4,)"]),
    (lambda: F.binary_cross_entropy_with_logits(cr.randn(2, C), cr.rand(2, C), pos_weight=cr.ones(3)),
     ["(3,)", "(2, 4)"]),
    (lambda: F.binary_cross_entropy(cr.rand(2, C), cr.rand(2, C), weight=cr.ones(3)), ["(3,)", "(2, 4)"]),
    (lambda: F.l1_loss(cr.randn(2, C), cr.randn(C)), ["(2, 4)", "(4,)"]),
    (lambda: F.kl_div(cr.randn(2, C), cr.rand(2, 3)), ["(2, 4)", "(2, 3)"]),
    (lambda: F.multi_margin_loss(cr.randn(2, C, 3), cr.tensor([0, 1])), ["(2, 4, 3)"]),
    (lambda: F.cross_entropy(cr.randn(3, C), cr.tensor([0.0, 1.0, 2.0])), ["(3, 4)", "(3,)", "integers"]),
    (lambda: F.cross_entropy(cr.tensor(1.0), cr.tensor(0)), ["0-d"]),
    (lambda: F.nll_loss(cr.tensor(1.0), cr.tensor(0)), ["0-d"]),
])
def test_shape_mismatch_is_a_shape_error_naming_both_shapes(call, shapes):
    from chainrule.errors import ShapeError

    with pytest.raises(ShapeError) as info:
        call()
    assert isinstance(info.value, RuntimeError) and isinstance(info.value, ValueError)
    for shape in shapes:
        assert shape in str(info.value)


@pytest.mark.parametrize("call, match", [
    (lambda: F.smooth_l1_loss(cr.randn(3), cr.randn(3), beta=-1.0), "beta"),
    (lambda: F.huber_loss(cr.randn(3), cr.randn(3), delta=0.0), "delta"),
    (lambda: F.multi_margin_loss(cr.randn(2, C), cr.tensor([0, 1]), p=3), "p == 1 and p == 2"),
    (lambda: F.cross_entropy(cr.randn(2, C), cr.tensor([0, 1]), label_smoothing=1.5), "label_smoothing"),
    (lambda: F.kl_div(cr.randn(2, C), cr.rand(2, C), reduction="avg"), "batchmean"),
])
def test_bad_options_name_the_option(call, match):
    with pytest.raises(ValueError, match=match):
        call()
