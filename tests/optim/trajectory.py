"""Train the same small model in chainrule and in PyTorch, each with its own autograd and its
own optimiser (and scheduler), and record the parameters and learning rates after every step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn
from torch_twin import assert_close, t, twin

STEPS = 10

# make_scheduler(lr_scheduler_module, optimizer), for either framework
SCHEDULERS = {
    "none": None,
    "StepLR": lambda s, o: s.StepLR(o, step_size=3, gamma=0.5),
    "ExponentialLR": lambda s, o: s.ExponentialLR(o, gamma=0.8),
    "CosineAnnealingLR": lambda s, o: s.CosineAnnealingLR(o, T_max=4, eta_min=0.01),
    "LambdaLR": lambda s, o: s.LambdaLR(o, lambda epoch: 1 / (1 + epoch)),
    "MultiStepLR": lambda s, o: s.MultiStepLR(o, milestones=[2, 5, 5, 8], gamma=0.6),
}


def small_model() -> nn.Sequential:
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 3))


def _groups(params, split: bool):
    """One group, or two (first layer alone, with its own lr and weight decay)."""
    params = list(params)
    if not split:
        return params
    return [{"params": params[:2], "lr": 0.03, "weight_decay": 0.05}, {"params": params[2:]}]


def run(make_optimizer, make_scheduler=None, *, dtype=np.float32, steps=STEPS, split_groups=False, seed=0):
    """``make_optimizer(module, params)`` and ``make_scheduler(lr_scheduler_module, optimizer)``
    are called once with chainrule's modules and once with PyTorch's.

    Returns the initial parameters and [(chainrule params, torch params, chainrule lrs,
    torch lrs)] per step.
    """
    cr.manual_seed(seed)
    model = small_model()
    if dtype == np.float64:
        model.double()
    tmodel = twin(model, dtype=torch.float64 if dtype == np.float64 else torch.float32)
    rng = np.random.default_rng(seed + 1)
    x = rng.standard_normal((16, 5)).astype(dtype)
    y = rng.integers(0, 3, 16)

    opt = make_optimizer(cr.optim, _groups(model.parameters(), split_groups))
    topt = make_optimizer(torch.optim, _groups(tmodel.parameters(), split_groups))
    sched = make_scheduler(cr.optim.lr_scheduler, opt) if make_scheduler else None
    tsched = make_scheduler(torch.optim.lr_scheduler, topt) if make_scheduler else None

    initial = [p.detach().numpy().copy() for p in model.parameters()]
    history = []
    for step in range(steps):
        # a different mini-batch each step, so the gradients change direction
        batch = slice(step % 2 * 8, step % 2 * 8 + 8)
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(cr.tensor(x[batch])), y[batch])
        loss.backward()
        opt.step()
        topt.zero_grad()
        tloss = torch.nn.functional.cross_entropy(tmodel(t(x[batch])), t(y[batch]))
        tloss.backward()
        topt.step()
        if sched is not None:
            sched.step()
            tsched.step()
        history.append((
            [p.detach().numpy().copy() for p in model.parameters()],
            [p.detach().numpy().copy() for p in tmodel.parameters()],
            [g["lr"] for g in opt.param_groups],
            [g["lr"] for g in topt.param_groups],
        ))
    return initial, history


def assert_same_trajectory(run_result, dtype=np.float32, rtol=None):
    """Parameters within 1e-6 relative (float32; the floor is 1e-6 × the largest weight) or
    1e-12 (float64) at every step; learning rates equal to 1e-12.

    ``rtol`` (float32 only) widens both for updates that magnify rounding: PyTorch's CPU kernels
    fuse multiply-adds (lerp, addcmul, one rounding where NumPy rounds twice), so float32
    results differ in the last bit, and a step that divides by a small difference grows that."""
    initial, history = run_result
    rtol, scale_atol = (rtol or 1e-6, rtol or 1e-6) if dtype == np.float32 else (1e-12, 1e-13)
    for step, (ours, theirs, lrs, tlrs) in enumerate(history):
        assert lrs == pytest.approx(tlrs, rel=1e-12, abs=0), (step, lrs, tlrs)
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert a.dtype == dtype
            assert_close(a, b, rtol=rtol, scale_atol=scale_atol, what=f"step {step}, parameter {i}")
    final = history[-1][0]
    assert all(not np.array_equal(a, b) for a, b in zip(initial, final)), "some parameter never moved"
