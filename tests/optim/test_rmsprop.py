"""RMSprop against torch.optim.RMSprop: ten steps, each framework with its own gradients, plain,
centered, with momentum and weight decay, under each learning-rate scheduler."""

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
    "default": dict(),
    "momentum": dict(lr=0.003, momentum=0.9),
    "centered": dict(lr=0.003, centered=True),
    "centered-momentum-wd": dict(lr=0.002, alpha=0.9, eps=1e-6, momentum=0.5, centered=True, weight_decay=0.01),
    # α < ½: a short memory, far from the default
    "small-alpha-centered": dict(lr=0.001, alpha=0.3, centered=True),
}
# With a short memory (small α), v − ḡ² is a difference of nearly equal numbers: dividing by its
# root magnifies the last-bit differences of float32 (see assert_same_trajectory). float64 is
# exact to 1e-12 for every configuration (below).
RTOL = {"small-alpha-centered": 1e-4}


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("config", CONFIGS)
def test_trajectory_follows_torch(config, scheduler):
    kwargs = CONFIGS[config]
    assert_same_trajectory(run(lambda m, p: m.RMSprop(p, **kwargs), SCHEDULERS[scheduler]), rtol=RTOL.get(config))


@pytest.mark.parametrize("config", CONFIGS)
def test_trajectory_in_float64_is_exact_to_1e12(config):
    kwargs = CONFIGS[config]
    result = run(lambda m, p: m.RMSprop(p, **kwargs), SCHEDULERS["ExponentialLR"], dtype=np.float64)
    assert_same_trajectory(result, dtype=np.float64)


def test_parameter_groups():
    result = run(lambda m, p: m.RMSprop(p, lr=0.003, momentum=0.9), SCHEDULERS["StepLR"], split_groups=True)
    assert_same_trajectory(result)


def test_the_first_step_by_hand():
    """v₁ = (1 − α) g², so the first step is η g / (√(1 − α) |g| + ε) ≈ η / √(1 − α) · sign(g)."""
    w = nn.Parameter(np.array([1.0, 1.0], np.float32))
    opt = cr.optim.RMSprop([w], lr=0.01, alpha=0.99)
    w.grad = cr.tensor(np.array([2.0, -0.5], np.float32))
    opt.step()
    np.testing.assert_allclose(w.detach().numpy(), [1 - 0.1, 1 + 0.1], rtol=1e-5)
    assert opt.state[w]["step"] == 1 and set(opt.state[w]) == {"step", "square_avg"}


def test_state_holds_torchs_buffers():
    model = nn.Linear(3, 2)
    tmodel = torch.nn.Linear(3, 2)
    for kwargs in (dict(), dict(momentum=0.9), dict(centered=True), dict(momentum=0.9, centered=True)):
        opt = cr.optim.RMSprop(model.parameters(), **kwargs)
        topt = torch.optim.RMSprop(tmodel.parameters(), **kwargs)
        model(cr.randn(4, 3)).sum().backward()
        tmodel(torch.randn(4, 3)).sum().backward()
        opt.step()
        topt.step()
        assert set(opt.state_dict()["state"][0]) == set(topt.state_dict()["state"][0]), kwargs


def test_bad_arguments_raise_value_errors_as_torch():
    p = [nn.Parameter(np.ones(2, np.float32))]
    tp = [torch.nn.Parameter(torch.ones(2))]
    for kwargs in [dict(lr=-1.0), dict(eps=-1.0), dict(weight_decay=-1.0), dict(momentum=-0.1), dict(alpha=-0.5)]:
        name = next(iter(kwargs))
        with pytest.raises(ValueError, match=f"RMSprop: {name}"):
            cr.optim.RMSprop(p, **kwargs)
        with pytest.raises(ValueError):
            torch.optim.RMSprop(tp, **kwargs)


def test_defaults_equal_torchs():
    ours = cr.optim.RMSprop([nn.Parameter(np.ones(2, np.float32))]).param_groups[0]
    theirs = torch.optim.RMSprop([torch.nn.Parameter(torch.ones(2))]).param_groups[0]
    for key in ("lr", "alpha", "eps", "weight_decay", "momentum", "centered"):
        assert ours[key] == theirs[key], key
