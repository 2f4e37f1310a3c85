"""Checkpoint files: atomic, pickle-free, verified; broken ones are refused by name."""

import json
import os
import zipfile

import numpy as np
import pytest

from chainrule import nn, serialization
from chainrule.training import Trainer, latest_checkpoint, list_checkpoints, load_checkpoint
from chainrule.training.checkpoint import decode, encode
from chainrule.serialization import CheckpointError

from .helpers import eval_data, run_parts


def train(folder, iterations=6, every=2, keep=2, callbacks=()):
    model, opt, sched, loader = run_parts()
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt, loader, scheduler=sched, eval_data=eval_data(),
                      eval_every=3, checkpoint_dir=folder, checkpoint_every=every, keep_checkpoints=keep,
                      callbacks=callbacks)
    return trainer, trainer.fit(iterations=iterations)


def names(folder):
    return sorted(p.name for p in folder.iterdir())


def test_checkpoints_keep_the_newest_and_leave_no_temporary_files(tmp_path):
    train(tmp_path, iterations=7, every=2, keep=2)
    # every 2 iterations and at the end (7); only the 2 newest are kept
    assert names(tmp_path) == ["ckpt-00000006.json", "ckpt-00000006.npz", "ckpt-00000007.json", "ckpt-00000007.npz"]
    train(tmp_path / "all", iterations=5, every=2, keep=None)
    assert [p.name for p in list_checkpoints(tmp_path / "all")] == [
        "ckpt-00000002.json", "ckpt-00000004.json", "ckpt-00000005.json"]


def test_a_checkpoint_holds_everything_and_no_pickle(tmp_path):
    trainer, history = train(tmp_path, iterations=4, every=4)
    path = tmp_path / "ckpt-00000004.json"
    meta = json.loads(path.read_text())
    assert meta["format"] == "chainrule.checkpoint" and meta["iteration"] == 4 and meta["epoch"] == 1
    for key in ("optimizer", "scheduler", "loader", "rng", "history", "trainer", "target"):
        assert key in meta, key
    assert meta["rng"]["bit_generator"] == "PCG64"
    assert meta["optimizer"]["state_dict"]["param_groups"][0]["betas"] == {"__tuple__": [0.9, 0.999]}
    assert meta["history"]["train_loss"] == history.train_loss
    with zipfile.ZipFile(tmp_path / "ckpt-00000004.npz") as archive:  # plain .npy entries
        entries = archive.namelist()
    assert "model/0.weight.npy" in entries and any(e.startswith("meta/optimizer/") for e in entries)
    with np.load(tmp_path / "ckpt-00000004.npz", allow_pickle=False) as arrays:
        assert all(arrays[name].dtype != object for name in arrays.files)
    ck = load_checkpoint(path)
    model = trainer.model.state_dict()
    assert list(ck.model_state) == list(model)
    assert all(np.array_equal(ck.model_state[k], model[k].numpy()) for k in model)
    state = ck.meta["optimizer"]["state_dict"]
    assert state["param_groups"][0]["betas"] == (0.9, 0.999) and isinstance(state["state"][0]["step"], int)


def test_a_crash_while_writing_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    calls = {"n": 0}
    real_fsync = os.fsync

    def failing_fsync(fd):  # the bytes are in the temporary file; the disk "fills up"
        calls["n"] += 1
        if calls["n"] > 2:  # the first checkpoint's two files go through
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space left"):
        train(tmp_path, iterations=6, every=2)
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert names(tmp_path) == ["ckpt-00000002.json", "ckpt-00000002.npz"]  # no temporary files
    assert load_checkpoint(tmp_path).iteration == 2


def test_a_crash_between_the_two_files_leaves_the_previous_checkpoint_the_latest(tmp_path, monkeypatch):
    real = serialization.atomic_write_bytes

    def write(path, data):
        if path.name == "ckpt-00000004.json":
            raise OSError("killed")
        real(path, data)

    monkeypatch.setattr(serialization, "atomic_write_bytes", write)
    with pytest.raises(OSError, match="killed"):
        train(tmp_path, iterations=6, every=2)
    monkeypatch.setattr(serialization, "atomic_write_bytes", real)
    assert "ckpt-00000004.npz" in names(tmp_path)  # an orphan, without its .json: not a checkpoint
    assert latest_checkpoint(tmp_path).name == "ckpt-00000002.json"
    # resuming from the folder picks it, and the next complete checkpoint sweeps the orphan away
    model, opt, sched, loader = run_parts(seed=1)
    Trainer(model, nn.CrossEntropyLoss(), opt, loader, scheduler=sched, checkpoint_dir=tmp_path,
            checkpoint_every=2).fit(iterations=6, resume=True)
    assert names(tmp_path) == ["ckpt-00000004.json", "ckpt-00000004.npz", "ckpt-00000006.json", "ckpt-00000006.npz"]


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "delete"])
def test_a_damaged_npz_is_refused_with_its_name(tmp_path, damage):
    train(tmp_path, iterations=4, every=2)
    npz = tmp_path / "ckpt-00000004.npz"
    data = npz.read_bytes()
    if damage == "truncate":
        npz.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        npz.write_bytes(data[:300] + bytes([data[300] ^ 1]) + data[301:])
    elif damage == "garbage":
        npz.write_bytes(b"not a zip at all")
    else:
        npz.unlink()
    message = "no such file" if damage == "delete" else "corrupt or truncated"
    with pytest.raises(CheckpointError, match=f"ckpt-00000004.npz.*{message}"):
        load_checkpoint(tmp_path / "ckpt-00000004.json")
    assert latest_checkpoint(tmp_path).name == "ckpt-00000002.json"  # the older one still serves


@pytest.mark.parametrize("damage", ["truncate", "not-json", "wrong-format", "incomplete"])
def test_a_damaged_json_is_refused_with_its_name(tmp_path, damage):
    train(tmp_path, iterations=2, every=2)
    path = tmp_path / "ckpt-00000002.json"
    text = path.read_text()
    document = json.loads(text)
    if damage == "truncate":
        path.write_text(text[: len(text) // 2])
        message = "not a readable JSON file"
    elif damage == "not-json":
        path.write_bytes(b"\xff\xfe\x00garbage")
        message = "not a readable JSON file"
    elif damage == "wrong-format":
        document["format"] = "something-else"
        path.write_text(json.dumps(document))
        message = "not a chainrule checkpoint"
    else:
        del document["rng"]
        path.write_text(json.dumps(document))
        message = "incomplete checkpoint, missing rng"
    with pytest.raises(CheckpointError, match=f"ckpt-00000002.json: {message}"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="ckpt-00000002.json"):  # the folder has no valid one
        load_checkpoint(tmp_path)


def test_an_empty_folder_has_no_checkpoint(tmp_path):
    assert latest_checkpoint(tmp_path) is None
    with pytest.raises(CheckpointError, match="no checkpoint in this folder"):
        load_checkpoint(tmp_path)


def test_values_are_encoded_exactly():
    value = {"f": 0.1 + 0.2, "t": (1, (2.5, "x")), "i": {0: np.arange(3), 7: None}, "s": np.float32(1.5),
             "big": 2 ** 100, "n": float("nan"), "l": [np.int64(3)]}
    arrays = {}
    encoded = json.loads(json.dumps(encode(value, arrays, "v")))
    back = decode(encoded, arrays)
    assert back["f"] == 0.1 + 0.2 and back["t"] == (1, (2.5, "x")) and back["big"] == 2 ** 100
    assert list(back["i"]) == [0, 7] and np.array_equal(back["i"][0], np.arange(3)) and back["i"][7] is None
    assert type(back["s"]) is np.float32 and back["s"] == 1.5 and type(back["l"][0]) is np.int64
    assert np.isnan(back["n"])
    with pytest.raises(TypeError, match="cannot store a set"):
        encode({"x": {1, 2}}, {}, "v")


def test_resuming_from_an_earlier_checkpoint_replaces_the_later_ones(tmp_path):
    train(tmp_path, iterations=6, every=2, keep=None)
    assert [p.name for p in list_checkpoints(tmp_path)][-1] == "ckpt-00000006.json"
    model, opt, sched, loader = run_parts(seed=1)
    Trainer(model, nn.CrossEntropyLoss(), opt, loader, scheduler=sched, checkpoint_dir=tmp_path,
            checkpoint_every=3, keep_checkpoints=None).fit(iterations=6, resume=tmp_path / "ckpt-00000002.json")
    # the first checkpoint of the new branch (3) removes the abandoned 4 and 6
    assert [p.name for p in list_checkpoints(tmp_path)] == ["ckpt-00000002.json", "ckpt-00000003.json",
                                                            "ckpt-00000006.json"]
    assert load_checkpoint(tmp_path).meta["history"]["iteration"] == list(range(1, 7))


def test_resume_true_needs_a_checkpoint_dir_and_a_checkpoint(tmp_path):
    model, opt, sched, loader = run_parts()
    with pytest.raises(ValueError, match="resume=True needs a checkpoint_dir"):
        Trainer(model, nn.CrossEntropyLoss(), opt, loader, scheduler=sched).fit(iterations=2, resume=True)
    with pytest.raises(CheckpointError, match="no checkpoint in this folder"):
        Trainer(model, nn.CrossEntropyLoss(), opt, loader, scheduler=sched,
                checkpoint_dir=tmp_path).fit(iterations=2, resume=True)
    with pytest.raises(TypeError, match="checkpoints need a loader with state_dict"):
        Trainer(model, nn.CrossEntropyLoss(), opt, [(1, 2)], checkpoint_dir=tmp_path)
