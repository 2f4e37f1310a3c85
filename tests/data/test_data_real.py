"""The real MNIST and Fashion-MNIST files of ../shared/data, checked against the README."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chainrule.data import list_datasets, load, load_fashion_mnist, load_mnist, locate

SHARED_DATA = Path(__file__).parents[2].parent / "shared" / "data"

pytestmark = pytest.mark.skipif(
    not (SHARED_DATA / "mnist").is_dir() or not (SHARED_DATA / "fashion-mnist").is_dir(),
    reason=f"shared datasets not present at {SHARED_DATA}",
)

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def mnist():
    """Both MNIST splits, read (and MD5-checked) once for the module."""
    return {split: load_mnist(split, SHARED_DATA) for split in ("train", "test")}


def test_mnist_shapes_and_types(mnist):
    images, labels = mnist["train"]
    assert images.shape == (60000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (60000,) and labels.dtype == np.int64
    assert mnist["test"][0].shape == (10000, 28, 28)


def test_mnist_label_counts(mnist):
    assert np.bincount(mnist["train"][1]).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(mnist["test"][1]).tolist() == MNIST_TEST_COUNTS


def test_fashion_mnist_label_counts():
    for split, per_class in (("train", 6000), ("test", 1000)):
        images, labels = load_fashion_mnist(split, SHARED_DATA / "fashion-mnist")
        assert images.shape == (per_class * 10, 28, 28)
        assert np.bincount(labels).tolist() == [per_class] * 10


def test_located_from_parent_and_dataset_folder():
    assert locate("mnist", SHARED_DATA).path == SHARED_DATA / "mnist"
    assert locate("mnist", SHARED_DATA / "mnist").kind == "data_dir"
    listed = {info.name: info.location for info in list_datasets(SHARED_DATA)}
    assert listed["fashion-mnist"].path == SHARED_DATA / "fashion-mnist"


def test_standardize_gives_the_usual_mnist_numbers(mnist, monkeypatch):
    # Serve the already-loaded arrays: the point here is the statistics, not reading again.
    monkeypatch.setattr("chainrule.data.datasets._load_idx", lambda name, split, *_: mnist[split])
    test = load("mnist", "test", normalize="standardize", flatten=True)
    assert test.normalization["mean"] == pytest.approx(0.1307, abs=5e-5)
    assert test.normalization["std"] == pytest.approx(0.3081, abs=5e-5)
    assert test.x.shape == (10000, 784) and test.x.dtype == np.float32


def test_nielsen_split_is_first_50k_and_last_10k(mnist, monkeypatch):
    monkeypatch.setattr("chainrule.data.datasets._load_idx", lambda name, split, *_: mnist[split])
    train = load("mnist", "train", validation_size=10_000)
    validation = load("mnist", "validation", validation_size=10_000)
    assert len(train) == 50_000 and len(validation) == 10_000
    assert train.x.shape == (50_000, 1, 28, 28) and train.classes == [str(d) for d in range(10)]
    np.testing.assert_array_equal(validation.y, mnist["train"][1][50_000:])
    np.testing.assert_allclose(validation.x[:, 0] * 255, mnist["train"][0][50_000:], atol=1e-4)
