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


# ------------------------------------------------------------------ whole models
import json  # noqa: E402
import zipfile  # noqa: E402
from collections import OrderedDict  # noqa: E402

from chainrule import nn  # noqa: E402
from chainrule.serialization import (  # noqa: E402
    MODEL_KEY,
    UnsupportedLayerError,
    load_model,
    model_info,
    save_model,
)


def _every_layer():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, stride=1, padding=1), nn.BatchNorm2d(4, momentum=0.2), nn.ReLU(),
        nn.MaxPool2d(2), nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), bias=False),
        nn.LeakyReLU(0.2), nn.AvgPool2d(2, 1), nn.Dropout(0.25), nn.Flatten(),
        nn.Sequential(OrderedDict(fc=nn.Linear(6 * 2 * 3, 12, bias=False), act=nn.ELU(0.5))),
        nn.BatchNorm1d(12, affine=False), nn.Tanh(), nn.Identity(), nn.Linear(12, 5).double().float(),
        nn.Sigmoid(), nn.Step(), nn.Softmax(dim=1), nn.LogSoftmax(dim=1),
    )


def _assert_same_model(a, b, x):
    assert repr(a) == repr(b)
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for key in sa:
        assert sa[key].dtype == sb[key].dtype, key
        np.testing.assert_array_equal(sa[key].numpy(), sb[key].numpy(), err_msg=key)
    a.eval(), b.eval()
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())
    if len(a) > 14:  # before the Step layer flattens everything
        np.testing.assert_array_equal(a[:14](x).detach().numpy(), b[:14](x).detach().numpy())


def test_save_model_round_trips_a_sequential_of_every_built_in_layer(tmp_path):
    cr.manual_seed(0)
    model = _every_layer()
    x = cr.randn(3, 1, 12, 10)
    model(x)  # move the BatchNorm statistics
    path = save_model(model, tmp_path / "m.npz", metadata={"classes": ["a", "b"]})
    cr.manual_seed(1)
    _assert_same_model(model, load_model(path), x)
    info = model_info(path)
    assert info["format"] == "chainrule.model" and info["metadata"] == {"classes": ["a", "b"]}
    assert [layer["type"] for layer in info["architecture"]["layers"]][:3] == ["Conv2d", "BatchNorm2d", "ReLU"]
    assert info["architecture"]["layers"][9]["layers"][0] == {
        "name": "fc", "type": "Linear", "args": {"in_features": 36, "out_features": 12, "bias": False,
                                                  "dtype": "float32"}}
    with zipfile.ZipFile(path) as archive:  # .npy arrays only
        assert all(name.endswith(".npy") for name in archive.namelist())
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def test_save_model_keeps_float64_weights(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)).double()
    loaded = load_model(save_model(model, tmp_path / "m.npz"))
    assert {v.dtype for v in loaded.state_dict().values()} == {np.dtype(np.float64), np.dtype(np.int64)}


@pytest.mark.parametrize("name", models.names())
def test_every_named_architecture_round_trips(tmp_path, name):
    cr.manual_seed(0)
    model = models.build(name, (1, 16, 16), 7)
    path = save_model(model, tmp_path / f"{name}.npz", name=name, input_shape=(1, 16, 16), classes=7)
    info = model_info(path)
    assert (info["name"], info["input_shape"], info["classes"]) == (name, [1, 16, 16], 7)
    _assert_same_model(model, load_model(path), cr.randn(2, 1, 16, 16))


def test_a_named_architecture_loads_from_its_name_alone(tmp_path):
    class Custom(nn.Module):  # not describable layer by layer
        def __init__(self):
            super().__init__()
            self.inner = models.build("mlp", (1, 8, 8), 3)

        def forward(self, x):
            return self.inner(x)

    cr.manual_seed(0)
    reference = models.build("mlp", (1, 8, 8), 3)
    path = save_model(reference, tmp_path / "a.npz", name="mlp", input_shape=(1, 8, 8), classes=3)
    document = model_info(path)
    del document["architecture"]
    arrays = dict(np.load(path, allow_pickle=False))
    arrays[MODEL_KEY] = np.frombuffer(json.dumps(document).encode(), dtype=np.uint8)
    np.savez(tmp_path / "b.npz", **arrays)
    _assert_same_model(reference, load_model(tmp_path / "b.npz"), cr.randn(2, 1, 8, 8))
    with pytest.raises(UnsupportedLayerError, match=r"cannot describe the model \(Custom\)"):
        save_model(Custom(), tmp_path / "c.npz")


def test_unknown_layers_are_refused_when_saving_and_when_loading(tmp_path):
    class Mystery(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(UnsupportedLayerError, match=r"cannot describe layer 1 \(Mystery\): only nn.Sequential"):
        save_model(nn.Sequential(nn.Linear(2, 2), Mystery()), tmp_path / "m.npz")
    assert not list(tmp_path.iterdir())
    path = save_model(nn.Sequential(nn.Linear(2, 2), nn.ReLU()), tmp_path / "m.npz")
    arrays = dict(np.load(path, allow_pickle=False))
    document = json.loads(arrays[MODEL_KEY].tobytes())
    document["architecture"]["layers"][1]["type"] = "Mystery"
    arrays[MODEL_KEY] = np.frombuffer(json.dumps(document).encode(), dtype=np.uint8)
    np.savez(path, **arrays)
    with pytest.raises(CheckpointError, match=r"m.npz: layer 1: unknown layer type 'Mystery'; known: Sequential"):
        load_model(path)
    document["architecture"]["layers"][1] = {"type": "Linear", "args": {"in_features": 2, "out_features": 3,
                                                                        "colour": "red"}}
    arrays[MODEL_KEY] = np.frombuffer(json.dumps(document).encode(), dtype=np.uint8)
    np.savez(path, **arrays)
    with pytest.raises(CheckpointError, match=r"m.npz: layer 1 \(Linear\): cannot build it"):
        load_model(path)


def test_load_model_refuses_weights_only_and_damaged_files(tmp_path):
    weights = save(models.build("mlp").state_dict(), tmp_path / "w.npz")
    with pytest.raises(CheckpointError, match="w.npz: holds weights only, no architecture"):
        load_model(weights)
    path = save_model(models.build("mlp"), tmp_path / "m.npz")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])
    with pytest.raises(CheckpointError, match="m.npz: not a readable .npz"):
        load_model(path)
    with pytest.raises(CheckpointError, match="nope.npz: no such file"):
        load_model(tmp_path / "nope.npz")


def test_weights_of_a_model_file_load_as_a_state_dict(tmp_path):
    cr.manual_seed(0)
    model = models.build("c2")
    state = load(save_model(model, tmp_path / "m.npz", name="c2"))
    assert MODEL_KEY not in state and list(state) == list(model.state_dict())
    models.build("c2").load_state_dict(state)


def test_object_arrays_are_refused_rather_than_pickled(tmp_path):
    with pytest.raises(TypeError, match="w: an array of Python objects cannot be saved without pickle"):
        save({"w": np.array([{"a": 1}], dtype=object)}, tmp_path / "x.npz")
    assert not list(tmp_path.iterdir())
