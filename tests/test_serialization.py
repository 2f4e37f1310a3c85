import numpy as np
import pytest

import chainrule as cr
from chainrule import models
from chainrule.serialization import CheckpointError, load, save


def test_round_trip_restores_every_weight_and_buffer(tmp_path):
    cr.manual_seed(0)
    model = models.build("c6")
    model(cr.randn(4, 1, 28, 28))  # move the BatchNorm statistics off their defaults
    path = save(model.state_dict(), tmp_path / "w.npz")
    cr.manual_seed(1)
    other = models.build("c6")
    other.load_state_dict(load(path))
    for (k, a), (_, b) in zip(model.state_dict().items(), other.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
        assert a.dtype == b.dtype, k


def test_truncated_file_is_refused_with_its_name(tmp_path):
    path = save(models.build("mlp").state_dict(), tmp_path / "w.npz")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="w.npz: not a readable"):
        load(path)


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="no such file"):
        load(tmp_path / "nope.npz")


def test_save_leaves_no_temporary_files(tmp_path):
    save({"w": np.ones(3)}, tmp_path / "w.npz")
    assert [p.name for p in tmp_path.iterdir()] == ["w.npz"]
