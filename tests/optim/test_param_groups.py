"""Parameter groups against PyTorch: groups with their own options, a group added with
``add_param_group`` in the middle of training (the fine-tuning pattern), ``zero_grad``'s
default, and the checks on what a group may hold."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_twin import assert_close, t, torch_single_thread, twin  # noqa: E402,F401  (fixture)

pytestmark = pytest.mark.usefixtures("torch_single_thread")

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402

from .trajectory import small_model  # noqa: E402

# kind: (the options of the first group, those of the group added later)
KINDS = {
    "SGD": (dict(lr=0.1, momentum=0.9), dict(lr=0.03, nesterov=True)),
    "Adam": (dict(lr=0.01), dict(lr=0.003, betas=(0.8, 0.9), amsgrad=True)),
    "AdamW": (dict(lr=0.01, weight_decay=0.1), dict(lr=0.02, weight_decay=0.5)),
    "RMSprop": (dict(lr=0.003), dict(lr=0.001, momentum=0.5, centered=True)),
    "Adagrad": (dict(lr=0.05), dict(lr=0.1, lr_decay=0.2, initial_accumulator_value=0.5)),
}


@pytest.mark.parametrize("kind", KINDS)
def test_a_group_added_mid_training_follows_torch(kind):
    """First layer trained alone for 5 steps, then the rest joins with options of its own:
    every parameter equals PyTorch's after each of the 10 steps, and the late ones stay put
    until they join."""
    first, added = KINDS[kind]
    cr.manual_seed(0)
    model = small_model()
    tmodel = twin(model)
    params, tparams = list(model.parameters()), list(tmodel.parameters())
    opt = getattr(cr.optim, kind)(params[:2], **first)
    topt = getattr(torch.optim, kind)(tparams[:2], **first)
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((16, 5)).astype(np.float32), rng.integers(0, 3, 16)
    start = [p.detach().numpy().copy() for p in params]
    for step in range(10):
        if step == 5:
            opt.add_param_group({"params": params[2:], **added})
            topt.add_param_group({"params": tparams[2:], **added})
            for p, initial in zip(params[2:], start[2:]):
                np.testing.assert_array_equal(p.detach().numpy(), initial)
        batch = slice(step % 2 * 8, step % 2 * 8 + 8)
        opt.zero_grad()
        nn.functional.cross_entropy(model(cr.tensor(x[batch])), y[batch]).backward()
        opt.step()
        topt.zero_grad()
        torch.nn.functional.cross_entropy(tmodel(t(x[batch])), t(y[batch])).backward()
        topt.step()
        for i, (p, tp) in enumerate(zip(params, tparams)):
            assert_close(p.detach().numpy(), tp.detach().numpy(), rtol=1e-6, scale_atol=1e-6,
                         what=f"step {step}, parameter {i}")
    assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in topt.param_groups] == [first["lr"], added["lr"]]
    for key, value in added.items():
        assert opt.param_groups[1][key] == topt.param_groups[1][key] == value, key
    for p, initial in zip(params, start):
        assert not np.array_equal(p.detach().numpy(), initial)


@pytest.mark.parametrize("kind", KINDS)
def test_state_dict_with_an_added_group_round_trips(kind):
    first, added = KINDS[kind]
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    params = list(model.parameters())

    def build():
        opt = getattr(cr.optim, kind)(params[:2], **first)
        opt.add_param_group({"params": params[2:], **added})
        return opt

    opt = build()
    model(cr.randn(5, 3)).sum().backward()
    opt.step()
    saved = opt.state_dict()
    assert [g["params"] for g in saved["param_groups"]] == [[0, 1], [2, 3]]
    other = build()
    other.param_groups[1]["lr"] = 123.0
    other.load_state_dict(saved)
    assert other.param_groups[1]["lr"] == added["lr"]
    for p in params:
        for key, value in opt.state[p].items():
            np.testing.assert_array_equal(other.state[p][key], value, err_msg=key)


def test_zero_grad_sets_to_none_by_default_as_torch():
    assert (inspect.signature(cr.optim.Optimizer.zero_grad).parameters["set_to_none"].default
            == inspect.signature(torch.optim.Optimizer.zero_grad).parameters["set_to_none"].default is True)
    model = nn.Linear(3, 2)
    opt = cr.optim.RMSprop(model.parameters())
    model(cr.randn(4, 3)).sum().backward()
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model(cr.randn(4, 3)).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in model.parameters())


def test_a_single_tensor_in_a_group_is_a_group_of_one():
    w, b = nn.Parameter(np.ones(3, np.float32)), nn.Parameter(np.ones(2, np.float32))
    tw, tb = torch.nn.Parameter(torch.ones(3)), torch.nn.Parameter(torch.ones(2))
    opt, topt = cr.optim.Adagrad([{"params": w}]), torch.optim.Adagrad([{"params": tw}])
    opt.add_param_group({"params": b, "lr": 0.5})
    topt.add_param_group({"params": tb, "lr": 0.5})
    assert [len(g["params"]) for g in opt.param_groups] == [len(g["params"]) for g in topt.param_groups] == [1, 1]
    assert opt.param_groups[1]["params"][0] is b


def test_bad_groups_raise_as_torch():
    w, tw = nn.Parameter(np.ones(3, np.float32)), torch.nn.Parameter(torch.ones(3))
    x, tx = cr.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    cases = [  # (what PyTorch raises, our arguments, PyTorch's)
        (TypeError, lambda m, p, q: m.SGD(p), (w, tw)),  # a Tensor, not an iterable of them
        (TypeError, lambda m, p, q: m.SGD([{"params": {p}}]), (w, tw)),  # a set: no stable order
        (TypeError, lambda m, p, q: m.SGD([p, 1.0]), (w, tw)),
        (ValueError, lambda m, p, q: m.SGD([{"params": [p]}, {"params": [p]}]), (w, tw)),
        (ValueError, lambda m, p, q: m.SGD([p * 2]), (x, tx)),  # not a leaf
        (ValueError, lambda m, p, q: m.RMSprop([]), (w, tw)),
    ]
    for error, make, (ours, theirs) in cases:
        with pytest.raises(error):
            make(cr.optim, ours, None)
        with pytest.raises(error):
            make(torch.optim, theirs, None)
    opt, topt = cr.optim.Adam([w]), torch.optim.Adam([tw])
    for group in ([w], "params"):
        with pytest.raises(TypeError, match="param_group must be a dict"):
            opt.add_param_group(group)
        with pytest.raises(TypeError, match="param_group must be a dict"):
            topt.add_param_group(group)
    with pytest.raises(ValueError, match="more than one"):
        opt.add_param_group({"params": [w]})
