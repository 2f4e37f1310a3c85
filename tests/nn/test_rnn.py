"""RNN, LSTM, GRU and their cells against PyTorch: same weights (loaded both ways through
``load_state_dict`` with PyTorch's own keys), same input and initial state → same output,
final states, input and state gradients and parameter gradients.

float32, rtol 1e-5 with the absolute floor of ``torch_twin.assert_close``. The torch backend
has no recurrent layers, so the twins here are built with the same constructor arguments.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_twin import torch_single_thread  # noqa: E402,F401  (fixture)

pytestmark = pytest.mark.usefixtures("torch_single_thread")

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402
from chainrule.errors import ShapeError  # noqa: E402
from torch_twin import DIRECTIONS, assert_close, assert_grads_close, assert_states_close, t  # noqa: E402

# name, class name, extra constructor arguments
KINDS = [("rnn_tanh", "RNN", {}), ("rnn_relu", "RNN", {"nonlinearity": "relu"}),
         ("lstm", "LSTM", {}), ("gru", "GRU", {})]
KIND_IDS = [k[0] for k in KINDS]


def make_twins(cls_name: str, direction: str, *args, seed: int = 0, **kwargs):
    """The chainrule layer and the PyTorch one built with the same arguments, holding the
    same weights, sent across in ``direction`` through the receiver's ``load_state_dict``
    (PyTorch's state_dict converted to NumPy arrays one way, ``torch.from_numpy`` the other)."""
    layer, tm = getattr(nn, cls_name)(*args, **kwargs), getattr(torch.nn, cls_name)(*args, **kwargs)
    assert list(layer.state_dict()) == list(tm.state_dict())
    if direction == "chainrule->torch":
        result = tm.load_state_dict({k: t(v) for k, v in layer.state_dict().items()}, strict=True)
    else:
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for p in tm.parameters():  # weights unlike either framework's init
                p.copy_(torch.rand(p.shape, generator=gen) - 0.5)
        result = layer.load_state_dict({k: v.numpy() for k, v in tm.state_dict().items()}, strict=True)
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
    assert_states_close(layer, tm, rtol=0, scale_atol=0)  # the copy itself is exact
    return layer, tm


def _x(*shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def _flat(result):
    """``(output, h_n)`` or ``(output, (h_n, c_n))`` (or a cell's state) as a flat list."""
    if not isinstance(result, tuple):
        return [result]
    return [x for r in result for x in _flat(r)]


def run_both(layer, tm, x: np.ndarray, hx=None, seed: int = 0):
    """Forward in both frameworks and backward from a random upstream gradient on every
    output; compares outputs, input and initial-state gradients and parameter gradients."""
    hx = hx if hx is None or isinstance(hx, tuple) else (hx,)
    xc, xt = cr.tensor(x, requires_grad=True), t(x).requires_grad_(True)
    hc = None if hx is None else [cr.tensor(h, requires_grad=True) for h in hx]
    ht = None if hx is None else [t(h).requires_grad_(True) for h in hx]

    def state(hs):
        return None if hs is None else (tuple(hs) if len(hs) == 2 else hs[0])

    outs_c, outs_t = _flat(layer(xc, state(hc))), _flat(tm(xt, state(ht)))
    assert len(outs_c) == len(outs_t)
    rng = np.random.default_rng(seed + 1)
    loss_c, loss_t = 0, 0
    for i, (oc, ot) in enumerate(zip(outs_c, outs_t)):
        assert oc.dtype == np.float32
        assert_close(oc, ot, what=f"output {i}")
        g = rng.standard_normal(ot.shape).astype(np.float32)
        loss_c, loss_t = loss_c + (oc * cr.tensor(g)).sum(), loss_t + (ot * t(g)).sum()
    loss_c.backward()
    loss_t.backward()
    assert_close(xc.grad, xt.grad, what="input grad")
    for i, (a, b) in enumerate(zip(hc or [], ht or [])):
        assert_close(a.grad, b.grad, what=f"initial state {i} grad")
    assert_grads_close(layer, tm)
    return outs_c


def _states(kind: str, shape, seed=5):
    h = _x(*shape, seed=seed, scale=0.5)
    return (h, _x(*shape, seed=seed + 1)) if kind == "lstm" else h


# --------------------------------------------------------------------- whole sequences
@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("given_state", [False, True], ids=["zero_state", "given_state"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["seq_first", "batch_first"])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("kind,cls_name,extra", KINDS, ids=KIND_IDS)
def test_sequence_layers_match_torch(kind, cls_name, extra, num_layers, batch_first, bidirectional,
                                     given_state, direction):
    seq, batch, n_in, hidden = 5, 3, 4, 6
    layer, tm = make_twins(cls_name, direction, n_in, hidden, num_layers, batch_first=batch_first,
                           bidirectional=bidirectional, **extra)
    x = _x(*((batch, seq, n_in) if batch_first else (seq, batch, n_in)))
    directions = 2 if bidirectional else 1
    hx = _states(kind, (num_layers * directions, batch, hidden)) if given_state else None
    outs = run_both(layer, tm, x, hx)
    out_shape = (batch, seq, directions * hidden) if batch_first else (seq, batch, directions * hidden)
    assert outs[0].shape == out_shape
    assert all(h.shape == (num_layers * directions, batch, hidden) for h in outs[1:])
    assert len(outs) == (3 if kind == "lstm" else 2)


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("kind,cls_name,extra", KINDS, ids=KIND_IDS)
def test_without_bias(kind, cls_name, extra, direction):
    layer, tm = make_twins(cls_name, direction, 3, 5, 2, bias=False, bidirectional=True, **extra)
    assert [n for n, _ in layer.named_parameters()] == [
        f"weight_{w}_l{k}{s}" for k in range(2) for s in ("", "_reverse") for w in ("ih", "hh")]
    run_both(layer, tm, _x(4, 2, 3), _states(kind, (4, 2, 5)))


@pytest.mark.parametrize("given_state", [False, True], ids=["zero_state", "given_state"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["seq_first", "batch_first"])
@pytest.mark.parametrize("kind,cls_name,extra", KINDS, ids=KIND_IDS)
def test_unbatched_input(kind, cls_name, extra, batch_first, given_state):
    """A [seq, input_size] input (batch_first does not apply) and [layers·dirs, hidden] states."""
    layer, tm = make_twins(cls_name, "torch->chainrule", 4, 3, 2, batch_first=batch_first,
                           bidirectional=True, **extra)
    hx = _states(kind, (4, 3)) if given_state else None
    outs = run_both(layer, tm, _x(6, 4), hx)
    assert outs[0].shape == (6, 6) and all(h.shape == (4, 3) for h in outs[1:])


@pytest.mark.parametrize("kind,cls_name,extra", KINDS, ids=KIND_IDS)
def test_longer_sequence_and_larger_sizes(kind, cls_name, extra):
    """Errors compound over steps: 40 steps, 3 layers, wider layers."""
    layer, tm = make_twins(cls_name, "chainrule->torch", 16, 32, 3, **extra)
    run_both(layer, tm, _x(40, 8, 16), _states(kind, (3, 8, 32)))


def test_one_step_one_sample():
    layer, tm = make_twins("LSTM", "torch->chainrule", 1, 1)
    run_both(layer, tm, _x(1, 1, 1))


@pytest.mark.parametrize("kind,cls_name,extra", KINDS, ids=KIND_IDS)
def test_empty_batch(kind, cls_name, extra):
    layer = getattr(nn, cls_name)(4, 3, 2, **extra)
    out = _flat(layer(cr.zeros(5, 0, 4)))
    assert out[0].shape == (5, 0, 3) and all(h.shape == (2, 0, 3) for h in out[1:])


def test_float64():
    layer, tm = make_twins("GRU", "torch->chainrule", 3, 4, 2)
    layer.to(cr.float64)
    tm.double()
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    y, h = layer(cr.tensor(x))
    yt, ht = tm(torch.from_numpy(x))
    assert y.dtype == np.float64
    assert_close(y, yt, rtol=1e-12, scale_atol=1e-13)
    assert_close(h, ht, rtol=1e-12, scale_atol=1e-13)


def test_dtype_argument():
    layer = nn.LSTM(3, 4, dtype=cr.float64)
    assert all(p.dtype == np.float64 for p in layer.parameters())


# --------------------------------------------------------------------- dropout between layers
@pytest.mark.parametrize("kind,cls_name,extra", KINDS, ids=KIND_IDS)
def test_dropout_is_off_in_eval_mode(kind, cls_name, extra):
    layer, tm = make_twins(cls_name, "torch->chainrule", 4, 5, 3, dropout=0.5, **extra)
    layer.eval()
    tm.eval()
    run_both(layer, tm, _x(6, 2, 4))


@pytest.mark.parametrize("kind,cls_name,extra", KINDS, ids=KIND_IDS)
def test_dropout_one_in_training_zeroes_the_upper_layers_input(kind, cls_name, extra):
    """With p = 1 every layer above the first sees zeros: deterministic, so comparable."""
    layer, tm = make_twins(cls_name, "torch->chainrule", 4, 5, 2, dropout=1.0, **extra)
    assert layer.training and tm.training
    run_both(layer, tm, _x(6, 2, 4))


def test_dropout_in_training_only_between_layers():
    cr.manual_seed(0)
    layer = nn.LSTM(4, 8, 2, dropout=0.5)
    x = cr.tensor(_x(7, 3, 4))
    with cr.no_grad():
        layer.eval()
        y_eval, (h_eval, c_eval) = layer(x)
        layer.train()
        cr.manual_seed(1)
        y1, (h1, c1) = layer(x)
        cr.manual_seed(1)
        y2, _ = layer(x)
    np.testing.assert_array_equal(y1.numpy(), y2.numpy())  # follows the seed
    # the first layer's input is never dropped, the second's is
    np.testing.assert_array_equal(h1.numpy()[0], h_eval.numpy()[0])
    np.testing.assert_array_equal(c1.numpy()[0], c_eval.numpy()[0])
    assert not np.allclose(y1.numpy(), y_eval.numpy())
    assert not np.allclose(h1.numpy()[1], h_eval.numpy()[1])


def test_dropout_with_one_layer_warns_as_torch():
    with pytest.warns(UserWarning, match="num_layers greater than 1, but got dropout=0.5 and num_layers=1"):
        nn.GRU(3, 4, dropout=0.5)


# --------------------------------------------------------------------- cells
CELLS = [("rnn_tanh", "RNNCell", {}), ("rnn_relu", "RNNCell", {"nonlinearity": "relu"}),
         ("lstm", "LSTMCell", {}), ("gru", "GRUCell", {})]


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("given_state", [False, True], ids=["zero_state", "given_state"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("kind,cls_name,extra", CELLS, ids=[c[0] for c in CELLS])
def test_cells_match_torch(kind, cls_name, extra, batched, given_state, bias, direction):
    layer, tm = make_twins(cls_name, direction, 4, 6, bias=bias, **extra)
    expected_keys = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if bias else [])
    assert list(layer.state_dict()) == expected_keys
    lead = (3,) if batched else ()
    hx = _states(kind, lead + (6,)) if given_state else None
    outs = run_both(layer, tm, _x(*lead, 4), hx)
    assert all(o.shape == lead + (6,) for o in outs)
    assert len(outs) == (2 if kind == "lstm" else 1)


@pytest.mark.parametrize("kind,cell_name,layer_name,extra", [
    ("rnn_tanh", "RNNCell", "RNN", {}), ("lstm", "LSTMCell", "LSTM", {}), ("gru", "GRUCell", "GRU", {})])
def test_cell_unrolled_equals_the_layer(kind, cell_name, layer_name, extra):
    """A layer with one layer and one direction is its cell applied step after step."""
    layer = getattr(nn, layer_name)(3, 5, **extra)
    cell = getattr(nn, cell_name)(3, 5, **extra)
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})  # weight_ih_l0 → weight_ih
    x = cr.tensor(_x(6, 2, 3))
    state = None
    outputs = []
    for step in range(6):
        state = cell(x[step], state)
        outputs.append(state[0] if kind == "lstm" else state)
    y, _ = layer(x)
    np.testing.assert_allclose(cr.stack(outputs).detach().numpy(), y.detach().numpy(), rtol=1e-6, atol=1e-7)


# --------------------------------------------------------------------- init, repr, API
@pytest.mark.parametrize("cls_name,gates", [("RNN", 1), ("LSTM", 4), ("GRU", 3)])
def test_init_and_shapes_as_torch(cls_name, gates):
    cr.manual_seed(0)
    layer = getattr(nn, cls_name)(10, 64, 2, bidirectional=True)
    tm = getattr(torch.nn, cls_name)(10, 64, 2, bidirectional=True)
    assert [(n, p.shape) for n, p in layer.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in tm.named_parameters()]
    assert layer.weight_ih_l0.shape == (gates * 64, 10)
    assert layer.weight_ih_l1_reverse.shape == (gates * 64, 128)
    bound = 1 / math.sqrt(64)
    for name, p in layer.named_parameters():
        values = p.detach().numpy()
        assert values.dtype == np.float32 and p.requires_grad, name
        assert np.abs(values).max() <= bound, name
        assert np.abs(values).max() > 0.9 * bound, name  # U(−b, b), not a narrower range
    everything = np.concatenate([p.detach().numpy().ravel() for p in layer.parameters()])
    assert everything.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert abs(everything.mean()) < 0.01 * bound * 10
    cr.manual_seed(0)
    again = getattr(nn, cls_name)(10, 64, 2, bidirectional=True)
    np.testing.assert_array_equal(again.weight_hh_l1.detach().numpy(), layer.weight_hh_l1.detach().numpy())


@pytest.mark.parametrize("cls_name,kwargs", [
    ("RNN", {}), ("RNN", {"nonlinearity": "relu", "num_layers": 2}), ("LSTM", {"bias": False, "batch_first": True}),
    ("GRU", {"num_layers": 3, "dropout": 0.25, "bidirectional": True}),
    ("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu", "bias": False}), ("LSTMCell", {}), ("GRUCell", {"bias": False}),
])
def test_repr_and_attributes_as_torch(cls_name, kwargs):
    layer, tm = getattr(nn, cls_name)(4, 3, **kwargs), getattr(torch.nn, cls_name)(4, 3, **kwargs)
    assert repr(layer) == repr(tm)
    names = ["input_size", "hidden_size", "bias"]
    if "Cell" not in cls_name:
        names += ["num_layers", "batch_first", "dropout", "bidirectional", "mode"]
    if cls_name.startswith("RNN"):
        names.append("nonlinearity")
    for name in names:
        assert getattr(layer, name) == getattr(tm, name), name


def test_positional_arguments_in_torch_order():
    rnn = nn.RNN(4, 3, 2, "relu", False, True, 0.1, True)
    assert (rnn.num_layers, rnn.nonlinearity, rnn.bias, rnn.batch_first, rnn.dropout, rnn.bidirectional) == (
        2, "relu", False, True, 0.1, True)
    lstm = nn.LSTM(4, 3, 2, False, True, 0.1, True)
    assert (lstm.num_layers, lstm.bias, lstm.batch_first, lstm.dropout, lstm.bidirectional) == (2, False, True, 0.1, True)
    cell = nn.RNNCell(4, 3, False, "relu")
    assert (cell.bias, cell.nonlinearity) == (False, "relu")


def test_all_weights_and_flatten_parameters():
    layer = nn.LSTM(4, 3, 2, bidirectional=True)
    tm = torch.nn.LSTM(4, 3, 2, bidirectional=True)
    assert [[p.shape for p in group] for group in layer.all_weights] == [
        [tuple(p.shape) for p in group] for group in tm.all_weights]
    assert layer.all_weights[1][0] is layer.weight_ih_l0_reverse
    layer.flatten_parameters()  # GPU code calls it; nothing to do, nothing changes
    assert layer.all_weights[1][0] is layer.weight_ih_l0_reverse


def test_trains_with_an_optimiser():
    """The gradients drive learning: an LSTM learns to output the running mean of its input."""
    cr.manual_seed(0)
    model = nn.LSTM(1, 8, batch_first=True)
    head = nn.Linear(8, 1)
    opt = cr.optim.Adam(list(model.parameters()) + list(head.parameters()), lr=0.02)
    x = cr.tensor(_x(16, 10, 1))
    target = cr.tensor(np.cumsum(x.numpy(), 1) / np.arange(1, 11, dtype=np.float32)[:, None])
    losses = []
    for _ in range(60):
        opt.zero_grad()
        out, _ = model(x)
        loss = ((head(out) - target) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]


# --------------------------------------------------------------------- errors
def _raises(exc, pattern, fn):
    with pytest.raises(exc, match=pattern) as info:
        fn()
    return info.value


@pytest.mark.parametrize("cls_name", ["RNN", "LSTM", "GRU"])
def test_wrong_input_size_names_layer_and_expected_size(cls_name):
    layer = getattr(nn, cls_name)(4, 3)
    error = _raises(ValueError, r"input\.size\(-1\) must be equal to input_size\. Expected 4, got 6",
                    lambda: layer(cr.zeros(5, 2, 6)))
    assert str(error).startswith(f"{cls_name}(4, 3): ")
    assert isinstance(error.cause, ShapeError) and isinstance(error.cause, RuntimeError)
    # torch raises RuntimeError with the same message
    with pytest.raises(RuntimeError, match=r"Expected 4, got 6"):
        getattr(torch.nn, cls_name)(4, 3)(torch.zeros(5, 2, 6))


def test_wrong_input_size_inside_a_model_names_its_path():
    model = nn.Sequential(nn.Linear(3, 5))
    model.add_module("rnn", nn.GRU(4, 3))
    error = _raises(ValueError, "Expected 4, got 5", lambda: model(cr.zeros(2, 7, 3)))
    assert str(error).startswith("layer rnn GRU(4, 3): ")


@pytest.mark.parametrize("cls_name", ["RNN", "LSTM", "GRU"])
def test_input_must_be_2d_or_3d(cls_name):
    layer = getattr(nn, cls_name)(4, 3)
    for shape in [(4,), (5, 2, 3, 4)]:
        _raises(ValueError, rf"{cls_name}: Expected input to be 2D or 3D, got {len(shape)}D instead",
                lambda: layer(cr.zeros(*shape)))


def test_empty_sequence_is_an_error():
    _raises(ValueError, "Expected sequence length to be larger than 0", lambda: nn.GRU(4, 3)(cr.zeros(0, 2, 4)))


@pytest.mark.parametrize("cls_name", ["RNN", "GRU"])
def test_bad_hidden_state(cls_name):
    layer = getattr(nn, cls_name)(4, 3, 2)
    x = cr.zeros(5, 2, 4)
    _raises(ValueError, re.escape("Expected hidden size (2, 2, 3), got [1, 2, 3]"), lambda: layer(x, cr.zeros(1, 2, 3)))
    _raises(ValueError, re.escape("Expected hidden size (2, 2, 3), got [2, 3, 3]"), lambda: layer(x, cr.zeros(2, 3, 3)))
    _raises(ValueError, "For batched 3-D input, hx should also be 3-D but got 2-D tensor",
            lambda: layer(x, cr.zeros(2, 3)))
    _raises(ValueError, "For unbatched 2-D input, hx should also be 2-D but got 3-D tensor",
            lambda: layer(cr.zeros(5, 4), cr.zeros(2, 1, 3)))
    _raises(ValueError, re.escape("Expected hidden size (2, 3), got [2, 4]"),
            lambda: layer(cr.zeros(5, 4), cr.zeros(2, 4)))


def test_bad_lstm_state():
    layer = nn.LSTM(4, 3, 2)
    x, good = cr.zeros(5, 2, 4), cr.zeros(2, 2, 3)
    _raises(ValueError, re.escape("Expected hidden[0] size (2, 2, 3), got [1, 2, 3]"),
            lambda: layer(x, (cr.zeros(1, 2, 3), good)))
    _raises(ValueError, re.escape("Expected hidden[1] size (2, 2, 3), got [2, 1, 3]"),
            lambda: layer(x, (good, cr.zeros(2, 1, 3))))
    _raises(ValueError, re.escape("For batched 3-D input, hx and cx should also be 3-D but got (3-D, 2-D) tensors"),
            lambda: layer(x, (good, cr.zeros(2, 3))))
    _raises(TypeError, r"LSTM: hx must be a tuple \(h_0, c_0\)", lambda: layer(x, good))


@pytest.mark.parametrize("cls_name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_bad_cell_inputs(cls_name):
    cell = getattr(nn, cls_name)(4, 3)

    def hx(*shape):
        return (cr.zeros(*shape), cr.zeros(*shape)) if cls_name == "LSTMCell" else cr.zeros(*shape)

    error = _raises(ValueError, "input has inconsistent input_size: got 5 expected 4", lambda: cell(cr.zeros(2, 5)))
    assert str(error).startswith(f"{cls_name}(4, 3): ")
    _raises(ValueError, f"{cls_name}: Expected input to be 1D or 2D, got 3D instead", lambda: cell(cr.zeros(2, 2, 4)))
    _raises(ValueError, "Input batch size 2 doesn't match hidden0 batch size 3", lambda: cell(cr.zeros(2, 4), hx(3, 3)))
    _raises(ValueError, "hidden0 has inconsistent hidden_size: got 5, expected 3", lambda: cell(cr.zeros(2, 4), hx(2, 5)))
    _raises(ValueError, "For unbatched 1-D input, hidden0 should also be 1-D but got 2-D tensor",
            lambda: cell(cr.zeros(4), hx(1, 3)))
    if cls_name == "LSTMCell":
        _raises(ValueError, "hidden1 has inconsistent hidden_size: got 4, expected 3",
                lambda: cell(cr.zeros(2, 4), (cr.zeros(2, 3), cr.zeros(2, 4))))
        _raises(TypeError, r"LSTMCell: hx must be a tuple \(h_0, c_0\)", lambda: cell(cr.zeros(2, 4), cr.zeros(2, 3)))


@pytest.mark.parametrize("make,exc,pattern", [
    (lambda: nn.RNN(4, 3, nonlinearity="sigmoid"), ValueError, "Unknown nonlinearity 'sigmoid'"),
    (lambda: nn.RNNCell(4, 3, nonlinearity="gelu"), ValueError, "Unknown nonlinearity 'gelu'"),
    (lambda: nn.LSTM(4, 3, dropout=1.5), ValueError, r"dropout should be a number in range \[0, 1\]"),
    (lambda: nn.GRU(4, 3, dropout=True), ValueError, r"dropout should be a number in range \[0, 1\]"),
    (lambda: nn.GRU(4, 0), ValueError, "hidden_size must be greater than zero"),
    (lambda: nn.LSTMCell(4, 0), ValueError, "hidden_size must be greater than zero"),
    (lambda: nn.RNN(4, 3, num_layers=0), ValueError, "num_layers must be greater than zero"),
    (lambda: nn.RNN(4, 3.0), TypeError, "hidden_size should be of type int, got: float"),
    (lambda: nn.LSTM(4, 3, proj_size=2), NotImplementedError, "LSTM: proj_size is not supported"),
])
def test_bad_constructor_arguments(make, exc, pattern):
    _raises(exc, pattern, make)
