"""Build a PyTorch model with the same module tree as a chainrule one, and compare them.

``twin(model)`` mirrors every chainrule layer with the PyTorch layer of the same
name and arguments (``chainrule.backends.torch_backend.build_torch``; ``Step``, which
PyTorch lacks, becomes a small threshold module without parameters), then copies
every parameter and buffer across through PyTorch's own ``load_state_dict``. So it also exercises the
chainrule → torch direction of state_dict compatibility.

Importing this module needs torch: test modules that use it call
``pytest.importorskip("torch")`` first.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn
from chainrule.backends.torch_backend import build_torch, state_to_torch


@pytest.fixture(scope="module")
def torch_single_thread():
    """PyTorch on one thread for a module's tests, restored afterwards. The tensors here are
    tiny, and on a busy machine PyTorch's thread pool costs ~20 ms a backward pass."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


# The module tree comes from the product's torch backend; every test below then checks
# it independently against PyTorch: identical state_dict keys and shapes (load_state_dict
# with strict=True) and identical numbers.
build = build_torch
to_torch_state = state_to_torch


def twin(m: nn.Module, dtype=torch.float32) -> torch.nn.Module:
    """A PyTorch model with ``m``'s tree, weights, buffers and train/eval mode."""
    tm = build(m).to(dtype)
    tm.load_state_dict(to_torch_state(m.state_dict()), strict=True)
    copy_modes(m, tm)
    return tm


def copy_modes(m: nn.Module, tm: torch.nn.Module) -> None:
    """Put every PyTorch submodule in the train/eval mode of its chainrule counterpart."""
    for (_, a), (_, b) in zip(m.named_modules(), tm.named_modules(), strict=True):
        b.training = a.training


DIRECTIONS = ["chainrule->torch", "torch->chainrule"]


def _randomise_torch(tm: torch.nn.Module, seed: int) -> None:
    """Give a fresh PyTorch twin weights of its own (PyTorch's init, then a shake-up of
    anything PyTorch initialises to constants, such as BatchNorm's)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in tm.named_parameters():
            p.copy_(torch.rand(p.shape, generator=gen) * 2 - 1)
        for name, b in tm.named_buffers():
            if name.endswith("running_var"):
                b.copy_(torch.rand(b.shape, generator=gen) + 0.5)
            elif name.endswith("running_mean"):
                b.copy_(torch.randn(b.shape, generator=gen) * 0.3)
            elif name.endswith("num_batches_tracked"):
                b.fill_(7)


def make_pair(layer: nn.Module, direction: str, seed: int = 0):
    """The chainrule layer and its PyTorch twin holding identical weights, the weights
    having gone across in ``direction`` through the receiver's ``load_state_dict``."""
    tm = build(layer)
    if direction == "chainrule->torch":
        result = tm.load_state_dict(to_torch_state(layer.state_dict()), strict=True)
    else:
        _randomise_torch(tm, seed)
        result = layer.load_state_dict(tm.state_dict(), strict=True)
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
    copy_modes(layer, tm)
    return layer, tm


# ------------------------------------------------------------------ comparisons
def t(x) -> torch.Tensor:
    """A torch tensor copy of a chainrule tensor or NumPy array."""
    return torch.from_numpy(np.array(x.data if isinstance(x, cr.Tensor) else x, copy=True))


def arr(x) -> np.ndarray:
    if isinstance(x, cr.Tensor):
        return x.data
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def assert_close(actual, expected, rtol=1e-5, atol=None, scale_atol=1e-6, what=""):
    """Elementwise |a − e| <= atol + rtol·|e|.

    Without an explicit ``atol`` it is ``scale_atol`` times the largest |e|: float32
    round-off in a sum is relative to the size of its terms, not of its result, so
    entries that cancel to nearly zero need that floor.
    """
    a, e = arr(actual), arr(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != {e.shape}"
    if atol is None:
        atol = scale_atol * float(np.max(np.abs(e))) if e.size else 0.0
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=what)


def assert_grads_close(model: nn.Module, tmodel: torch.nn.Module, rtol=1e-5, scale_atol=1e-6):
    """Every parameter's gradient equal, by name, in the two models."""
    tparams = dict(tmodel.named_parameters())
    names = [n for n, _ in model.named_parameters()]
    assert names == list(tparams), (names, list(tparams))
    for name, p in model.named_parameters():
        tp = tparams[name]
        assert (p.grad is None) == (tp.grad is None), name
        if p.grad is not None:
            assert_close(p.grad, tp.grad, rtol=rtol, scale_atol=scale_atol, what=f"grad of {name}")


def assert_states_close(model: nn.Module, tmodel: torch.nn.Module, rtol=1e-5, scale_atol=1e-6):
    """Same state_dict keys, shapes and values (parameters and buffers)."""
    ours, theirs = model.state_dict(), tmodel.state_dict()
    assert list(ours) == list(theirs)
    for key in ours:
        assert_close(ours[key], theirs[key], rtol=rtol, scale_atol=scale_atol, what=key)
