"""Learning-rate schedules: the sequence of rates equals PyTorch's to 1e-12 relative (two
parameter groups with different rates); ExpDecayLR follows C4's formula; state_dict round
trips continue a schedule exactly."""

from __future__ import annotations

import copy
import math
import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_twin import torch_single_thread  # noqa: E402,F401  (fixture)

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402
from chainrule.optim import lr_scheduler as S  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_single_thread")


def _optimizers(lrs=(0.1, 0.02), kind="SGD"):
    ours = getattr(cr.optim, kind)([{"params": [nn.Parameter(np.ones(2, np.float32))], "lr": lr} for lr in lrs])
    theirs = getattr(torch.optim, kind)([{"params": [torch.nn.Parameter(torch.ones(2))], "lr": lr} for lr in lrs])
    return ours, theirs


def _rates(optimizer, scheduler, steps):
    """The rates in force before each optimiser step: after construction, then after each
    scheduler step (the order PyTorch asks for: optimiser step, then scheduler step)."""
    rates = [[g["lr"] for g in optimizer.param_groups]]
    last = [list(scheduler.get_last_lr())]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        rates.append([g["lr"] for g in optimizer.param_groups])
        last.append(list(scheduler.get_last_lr()))
    assert rates == last
    return rates


def _assert_rates_equal(ours, theirs):
    assert len(ours) == len(theirs)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        assert a == pytest.approx(b, rel=1e-12, abs=0), f"step {step}: {a} != {b}"


SCHEDULES = {
    "StepLR(3, 0.5)": (lambda s, o: s.StepLR(o, step_size=3, gamma=0.5), 20),
    "StepLR(1, 0.9)": (lambda s, o: s.StepLR(o, step_size=1, gamma=0.9), 12),
    "ExponentialLR(0.9)": (lambda s, o: s.ExponentialLR(o, gamma=0.9), 40),
    "CosineAnnealingLR(5, 0.001)": (lambda s, o: s.CosineAnnealingLR(o, T_max=5, eta_min=0.001), 23),
    "CosineAnnealingLR(4)": (lambda s, o: s.CosineAnnealingLR(o, T_max=4), 19),
    "CosineAnnealingLR(1)": (lambda s, o: s.CosineAnnealingLR(o, T_max=1, eta_min=0.005), 7),
    "CosineAnnealingLR(10, 0.01)": (lambda s, o: s.CosineAnnealingLR(o, T_max=10, eta_min=0.01), 45),
    "LambdaLR(1/(1+t))": (lambda s, o: s.LambdaLR(o, lambda t: 1 / (1 + t)), 15),
    "LambdaLR(two lambdas)": (lambda s, o: s.LambdaLR(o, [lambda t: 0.95 ** t, lambda t: 1 + math.sin(t)]), 15),
}


@pytest.mark.parametrize("name", SCHEDULES)
def test_rates_equal_torchs(name):
    make, steps = SCHEDULES[name]
    opt, topt = _optimizers()
    ours = _rates(opt, make(S, opt), steps)
    theirs = _rates(topt, make(torch.optim.lr_scheduler, topt), steps)
    _assert_rates_equal(ours, theirs)


def test_cosine_annealing_over_several_periods_goes_down_and_back_up():
    """Past T_max PyTorch's recursive form climbs back to the base rate at 2·T_max (and so on):
    the curve is a cosine of period 2·T_max, not a restart."""
    opt, topt = _optimizers(lrs=(0.1,))
    ours = [r[0] for r in _rates(opt, S.CosineAnnealingLR(opt, T_max=5, eta_min=0.001), 25)]
    theirs = [r[0] for r in _rates(topt, torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=5, eta_min=0.001), 25)]
    assert ours == pytest.approx(theirs, rel=1e-12)
    assert ours[5] == pytest.approx(0.001, rel=1e-9) and ours[15] == pytest.approx(0.001, rel=1e-9)
    assert ours[10] == pytest.approx(0.1, rel=1e-9) and ours[20] == pytest.approx(0.1, rel=1e-9)
    closed = [0.001 + (0.1 - 0.001) * (1 + math.cos(math.pi * t / 5)) / 2 for t in range(26)]
    assert ours == pytest.approx(closed, rel=1e-9)


def test_rates_equal_torchs_under_adam():
    opt, topt = _optimizers(kind="Adam")
    make = lambda s, o: s.CosineAnnealingLR(o, T_max=3)  # noqa: E731
    _assert_rates_equal(_rates(opt, make(S, opt), 10), _rates(topt, make(torch.optim.lr_scheduler, topt), 10))


# ------------------------------------------------------------------ ExpDecayLR
def test_exp_decay_follows_the_c4_formula():
    """η(t) = η_min + (η_max − η_min)·e^(−t/τ), τ = 2000, η_min = 1e-4, η_max = 3e-3."""
    tau, eta_min, eta_max = 2000, 1e-4, 3e-3
    opt = cr.optim.Adam([nn.Parameter(np.ones(1, np.float32))], lr=eta_max)
    scheduler = S.ExpDecayLR(opt, tau=tau, eta_min=eta_min)
    steps = 6000
    rates = [opt.param_groups[0]["lr"]]
    for _ in range(steps):
        opt.step()
        scheduler.step()
        rates.append(opt.param_groups[0]["lr"])
    expected = [eta_min + (eta_max - eta_min) * math.exp(-t / tau) for t in range(steps + 1)]
    np.testing.assert_allclose(rates, expected, rtol=1e-12, atol=0)
    assert rates[0] == eta_max
    assert scheduler.get_last_lr() == [rates[-1]]
    assert rates[2000] == pytest.approx(eta_min + (eta_max - eta_min) / math.e, rel=1e-12)
    assert all(a > b for a, b in zip(rates, rates[1:])) and rates[-1] > eta_min


def test_exp_decay_per_group_and_bad_tau():
    opt = cr.optim.SGD([{"params": [nn.Parameter(np.ones(1, np.float32))], "lr": lr} for lr in (0.1, 0.01)])
    scheduler = S.ExpDecayLR(opt, tau=10, eta_min=0.001)
    for _ in range(5):
        scheduler.step()
    assert scheduler.get_last_lr() == pytest.approx(
        [0.001 + (lr - 0.001) * math.exp(-0.5) for lr in (0.1, 0.01)], rel=1e-12)
    with pytest.raises(ValueError, match="tau"):
        S.ExpDecayLR(opt, tau=0)


def test_a_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError):
        S.StepLR(object(), step_size=1)
    opt = cr.optim.SGD([nn.Parameter(np.ones(1, np.float32))], lr=0.1)
    with pytest.raises(ValueError, match="lr_lambdas"):
        S.LambdaLR(opt, [lambda t: 1.0, lambda t: 1.0])


# ----------------------------------------------------------------- state_dict
ALL = dict(SCHEDULES, **{"ExpDecayLR(4, 0.001)": (lambda s, o: s.ExpDecayLR(o, tau=4, eta_min=0.001), 15)})


@pytest.mark.parametrize("name", ALL)
def test_state_dict_round_trip_continues_the_schedule_exactly(name):
    make, steps = ALL[name]
    cut = steps // 2

    def fresh():
        opt = cr.optim.SGD([{"params": [nn.Parameter(np.ones(2, np.float32))], "lr": lr} for lr in (0.1, 0.02)])
        return opt, make(S, opt)

    opt, scheduler = fresh()
    straight = _rates(opt, scheduler, steps)

    opt, scheduler = fresh()
    first = _rates(opt, scheduler, cut)
    saved_opt = pickle.loads(pickle.dumps(opt.state_dict()))  # as a checkpoint file would
    saved_sched = pickle.loads(pickle.dumps(scheduler.state_dict()))
    opt, scheduler = fresh()  # the new scheduler first, then the saved state (PyTorch's order)
    opt.load_state_dict(saved_opt)
    scheduler.load_state_dict(saved_sched)
    assert scheduler.last_epoch == cut and scheduler.get_last_lr() == first[-1]
    second = _rates(opt, scheduler, steps - cut)
    assert first + second[1:] == straight  # exactly


def test_lambda_state_dict_keeps_the_live_functions_and_saves_callable_objects_state():
    class Warmup:
        def __init__(self, length):
            self.length = length

        def __call__(self, t):
            return min(1.0, (t + 1) / self.length)

    opt = cr.optim.SGD([{"params": [nn.Parameter(np.ones(1, np.float32))], "lr": lr} for lr in (0.1, 0.2)])
    plain = lambda t: 0.5 ** t  # noqa: E731
    scheduler = S.LambdaLR(opt, [plain, Warmup(4)])
    scheduler.step()
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [None, {"length": 4}]  # as PyTorch's
    topt = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1)
    assert torch.optim.lr_scheduler.LambdaLR(topt, lambda t: 1.0).state_dict()["lr_lambdas"] == [None]
    pickle.dumps(state)

    other_plain = lambda t: 1.0  # noqa: E731
    other = S.LambdaLR(opt, [other_plain, Warmup(10)])
    other.load_state_dict(copy.deepcopy(state))
    assert other.lr_lambdas[0] is other_plain  # a function is never replaced by the saved one
    assert other.lr_lambdas[1].length == 4  # a callable object's attributes are restored
    assert other.last_epoch == 1 and "lr_lambdas" in state  # the caller's dict is left whole
