"""AdamW against torch.optim.AdamW: ten steps, each framework with its own gradients, under each
learning-rate scheduler; AdamW is Adam with decoupled weight decay (one flag, shared code)."""

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
    "default": dict(lr=0.01),
    "strong-decay": dict(lr=0.01, weight_decay=0.5),
    "amsgrad": dict(lr=0.01, weight_decay=0.1, amsgrad=True),
    # β₁ < ½: a short memory, far from the default
    "small-beta1-eps": dict(lr=0.003, betas=(0.3, 0.9), eps=1e-6, weight_decay=0.05),
}


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("config", CONFIGS)
def test_trajectory_follows_torch(config, scheduler):
    kwargs = CONFIGS[config]
    assert_same_trajectory(run(lambda m, p: m.AdamW(p, **kwargs), SCHEDULERS[scheduler]))


@pytest.mark.parametrize("config", CONFIGS)
def test_trajectory_in_float64_is_exact_to_1e12(config):
    kwargs = CONFIGS[config]
    result = run(lambda m, p: m.AdamW(p, **kwargs), SCHEDULERS["CosineAnnealingLR"], dtype=np.float64)
    assert_same_trajectory(result, dtype=np.float64)


def test_adam_with_decoupled_weight_decay_follows_torch():
    kwargs = dict(lr=0.01, weight_decay=0.3, decoupled_weight_decay=True)
    assert_same_trajectory(run(lambda m, p: m.Adam(p, **kwargs), SCHEDULERS["StepLR"]))


def test_small_beta1_adam_follows_torch_in_float64():
    kwargs = dict(lr=0.01, betas=(0.2, 0.9), weight_decay=0.01)
    assert_same_trajectory(run(lambda m, p: m.Adam(p, **kwargs), dtype=np.float64), dtype=np.float64)


def test_parameter_groups():
    result = run(lambda m, p: m.AdamW(p, lr=0.01, weight_decay=0.2), SCHEDULERS["LambdaLR"], split_groups=True)
    assert_same_trajectory(result)


def test_the_decay_is_decoupled():
    """With a zero gradient Adam's moments stay 0 and the step is the decay alone,
    w ← (1 − ηλ) w; Adam's coupled decay would instead take a full-size step (≈ η)."""
    w = nn.Parameter(np.array([2.0, -4.0], np.float32))
    opt = cr.optim.AdamW([w], lr=0.1, weight_decay=0.5)
    w.grad = cr.zeros(2)
    opt.step()
    np.testing.assert_allclose(w.detach().numpy(), [2.0 * 0.95, -4.0 * 0.95], rtol=1e-6)
    coupled = nn.Parameter(np.array([2.0, -4.0], np.float32))
    adam = cr.optim.Adam([coupled], lr=0.1, weight_decay=0.5)
    coupled.grad = cr.zeros(2)
    adam.step()
    np.testing.assert_allclose(coupled.detach().numpy(), [1.9, -3.9], rtol=1e-5)


def test_adamw_is_adam_and_loads_an_adam_state_as_torch():
    assert issubclass(cr.optim.AdamW, cr.optim.Adam)
    model = nn.Linear(3, 2)
    adam = cr.optim.Adam(model.parameters(), lr=0.01, weight_decay=0.1)
    model(cr.randn(4, 3)).sum().backward()
    adam.step()
    adamw = cr.optim.AdamW(model.parameters())
    adamw.load_state_dict(adam.state_dict())
    tmodel = torch.nn.Linear(3, 2)
    tadam = torch.optim.Adam(tmodel.parameters(), lr=0.01, weight_decay=0.1)
    tadamw = torch.optim.AdamW(tmodel.parameters())
    tadamw.load_state_dict(tadam.state_dict())
    for key in ("lr", "weight_decay", "decoupled_weight_decay"):
        assert adamw.param_groups[0][key] == tadamw.param_groups[0][key], key
    assert adamw.param_groups[0]["decoupled_weight_decay"] is True


def test_bad_arguments_raise_value_errors_as_torch():
    p = [nn.Parameter(np.ones(2, np.float32))]
    tp = [torch.nn.Parameter(torch.ones(2))]
    for kwargs in [dict(lr=-1.0), dict(eps=-1.0), dict(weight_decay=-1.0), dict(betas=(1.0, 0.999)),
                   dict(betas=(0.9, -0.1))]:
        with pytest.raises(ValueError, match="AdamW"):
            cr.optim.AdamW(p, **kwargs)
        with pytest.raises(ValueError):
            torch.optim.AdamW(tp, **kwargs)


def test_defaults_equal_torchs():
    ours = cr.optim.AdamW([nn.Parameter(np.ones(2, np.float32))]).param_groups[0]
    theirs = torch.optim.AdamW([torch.nn.Parameter(torch.ones(2))]).param_groups[0]
    for key in ("lr", "betas", "eps", "weight_decay", "amsgrad", "decoupled_weight_decay"):
        assert ours[key] == theirs[key], key
    assert cr.optim.Adam([nn.Parameter(np.ones(2, np.float32))]).param_groups[0]["decoupled_weight_decay"] is False
