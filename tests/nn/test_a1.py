"""Exercise A1 built as a network: a 2-3-1 ReLU net, one gradient step, checked against the
hand derivation below (and against PyTorch when it is installed).

Hand derivation (W is out × in, no biases):

    x = [1, 2],  t = [3]
    z = W1 x = [2·1 + 1·2, 1·1 − 2·2, 1·1 + 5·2] = [4, −3, 11]
    v = ReLU(z) = [4, 0, 11]          (no z is exactly 0, so A1's convention ReLU'(0) = 1
                                        never applies; chainrule, like PyTorch, uses 0 there)
    y = W2 v = −1·4 + 3·0 + 2·11 = 18
    C = (y − t)² = 15² = 225

    ∂C/∂y  = 2(y − t) = 30
    ∂C/∂W2 = ∂C/∂y · vᵀ = 30·[4, 0, 11] = [[120, 0, 330]]
    ∂C/∂v  = W2ᵀ ∂C/∂y = 30·[−1, 3, 2] = [−30, 90, 60]
    ∂C/∂z  = ∂C/∂v ⊙ ReLU'(z) = [−30, 90, 60] ⊙ [1, 0, 1] = [−30, 0, 60]
    ∂C/∂W1 = ∂C/∂z · xᵀ = [[−30, −60], [0, 0], [60, 120]]   so ∂C/∂w11 = −30 · x1 = −30

    one SGD step, η = 0.05:
    W2 ← W2 − η ∂C/∂W2 = [−1 − 6, 3 − 0, 2 − 16.5] = [[−7, 3, −14.5]]
    W1 ← W1 − η ∂C/∂W1 = [[3.5, 4], [1, −2], [−2, −1]]
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

X = [[1.0, 2.0]]
T = [[3.0]]
W1 = [[2.0, 1.0], [1.0, -2.0], [1.0, 5.0]]
W2 = [[-1.0, 3.0, 2.0]]


def a1_network() -> nn.Sequential:
    model = nn.Sequential(nn.Linear(2, 3, bias=False), nn.ReLU(), nn.Linear(3, 1, bias=False))
    model.load_state_dict({"0.weight": np.array(W1, np.float32), "2.weight": np.array(W2, np.float32)})
    return model


def test_forward_values():
    model = a1_network()
    z = model[0](cr.tensor(X))
    np.testing.assert_array_equal(z.data, [[4, -3, 11]])
    assert not np.any(z.data == 0)  # ReLU'(0) never needed
    v = model[1](z)
    np.testing.assert_array_equal(v.data, [[4, 0, 11]])
    y = model[2](v)
    np.testing.assert_array_equal(y.data, [[18]])
    np.testing.assert_array_equal(model(cr.tensor(X)).data, [[18]])
    cost = nn.functional.mse_loss(y, cr.tensor(T), reduction="sum")
    assert cost.item() == 225.0


def _cost_and_grads():
    model = a1_network()
    cost = nn.MSELoss(reduction="sum")(model(cr.tensor(X)), cr.tensor(T))
    cost.backward()
    return model, cost


def test_gradients():
    model, cost = _cost_and_grads()
    assert cost.item() == 225.0
    np.testing.assert_array_equal(model[2].weight.grad.data, [[120, 0, 330]])
    np.testing.assert_array_equal(model[0].weight.grad.data, [[-30, -60], [0, 0], [60, 120]])
    assert model[0].weight.grad.data[0, 0] == -30  # ∂C/∂w11
    # the dead unit (z2 = −3) gets no gradient into its weights (A2)
    np.testing.assert_array_equal(model[0].weight.grad.data[1], [0, 0])


def test_one_sgd_step():
    model, _ = _cost_and_grads()
    cr.optim.SGD(model.parameters(), lr=0.05).step()
    np.testing.assert_allclose(model[2].weight.data, [[-7, 3, -14.5]], rtol=1e-6)
    np.testing.assert_allclose(model[0].weight.data, [[3.5, 4], [1, -2], [-2, -1]], rtol=1e-6)


def test_hand_step_by_tensors_equals_the_optimiser():
    model, _ = _cost_and_grads()
    with cr.no_grad():
        for p in model.parameters():
            p -= 0.05 * p.grad
    np.testing.assert_allclose(model[2].weight.data, [[-7, 3, -14.5]], rtol=1e-6)


def test_pytorch_confirms_the_hand_results():
    torch = pytest.importorskip("torch")
    from torch_twin import twin

    model = a1_network()
    tmodel = twin(model)
    cost = torch.nn.functional.mse_loss(tmodel(torch.tensor(X)), torch.tensor(T), reduction="sum")
    cost.backward()
    assert cost.item() == 225.0
    assert tmodel[2].weight.grad.tolist() == [[120, 0, 330]]
    assert tmodel[0].weight.grad[0, 0].item() == -30
    torch.optim.SGD(tmodel.parameters(), lr=0.05).step()
    np.testing.assert_allclose(tmodel[2].weight.detach().numpy(), [[-7, 3, -14.5]], rtol=1e-6)
