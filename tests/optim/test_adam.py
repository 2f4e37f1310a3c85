"""Adam against torch.optim.Adam: ten steps, each framework with its own gradients, with
weight decay, amsgrad and other betas/eps, under each learning-rate scheduler."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_twin import torch_single_thread  # noqa: E402,F401  (fixture)

pytestmark = pytest.mark.usefixtures("torch_single_thread")

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402

from .trajectory import SCHEDULERS, assert_same_trajectory, run  # noqa: E402

CONFIGS = {
    "default": dict(lr=0.01),
    "weight-decay": dict(lr=0.01, weight_decay=0.05),
    "amsgrad": dict(lr=0.01, amsgrad=True),
    "amsgrad-wd-betas-eps": dict(lr=0.003, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01, amsgrad=True),
}


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("config", CONFIGS)
def test_trajectory_follows_torch(config, scheduler):
    kwargs = CONFIGS[config]
    assert_same_trajectory(run(lambda m, p: m.Adam(p, **kwargs), SCHEDULERS[scheduler]))


@pytest.mark.parametrize("config", ["default", "amsgrad-wd-betas-eps"])
def test_trajectory_in_float64_is_exact_to_1e12(config):
    kwargs = CONFIGS[config]
    result = run(lambda m, p: m.Adam(p, **kwargs), SCHEDULERS["ExponentialLR"], dtype=np.float64)
    assert_same_trajectory(result, dtype=np.float64)


def test_parameter_groups():
    result = run(lambda m, p: m.Adam(p, lr=0.01, amsgrad=True), SCHEDULERS["LambdaLR"], split_groups=True)
    assert_same_trajectory(result)


def test_c4_schedule_adam_with_exp_decay_stays_with_torchs_lambda():
    """C4's recipe (Adam 0.003 with η(t) = η_min + (η_max − η_min)e^(−t/τ)) against PyTorch's
    LambdaLR written with the same formula."""
    tau, eta_min, eta_max = 3.0, 1e-4, 3e-3

    def scheduler(s, o):
        if s is cr.optim.lr_scheduler:
            return s.ExpDecayLR(o, tau=tau, eta_min=eta_min)
        return s.LambdaLR(o, lambda step: (eta_min + (eta_max - eta_min) * math.exp(-step / tau)) / eta_max)

    initial, history = run(lambda m, p: m.Adam(p, lr=eta_max), scheduler)
    for ours, theirs, lrs, tlrs in history:
        assert lrs == pytest.approx(tlrs, rel=1e-12)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6 * np.abs(b).max())


def test_the_first_step_moves_each_weight_by_about_lr():
    """With bias correction, step 1 is lr·g/(|g| + ε·…) ≈ lr·sign(g)."""
    w = nn.Parameter(np.array([1.0, 1.0, 1.0], np.float32))
    opt = cr.optim.Adam([w], lr=0.01)
    w.grad = cr.tensor(np.array([3.0, -0.2, 1e-3], np.float32))
    opt.step()
    np.testing.assert_allclose(w.detach().numpy(), [0.99, 1.01, 0.99], rtol=1e-4)
    assert opt.state[w]["step"] == 1


def test_bad_arguments_raise_value_errors_as_torch():
    p = [nn.Parameter(np.ones(2, np.float32))]
    tp = [torch.nn.Parameter(torch.ones(2))]
    for kwargs in [dict(lr=-1.0), dict(eps=-1.0), dict(weight_decay=-1.0), dict(betas=(1.0, 0.999)),
                   dict(betas=(0.9, 1.5))]:
        with pytest.raises(ValueError):
            cr.optim.Adam(p, **kwargs)
        with pytest.raises(ValueError):
            torch.optim.Adam(tp, **kwargs)


def test_defaults_equal_torchs():
    ours = cr.optim.Adam([nn.Parameter(np.ones(2, np.float32))]).param_groups[0]
    theirs = torch.optim.Adam([torch.nn.Parameter(torch.ones(2))]).param_groups[0]
    for key in ("lr", "betas", "eps", "weight_decay", "amsgrad"):
        assert ours[key] == theirs[key], key
