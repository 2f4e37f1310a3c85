"""Schedulers built with ``last_epoch`` (−1, 0 and k > 0) against PyTorch 2.13's, side by side:
the rates after construction and after each of 8 steps (in the groups and from
``get_last_lr()``), ``last_epoch``, and state_dict round trips of a resumed scheduler.

PyTorch's constructor takes one step (k → k+1) with ``_is_initial`` set, in which the chainable
schedules (ExponentialLR, CosineAnnealingLR) keep the optimiser's rates; chainrule used to
apply one decay there, so a resumed ExponentialLR(0.5, last_epoch=4) started at η/2."""

from __future__ import annotations

import math
import pickle
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_twin import torch_single_thread  # noqa: E402,F401  (fixture)

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402
from chainrule.optim import lr_scheduler as S  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_single_thread")

STEPS = 8
LAST_EPOCHS = (-1, 0, 3)
# Two groups; a resumed optimiser holds rates (lr) that differ from its initial ones, as it
# does after loading a checkpoint, so that a scheduler restarting from initial_lr shows up.
LRS = (0.05, 0.013)
INITIAL_LRS = (0.1, 0.02)


def _exp_decay_twin(torch_s, optimizer, tau, eta_min, last_epoch):
    """PyTorch's twin of ExpDecayLR: a LambdaLR whose factors scale each group's initial rate
    to η_min + (η_0 − η_min)·e^(−t/τ)."""
    factors = [lambda t, base=g["initial_lr"] if "initial_lr" in g else g["lr"]:
               (eta_min + (base - eta_min) * math.exp(-t / tau)) / base for g in optimizer.param_groups]
    return torch_s.LambdaLR(optimizer, factors, last_epoch=last_epoch)


def _exp_decay(s, o, last_epoch):
    if s is S:
        return S.ExpDecayLR(o, tau=4, eta_min=0.001, last_epoch=last_epoch)
    return _exp_decay_twin(s, o, tau=4, eta_min=0.001, last_epoch=last_epoch)


# name: make(scheduler module, optimiser, last_epoch)
SCHEDULERS = {
    "StepLR(3, 0.5)": lambda s, o, k: s.StepLR(o, step_size=3, gamma=0.5, last_epoch=k),
    "StepLR(4, 0.1)": lambda s, o, k: s.StepLR(o, step_size=4, gamma=0.1, last_epoch=k),
    "StepLR(1, 0.9)": lambda s, o, k: s.StepLR(o, step_size=1, gamma=0.9, last_epoch=k),
    "ExponentialLR(0.5)": lambda s, o, k: s.ExponentialLR(o, gamma=0.5, last_epoch=k),
    "ExponentialLR(0.9)": lambda s, o, k: s.ExponentialLR(o, gamma=0.9, last_epoch=k),
    "CosineAnnealingLR(10, 0.001)": lambda s, o, k: s.CosineAnnealingLR(o, T_max=10, eta_min=0.001, last_epoch=k),
    "CosineAnnealingLR(4)": lambda s, o, k: s.CosineAnnealingLR(o, T_max=4, last_epoch=k),
    "CosineAnnealingLR(1, 0.005)": lambda s, o, k: s.CosineAnnealingLR(o, T_max=1, eta_min=0.005, last_epoch=k),
    "LambdaLR(0.9^t)": lambda s, o, k: s.LambdaLR(o, lambda t: 0.9 ** t, last_epoch=k),
    "LambdaLR(two lambdas)": lambda s, o, k: s.LambdaLR(
        o, [lambda t: 1 / (1 + t), lambda t: 1 + math.sin(t)], last_epoch=k),
    "ExpDecayLR(4, 0.001)": _exp_decay,
    "MultiStepLR([2, 5, 5, 7], 0.5)": lambda s, o, k: s.MultiStepLR(o, milestones=[2, 5, 5, 7], gamma=0.5,
                                                                    last_epoch=k),
}
CHAINABLE = [name for name in SCHEDULERS if name.startswith(("ExponentialLR", "CosineAnnealingLR"))]


def _groups(params, last_epoch, preset_initial):
    """Param groups as a fresh run (last_epoch −1) or a resumed one (initial_lr given) has them."""
    resumed = last_epoch >= 0 or preset_initial
    return [{"params": [p], "lr": lr, **({"initial_lr": initial} if resumed else {})}
            for p, lr, initial in zip(params, LRS, INITIAL_LRS)]


def _pair(kind="SGD", last_epoch=-1, preset_initial=False):
    """The same optimiser in chainrule and in PyTorch."""
    ours = getattr(cr.optim, kind)(_groups([nn.Parameter(np.ones(2)) for _ in LRS], last_epoch, preset_initial))
    theirs = getattr(torch.optim, kind)(
        _groups([torch.nn.Parameter(torch.ones(2, dtype=torch.float64)) for _ in LRS], last_epoch, preset_initial))
    return ours, theirs


def _trace(optimizer, scheduler, steps=STEPS):
    """(group rates, get_last_lr(), last_epoch) after construction, then after each
    optimiser-step-then-scheduler-step."""
    def now():
        return ([float(g["lr"]) for g in optimizer.param_groups], [float(lr) for lr in scheduler.get_last_lr()],
                scheduler.last_epoch)

    trace = [now()]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        trace.append(now())
    return trace


def _assert_same_trace(ours, theirs):
    assert len(ours) == len(theirs)
    for step, ((lrs, last, epoch), (t_lrs, t_last, t_epoch)) in enumerate(zip(ours, theirs)):
        assert epoch == t_epoch, f"step {step}: last_epoch {epoch} != {t_epoch}"
        assert lrs == last, f"step {step}: get_last_lr() {last} != the groups' {lrs}"
        np.testing.assert_allclose(lrs, t_lrs, rtol=1e-12, atol=0, err_msg=f"step {step}")
        np.testing.assert_allclose(last, t_last, rtol=1e-12, atol=0, err_msg=f"step {step}")


def _both(name, last_epoch, kind="SGD", preset_initial=False):
    make = SCHEDULERS[name]
    opt, topt = _pair(kind, last_epoch, preset_initial)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's "scheduler stepped before optimiser" notes
        return opt, make(S, opt, last_epoch), topt, make(torch.optim.lr_scheduler, topt, last_epoch)


# ------------------------------------------------------------------ sequences
@pytest.mark.parametrize("last_epoch", LAST_EPOCHS)
@pytest.mark.parametrize("name", SCHEDULERS)
def test_rates_from_construction_on_equal_torchs(name, last_epoch):
    opt, sched, topt, tsched = _both(name, last_epoch)
    _assert_same_trace(_trace(opt, sched), _trace(topt, tsched))
    assert sched.base_lrs == tsched.base_lrs
    assert sched._step_count == tsched._step_count == STEPS + 1


@pytest.mark.parametrize("name", ["ExponentialLR(0.9)", "CosineAnnealingLR(10, 0.001)", "StepLR(3, 0.5)"])
def test_rates_equal_torchs_under_adam(name):
    opt, sched, topt, tsched = _both(name, 3, kind="Adam")
    _assert_same_trace(_trace(opt, sched), _trace(topt, tsched))


@pytest.mark.parametrize("name", SCHEDULERS)
def test_a_preset_initial_lr_is_kept_by_a_fresh_scheduler(name):
    """last_epoch −1 with initial_lr already in the groups: base_lrs are those, not the lr."""
    opt, sched, topt, tsched = _both(name, -1, preset_initial=True)
    assert sched.base_lrs == list(INITIAL_LRS) == tsched.base_lrs
    _assert_same_trace(_trace(opt, sched), _trace(topt, tsched))


@pytest.mark.parametrize("last_epoch", [0, 3, 4, 9])
@pytest.mark.parametrize("name", CHAINABLE)
def test_the_constructor_keeps_the_rates_of_a_chainable_schedule(name, last_epoch):
    """The regression itself: the rates right after construction are the optimiser's,
    bit for bit, and only the first step() applies the schedule."""
    opt, sched, topt, tsched = _both(name, last_epoch)
    assert [g["lr"] for g in opt.param_groups] == list(LRS) == sched.get_last_lr() == tsched.get_last_lr()
    assert sched.last_epoch == last_epoch + 1
    for optimizer, scheduler in ((opt, sched), (topt, tsched)):
        optimizer.step()
        scheduler.step()
    assert sched.get_last_lr() != list(LRS)
    np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-12, atol=0)


def test_the_reported_cases():
    def groups(params):
        return [{"params": params, "lr": 0.1, "initial_lr": 0.1}]

    for make in (lambda s, o: s.ExponentialLR(o, 0.5, last_epoch=4),
                 lambda s, o: s.CosineAnnealingLR(o, 10, last_epoch=4),
                 lambda s, o: s.ExponentialLR(o, 0.5, last_epoch=0),
                 lambda s, o: s.CosineAnnealingLR(o, 10, last_epoch=0)):
        ours = make(S, cr.optim.SGD(groups([nn.Parameter(np.zeros(1))])))
        theirs = make(torch.optim.lr_scheduler, torch.optim.SGD(groups([torch.nn.Parameter(torch.zeros(1))])))
        assert ours.get_last_lr() == theirs.get_last_lr() == [0.1]


@pytest.mark.parametrize("last_epoch", LAST_EPOCHS)
@pytest.mark.parametrize("name", SCHEDULERS)
def test_get_lr_called_by_hand_after_construction_answers_as_torchs(name, last_epoch):
    """Outside step() the constructor's flag is down: PyTorch's ExponentialLR answers γ·η, and
    its CosineAnnealingLR its closed form at last_epoch when resumed (last_epoch > 0 by then),
    its recursive form otherwise. Neither call changes the groups."""
    opt, sched, topt, tsched = _both(name, last_epoch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "please use get_last_lr()"
        np.testing.assert_allclose(sched.get_lr(), tsched.get_lr(), rtol=1e-12, atol=0)
    assert [g["lr"] for g in opt.param_groups] == sched.get_last_lr()
    assert [g["lr"] for g in topt.param_groups] == tsched.get_last_lr()


# ------------------------------------------------------------------ state_dict
@pytest.mark.parametrize("last_epoch", LAST_EPOCHS)
@pytest.mark.parametrize("name", SCHEDULERS)
def test_state_dict_of_a_resumed_scheduler_matches_torchs_and_round_trips(name, last_epoch):
    """Save after 3 steps, load into a scheduler built afresh with the same last_epoch (PyTorch's
    order: the new scheduler, then the optimiser's and the scheduler's state); the remaining 5
    steps equal the uninterrupted 8, exactly, and PyTorch's to 1e-12."""
    cut = 3
    opt, sched, topt, tsched = _both(name, last_epoch)
    straight = _trace(opt, sched)
    torch_straight = _trace(topt, tsched)
    _assert_same_trace(straight, torch_straight)

    opt, sched, topt, tsched = _both(name, last_epoch)
    first = _trace(opt, sched, cut)
    state = pickle.loads(pickle.dumps(sched.state_dict()))  # as a checkpoint file would
    saved_opt = pickle.loads(pickle.dumps(opt.state_dict()))
    _trace(topt, tsched, cut)
    torch_state = tsched.state_dict()
    common = (set(state) & set(torch_state)) - {"lr_lambdas"}
    assert {"base_lrs", "last_epoch", "_step_count", "_last_lr", "_is_initial"} <= common
    if not name.startswith("ExpDecayLR"):  # its twin is a LambdaLR, without tau and eta_min
        assert set(state) <= set(torch_state)
    for key in common:
        if isinstance(state[key], dict):  # MultiStepLR's milestones, a Counter
            assert state[key] == torch_state[key], key
        else:
            assert np.allclose(state[key], torch_state[key], rtol=1e-12, atol=0), key
    assert state["_is_initial"] is False and state["last_epoch"] == last_epoch + 1 + cut

    opt, sched, _, _ = _both(name, last_epoch)
    opt.load_state_dict(saved_opt)
    sched.load_state_dict(state)
    assert sched.get_last_lr() == first[-1][1] and sched.last_epoch == first[-1][2]
    second = _trace(opt, sched, STEPS - cut)
    assert first + second[1:] == straight  # exactly


def test_a_state_saved_without_is_initial_still_loads():
    """Checkpoints written before the flag existed lack the key; the class default stands in."""
    opt, sched, topt, tsched = _both("CosineAnnealingLR(10, 0.001)", 3)
    _trace(opt, sched, 2)
    state = {k: v for k, v in sched.state_dict().items() if k != "_is_initial"}
    opt2, sched2, _, _ = _both("CosineAnnealingLR(10, 0.001)", 3)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(state)
    _trace(topt, tsched, 2)
    _assert_same_trace(_trace(opt2, sched2, 6), _trace(topt, tsched, 6))


def test_resuming_with_last_epoch_from_a_saved_optimiser_equals_torch():
    """The resume path PyTorch documents for last_epoch: train n steps, save the optimiser,
    build a new optimiser from that state and a scheduler with last_epoch = n."""
    n = 5
    for name, make in SCHEDULERS.items():
        opt, sched, topt, tsched = _both(name, -1)
        _trace(opt, sched, n)
        _trace(topt, tsched, n)
        saved, t_saved = opt.state_dict(), topt.state_dict()
        opt, topt = _pair()
        opt.load_state_dict(saved)
        topt.load_state_dict(t_saved)
        assert [g["initial_lr"] for g in opt.param_groups] == list(LRS)  # carried by the saved state
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched, tsched = make(S, opt, n), make(torch.optim.lr_scheduler, topt, n)
        _assert_same_trace(_trace(opt, sched), _trace(topt, tsched))
