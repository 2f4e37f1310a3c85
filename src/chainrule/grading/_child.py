"""The child process that runs one untrusted submission (``python -I _child.py``).

It imports nothing of chainrule: the student's code must not reach the grader, and the start
stays cheap. The parent (:mod:`.sandbox`) sends requests on one pipe and reads replies on
another, both framed as a 4-byte length and a JSON body; the student's own ``print`` output goes
to a file in the child's folder, never into the channel. Values cross as JSON with arrays as
``.npy`` bytes (:func:`encode` / :func:`decode`): no pickle in either direction, so nothing the
submission returns can run code in the grader. Objects that do not cross (a network, a model)
stay here in a table and travel as handles.

The parent keeps every expected value: this process only ever sees a test's inputs.
"""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import os
import struct
import sys
import time
import traceback
import warnings

MAX_MESSAGE = 512 * 2**20
"""The largest message either side accepts (bytes)."""

HEADER = struct.Struct(">I")


# ----------------------------------------------------------------- the wire format
class Handle:
    """An object that stays in the child: its table id, its type's name and a short repr."""

    def __init__(self, id: int, type: str = "", text: str = ""):
        self.id, self.type, self.text = int(id), str(type), str(text)

    def __repr__(self):
        return f"<{self.type} (handle {self.id})>"


def _array_to_wire(array, tag="__ndarray__"):
    import numpy as np

    array = np.asarray(array)
    if array.dtype.hasobject or array.dtype.kind not in "biufc":
        raise TypeError(f"an array of dtype {array.dtype} cannot be returned")
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.require(array, requirements="C"), allow_pickle=False)
    return {tag: base64.b64encode(buffer.getvalue()).decode("ascii")}


def encode(value, keep=None, depth=0):
    """``value`` as JSON-ready data. Numbers, strings, None, lists, tuples, dicts with string keys
    and NumPy arrays (and torch tensors, as arrays) cross; anything else is stored by ``keep``
    (the child's object table) and crosses as a handle. The parent passes no ``keep``: what it
    sends must cross whole (or be a :class:`Handle`)."""
    if depth > 20:
        raise TypeError("the value is nested more than 20 levels deep")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**63 else float(value)
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else {"__float__": repr(value)}
    if isinstance(value, Handle):
        return {"__handle__": value.id}
    if isinstance(value, (list, tuple)):
        items = [encode(v, keep, depth + 1) for v in value]
        return items if isinstance(value, list) else {"__tuple__": items}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": [[k, encode(v, keep, depth + 1)] for k, v in value.items()]}
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, (numpy.ndarray, numpy.generic)):
        if value.dtype.kind in "biufc":
            return _array_to_wire(value)
    tensor_type = getattr(sys.modules.get("torch"), "Tensor", None)  # torch's, or chainrule's under its name
    if isinstance(tensor_type, type) and isinstance(value, tensor_type):
        value = value.detach()
        return _array_to_wire((value.cpu() if hasattr(value, "cpu") else value).numpy(), "__tensor__")
    if keep is None:
        raise TypeError(f"a {type(value).__name__} cannot be sent to the submission")
    return keep(value)


def decode(data, lookup=None):
    """The inverse of :func:`encode`. ``lookup`` resolves handles (the child's table); without it
    (in the parent) handles decode as :class:`Handle`. Arrays are read with ``allow_pickle=False``
    and only numeric dtypes are accepted."""
    if isinstance(data, list):
        return [decode(v, lookup) for v in data]
    if not isinstance(data, dict):
        return data
    if "__tuple__" in data:
        return tuple(decode(v, lookup) for v in data["__tuple__"])
    if "__dict__" in data:
        return {str(k): decode(v, lookup) for k, v in data["__dict__"]}
    if "__float__" in data:
        return float(data["__float__"])
    if "__handle__" in data:
        if lookup is not None:
            return lookup(data["__handle__"])
        return Handle(data["__handle__"], data.get("type", ""), data.get("text", ""))
    for tag in ("__ndarray__", "__tensor__"):
        if tag in data:
            import numpy as np

            array = np.load(io.BytesIO(base64.b64decode(data[tag])), allow_pickle=False)
            if array.dtype.kind not in "biufc":
                raise TypeError(f"refused an array of dtype {array.dtype}")
            return array
    if "__npyfile__" in data:
        import numpy as np

        return np.load(data["__npyfile__"], allow_pickle=False)
    raise TypeError(f"unknown value on the wire: {sorted(data)[:3]}")


def send(fd: int, message: dict) -> None:
    body = json.dumps(message, allow_nan=False).encode("utf-8")
    if len(body) > MAX_MESSAGE:
        raise ValueError(f"a message of {len(body)} bytes is over the {MAX_MESSAGE}-byte limit")
    data = HEADER.pack(len(body)) + body
    while data:
        data = data[os.write(fd, data):]


def read_exactly(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError("the channel closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def receive(fd: int) -> dict:
    (size,) = HEADER.unpack(read_exactly(fd, HEADER.size))
    if size > MAX_MESSAGE:
        raise ValueError(f"a message of {size} bytes is over the {MAX_MESSAGE}-byte limit")
    return json.loads(read_exactly(fd, size))


# ----------------------------------------------------------------- the child's side
class Child:
    """The request loop: ``load`` imports the submission, then ``call``, ``getattr``,
    ``setattr`` and a few helpers for what cannot cross the wire (a torch module's layer stack,
    a matplotlib axes' lines) act on it and on the objects it made."""

    def __init__(self, requests: int, replies: int, output_path: str):
        self.requests, self.replies = requests, replies
        self.output_path = output_path
        self.objects: dict[int, object] = {}
        self.module = None
        self.path = None

    # objects stay here; handles go out
    def keep(self, value):
        key = len(self.objects) + 1
        self.objects[key] = value
        text = ""
        try:
            text = object.__repr__(value)[:80]
        except Exception:  # a hostile __repr__ must not break the reply
            pass
        return {"__handle__": key, "type": type(value).__qualname__, "text": text}

    def lookup(self, key):
        if key == 0:
            return self.module
        try:
            return self.objects[key]
        except KeyError:
            raise LookupError(f"no object {key}") from None

    # the operations
    def op_load(self, path, name, torch_from=None):
        if torch_from:
            _alias_torch_to(*torch_from)
        self.path = os.path.abspath(path)
        sys.path.insert(0, os.path.dirname(self.path))
        spec = importlib.util.spec_from_file_location(name, self.path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        self.module = module
        return sorted(n for n in vars(module) if not n.startswith("__"))

    def op_call(self, target, attr, args=(), kwargs=None):
        function = getattr(target, attr) if attr else target
        return function(*args, **(kwargs or {}))

    def op_getattr(self, target, attr):
        return getattr(target, attr)

    def op_setattr(self, target, attr, value):
        setattr(target, attr, value)

    def op_seed(self, seed):
        import random

        random.seed(seed)
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed(seed)
        if "torch" in sys.modules and hasattr(sys.modules["torch"], "manual_seed"):
            sys.modules["torch"].manual_seed(seed)

    def op_layers(self, target):
        """A torch-style module's leaf layers in order: (name, type, settings, parameters)."""
        rows = []
        for name, module in target.named_modules():
            if list(module.children()):
                continue
            settings = {}
            for key in ("in_features", "out_features", "in_channels", "out_channels", "kernel_size",
                        "stride", "padding", "p", "num_features", "eps", "momentum"):
                if hasattr(module, key):
                    value = getattr(module, key)
                    settings[key] = list(value) if isinstance(value, tuple) else value
            params = sum(int(p.numel()) for p in module.parameters(recurse=False))
            rows.append([name, type(module).__name__, settings, params])
        total = sum(int(p.numel()) for p in target.parameters())
        return {"layers": rows, "parameters": total}

    def op_axes(self, count=1):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, axes = plt.subplots(1, count, figsize=(5 * count, 4))
        return [figure] + (list(axes) if count > 1 else [axes])

    def op_describe_axes(self, axes):
        lines = [[str(line.get_label()), int(len(line.get_ydata()))] for line in axes.get_lines()]
        return {"title": axes.get_title(), "xlabel": axes.get_xlabel(), "ylabel": axes.get_ylabel(),
                "lines": lines, "legend": axes.get_legend() is not None}

    # the loop
    def serve(self) -> None:
        while True:
            try:
                request = receive(self.requests)
            except EOFError:
                return
            self.reply(request)

    def reply(self, request: dict) -> None:
        start = time.perf_counter()
        try:
            operation = getattr(self, "op_" + request["op"])
            args = decode(request.get("args", []), self.lookup)
            kwargs = decode(request.get("kwargs", {}), self.lookup)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                value = operation(*args, **kwargs)
            reply = {"ok": True, "value": encode(value, self.keep),
                     "warnings": [f"{w.category.__name__}: {w.message}"[:300] for w in caught[:20]]}
        except BaseException as exc:  # the student's SystemExit and KeyboardInterrupt included
            reply = {"ok": False, "error": self.describe(exc)}
        reply["seconds"] = time.perf_counter() - start
        sys.stdout.flush()
        sys.stderr.flush()
        reply["output_bytes"] = os.path.getsize(self.output_path)
        try:
            send(self.replies, reply)
        except (TypeError, ValueError) as exc:  # an unencodable value: say so instead
            send(self.replies, {"ok": False, "error": {"type": type(exc).__name__, "message": str(exc),
                                                      "where": ""}, "seconds": reply["seconds"],
                                "output_bytes": reply["output_bytes"]})

    def describe(self, exc: BaseException) -> dict:
        """The exception's type and message, and the last line of the submission's own code it
        passed through (the grader's frames are not the student's business)."""
        where = ""
        for frame in traceback.extract_tb(exc.__traceback__):
            if self.path and os.path.abspath(frame.filename) == self.path:
                where = f"line {frame.lineno}, in {frame.name}: {(frame.line or '').strip()}"
        if isinstance(exc, SyntaxError) and exc.lineno:
            where = f"line {exc.lineno}: {(exc.text or '').strip()}"
        message = str(exc) if not isinstance(exc, SystemExit) else f"exit code {exc.code!r}"
        return {"type": type(exc).__name__, "message": message[:2000], "where": where[:500]}


def _alias_torch_to(package: str, folder: str) -> None:
    """``import torch`` (and its submodules) give ``package``'s drop-in modules, imported from
    ``folder``: the grader names its own copy, so the child runs on the very engine grading it."""
    sys.path.insert(0, folder)
    importlib.import_module(f"{package}.dropin").alias_torch(package)


def main(argv) -> None:
    requests, replies, output_path = int(argv[1]), int(argv[2]), argv[3]
    # The student's prints go to a file: they cannot reach the channel or the grader's terminal.
    out = os.open(output_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", buffering=0), write_through=True)
    sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb", buffering=0), write_through=True)
    Child(requests, replies, output_path).serve()


if __name__ == "__main__":
    main(sys.argv)
