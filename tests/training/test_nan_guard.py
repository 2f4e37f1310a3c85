"""Non-finite values stop the run cleanly, naming the iteration and the layer."""

import re
from collections import OrderedDict

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.data import DataLoader
from chainrule.training import NonFiniteError, Trainer, fit

from .helpers import digits

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def hand_cross_entropy(p, t):
    """Exercise C3's cross-entropy on probabilities: -Σ t·log(p), t one-hot."""
    onehot = cr.tensor(np.eye(10, dtype=np.float32)[t.numpy()])
    return -(onehot * p.log()).sum() / len(t)


def c3_model():
    layers, fan_in = [], 64
    for width in (200, 100, 60, 30):
        layers += [nn.Linear(fan_in, width), nn.ReLU()]
        fan_in = width
    return nn.Sequential(*layers, nn.Linear(fan_in, 10), nn.Softmax(dim=1))


class Log(nn.Module):
    def forward(self, x):
        return x.log()


class Sqrt(nn.Module):
    def forward(self, x):
        return x.sqrt()


def loader(x=None, batch_size=100):
    dx, dy, _, _ = digits()
    return DataLoader(dx if x is None else x, dy, batch_size=batch_size, shuffle=True, seed=0)


def test_c3_softmax_then_log_names_the_iteration_and_the_softmax_layer():
    """C3: five layers, softmax output, hand-written cross-entropy, a learning rate too high:
    a probability underflows to exactly 0 and 0·log(0) = nan."""
    cr.manual_seed(0)
    model = c3_model()
    opt = optim.Adam(model.parameters(), lr=0.03)
    steps = []
    trainer = Trainer(model, hand_cross_entropy, opt, loader(), progress=lambda i, total, logs: steps.append(i))
    with pytest.raises(NonFiniteError) as info:
        trainer.fit(iterations=300)
    error = info.value
    assert error.kind == "loss" and error.layer == "9" and error.layer_type == "Softmax"
    assert error.iteration == len(steps) + 1 and 1 < error.iteration <= 300  # 64 here
    message = str(error)
    assert re.match(f"training stopped at iteration {error.iteration}: the loss is (nan|inf)", message)
    assert "the loss function (hand_cross_entropy) produced it, first in its Log op (log of" in message
    assert re.search(r"The model's output \(from layer 9 \(Softmax\)\) holds [0-9]+ exact zero\(s\)", message)
    assert "nn.CrossEntropyLoss" in message
    # Stopped cleanly: the weights are those after iteration 63, all finite.
    assert all(np.isfinite(p.data).all() for p in model.parameters())
    assert trainer.iteration == error.iteration - 1 == trainer.history.iteration[-1]


def test_the_same_run_with_cross_entropy_on_logits_trains_on():
    cr.manual_seed(0)
    model = c3_model()
    model = nn.Sequential(*list(model)[:-1])  # logits
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.03), loader(), iterations=70)
    assert np.isfinite(history.train_loss).all()


def test_the_first_layer_whose_output_is_not_finite_is_named_by_its_dotted_path():
    cr.manual_seed(0)
    model = nn.Sequential(OrderedDict(
        features=nn.Sequential(nn.Linear(64, 10), nn.Softmax(dim=1)),
        head=nn.Sequential(nn.Identity(), Log()),
    ))
    model.features[0].weight.data[...] = 0
    model.features[0].weight.data[0] = 50.0  # class 0 takes all the probability: the others underflow to 0
    rng_before = cr.get_rng_state()
    with pytest.raises(NonFiniteError) as info:
        fit(model, nn.NLLLoss(), optim.SGD(model.parameters(), lr=0.1), loader(), iterations=3)
    error = info.value
    assert (error.iteration, error.kind, error.layer, error.layer_type) == (1, "forward", "head.1", "Log")
    assert "iteration 1" in str(error) and "is layer head.1 (Log)" in str(error)
    assert "of its 1000 output values are inf, first in its Log op (log of" in str(error)
    assert cr.get_rng_state() == rng_before


def test_an_overflowing_layer_is_named():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    model[0].weight.data *= 1e4
    x, _, _, _ = digits()
    with pytest.raises(NonFiniteError, match=r"iteration 1\b.*is layer 0 \(Linear\): [0-9]+ of its 3200 output "
                                             r"values are inf, first in its Linear op") as info:
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), loader(x * 1e36), iterations=2)
    assert info.value.layer == "0"


def test_a_loss_that_overflows_on_finite_outputs_is_blamed_on_the_loss_function():
    model = nn.Sequential(nn.Linear(64, 10))
    x, _, _, _ = digits()
    with pytest.raises(NonFiniteError, match=r"the loss is inf\. Every layer's output is finite: the loss function "
                                             r"\(CrossEntropyLoss\) produced it, first in its CrossEntropy op.*"
                                             r"comes from layer 0 \(Linear\)") as info:
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), loader(x * 3e37), iterations=2)
    assert (info.value.kind, info.value.layer) == ("loss", "0")


def test_a_non_finite_input_batch_is_reported_as_such():
    x, _, _, _ = digits()
    x = x.copy()
    x[:, 5] = np.nan
    model = nn.Sequential(nn.Linear(64, 10))
    with pytest.raises(NonFiniteError, match="the input batch itself holds 100 nan value") as info:
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), loader(x), iterations=2)
    assert info.value.kind == "input"


def test_a_gradient_that_goes_non_finite_under_a_finite_loss_names_the_parameter_and_the_layer():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), Sqrt(), nn.Linear(16, 10))  # d√x/dx = inf at 0
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    opt = optim.Adam(model.parameters(), lr=0.01)
    with pytest.raises(NonFiniteError) as info:
        fit(model, nn.CrossEntropyLoss(), opt, loader(), iterations=3)
    error = info.value
    assert (error.iteration, error.kind) == (1, "gradient")
    assert error.parameters == ["0.weight", "0.bias"]
    assert (error.layer, error.layer_type) == ("2", "Sqrt")
    message = str(error)
    assert "the loss (" in message and ") is finite but the gradient of parameter 0.weight (layer 0 (Linear)) is nan" in message
    assert "in the backward pass of layer 2 (Sqrt)" in message
    # Nothing was updated: the optimiser never saw the bad gradient.
    assert all(np.array_equal(before[k], v.numpy()) for k, v in model.state_dict().items())
    assert opt.state == {}


def test_gradient_checks_can_be_switched_off():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), Sqrt(), nn.Linear(16, 10))
    with pytest.raises(NonFiniteError, match="iteration 2.*is layer 0 \\(Linear\\)"):  # NaN weights next time
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.01), loader(), iterations=3,
            check_gradients=False)
