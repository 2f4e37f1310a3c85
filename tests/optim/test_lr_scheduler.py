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
    "StepLR(3, 0.5)": (lambda s, o: s.StepLR(o, step_size=3, gamma=0.5), 30),
    "StepLR(1, 0.9)": (lambda s, o: s.StepLR(o, step_size=1, gamma=0.9), 30),
    "ExponentialLR(0.9)": (lambda s, o: s.ExponentialLR(o, gamma=0.9), 40),
    "CosineAnnealingLR(5, 0.001)": (lambda s, o: s.CosineAnnealingLR(o, T_max=5, eta_min=0.001), 33),
    "CosineAnnealingLR(4)": (lambda s, o: s.CosineAnnealingLR(o, T_max=4), 30),
    "CosineAnnealingLR(1)": (lambda s, o: s.CosineAnnealingLR(o, T_max=1, eta_min=0.005), 30),
    "CosineAnnealingLR(10, 0.01)": (lambda s, o: s.CosineAnnealingLR(o, T_max=10, eta_min=0.01), 45),
    "CosineAnnealingLR(30, 0.001)": (lambda s, o: s.CosineAnnealingLR(o, T_max=30, eta_min=0.001), 30),
    "LambdaLR(1/(1+t))": (lambda s, o: s.LambdaLR(o, lambda t: 1 / (1 + t)), 30),
    "LambdaLR(two lambdas)": (lambda s, o: s.LambdaLR(o, [lambda t: 0.95 ** t, lambda t: 1 + math.sin(t)]), 30),
    "MultiStepLR([5, 12, 20], 0.5)": (lambda s, o: s.MultiStepLR(o, milestones=[5, 12, 20], gamma=0.5), 30),
    "MultiStepLR(repeated, unsorted)": (lambda s, o: s.MultiStepLR(o, milestones=[20, 3, 3, 9]), 30),
    "OneCycleLR(cos)": (lambda s, o: s.OneCycleLR(o, max_lr=0.5, total_steps=30), 29),
    "OneCycleLR(linear, per group, epochs)": (lambda s, o: s.OneCycleLR(
        o, max_lr=[0.5, 0.05], epochs=4, steps_per_epoch=9, pct_start=0.25, anneal_strategy="linear",
        div_factor=10.0, final_div_factor=100.0), 36),
    "OneCycleLR(three_phase)": (lambda s, o: s.OneCycleLR(o, max_lr=1.0, total_steps=40, three_phase=True,
                                                            base_momentum=[0.8, 0.7], max_momentum=0.9), 40),
    "OneCycleLR(no momentum)": (lambda s, o: s.OneCycleLR(o, max_lr=0.3, total_steps=31, pct_start=0.5,
                                                            cycle_momentum=False), 31),
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


# ------------------------------------------------------------ ReduceLROnPlateau
# A validation loss that improves, stalls (wobbling within the threshold), improves a little,
# then worsens: every branch of the rule gets its turn.
LOSSES = ([1.0, 0.8, 0.7, 0.69995, 0.7, 0.71, 0.7, 0.72, 0.6999, 0.65, 0.65, 0.66, 0.649999]
          + [0.65 + 0.01 * (i % 3) for i in range(12)] + [0.5, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9])
PLATEAUS = {
    "defaults": dict(),
    "patience 2": dict(patience=2),
    "patience 0, cooldown 2": dict(patience=0, cooldown=2, factor=0.5),
    "abs threshold": dict(patience=1, threshold=0.02, threshold_mode="abs", factor=0.5),
    "max mode": dict(mode="max", patience=1, factor=0.3),
    "max, abs, floors per group": dict(mode="max", threshold_mode="abs", threshold=0.0, patience=0,
                                       min_lr=[0.05, 0.001], factor=0.7),
    "floor": dict(patience=1, factor=0.2, min_lr=0.004),
    "eps skips tiny cuts": dict(patience=0, factor=0.9, eps=1e-3),
}


def _plateau_trace(optimizer, scheduler, metrics):
    trace = []
    for metric in metrics:
        optimizer.step()
        scheduler.step(metric)
        trace.append(([g["lr"] for g in optimizer.param_groups], list(scheduler.get_last_lr()), scheduler.best,
                      scheduler.num_bad_epochs, scheduler.cooldown_counter, scheduler.last_epoch))
    return trace


@pytest.mark.parametrize("name", PLATEAUS)
def test_plateau_equals_torchs(name):
    kwargs = PLATEAUS[name]
    metrics = [-m for m in LOSSES] if kwargs.get("mode") == "max" else LOSSES
    opt, topt = _optimizers()
    sched = S.ReduceLROnPlateau(opt, **kwargs)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    assert sched.get_last_lr() == tsched.get_last_lr() == [0.1, 0.02]
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.02]  # the constructor takes no step
    ours, theirs = _plateau_trace(opt, sched, metrics), _plateau_trace(topt, tsched, metrics)
    assert ours == theirs
    assert ours[-1][0] != [0.1, 0.02]  # the rate was cut at least once
    assert all(lrs == last for lrs, last, *_ in ours)


def test_plateau_takes_a_loss_tensor_and_round_trips_its_state():
    kwargs = dict(patience=1, cooldown=1, factor=0.5)
    opt, _ = _optimizers()
    sched = S.ReduceLROnPlateau(opt, **kwargs)
    straight = _plateau_trace(opt, sched, [cr.tensor(np.float32(m)) for m in LOSSES])
    opt, topt = _optimizers()
    sched, tsched = S.ReduceLROnPlateau(opt, **kwargs), torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    first = _plateau_trace(opt, sched, [cr.tensor(np.float32(m)) for m in LOSSES[:9]])
    _plateau_trace(topt, tsched, [torch.tensor(m) for m in LOSSES[:9]])
    saved = pickle.loads(pickle.dumps((opt.state_dict(), sched.state_dict())))
    assert set(saved[1]) == set(tsched.state_dict())
    assert {k: saved[1][k] for k in ("best", "num_bad_epochs", "cooldown_counter", "last_epoch", "_last_lr")} == \
        {k: tsched.state_dict()[k] for k in ("best", "num_bad_epochs", "cooldown_counter", "last_epoch", "_last_lr")}
    opt, _ = _optimizers()
    sched = S.ReduceLROnPlateau(opt, **kwargs)
    opt.load_state_dict(saved[0])
    sched.load_state_dict(saved[1])
    assert first + _plateau_trace(opt, sched, [cr.tensor(np.float32(m)) for m in LOSSES[9:]]) == straight


def test_plateau_after_a_new_param_group():
    """A scalar min_lr extends to the added group; a per-group list cannot, and PyTorch raises
    a RuntimeError."""
    for min_lr, fails in ((0.0, False), ([0.0, 0.0], True)):
        opt, _ = _optimizers()
        sched = S.ReduceLROnPlateau(opt, patience=0, min_lr=min_lr)
        opt.add_param_group({"params": [nn.Parameter(np.ones(1, np.float32))], "lr": 0.5})
        sched.step(1.0)
        if fails:
            with pytest.raises(RuntimeError, match="min_lrs"):
                sched.step(2.0)
        else:
            sched.step(2.0)
            assert sched.get_last_lr() == pytest.approx([0.01, 0.002, 0.05])


def test_plateau_bad_arguments_raise_as_torch():
    opt, topt = _optimizers()
    for kwargs in (dict(factor=1.0), dict(mode="lowest"), dict(threshold_mode="relative"), dict(min_lr=[0.1])):
        with pytest.raises(ValueError):
            S.ReduceLROnPlateau(opt, **kwargs)
        with pytest.raises(ValueError):
            torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    with pytest.raises(TypeError):
        S.ReduceLROnPlateau(object())
    assert isinstance(S.ReduceLROnPlateau(opt), S.LRScheduler)


def test_multistep_decays_at_each_milestone():
    opt, _ = _optimizers(lrs=(1.0,))
    rates = [r[0] for r in _rates(opt, S.MultiStepLR(opt, milestones=[2, 4, 4]), 6)]
    assert rates == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.001, 0.001, 0.001], rel=1e-12)
