"""Small, fast training set-ups shared by the training tests (scikit-learn's 8x8 digits)."""

from __future__ import annotations

import functools

import numpy as np

import chainrule as cr
from chainrule import nn, optim
from chainrule.data import DataLoader, load


@functools.cache
def digits():
    train, test = load("digits", "train", flatten=True), load("digits", "test", flatten=True)
    return train.x, train.y, test.x, test.y


def run_parts(seed: int = 0, batch_size: int = 64, lr: float = 0.01):
    """Model (Linear, BatchNorm, Tanh, Dropout, Linear), Adam, a per-iteration schedule and a
    shuffled loader, all from ``seed``: everything a run's exact continuation depends on."""
    x, y, _, _ = digits()
    cr.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 32), nn.BatchNorm1d(32), nn.Tanh(), nn.Dropout(0.3), nn.Linear(32, 10))
    opt = optim.Adam(model.parameters(), lr=lr)
    sched = optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.7)
    loader = DataLoader(x, y, batch_size=batch_size, shuffle=True, seed=seed + 1)
    return model, opt, sched, loader


def eval_data():
    _, _, xt, yt = digits()
    return xt, yt


def assert_same_state(a_model, a_opt, b_model, b_opt):
    """Every weight, buffer and optimiser array equal bit for bit, and the scalars too."""
    sa, sb = a_model.state_dict(), b_model.state_dict()
    assert list(sa) == list(sb)
    for key in sa:
        assert sa[key].dtype == sb[key].dtype, key
        assert np.array_equal(sa[key].data, sb[key].data), key
    oa, ob = a_opt.state_dict(), b_opt.state_dict()
    assert oa["param_groups"] == ob["param_groups"]
    assert oa["state"].keys() == ob["state"].keys()
    for index in oa["state"]:
        assert oa["state"][index].keys() == ob["state"][index].keys()
        for name, value in oa["state"][index].items():
            other = ob["state"][index][name]
            if isinstance(value, np.ndarray):
                assert value.dtype == other.dtype and np.array_equal(value, other), (index, name)
            else:
                assert value == other and type(value) is type(other), (index, name)


def history_lists(history) -> dict:
    """The History without its wall-clock time."""
    data = history.to_dict()
    data.pop("seconds")
    return data
