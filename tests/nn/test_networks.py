"""The exercise networks C2, C3 (sigmoid and ReLU), C4 and C6, chainrule against PyTorch with
identical weights and inputs: logits, loss, the input gradient, every parameter gradient and
(C6) BatchNorm's updated running statistics.

Tolerances. float32: rtol 1e-5 with an absolute floor of 1e-6 × the tensor's largest entry
(1e-5 × for C6 in training mode, where BatchNorm normalises 256 channels over only 8 values
each and so magnifies float32 round-off; float64 shows the maths agree to 1e-9 there too).
float64: rtol 1e-9, floor 1e-11 ×: a check of the formulas that float32 noise cannot hide.

Dropout in C6's training mode is handled three ways: evaluation mode (dropout off), p = 0,
and p = 0.3 with chainrule's own random masks copied into the PyTorch twin.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_twin import torch_single_thread  # noqa: E402,F401  (fixture)

pytestmark = pytest.mark.usefixtures("torch_single_thread")

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402
from torch_twin import (  # noqa: E402
    assert_close, assert_grads_close, assert_states_close, t, twin,
)

from .nets import NETWORKS, c6_cnn  # noqa: E402

BATCH = 8
TOL = {np.float32: dict(rtol=1e-5, scale_atol=1e-6), np.float64: dict(rtol=1e-9, scale_atol=1e-11)}


class FixedMask(torch.nn.Module):
    """Dropout with a given mask (already scaled by 1/(1 − p))."""

    def __init__(self, mask: np.ndarray):
        super().__init__()
        self.mask = torch.from_numpy(np.array(mask, copy=True))

    def forward(self, x):
        return x * self.mask


def _data(shape, seed, dtype):
    rng = np.random.default_rng(seed)
    x = rng.random((BATCH,) + shape).astype(dtype)
    y = rng.integers(0, 10, BATCH)
    return x, y


def _shake_batchnorm(model, seed=0):
    """Non-default γ, β and running statistics, so evaluation mode means something."""
    rng = np.random.default_rng(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.detach().numpy()[...] = rng.uniform(0.5, 1.5, m.num_features)
            m.bias.detach().numpy()[...] = rng.normal(0, 0.2, m.num_features)
            m.running_mean.detach().numpy()[...] = rng.normal(0, 0.2, m.num_features)
            m.running_var.detach().numpy()[...] = rng.uniform(0.5, 1.5, m.num_features)


def run_both(model, tmodel, x, y, dtype, tol, masks_into_torch=False):
    """Forward, cross-entropy, backward in both frameworks; compare everything."""
    masks = []
    handles = []
    if masks_into_torch:
        # chainrule's Dropout op keeps the (scaled) mask it drew; record it on the way.
        for m in model.modules():
            if isinstance(m, nn.Dropout):
                handles.append(m.register_forward_hook(lambda mod, inp, out: masks.append(out.grad_fn.mask)))
    xc = cr.tensor(x, requires_grad=True)
    out = model(xc)
    loss = nn.CrossEntropyLoss()(out, y)
    loss.backward()
    for h in handles:
        h.remove()
    if masks_into_torch:
        dropouts = [(name, m) for name, m in tmodel.named_modules() if isinstance(m, torch.nn.Dropout)]
        assert len(dropouts) == len(masks) == 4
        for (name, _), mask in zip(dropouts, masks):
            parent_name, child = name.rsplit(".", 1)
            setattr(tmodel.get_submodule(parent_name), child, FixedMask(mask))
        # the masks really drop something, and scale the rest by 1/(1 − p)
        kept = np.concatenate([m.ravel() for m in masks])
        assert 0.5 < np.mean(kept != 0) < 0.9
        np.testing.assert_allclose(kept[kept != 0], 1 / (1 - 0.3), rtol=1e-6)
    xt = t(x).requires_grad_(True)
    tout = tmodel(xt)
    tloss = torch.nn.functional.cross_entropy(tout, t(y))
    tloss.backward()
    assert out.dtype == dtype
    assert_close(out, tout, what="logits", **tol)
    assert_close(loss, tloss, rtol=tol["rtol"], what="loss")
    assert_close(xc.grad, xt.grad, what="input grad", **tol)
    assert_grads_close(model, tmodel, **tol)
    assert_states_close(model, tmodel, **tol)
    return loss


def _setup(name, dtype, train=True, p=None, seed=0):
    factory, shape = NETWORKS[name]
    cr.manual_seed(seed)
    model = factory() if p is None else c6_cnn(p)
    if dtype == np.float64:
        model.double()
    _shake_batchnorm(model, seed)
    model.train(train)
    tmodel = twin(model, dtype=torch.float64 if dtype == np.float64 else torch.float32)
    x, y = _data(shape, seed + 1, dtype)
    return model, tmodel, x, y


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", ["C2", "C3-sigmoid", "C3-relu", "C4"])
def test_feedforward_and_cnn(name, dtype):
    model, tmodel, x, y = _setup(name, dtype)
    loss = run_both(model, tmodel, x, y, dtype, TOL[dtype])
    assert 1.0 < loss.item() < 4.0  # untrained 10-way classifier: about ln 10


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_c6_in_eval_mode(dtype, unfolding):
    model, tmodel, x, y = _setup("C6", dtype, train=False)
    before = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    run_both(model, tmodel, x, y, dtype, TOL[dtype])
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.detach().numpy(), before[k], err_msg=k)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_c6_in_train_mode_with_dropout_zero(dtype):
    model, tmodel, x, y = _setup("C6", dtype, train=True, p=0.0)
    tol = dict(TOL[dtype], scale_atol=1e-5) if dtype == np.float32 else TOL[dtype]
    run_both(model, tmodel, x, y, dtype, tol)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            assert int(m.num_batches_tracked.detach().numpy()) == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_c6_in_train_mode_with_dropout_masks_shared(dtype, unfolding):
    model, tmodel, x, y = _setup("C6", dtype, train=True, p=0.3)
    tol = dict(TOL[dtype], scale_atol=1e-5) if dtype == np.float32 else TOL[dtype]
    run_both(model, tmodel, x, y, dtype, tol, masks_into_torch=True)


def test_c6_shapes_through_the_blocks():
    model = c6_cnn().eval()
    x = cr.zeros(2, 1, 28, 28)
    sizes = []
    for block in list(model)[:4]:
        x = block(x)
        sizes.append(x.shape)
    assert sizes == [(2, 32, 14, 14), (2, 64, 7, 7), (2, 128, 3, 3), (2, 256, 1, 1)]
    assert model(cr.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_c4_flattens_to_588_units():
    model = NETWORKS["C4"][0]()
    assert model[:7](cr.zeros(3, 1, 28, 28)).shape == (3, 588)


def test_an_sgd_step_keeps_the_two_in_step():
    """After one identical update, the next forward pass still agrees (C2, float32)."""
    model, tmodel, x, y = _setup("C2", np.float32)
    run_both(model, tmodel, x, y, np.float32, TOL[np.float32])
    cr.optim.SGD(model.parameters(), lr=0.5).step()
    torch.optim.SGD(tmodel.parameters(), lr=0.5).step()
    model.zero_grad()
    tmodel.zero_grad()
    run_both(model, tmodel, x, y, np.float32, TOL[np.float32])
