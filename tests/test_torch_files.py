"""``chainrule.save``/``load`` as ``torch.save``/``torch.load`` are used, and PyTorch's own
``.pt`` files read without PyTorch's unpickler: every tensor exact, every hostile pickle refused
by name before anything of it runs."""

from __future__ import annotations

import io
import os
import zipfile

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import chainrule as cr  # noqa: E402
from chainrule.serialization import CheckpointError  # noqa: E402


def _torch_bytes(obj) -> io.BytesIO:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return buffer


def test_torch_state_dict_loads_into_a_chainrule_model(tmp_path):
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.BatchNorm2d(3), torch.nn.Flatten(),
                             torch.nn.Linear(3 * 4 * 4, 2))
    tm(torch.randn(4, 1, 6, 6))  # running statistics and num_batches_tracked move
    torch.save(tm.state_dict(), tmp_path / "model.pt")
    model = cr.nn.Sequential(cr.nn.Conv2d(1, 3, 3), cr.nn.BatchNorm2d(3), cr.nn.Flatten(), cr.nn.Linear(48, 2))
    model.load_state_dict(cr.load(tmp_path / "model.pt"))
    for name, value in tm.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[name].numpy(), value.numpy(), err_msg=name)
    model.eval(), tm.eval()
    x = np.random.default_rng(0).standard_normal((2, 1, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(model(cr.tensor(x)).detach().numpy(), tm(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda: torch.arange(24.0).reshape(4, 6).t()[1:, ::2],  # a strided view, saved with its whole storage
    lambda: torch.tensor(3.5),
    lambda: torch.arange(5, dtype=torch.int32),
    lambda: torch.tensor([True, False]),
    lambda: torch.zeros(0, 3),
    lambda: torch.randn(3, dtype=torch.float64),
])
def test_torch_tensors_are_exact(make):
    value = make()
    loaded = cr.load(_torch_bytes(value))
    assert isinstance(loaded, cr.Tensor) and str(loaded.dtype) == str(value.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(loaded.numpy(), value.numpy())


def test_torch_nested_objects_and_optimizer_state():
    p = torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.Adam([p], lr=0.01)
    (p * p).sum().backward()
    opt.step()
    loaded = cr.load(_torch_bytes({"epoch": 3, "optimizer": opt.state_dict(), "names": ["a", "b"], "p": p}))
    assert loaded["epoch"] == 3 and loaded["names"] == ["a", "b"]
    assert loaded["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    np.testing.assert_array_equal(loaded["optimizer"]["state"][0]["exp_avg"].numpy(),
                                  opt.state_dict()["state"][0]["exp_avg"].numpy())
    np.testing.assert_array_equal(loaded["p"].numpy(), p.detach().numpy())


class _Hostile:
    def __reduce__(self):
        return (os.system, ("touch /tmp/chainrule-pwned",))


def test_a_hostile_pickle_is_refused_by_name_and_never_runs():
    if os.path.exists("/tmp/chainrule-pwned"):
        os.remove("/tmp/chainrule-pwned")
    with pytest.raises(CheckpointError, match=r"refuses to load posix\.system|refuses to load os\.system"):
        cr.load(_torch_bytes({"weight": torch.ones(2), "payload": _Hostile()}))
    assert not os.path.exists("/tmp/chainrule-pwned")


def test_a_damaged_torch_file_is_refused(tmp_path):
    data = _torch_bytes({"w": torch.ones(100)}).getvalue()
    cut = tmp_path / "cut.pt"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="cut.pt"):
        cr.load(cut)
    missing = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(missing, "w") as dst:
        for name in src.namelist():
            if "/data/" not in name:
                dst.writestr(name, src.read(name))
    missing.seek(0)
    with pytest.raises(CheckpointError, match="storage 0 is missing"):
        cr.load(missing)


def test_save_and_load_round_trip_as_torch_users_write_them(tmp_path):
    model = cr.nn.Linear(3, 2)
    opt = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(cr.ones(4, 3)).sum().backward()
    opt.step()
    checkpoint = {"epoch": 2, "model": model.state_dict(), "optimizer": opt.state_dict(), "loss": 0.25,
                  "history": [1.0, 0.5], "shape": (2, 3), "note": None}
    cr.save(checkpoint, tmp_path / "ckpt.pt")
    back = cr.load(tmp_path / "ckpt.pt", map_location="cpu", weights_only=True)
    assert back["epoch"] == 2 and back["loss"] == 0.25 and back["history"] == [1.0, 0.5]
    assert back["shape"] == (2, 3) and back["note"] is None
    fresh = cr.nn.Linear(3, 2)
    fresh.load_state_dict(back["model"])
    np.testing.assert_array_equal(fresh.weight.detach().numpy(), model.weight.detach().numpy())
    opt2 = cr.optim.SGD(fresh.parameters(), lr=0.1, momentum=0.9)
    opt2.load_state_dict(back["optimizer"])
    assert opt2.state_dict()["param_groups"] == opt.state_dict()["param_groups"]

    t = cr.tensor([[1.0, 2.0]])
    buffer = io.BytesIO()
    cr.save(t, buffer)
    buffer.seek(0)
    assert cr.load(buffer).tolist() == [[1.0, 2.0]]
    cr.save(model.state_dict(), tmp_path / "weights.npz")  # a state_dict stays a plain .npz
    assert sorted(np.load(tmp_path / "weights.npz").files) == ["bias", "weight"]


def test_save_refuses_objects_it_cannot_write_without_pickle(tmp_path):
    with pytest.raises(TypeError, match=r"the object\['f'\] is a function"):
        cr.save({"f": lambda: 0}, tmp_path / "x.pt")
    assert not (tmp_path / "x.pt").exists()


class _Storage:
    """Stands for a storage in a hand-made pickle (see _forged)."""


def _forged(offset, size, stride, elements=4, payload=None) -> io.BytesIO:
    """A .pt archive whose one tensor declares ``offset``, ``size`` and ``stride`` over a storage
    of ``elements`` floats, as a hostile or damaged file could."""
    import collections
    import pickle

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            return ("storage", torch.FloatStorage, "0", "cpu", elements) if isinstance(obj, _Storage) else None

    class Forged:
        def __reduce__(self):
            return (torch._utils._rebuild_tensor_v2, (_Storage(), offset, size, stride, False, collections.OrderedDict()))

    data = io.BytesIO()
    Pickler(data, protocol=2).dump({"w": Forged()} if payload is None else payload)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("archive/data.pkl", data.getvalue())
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/data/0", np.arange(elements, dtype=np.float32).tobytes())
    archive.seek(0)
    return archive


@pytest.mark.parametrize("offset,size,stride,message", [
    (-4, (8,), (1,), "malformed"),
    (0, (3,), (-1000,), "malformed"),
    (2, (3,), (1,), "reaches past its storage"),
    (10, (), (), "reaches past its storage"),
    (0, (100000, 100000), (0, 0), "refused"),
])
def test_a_tensor_outside_its_storage_is_refused(offset, size, stride, message):
    with pytest.raises(CheckpointError, match=message):
        cr.load(_forged(offset, size, stride))


def test_shared_and_self_containing_objects_load_once():
    nested = [1]
    for _ in range(40):  # 2**40 paths, one object per level
        nested = [nested, nested]
    back = cr.load(_forged(0, (2,), (1,), payload={"deep": nested}))
    assert back["deep"][0] is back["deep"][1]
    looped: list = []
    looped.append(looped)
    back = cr.load(_forged(0, (2,), (1,), payload=looped))
    assert back[0] is back


def test_a_file_that_unpacks_past_the_limit_is_refused(monkeypatch):
    monkeypatch.setenv("CHAINRULE_MAX_BYTES", "1000")
    with pytest.raises(CheckpointError, match="CHAINRULE_MAX_BYTES"):
        cr.load(_torch_bytes({"w": torch.ones(1000)}))
