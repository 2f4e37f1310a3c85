"""A run folder's identity: a new run does not take over another's folder, a resumed run is
the same run, and a finished one has nothing left to do (``training/run_folder.py``)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from chainrule.training.run_folder import RunFolderError, claim, data_checksum, read_run

IDENTITY = {"model": "mlp", "data": "digits", "lr": 0.001, "seed": 0, "data checksum": "abc"}


def test_a_new_run_claims_an_empty_folder(tmp_path):
    assert claim(tmp_path / "run", IDENTITY, {"epochs": 2}) == "new"
    run = read_run(tmp_path / "run")
    assert run["identity"] == IDENTITY and run["status"] == "running" and len(run["id"]) == 32


def test_a_new_run_into_another_runs_folder_is_refused_unless_overwritten(tmp_path):
    claim(tmp_path, IDENTITY, {"epochs": 2})
    first = read_run(tmp_path)["id"]
    (tmp_path / "model.npz").write_bytes(b"weights")
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(RunFolderError, match=rf"holds run {first[:8]}: give --resume .* --overwrite"):
        claim(tmp_path, IDENTITY, {"epochs": 2})
    assert claim(tmp_path, IDENTITY, {"epochs": 2}, overwrite=True, outputs=("model.npz",)) == "new"
    assert read_run(tmp_path)["id"] != first
    assert not (tmp_path / "model.npz").exists() and (tmp_path / "notes.txt").read_text() == "mine"


def test_a_resume_with_changed_settings_names_each_field(tmp_path):
    claim(tmp_path, IDENTITY, {"epochs": 2})
    (tmp_path / "checkpoints").mkdir()
    changed = {**IDENTITY, "lr": 0.01, "data checksum": "def"}
    with pytest.raises(RunFolderError, match=r"data checksum: 'abc' in the run, 'def' now; lr: 0.001 in the run, 0.01 now"):
        claim(tmp_path, changed, {"epochs": 2}, resume=True)
    assert claim(tmp_path, IDENTITY, {"epochs": 2}, resume=True) == "resumed"


def test_a_finished_run_is_done_unless_extended(tmp_path):
    claim(tmp_path, IDENTITY, {"epochs": 2})
    (tmp_path / "checkpoints").mkdir()
    run = read_run(tmp_path)
    (tmp_path / "run.json").write_text(json.dumps({**run, "status": "finished"}))
    assert claim(tmp_path, IDENTITY, {"epochs": 2}, resume=True) == "finished"
    assert claim(tmp_path, IDENTITY, {"iterations": 50}, resume=True) == "finished"  # another unit: no extension
    assert claim(tmp_path, IDENTITY, {"epochs": 3}, resume=True) == "resumed"
    assert read_run(tmp_path)["length"] == {"epochs": 3} and read_run(tmp_path)["id"] == run["id"]


def test_a_resume_needs_a_run_and_a_checkpoint(tmp_path):
    with pytest.raises(RunFolderError, match="no run to resume"):
        claim(tmp_path / "none", IDENTITY, {"epochs": 2}, resume=True)
    claim(tmp_path, IDENTITY, {"epochs": 2})
    with pytest.raises(RunFolderError, match="no checkpoint to resume from"):
        claim(tmp_path, IDENTITY, {"epochs": 2}, resume=True)


def test_a_damaged_run_file_is_named(tmp_path):
    (tmp_path / "run.json").write_text("{not json")
    with pytest.raises(RunFolderError, match="run.json: not a readable run file"):
        claim(tmp_path, IDENTITY, {"epochs": 2}, resume=True)


def test_data_checksum_sees_values_shapes_and_dtypes():
    x = np.arange(6, dtype=np.float32)
    base = data_checksum(x, np.arange(3))
    assert base == data_checksum(x.copy(), np.arange(3))
    assert base != data_checksum(x.reshape(2, 3), np.arange(3))
    assert base != data_checksum(x.astype(np.float64), np.arange(3))
    y = x.copy()
    y[5] = 0
    assert base != data_checksum(y, np.arange(3))
