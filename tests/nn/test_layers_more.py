"""The layers beyond test_layers.py against PyTorch: activations, LayerNorm, Embedding,
AdaptiveAvgPool2d, the dict/parameter containers, and F.one_hot / F.pad.

Each layer is built next to the PyTorch layer of the same name and arguments, the weights
go across through the receiver's own ``load_state_dict`` (so the keys must be PyTorch's),
and outputs, input gradients and parameter gradients are compared in float32 (rtol 1e-5,
absolute floor 1e-6 of the largest value, as ``torch_twin.assert_close``). The ops behind the
functional forms are also checked against finite differences in float64.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_twin import torch_single_thread  # noqa: E402,F401  (fixture)

pytestmark = pytest.mark.usefixtures("torch_single_thread")

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402
from chainrule.errors import ShapeError  # noqa: E402
from chainrule.nn import functional as F  # noqa: E402
from gradcheck import fd_check, randn  # noqa: E402
from torch_twin import DIRECTIONS, assert_close, assert_grads_close, assert_states_close  # noqa: E402

TF = torch.nn.functional


def _x(*shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def _np(t) -> np.ndarray:
    return t.detach().numpy()


def pair(layer: nn.Module, tlayer: torch.nn.Module, direction: str, seed: int = 0):
    """``layer`` and ``tlayer`` holding the same weights, sent across in ``direction``; PyTorch's
    side is shaken up first (its constant inits, such as LayerNorm's ones, would hide a mix-up)."""
    if direction == "chainrule->torch":
        for p in layer.parameters():
            p._data[...] = np.random.default_rng(seed).uniform(-1, 1, p.shape)
        result = tlayer.load_state_dict({k: torch.from_numpy(_np(v).copy()) for k, v in layer.state_dict().items()})
    else:
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for p in tlayer.parameters():
                p.copy_(torch.rand(p.shape, generator=gen) * 2 - 1)
        result = layer.load_state_dict(tlayer.state_dict(), strict=True)
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
    assert_states_close(layer, tlayer, rtol=0, scale_atol=0)
    return layer, tlayer


def compare(layer, tlayer, x, direction="chainrule->torch", rtol=1e-5, seed=0, input_grad=True):
    """Forward and backward (a random upstream gradient) of the pair; returns both outputs."""
    layer, tlayer = pair(layer, tlayer, direction, seed)
    xc = cr.tensor(x, requires_grad=input_grad)
    xt = torch.from_numpy(np.array(x)).requires_grad_(input_grad)
    yc, yt = layer(xc), tlayer(xt)
    assert yc.dtype == np.float32
    assert_close(_np(yc), yt, rtol=rtol, what="output")
    g = np.random.default_rng(seed + 1).standard_normal(yt.shape).astype(np.float32)
    yc.backward(cr.tensor(g))
    yt.backward(torch.from_numpy(g))
    if input_grad:
        assert_close(xc.grad.numpy(), xt.grad, rtol=rtol, what="input grad")
    assert_grads_close(layer, tlayer, rtol=rtol)
    return yc, yt


# ---------------------------------------------------------------- activations
ACTIVATIONS = [
    ("GELU", {}), ("GELU", {"approximate": "tanh"}), ("SiLU", {}), ("Mish", {}),
    ("Softplus", {}), ("Softplus", {"beta": 2.0, "threshold": 3.0}),
    ("Hardtanh", {}), ("Hardtanh", {"min_val": -0.5, "max_val": 2.0}), ("ReLU6", {}),
    ("LeakyReLU", {"negative_slope": 0.2}), ("ELU", {"alpha": 0.7}),
]


@pytest.mark.parametrize("name,kwargs", ACTIVATIONS, ids=[f"{n}{k or ''}" for n, k in ACTIVATIONS])
def test_activation_modules(name, kwargs):
    layer, tlayer = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(layer) == repr(tlayer)
    compare(layer, tlayer, _x(4, 3, 5, scale=4.0))


def test_activation_module_defaults_are_torchs():
    import inspect

    for name in ["GELU", "SiLU", "Mish", "Softplus", "ReLU6", "LeakyReLU", "ELU", "ReLU"]:
        ours = inspect.signature(getattr(nn, name)).parameters
        theirs = inspect.signature(getattr(torch.nn, name)).parameters
        assert {k: v.default for k, v in ours.items()} == {k: v.default for k, v in theirs.items()}, name
    # Hardtanh: PyTorch also takes the deprecated min_value/max_value aliases
    ours = inspect.signature(nn.Hardtanh).parameters
    theirs = inspect.signature(torch.nn.Hardtanh).parameters
    assert {k: v.default for k, v in ours.items()} == {k: theirs[k].default for k in ours}


@pytest.mark.parametrize("name", ["LayerNorm", "Embedding", "AdaptiveAvgPool2d", "ModuleDict", "ParameterList",
                                  "ParameterDict"])
def test_layer_signatures_are_torchs(name):
    import inspect

    ours = inspect.signature(getattr(nn, name)).parameters
    theirs = inspect.signature(getattr(torch.nn, name)).parameters
    assert [p for p in ours] == [p for p in theirs if p != "device"]
    assert all(ours[p].default == theirs[p].default for p in ours)


def test_hardtanh_module_rejects_min_above_max():
    with pytest.raises(ValueError, match="min_val"):
        nn.Hardtanh(1.0, -1.0)


# ---------------------------------------------------------------- LayerNorm
LAYER_NORM_CASES = [
    # normalized_shape, input shape, kwargs
    (5, (4, 5), {}),
    (5, (2, 3, 5), {}),
    ((3, 5), (2, 3, 5), {}),
    ([2, 3, 4], (2, 2, 3, 4), {"eps": 1e-3}),
    (6, (3, 6), {"bias": False}),
    (6, (3, 6), {"elementwise_affine": False}),
]


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("shape,x_shape,kwargs", LAYER_NORM_CASES)
def test_layer_norm(direction, shape, x_shape, kwargs):
    layer, tlayer = nn.LayerNorm(shape, **kwargs), torch.nn.LayerNorm(shape, **kwargs)
    assert list(layer.state_dict()) == list(tlayer.state_dict())
    assert repr(layer) == repr(tlayer)
    compare(layer, tlayer, _x(*x_shape, scale=3.0) + 1.5, direction)


def test_layer_norm_starts_as_torch():
    layer, tlayer = nn.LayerNorm((2, 3)), torch.nn.LayerNorm((2, 3))
    assert layer.normalized_shape == tlayer.normalized_shape == (2, 3)
    assert_states_close(layer, tlayer, rtol=0, scale_atol=0)
    assert nn.LayerNorm(4, bias=False).bias is None
    no_affine = nn.LayerNorm(4, elementwise_affine=False)
    assert no_affine.weight is None and no_affine.bias is None and list(no_affine.parameters()) == []


def test_layer_norm_over_one_value_gives_the_bias_and_no_input_gradient():
    # x̂ = x − mean(x) = 0 exactly; PyTorch's input gradient there is float32 rounding noise
    layer, tlayer = pair(nn.LayerNorm(1), torch.nn.LayerNorm(1), "chainrule->torch")
    x = cr.tensor(_x(4, 1, scale=3.0), requires_grad=True)
    y = layer(x)
    np.testing.assert_array_equal(_np(y), np.broadcast_to(_np(layer.bias), (4, 1)))
    np.testing.assert_allclose(_np(y), _np(tlayer(torch.from_numpy(_np(x)))), atol=1e-6)
    (y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((4, 1)))
    np.testing.assert_array_equal(layer.bias.grad.numpy(), [12.0])


def test_layer_norm_float64_and_a_large_offset():
    # float64 all through; an offset of 1e4 must not swamp the variance
    x = randn(3, 8, seed=1) + 1e4
    ours = F.layer_norm(cr.tensor(x), (8,))
    assert ours.dtype == np.float64
    np.testing.assert_allclose(ours.numpy(), TF.layer_norm(torch.tensor(x), (8,)).numpy(), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("shape,x_shape", [((4,), (3, 4)), ((2, 3), (2, 2, 3))])
def test_layer_norm_fd(shape, x_shape):
    fd_check(lambda x, w, b: F.layer_norm(x, shape, w, b), randn(*x_shape, seed=2) * 2,
             randn(*shape, seed=3), randn(*shape, seed=4))
    fd_check(lambda x: F.layer_norm(x, shape, eps=0.1), randn(*x_shape, seed=5))


def test_layer_norm_functional_with_only_a_weight():
    x, w = _x(3, 4), _x(4, seed=1)
    xc, wc = cr.tensor(x, requires_grad=True), cr.tensor(w, requires_grad=True)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    yc, yt = F.layer_norm(xc, [4], wc), TF.layer_norm(xt, [4], wt)
    assert_close(_np(yc), yt)
    (yc * yc).sum().backward()
    (yt * yt).sum().backward()
    assert_close(xc.grad.numpy(), xt.grad)
    assert_close(wc.grad.numpy(), wt.grad)


def test_layer_norm_checks_shapes_like_torch():
    with pytest.raises(RuntimeError):
        TF.layer_norm(torch.zeros(2, 4), (5,))
    with pytest.raises(ShapeError, match=r"normalized_shape=\[5\] expects an input of shape \[\*, 5\], got \[2, 4\]"):
        F.layer_norm(cr.zeros(2, 4), (5,))
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[2, 3, 4\]"):
        F.layer_norm(cr.zeros(3, 4), (2, 3, 4))
    with pytest.raises(ShapeError, match=r"weight has shape \[3\], normalized_shape is \[4\]"):
        F.layer_norm(cr.zeros(2, 4), (4,), cr.ones(3))
    with pytest.raises(ValueError, match="LayerNorm"):  # the layer is named
        nn.LayerNorm(5)(cr.zeros(2, 4))


# ---------------------------------------------------------------- Embedding
@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("padding_idx", [None, 0, 3, -1])
def test_embedding(direction, padding_idx):
    layer = nn.Embedding(7, 4, padding_idx=padding_idx)
    tlayer = torch.nn.Embedding(7, 4, padding_idx=padding_idx)
    assert layer.padding_idx == tlayer.padding_idx
    assert repr(layer) == repr(tlayer)
    assert list(layer.state_dict()) == list(tlayer.state_dict()) == ["weight"]
    index = np.array([[0, 3, 3, 6], [1, 3, 0, 0], [6, 6, 6, 2]])  # repeats accumulate
    layer, tlayer = pair(layer, tlayer, direction)
    yc, yt = layer(cr.tensor(index)), tlayer(torch.from_numpy(index))
    assert yc.shape == (3, 4, 4)
    assert_close(_np(yc), yt, rtol=0, scale_atol=0)
    g = _x(3, 4, 4, seed=2)
    yc.backward(cr.tensor(g))
    yt.backward(torch.from_numpy(g))
    assert_grads_close(layer, tlayer)
    if padding_idx is not None:
        assert not np.any(layer.weight.grad.numpy()[padding_idx])


def test_embedding_init_as_torch():
    cr.manual_seed(0)
    layer = nn.Embedding(1000, 50, padding_idx=5)
    w = _np(layer.weight)
    assert w.dtype == np.float32 and w.shape == (1000, 50)
    assert not np.any(w[5])
    rest = np.delete(w, 5, axis=0)
    assert rest.std() == pytest.approx(1.0, rel=0.02) and abs(rest.mean()) < 0.02  # N(0, 1)


@pytest.mark.parametrize("freeze", [True, False])
def test_embedding_from_pretrained(freeze):
    table = randn(6, 3, seed=12).astype(np.float32)
    cr.manual_seed(0)
    state = cr.random.get_rng_state()
    layer = nn.Embedding.from_pretrained(cr.tensor(table), freeze=freeze, padding_idx=2)
    assert cr.random.get_rng_state() == state  # nothing drawn
    tlayer = torch.nn.Embedding.from_pretrained(torch.from_numpy(table), freeze=freeze, padding_idx=2)
    assert layer.weight.requires_grad == tlayer.weight.requires_grad == (not freeze)
    assert repr(layer) == repr(tlayer)
    index = np.array([[2, 0, 5], [5, 5, 1]])
    yc, yt = layer(cr.tensor(index)), tlayer(torch.from_numpy(index))
    np.testing.assert_array_equal(_np(yc), yt.detach().numpy())  # the padding row is kept as given
    if not freeze:
        yc.sum().backward()
        yt.sum().backward()
        np.testing.assert_array_equal(layer.weight.grad.numpy(), tlayer.weight.grad.numpy())
    with pytest.raises(ValueError, match="must be 2-d"):
        nn.Embedding.from_pretrained(cr.zeros(3))


def test_embedding_gradient_sums_repeated_indices():
    w = cr.tensor(randn(4, 2, seed=6), requires_grad=True)
    F.embedding(cr.tensor([2, 2, 2, 0]), w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[1, 1], [0, 0], [3, 3], [0, 0]])


def test_embedding_padding_row_keeps_its_values_in_the_output():
    # F.embedding returns the padding row as it is (only its gradient is cut), as PyTorch
    w = randn(5, 3, seed=7).astype(np.float32)
    ours = F.embedding(cr.tensor([[1, 4]]), cr.tensor(w, requires_grad=True), padding_idx=4)
    theirs = TF.embedding(torch.tensor([[1, 4]]), torch.tensor(w), padding_idx=4)
    np.testing.assert_array_equal(_np(ours), theirs.numpy())
    assert np.any(_np(ours)[0, 1])


def test_embedding_fd():
    index = cr.tensor([[0, 2], [2, 1], [0, 0]])
    fd_check(lambda w: F.embedding(index, w), randn(3, 4, seed=8))


def test_embedding_errors_name_the_problem():
    w = cr.randn(5, 2)
    with pytest.raises(TypeError, match="indices must be an integer tensor"):
        F.embedding(cr.tensor([1.0, 2.0]), w)
    with pytest.raises(RuntimeError):  # the same error, caught as PyTorch code does
        F.embedding(cr.tensor([1.0]), w)
    with pytest.raises(IndexError, match="index 5 is out of range for 5 embeddings"):
        F.embedding(cr.tensor([0, 5]), w)
    with pytest.raises(IndexError, match="index -1"):
        F.embedding(cr.tensor([-1]), w)
    with pytest.raises(IndexError):
        TF.embedding(torch.tensor([0, 5]), torch.randn(5, 2))
    with pytest.raises(ValueError, match="padding_idx 5 must be within num_embeddings"):
        nn.Embedding(5, 2, padding_idx=5)
    with pytest.raises(NotImplementedError, match="max_norm"):
        nn.Embedding(5, 2, max_norm=1.0)(cr.tensor([0]))


# ---------------------------------------------------------------- pooling
POOL_CASES = [
    # output_size, input shape
    (1, (2, 3, 7, 5)),  # global average pooling
    (2, (2, 3, 8, 8)),  # divisible: plain windows
    ((3, 2), (1, 2, 7, 5)),  # non-divisible: overlapping windows
    ((None, 3), (2, 2, 6, 7)),  # None keeps the height
    ((4, None), (2, 5, 9)),  # 3-d [C, H, W]
    (5, (1, 1, 3, 4)),  # larger than the input: windows repeat rows
]


@pytest.mark.parametrize("output_size,shape", POOL_CASES)
def test_adaptive_avg_pool2d(output_size, shape):
    layer, tlayer = nn.AdaptiveAvgPool2d(output_size), torch.nn.AdaptiveAvgPool2d(output_size)
    assert repr(layer) == repr(tlayer)
    yc, yt = compare(layer, tlayer, _x(*shape, scale=2.0))
    assert yc.shape == tuple(yt.shape)


def test_adaptive_avg_pool2d_fd():
    fd_check(lambda x: F.adaptive_avg_pool2d(x, (3, 2)), randn(2, 2, 7, 5, seed=10))


def test_adaptive_avg_pool2d_errors():
    with pytest.raises(ValueError, match="3-d or 4-d input"):
        F.adaptive_avg_pool2d(cr.zeros(4, 4), 2)
    with pytest.raises(ValueError, match="must be positive"):
        F.adaptive_avg_pool2d(cr.zeros(1, 4, 4), 0)


@pytest.mark.parametrize("args", [(2,), (3, 1), (3, 2, 1), (2, None, 1)])
def test_avg_pool2d_defaults_as_torch(args):
    # stride defaults to the kernel size; zero padding counts in the mean (count_include_pad)
    layer, tlayer = nn.AvgPool2d(*args), torch.nn.AvgPool2d(*args)
    compare(layer, tlayer, _x(2, 3, 7, 6))


def test_identity_passes_its_input_through():
    x = cr.tensor(_x(3, 2), requires_grad=True)
    y = nn.Identity()(x)
    y.sum().backward()
    np.testing.assert_array_equal(_np(y), _np(x))
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((3, 2)))


# ---------------------------------------------------------------- containers
class _Heads(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.heads = torch.nn.ModuleDict({"cls": torch.nn.Linear(4, 3), "act": torch.nn.Tanh(),
                                          "box": torch.nn.Linear(4, 2)})
        self.scales = torch.nn.ParameterList([torch.nn.Parameter(torch.ones(3)), torch.nn.Parameter(torch.ones(2))])
        self.extra = torch.nn.ParameterDict({"shift": torch.nn.Parameter(torch.zeros(3))})

    def forward(self, x):
        a = self.heads["act"](self.heads["cls"](x)) * self.scales[0] + self.extra["shift"]
        return torch.cat([a, self.heads["box"](x) * self.scales[1]], dim=1)


class Heads(nn.Module):
    def __init__(self):
        super().__init__()
        self.heads = nn.ModuleDict({"cls": nn.Linear(4, 3), "act": nn.Tanh(), "box": nn.Linear(4, 2)})
        self.scales = nn.ParameterList([nn.Parameter(cr.ones(3)), nn.Parameter(cr.ones(2))])
        self.extra = nn.ParameterDict({"shift": nn.Parameter(cr.zeros(3))})

    def forward(self, x):
        a = self.heads["act"](self.heads["cls"](x)) * self.scales[0] + self.extra["shift"]
        return cr.cat([a, self.heads["box"](x) * self.scales[1]], dim=1)


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_containers_state_dict_keys_and_gradients_match_torch(direction):
    model, tmodel = Heads(), _Heads()
    assert list(model.state_dict()) == list(tmodel.state_dict()) == [
        "heads.cls.weight", "heads.cls.bias", "heads.box.weight", "heads.box.bias",
        "scales.0", "scales.1", "extra.shift"]
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in tmodel.named_parameters()]
    compare(model, tmodel, _x(5, 4), direction)


def test_module_dict_behaves_as_a_dict():
    d = nn.ModuleDict([("a", nn.ReLU()), ("b", nn.Linear(2, 2))])
    assert list(d) == list(d.keys()) == ["a", "b"] and len(d) == 2 and "a" in d and "z" not in d
    d["c"] = nn.Tanh()
    d.update({"a": nn.Sigmoid()})  # replacing keeps the position, as a dict
    assert list(d) == ["a", "b", "c"] and isinstance(d["a"], nn.Sigmoid) and d.c is d["c"]
    assert isinstance(d.pop("b"), nn.Linear) and list(d) == ["a", "c"] and not list(d.parameters())
    del d["a"]
    assert list(d.items()) == [("c", d["c"])]
    d.clear()
    assert len(d) == 0
    with pytest.raises(KeyError):
        d["missing"]
    with pytest.raises(NotImplementedError):  # a ModuleDict has no forward, as in PyTorch
        d(cr.zeros(1))


def test_parameter_list_behaves_as_a_list():
    plist = nn.ParameterList([cr.ones(2), np.zeros(3, np.float32)])  # non-Parameters are wrapped
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in plist)
    plist.append(nn.Parameter(cr.ones(1)))
    plist.extend([cr.ones(4)])
    assert len(plist) == 4 and [p.shape for p in plist] == [(2,), (3,), (1,), (4,)]
    assert plist[-1].shape == (4,) and plist[1] is plist._parameters["1"]
    plist[0] = cr.zeros(5)
    assert plist[0].shape == (5,) and list(plist.state_dict()) == ["0", "1", "2", "3"]
    with pytest.raises(IndexError):
        plist[4] = cr.zeros(1)
    tlist = torch.nn.ParameterList([torch.nn.Parameter(torch.ones(s)) for s in (5, 3, 1, 4)])
    plist.load_state_dict(tlist.state_dict())
    np.testing.assert_array_equal(_np(plist[0]), np.ones(5))


def test_parameter_dict_behaves_as_a_dict():
    pdict = nn.ParameterDict({"w": cr.ones(2, 2)})
    pdict["b"] = nn.Parameter(cr.zeros(2))
    pdict.update([("c", cr.ones(1))])
    assert list(pdict) == ["w", "b", "c"] and "b" in pdict and len(pdict) == 3
    assert isinstance(pdict["c"], nn.Parameter) and pdict.w is pdict["w"]
    assert pdict.pop("c").shape == (1,) and list(pdict.keys()) == ["w", "b"]
    assert [k for k, _ in pdict.items()] == ["w", "b"] and len(list(pdict.values())) == 2



def test_parameter_dict_key_order_is_torchs():
    # a plain dict is taken in sorted key order, an OrderedDict or pairs in their own order
    from collections import OrderedDict

    for make in [dict, OrderedDict, list]:
        items = [("w", np.ones(2, np.float32)), ("b", np.zeros(2, np.float32)), ("k", np.ones(1, np.float32))]
        ours = nn.ParameterDict(make(items) if make is not list else items)
        theirs = torch.nn.ParameterDict(make((k, torch.from_numpy(v)) for k, v in items) if make is not list
                                        else [(k, torch.from_numpy(v)) for k, v in items])
        assert list(ours.state_dict()) == list(theirs.state_dict()), make
    assert list(nn.ParameterDict({"w": cr.ones(1), "b": cr.ones(1)})) == ["b", "w"]


# ---------------------------------------------------------------- one_hot
@pytest.mark.parametrize("index,num_classes", [([0, 2, 1], -1), ([[1, 0], [3, 3]], 5), (3, 4), ([], 3)])
def test_one_hot(index, num_classes):
    ours = F.one_hot(cr.tensor(index, dtype=cr.int64), num_classes)
    theirs = TF.one_hot(torch.tensor(index, dtype=torch.int64), num_classes)
    assert ours.dtype == np.int64 and not ours.requires_grad
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.shape == tuple(theirs.shape)


def test_one_hot_errors_name_the_problem():
    with pytest.raises(ValueError, match="smaller than num_classes=3, got 3"):
        F.one_hot(cr.tensor([0, 3]), 3)
    with pytest.raises(RuntimeError, match="non-negative, got -1"):
        F.one_hot(cr.tensor([-1, 0]))
    with pytest.raises(TypeError, match="integer tensor"):
        F.one_hot(cr.tensor([1.0]))
    with pytest.raises(RuntimeError, match="empty tensor"):
        F.one_hot(cr.tensor([], dtype=cr.int64))


# ---------------------------------------------------------------- pad
PAD_CASES = [
    # shape, pad, mode, value
    ((2, 3, 4), (1, 2), "constant", None),
    ((2, 3, 4), (1, 0, 0, 2), "constant", 1.5),
    ((2, 3, 4), (-1, 2, 1, -2), "constant", -3.0),  # negative amounts crop
    ((2, 3, 4, 5), (1, 1, 2, 2, 0, 1, 1, 0), "constant", None),  # all four dimensions
    ((2, 3, 5), (2, 3), "reflect", None),
    ((2, 3, 4, 5), (3, 1, 2, 3), "reflect", None),
    ((3, 4, 5), (-1, 3, 2, 0), "reflect", None),
    ((2, 3, 4), (3, 5), "replicate", None),
    ((2, 2, 3, 4, 5), (1, 2, 0, 3, 2, 1), "replicate", None),
    ((2, 3, 4, 5), (5, 1, 4, 2), "circular", None),
    ((2, 3, 5), (-1, 2), "circular", None),
]


@pytest.mark.parametrize("shape,pad,mode,value", PAD_CASES)
def test_pad(shape, pad, mode, value):
    x = _x(*shape)
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    kwargs = {} if value is None else {"value": value}
    yc, yt = F.pad(xc, pad, mode, **kwargs), TF.pad(xt, pad, mode, **kwargs)
    np.testing.assert_array_equal(_np(yc), yt.detach().numpy())
    g = _x(*yt.shape, seed=1)
    yc.backward(cr.tensor(g))
    yt.backward(torch.from_numpy(g))
    assert_close(xc.grad.numpy(), xt.grad)  # border copies accumulate in any order


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_fd(mode):
    fd_check(lambda x: F.pad(x, (2, 1, 1, 2), mode), randn(2, 3, 4, seed=11))


def test_pad_keeps_an_integer_dtype():
    ours = F.pad(cr.tensor([[1, 2]]), (1, 1), value=7)
    assert ours.dtype == np.int64
    np.testing.assert_array_equal(ours.numpy(), [[7, 1, 2, 7]])


def test_pad_errors_name_the_problem():
    x = cr.zeros(1, 2, 3)
    with pytest.raises(ValueError, match="divisible by 2"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(ValueError, match="more than twice"):
        F.pad(x, (1,) * 8)
    with pytest.raises(NotImplementedError, match="padding mode 'symmetric' is not supported"):
        F.pad(x, (1, 1), mode="symmetric")
    with pytest.raises(ValueError, match=r"reflect padding \(3, 0\) must be less than the dimension's size 3"):
        F.pad(x, (3, 0), mode="reflect")
    with pytest.raises(ValueError, match="more than once"):
        F.pad(x, (4, 0), mode="circular")
    with pytest.raises(ValueError, match="does not take a value"):
        F.pad(x, (1, 1), mode="replicate", value=1.0)
    with pytest.raises(NotImplementedError, match=r"mode 'reflect' pads 1 dimension\(s\) of a 2-d or 3-d input, got a 4-d"):
        F.pad(cr.zeros(1, 2, 3, 4), (1, 1), mode="reflect")
    with pytest.raises(NotImplementedError):  # PyTorch refuses the same combination
        TF.pad(torch.zeros(1, 2, 3, 4), (1, 1), mode="reflect")
