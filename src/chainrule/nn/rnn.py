"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their one-step ``RNNCell``, ``LSTMCell``,
``GRUCell``, with PyTorch's signatures, parameter names, gate order, initialisation and shapes.

Everything is composed from differentiable tensor ops (``linear``, ``sigmoid``, ``tanh``,
slicing, ``stack``/``cat``), so autograd gives backpropagation through time. A sequence is
cut into its steps once and carried through the layers as a list of [batch, features]
tensors: each slice's backward writes a gradient the size of the whole sequence, so slicing
every layer's input (as computing x Wᵢₕᵀ for all steps in one product and slicing that would)
costs time quadratic in the length.

The cells, with σ the logistic sigmoid and ⊙ the elementwise product (PyTorch's formulas):

* RNN:  h' = tanh(x Wᵢₕᵀ + bᵢₕ + h Wₕₕᵀ + bₕₕ)   (or relu)
* LSTM: i, f, g, o = chunks of x Wᵢₕᵀ + bᵢₕ + h Wₕₕᵀ + bₕₕ (in that order);
  c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g),  h' = σ(o) ⊙ tanh(c')
* GRU:  r, z, n chunks of each half, aᵢ = x Wᵢₕᵀ + bᵢₕ and aₕ = h Wₕₕᵀ + bₕₕ;
  r = σ(aᵢʳ + aₕʳ),  z = σ(aᵢᶻ + aₕᶻ),  n = tanh(aᵢⁿ + r ⊙ aₕⁿ),  h' = (1 − z) ⊙ n + z ⊙ h
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ..errors import ShapeError
from ..ops.shape import cat, stack
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module, Parameter

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


# ------------------------------------------------------------------ one step of each cell
# Each takes the input half ``xw`` = x Wᵢₕᵀ + bᵢₕ, already computed, and the previous state.
def _rnn_tanh_step(xw, h, w_hh, b_hh):
    return F.tanh(F.linear(h, w_hh, b_hh) + xw)


def _rnn_relu_step(xw, h, w_hh, b_hh):
    return F.relu(F.linear(h, w_hh, b_hh) + xw)


def _lstm_step(xw, state, w_hh, b_hh):
    h, c = state
    i, f, g, o = (F.linear(h, w_hh, b_hh) + xw).chunk(4, -1)
    c = F.sigmoid(f) * c + F.sigmoid(i) * F.tanh(g)
    return F.sigmoid(o) * F.tanh(c), c


def _gru_step(xw, h, w_hh, b_hh):
    x_r, x_z, x_n = xw.chunk(3, -1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, -1)
    r = F.sigmoid(h_r + x_r)
    z = F.sigmoid(h_z + x_z)
    n = F.tanh(x_n + r * h_n)
    return n + z * (h - n)  # = (1 − z) ⊙ n + z ⊙ h, in PyTorch's order of rounding


# mode → (step, gates: the row blocks of each weight, one per gate)
_MODES = {"RNN_TANH": (_rnn_tanh_step, 1), "RNN_RELU": (_rnn_relu_step, 1),
          "LSTM": (_lstm_step, 4), "GRU": (_gru_step, 3)}


def _check_size(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be greater than zero")


def _init_uniform(module: Module) -> None:
    """Every parameter U(−1/√hidden, 1/√hidden), as PyTorch initialises recurrent layers."""
    bound = 1.0 / math.sqrt(module.hidden_size)
    for p in module.parameters():
        init.uniform_(p, -bound, bound)


def _zeros(shape, dtype) -> Tensor:
    return Tensor._wrap(np.zeros(shape, dtype))


# ------------------------------------------------------------------ multi-layer, whole sequences
class RNNBase(Module):
    """A stack of ``num_layers`` recurrent layers over whole sequences, each one direction or
    two (``bidirectional``); the base of :class:`RNN`, :class:`LSTM` and :class:`GRU`.

    Parameters, for layer k (``_reverse`` appended for the second direction), in PyTorch's
    order: ``weight_ih_l{k}`` [gates·hidden, in] (in = input_size for k = 0, else
    hidden_size·directions), ``weight_hh_l{k}`` [gates·hidden, hidden], ``bias_ih_l{k}`` and
    ``bias_hh_l{k}`` [gates·hidden]. All are initialised U(−1/√hidden, 1/√hidden).
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, dtype=None):
        super().__init__()
        if mode not in _MODES:
            raise ValueError(f"unknown recurrent mode {mode!r}, expected one of {sorted(_MODES)}")
        name = type(self).__name__
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability "
                             "of an element being zeroed")
        _check_size("hidden_size", hidden_size)
        _check_size("num_layers", num_layers)
        if proj_size != 0:
            raise NotImplementedError(f"{name}: proj_size is not supported (only proj_size=0)")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        self._step, gates = _MODES[mode]
        dtype = np.dtype(dtype or np.float32)
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else hidden_size * self._directions
            for direction in range(self._directions):
                shapes = [(gates * hidden_size, layer_in), (gates * hidden_size, hidden_size)]
                if bias:
                    shapes += [(gates * hidden_size,)] * 2
                for key, shape in zip(self._weight_names(layer, direction), shapes):
                    setattr(self, key, Parameter(np.empty(shape, dtype)))
        self.reset_parameters()

    def _weight_names(self, layer: int, direction: int) -> list[str]:
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if self.bias else [])
        return [n + suffix for n in names]

    def reset_parameters(self) -> None:
        _init_uniform(self)

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters of each layer and direction, as PyTorch lists them."""
        return [[getattr(self, n) for n in self._weight_names(layer, d)]
                for layer in range(self.num_layers) for d in range(self._directions)]

    def flatten_parameters(self) -> None:
        """PyTorch packs the weights into one block for cuDNN; there is no such block here,
        and code written for the GPU calls this, so it does nothing."""

    @property
    def _directions(self) -> int:
        return 2 if self.bidirectional else 1

    # ------------------------------------------------------------ forward
    def forward(self, input, hx=None):
        """``input`` [seq, batch, input_size] ([batch, seq, …] if ``batch_first``), or
        [seq, input_size] unbatched. Returns ``(output, h_n)`` (LSTM: ``(output, (h_n, c_n))``):
        output [seq, batch, directions·hidden] (batch first if ``batch_first``), the last
        layer's h at every step, and each state [layers·directions, batch, hidden], the last
        step of every layer and direction (forward then reverse for each layer)."""
        if input.ndim not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise ShapeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                             f"got {input.shape[-1]}")
        batched = input.ndim == 3
        if not batched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        if input.shape[0] == 0:
            raise ShapeError(f"Expected sequence length to be larger than 0 in {type(self).__name__}")
        states = self._initial_states(hx, input.shape[1], batched, input.dtype)
        # Lists of per-step tensors from here on: slicing one step out of a [seq, …] tensor
        # costs a whole [seq, …] gradient array in backward, so that is done once, here.
        finals, steps = [], [input[t] for t in range(input.shape[0])]
        for layer in range(self.num_layers):
            if layer > 0:  # between layers only, and only in training
                steps = [F.dropout(x, self.dropout, self.training) for x in steps]
            outputs = []
            for direction in range(self._directions):
                k = layer * self._directions + direction
                hs, final = self._run(steps, states[k], self._weight_names(layer, direction), direction == 1)
                outputs.append(hs)
                finals.append(final)
            steps = outputs[0] if len(outputs) == 1 else [cat(pair, -1) for pair in zip(*outputs)]
        output = stack(steps)
        if not batched:
            output = output.squeeze(1)
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, self._final_states(finals, batched)

    def _run(self, inputs: list, state, names: list[str], reverse: bool):
        """One layer in one direction over the steps ``inputs``: the h of every step, in the
        inputs' time order, and the state after the last step taken."""
        params = [getattr(self, n) for n in names]
        w_ih, w_hh = params[:2]
        b_ih, b_hh = params[2:] if self.bias else (None, None)
        hs = [None] * len(inputs)
        for t in reversed(range(len(inputs))) if reverse else range(len(inputs)):
            state = self._step(F.linear(inputs[t], w_ih, b_ih), state, w_hh, b_hh)
            hs[t] = state[0] if self.mode == "LSTM" else state
        return hs, state

    def _initial_states(self, hx, batch: int, batched: bool, dtype) -> list:
        """One initial state per layer and direction: slices of ``hx``, or zeros."""
        if hx is None:
            zeros = _zeros((batch, self.hidden_size), dtype)
            return [zeros] * (self.num_layers * self._directions)
        h0 = self._checked_state(hx, batch, batched)
        return [h0[k] for k in range(len(h0))]

    def _checked_state(self, hx, batch: int, batched: bool):
        dims = 3 if batched else 2
        if hx.ndim != dims:
            kind = "batched 3-D" if batched else "unbatched 2-D"
            raise ShapeError(f"For {kind} input, hx should also be {dims}-D but got {hx.ndim}-D tensor")
        return self._checked_size(hx, batch, batched, "hidden")

    def _checked_size(self, hx, batch: int, batched: bool, what: str):
        """``hx`` [layers·directions, batch, hidden] (unbatched: without the batch), as batched."""
        expected = (self.num_layers * self._directions,) + ((batch,) if batched else ()) + (self.hidden_size,)
        if tuple(hx.shape) != expected:
            raise ShapeError(f"Expected {what} size {expected}, got {list(hx.shape)}")
        return hx if batched else hx.unsqueeze(1)

    def _final_states(self, finals, batched: bool):
        h_n = stack(finals)
        return h_n if batched else h_n.squeeze(1)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


class RNN(RNNBase):
    """Elman RNN: h' = tanh(x Wᵢₕᵀ + bᵢₕ + h Wₕₕᵀ + bₕₕ), or relu with ``nonlinearity='relu'``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size,
                         num_layers, bias, batch_first, dropout, bidirectional, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o (in that order in the weights' rows);
    the state is the pair (h, c), and ``forward`` returns ``(output, (h_n, c_n))``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, dtype=dtype)

    def _initial_states(self, hx, batch: int, batched: bool, dtype) -> list:
        if hx is None:
            zeros = _zeros((batch, self.hidden_size), dtype)
            return [(zeros, zeros)] * (self.num_layers * self._directions)
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(f"LSTM: hx must be a tuple (h_0, c_0) of two tensors, got {type(hx).__name__}")
        h0, c0 = hx
        dims = 3 if batched else 2
        if h0.ndim != dims or c0.ndim != dims:
            kind = "batched 3-D" if batched else "unbatched 2-D"
            raise ShapeError(f"For {kind} input, hx and cx should also be {dims}-D but got "
                             f"({h0.ndim}-D, {c0.ndim}-D) tensors")
        h0 = self._checked_size(h0, batch, batched, "hidden[0]")
        c0 = self._checked_size(c0, batch, batched, "hidden[1]")
        return [(h0[k], c0[k]) for k in range(len(h0))]

    def _final_states(self, finals, batched: bool):
        h_n, c_n = stack([h for h, _ in finals]), stack([c for _, c in finals])
        return (h_n, c_n) if batched else (h_n.squeeze(1), c_n.squeeze(1))


class GRU(RNNBase):
    """Gated recurrent unit: gates r, z, n (in that order in the weights' rows), with the
    reset gate applied to the hidden half including its bias: n = tanh(aᵢⁿ + r ⊙ (h Wₕₙᵀ + bₕₙ))."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype=dtype)


# ------------------------------------------------------------------ single steps
class RNNCellBase(Module):
    """One step of a recurrent cell, for a batch [batch, input_size] or one input [input_size].
    Parameters ``weight_ih`` [gates·hidden, input_size], ``weight_hh`` [gates·hidden, hidden],
    ``bias_ih`` and ``bias_hh`` [gates·hidden], all U(−1/√hidden, 1/√hidden). A subclass
    gives the cell's ``_step(xw, state, w_hh, b_hh)``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, dtype=None):
        super().__init__()
        _check_size("hidden_size", hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        dtype = np.dtype(dtype or np.float32)
        self.weight_ih = Parameter(np.empty((num_chunks * hidden_size, input_size), dtype))
        self.weight_hh = Parameter(np.empty((num_chunks * hidden_size, hidden_size), dtype))
        self.bias_ih = Parameter(np.empty(num_chunks * hidden_size, dtype)) if bias else None
        self.bias_hh = Parameter(np.empty(num_chunks * hidden_size, dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _init_uniform(self)

    def forward(self, input, hx=None):
        """The next state from ``input`` and the previous state ``hx`` (zeros if omitted)."""
        if input.ndim not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise ShapeError(f"input has inconsistent input_size: got {input.shape[-1]} expected {self.input_size}")
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)
        state = self._initial_state(hx, input.shape[0], batched, input.dtype)
        state = self._step(F.linear(input, self.weight_ih, self.bias_ih), state, self.weight_hh, self.bias_hh)
        return state if batched else self._unbatch(state)

    def _initial_state(self, hx, batch: int, batched: bool, dtype):
        if hx is None:
            return _zeros((batch, self.hidden_size), dtype)
        return self._checked(hx, batch, batched, "hidden0")

    def _unbatch(self, state):
        return state.squeeze(0)

    def _checked(self, h, batch: int, batched: bool, what: str):
        """``h`` [batch, hidden] ([hidden] for an unbatched input), returned as batched."""
        if h.ndim != (2 if batched else 1):
            kind = "batched 2-D" if batched else "unbatched 1-D"
            raise ShapeError(f"For {kind} input, {what} should also be {2 if batched else 1}-D "
                             f"but got {h.ndim}-D tensor")
        if not batched:
            h = h.unsqueeze(0)
        if h.shape[0] != batch:
            raise ShapeError(f"Input batch size {batch} doesn't match {what} batch size {h.shape[0]}")
        if h.shape[1] != self.hidden_size:
            raise ShapeError(f"{what} has inconsistent hidden_size: got {h.shape[1]}, expected {self.hidden_size}")
        return h

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text


class RNNCell(RNNCellBase):
    """h' = tanh(x Wᵢₕᵀ + bᵢₕ + h Wₕₕᵀ + bₕₕ), or relu with ``nonlinearity='relu'``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 dtype=None):
        # PyTorch accepts any name here and fails at the first forward; fail at once instead.
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(input_size, hidden_size, bias, num_chunks=1, dtype=dtype)
        self.nonlinearity = nonlinearity

    def _step(self, xw, h, w_hh, b_hh):
        step = _rnn_tanh_step if self.nonlinearity == "tanh" else _rnn_relu_step
        return step(xw, h, w_hh, b_hh)


class LSTMCell(RNNCellBase):
    """One LSTM step: ``forward(input, (h, c))`` returns ``(h', c')``; gates i, f, g, o."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, dtype=dtype)

    _step = staticmethod(_lstm_step)

    def _initial_state(self, hx, batch: int, batched: bool, dtype):
        if hx is None:
            zeros = _zeros((batch, self.hidden_size), dtype)
            return zeros, zeros
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(f"LSTMCell: hx must be a tuple (h_0, c_0) of two tensors, got {type(hx).__name__}")
        return self._checked(hx[0], batch, batched, "hidden0"), self._checked(hx[1], batch, batched, "hidden1")

    def _unbatch(self, state):
        return state[0].squeeze(0), state[1].squeeze(0)


class GRUCell(RNNCellBase):
    """One GRU step; gates r, z, n, with n = tanh(aᵢⁿ + r ⊙ (h Wₕₙᵀ + bₕₙ))."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, dtype=dtype)

    _step = staticmethod(_gru_step)
