"""chainrule.utils.data against torch.utils.data: datasets, samplers, collation, DataLoader.

Everything deterministic is compared with PyTorch exactly (values, dtypes, shapes, container
types, lengths, error types). Random orders cannot match PyTorch's (another generator), so
shuffling is tested by its properties: each index once per epoch, a new order each epoch,
reproducible from a seeded Generator, and the global generator left alone when one is passed.
"""

from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
tdata = torch.utils.data

import chainrule as cr  # noqa: E402
from chainrule import random as cr_random  # noqa: E402
from chainrule.utils import data  # noqa: E402

Point = collections.namedtuple("Point", "x y")


# ------------------------------------------------------------------ comparing with torch
def assert_same(ours, theirs, where="batch"):
    """The same structure (container types, keys, lengths) and, at the leaves, tensors of the
    same dtype, shape and values, or equal plain values."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, cr.Tensor), f"{where}: {type(ours).__name__}, torch has a tensor"
        assert ours.dtype.name == str(theirs.dtype).removeprefix("torch."), f"{where}: dtype {ours.dtype}"
        assert ours.shape == tuple(theirs.shape), f"{where}: shape {ours.shape} != {tuple(theirs.shape)}"
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=where)
        return
    assert type(ours) is type(theirs), f"{where}: {type(ours).__name__} != {type(theirs).__name__}"
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs), where
        for key in theirs:
            assert_same(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{where}[{i}]")
    else:
        assert ours == theirs, where


def both(build):
    """``build(lib)`` for chainrule and for torch: the same recipe, each library's tensors."""
    return build(cr), build(torch)


def epochs_same(ours, theirs):
    theirs = list(theirs)
    ours = list(ours)
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert_same(a, b, f"batch {i}")


X = np.arange(10 * 2 * 3, dtype=np.float32).reshape(10, 2, 3) / 7
Y = np.arange(10, dtype=np.int64) % 3


def tensor_dataset(lib):
    return (tdata if lib is torch else data).TensorDataset(lib.tensor(X), lib.tensor(Y))


# ------------------------------------------------------------------ default_collate
def _samples_tensors(lib):
    return [lib.tensor(X[i]) for i in range(3)]


SAMPLES = {
    "tensors": _samples_tensors,
    "0-d tensors": lambda lib: [lib.tensor(Y[i]) for i in range(4)],
    "float64 arrays": lambda lib: [X[i].astype(np.float64) for i in range(3)],
    "int32 arrays": lambda lib: [np.arange(4, dtype=np.int32) + i for i in range(3)],
    "ints": lambda lib: [1, 2, 3],
    "floats": lambda lib: [1.5, 2.0, -3.25],
    "bools": lambda lib: [True, False, True],
    "strings": lambda lib: ["a", "bc", "d"],
    "numpy scalars": lambda lib: [np.float32(1.5), np.float32(2.5)],
    "numpy int scalars": lambda lib: [np.int16(1), np.int16(2)],
    "numpy bools": lambda lib: [np.bool_(True), np.bool_(False)],
    "(tensor, int)": lambda lib: [(lib.tensor(X[i]), int(Y[i])) for i in range(4)],
    "lists": lambda lib: [[1, 2.5], [3, 4.5]],
    "dicts": lambda lib: [{"image": lib.tensor(X[i]), "label": i, "name": f"n{i}"} for i in range(3)],
    "namedtuples": lambda lib: [Point(lib.tensor(X[i]), float(i)) for i in range(2)],
    "nested": lambda lib: [{"pair": (i, [np.float32(i), "s"]), "p": Point(i, {"k": 1.0})} for i in range(3)],
}


@pytest.mark.parametrize("kind", SAMPLES)
def test_default_collate_as_torch(kind):
    ours, theirs = both(SAMPLES[kind])
    assert_same(data.default_collate(ours), tdata.default_collate(theirs), kind)


def test_default_collate_dtypes_spelled_out():
    """The rules the parametrised test checks, written out: ints int64, floats float64."""
    assert data.default_collate([1, 2]).dtype == cr.int64
    assert data.default_collate([1.0, 2]).dtype == cr.float64
    assert data.default_collate([True, False]).dtype == cr.bool_
    xb, yb = data.default_collate([(cr.tensor(X[0]), 0), (cr.tensor(X[1]), 2)])
    assert xb.dtype == cr.float32 and xb.shape == (2, 2, 3) and yb.tolist() == [0, 2]


def test_default_collate_keeps_gradients_flowing():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = cr.tensor([3.0, 4.0], requires_grad=True)
    (data.default_collate([a, b]) * cr.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    assert a.grad.tolist() == [1.0, 2.0] and b.grad.tolist() == [3.0, 4.0]


@pytest.mark.parametrize("batch, error", [
    ([[1, 2], [3]], RuntimeError),            # sequences of different lengths
    ([object(), object()], TypeError),        # nothing to collate
    ([np.array(["a"]), np.array(["b"])], TypeError),  # a string array
])
def test_default_collate_errors_as_torch(batch, error):
    with pytest.raises(error):
        tdata.default_collate(batch)
    with pytest.raises(error, match="default_collate|equal size"):
        data.default_collate(batch)


CONVERT = {
    "array": lambda lib: np.arange(3.0),
    "int": lambda lib: 4,
    "tuple of arrays": lambda lib: (np.arange(2), np.float32(1.0)),
    "dict": lambda lib: {"a": np.ones(2, np.float32), "b": "text"},
    "namedtuple": lambda lib: Point(np.int64(1), np.zeros(2)),
    "tensor": lambda lib: lib.tensor(X[0]),
}


@pytest.mark.parametrize("kind", CONVERT)
def test_default_convert_as_torch(kind):
    ours, theirs = both(CONVERT[kind])
    assert_same(data.default_convert(ours), tdata.default_convert(theirs), kind)


# ------------------------------------------------------------------ datasets
def test_dataset_base_class():
    for lib in (tdata, data):
        with pytest.raises(NotImplementedError):
            lib.Dataset()[0]

        class NoIter(lib.IterableDataset):
            pass

        with pytest.raises(TypeError):  # __iter__ is abstract
            NoIter()


def test_tensor_dataset_as_torch():
    ours, theirs = both(tensor_dataset)
    assert len(ours) == len(theirs) == 10
    for i in (0, 3, -1):
        assert_same(ours[i], theirs[i], f"sample {i}")
    assert_same(ours[[1, 4]], theirs[[1, 4]], "fancy index")


def test_tensor_dataset_size_mismatch_names_sizes():
    with pytest.raises(AssertionError, match="Size mismatch"):
        tdata.TensorDataset(torch.zeros(4), torch.zeros(3))
    for caught in (AssertionError, ValueError):
        with pytest.raises(caught, match=r"Size mismatch between tensors.*\[4, 3\]"):
            data.TensorDataset(cr.zeros(4), cr.zeros(3))
    with pytest.raises(ValueError, match="at least one tensor"):
        data.TensorDataset()


def test_concat_dataset_as_torch():
    parts = [list(range(3)), list(range(10, 12)), list(range(20, 24))]
    ours, theirs = data.ConcatDataset(parts), tdata.ConcatDataset(parts)
    assert len(ours) == len(theirs) == 9 and ours.cumulative_sizes == theirs.cumulative_sizes
    for i in range(-9, 9):
        assert ours[i] == theirs[i], i
    for concat in (theirs, ours):
        with pytest.raises(IndexError):
            concat[9]
        with pytest.raises(ValueError, match="absolute value of index"):
            concat[-10]


def test_concat_dataset_by_addition_and_errors():
    a, b = data.TensorDataset(cr.arange(3)), data.TensorDataset(cr.arange(2))
    both_ = a + b
    assert isinstance(both_, data.ConcatDataset) and [x.item() for (x,) in (both_[i] for i in range(5))] == [
        0, 1, 2, 0, 1]
    for lib in (tdata, data):
        with pytest.raises(AssertionError, match="empty"):
            lib.ConcatDataset([])

        class Stream(lib.IterableDataset):
            def __iter__(self):
                return iter([1])

        with pytest.raises(AssertionError, match="IterableDataset"):
            lib.ConcatDataset([[1], Stream()])


def _stream(lib, n=7, with_len=True):
    class Stream(lib.IterableDataset):
        def __iter__(self):
            return iter(np.arange(n, dtype=np.float32) * 2)

    if with_len:
        Stream.__len__ = lambda self: n
    return Stream()


def test_chain_dataset_as_torch():
    ours = _stream(data, 3) + _stream(data, 2)
    theirs = _stream(tdata, 3) + _stream(tdata, 2)
    assert isinstance(ours, data.ChainDataset)
    assert list(ours) == list(theirs) and len(ours) == len(theirs) == 5


def test_subset_as_torch():
    ours, theirs = both(tensor_dataset)
    ours, theirs = data.Subset(ours, [7, 2, 5]), tdata.Subset(theirs, [7, 2, 5])
    assert len(ours) == len(theirs) == 3
    assert_same(ours[1], theirs[1])
    assert_same(ours.__getitems__([0, 2]), theirs.__getitems__([0, 2]))
    for lib in (tdata, data):
        class Doubled(lib.Subset):
            def __getitem__(self, idx):
                return 2 * super().__getitem__(idx)

        with pytest.raises(NotImplementedError, match="__getitems__"):
            Doubled([1, 2], [0])


# ------------------------------------------------------------------ random_split
@pytest.mark.parametrize("n, lengths", [
    (10, [3, 7]), (10, [0.3, 0.3, 0.4]), (11, [0.3, 0.3, 0.4]), (7, [0.5, 0.5]), (10, [1 / 3] * 3),
    (5, [0.1, 0.9]), (30, [0.25, 0.25, 0.25, 0.25]), (1, [1]),
])
def test_random_split_lengths_as_torch(n, lengths):
    with warnings.catch_warnings(record=True) as theirs_warned:
        warnings.simplefilter("always")
        theirs = tdata.random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))
    with warnings.catch_warnings(record=True) as ours_warned:
        warnings.simplefilter("always")
        ours = data.random_split(range(n), lengths, generator=cr_random.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert len(ours_warned) == len(theirs_warned)  # an empty split is warned about
    assert all(isinstance(s, data.Subset) for s in ours)
    drawn = [s[i] for s in ours for i in range(len(s))]
    assert sorted(drawn) == list(range(n))  # disjoint, and covering the dataset


@pytest.mark.parametrize("lengths, match", [
    ([3, 3], "Sum of input lengths"), ([0.5, 0.6], "Sum of input lengths"), ([1.2, -0.2], "Fraction at index 0"),
])
def test_random_split_bad_lengths_as_torch(lengths, match):
    with pytest.raises(ValueError, match=match):
        tdata.random_split(range(10), lengths)
    with pytest.raises(ValueError, match=match):
        data.random_split(range(10), lengths)


def test_random_split_generator_and_global_state():
    def split(gen=None):
        return [s.indices for s in data.random_split(range(20), [0.5, 0.5], generator=gen)]

    before = cr_random.get_rng_state()
    first = split(cr_random.Generator().manual_seed(3))
    assert cr_random.get_rng_state() == before  # a generator of its own: the global one untouched
    assert first == split(cr_random.Generator().manual_seed(3))
    assert first != split(cr_random.Generator().manual_seed(4))
    cr.manual_seed(5)
    from_global = split()
    assert cr_random.get_rng_state() != np.random.default_rng(5).bit_generator.state  # it drew
    cr.manual_seed(5)
    assert split() == from_global  # the global generator, reproducible under manual_seed


# ------------------------------------------------------------------ samplers
def test_sequential_and_batch_samplers_as_torch():
    for drop_last in (False, True):
        ours = data.BatchSampler(data.SequentialSampler(range(10)), 3, drop_last)
        theirs = tdata.BatchSampler(tdata.SequentialSampler(range(10)), 3, drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
    assert list(data.SequentialSampler(range(4))) == [0, 1, 2, 3]
    for bad in (0, -2, True, 2.0):
        for lib in (tdata, data):
            with pytest.raises(ValueError, match="batch_size"):
                lib.BatchSampler(range(4), bad, False)


def test_random_samplers():
    gen = cr_random.Generator().manual_seed(0)
    assert sorted(data.RandomSampler(range(9), generator=gen)) == list(range(9))
    more = list(data.RandomSampler(range(4), num_samples=10, generator=gen))
    assert len(more) == 10 and sorted(more[:8]) == [0, 0, 1, 1, 2, 2, 3, 3]  # whole permutations first
    drawn = list(data.RandomSampler(range(3), replacement=True, num_samples=50, generator=gen))
    assert len(drawn) == 50 and set(drawn) == {0, 1, 2}
    assert len(data.RandomSampler(range(4), num_samples=10)) == len(tdata.RandomSampler(range(4), num_samples=10))
    for lib in (tdata, data):
        with pytest.raises(ValueError, match="num_samples"):
            lib.RandomSampler(range(3), num_samples=0)
        with pytest.raises(TypeError, match="replacement"):
            lib.RandomSampler(range(3), replacement=1)
    assert sorted(data.SubsetRandomSampler([5, 7, 9], generator=gen)) == [5, 7, 9]
    weighted = list(data.WeightedRandomSampler([0.0, 1.0, 2.0], 20, generator=gen))
    assert len(weighted) == 20 and 0 not in weighted
    assert sorted(data.WeightedRandomSampler([1, 1, 1, 1], 4, replacement=False, generator=gen)) == [0, 1, 2, 3]


# ------------------------------------------------------------------ DataLoader, deterministic
@pytest.mark.parametrize("batch_size", [1, 3, 4, 10, 11])
@pytest.mark.parametrize("drop_last", [False, True])
def test_loader_batches_and_len_as_torch(batch_size, drop_last):
    ours, theirs = both(tensor_dataset)
    ours = data.DataLoader(ours, batch_size=batch_size, drop_last=drop_last)
    theirs = tdata.DataLoader(theirs, batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    epochs_same(ours, theirs)
    epochs_same(ours, theirs)  # a second epoch, the same in order


def _user_dataset(lib):
    """A map-style dataset as course code writes one: (image tensor, int label) samples."""
    class Digits(lib.Dataset):
        def __len__(self):
            return 10

        def __getitem__(self, i):
            return (cr.tensor(X[i]) if lib is data else torch.tensor(X[i])), int(Y[i])

    return Digits()


def test_user_dataset_gives_float32_images_and_int64_labels():
    ours = data.DataLoader(_user_dataset(data), batch_size=4)
    epochs_same(ours, tdata.DataLoader(_user_dataset(tdata), batch_size=4))
    images, labels = next(iter(ours))
    assert isinstance(images, cr.Tensor) and images.dtype == cr.float32 and images.shape == (4, 2, 3)
    assert labels.dtype == cr.int64 and labels.tolist() == Y[:4].tolist()


@pytest.mark.parametrize("kind", ["dicts", "namedtuples", "nested", "strings", "float64 arrays"])
def test_loader_over_a_list_collates_as_torch(kind):
    ours, theirs = both(lambda lib: SAMPLES[kind](lib) * 3)
    epochs_same(data.DataLoader(ours, batch_size=2), tdata.DataLoader(theirs, batch_size=2))


def test_loader_without_batching_as_torch():
    ours, theirs = both(tensor_dataset)
    ours, theirs = data.DataLoader(ours, batch_size=None), tdata.DataLoader(theirs, batch_size=None)
    assert len(ours) == len(theirs) == 10
    epochs_same(ours, theirs)
    arrays = [np.arange(3.0) + i for i in range(4)]
    epochs_same(data.DataLoader(arrays, batch_size=None), tdata.DataLoader(arrays, batch_size=None))


def test_loader_with_samplers_and_collate_fn_as_torch():
    ours, theirs = both(tensor_dataset)
    for kwargs in ({"sampler": [3, 1, 8], "batch_size": 2}, {"batch_sampler": [[0, 1], [9], [4, 2, 7]]},
                   {"sampler": data.SequentialSampler(range(5)), "batch_size": None}):
        torch_kwargs = dict(kwargs)
        if isinstance(kwargs.get("sampler"), data.SequentialSampler):
            torch_kwargs["sampler"] = tdata.SequentialSampler(range(5))
        loader = data.DataLoader(ours, **kwargs)
        tloader = tdata.DataLoader(theirs, **torch_kwargs)
        assert len(loader) == len(tloader)
        epochs_same(loader, tloader)

    def count(batch):
        return len(batch)

    assert list(data.DataLoader(ours, batch_size=4, collate_fn=count)) == [4, 4, 2]


@pytest.mark.parametrize("batch_size, drop_last", [(3, False), (3, True), (7, False), (None, False), (1, False)])
def test_loader_over_iterable_dataset_as_torch(batch_size, drop_last):
    ours = data.DataLoader(_stream(data), batch_size=batch_size, drop_last=drop_last)
    theirs = tdata.DataLoader(_stream(tdata), batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    epochs_same(ours, theirs)


def test_loader_over_iterable_dataset_without_len():
    ours = data.DataLoader(_stream(data, with_len=False), batch_size=3)
    assert [b.tolist() for b in ours] == [[0, 2, 4], [6, 8, 10], [12]]
    for loader in (ours, tdata.DataLoader(_stream(tdata, with_len=False), batch_size=3)):
        with pytest.raises(TypeError):
            len(loader)


def test_loader_workers_run_in_process():
    ours, theirs = both(tensor_dataset)
    called = []
    loader = data.DataLoader(ours, batch_size=4, num_workers=2, prefetch_factor=3, persistent_workers=True,
                             pin_memory=True, worker_init_fn=called.append, timeout=5)
    epochs_same(loader, tdata.DataLoader(theirs, batch_size=4))
    assert called == [] and data.get_worker_info() is None


# ------------------------------------------------------------------ DataLoader, shuffling
def _order(loader):
    return [int(i) for (xb,) in loader for i in xb.tolist()]


def _shuffled(generator=None, n=50):
    return data.DataLoader(data.TensorDataset(cr.arange(n)), batch_size=8, shuffle=True, generator=generator)


def test_shuffle_covers_every_index_once_and_changes_each_epoch():
    loader = _shuffled(cr_random.Generator().manual_seed(1))
    epochs = [_order(loader) for _ in range(3)]
    for order in epochs:
        assert sorted(order) == list(range(50))
    assert epochs[0] != epochs[1] != epochs[2]
    assert epochs[0] != list(range(50))


def test_shuffle_is_reproducible_with_a_generator_and_leaves_the_global_alone():
    before = cr_random.get_rng_state()
    a = _shuffled(cr_random.Generator().manual_seed(7))
    b = _shuffled(cr_random.Generator().manual_seed(7))
    assert [_order(a) for _ in range(2)] == [_order(b) for _ in range(2)]
    assert _order(_shuffled(cr_random.Generator().manual_seed(8))) != _order(_shuffled(
        cr_random.Generator().manual_seed(7)))
    assert cr_random.get_rng_state() == before


def test_shuffle_without_a_generator_draws_from_the_global_one():
    cr.manual_seed(11)
    first = _order(_shuffled())
    assert cr_random.get_rng_state() != np.random.default_rng(11).bit_generator.state  # it drew
    cr.manual_seed(11)
    assert _order(_shuffled()) == first


# ------------------------------------------------------------------ DataLoader, bad input
@pytest.mark.parametrize("kwargs, names", [
    ({"batch_size": 0}, "batch_size"),
    ({"batch_size": -3}, "batch_size"),
    ({"shuffle": True, "sampler": [0, 1]}, "sampler"),
    ({"batch_sampler": [[0]], "batch_size": 4}, "batch_sampler"),
    ({"batch_sampler": [[0]], "shuffle": True}, "batch_sampler"),
    ({"batch_size": None, "drop_last": True}, "drop_last"),
    ({"num_workers": -1}, "num_workers"),
    ({"timeout": -1}, "timeout"),
    ({"prefetch_factor": 2}, "prefetch_factor"),
    ({"persistent_workers": True}, "persistent_workers"),
    ({"multiprocessing_context": "spawn"}, "multiprocessing_context"),
])
def test_loader_bad_arguments_as_torch(kwargs, names):
    ours, theirs = both(tensor_dataset)
    with pytest.raises(ValueError, match=names):
        tdata.DataLoader(theirs, **kwargs)
    with pytest.raises(ValueError, match=names):
        data.DataLoader(ours, **kwargs)


@pytest.mark.parametrize("kwargs, names", [
    ({"shuffle": True}, "shuffle"), ({"sampler": [0]}, "sampler"), ({"batch_sampler": [[0]]}, "batch_sampler"),
])
def test_loader_iterable_dataset_refuses_orderings_as_torch(kwargs, names):
    for lib in (tdata, data):
        with pytest.raises(ValueError, match=f"IterableDataset.*{names}"):
            lib.DataLoader(_stream(lib), **kwargs)


def test_loader_options_cannot_change_after_construction():
    for lib, dataset in zip((data, tdata), both(tensor_dataset)):
        loader = lib.DataLoader(dataset, batch_size=2)
        with pytest.raises(ValueError, match="batch_size attribute should not be set"):
            loader.batch_size = 4
        loader.num_workers = 0  # not used to build the samplers: allowed
