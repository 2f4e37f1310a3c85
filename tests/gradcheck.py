"""Shared checkers for the op tests.

``fd_check``: the float64 proof. For random inputs x and a random upstream
gradient u, the gradient autograd computes for ⟨u, f(x)⟩ (``f(x).backward(u)``)
must equal the central difference

    ∂⟨u, f⟩/∂xᵢ ≈ ⟨u, f(x + εeᵢ) − f(x − εeᵢ)⟩ / 2ε

for every element of every input that requires grad. The difference
f(x + εeᵢ) − f(x − εeᵢ) is taken elementwise before the dot product with u,
so outputs that do not depend on xᵢ cancel exactly and rounding stays far
below the tolerances (rtol 1e-6, atol 1e-8).

``parity``: the float32 comparison with PyTorch: same inputs, same upstream
gradient, outputs and every input's gradient within rtol 1e-5.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

FD_EPS = 1e-6
FD_RTOL, FD_ATOL = 1e-6, 1e-8
# float32 parity. rtol 1e-5 is ~80 ulps. atol 1e-6 covers results that are
# near zero only through cancellation (a sum of O(1) terms that nearly cancel
# keeps an absolute rounding error of a few float32 ulps of 1, i.e. ~1e-7..1e-6,
# which no relative tolerance can absorb).
PARITY_RTOL, PARITY_ATOL = 1e-5, 1e-6


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def randn(*shape, seed: int = 0) -> np.ndarray:
    return rng(seed).standard_normal(shape)


def away_from(shape, kinks=(0.0,), margin: float = 0.1, scale: float = 2.0, seed: int = 0) -> np.ndarray:
    """Random float64 values, none within ``margin`` of any kink (so finite differences
    never straddle one)."""
    x = rng(seed).uniform(-scale, scale, size=shape)
    for k in kinks:
        near = np.abs(x - k) < margin
        x = np.where(near, k + np.where(x >= k, margin, -margin) * 1.5, x)
    return x


def distinct(shape, seed: int = 0, gap: float = 0.05) -> np.ndarray:
    """Values that are pairwise at least ``gap`` apart (for max and max-pooling, whose
    finite differences would otherwise cross a tie)."""
    n = int(np.prod(shape))
    return (rng(seed).permutation(n) * gap + rng(seed + 1).uniform(0, gap / 10, n) - n * gap / 2).reshape(shape)


def _wants(arrays, requires_grad):
    if requires_grad is None:
        return [a.dtype.kind == "f" for a in arrays]
    return list(requires_grad)


def fd_check(fn, *inputs, requires_grad=None, eps=FD_EPS, rtol=FD_RTOL, atol=FD_ATOL, seed=0):
    """Check ``fn``'s full vector-Jacobian product against central differences in float64.

    ``inputs`` are NumPy arrays; floating ones require grad unless ``requires_grad``
    (one bool per input) says otherwise. ``fn`` takes chainrule tensors and returns one.
    Returns the forward output (a chainrule tensor).
    """
    arrays = [np.array(a) for a in inputs]
    for a, w in zip(arrays, _wants(arrays, requires_grad)):
        if w:
            assert a.dtype == np.float64, "finite differences need float64 inputs"
    wants = _wants(arrays, requires_grad)
    tensors = [cr.tensor(a.copy(), requires_grad=w) for a, w in zip(arrays, wants)]
    out = fn(*tensors)
    assert isinstance(out, cr.Tensor)
    assert out.dtype == np.float64, f"float64 inputs gave a {out.dtype} output"
    assert out.requires_grad == any(wants)
    u = np.asarray(rng(seed + 1000).standard_normal(out.shape))
    out.backward(u)

    def evaluate(arrs):
        with cr.no_grad():
            return fn(*[cr.tensor(a) for a in arrs]).data

    for i, (a, t, w) in enumerate(zip(arrays, tensors, wants)):
        if not w:
            assert t.grad is None, f"input {i} does not require grad but got one"
            continue
        assert t.grad is not None, f"input {i} requires grad but got none"
        assert t.grad.shape == a.shape, f"input {i}: gradient shape {t.grad.shape} != input shape {a.shape}"
        assert t.grad.dtype == np.float64
        numeric = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            plus, minus = [b.copy() for b in arrays], [b.copy() for b in arrays]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            numeric[idx] = np.sum(u * (evaluate(plus) - evaluate(minus))) / (2 * eps)
        np.testing.assert_allclose(t.grad.data, numeric, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i} (shape {a.shape})")
    return out


def _torch():
    return pytest.importorskip("torch")


def torch_dtype_name(t) -> str:
    return str(t.dtype).removeprefix("torch.")


def parity(cr_fn, torch_fn, *inputs, requires_grad=None, rtol=PARITY_RTOL, atol=PARITY_ATOL,
           grad_rtol=None, grad_atol=None, seed=0, exact=False):
    """Run ``cr_fn`` on chainrule tensors and ``torch_fn`` on torch tensors made from the same
    arrays (floating ones cast to float32), backprop the same random upstream gradient
    through both, and compare outputs and every input's gradient.

    ``exact=True`` demands bit-for-bit equality (for tie-breaking and kink tests).
    Returns ``(cr_inputs, torch_inputs, cr_out, torch_out)``.
    """
    torch = _torch()
    arrays = [np.array(a) for a in inputs]
    arrays = [a.astype(np.float32) if a.dtype.kind == "f" else a for a in arrays]
    wants = _wants(arrays, requires_grad)
    cts = [cr.tensor(a.copy(), requires_grad=w) for a, w in zip(arrays, wants)]
    tts = [torch.tensor(a.copy(), requires_grad=w) for a, w in zip(arrays, wants)]
    co, to = cr_fn(*cts), torch_fn(*tts)
    assert co.shape == tuple(to.shape), f"output shape {co.shape} vs PyTorch {tuple(to.shape)}"
    assert str(co.dtype) == torch_dtype_name(to), f"output dtype {co.dtype} vs PyTorch {to.dtype}"
    close = _exact if exact else _close
    close(co.data, to.detach().numpy(), rtol, atol, "forward output")
    if any(wants) and to.requires_grad:
        u = np.asarray(rng(seed + 2000).standard_normal(co.shape), dtype=np.float32)
        co.backward(u)
        to.backward(torch.from_numpy(u.copy()))
        g_rtol = rtol if grad_rtol is None else grad_rtol
        g_atol = atol if grad_atol is None else grad_atol
        for i, (c, t) in enumerate(zip(cts, tts)):
            if not t.requires_grad:
                continue
            if t.grad is None:
                assert c.grad is None or not np.any(c.grad.data), f"input {i}: PyTorch gives no gradient"
                continue
            assert c.grad is not None, f"input {i}: no gradient, PyTorch has one"
            assert c.grad.dtype == np.float32
            close(c.grad.data, t.grad.numpy(), g_rtol, g_atol, f"gradient of input {i}")
    return cts, tts, co, to


def _close(actual, expected, rtol, atol, what):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def _exact(actual, expected, rtol, atol, what):
    np.testing.assert_array_equal(actual, expected, err_msg=what)
