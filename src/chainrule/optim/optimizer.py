"""The Optimizer base: parameter groups, per-parameter state and state_dict, as PyTorch's."""

from __future__ import annotations

import copy

import numpy as np

from ..autograd import enable_grad, no_grad, note_inplace_write
from ..tensor import Tensor


def lerp_(start: np.ndarray, end: np.ndarray, weight: float, tmp: np.ndarray) -> None:
    """start ← start + w (end − start), in place through the work array ``tmp`` (``torch.lerp_``,
    a running mean's update)."""
    np.subtract(end, start, out=tmp)
    tmp *= weight
    start += tmp


class Optimizer:
    """Holds ``param_groups`` (dicts of parameters and hyperparameters such as ``lr``,
    which schedulers change) and ``state`` (per-parameter buffers such as momentum)."""

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self.state: dict = {}
        self._scratch_arrays: dict = {}
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got a Tensor")
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict) -> None:
        """Append a group (``{"params": [...], "lr": ...}``; unset options take the defaults),
        e.g. to train layers that were frozen so far."""
        if not isinstance(group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(group).__name__}")
        group = dict(group)
        params = group["params"]
        if isinstance(params, set):  # its order, hence the state_dict's numbering, varies between runs
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. Please use a list instead.")
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor (one computed from others); pass parameters")
        for name, value in self.defaults.items():
            group.setdefault(name, value)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad._data[...] = 0

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        updated = []
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        self._update(p, p.grad._data, group, self.state.setdefault(p, {}))
                        updated.append(p._data)
        note_inplace_write(*updated)  # a graph that used the old values can no longer go backward
        return loss

    def _update(self, param: Tensor, grad: np.ndarray, group: dict, state: dict) -> None:
        raise NotImplementedError

    def _scratch(self, param: Tensor) -> np.ndarray:
        """A reusable work array shaped like ``param`` (not part of the saved state)."""
        tmp = self._scratch_arrays.get(id(param))
        if tmp is None or tmp.shape != param._data.shape or tmp.dtype != param._data.dtype:
            tmp = self._scratch_arrays[id(param)] = np.empty_like(param._data)
        return tmp

    # ------------------------------------------------------------ state_dict
    def state_dict(self) -> dict:
        """``{'state': {index: {...}}, 'param_groups': [...]}`` with parameters numbered
        in order, as PyTorch does; arrays are copies."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state and self.state[p]:
                    state[index[id(p)]] = {k: np.copy(v) if isinstance(v, np.ndarray) else v
                                           for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"optimizer state has {len(groups)} parameter groups, this optimizer {len(self.param_groups)}")
        params = [p for g in self.param_groups for p in g["params"]]
        for saved, group in zip(groups, self.param_groups):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError("optimizer state's parameter groups do not match this optimizer's sizes")
            group.update({k: copy.deepcopy(v) for k, v in saved.items() if k != "params"})
        self.state = {}
        for key, values in state_dict["state"].items():
            p = params[int(key)]
            restored = {}
            for name, value in values.items():
                if isinstance(value, np.ndarray) and value.shape != p.shape and value.ndim:
                    raise ValueError(f"optimizer state {name!r} of parameter {key} has shape {value.shape}, "
                                     f"the parameter {p.shape}")
                restored[name] = np.array(value, dtype=p.dtype) if isinstance(value, np.ndarray) and value.ndim else value
            self.state[p] = restored

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params")
        return "\n".join(lines) + "\n)"

