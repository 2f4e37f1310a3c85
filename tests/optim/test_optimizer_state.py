"""Optimiser state_dict: its layout (as PyTorch's), copies not views, the checks on loading,
and the round trip that matters: stop, save model + optimiser + scheduler (+ random state),
rebuild, load, continue, and get bit for bit what an uninterrupted run gets."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.optim import lr_scheduler as S

STEPS, CUT = 10, 4


def _model():
    """Small, with the state a checkpoint must carry: BatchNorm statistics and dropout draws."""
    return nn.Sequential(nn.Linear(6, 12), nn.BatchNorm1d(12), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(12, 8), nn.Tanh(), nn.Linear(8, 3))


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((STEPS, 16, 6)).astype(np.float32), rng.integers(0, 3, (STEPS, 16))


OPTIMISERS = {
    "SGD-momentum-nesterov-wd": (lambda p: cr.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
                                 lambda o: S.StepLR(o, step_size=3, gamma=0.5)),
    "SGD-dampening": (lambda p: cr.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.3),
                      lambda o: S.CosineAnnealingLR(o, T_max=3, eta_min=0.01)),
    "Adam-amsgrad-wd": (lambda p: cr.optim.Adam(p, lr=0.01, weight_decay=0.01, amsgrad=True),
                        lambda o: S.ExpDecayLR(o, tau=5, eta_min=1e-3)),
    "Adam-groups": (lambda p: cr.optim.Adam([{"params": p[:2], "lr": 0.02}, {"params": p[2:]}], lr=0.005),
                    lambda o: S.LambdaLR(o, [lambda t: 0.9 ** t, lambda t: 1 / (1 + t)])),
    "AdamW-one-cycle": (lambda p: cr.optim.AdamW(p, amsgrad=True),
                        lambda o: S.OneCycleLR(o, max_lr=0.01, total_steps=STEPS)),
    "RMSprop-centered-momentum": (lambda p: cr.optim.RMSprop(p, lr=0.003, momentum=0.9, centered=True,
                                                             weight_decay=0.01),
                                  lambda o: S.MultiStepLR(o, milestones=[3, 6, 6])),
    "Adagrad-groups": (lambda p: cr.optim.Adagrad([{"params": p[:2], "lr_decay": 0.1}, {"params": p[2:]}],
                                                  lr=0.05, initial_accumulator_value=0.1),
                       lambda o: S.ExponentialLR(o, gamma=0.9)),
}


def _build(name, seed=0):
    cr.manual_seed(seed)
    model = _model()
    make_opt, make_sched = OPTIMISERS[name]
    opt = make_opt(list(model.parameters()))
    return model, opt, make_sched(opt)


def _train(model, opt, sched, xs, ys, steps):
    losses = []
    for x, y in zip(xs[:steps], ys[:steps]):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(cr.tensor(x)), y)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("name", OPTIMISERS)
def test_resuming_from_a_checkpoint_equals_never_stopping(name):
    xs, ys = _data()
    model, opt, sched = _build(name)
    straight = _train(model, opt, sched, xs, ys, STEPS)
    final = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}

    model, opt, sched = _build(name)
    first = _train(model, opt, sched, xs, ys, CUT)
    checkpoint = pickle.dumps({
        "model": {k: v.detach().numpy().copy() for k, v in model.state_dict().items()},
        "optimizer": opt.state_dict(),
        "scheduler": sched.state_dict(),
        "rng": cr.get_rng_state(),
    })
    del model, opt, sched
    _ = nn.Linear(50, 50)  # move the generator on, as other work would; the checkpoint restores it

    saved = pickle.loads(checkpoint)
    model, opt, sched = _build(name, seed=99)  # different initial weights: all must come from the file
    model.load_state_dict(saved["model"])
    opt.load_state_dict(saved["optimizer"])
    sched.load_state_dict(saved["scheduler"])
    cr.set_rng_state(saved["rng"])
    second = _train(model, opt, sched, xs[CUT:], ys[CUT:], STEPS - CUT)

    assert first + second == straight  # the losses, exactly
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.detach().numpy(), final[k], err_msg=k)


def test_without_the_optimizer_state_the_run_differs():
    """The control for the test above: momentum really is carried in the state."""
    xs, ys = _data()
    model, opt, sched = _build("SGD-momentum-nesterov-wd")
    straight = _train(model, opt, sched, xs, ys, STEPS)
    model, opt, sched = _build("SGD-momentum-nesterov-wd")
    _train(model, opt, sched, xs, ys, CUT)
    weights, rng = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}, cr.get_rng_state()
    scheduler_state = sched.state_dict()
    model, opt, sched = _build("SGD-momentum-nesterov-wd")
    model.load_state_dict(weights)
    sched.load_state_dict(scheduler_state)
    opt.param_groups[0]["lr"] = scheduler_state["_last_lr"][0]
    cr.set_rng_state(rng)
    assert _train(model, opt, sched, xs[CUT:], ys[CUT:], STEPS - CUT) != straight[CUT:]


def test_state_dict_layout_matches_torchs():
    torch = pytest.importorskip("torch")
    from torch_twin import twin

    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    tmodel = twin(model)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    for kind, kwargs in [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.01, amsgrad=True)),
                         ("AdamW", dict(amsgrad=True)), ("RMSprop", dict(momentum=0.9, centered=True)),
                         ("Adagrad", dict(lr_decay=0.01))]:
        opt = getattr(cr.optim, kind)(model.parameters(), **kwargs)
        topt = getattr(torch.optim, kind)(tmodel.parameters(), **kwargs)
        for _ in range(3):
            opt.zero_grad()
            model(cr.tensor(x)).sum().backward()
            opt.step()
            topt.zero_grad()
            tmodel(torch.from_numpy(x)).sum().backward()
            topt.step()
        ours, theirs = opt.state_dict(), topt.state_dict()
        assert set(ours) == set(theirs) == {"state", "param_groups"}
        assert list(ours["state"]) == list(theirs["state"]) == [0, 1, 2, 3]
        assert [g["params"] for g in ours["param_groups"]] == [g["params"] for g in theirs["param_groups"]]
        assert set(ours["param_groups"][0]) <= set(theirs["param_groups"][0])
        for index, values in ours["state"].items():
            assert set(values) == set(theirs["state"][index]), kind
            for key, value in values.items():
                expected = theirs["state"][index][key]
                if key == "step":
                    assert value == expected.item() == 3
                else:
                    np.testing.assert_allclose(value, expected.numpy(), rtol=1e-5, atol=1e-7, err_msg=key)


def test_state_dict_holds_copies():
    model = nn.Linear(3, 2)
    opt = cr.optim.Adam(model.parameters(), lr=0.1)
    model(cr.randn(4, 3)).sum().backward()
    opt.step()
    saved = opt.state_dict()
    snapshot = saved["state"][0]["exp_avg"].copy()
    opt.step()
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], snapshot)
    assert saved["state"][0]["step"] == 1 and opt.state[model.weight]["step"] == 2
    # and loading copies too: the loaded optimiser does not share arrays with the dict
    other = cr.optim.Adam(model.parameters(), lr=0.1)
    other.load_state_dict(saved)
    other.step()
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], snapshot)


def test_loading_a_mismatched_state_raises():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 2))
    opt = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(cr.randn(4, 3)).sum().backward()
    opt.step()
    state = opt.state_dict()
    two_groups = cr.optim.SGD([{"params": list(model.parameters())[:2]}, {"params": list(model.parameters())[2:]}],
                              lr=0.1)
    with pytest.raises(ValueError, match="groups"):
        two_groups.load_state_dict(state)
    fewer = cr.optim.SGD(list(model.parameters())[:3], lr=0.1)
    with pytest.raises(ValueError, match="sizes"):
        fewer.load_state_dict(state)
    bad = pickle.loads(pickle.dumps(state))
    bad["state"][0]["momentum_buffer"] = np.zeros((5, 5), np.float32)
    with pytest.raises(ValueError, match=r"momentum_buffer.*\(5, 5\)"):
        cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9).load_state_dict(bad)


def test_loading_restores_hyperparameters():
    model = nn.Linear(3, 2)
    opt = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    S.StepLR(opt, 1, 0.5).step()
    other = cr.optim.SGD(model.parameters(), lr=1.0)
    other.load_state_dict(opt.state_dict())
    assert other.param_groups[0]["lr"] == 0.05
    assert other.param_groups[0]["momentum"] == 0.9
    assert other.param_groups[0]["initial_lr"] == 0.1
    assert [id(p) for p in other.param_groups[0]["params"]] == [id(p) for p in model.parameters()]


def test_frozen_parameters_are_accepted_and_left_alone():
    """PyTorch's pattern: freeze a layer, then hand every parameter to the optimiser."""
    import chainrule as cr

    cr.manual_seed(0)
    model = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.Linear(4, 1))
    model[0].requires_grad_(False)
    frozen = model[0].weight.detach().numpy().copy()
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    model(cr.randn(5, 3)).sum().backward()
    opt.step()
    assert (model[0].weight.detach().numpy() == frozen).all()
    assert model[0].weight.grad is None and model[1].weight.grad is not None
