"""nn.utils.clip_grad_norm_ against PyTorch's."""

import numpy as np
import pytest

import chainrule as cr


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_as_torch(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(5).astype(np.float32)]
    ours = [cr.zeros(*g.shape, requires_grad=True) for g in grads]
    theirs = [torch.zeros(g.shape, requires_grad=True) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = cr.tensor(g.copy()), torch.tensor(g.copy())
    frozen = cr.zeros(2, requires_grad=True)  # no gradient: skipped
    total = cr.nn.utils.clip_grad_norm_([*ours, frozen], max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    np.testing.assert_allclose(float(total), float(expected), rtol=1e-6)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6, atol=1e-7)
    if max_norm > float(expected):  # nothing to clip: the gradients are untouched
        for p, g in zip(ours, grads):
            np.testing.assert_array_equal(p.grad.numpy(), g)


def test_clip_grad_norm_refuses_a_nonfinite_norm_when_asked():
    p = cr.zeros(2, requires_grad=True)
    p.grad = cr.tensor([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="total norm of the gradients is inf"):
        cr.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert float(cr.nn.utils.clip_grad_norm_([cr.zeros(1, requires_grad=True)], 1.0)) == 0.0
