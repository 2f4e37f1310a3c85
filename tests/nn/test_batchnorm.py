"""BatchNorm1d/2d against PyTorch: outputs, input/weight/bias gradients and the running
statistics (running_mean, running_var, num_batches_tracked) over several training steps,
then evaluation; momentum=None (cumulative average); affine and track_running_stats off."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_twin import torch_single_thread  # noqa: E402,F401  (fixture)

pytestmark = pytest.mark.usefixtures("torch_single_thread")

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402
from torch_twin import (  # noqa: E402
    DIRECTIONS, assert_close, assert_grads_close, assert_states_close, build, make_pair, t, twin,
)


def _batches(shape, n, seed=0):
    rng = np.random.default_rng(seed)
    # Mean and spread differ by channel and by batch, so the statistics really move.
    c = shape[1]
    bshape = (1, c) + (1,) * (len(shape) - 2)
    return [(rng.standard_normal(shape) * rng.uniform(0.5, 3, bshape) + rng.normal(0, 2, bshape)).astype(np.float32)
            for _ in range(n)]


def _shake(bn: nn.Module, seed=1):
    """Non-trivial γ and β (the defaults 1 and 0 would hide a swapped pair)."""
    rng = np.random.default_rng(seed)
    if bn.weight is not None:
        bn.weight.detach().numpy()[...] = rng.uniform(0.5, 1.5, bn.weight.shape)
        bn.bias.detach().numpy()[...] = rng.normal(0, 1, bn.bias.shape)
    return bn


def _step(bn, tbn, x, seed):
    """One forward/backward in both; every result compared."""
    bn.zero_grad()
    tbn.zero_grad()
    xc, xt = cr.tensor(x, requires_grad=True), t(x).requires_grad_(True)
    yc, yt = bn(xc), tbn(xt)
    assert_close(yc, yt, what="output")
    g = np.random.default_rng(seed).standard_normal(x.shape).astype(np.float32)
    yc.backward(cr.tensor(g))
    yt.backward(t(g))
    assert_close(xc.grad, xt.grad, what="input grad")
    assert_grads_close(bn, tbn)
    assert_states_close(bn, tbn)  # running_mean, running_var, num_batches_tracked too
    return yc


CASES = [
    ("BatchNorm2d", (8, 3, 5, 4)),
    ("BatchNorm1d", (8, 6)),  # [N, C]
    ("BatchNorm1d", (4, 6, 5)),  # [N, C, L]
]


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("kind,shape", CASES)
@pytest.mark.parametrize("momentum", [0.1, 0.4])
def test_training_steps_then_eval(direction, kind, shape, momentum):
    bn = _shake(getattr(nn, kind)(shape[1], momentum=momentum))
    bn, tbn = make_pair(bn, direction)
    start = int(bn.num_batches_tracked.detach().numpy())
    for i, x in enumerate(_batches(shape, 3)):
        _step(bn, tbn, x, seed=10 + i)
        assert int(bn.num_batches_tracked.detach().numpy()) == start + i + 1
    # Evaluation: the running estimates are used and left alone.
    bn.eval()
    tbn.eval()
    frozen = {k: v.detach().numpy().copy() for k, v in bn.state_dict().items()}
    for i, x in enumerate(_batches(shape, 2, seed=7)):
        _step(bn, tbn, x, seed=20 + i)
    for k, v in bn.state_dict().items():
        np.testing.assert_array_equal(v.detach().numpy(), frozen[k], err_msg=k)


def test_running_statistics_by_the_formula():
    """running ← (1 − m)·running + m·batch, with the unbiased batch variance."""
    bn = nn.BatchNorm2d(3, momentum=0.1)
    x = _batches((6, 3, 4, 4), 1)[0]
    bn(cr.tensor(x))
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=(0, 2, 3))
    var_unbiased = x64.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(bn.running_mean.detach().numpy(), 0.9 * 0 + 0.1 * mean, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(bn.running_var.detach().numpy(), 0.9 * 1 + 0.1 * var_unbiased, rtol=1e-5)
    assert bn.num_batches_tracked.detach().numpy().dtype == np.int64 and int(bn.num_batches_tracked.detach().numpy()) == 1


@pytest.mark.parametrize("kind,shape", CASES)
def test_momentum_none_is_the_cumulative_average(kind, shape):
    bn = _shake(getattr(nn, kind)(shape[1], momentum=None))
    tbn = twin(bn)
    batches = _batches(shape, 4, seed=3)
    for i, x in enumerate(batches):
        _step(bn, tbn, x, seed=30 + i)
    axes = (0,) + tuple(range(2, len(shape)))
    means = [b.astype(np.float64).mean(axis=axes) for b in batches]
    variances = [b.astype(np.float64).var(axis=axes, ddof=1) for b in batches]
    # With factor 1/k at step k, the running values are plain averages over the batches
    # (the initial 0 and 1 are weighted by 1 − 1/1 = 0).
    np.testing.assert_allclose(bn.running_mean.detach().numpy(), np.mean(means, axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.running_var.detach().numpy(), np.mean(variances, axis=0), rtol=1e-5)
    assert int(bn.num_batches_tracked.detach().numpy()) == 4
    bn.eval()
    tbn.eval()
    _step(bn, tbn, batches[0], seed=40)


@pytest.mark.parametrize("train", [True, False])
def test_without_affine(train):
    bn = nn.BatchNorm2d(3, affine=False).train(train)
    assert bn.weight is None and bn.bias is None and list(bn.parameters()) == []
    tbn = twin(bn)
    assert list(bn.state_dict()) == list(tbn.state_dict())
    _step(bn, tbn, _batches((5, 3, 3, 3), 1)[0], seed=1)


@pytest.mark.parametrize("train", [True, False])
def test_without_running_statistics_batch_statistics_are_always_used(train):
    bn = _shake(nn.BatchNorm1d(4, track_running_stats=False)).train(train)
    tbn = twin(bn)
    assert list(bn.state_dict()) == list(tbn.state_dict()) == ["weight", "bias"]
    assert list(bn.buffers()) == []
    y = _step(bn, tbn, _batches((7, 4), 1)[0], seed=2)
    # Normalised by the batch's own statistics, in eval mode as in train mode.
    normalised = (y.detach().numpy() - bn.bias.detach().numpy()) / bn.weight.detach().numpy()
    np.testing.assert_allclose(normalised.mean(axis=0), 0, atol=1e-5)


def test_fresh_state_equals_torchs_exactly():
    for bn, tbn in [(nn.BatchNorm2d(5), torch.nn.BatchNorm2d(5)), (nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3))]:
        ours, theirs = bn.state_dict(), tbn.state_dict()
        assert list(ours) == list(theirs) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
        for k in ours:
            assert ours[k].shape == tuple(theirs[k].shape), k
            assert ours[k].dtype == theirs[k].numpy().dtype, k
            np.testing.assert_array_equal(ours[k].detach().numpy(), theirs[k].numpy(), err_msg=k)


def test_bad_inputs_raise_value_errors():
    with pytest.raises(ValueError, match="4-d"):
        nn.BatchNorm2d(3)(cr.zeros(2, 3, 4))
    with pytest.raises(ValueError):
        nn.BatchNorm1d(3)(cr.zeros(2, 3, 4, 4))
    # one value per channel: no variance to estimate (PyTorch raises too)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(cr.zeros(1, 3))
    with pytest.raises(ValueError):
        torch.nn.BatchNorm1d(3)(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="channels"):
        nn.BatchNorm2d(3)(cr.zeros(2, 4, 2, 2))
    # the same single sample is fine in evaluation mode, in both
    assert nn.BatchNorm1d(3).eval()(cr.zeros(1, 3)).shape == (1, 3)


def test_twin_structure_matches():
    assert repr(nn.BatchNorm2d(4)) == repr(build(nn.BatchNorm2d(4)))
    assert repr(nn.BatchNorm1d(4, affine=False, momentum=None)) == repr(torch.nn.BatchNorm1d(4, affine=False, momentum=None))
