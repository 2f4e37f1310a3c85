"""Run one piece of PyTorch code on torch and on chainrule, and compare what comes back.

A case is a function of the module it runs on (``lambda torch: torch.exp(torch.tensor([1.]))``),
written once in PyTorch's spelling, as course code is. :func:`assert_same` walks the two
results together: tensors must agree in shape, dtype name, ``requires_grad`` and values (to
float32 precision); tuples, named tuples, lists and numbers must agree element by element,
in type as well as value (an ``int`` is not a ``float``).

Importing this module needs torch: test modules that use it call
``pytest.importorskip("torch")`` first.
"""

from __future__ import annotations

import math

import numpy as np
import torch

import chainrule


def dtype_name(dtype) -> str:
    """'float32' for torch.float32 and for chainrule's (NumPy's) float32."""
    return str(dtype).removeprefix("torch.").replace("bool_", "bool")


def assert_same(ours, theirs, what: str = "result", rtol: float = 1e-6, atol: float = 1e-7) -> None:
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, chainrule.Tensor), f"{what}: a {type(ours).__name__}, torch gives a tensor"
        assert tuple(ours.shape) == tuple(theirs.shape), f"{what}: shape {tuple(ours.shape)} vs torch's {tuple(theirs.shape)}"
        assert dtype_name(ours.dtype) == dtype_name(theirs.dtype), f"{what}: dtype {ours.dtype} vs torch's {theirs.dtype}"
        assert ours.requires_grad == theirs.requires_grad, f"{what}: requires_grad {ours.requires_grad} vs torch's"
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol,
                                   equal_nan=True, err_msg=what)
    elif isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs), f"{what}: {ours!r} vs torch's {theirs!r}"
        assert isinstance(ours, tuple) == isinstance(theirs, tuple), f"{what}: {type(ours)} vs torch's {type(theirs)}"
        for field in getattr(type(theirs), "_fields", ()) or getattr(theirs, "_fields", ()):
            assert hasattr(ours, field), f"{what}: has no field {field!r} as torch's result does"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{what}[{i}]", rtol, atol)
    elif isinstance(theirs, torch.dtype):
        assert dtype_name(ours) == dtype_name(theirs), f"{what}: {ours} vs torch's {theirs}"
    elif isinstance(theirs, float) and math.isnan(theirs):
        assert isinstance(ours, float) and math.isnan(ours), f"{what}: {ours!r} vs torch's nan"
    else:
        assert type(ours) is type(theirs), f"{what}: {ours!r} ({type(ours).__name__}) vs torch's {theirs!r}"
        assert ours == theirs or (isinstance(theirs, float) and math.isclose(ours, theirs, rel_tol=rtol)), \
            f"{what}: {ours!r} vs torch's {theirs!r}"


def check_case(case, name: str = "case", rtol: float = 1e-6, atol: float = 1e-7) -> None:
    """``case(torch)`` and ``case(chainrule)`` give the same result; or both raise, chainrule's
    error being one that PyTorch code's ``except`` for torch's error class catches."""
    try:
        theirs = case(torch)
    except Exception as exc:  # noqa: BLE001 - the case is meant to fail: chainrule must too, alike
        expected = type(exc)
        try:
            case(chainrule)
        except Exception as ours:  # noqa: BLE001
            assert isinstance(ours, expected), f"{name}: chainrule raised {type(ours).__name__}: {ours}; torch raises {expected.__name__}"
            return
        raise AssertionError(f"{name}: torch raises {expected.__name__} ({exc}); chainrule does not") from None
    assert_same(case(chainrule), theirs, name, rtol=rtol, atol=atol)
