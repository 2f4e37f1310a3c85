"""Turning samples into batches, as ``torch.utils.data._utils.collate`` does.

:func:`default_collate` stacks a list of samples along a new first dimension, recursing
through their structure: tensors are stacked, NumPy arrays become tensors and are stacked,
Python ints become an int64 tensor (bools a bool tensor), floats a float64 tensor, strings
stay a list; a dict of fields gives a dict of batches, a namedtuple a namedtuple of them, a
tuple or list a *list* of them (PyTorch's choice: ``(x, y)`` samples give ``[xb, yb]``).
:func:`default_convert` does the conversions without batching (``batch_size=None``).
"""

from __future__ import annotations

import collections.abc
import copy
import re
from collections.abc import Callable

import numpy as np

from ...errors import ShapeError
from ...ops.shape import stack
from ...tensor import Tensor, tensor

_STRING_OR_OBJECT = re.compile(r"[SaUO]")  # array dtypes that cannot become a tensor

_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def default_convert(data):
    """``data`` with every NumPy array and scalar made a tensor (sharing memory), recursing
    into mappings and sequences; tuples become lists, anything else is left alone."""
    if isinstance(data, Tensor):
        return data
    if type(data).__module__ == "numpy" and not isinstance(data, np.str_):
        if isinstance(data, np.ndarray) and _STRING_OR_OBJECT.search(data.dtype.str):
            return data
        return Tensor._wrap(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a namedtuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def collate(batch, *, collate_fn_map: dict[type | tuple[type, ...], Callable] | None = None):
    """Collate ``batch`` (a list of samples) by the type of its first sample: a type in
    ``collate_fn_map`` (exactly, else by ``isinstance`` in the map's order) has its function
    called as ``fn(batch, collate_fn_map=...)``; containers are collated field by field."""
    elem = batch[0]
    if collate_fn_map is not None:
        if type(elem) in collate_fn_map:
            return collate_fn_map[type(elem)](batch, collate_fn_map=collate_fn_map)
        for kind, fn in collate_fn_map.items():
            if isinstance(elem, kind):
                return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        fields = {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem}
        return _rebuild_mapping(elem, fields)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple
        return type(elem)(*(collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        sizes = [len(sample) for sample in batch]
        if len(set(sizes)) > 1:
            raise ShapeError(f"each element in list of batch should be of equal size, got sizes {sizes}")
        # zip gives each field's samples as a tuple, which is what a str field's batch then is
        fields = [collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)]
        return fields if isinstance(elem, tuple) else _rebuild_sequence(elem, fields)
    raise TypeError(_ERROR.format(type(elem)))


def _rebuild_mapping(like, fields: dict):
    """``fields`` in a mapping of ``like``'s type where that can be made, else a dict."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            clone = copy.copy(like)  # keeps the type and any other attributes of a dict subclass
            clone.update(fields)
            return clone
        return type(like)(fields)
    except TypeError:
        return fields


def _rebuild_sequence(like, items: list):
    """``items`` in a sequence of ``like``'s type where that can be made, else a list."""
    try:
        if isinstance(like, collections.abc.MutableSequence):
            clone = copy.copy(like)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(like)(items)
    except TypeError:
        return items


def collate_tensor_fn(batch, *, collate_fn_map=None) -> Tensor:
    return stack(batch, 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None) -> Tensor:
    if _STRING_OR_OBJECT.search(batch[0].dtype.str):
        raise TypeError(_ERROR.format(batch[0].dtype))
    return collate([Tensor._wrap(np.asarray(b)) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None) -> Tensor:
    return Tensor._wrap(np.array(batch))  # the scalars' own dtype, as torch.as_tensor keeps it


def collate_float_fn(batch, *, collate_fn_map=None) -> Tensor:
    return tensor(batch, dtype=np.float64)  # float64, not the default float32: as PyTorch


def collate_int_fn(batch, *, collate_fn_map=None) -> Tensor:
    return tensor(batch)  # int64, or bool for bools


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map: dict[type | tuple[type, ...], Callable] = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """A list of samples as one batch (see the module docstring for the rules)."""
    return collate(batch, collate_fn_map=default_collate_fn_map)
