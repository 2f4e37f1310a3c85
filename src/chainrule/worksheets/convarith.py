"""Convolution arithmetic (A6): output sizes with the formula filled in, solving for a missing
quantity, layer stacks with parameter counts, and a convolution worked by hand.

Sizes follow ``O = (W − F + 2P)/S + 1`` per dimension. An input that does not work — a filter
larger than the padded input, or a stride that does not tile the padded input exactly — raises
:class:`ConvError` with the reason, never a silent floor. Every stack's shapes and parameter
counts are confirmed by building the layer with ``chainrule.nn.Conv2d`` and running it on zeros.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._format import num

HYPERPARAMETERS = [
    ("filter size F", "hyperparameter", "chosen before training"),
    ("stride S", "hyperparameter", "chosen before training"),
    ("padding P", "hyperparameter", "chosen before training"),
    ("number of filters K", "hyperparameter", "chosen before training (the output depth)"),
    ("filter weights (K·C·F·F)", "learned", "updated by gradient descent"),
    ("biases (K, one per filter)", "learned", "updated by gradient descent"),
]
"""Which settings of a convolutional layer are hyperparameters and which are learned."""


class ConvError(ValueError):
    """Settings that cannot work, with the reason."""


def _pair(value, what) -> tuple[int, int]:
    if isinstance(value, str):
        parts = value.lower().split("x")
        try:
            nums = tuple(int(p) for p in parts)
        except ValueError:
            raise ConvError(f"{what} {value!r} is not a size like 5 or 5x5") from None
    elif isinstance(value, int):
        nums = (value,)
    else:
        nums = tuple(int(v) for v in value)
    if len(nums) == 1:
        nums = nums * 2
    if len(nums) != 2:
        raise ConvError(f"{what} {value!r}: give one number or HxW")
    return nums


def output_size(W: int, F: int, S: int = 1, P: int = 0, dim: str = "width") -> tuple[int, str]:
    """``(W − F + 2P)/S + 1`` and the formula with the numbers filled in."""
    if W < 1 or F < 1:
        raise ConvError(f"{dim}: the input ({W}) and the filter ({F}) must be at least 1")
    if S < 1:
        raise ConvError(f"{dim}: the stride must be at least 1, got {S}")
    if P < 0:
        raise ConvError(f"{dim}: the padding cannot be negative, got {P}")
    padded = W + 2 * P
    if F > padded:
        raise ConvError(f"{dim}: the filter ({F}) is larger than the padded input W + 2P = {W} + 2·{P} = {padded}; "
                        f"it does not fit anywhere")
    span = W - F + 2 * P
    formula = f"(W − F + 2P)/S + 1 = ({W} − {F} + 2·{P})/{S} + 1 = {span}/{S} + 1"
    if span % S:
        raise ConvError(f"{dim}: {formula} = {span / S + 1:g} is not an integer: at stride {S} the filter does "
                        f"not tile the padded input ({span} is not a multiple of {S}; {span % S} row(s)/column(s) "
                        f"would be left over, which a framework silently drops by flooring to {span // S + 1})")
    out = span // S + 1
    return out, f"{formula} = {out}"


SOLVABLE = ("kernel", "padding", "stride", "input", "output")


def solve(missing: str, input=None, kernel=None, stride=None, padding=None, output=None, dim="width"):
    """The one quantity ``missing`` (kernel, padding, stride, input or output) from the others,
    in one dimension; returns (value, explanation). Raises ConvError when no integer solution exists."""
    W, F, S, P, O = input, kernel, stride, padding, output
    if missing == "output":
        return output_size(W, F, S if S is not None else 1, P or 0, dim)
    if O is None:
        raise ConvError(f"to solve for the {missing}, give the output size")
    if missing == "kernel":
        S, P = S if S is not None else 1, P or 0
        F = W + 2 * P - S * (O - 1)
        text = f"F = W + 2P − S(O − 1) = {W} + 2·{P} − {S}·({O} − 1) = {F}"
        if F < 1:
            raise ConvError(f"{dim}: {text}: no filter size gives output {O} (it would need F < 1)")
    elif missing == "padding":
        S = S if S is not None else 1
        twice = S * (O - 1) - W + F
        text = f"P = (S(O − 1) − W + F)/2 = ({S}·({O} − 1) − {W} + {F})/2 = {twice}/2"
        if twice < 0 or twice % 2:
            raise ConvError(f"{dim}: {text} is not a non-negative integer: no padding gives output {O}")
        P = twice // 2
        text += f" = {P}"
    elif missing == "stride":
        P = P or 0
        span = W - F + 2 * P
        text = f"S = (W − F + 2P)/(O − 1) = ({W} − {F} + 2·{P})/({O} − 1) = {span}/{O - 1}"
        if O < 2:
            raise ConvError(f"{dim}: with output {O} any stride works (only one filter position)")
        if span < 0 or span % (O - 1) or span == 0:
            raise ConvError(f"{dim}: {text} is not a positive integer: no stride gives output {O}")
        S = span // (O - 1)
        text += f" = {S}"
    elif missing == "input":
        S, P = S if S is not None else 1, P or 0
        W = S * (O - 1) + F - 2 * P
        text = f"W = S(O − 1) + F − 2P = {S}·({O} − 1) + {F} − 2·{P} = {W}"
        if W < 1:
            raise ConvError(f"{dim}: {text}: no input size gives output {O}")
    else:
        raise ConvError(f"cannot solve for {missing!r}; choose one of: {', '.join(SOLVABLE)}")
    out, check = output_size(W, F, S, P, dim)  # the solution, checked forwards
    assert out == O, (out, O)
    value = {"kernel": F, "padding": P, "stride": S, "input": W}[missing]
    return value, f"{text}   (check: {check})"


# -------------------------------------------------------------------- stacks
@dataclass
class ConvLayer:
    kernel: tuple[int, int]
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    filters: int = 1
    bias: bool = True

    def __post_init__(self):
        self.kernel = _pair(self.kernel, "kernel")
        self.stride = _pair(self.stride, "stride")
        self.padding = _pair(self.padding, "padding")
        if self.filters < 1:
            raise ConvError(f"the number of filters must be at least 1, got {self.filters}")


@dataclass
class StackRow:
    index: int
    layer: ConvLayer
    input_shape: tuple[int, int, int]  # C, H, W
    output_shape: tuple[int, int, int]
    formulas: list[str]
    weights: int
    biases: int
    weight_formula: str

    @property
    def parameters(self) -> int:
        return self.weights + self.biases


@dataclass
class Stack:
    rows: list[StackRow] = field(default_factory=list)

    @property
    def weights(self):
        return sum(r.weights for r in self.rows)

    @property
    def biases(self):
        return sum(r.biases for r in self.rows)

    def text(self) -> str:
        out = []
        for r in self.rows:
            c, h, w = r.input_shape
            k, hh, ww = r.output_shape
            L = r.layer
            out.append(f"layer {r.index}: {L.filters} filter(s) {L.kernel[0]}x{L.kernel[1]}, stride "
                       f"{_fmt_pair(L.stride)}, padding {_fmt_pair(L.padding)} on {h}x{w}x{c}")
            out.append(f"  height: {r.formulas[0]}")
            out.append(f"  width:  {r.formulas[1]}")
            out.append(f"  output: {hh}x{ww}x{k}")
            out.append(f"  weights: {r.weight_formula} = {r.weights}")
            out.append(f"  biases:  {r.biases}" + ("" if L.bias else " (no bias)"))
            out.append(f"  parameters: {r.weights} without bias, {r.weights + L.filters} with bias"
                       f" ({r.parameters} as configured)")
        if len(self.rows) > 1:
            out.append(f"total: {self.weights} weights + {self.biases} biases = {self.weights + self.biases} "
                       f"parameters ({self.weights} without biases)")
        return "\n".join(out) + "\n"

    def markdown(self) -> str:
        out = ["| layer | input HxWxC | filters | F | S | P | output HxWxC | weights | biases | parameters |",
               "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for r in self.rows:
            c, h, w = r.input_shape
            k, hh, ww = r.output_shape
            L = r.layer
            out.append(f"| {r.index} | {h}x{w}x{c} | {L.filters} | {L.kernel[0]}x{L.kernel[1]} | "
                       f"{_fmt_pair(L.stride)} | {_fmt_pair(L.padding)} | {hh}x{ww}x{k} | {r.weight_formula} = "
                       f"{r.weights} | {r.biases} | {r.parameters} |")
        out.append(f"| total | | | | | | | {self.weights} | {self.biases} | {self.weights + self.biases} |")
        out += ["", "Sizes: " + "; ".join(f"layer {r.index} height {r.formulas[0]}, width {r.formulas[1]}"
                                          for r in self.rows)]
        return "\n".join(out) + "\n"


def _fmt_pair(p):
    return str(p[0]) if p[0] == p[1] else f"{p[0]}x{p[1]}"


def stack(input_hw, in_channels: int, layers: list[ConvLayer], confirm: bool = True) -> Stack:
    """Shapes, formulas and parameter counts of conv layers applied in turn; ``confirm`` builds each
    with ``chainrule.nn.Conv2d``, runs it on zeros and checks the engine agrees."""
    h, w = _pair(input_hw, "input")
    if in_channels < 1:
        raise ConvError(f"the input needs at least one channel, got {in_channels}")
    c = in_channels
    result = Stack()
    for i, L in enumerate(layers, 1):
        try:
            oh, fh = output_size(h, L.kernel[0], L.stride[0], L.padding[0], "height")
            ow, fw = output_size(w, L.kernel[1], L.stride[1], L.padding[1], "width")
        except ConvError as exc:
            raise ConvError(f"layer {i}: {exc}") from None
        weights = L.filters * c * L.kernel[0] * L.kernel[1]
        row = StackRow(i, L, (c, h, w), (L.filters, oh, ow), [fh, fw], weights, L.filters if L.bias else 0,
                       f"K·C·Fh·Fw = {L.filters}·{c}·{L.kernel[0]}·{L.kernel[1]}")
        if confirm:
            _confirm(row)
        result.rows.append(row)
        c, h, w = L.filters, oh, ow
    return result


def _confirm(row: StackRow) -> None:
    from .. import nn
    from ..autograd import no_grad
    from ..tensor import zeros

    L = row.layer
    conv = nn.Conv2d(row.input_shape[0], L.filters, L.kernel, L.stride, L.padding, bias=L.bias)
    count = sum(p.numel() for p in conv.parameters())
    with no_grad():
        shape = tuple(conv(zeros(1, *row.input_shape)).shape[1:])
    if count != row.parameters or shape != row.output_shape:  # pragma: no cover - an engine bug
        raise RuntimeError(f"layer {row.index}: the engine's Conv2d gives {shape} and {count} parameters, "
                           f"the formulas {row.output_shape} and {row.parameters}")


# ------------------------------------------------------------------ by hand
@dataclass
class HandConv:
    image: np.ndarray
    kernel: np.ndarray
    stride: int
    padding: int
    padded: np.ndarray
    output: np.ndarray
    terms: list  # (i, j, formula)

    def text(self) -> str:
        from ._format import matrix_lines

        out = ["Convolution as CNNs compute it (cross-correlation: the filter is not flipped), "
               f"stride {self.stride}, padding {self.padding}"]
        for name, m in (("image", self.image), ("filter", self.kernel)) + (
                (("padded image", self.padded),) if self.padding else ()):
            out.append(f"{name}:")
            out += [f"  {line}" for line in matrix_lines(m)]
        out.append(f"output ({self.output.shape[0]}x{self.output.shape[1]}):")
        out += [f"  out[{i + 1},{j + 1}] = {f} = {num(self.output[i, j])}" for i, j, f in self.terms]
        out += [f"  {line}" for line in matrix_lines(self.output)]
        return "\n".join(out) + "\n"


def by_hand(image, kernel, stride: int = 1, padding: int = 0) -> HandConv:
    """``image`` (2-D) convolved with ``kernel`` (2-D), every output entry as its sum of products;
    the values by the engine's ``conv2d``."""
    from ..nn import functional as F
    from ..tensor import Tensor

    image, kernel = np.atleast_2d(np.asarray(image, float)), np.atleast_2d(np.asarray(kernel, float))
    oh, _ = output_size(image.shape[0], kernel.shape[0], stride, padding, "height")
    ow, _ = output_size(image.shape[1], kernel.shape[1], stride, padding, "width")
    out = F.conv2d(Tensor(image[None, None]), Tensor(kernel[None, None]), None, stride, padding).numpy()[0, 0]
    padded = np.pad(image, padding)
    terms = []
    fh, fw = kernel.shape
    for i in range(oh):
        for j in range(ow):
            patch = padded[i * stride:i * stride + fh, j * stride:j * stride + fw]
            products = [f"{_p(a)}·{_p(b)}" for a, b in zip(patch.ravel(), kernel.ravel())]
            if not np.isclose((patch * kernel).sum(), out[i, j]):  # pragma: no cover - an engine bug
                raise RuntimeError("the engine's conv2d disagrees with the sum of products")
            terms.append((i, j, " + ".join(products)))
    return HandConv(image, kernel, stride, padding, padded, out, terms)


def _p(v):
    t = num(v)
    return f"({t})" if t.startswith("-") else t
