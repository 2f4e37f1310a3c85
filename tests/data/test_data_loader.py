"""DataLoader: batching, seeded shuffling, drop_last, and resuming from a saved state."""

from __future__ import annotations

import json

import numpy as np
import pytest

from chainrule.data import DataLoader


@pytest.fixture
def data():
    x = np.arange(10 * 3, dtype=np.float32).reshape(10, 3)
    return x, np.arange(10, dtype=np.int64)


def _epoch(loader):
    return [yb.tolist() for _, yb in loader]


def test_batches_in_order(data):
    loader = DataLoader(*data, batch_size=4)
    assert len(loader) == 3
    assert _epoch(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    xb, _ = next(iter(loader))
    np.testing.assert_array_equal(xb, data[0][:4])
    xb += 1  # a batch is a copy: augmenting it in place leaves the data alone
    np.testing.assert_array_equal(next(iter(loader))[0], data[0][:4])


def test_drop_last(data):
    loader = DataLoader(*data, batch_size=4, drop_last=True)
    assert len(loader) == 2 and _epoch(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    with pytest.raises(ValueError, match="no batches"):
        DataLoader(*data, batch_size=11, drop_last=True)


def test_shuffle_is_reproducible_and_changes_per_epoch(data):
    first = DataLoader(*data, batch_size=3, shuffle=True, seed=7)
    second = DataLoader(*data, batch_size=3, shuffle=True, seed=7)
    epochs = [_epoch(first) for _ in range(3)]
    assert epochs == [_epoch(second) for _ in range(3)]
    assert epochs[0] != epochs[1]
    for epoch in epochs:
        assert sorted(i for batch in epoch for i in batch) == list(range(10))  # a permutation
    assert first.epoch == 3
    assert _epoch(DataLoader(*data, batch_size=3, shuffle=True, seed=8)) != epochs[0]


def test_x_and_y_stay_paired(data):
    for xb, yb in DataLoader(*data, batch_size=4, shuffle=True, seed=0):
        np.testing.assert_array_equal(xb[:, 0], yb * 3)


def test_shuffle_does_not_touch_global_random_state(data):
    np.random.seed(0)
    expected = np.random.rand()
    np.random.seed(0)
    _epoch(DataLoader(*data, batch_size=3, shuffle=True, seed=1))
    assert np.random.rand() == expected


def test_resume_mid_epoch_through_json(data):
    reference = DataLoader(*data, batch_size=3, shuffle=True, seed=3)
    epochs = [_epoch(reference) for _ in range(3)]
    loader = DataLoader(*data, batch_size=3, shuffle=True, seed=3)
    _epoch(loader)
    seen = []
    for _, yb in loader:
        seen.append(yb.tolist())
        if len(seen) == 2:
            state = json.loads(json.dumps(loader.state_dict()))  # what a checkpoint file holds
            break
    assert (state["epoch"], state["batch"]) == (1, 2)
    resumed = DataLoader(
        *data, batch_size=3, shuffle=True, seed=999
    )  # the state carries the seed's stream
    resumed.load_state_dict(state)
    assert seen + _epoch(resumed) == epochs[1]
    assert resumed.epoch == 2 and _epoch(resumed) == epochs[2]


def test_a_new_pass_after_break_starts_a_new_epoch(data):
    reference = DataLoader(*data, batch_size=3, shuffle=True, seed=3)
    epochs = [_epoch(reference) for _ in range(2)]
    loader = DataLoader(*data, batch_size=3, shuffle=True, seed=3)
    next(iter(loader))
    assert _epoch(loader) == epochs[1] and loader.epoch == 2


def test_state_after_last_batch_means_next_epoch(data):
    loader = DataLoader(*data, batch_size=5, shuffle=True, seed=0)
    for _ in loader:
        state = loader.state_dict()
    assert (state["epoch"], state["batch"]) == (1, 0)
    resumed = DataLoader(*data, batch_size=5, shuffle=True, seed=0)
    resumed.load_state_dict(state)
    assert _epoch(resumed) == _epoch(loader)


def test_state_of_another_loader_is_refused(data):
    state = DataLoader(*data, batch_size=5).state_dict()
    with pytest.raises(ValueError, match="batch_size=5, this one has 4"):
        DataLoader(*data, batch_size=4).load_state_dict(state)


def test_mismatched_lengths():
    with pytest.raises(ValueError, match="differ in length: 3 vs 2"):
        DataLoader(np.zeros(3), np.zeros(2))
