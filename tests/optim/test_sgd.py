"""SGD against torch.optim.SGD: ten steps on the same model and data, each framework using its
own gradients, under each learning-rate scheduler; plus the argument checks."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_twin import torch_single_thread  # noqa: E402,F401  (fixture)

pytestmark = pytest.mark.usefixtures("torch_single_thread")

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402

from .trajectory import SCHEDULERS, assert_same_trajectory, run  # noqa: E402

CONFIGS = {
    "plain": dict(lr=0.1),
    "momentum": dict(lr=0.1, momentum=0.9),
    "nesterov": dict(lr=0.1, momentum=0.9, nesterov=True),
    "weight-decay": dict(lr=0.1, weight_decay=0.01),
    "momentum-dampening-wd": dict(lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.01),
    "nesterov-wd": dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.001),
    # b₁ = g undamped, then b ← μb: the first gradient alone, fading (PyTorch's first-step rule)
    "full-dampening": dict(lr=0.1, momentum=0.5, dampening=1.0),
}

@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("config", CONFIGS)
def test_trajectory_follows_torch(config, scheduler):
    kwargs = CONFIGS[config]
    assert_same_trajectory(run(lambda m, p: m.SGD(p, **kwargs), SCHEDULERS[scheduler]))


@pytest.mark.parametrize("config", ["plain", "momentum-dampening-wd", "nesterov-wd"])
def test_trajectory_in_float64_is_exact_to_1e12(config):
    kwargs = CONFIGS[config]
    result = run(lambda m, p: m.SGD(p, **kwargs), SCHEDULERS["CosineAnnealingLR"], dtype=np.float64)
    assert_same_trajectory(result, dtype=np.float64)


def test_parameter_groups_with_their_own_lr_and_weight_decay():
    result = run(lambda m, p: m.SGD(p, lr=0.1, momentum=0.9), SCHEDULERS["StepLR"], split_groups=True)
    assert_same_trajectory(result)
    assert result[1][-1][2][0] != result[1][-1][2][1]  # the two groups' rates differ


def test_the_update_rule_by_hand():
    """b₁ = g; b ← μb + (1 − d)g; w ← w − η(g + μb) with Nesterov."""
    w = nn.Parameter(np.array([1.0, -2.0], np.float32))
    opt = cr.optim.SGD([w], lr=0.1, momentum=0.5, nesterov=True)
    g1, g2 = np.array([1.0, 2.0]), np.array([-1.0, 0.5])
    w.grad = cr.tensor(g1.astype(np.float32))
    opt.step()
    expected = np.array([1.0, -2.0]) - 0.1 * (g1 + 0.5 * g1)
    np.testing.assert_allclose(w.detach().numpy(), expected, rtol=1e-6)
    w.grad = cr.tensor(g2.astype(np.float32))
    opt.step()
    buffer = 0.5 * g1 + g2
    np.testing.assert_allclose(w.detach().numpy(), expected - 0.1 * (g2 + 0.5 * buffer), rtol=1e-6)
    np.testing.assert_allclose(opt.state[w]["momentum_buffer"], buffer, rtol=1e-6)


def test_parameters_without_gradients_are_left_alone():
    a, b = nn.Parameter(np.ones(2, np.float32)), nn.Parameter(np.ones(2, np.float32))
    opt = cr.optim.SGD([a, b], lr=0.1, momentum=0.9, weight_decay=0.1)
    a.grad = cr.tensor(np.ones(2, np.float32))
    opt.step()
    np.testing.assert_array_equal(b.detach().numpy(), 1)  # no grad: not even weight decay touches it
    assert b not in opt.state or not opt.state[b]
    assert np.all(a.detach().numpy() < 1)


def test_zero_grad_and_closure():
    model = nn.Linear(3, 1)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    x = cr.randn(4, 3)

    def closure():
        opt.zero_grad()
        loss = model(x).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert isinstance(loss, cr.Tensor) and model.weight.grad is not None
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model(x).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in model.parameters())


def test_bad_arguments_raise_value_errors_as_torch():
    p = [nn.Parameter(np.ones(2, np.float32))]
    tp = [torch.nn.Parameter(torch.ones(2))]
    for kwargs in [dict(lr=-0.1), dict(lr=0.1, momentum=-0.5), dict(lr=0.1, weight_decay=-1),
                   dict(lr=0.1, nesterov=True), dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)]:
        with pytest.raises(ValueError):
            cr.optim.SGD(p, **kwargs)
        with pytest.raises(ValueError):
            torch.optim.SGD(tp, **kwargs)
    with pytest.raises(ValueError, match="empty"):
        cr.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="more than one"):
        cr.optim.SGD([{"params": p}, {"params": p}], lr=0.1)
    with pytest.raises(TypeError):
        cr.optim.SGD([np.ones(2)], lr=0.1)


def test_defaults_equal_torchs():
    p = [nn.Parameter(np.ones(2, np.float32))]
    tp = [torch.nn.Parameter(torch.ones(2))]
    ours, theirs = cr.optim.SGD(p).param_groups[0], torch.optim.SGD(tp).param_groups[0]
    for key in ("lr", "momentum", "dampening", "weight_decay", "nesterov"):
        assert ours[key] == theirs[key], key
