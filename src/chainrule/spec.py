"""Models written as TOML files of layers: the architecture as data, not code.

A spec names its layers in order, with the layer classes of :mod:`chainrule.nn` and their
PyTorch keyword arguments::

    name = "my-cnn"            # optional; default: the file name
    input = [1, 28, 28]        # one sample's shape, without the batch dimension

    [[layers]]
    type = "Conv2d"
    out_channels = 20
    kernel_size = 5
    init = { weight = "normal:0.1", bias = "constant:0.1" }   # optional

    [[layers]]
    type = "ReLU"

    [[layers]]
    type = "MaxPool2d"
    kernel_size = 2

    [[layers]]
    type = "Flatten"

    [[layers]]
    type = "Linear"
    out_features = 10

Rules:

* ``in_channels`` (Conv2d), ``in_features`` (Linear) and ``num_features`` (BatchNorm) are
  inferred from the shape that reaches the layer; given explicitly, they are checked against it.
  A Linear layer after a multi-dimensional output asks for a ``Flatten`` first.
* Every field is checked against the layer's signature: unknown names and wrong types are
  refused. ``kernel_size``, ``stride``, ``padding`` and ``dilation`` take an integer or a pair.
* ``init`` maps a parameter of the layer (``weight``, ``bias``) to an initialisation, applied
  after the layer's default one: ``"zeros"``, ``"ones"``, ``"constant:V"`` (or just a number),
  ``"normal:STD"``, ``"normal:MEAN:STD"``, ``"uniform:BOUND"`` (±BOUND), ``"uniform:A:B"``,
  ``"xavier_uniform[:GAIN]"``, ``"xavier_normal[:GAIN]"``, ``"kaiming_uniform[:NONLINEARITY]"``,
  ``"kaiming_normal[:NONLINEARITY]"``, ``"default"``. All draws use chainrule's global generator,
  so ``chainrule.manual_seed`` makes a spec's weights reproducible, and a spec equal to a named
  architecture builds exactly its weights.
* Every layer is run once on zeros while the model is built, so an impossible shape (say a
  kernel larger than its input) is reported at the layer where it happens.

Every mistake raises :class:`SpecError`, one line of the form
``FILE:LINE: layers[INDEX] (TYPE): what is wrong`` (layers count from 0, as in the model's
summary and its state_dict keys; the line is that of the layer's ``[[layers]]`` header or of the
offending field, when the file uses ``[[layers]]`` tables).
"""

from __future__ import annotations

import difflib
import inspect
import re
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import nn
from .autograd import no_grad
from .tensor import Tensor

__all__ = ["SpecError", "ModelSpec", "layer_types", "load_spec", "build_from_spec"]

TOP_LEVEL_FIELDS = ("name", "description", "input", "layers")
PAIR_FIELDS = frozenset({"kernel_size", "stride", "padding", "dilation"})
"""Fields that take an integer or a pair of integers, as in PyTorch."""
POSITIVE_FIELDS = frozenset({"in_channels", "out_channels", "in_features", "out_features",
                             "num_features", "kernel_size", "stride", "dilation", "groups"})
NON_NEGATIVE_FIELDS = frozenset({"padding"})
INFERRED_FIELDS = ("in_channels", "in_features", "num_features")
DTYPES = ("float32", "float64")


class SpecError(ValueError):
    """A model spec is invalid; the message is one line naming the file, layer and line."""


def _is_layer(obj) -> bool:
    if not (isinstance(obj, type) and issubclass(obj, nn.Module)):
        return False
    # Containers, losses and the base class are not layers of a spec, nor are the recurrent
    # layers (their output is a tuple, which the next layer of a stack cannot take).
    return obj.__module__.rsplit(".", 1)[-1] not in ("container", "loss", "module", "rnn")


def layer_types() -> dict[str, type]:
    """Every layer class a spec may name (the built-in layers of :mod:`chainrule.nn`)."""
    return {name: getattr(nn, name) for name in sorted(nn.__all__) if _is_layer(getattr(nn, name, None))}


# ----------------------------------------------------------------- reading
@dataclass
class ModelSpec:
    """A parsed spec: ``layers`` are the raw TOML tables; ``source`` names it in messages."""

    name: str
    layers: list
    input: tuple | None = None
    description: str = ""
    source: str = "<spec>"
    text: str | None = field(default=None, repr=False)  # the file's text, for line numbers

    # Line numbers -------------------------------------------------------
    def _header_lines(self) -> list[int]:
        if self.text is None:
            return []
        return [number for number, line in enumerate(self.text.splitlines(), 1)
                if re.match(r"\s*\[\[\s*layers\s*\]\]", line)]

    def line_of(self, index: int | None = None, key: str | None = None, within: str | None = None) -> int | None:
        """The line of layer ``index`` (its ``[[layers]]`` header, or its field ``key``, looked
        for after the layer's ``within`` sub-table, e.g. ``init``), or of top-level field
        ``key``; None where it cannot be told."""
        if self.text is None:
            return None
        lines = self.text.splitlines()
        if index is None:
            for number, line in enumerate(lines, 1):
                if re.match(r"\s*\[", line):
                    break
                if key and re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", line):
                    return number
            return None
        headers = self._header_lines()
        if len(headers) != len(self.layers) or not 0 <= index < len(headers):
            return None  # the layers are not all written as [[layers]] tables
        start = headers[index]
        end = headers[index + 1] if index + 1 < len(headers) else len(lines) + 1
        first, fallback = start + 1, start
        if within:
            for number in range(start + 1, end):
                line = lines[number - 1]
                if re.match(rf"\s*\[\s*layers\.{re.escape(within)}\s*\]", line) or \
                        re.match(rf"\s*{re.escape(within)}\s*=", line):
                    first = fallback = number  # the key may sit on this very line (an inline table)
                    break
        if key:
            for number in range(first, end):
                if re.search(rf"(^|[{{,\s])\"?{re.escape(key)}\"?\s*=", lines[number - 1]):
                    return number
        return fallback

    def where(self, index: int | None = None, key: str | None = None, within: str | None = None) -> str:
        line = self.line_of(index, key, within)
        return f"{self.source}:{line}" if line else self.source

    def error(self, message: str, index: int | None = None, key: str | None = None,
              kind: str | None = None, within: str | None = None) -> SpecError:
        where = self.where(index, key, within)
        if index is None:
            return SpecError(f"{where}: {message}")
        layer = f"layers[{index}]" + (f" ({kind})" if kind else "")
        return SpecError(f"{where}: {layer}: {message}")


def _toml_type(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def _toml_repr(value) -> str:
    """A value as it is written in TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml_repr, value)) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_repr(v)}" for k, v in value.items()) + " }"
    return repr(value)


def _shape_text(shape) -> str:
    return "[" + ", ".join(str(int(s)) for s in shape) + "]"


def load_spec(source) -> ModelSpec:
    """Read a spec from a ``.toml`` path, a dict (as ``tomllib`` gives) or a :class:`ModelSpec`.

    Checks the top level (known fields, ``input``, a non-empty ``layers`` array of tables);
    the layers themselves are checked by :func:`build_from_spec`.
    """
    if isinstance(source, ModelSpec):
        return source
    text, name = None, "spec"
    if isinstance(source, dict):
        data, label = source, "<spec>"
    else:
        path = Path(source)
        label = str(path)
        if not path.is_file():
            raise SpecError(f"{path}: no such spec file")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SpecError(f"{path}: cannot read the spec ({exc})") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SpecError(f"{path}: not valid TOML: {exc}") from None
        name = path.stem
    spec = ModelSpec(name=name, layers=[], source=label, text=text)
    for key in data:
        if key not in TOP_LEVEL_FIELDS:
            hint = _suggest(key, TOP_LEVEL_FIELDS)
            raise spec.error(f"unknown top-level field {key!r}{hint}; "
                             f"a spec has: {', '.join(TOP_LEVEL_FIELDS)}", key=key)
    if "name" in data:
        if not isinstance(data["name"], str) or not data["name"].strip():
            raise spec.error(f"name must be a non-empty string, got {_toml_type(data['name'])}", key="name")
        spec.name = data["name"].strip()
    if "description" in data:
        if not isinstance(data["description"], str):
            raise spec.error(f"description must be a string, got {_toml_type(data['description'])}",
                             key="description")
        spec.description = data["description"]
    if "input" in data:
        shape = data["input"]
        if (not isinstance(shape, list) or not shape
                or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in shape)):
            raise spec.error(f"input must be an array of positive integers, one sample's shape such as "
                             f"[1, 28, 28], got {shape!r}", key="input")
        spec.input = tuple(shape)
    layers = data.get("layers")
    if layers is None:
        raise spec.error("no layers: add a [[layers]] table for each layer")
    if not isinstance(layers, list) or not all(isinstance(t, dict) for t in layers):
        raise spec.error("layers must be an array of tables ([[layers]] sections)", key="layers")
    if not layers:
        raise spec.error("layers is empty: add a [[layers]] table for each layer", key="layers")
    spec.layers = layers
    return spec


def _suggest(word: str, choices) -> str:
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered:
        return f" (did you mean {lowered[word.lower()]!r}?)"
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ----------------------------------------------------------- layer fields
def _parameters(cls) -> dict[str, inspect.Parameter]:
    signature = inspect.signature(cls.__init__)
    return {name: p for name, p in signature.parameters.items()
            if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


def _hints(cls) -> dict:
    try:
        return typing.get_type_hints(cls.__init__)
    except Exception:  # pragma: no cover - unresolvable annotations: fall back to defaults
        return {}


def _kind(name: str, parameter: inspect.Parameter, hints: dict) -> str:
    """``'int'``, ``'float'``, ``'bool'``, ``'str'``, ``'pair'`` or ``'dtype'``."""
    if name in PAIR_FIELDS:
        return "pair"
    if name == "dtype":
        return "dtype"
    hint = hints.get(name)
    if hint is not None:
        options = [t for t in typing.get_args(hint) if t is not type(None)] or [hint]
        for t in (bool, int, float, str):
            if t in options:
                return t.__name__
    default = parameter.default
    if default is not inspect.Parameter.empty and default is not None:
        for t in (bool, int, float, str):
            if isinstance(default, t):
                return t.__name__
    return "int"


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_value(name: str, kind: str, value):
    """The value converted for the constructor, or a message saying what is wrong."""
    got = f"got {_toml_repr(value)} ({_toml_type(value)})"
    if kind == "pair":
        ok = _is_int(value) or (isinstance(value, list) and len(value) == 2 and all(map(_is_int, value)))
        if not ok:
            return None, f"{name} must be an integer or a pair of integers, {got}"
        values = [value] if _is_int(value) else value
        value = value if _is_int(value) else tuple(value)
    elif kind == "int":
        if not _is_int(value):
            return None, f"{name} must be an integer, {got}"
        values = [value]
    elif kind == "float":
        if not (isinstance(value, (int, float)) and not isinstance(value, bool)):
            return None, f"{name} must be a number, {got}"
        return float(value), None
    elif kind == "bool":
        if not isinstance(value, bool):
            return None, f"{name} must be true or false, {got}"
        return value, None
    elif kind == "dtype":
        if value not in DTYPES:
            return None, f"{name} must be one of {', '.join(map(repr, DTYPES))}, {got}"
        return value, None
    else:  # str
        if not isinstance(value, str):
            return None, f"{name} must be a string, {got}"
        return value, None
    if name in POSITIVE_FIELDS and min(values) < 1:
        return None, f"{name} must be at least 1, got {_toml_repr(value)}"
    if name in NON_NEGATIVE_FIELDS and min(values) < 0:
        return None, f"{name} must not be negative, got {_toml_repr(value)}"
    return value, None


def _inferred(spec: ModelSpec, index: int, kind: str, name: str, shape: tuple, given) -> int:
    """The value of an inferred field for input ``shape``, checked against a given one."""
    if name == "in_channels" or (name == "num_features" and kind.endswith("2d")):
        if len(shape) != 3:
            raise spec.error(f"needs a [channels, height, width] input, but its input is {_shape_text(shape)}",
                             index, kind=kind)
        value, what = shape[0], "channel"
    elif name == "num_features":
        value, what = shape[0], "feature"
    else:  # in_features
        if len(shape) != 1 and given != shape[-1]:
            raise spec.error(f"its input is {_shape_text(shape)}; add a Flatten layer before it "
                             f"(or set in_features = {shape[-1]} to apply it to the last dimension)",
                             index, kind=kind)
        value, what = shape[-1], "feature"
    if given is not None and given != value:
        raise spec.error(f"{name} = {given}, but its input {_shape_text(shape)} has {value} {what}{'s' * (value != 1)}",
                         index, key=name, kind=kind)
    return value


# ------------------------------------------------------------------ init
def _parse_init(text) -> tuple[str, list]:
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return "constant", [float(text)]
    if not isinstance(text, str):
        raise ValueError(f"must be a string such as \"normal:0.1\" or a number, got {_toml_type(text)}")
    method, *args = text.strip().split(":")
    return method.strip().lower(), [a.strip() for a in args]


_INIT_FORMS = ("zeros", "ones", "constant:V", "normal:STD", "normal:MEAN:STD", "uniform:BOUND",
               "uniform:A:B", "xavier_uniform[:GAIN]", "xavier_normal[:GAIN]",
               "kaiming_uniform[:NONLINEARITY]", "kaiming_normal[:NONLINEARITY]", "default")


def _initializer(value):
    """A function filling a tensor as ``value`` says; raises ValueError with the reason."""
    method, args = _parse_init(value)

    def numbers(low: int, high: int) -> list[float]:
        if not low <= len(args) <= high:
            counts = str(low) if low == high else f"{low} to {high}"
            raise ValueError(f"{method!r} takes {counts} number(s) after ':', got {value!r}")
        try:
            return [float(a) for a in args]
        except ValueError:
            raise ValueError(f"{value!r}: the values after ':' must be numbers") from None

    init = nn.init
    if method in ("zeros", "ones", "default"):
        numbers(0, 0)
        return {"zeros": init.zeros_, "ones": init.ones_, "default": None}[method]
    if method == "constant":
        (v,) = numbers(1, 1)
        return lambda t: init.constant_(t, v)
    if method == "normal":
        n = numbers(1, 2)
        mean, std = (0.0, n[0]) if len(n) == 1 else n
        if std < 0:
            raise ValueError(f"{value!r}: the standard deviation must not be negative")
        return lambda t: init.normal_(t, mean, std)
    if method == "uniform":
        n = numbers(1, 2)
        a, b = (-n[0], n[0]) if len(n) == 1 else n
        if a > b:
            raise ValueError(f"{value!r}: the lower bound is above the upper one")
        return lambda t: init.uniform_(t, a, b)
    if method in ("xavier_uniform", "xavier_normal"):
        gain = numbers(0, 1)
        function = getattr(init, method + "_")
        return lambda t: function(t, gain[0] if gain else 1.0)
    if method in ("kaiming_uniform", "kaiming_normal"):
        if len(args) > 1:
            raise ValueError(f"{method!r} takes at most a nonlinearity after ':', got {value!r}")
        nonlinearity = args[0] if args else "leaky_relu"
        init.calculate_gain(nonlinearity)  # refuses an unknown name now, not at build time
        function = getattr(init, method + "_")
        return lambda t: function(t, nonlinearity=nonlinearity)
    raise ValueError(f"unknown initialisation {value!r}; use one of: {', '.join(_INIT_FORMS)}")


def _apply_init(spec: ModelSpec, index: int, kind: str, module, table) -> None:
    if not isinstance(table, dict):
        raise spec.error(f"init must be a table such as {{ weight = \"normal:0.1\", bias = \"zeros\" }}, "
                         f"got {_toml_type(table)}", index, key="init", kind=kind)
    for name, value in table.items():
        tensor = module._parameters.get(name)
        if tensor is None and name in vars(module):
            raise spec.error(f"init: this {kind} has no {name} (it is switched off)", index, key=name,
                             kind=kind, within="init")
        if tensor is None:
            own = ", ".join(k for k, v in module._parameters.items() if v is not None) or "none"
            raise spec.error(f"init: {kind} has no parameter {name!r} (its parameters: {own})",
                             index, key=name, kind=kind, within="init")
        try:
            function = _initializer(value)
            if function is not None:
                with no_grad():
                    function(tensor)
        except ValueError as exc:
            raise spec.error(f"init.{name}: {exc}", index, key=name, kind=kind, within="init") from None


# ------------------------------------------------------------------ build
def _cause(exc: Exception) -> str:
    cause = exc.cause if isinstance(exc, nn.LayerError) else exc
    return str(cause)


def _build_layer(spec: ModelSpec, index: int, table: dict, shape: tuple, types: dict):
    kind = table.get("type")
    if kind is None:
        raise spec.error(f"no type; give one of: {', '.join(types)}", index)
    if not isinstance(kind, str):
        raise spec.error(f"type must be a string, got {_toml_type(kind)}", index, key="type")
    if kind not in types:
        raise spec.error(f"unknown layer type {kind!r}{_suggest(kind, types)}; valid types: "
                         f"{', '.join(types)}", index, key="type")
    cls = types[kind]
    parameters, hints = _parameters(cls), _hints(cls)
    kwargs = {}
    for key, value in table.items():
        if key in ("type", "init"):
            continue
        if key not in parameters:
            accepted = ", ".join(parameters) or "no fields"
            raise spec.error(f"unknown field {key!r}{_suggest(key, parameters)}; {kind} takes: {accepted}",
                             index, key=key, kind=kind)
        checked, problem = _check_value(key, _kind(key, parameters[key], hints), value)
        if problem:
            raise spec.error(problem, index, key=key, kind=kind)
        kwargs[key] = checked
    for name in INFERRED_FIELDS:
        if name in parameters:
            kwargs[name] = _inferred(spec, index, kind, name, shape, kwargs.get(name))
    missing = [n for n, p in parameters.items() if p.default is inspect.Parameter.empty and n not in kwargs]
    if missing:
        raise spec.error(f"missing field(s): {', '.join(missing)}", index, kind=kind)
    try:
        module = cls(**kwargs)
    except (ValueError, TypeError, NotImplementedError) as exc:
        raise spec.error(str(exc), index, kind=kind) from None
    if "init" in table:
        _apply_init(spec, index, kind, module, table["init"])
    # The shape check: run the layer once on zeros, in evaluation mode, without a graph.
    dtype = np.dtype(kwargs.get("dtype", "float32"))
    module.eval()
    try:
        with no_grad():
            output = module(Tensor(np.zeros((1, *shape), dtype=dtype)))
    except (ValueError, IndexError, TypeError) as exc:
        raise spec.error(f"input {_shape_text(shape)}: {_cause(exc)}", index, kind=kind) from None
    finally:
        module.train()
    out_shape = tuple(output.shape[1:])
    if 0 in out_shape:
        raise spec.error(f"input {_shape_text(shape)} gives an empty output {_shape_text(out_shape)}",
                         index, kind=kind)
    return module, out_shape


def build_from_spec(source, input_shape=None, classes: int | None = None):
    """Build the :class:`~chainrule.nn.Sequential` a spec describes; return ``(model, input_shape)``.

    ``source`` is a ``.toml`` path, a dict or a :class:`ModelSpec`. ``input_shape`` (one sample,
    e.g. ``(1, 28, 28)``) is needed when the spec has no ``input``, and must agree with it when it
    has one. With ``classes``, the model's output must be ``[classes]`` per sample. Raises
    :class:`SpecError` (one line: file, line, layer, reason).
    """
    spec = load_spec(source)
    given = tuple(int(s) for s in input_shape) if input_shape is not None else None
    if spec.input is None and given is None:
        raise spec.error("no input shape: add e.g. input = [1, 28, 28] (one sample's shape)")
    if spec.input is not None and given is not None and spec.input != given:
        raise spec.error(f"input = {_shape_text(spec.input)}, but the model is asked to take "
                         f"{_shape_text(given)} (the data's or --input's shape); remove `input` to "
                         f"infer it", key="input")
    shape = start = spec.input if spec.input is not None else given
    types = layer_types()
    modules = []
    for index, table in enumerate(spec.layers):
        module, shape = _build_layer(spec, index, table, shape, types)
        modules.append(module)
    if classes is not None and shape != (classes,):
        last = len(spec.layers) - 1
        raise spec.error(f"the model's output is {_shape_text(shape)} per sample, but the data has "
                         f"{classes} classes: end with a layer of {classes} outputs", last,
                         kind=spec.layers[last].get("type"))
    return nn.Sequential(*modules), start
