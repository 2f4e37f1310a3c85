"""OneCycleLR against PyTorch's: the rates and the cycled momenta (SGD's momentum, Adam's β₁)
step by step, the trajectories of every optimiser under it, and its argument checks."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_twin import torch_single_thread  # noqa: E402,F401  (fixture)

pytestmark = pytest.mark.usefixtures("torch_single_thread")

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402
from chainrule.optim import lr_scheduler as S  # noqa: E402

from .trajectory import STEPS, assert_same_trajectory, run  # noqa: E402


def _one_cycle(max_lr):
    return lambda s, o: s.OneCycleLR(o, max_lr=max_lr, total_steps=STEPS, pct_start=0.4)


# name: (make optimiser, max_lr)
OPTIMISERS = {
    "SGD-nesterov": (lambda m, p: m.SGD(p, lr=0.1, momentum=0.9, nesterov=True), 0.05),
    "SGD-no-momentum-yet": (lambda m, p: m.SGD(p, lr=0.1), 0.05),  # the schedule supplies the momentum
    "Adam": (lambda m, p: m.Adam(p), 0.05),
    "AdamW-amsgrad": (lambda m, p: m.AdamW(p, amsgrad=True), 0.05),
    "RMSprop": (lambda m, p: m.RMSprop(p, momentum=0.5), 0.005),
    "RMSprop-centered": (lambda m, p: m.RMSprop(p, momentum=0.5, centered=True), 0.005),
}


@pytest.mark.parametrize("name", OPTIMISERS)
def test_trajectory_follows_torch(name):
    make, max_lr = OPTIMISERS[name]
    assert_same_trajectory(run(make, _one_cycle(max_lr)))


@pytest.mark.parametrize("name", OPTIMISERS)
def test_trajectory_in_float64_is_exact_to_1e12(name):
    make, max_lr = OPTIMISERS[name]
    assert_same_trajectory(run(make, _one_cycle(max_lr), dtype=np.float64), dtype=np.float64)


def test_trajectory_with_parameter_groups_and_three_phases():
    def scheduler(s, o):
        return s.OneCycleLR(o, max_lr=[0.02, 0.05], total_steps=STEPS, three_phase=True, anneal_strategy="linear")

    assert_same_trajectory(run(lambda m, p: m.Adam(p), scheduler, split_groups=True))


def test_adagrad_without_momentum_cycling_follows_torch():
    def scheduler(s, o):
        return s.OneCycleLR(o, max_lr=0.1, total_steps=STEPS, cycle_momentum=False)

    assert_same_trajectory(run(lambda m, p: m.Adagrad(p), scheduler))


def _pair(kind, **kwargs):
    ours = getattr(cr.optim, kind)([{"params": [nn.Parameter(np.ones(2, np.float32))]} for _ in range(2)], **kwargs)
    theirs = getattr(torch.optim, kind)([{"params": [torch.nn.Parameter(torch.ones(2))]} for _ in range(2)], **kwargs)
    return ours, theirs


def _groups_trace(optimizer, scheduler, steps):
    """Each group's [lr, momentum or β₁, β₂] after construction and after each step."""
    def now():
        return [[g["lr"], *([g["momentum"]] if "momentum" in g else g["betas"])] for g in optimizer.param_groups]

    trace = [now()]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        trace.append(now())
    return trace


def _assert_same(ours, theirs):
    assert len(ours) == len(theirs)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for group, t_group in zip(a, b, strict=True):
            assert group == pytest.approx(t_group, rel=1e-12, abs=0), step


CYCLES = {
    "SGD, cos": ("SGD", dict(momentum=0.9), dict(max_lr=0.4, total_steps=30)),
    "SGD, three phases, per-group momenta": ("SGD", dict(), dict(
        max_lr=[0.4, 0.1], total_steps=31, three_phase=True, base_momentum=[0.8, 0.5], max_momentum=(0.9, 0.99))),
    "Adam, linear": ("Adam", dict(betas=(0.9, 0.98)), dict(
        max_lr=0.01, epochs=3, steps_per_epoch=11, anneal_strategy="linear", pct_start=0.1)),
    "RMSprop, divisions": ("RMSprop", dict(), dict(max_lr=0.02, total_steps=30, div_factor=5.0,
                                                    final_div_factor=50.0)),
}


@pytest.mark.parametrize("name", CYCLES)
def test_rates_and_momenta_equal_torchs(name):
    kind, opt_kwargs, sched_kwargs = CYCLES[name]
    opt, topt = _pair(kind, **opt_kwargs)
    sched, tsched = S.OneCycleLR(opt, **sched_kwargs), torch.optim.lr_scheduler.OneCycleLR(topt, **sched_kwargs)
    steps = sched.total_steps
    ours, theirs = _groups_trace(opt, sched, steps), _groups_trace(topt, tsched, steps)
    _assert_same(ours, theirs)
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12)
    for key in ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"):
        assert [g[key] for g in opt.param_groups] == pytest.approx([g[key] for g in topt.param_groups]), key
    # the rate peaks near max_lr where the first phase ends, and the momentum is then at its lowest
    peak = int(np.argmax([step[0][0] for step in ours]))
    assert 0.95 * opt.param_groups[0]["max_lr"] <= ours[peak][0][0] <= opt.param_groups[0]["max_lr"]
    momenta = [step[0][1] for step in ours]
    assert int(np.argmin(momenta)) == peak
    # one step past total_steps is refused, as PyTorch refuses it
    opt.step()
    with pytest.raises(ValueError, match="total steps"):
        sched.step()
    with pytest.raises(ValueError, match="total steps"):
        tsched.step()


def test_state_dict_round_trip_continues_the_cycle_exactly():
    def fresh():
        opt = cr.optim.SGD([nn.Parameter(np.ones(2, np.float32))], lr=0.1, momentum=0.9)
        return opt, S.OneCycleLR(opt, max_lr=0.3, total_steps=20, three_phase=True)

    opt, sched = fresh()
    straight = _groups_trace(opt, sched, 20)
    opt, sched = fresh()
    first = _groups_trace(opt, sched, 7)
    saved_opt, saved_sched = pickle.loads(pickle.dumps((opt.state_dict(), sched.state_dict())))
    opt, sched = fresh()
    opt.load_state_dict(saved_opt)
    sched.load_state_dict(saved_sched)
    assert first + _groups_trace(opt, sched, 13)[1:] == straight
    topt = torch.optim.SGD([torch.nn.Parameter(torch.ones(2))], lr=0.1, momentum=0.9)
    torch_state = torch.optim.lr_scheduler.OneCycleLR(topt, max_lr=0.3, total_steps=20, three_phase=True).state_dict()
    assert set(saved_sched) <= set(torch_state)
    assert saved_sched["_schedule_phases"] == torch_state["_schedule_phases"]


def test_bad_arguments_raise_as_torch():
    opt, topt = _pair("SGD")
    bad = [dict(max_lr=0.1), dict(max_lr=0.1, total_steps=0), dict(max_lr=0.1, total_steps=2.5),
           dict(max_lr=0.1, epochs=0, steps_per_epoch=3), dict(max_lr=0.1, epochs=2, steps_per_epoch=-1),
           dict(max_lr=0.1, total_steps=10, pct_start=1), dict(max_lr=0.1, total_steps=10, pct_start=1.5),
           dict(max_lr=0.1, total_steps=10, anneal_strategy="exp"), dict(max_lr=[0.1, 0.2, 0.3], total_steps=10),
           dict(max_lr=0.1, total_steps=10, base_momentum=[0.8])]
    for kwargs in bad:
        with pytest.raises(ValueError):
            S.OneCycleLR(opt, **kwargs)
        with pytest.raises(ValueError):
            torch.optim.lr_scheduler.OneCycleLR(topt, **kwargs)
    adagrad, t_adagrad = _pair("Adagrad")
    with pytest.raises(ValueError, match="momentum or beta1"):
        S.OneCycleLR(adagrad, max_lr=0.1, total_steps=10)
    with pytest.raises(ValueError, match="momentum or beta1"):
        torch.optim.lr_scheduler.OneCycleLR(t_adagrad, max_lr=0.1, total_steps=10)
    with pytest.raises(TypeError):
        S.OneCycleLR(object(), max_lr=0.1, total_steps=10)
