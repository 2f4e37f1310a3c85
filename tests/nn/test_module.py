"""Module behaviour: the tree's traversal order and names against PyTorch's, train()/eval(),
zero_grad, repr, ``.double()``, forward hooks, apply, buffers, and the LayerError a shape
mismatch inside a model raises."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

from .nets import c2_cnn, c6_cnn


def _torch():
    return pytest.importorskip("torch")


def _tree() -> nn.Sequential:
    """Nested containers, BatchNorm buffers, a bias-free layer and an OrderedDict-named stage."""
    return nn.Sequential(
        c6_cnn(),
        nn.Sequential(OrderedDict([("proj", nn.Linear(10, 6, bias=False)), ("act", nn.ReLU()),
                                   ("norm", nn.BatchNorm1d(6))])),
        nn.ModuleList([nn.Linear(6, 4), nn.Sequential(nn.Tanh(), nn.Linear(4, 2))]),
    )


# -------------------------------------------------------- traversal vs PyTorch
def test_traversal_names_and_order_equal_torchs():
    _torch()
    from torch_twin import build

    model = _tree()
    tmodel = build(model)

    def names(pairs):
        return [n for n, _ in pairs]

    assert names(model.named_parameters()) == names(tmodel.named_parameters())
    assert names(model.named_buffers()) == names(tmodel.named_buffers())
    assert names(model.named_children()) == names(tmodel.named_children())
    assert names(model.named_modules()) == names(tmodel.named_modules())
    assert names(model[0].named_parameters(prefix="net")) == names(tmodel[0].named_parameters(prefix="net"))
    assert names(model.named_parameters(recurse=False)) == [] == names(tmodel.named_parameters(recurse=False))
    assert [p.shape for p in model.parameters()] == [tuple(p.shape) for p in tmodel.parameters()]
    assert [b.shape for b in model.buffers()] == [tuple(b.shape) for b in tmodel.buffers()]
    assert [type(m).__name__ for m in model.modules()] == [type(m).__name__ for m in tmodel.modules()]
    assert [type(m).__name__ for m in model.children()] == [type(m).__name__ for m in tmodel.children()]
    assert list(model.state_dict()) == list(tmodel.state_dict())


def test_a_shared_module_is_listed_once_but_saved_under_every_name_as_in_torch():
    torch = _torch()
    shared = nn.Linear(3, 3)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    tshared = torch.nn.Linear(3, 3)
    tmodel = torch.nn.Sequential(tshared, torch.nn.ReLU(), tshared)
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in tmodel.named_parameters()] == ["0.weight", "0.bias"]
    assert [n for n, _ in model.named_modules()] == [n for n, _ in tmodel.named_modules()] == ["", "0", "1"]
    assert list(model.state_dict()) == list(tmodel.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    model.load_state_dict(tmodel.state_dict())  # PyTorch's dict for the same tree loads
    np.testing.assert_array_equal(shared.weight.detach().numpy(), tshared.weight.detach().numpy())


def test_apply_visits_children_before_parents_as_torch():
    _torch()
    from torch_twin import build

    model = _tree()
    ours, theirs = [], []
    model.apply(lambda m: ours.append(type(m).__name__))
    build(model).apply(lambda m: theirs.append(type(m).__name__))
    assert ours == theirs
    assert ours[-1] == "Sequential" and ours[0] == "Conv2d"


def test_sequential_indexing_as_torch():
    torch = _torch()
    from torch_twin import build

    model = c2_cnn()
    tmodel = build(model)
    assert len(model) == len(tmodel) == 7
    assert type(model[-1]).__name__ == type(tmodel[-1]).__name__ == "Linear"
    part, tpart = model[2:5], tmodel[2:5]
    assert isinstance(part, nn.Sequential) and isinstance(tpart, torch.nn.Sequential)
    assert [n for n, _ in part.named_children()] == [n for n, _ in tpart.named_children()] == ["2", "3", "4"]
    assert part[2] is model[4]  # the same layer objects
    assert [type(m).__name__ for m in model] == [type(m).__name__ for m in tmodel]
    grown = nn.Sequential(nn.Linear(2, 2)).append(nn.ReLU())
    assert [n for n, _ in grown.named_children()] == ["0", "1"]


# ------------------------------------------------------------------------ repr
def test_repr_equals_torchs_for_a_sequential_of_every_layer():
    _torch()
    from torch_twin import build

    model = nn.Sequential(
        nn.Conv2d(1, 4, 5, 1, 2), nn.Conv2d(4, 4, (3, 2), stride=(2, 1), bias=False), nn.ReLU(),
        nn.MaxPool2d(2), nn.MaxPool2d(3, 2, 1), nn.AvgPool2d(2), nn.AvgPool2d(3, 1, 1),
        nn.BatchNorm2d(4), nn.BatchNorm2d(4, momentum=None, affine=False), nn.Dropout(0.3), nn.Dropout(),
        nn.Flatten(), nn.Flatten(0, 2), nn.Linear(4, 3), nn.Linear(3, 3, bias=False), nn.BatchNorm1d(3),
        nn.LeakyReLU(), nn.LeakyReLU(0.2), nn.ELU(), nn.ELU(alpha=0.5), nn.Sigmoid(), nn.Tanh(),
        nn.Softmax(dim=1), nn.LogSoftmax(dim=-1), nn.Softmax(), nn.Identity(),
        nn.Sequential(nn.Linear(3, 2), nn.Sequential(nn.ReLU())),
    )
    assert repr(model) == repr(build(model))
    assert repr(c6_cnn()) == repr(build(c6_cnn()))


def test_repr_of_chainrule_only_and_empty_modules():
    assert repr(nn.Step()) == "Step()"
    assert repr(nn.Sequential()) == "Sequential()"
    assert repr(nn.Sequential(nn.Step())) == "Sequential(\n  (0): Step()\n)"
    assert repr(nn.Parameter(np.zeros(2, np.float32))).startswith("Parameter containing:\ntensor(")


# ------------------------------------------------------------- modes and grads
def test_train_and_eval_recurse_through_the_tree():
    model = _tree()
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model[0][1].eval()  # a subtree only
    assert not any(m.training for m in model[0][1].modules())
    assert model.training and model[0][0].training and model[1].training
    assert model.train(False) is model and not model[2][1][1].training


def test_zero_grad():
    model = c2_cnn()
    model(cr.randn(2, 1, 28, 28)).sum().backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and np.any(g.detach().numpy() != 0) for g in grads)
    model.zero_grad(set_to_none=False)
    assert [p.grad for p in model.parameters()] == grads  # the same gradient tensors, zeroed
    assert all(np.all(p.grad.detach().numpy() == 0) for p in model.parameters())
    model.zero_grad()  # PyTorch's default: set_to_none=True
    assert all(p.grad is None for p in model.parameters())


def test_gradients_accumulate_until_zeroed_as_in_torch():
    model = nn.Linear(3, 2)
    x = cr.randn(4, 3)
    model(x).sum().backward()
    once = model.weight.grad.detach().numpy().copy()
    model(x).sum().backward()
    np.testing.assert_allclose(model.weight.grad.detach().numpy(), 2 * once, rtol=1e-6)


def test_requires_grad_freezes_a_layer():
    model = c2_cnn()
    model[0].requires_grad_(False)
    assert [p.requires_grad for p in model.parameters()] == [False, False, True, True, True, True]
    model(cr.randn(2, 1, 28, 28)).sum().backward()
    assert model[0].weight.grad is None and model[4].weight.grad is not None


# ----------------------------------------------------------------- .double()
def test_double_converts_parameters_and_buffers_in_place():
    model = c6_cnn()
    model(cr.randn(2, 1, 28, 28)).sum().backward()
    params = list(model.parameters())
    optimiser = cr.optim.SGD(model.parameters(), lr=0.1)
    assert model.double() is model
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]  # the same objects
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in model.parameters())
    bn = model[0][3]
    assert bn.running_mean.dtype == bn.running_var.dtype == np.float64
    assert bn.num_batches_tracked.dtype == np.int64  # integers stay integers
    out = model(cr.randn(2, 1, 28, 28, dtype=np.float64))
    assert out.dtype == np.float64
    # an optimiser made before the conversion still moves the (now float64) weights
    before = params[-1].detach().numpy().copy()
    optimiser.step()
    assert params[-1].dtype == np.float64 and not np.array_equal(params[-1].detach().numpy(), before)
    model.float()
    assert all(p.dtype == np.float32 for p in model.parameters())


# --------------------------------------------------------------------- hooks
def test_forward_hooks_see_inputs_and_outputs_and_can_replace_the_output():
    model = c2_cnn()
    seen = []
    handles = [m.register_forward_hook(lambda mod, inputs, output: seen.append(
        (type(mod).__name__, tuple(inputs[0].shape), output.shape))) for m in model]
    x = cr.randn(3, 1, 28, 28)
    model(x)
    assert seen == [
        ("Conv2d", (3, 1, 28, 28), (3, 20, 24, 24)), ("ReLU", (3, 20, 24, 24), (3, 20, 24, 24)),
        ("MaxPool2d", (3, 20, 24, 24), (3, 20, 12, 12)), ("Flatten", (3, 20, 12, 12), (3, 2880)),
        ("Linear", (3, 2880), (3, 100)), ("ReLU", (3, 100), (3, 100)), ("Linear", (3, 100), (3, 10)),
    ]
    for h in handles:
        h.remove()
    seen.clear()
    model(x)
    assert seen == []
    handle = model.register_forward_hook(lambda mod, inputs, output: output * 0)
    assert np.all(model(x).detach().numpy() == 0)
    handle.remove()
    handle.remove()  # removing twice is harmless
    assert np.any(model(x).detach().numpy() != 0)


def test_hooks_run_in_registration_order_and_chain_their_results():
    layer = nn.Identity()
    layer.register_forward_hook(lambda m, i, o: o + 1)
    layer.register_forward_hook(lambda m, i, o: o * 10)
    assert layer(cr.tensor([1.0])).item() == 20.0


# ---------------------------------------------------------- registration
class _Custom(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        self.scale = nn.Parameter(np.ones(1, np.float32))
        self.register_buffer("calls", cr.zeros(1))
        self.register_buffer("scratch", cr.zeros(2), persistent=False)
        self.plain = cr.zeros(5)  # a plain tensor attribute: neither parameter nor buffer

    def forward(self, x):
        return self.encoder(x) * self.scale


def test_registration_and_persistence_as_torch():
    torch = _torch()

    class TorchCustom(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
            self.scale = torch.nn.Parameter(torch.ones(1))
            self.register_buffer("calls", torch.zeros(1))
            self.register_buffer("scratch", torch.zeros(2), persistent=False)
            self.plain = torch.zeros(5)

    ours, theirs = _Custom(), TorchCustom()
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()] == ["calls", "scratch"]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "scratch" not in ours.state_dict() and "plain" not in ours.state_dict()


def test_bad_assignments_raise_type_errors():
    model = _Custom()
    with pytest.raises(TypeError):
        model.scale = cr.zeros(1)  # a parameter's slot needs a Parameter
    with pytest.raises(TypeError):
        model.encoder = cr.zeros(1)
    with pytest.raises(TypeError):
        model.calls = np.zeros(1)
    model.scale = None  # allowed, as in PyTorch: the parameter disappears
    assert "scale" not in dict(model.named_parameters())

    class Early(nn.Module):
        def __init__(self):
            self.x = 1  # before Module.__init__
            super().__init__()

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


# ---------------------------------------------------------------- LayerError
def test_shape_mismatch_in_a_sequential_names_the_layer_and_both_shapes():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2), nn.ReLU(), nn.Linear(5, 2))
    with pytest.raises(nn.LayerError) as info:
        model(cr.randn(2, 4))
    error = info.value
    message = str(error)
    assert message.startswith("layer 4 Linear(in_features=5, out_features=2, bias=True):")
    assert "(2, 2)" in message and "(2, 5)" in message  # the input's shape and the weight's
    assert error.path == ["4"] and error.module is model[4] and isinstance(error.cause, ValueError)
    assert isinstance(error, ValueError)
    # a second failure reports the same path (nothing accumulates between calls)
    with pytest.raises(nn.LayerError) as again:
        model(cr.randn(2, 4))
    assert str(again.value) == message


def test_c2_on_the_wrong_image_size_blames_the_first_dense_layer():
    with pytest.raises(nn.LayerError) as info:
        c2_cnn()(cr.randn(2, 1, 32, 32))  # 20·14·14 = 3920 features, not 2880
    message = str(info.value)
    assert message.startswith("layer 4 Linear(in_features=2880")
    assert "3920" in message and "(100, 2880)" in message


def test_nested_paths_are_dotted():
    model = nn.Sequential(nn.Sequential(nn.Linear(4, 3)), nn.Sequential(nn.ReLU(), nn.Linear(4, 1)))
    with pytest.raises(nn.LayerError, match=r"^layer 1\.1 Linear\(in_features=4"):
        model(cr.randn(2, 4))
    block = nn.Sequential(nn.Sequential(nn.Conv2d(1, 3, 3), nn.Flatten(), nn.BatchNorm2d(3)))
    with pytest.raises(nn.LayerError, match=r"^layer 0\.2 BatchNorm2d\(3, .*expected 4-d input, got shape \(2, 48\)"):
        block(cr.randn(2, 1, 6, 6))


def test_a_custom_module_names_the_attribute_path():
    model = _Custom()
    model.encoder = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(7, 3))
    with pytest.raises(nn.LayerError, match=r"^layer encoder\.2 Linear\(in_features=7, .*\(2, 8\)"):
        model(cr.randn(2, 4))
