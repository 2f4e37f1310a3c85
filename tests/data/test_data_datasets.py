"""load(), splits, normalisation, scikit-learn's digits and the synthetic sets."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from chainrule.data import (
    DatasetError,
    load,
    load_digits,
    normalize,
    train_val_split,
    two_spirals,
    xor,
)


@pytest.fixture
def tiny_mnist(isolated_env, make_tiny_dataset, use_table):
    """A 20/6-image stand-in for MNIST in the user cache; returns its arrays."""
    arrays, table = make_tiny_dataset(
        isolated_env / "xdg" / "chainrule" / "mnist", n_train=20, n_test=6
    )
    use_table("mnist", table)
    return arrays


def test_train_val_split_last_block_and_seeded():
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    (_, yt), (_, yv) = train_val_split(x, y, 3)
    assert yt.tolist() == list(range(7)) and yv.tolist() == [7, 8, 9]
    (_, yt), (_, yv) = train_val_split(x, y, 0.3, seed=1)
    assert len(yv) == 3 and sorted(yt.tolist() + yv.tolist()) == list(range(10))
    assert yv.tolist() == sorted(yv.tolist()) and yv.tolist() != [7, 8, 9]
    assert train_val_split(x, y, 0.3, seed=1)[1][1].tolist() == yv.tolist()
    with pytest.raises(ValueError, match="validation_size"):
        train_val_split(x, y, 10)


def test_normalize_methods():
    x = np.array([[0, 255], [51, 102]], dtype=np.uint8)
    out, record = normalize(x, "0-1")
    np.testing.assert_allclose(out, x / 255, rtol=1e-6)
    assert out.dtype == np.float32 and record == {"method": "0-1", "scale": 255.0}
    out, record = normalize(x, "none")
    assert out.dtype == np.float32 and out.max() == 255
    out, record = normalize(x, "standardize", reference=x[:1])  # statistics of the reference only
    assert record["mean"] == pytest.approx(0.5) and record["std"] == pytest.approx(0.5)
    np.testing.assert_allclose(out[0], [-1, 1], atol=1e-6)
    with pytest.raises(ValueError, match="one of"):
        normalize(x, "minmax")


def test_normalize_per_feature_without_scale():
    x = np.array([[1.0, 5.0], [3.0, 5.0]])
    out, record = normalize(x, "standardize", scale=None, axis=0)
    np.testing.assert_allclose(out, [[-1, 0], [1, 0]])  # a constant feature is centred only
    assert record["mean"] == [2.0, 5.0]
    with pytest.raises(ValueError, match="'0-1' needs the largest raw value"):
        normalize(x, "0-1", scale=None)


def test_load_images_channel_axis_and_flatten(tiny_mnist):
    train = load("mnist")
    assert (
        train.x.shape == (20, 1, 28, 28)
        and train.shape == (1, 28, 28)
        and train.x.dtype == np.float32
    )
    np.testing.assert_allclose(
        train.x[:, 0] * 255, tiny_mnist["train-images-idx3-ubyte"], atol=1e-4
    )
    test = load("mnist", "test", flatten=True, normalize="none")
    assert test.x.shape == (6, 784) and test.shape == (784,) and test.split == "test"
    assert test.y.dtype == np.int64 and test.num_classes == 10


def test_load_validation_and_standardize_on_training_part(tiny_mnist):
    images, labels = tiny_mnist["train-images-idx3-ubyte"], tiny_mnist["train-labels-idx1-ubyte"]
    _, (held_out, _) = train_val_split(np.arange(20), np.arange(20), 5, seed=0)
    options = {"validation_size": 5, "split_seed": 0, "normalize": "standardize"}
    train, validation, test = (
        load("mnist", split, **options) for split in ("train", "validation", "test")
    )
    assert len(train) == 15 and len(validation) == 5
    np.testing.assert_array_equal(validation.y, labels[held_out])
    training_part = np.delete(images, held_out, axis=0)
    assert train.normalization["mean"] == pytest.approx(training_part.mean() / 255)
    assert train.normalization["std"] == pytest.approx(training_part.std() / 255)
    assert validation.normalization == train.normalization == test.normalization


def test_load_errors(tiny_mnist):
    with pytest.raises(ValueError, match="empty"):
        load("mnist", "validation")
    with pytest.raises(ValueError, match="split must be"):
        load("mnist", "dev")
    with pytest.raises(TypeError, match="takes no options"):
        load("mnist", noise=0.1)
    with pytest.raises(DatasetError, match="unknown dataset 'cifar'"):
        load("cifar")


def test_load_download_calls_fetch(isolated_env, make_tiny_dataset, use_table, monkeypatch):
    calls = []

    def fake_fetch(name, data_dir=None):
        calls.append(name)
        make_tiny_dataset(isolated_env / "xdg" / "chainrule" / name)

    _, table = make_tiny_dataset(isolated_env / "elsewhere")
    use_table("fashion-mnist", table)
    monkeypatch.setattr("chainrule.data.datasets.fetch", fake_fetch)
    with pytest.raises(DatasetError, match="fashion-mnist: dataset not found"):
        load("fashion-mnist")
    assert load("Fashion_MNIST", download=True).classes[0] == "T-shirt/top" and calls == [
        "fashion-mnist"
    ]


def test_digits():
    images, labels = load_digits("test")
    assert images.shape == (297, 8, 8) and images.dtype == np.uint8 and images.max() == 16
    train = load("digits", flatten=True)
    assert train.x.shape == (1500, 64) and train.x.max() == 1.0 and labels.dtype == np.int64


def test_digits_without_scikit_learn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # makes the import fail
    with pytest.raises(DatasetError, match="needs scikit-learn"):
        load_digits()


def test_spirals_are_seeded_and_balanced():
    x, y = two_spirals(101, seed=3)
    assert x.shape == (101, 2) and x.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [51, 50]
    np.testing.assert_array_equal(x, two_spirals(101, seed=3)[0])
    assert not np.array_equal(x, two_spirals(101, seed=4)[0])
    assert np.linalg.norm(two_spirals(200, noise=0.0, seed=0)[0], axis=1).max() <= 1.0 + 1e-6


def test_xor_labels():
    x, y = xor(500, seed=0)
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] < 0).astype(np.int64))
    assert np.abs(x).max() <= 1.0


def test_load_synthetic():
    train = load("spirals", n_samples=60, noise=0.0)
    again = load("spirals", n_samples=60, noise=0.0)
    test = load("spirals", "test", n_samples=60, noise=0.0)
    np.testing.assert_array_equal(train.x, again.x)
    assert not np.array_equal(train.x, test.x)  # train and test are independent draws
    assert train.normalization == {"method": "none"} and train.shape == (2,)
    assert len(load("xor", validation_size=10, seed=5, n_samples=50)) == 40
    with pytest.raises(ValueError, match="'0-1' needs"):
        load("xor", normalize="0-1")
