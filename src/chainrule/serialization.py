"""Weights and whole models as files — plain arrays and JSON, never pickle.

* :func:`save` / :func:`load`: a ``state_dict`` as an ``.npz`` of named arrays (or any nesting of
  tensors, numbers, lists and dicts, as ``torch.save``); :func:`load` reads PyTorch's ``.pt`` too.
* :func:`save_model` / :func:`load_model`: a trained model, architecture and weights, in one
  ``.npz`` whose entry ``__chainrule_model__`` holds the architecture as UTF-8 JSON (each
  layer's type and constructor arguments, or a named architecture of :mod:`chainrule.models`
  with its input shape and number of classes). :func:`model_info` reads that description.
* :func:`atomic_write_bytes`, :func:`npz_bytes`, :func:`read_npz` and :func:`read_json`: the
  building blocks the training checkpoints use.

Every file is written atomically (a temporary file in the same folder, flushed to disk, then
renamed over the target with :func:`os.replace`), so a crash leaves either the old file or the
new one, never half of one. Every read uses ``np.load(..., allow_pickle=False)``; a missing,
truncated or corrupt file is refused with a :class:`CheckpointError` naming it.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

from ._files import atomic_write_bytes

from . import nn
from .tensor import Tensor
from .torch_files import TorchFileError, is_torch_file, read_torch_file

__all__ = [
    "CheckpointError", "UnsupportedLayerError", "save", "load", "save_model", "load_model", "model_info",
    "describe_model", "build_model", "atomic_write_bytes", "npz_bytes", "read_npz", "read_json",
    "MODEL_KEY", "MODEL_FORMAT", "OBJECT_KEY",
]

MODEL_KEY = "__chainrule_model__"
"""The ``.npz`` entry of a :func:`save_model` file that holds the architecture (UTF-8 JSON bytes)."""
MODEL_FORMAT = "chainrule.model"
MODEL_VERSION = 1


class CheckpointError(ValueError):
    """A weights, model or checkpoint file is missing, truncated, corrupt or not what it should
    be. The message starts with the file's path."""


class UnsupportedLayerError(ValueError):
    """A model holds a layer whose architecture cannot be written down (only the built-in layers
    of :mod:`chainrule.nn` inside ``nn.Sequential`` can, or a named architecture)."""


# ----------------------------------------------------------------- file primitives
def npz_bytes(arrays: dict) -> bytes:
    """The bytes of an uncompressed ``.npz`` of ``arrays`` (names → arrays or tensors)."""
    arrays = {name: _as_array(value) for name, value in arrays.items()}
    for name, array in arrays.items():
        if array.dtype.hasobject:
            raise TypeError(f"{name}: an array of Python objects cannot be saved without pickle")
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def read_npz(path, data: bytes | None = None) -> "OrderedDict[str, np.ndarray]":
    """Every array of the ``.npz`` at ``path`` (or in ``data``, its bytes already read), read in
    full without pickle; anything unreadable raises :class:`CheckpointError` naming ``path``."""
    path = Path(path)
    if data is None:
        if not path.is_file():
            raise CheckpointError(f"{path}: no such file")
        data = path.read_bytes()
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            return OrderedDict((name, archive[name]) for name in archive.files)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        raise CheckpointError(f"{path}: not a readable .npz file ({exc})") from None


def read_json(path) -> dict:
    """The JSON object in ``path``; a missing, truncated or malformed file raises
    :class:`CheckpointError` naming it."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such file")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(data, dict):
        raise CheckpointError(f"{path}: expected a JSON object, found {type(data).__name__}")
    return data


def _as_array(value) -> np.ndarray:
    return np.asarray(value._data if isinstance(value, Tensor) else value)


# ----------------------------------------------------------------- state_dicts and objects
OBJECT_KEY = "__chainrule_object__"
"""The ``.npz`` entry of a :func:`save` file of anything but a flat state_dict: the object's
structure as UTF-8 JSON, in which ``{"tensor": "t3"}`` names the array entry ``t3``."""


def _is_state_dict(obj) -> bool:
    return isinstance(obj, dict) and all(isinstance(k, str) and k not in (MODEL_KEY, OBJECT_KEY) and
                                         isinstance(v, (Tensor, np.ndarray)) for k, v in obj.items())


def _encode(obj, arrays: dict, where: str):
    """``obj`` as JSON-able structure, its tensors and arrays moved into ``arrays``."""
    if isinstance(obj, (Tensor, np.ndarray)):
        name = f"t{len(arrays)}"
        arrays[name] = obj
        return {"tensor" if isinstance(obj, Tensor) else "array": name}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"value": obj}
    if isinstance(obj, np.generic):
        return {"value": obj.item()}
    if isinstance(obj, dict):
        return {"dict": [[_encode(k, arrays, where), _encode(v, arrays, f"{where}[{k!r}]")] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return {type(obj).__name__ if type(obj) in (list, tuple) else "list":
                [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]}
    raise TypeError(f"save: {where} is a {type(obj).__name__}; only tensors, arrays, numbers, strings, None, "
                    f"lists, tuples and dicts are saved (no pickle)")


def _decode(node, arrays: dict):
    (kind, value), = node.items()
    if kind == "value":
        return value
    if kind in ("tensor", "array"):
        return Tensor(arrays[value]) if kind == "tensor" else arrays[value]
    if kind == "dict":
        return OrderedDict((_decode(k, arrays), _decode(v, arrays)) for k, v in value)
    items = [_decode(v, arrays) for v in value]
    return tuple(items) if kind == "tuple" else items


def save(obj, f) -> Path | None:
    """Write ``obj`` to the path (atomically) or the binary file object ``f``, as ``torch.save``.

    ``obj`` is a state_dict (names → tensors or arrays: an ``.npz`` of named arrays that NumPy
    reads too), or any nesting of tensors, arrays, numbers, strings, None, lists, tuples and
    dicts (an optimiser's state_dict, a checkpoint dict): the arrays, and the structure as JSON
    in the entry ``__chainrule_object__``. Never pickle."""
    if _is_state_dict(obj):
        data = npz_bytes(obj)
    else:
        arrays: dict = {}
        structure = json.dumps(_encode(obj, arrays, "the object"))
        arrays[OBJECT_KEY] = np.frombuffer(structure.encode("utf-8"), dtype=np.uint8)
        data = npz_bytes(arrays)
    if hasattr(f, "write"):
        f.write(data)
        return None
    path = Path(f)
    atomic_write_bytes(path, data)
    return path


def load(f, map_location=None, weights_only=None, **_):
    """Read what :func:`save` wrote, a ``.npz`` of arrays, or a file of ``torch.save``
    (``.pt``, ``.pth``: read without unpickling any code, see :mod:`chainrule.torch_files`),
    from a path or a binary file object. A state_dict comes back as an ordered dict of tensors.
    ``map_location`` and ``weights_only`` are accepted for PyTorch's signature: everything
    loads on the CPU, and only data is ever read."""
    if hasattr(f, "read"):
        path, data = getattr(f, "name", "<file object>"), f.read()
    else:
        path = Path(f)
        if not path.is_file():
            raise CheckpointError(f"{path}: no such file")
        data = path.read_bytes()
    if is_torch_file(data):
        try:
            return _tensors(read_torch_file(data, str(path)))
        except TorchFileError as exc:
            raise CheckpointError(str(exc)) from None
        except RecursionError:
            raise CheckpointError(f"{path}: its objects nest too deeply to be read") from None
    arrays = read_npz(path, data)
    if OBJECT_KEY in arrays:
        try:
            return _decode(json.loads(arrays.pop(OBJECT_KEY).tobytes().decode("utf-8")), arrays)
        except (UnicodeDecodeError, ValueError, KeyError, AttributeError) as exc:
            raise CheckpointError(f"{path}: a damaged object structure ({type(exc).__name__}: {exc})") from None
    return OrderedDict((name, Tensor(value)) for name, value in arrays.items() if name != MODEL_KEY)


def _tensors(obj, done=None):
    """A loaded PyTorch object with its arrays as tensors. An object met twice (a pickle may
    share one, or hold a list inside itself) is converted once and shared again."""
    done = {} if done is None else done
    if id(obj) in done:
        return done[id(obj)]
    if isinstance(obj, np.ndarray):
        result = Tensor(obj)
    elif isinstance(obj, dict):
        result = done[id(obj)] = type(obj)()
        result.update((k, _tensors(v, done)) for k, v in obj.items())
    elif isinstance(obj, list):
        result = done[id(obj)] = []
        result.extend(_tensors(v, done) for v in obj)
    elif isinstance(obj, tuple):
        result = tuple(_tensors(v, done) for v in obj)
    else:
        return obj
    done[id(obj)] = result
    return result


# ----------------------------------------------------------------- architectures
def _dtype_of(module) -> str:
    weight = getattr(module, "weight", None)
    return str(weight.dtype) if weight is not None else "float32"


def _bn_args(m) -> dict:
    dtype = _dtype_of(m) if m.affine else (str(m.running_mean.dtype) if m.running_mean is not None else "float32")
    return {"num_features": m.num_features, "eps": m.eps, "momentum": m.momentum, "affine": m.affine,
            "track_running_stats": m.track_running_stats, "dtype": dtype}


def _jsonable_size(value):
    return list(value) if isinstance(value, tuple) else value


# type → (class, function giving the constructor's keyword arguments)
_LAYERS = {
    "Linear": (nn.Linear, lambda m: {"in_features": m.in_features, "out_features": m.out_features,
                                     "bias": m.bias is not None, "dtype": _dtype_of(m)}),
    "Conv2d": (nn.Conv2d, lambda m: {"in_channels": m.in_channels, "out_channels": m.out_channels,
                                     "kernel_size": list(m.kernel_size), "stride": list(m.stride),
                                     "padding": list(m.padding), "bias": m.bias is not None,
                                     "dtype": _dtype_of(m)}),
    "MaxPool2d": (nn.MaxPool2d, lambda m: {"kernel_size": _jsonable_size(m.kernel_size),
                                           "stride": _jsonable_size(m.stride), "padding": _jsonable_size(m.padding)}),
    "AvgPool2d": (nn.AvgPool2d, lambda m: {"kernel_size": _jsonable_size(m.kernel_size),
                                           "stride": _jsonable_size(m.stride), "padding": _jsonable_size(m.padding)}),
    "BatchNorm1d": (nn.BatchNorm1d, _bn_args),
    "BatchNorm2d": (nn.BatchNorm2d, _bn_args),
    "Dropout": (nn.Dropout, lambda m: {"p": m.p}),
    "Flatten": (nn.Flatten, lambda m: {"start_dim": m.start_dim, "end_dim": m.end_dim}),
    "Identity": (nn.Identity, lambda m: {}),
    "ReLU": (nn.ReLU, lambda m: {}),
    "Sigmoid": (nn.Sigmoid, lambda m: {}),
    "Tanh": (nn.Tanh, lambda m: {}),
    "Step": (nn.Step, lambda m: {}),
    "LeakyReLU": (nn.LeakyReLU, lambda m: {"negative_slope": m.negative_slope}),
    "ELU": (nn.ELU, lambda m: {"alpha": m.alpha}),
    "Softmax": (nn.Softmax, lambda m: {"dim": m.dim}),
    "LogSoftmax": (nn.LogSoftmax, lambda m: {"dim": m.dim}),
}
_TUPLE_ARGS = {"kernel_size", "stride", "padding"}


def _describe_layer(module, path: str) -> dict:
    kind = type(module).__name__
    if type(module) is nn.Sequential:
        return {"type": "Sequential",
                "layers": [dict(name=name, **_describe_layer(child, f"{path}.{name}" if path else name))
                           for name, child in module._modules.items() if child is not None]}
    entry = _LAYERS.get(kind)
    if entry is None or type(module) is not entry[0]:
        where = f"layer {path} ({kind})" if path else f"the model ({kind})"
        raise UnsupportedLayerError(
            f"cannot describe {where}: only nn.Sequential models of the built-in layers "
            f"({', '.join(sorted(_LAYERS))}) or a named architecture (save_model(..., name=...)) can be saved")
    return {"type": kind, "args": entry[1](module)}


def describe_model(model, *, name: str | None = None, input_shape=None, classes: int | None = None,
                   metadata: dict | None = None) -> dict:
    """The JSON description :func:`save_model` stores: the layers of an ``nn.Sequential`` of
    built-in layers (when the model is one), and the named architecture (``name``, with
    ``input_shape`` and ``classes``) when given. Raises :class:`UnsupportedLayerError` when
    neither describes the model."""
    description = {"format": MODEL_FORMAT, "version": MODEL_VERSION}
    if name is not None:
        from . import models

        if name not in models.names():
            raise ValueError(f"unknown architecture {name!r}; choose one of: {', '.join(models.names())}")
        description["name"] = name
    if input_shape is not None:
        description["input_shape"] = [int(s) for s in input_shape]
    if classes is not None:
        description["classes"] = int(classes)
    try:
        description["architecture"] = _describe_layer(model, "")
    except UnsupportedLayerError:
        if name is None:
            raise
    if metadata is not None:
        json.dumps(metadata)  # fail now, not on load
        description["metadata"] = metadata
    return description


def _build_layer(spec, where: str, source: str):
    if not isinstance(spec, dict) or "type" not in spec:
        raise CheckpointError(f"{source}: {where}: expected an object with a 'type', found {spec!r}")
    kind = spec["type"]
    if kind == "Sequential":
        layers = spec.get("layers")
        if not isinstance(layers, list):
            raise CheckpointError(f"{source}: {where} (Sequential): 'layers' must be a list")
        children = OrderedDict()
        for index, child in enumerate(layers):
            child_name = str(child.get("name", index)) if isinstance(child, dict) else str(index)
            children[child_name] = _build_layer(child, f"{where}.{child_name}" if where != "model" else
                                                f"layer {child_name}", source)
        return nn.Sequential(children)
    if kind not in _LAYERS:
        raise CheckpointError(f"{source}: {where}: unknown layer type {kind!r}; "
                              f"known: Sequential, {', '.join(sorted(_LAYERS))}")
    args = spec.get("args", {})
    if not isinstance(args, dict):
        raise CheckpointError(f"{source}: {where} ({kind}): 'args' must be an object")
    args = {k: tuple(v) if k in _TUPLE_ARGS and isinstance(v, list) else v for k, v in args.items()}
    try:
        return _LAYERS[kind][0](**args)
    except (TypeError, ValueError, NotImplementedError) as exc:
        raise CheckpointError(f"{source}: {where} ({kind}): cannot build it from {args}: {exc}") from None


def build_model(description: dict, source: str = "model description") -> nn.Module:
    """A fresh (untrained) model from a :func:`describe_model` description."""
    if description.get("format") != MODEL_FORMAT:
        raise CheckpointError(f"{source}: not a chainrule model description (format {description.get('format')!r})")
    if description.get("version") != MODEL_VERSION:
        raise CheckpointError(f"{source}: model format version {description.get('version')!r}, "
                              f"this chainrule reads version {MODEL_VERSION}")
    if "architecture" in description:
        return _build_layer(description["architecture"], "model", source)
    if "name" in description:
        from . import models

        try:
            return models.build(description["name"], tuple(description.get("input_shape", (1, 28, 28))),
                                int(description.get("classes", 10)))
        except ValueError as exc:
            raise CheckpointError(f"{source}: {exc}") from None
    raise CheckpointError(f"{source}: the description has neither 'architecture' nor 'name'")


def save_model(model, path, *, name: str | None = None, input_shape=None, classes: int | None = None,
               metadata: dict | None = None) -> Path:
    """Write ``model`` — architecture and weights — to one ``.npz`` file, atomically.

    The architecture is recorded layer by layer for any ``nn.Sequential`` (nested ones too) of
    the built-in layers: Linear, Conv2d, MaxPool2d, AvgPool2d, BatchNorm1d/2d, Dropout, Flatten,
    Identity and the activations, with their constructor arguments and dtype. A model of
    :mod:`chainrule.models` can also be recorded by ``name`` (with ``input_shape`` [C, H, W] and
    ``classes``), which is required for models that are not such a Sequential. ``metadata``
    (JSON-serialisable: class names, normalisation, …) is stored alongside and returned by
    :func:`model_info`. Unknown layer types raise :class:`UnsupportedLayerError`.
    """
    description = describe_model(model, name=name, input_shape=input_shape, classes=classes, metadata=metadata)
    arrays = OrderedDict((key, value._data) for key, value in model.state_dict().items())
    if MODEL_KEY in arrays:
        raise ValueError(f"the model has a parameter named {MODEL_KEY!r}")
    arrays[MODEL_KEY] = np.frombuffer(json.dumps(description).encode("utf-8"), dtype=np.uint8)
    path = Path(path)
    atomic_write_bytes(path, npz_bytes(arrays))
    return path


def _read_model_file(path):
    arrays = read_npz(path)
    if MODEL_KEY not in arrays:
        raise CheckpointError(f"{path}: holds weights only, no architecture (it was not written by save_model; "
                              f"build the model and use load() / load_state_dict instead)")
    raw = arrays.pop(MODEL_KEY)
    try:
        description = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: the architecture description is corrupt ({exc})") from None
    if not isinstance(description, dict):
        raise CheckpointError(f"{path}: the architecture description is not a JSON object")
    return description, arrays


def model_info(path) -> dict:
    """The description stored by :func:`save_model` (``architecture``, ``name``,
    ``input_shape``, ``classes``, ``metadata`` where given)."""
    return _read_model_file(Path(path))[0]


def load_model(path) -> nn.Module:
    """Rebuild the model saved by :func:`save_model` and load its weights. The model is
    returned in training mode, as a freshly built one; call ``.eval()`` to predict."""
    path = Path(path)
    description, arrays = _read_model_file(path)
    model = build_model(description, str(path))
    try:
        model.load_state_dict(arrays)
    except ValueError as exc:
        raise CheckpointError(f"{path}: the weights do not fit the architecture: {exc}") from None
    return model
