"""``Module``: the base of every layer and model, with PyTorch's interface.

A module owns parameters (trainable tensors), buffers (state such as BatchNorm's
running statistics) and child modules, registered simply by assigning them as
attributes. ``state_dict`` walks that tree in PyTorch's order (own parameters,
own buffers, then each child), so keys and array layouts match a PyTorch model
with the same tree and weights load both ways.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict, namedtuple

import numpy as np

from .. import tensor as _tensor
from ..tensor import Tensor


class Parameter(Tensor):
    """A tensor that is a module's learnable weight: it requires grad by default."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        super().__init__(np.empty(0, np.float32) if data is None else data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class LayerError(ValueError, RuntimeError):
    """A layer could not process its input. The message names the layer by its
    path in the model (e.g. ``features.3``), its type, and what was wrong."""

    def __init__(self, module: "Module", cause: Exception):
        super().__init__(str(cause))
        self.module, self.cause, self.path = module, cause, []
        self._reached = module  # the module the path has been traced up to

    def __str__(self) -> str:
        where = ".".join(self.path)
        layer = f"{type(self.module).__name__}({self.module.extra_repr()})"
        return f"layer {where} {layer}: {self.cause}" if where else f"{layer}: {self.cause}"


_hook_ids = itertools.count()

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class _HookHandle:
    def __init__(self, hooks: dict, key: int):
        self.hooks, self.key = hooks, key

    def remove(self) -> None:
        self.hooks.pop(self.key, None)


def _may_lack_batch_counter(key: str, state_dict) -> bool:
    """Whether a missing ``key`` is the ``num_batches_tracked`` of a BatchNorm saved before the
    counter existed (PyTorch 0.4.1). PyTorch then keeps the module's own counter, and takes a
    state_dict as that old unless its ``_metadata`` gives the module version 2 or later: so a
    hand-made dict without the counter loads, and an edited PyTorch state_dict reports it."""
    module, _, name = key.rpartition(".")
    if name != "num_batches_tracked":
        return False
    version = (getattr(state_dict, "_metadata", None) or {}).get(module, {}).get("version")
    return version is None or version < 2


def _to_numpy(value, key: str) -> np.ndarray:
    """A state_dict value from chainrule, NumPy or PyTorch as an array."""
    if isinstance(value, Tensor):
        return value._data
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch.Tensor, without importing torch
        return value.detach().cpu().numpy()
    try:
        return np.asarray(value)
    except Exception as exc:  # pragma: no cover - defensive
        raise TypeError(f"state_dict entry {key!r}: cannot read a {type(value).__name__} as an array") from exc


class Module:
    """Base class for layers and models: subclass it, assign layers in ``__init__``,
    and write ``forward``."""

    training: bool

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "training", True)

    # --------------------------------------------------------- registration
    def __setattr__(self, name: str, value) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() call")
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            buffers.pop(name, None)
            modules.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params.pop(name, None)
            buffers.pop(name, None)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} (a Parameter or None is needed)")
            params[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} (a Tensor or None is needed)")
            buffers[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r} (a Module or None is needed)")
            modules[name] = None
        object.__setattr__(self, name, value)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """State that is saved in ``state_dict`` but not trained (e.g. running statistics)."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"buffer {name!r} must be a Tensor or None, got {type(tensor).__name__}")
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)
        object.__setattr__(self, name, tensor)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def add_module(self, name: str, module: "Module | None") -> None:
        self._modules[name] = module
        object.__setattr__(self, name, module)

    # ---------------------------------------------------------------- calls
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        try:
            output = self.forward(*args, **kwargs)
        except LayerError as error:
            # Trace the failing layer's name one level up the tree.
            for name, child in self._modules.items():
                if child is error._reached:
                    error.path.insert(0, name)
                    error._reached = self
                    break
            raise
        except ValueError as error:
            raise LayerError(self, error) from error
        if self._forward_hooks:
            for hook in tuple(self._forward_hooks.values()):
                result = hook(self, args, output)
                if result is not None:
                    output = result
        return output

    def register_forward_hook(self, hook) -> _HookHandle:
        """``hook(module, inputs, output)`` runs after every forward; returning a value replaces the output."""
        key = next(_hook_ids)
        self._forward_hooks[key] = hook
        return _HookHandle(self._forward_hooks, key)

    # ------------------------------------------------------------ traversal
    def named_modules(self, memo=None, prefix: str = ""):
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in memo:
                continue
            memo.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, m) for n, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        return (m for _, m in self.named_children())

    def _named_members(self, registry: str, prefix: str, recurse: bool):
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix: str = "", recurse: bool = True):
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True):
        return (b for _, b in self.named_buffers(recurse=recurse))

    def apply(self, fn) -> "Module":
        """``fn`` on every submodule, children before their parent (PyTorch's post-order)."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ---------------------------------------------------------------- modes
    def train(self, mode: bool = True) -> "Module":
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad._data[...] = 0

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def to(self, *args, dtype=None, device=None, non_blocking: bool = False) -> "Module":
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(tensor)`` (its dtype), as
        PyTorch's: every floating-point parameter and buffer converted in place (the Parameter
        objects stay the same, so optimisers keep tracking them). The CPU is the only device."""
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, (str, _tensor.device)) and not _tensor._is_type_name(arg):
                device = arg
            else:
                dtype = arg
        if device is not None:
            _tensor.check_device(device)
        if dtype is None:
            return self
        dtype = _tensor.as_dtype(dtype)
        for tensor in list(self.parameters()) + list(self.buffers()):
            if tensor._data.dtype.kind == "f":
                tensor._data = tensor._data.astype(dtype)
                if tensor.grad is not None:
                    tensor.grad._data = tensor.grad._data.astype(dtype)
        return self

    def cpu(self) -> "Module":
        return self

    def cuda(self, device=None) -> "Module":
        _tensor.check_device("cuda" if device is None else device if isinstance(device, str) else f"cuda:{device}")

    def half(self) -> "Module":
        return self.to(np.float16)

    def float(self) -> "Module":
        return self.to(np.float32)

    def double(self) -> "Module":
        return self.to(np.float64)

    # ------------------------------------------------------------ state_dict
    def state_dict(self, prefix: str = "") -> "OrderedDict[str, Tensor]":
        """Every parameter and persistent buffer by its dotted name, in PyTorch's order.
        The values share memory with the model (detach them to keep a snapshot)."""
        out = OrderedDict()
        # Every path to a module, repeats included: a module used twice (weight tying) is
        # saved under both names, as PyTorch does, so the two state_dicts keep the same keys.
        stack = [(prefix, self)]  # each entry's prefix ends in its dot: "features.0." (PyTorch's rule)
        while stack:
            module_prefix, module = stack.pop()
            stack.extend(reversed([(f"{module_prefix}{n}.", m) for n, m in module._modules.items() if m is not None]))
            for name, p in module._parameters.items():
                if p is not None:
                    out[module_prefix + name] = p.detach()
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent:
                    out[module_prefix + name] = b.detach()
        return out

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values in place from a state_dict made by chainrule or PyTorch.

        Raises a ``ValueError`` naming every missing or unexpected key (when
        ``strict``) and every shape mismatch (always); nothing is copied then. As in
        PyTorch, a BatchNorm's ``num_batches_tracked`` may be absent from an old or
        hand-made state_dict (see ``_may_lack_batch_counter``).
        """
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict and not _may_lack_batch_counter(k, state_dict)]
        unexpected = [k for k in state_dict if k not in own]
        problems = []
        if strict and missing:
            problems.append(f"missing key(s): {', '.join(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected key(s): {', '.join(unexpected)}")
        arrays = {}
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = _to_numpy(state_dict[key], key)
            if value.shape != target.shape:
                problems.append(f"{key}: checkpoint has shape {tuple(value.shape)}, the model {target.shape}")
            else:
                arrays[key] = value
        if problems:
            raise ValueError(f"error(s) loading state_dict for {type(self).__name__}: " + "; ".join(problems))
        for key, value in arrays.items():
            own[key].copy_(value)
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, module in self._modules.items():
            child = repr(module).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        body = "\n  ".join(([self.extra_repr()] if self.extra_repr() else []) + lines)
        return f"{type(self).__name__}(\n  {body}\n)"

