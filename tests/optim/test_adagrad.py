"""Adagrad against torch.optim.Adagrad: ten steps, each framework with its own gradients, with
lr_decay, weight decay and a starting accumulator, under each learning-rate scheduler."""

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
    "lr-decay": dict(lr=0.05, lr_decay=0.1),
    "wd-accumulator-eps": dict(lr=0.03, weight_decay=0.01, initial_accumulator_value=0.1, eps=1e-6),
}


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("config", CONFIGS)
def test_trajectory_follows_torch(config, scheduler):
    kwargs = CONFIGS[config]
    assert_same_trajectory(run(lambda m, p: m.Adagrad(p, **kwargs), SCHEDULERS[scheduler]))


@pytest.mark.parametrize("config", CONFIGS)
def test_trajectory_in_float64_is_exact_to_1e12(config):
    kwargs = CONFIGS[config]
    result = run(lambda m, p: m.Adagrad(p, **kwargs), SCHEDULERS["LambdaLR"], dtype=np.float64)
    assert_same_trajectory(result, dtype=np.float64)


def test_parameter_groups():
    result = run(lambda m, p: m.Adagrad(p, lr=0.05, lr_decay=0.01), SCHEDULERS["CosineAnnealingLR"],
                 split_groups=True)
    assert_same_trajectory(result)


def test_the_rate_decays_by_hand():
    """s = Σ g² and η_t = η / (1 + (t − 1) lr_decay): with g = 1 every step, step t moves the
    weight by η_t / (√t + ε)."""
    w = nn.Parameter(np.zeros(1, np.float64))
    opt = cr.optim.Adagrad([w], lr=0.1, lr_decay=0.5)
    expected = 0.0
    for t in range(1, 6):
        w.grad = cr.tensor(np.ones(1))
        opt.step()
        expected -= 0.1 / (1 + (t - 1) * 0.5) / (np.sqrt(t) + 1e-10)
        np.testing.assert_allclose(w.detach().numpy(), [expected], rtol=1e-14)
    assert opt.state[w]["step"] == 5 and opt.state[w]["sum"][0] == 5


def test_state_exists_before_the_first_step_as_torchs():
    """PyTorch builds the accumulators with the optimiser, so a fresh state_dict lists every
    parameter; a group added later gets its state at its first step. Both start from the
    optimiser's initial_accumulator_value, even where a group sets its own (PyTorch reads only
    the default)."""
    model = nn.Linear(3, 2)
    tmodel = torch.nn.Linear(3, 2)
    opt = cr.optim.Adagrad([model.weight], initial_accumulator_value=0.25)
    topt = torch.optim.Adagrad([tmodel.weight], initial_accumulator_value=0.25)
    ours, theirs = opt.state_dict()["state"], topt.state_dict()["state"]
    assert list(ours) == list(theirs) == [0]
    assert set(ours[0]) == set(theirs[0]) == {"step", "sum"}
    assert ours[0]["step"] == theirs[0]["step"].item() == 0
    np.testing.assert_array_equal(ours[0]["sum"], theirs[0]["sum"].numpy())
    opt.add_param_group({"params": [model.bias], "initial_accumulator_value": 1.0})
    topt.add_param_group({"params": [tmodel.bias], "initial_accumulator_value": 1.0})
    assert list(opt.state_dict()["state"]) == list(topt.state_dict()["state"]) == [0]
    model.bias.grad, tmodel.bias.grad = cr.zeros(2), torch.zeros(2)
    opt.step()
    topt.step()
    assert opt.state[model.bias]["step"] == topt.state[tmodel.bias]["step"].item() == 1
    np.testing.assert_array_equal(opt.state[model.bias]["sum"], topt.state[tmodel.bias]["sum"].numpy())
    np.testing.assert_array_equal(opt.state[model.bias]["sum"], [0.25, 0.25])


def test_bad_arguments_raise_value_errors_as_torch():
    p = [nn.Parameter(np.ones(2, np.float32))]
    tp = [torch.nn.Parameter(torch.ones(2))]
    for kwargs in [dict(lr=-1.0), dict(lr_decay=-1.0), dict(weight_decay=-1.0),
                   dict(initial_accumulator_value=-0.1), dict(eps=-1.0)]:
        name = next(iter(kwargs))
        with pytest.raises(ValueError, match=f"Adagrad: {name}"):
            cr.optim.Adagrad(p, **kwargs)
        with pytest.raises(ValueError):
            torch.optim.Adagrad(tp, **kwargs)


def test_defaults_equal_torchs():
    ours = cr.optim.Adagrad([nn.Parameter(np.ones(2, np.float32))]).param_groups[0]
    theirs = torch.optim.Adagrad([torch.nn.Parameter(torch.ones(2))]).param_groups[0]
    for key in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
        assert ours[key] == theirs[key], key
