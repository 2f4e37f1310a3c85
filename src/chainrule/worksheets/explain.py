"""The backprop worksheet (A1, A2): forward pass, loss, backward pass and one gradient step of a
small dense network with explicit numbers, every value computed by the engine's autograd.

A problem is a TOML file (see ``examples/A1.toml``) or a :class:`Problem` built in Python::

    from chainrule.worksheets import explain
    sheet = explain.solve(explain.load_example("A1"))
    print(sheet.text())            # or sheet.markdown(), sheet.latex(), sheet.only("dC/dW1[1,1]")

Each entry carries the chain-rule product that produced it written with the numbers; the product
is recomputed from those numbers and checked against the autograd value. Entries that are exactly
zero because a unit is inactive carry the reason (A2).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from .. import optim
from ..tensor import Tensor
from ._format import latex_matrix, matrix_lines, num, paren
from .activations_fn import KINDS, activate, convention, derivative

LOSSES = {"sse": "C = Σ_i (y[i] − t[i])²", "half_sse": "C = ½ Σ_i (y[i] − t[i])²",
          "mse": "C = (1/n) Σ_i (y[i] − t[i])²"}


@dataclass
class Layer:
    W: np.ndarray
    b: np.ndarray | None = None
    activation: str = "relu"
    at_zero: float | None = None  # f'(0); None: the default of activations_fn.DEFAULT_AT_ZERO
    alpha: float = 0.01


@dataclass
class Problem:
    x: np.ndarray
    t: np.ndarray
    layers: list[Layer]
    loss: str = "sse"
    lr: float | None = None
    name: str = "worksheet"
    description: str = ""
    names: dict = field(default_factory=dict)  # display names, e.g. {"a1": "v", "a2": "y"}

    def __post_init__(self):
        self.x = np.asarray(self.x, dtype=np.float64).reshape(-1)
        self.t = np.asarray(self.t, dtype=np.float64).reshape(-1)
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose one of: {', '.join(LOSSES)}")
        width = self.x.size
        for i, layer in enumerate(self.layers, 1):
            layer.W = np.atleast_2d(np.asarray(layer.W, dtype=np.float64))
            if layer.W.shape[1] != width:
                raise ValueError(f"layer {i}: W{i} is {layer.W.shape[0]}x{layer.W.shape[1]} but its input has "
                                 f"{width} entries (W is out x in)")
            if layer.b is not None:
                layer.b = np.asarray(layer.b, dtype=np.float64).reshape(-1)
                if layer.b.size != layer.W.shape[0]:
                    raise ValueError(f"layer {i}: b{i} has {layer.b.size} entries, W{i} has {layer.W.shape[0]} rows")
            if layer.activation not in KINDS:
                raise ValueError(f"layer {i}: unknown activation {layer.activation!r}; choose one of: "
                                 f"{', '.join(KINDS)}")
            width = layer.W.shape[0]
        if self.t.size != width:
            raise ValueError(f"target t has {self.t.size} entries, the network's output {width}")
        if not self.layers:
            raise ValueError("a worksheet needs at least one layer")


# ------------------------------------------------------------------ loading
def problem_from_dict(data: dict) -> Problem:
    known = {"x", "t", "layer", "loss", "lr", "name", "description", "names"}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(sorted(unknown))}; a worksheet has {', '.join(sorted(known))}")
    for key in ("x", "t", "layer"):
        if key not in data:
            raise ValueError(f"the worksheet needs {key!r}" + (" ([[layer]] tables)" if key == "layer" else ""))
    layers = []
    for i, spec in enumerate(data["layer"], 1):
        bad = set(spec) - {"W", "b", "activation", "derivative_at_zero", "alpha"}
        if bad:
            raise ValueError(f"layer {i}: unknown field(s) {', '.join(sorted(bad))}")
        if "W" not in spec:
            raise ValueError(f"layer {i}: needs W (out x in)")
        layers.append(Layer(spec["W"], spec.get("b"), spec.get("activation", "relu"),
                            spec.get("derivative_at_zero"), spec.get("alpha", 0.01)))
    return Problem(data["x"], data["t"], layers, data.get("loss", "sse"), data.get("lr"),
                   data.get("name", "worksheet"), data.get("description", ""), dict(data.get("names", {})))


def load(path) -> Problem:
    path = Path(path)
    with open(path, "rb") as f:
        try:
            data = tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not valid TOML: {exc}") from None
    return problem_from_dict(data)


def example_names() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files(__package__).joinpath("examples").iterdir()
                  if p.name.endswith(".toml"))


def example_text(name: str) -> str:
    path = resources.files(__package__).joinpath("examples").joinpath(f"{name}.toml")
    if not path.is_file():
        raise ValueError(f"no example {name!r}; the examples are: {', '.join(example_names())}")
    return path.read_text(encoding="utf-8")


def load_example(name: str) -> Problem:
    return problem_from_dict(tomllib.loads(example_text(name)))


def random_problem(shape: str = "2-3-1", seed: int = 0, activation: str = "relu", at_zero=None,
                   bias: bool = False, lr: float = 0.05, low: int = -3, high: int = 3) -> Problem:
    """A fresh practice problem: small integer weights and inputs of the given widths (``2-3-1``),
    the hidden layers with ``activation``, the output linear; seeded."""
    try:
        widths = [int(w) for w in shape.split("-")]
    except ValueError:
        raise ValueError(f"{shape!r} is not a shape like 2-3-1") from None
    if len(widths) < 2 or min(widths) < 1:
        raise ValueError(f"{shape!r}: give at least an input and an output width, each >= 1, e.g. 2-3-1")
    rng = np.random.default_rng(seed)
    layers = [Layer(rng.integers(low, high + 1, (o, i)), rng.integers(low, high + 1, o) if bias else None,
                    activation if k < len(widths) - 2 else "linear", at_zero if k < len(widths) - 2 else None)
              for k, (i, o) in enumerate(zip(widths[:-1], widths[1:]))]
    return Problem(rng.integers(low, high + 1, widths[0]), rng.integers(low, high + 1, widths[-1]), layers,
                   "sse", lr, f"random {shape} (seed {seed})",
                   f"A practice problem: a {shape} network with integer weights, {activation} hidden units.")


# --------------------------------------------------------------- worksheet
@dataclass
class Entry:
    name: str
    value: float
    formula: str = ""  # the product with the numbers, e.g. "30 · 4"
    note: str = ""  # why it is zero, when a unit is inactive


@dataclass
class Block:
    name: str
    value: np.ndarray
    rule: str = ""  # the rule in symbols, e.g. "dC/dz1 = dC/dv ⊙ relu'(z1)"
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Section:
    title: str
    blocks: list[Block]
    notes: list[str] = field(default_factory=list)  # free text lines, shown before the blocks


@dataclass
class Worksheet:
    problem: Problem
    header: list[str]
    sections: list[Section]

    def blocks(self):
        return [b for s in self.sections for b in s.blocks]

    def value(self, name: str):
        """The value of a block (``dC/dW2``) or of an entry (``dC/dW1[1,1]``)."""
        found = self.find(name)
        return found.value

    def find(self, name: str):
        key = _normal(name)
        for block in self.blocks():
            if _normal(block.name) == key:
                return block
            for entry in block.entries:
                if _normal(entry.name) == key:
                    return entry
        aliases = _alias_keys(self.problem)
        if key in aliases:
            return self.find(aliases[key])
        names = [b.name for b in self.blocks()]
        raise ValueError(f"no quantity {name!r} on this worksheet; it has: {', '.join(names)} "
                         f"(and their entries, e.g. {self.blocks()[-1].entries[0].name})")

    # ------------------------------------------------------------ renderers
    def text(self) -> str:
        out = list(self.header)
        for section in self.sections:
            out += ["", section.title, "-" * len(section.title)]
            out += [f"  {line}" for line in section.notes]
            for block in section.blocks:
                out.append("")
                out += _text_block(block)
        return "\n".join(out) + "\n"

    def markdown(self) -> str:
        out = [f"# {self.header[0]}", ""] + [f"- {line}" for line in self.header[1:]]
        for section in self.sections:
            out += ["", f"## {section.title}"]
            if section.notes:
                out += [""] + [f"- {line}" for line in section.notes]
            for block in section.blocks:
                out += ["", _md_block(block)]
        return "\n".join(out) + "\n"

    def latex(self) -> str:
        out = [r"\section*{" + _tex_text(self.header[0]) + "}", r"\begin{itemize}"]
        out += [r"\item " + _tex_text(line) for line in self.header[1:]] + [r"\end{itemize}"]
        for section in self.sections:
            out += [r"\subsection*{" + _tex_text(section.title) + "}"]
            if section.notes:
                out += [r"\begin{itemize}"] + [r"\item " + _tex_text(line) for line in section.notes] + \
                    [r"\end{itemize}"]
            for block in section.blocks:
                out += _tex_block(block)
        return "\n".join(out) + "\n"

    def only(self, name: str, fmt: str = "text") -> str:
        item = self.find(name)
        if isinstance(item, Block):
            if fmt == "markdown":
                return _md_block(item) + "\n"
            if fmt == "latex":
                return "\n".join(_tex_block(item)) + "\n"
            return "\n".join(_text_block(item)) + "\n"
        if fmt == "markdown":
            return f"`{_entry_line(item)}`" + (f" — {item.note}" if item.note else "") + "\n"
        if fmt == "latex":
            return "\n".join(_tex_entries([item])) + "\n"
        return _entry_line(item) + (f"    [{item.note}]" if item.note else "") + "\n"

    def render(self, fmt: str = "text") -> str:
        return {"text": self.text, "markdown": self.markdown, "latex": self.latex}[fmt]()


def _normal(name: str) -> str:
    name = name.replace("∂", "d").replace(" ", "").replace("'", "").lower()
    return name


def _alias_keys(problem: Problem) -> dict:
    """``dC/dw11`` (the exercise's spelling) for ``dC/dW1[1,1]`` of the first layer, and so on."""
    keys = {}
    for l, layer in enumerate(problem.layers, 1):
        rows, cols = layer.W.shape
        if rows < 10 and cols < 10:
            for i in range(rows):
                for j in range(cols):
                    keys[f"dc/dw{i + 1}{j + 1}"] = f"dC/dW1[{i + 1},{j + 1}]" if l == 1 else keys.get(f"dc/dw{i + 1}{j + 1}")
    return {k: v for k, v in keys.items() if v}


def _entry_line(e: Entry) -> str:
    return f"{e.name} = {e.formula} = {num(e.value)}" if e.formula and e.formula != num(e.value) else \
        f"{e.name} = {num(e.value)}"


def _text_block(block: Block) -> list[str]:
    lines = []
    if block.rule:
        lines.append(f"  {block.rule}")
    mat = matrix_lines(block.value)
    pad = " " * (len(block.name) + 3)
    lines += [f"    {block.name} = {row}" if i == 0 else f"    {pad}{row}" for i, row in enumerate(mat)]
    width = max((len(_entry_line(e)) for e in block.entries), default=0)
    for e in block.entries:
        line = _entry_line(e)
        lines.append(f"      {line.ljust(width)}    [{e.note}]" if e.note else f"      {line}")
    return lines


def _md_block(block: Block) -> str:
    out = []
    if block.rule:
        out.append(f"`{block.rule}`")
        out.append("")
    out += ["```", *(f"{block.name} = {r}" if i == 0 else " " * (len(block.name) + 3) + r
                     for i, r in enumerate(matrix_lines(block.value))), "```"]
    if block.entries:
        out += ["", "| entry | product | value | note |", "| --- | --- | --- | --- |"]
        for e in block.entries:
            out.append(f"| `{e.name}` | {e.formula.replace('|', '¦') or '—'} | {num(e.value)} | {e.note} |")
    return "\n".join(out)


_TEX_NAME = re.compile(r"dC/d([A-Za-z]+)(\d*)(\[[0-9,]+\])?")


def _tex_name(text: str) -> str:
    def frac(m):
        sub = f"_{{{m.group(2)}}}" if m.group(2) else ""
        return rf"\frac{{\partial C}}{{\partial {m.group(1)}{sub}}}" + (m.group(3) or "")
    text = _TEX_NAME.sub(frac, text)
    return _tex_symbols(text)


def _tex_symbols(text: str) -> str:
    for a, b in (("·", r"\cdot "), ("⊙", r"\odot "), ("Σ_i", r"\sum_i "), ("Σ_j", r"\sum_j "), ("Σ", r"\sum "),
                 ("−", "-"), ("²", "^2"), ("½", r"\tfrac12 "), ("ᵀ", r"^\top "), ("≥", r"\ge "), ("≤", r"\le "),
                 ("_new", r"^{\mathrm{new}}"), ("α", r"\alpha ")):
        text = text.replace(a, b)
    return text


def _tex_text(text: str) -> str:
    text = text.replace("_", r"\_")
    return _tex_symbols(text).replace(r"\sum", r"$\sum$").replace(r"\cdot ", r"$\cdot$").replace(r"\odot ", r"$\odot$")


def _tex_entries(entries) -> list[str]:
    out = [r"\begin{align*}"]
    for e in entries:
        rhs = f"{_tex_symbols(_tex_name(e.formula))} = {num(e.value)}" if e.formula else num(e.value)
        note = rf" && \text{{{e.note}}}" if e.note else ""
        out.append(f"{_tex_name(e.name)} &= {rhs}{note} \\\\")
    out.append(r"\end{align*}")
    return out


def _tex_block(block: Block) -> list[str]:
    out = []
    if block.rule:
        out.append(r"\[ " + _tex_name(block.rule) + r" \]")
    out.append(r"\[ " + _tex_name(block.name) + " = " + latex_matrix(block.value) + r" \]")
    if block.entries:
        out += _tex_entries(block.entries)
    return out


# ----------------------------------------------------------------- solving
def _check(value, expected, what):
    if not np.isclose(value, expected, rtol=1e-9, atol=1e-9):  # pragma: no cover - an engine bug
        raise RuntimeError(f"{what}: the product {expected!r} disagrees with autograd's {value!r}")


def solve(problem: Problem) -> Worksheet:
    """Run the problem through the engine and write the worksheet."""
    p, L = problem, len(problem.layers)

    def nm(sym):  # display name
        default = "x" if sym == "a0" else "y" if sym == f"a{L}" else sym
        return p.names.get(sym, default)

    def d(sym):
        return f"dC/d{nm(sym)}"

    # forward, recorded by autograd
    x = Tensor(p.x.copy(), requires_grad=True)
    Ws = [Tensor(layer.W.copy(), requires_grad=True) for layer in p.layers]
    bs = [Tensor(layer.b.copy(), requires_grad=True) if layer.b is not None else None for layer in p.layers]
    acts, zs = [x], []
    for layer, W, b in zip(p.layers, Ws, bs):
        z = W @ acts[-1]
        if b is not None:
            z = z + b
        z.retain_grad()
        a = activate(z, layer.activation, layer.at_zero, layer.alpha)
        a.retain_grad()
        zs.append(z)
        acts.append(a)
    y = acts[-1]
    diff = y - Tensor(p.t)
    C = (diff * diff).sum()
    if p.loss == "half_sse":
        C = C * 0.5
    elif p.loss == "mse":
        C = C / p.t.size
    C.backward()

    A = [a.detach().numpy() for a in acts]
    Z = [z.detach().numpy() for z in zs]
    fprime = [derivative(Z[l], layer.activation, layer.at_zero, layer.alpha) for l, layer in enumerate(p.layers)]
    inactive = [(fp == 0) & (layer.activation in ("relu", "step")) for fp, layer in zip(fprime, p.layers)]

    header = [f"{p.name}" + (f" — {p.description}" if p.description else "")]
    for l, layer in enumerate(p.layers, 1):
        bias = f" + b{l}" if layer.b is not None else ""
        header.append(f"Layer {l}: z{l} = W{l} {nm(f'a{l-1}')}{bias}, {nm(f'a{l}')} = {layer.activation}(z{l}); "
                      f"convention {convention(layer.activation, layer.at_zero, layer.alpha)}")
    header.append(f"Loss: {LOSSES[p.loss]}" + (f"; learning rate {num(p.lr)}" if p.lr is not None else ""))
    header.append("Indices count from 1; W is out x in. Every number below is computed by chainrule's autograd.")

    # ---- forward
    fwd = []
    for l, layer in enumerate(p.layers, 1):
        W, a_in, a_sym = layer.W, A[l - 1], nm(f"a{l-1}")
        entries = []
        for i in range(W.shape[0]):
            terms = " + ".join(f"{paren(W[i, j])}·{paren(a_in[j])}" for j in range(W.shape[1]))
            expect = float(W[i] @ a_in)
            if layer.b is not None:
                terms += f" + {paren(layer.b[i])}"
                expect += layer.b[i]
            _check(Z[l - 1][i], expect, f"z{l}[{i + 1}]")
            entries.append(Entry(f"z{l}[{i + 1}]", Z[l - 1][i], terms))
        bias = f" + b{l}" if layer.b is not None else ""
        fwd.append(Block(f"z{l}", Z[l - 1], f"z{l} = W{l} {a_sym}{bias}", entries))
        act_entries = []
        for i in range(W.shape[0]):
            note = f"unit inactive: z{l}[{i + 1}] = {num(Z[l - 1][i])} < 0" if (
                layer.activation == "relu" and Z[l - 1][i] < 0) else ""
            act_entries.append(Entry(f"{nm(f'a{l}')}[{i + 1}]", A[l][i],
                                     f"{layer.activation}({num(Z[l - 1][i])})", note))
        fwd.append(Block(nm(f"a{l}"), A[l], f"{nm(f'a{l}')} = {layer.activation}(z{l})", act_entries))
    ysym = nm(f"a{L}")
    sq = " + ".join(f"({num(A[L][i])} − {paren(p.t[i])})²" for i in range(p.t.size))
    scale = {"sse": "", "half_sse": "½·", "mse": f"(1/{p.t.size})·"}[p.loss]
    loss_block = Block("C", np.array(C.item()), LOSSES[p.loss].replace("y[", f"{ysym}["),
                       [Entry("C", C.item(), f"{scale}{'(' + sq + ')' if scale and p.t.size > 1 else sq}")])
    sections = [Section("Forward pass", fwd + [loss_block])]

    # ---- backward
    bwd = []
    gy = acts[L].grad.numpy()
    factor = {"sse": "2·", "half_sse": "", "mse": f"(2/{p.t.size})·"}[p.loss]
    bwd.append(Block(d(f"a{L}"), gy, f"{d(f'a{L}')} = {factor}({ysym} − t)",
                     [Entry(f"{d(f'a{L}')}[{i + 1}]", gy[i], f"{factor}({num(A[L][i])} − {paren(p.t[i])})")
                      for i in range(p.t.size)]))
    for l in range(L, 0, -1):
        layer, W = p.layers[l - 1], p.layers[l - 1].W
        ga, gz = acts[l].grad.numpy(), zs[l - 1].grad.numpy()
        fp, dead = fprime[l - 1], inactive[l - 1]
        act = layer.activation
        entries = []
        for i in range(gz.size):
            _check(gz[i], ga[i] * fp[i], f"dC/dz{l}[{i + 1}]")
            note = ""
            if gz[i] == 0 and dead[i]:
                note = f"zero: {act}'(z{l}[{i + 1}]) = 0 since z{l}[{i + 1}] = {num(Z[l - 1][i])} (unit inactive)"
            entries.append(Entry(f"dC/dz{l}[{i + 1}]", gz[i],
                                 f"{paren(ga[i])} · {act}'({num(Z[l - 1][i])}) = {paren(ga[i])} · {paren(fp[i])}", note))
        bwd.append(Block(f"dC/dz{l}", gz, f"dC/dz{l} = {d(f'a{l}')} ⊙ {act}'(z{l})", entries))

        gW, a_in, a_sym = Ws[l - 1].grad.numpy(), A[l - 1], nm(f"a{l-1}")
        entries = []
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                _check(gW[i, j], gz[i] * a_in[j], f"dC/dW{l}[{i + 1},{j + 1}]")
                note = ""
                if gW[i, j] == 0:
                    if dead[i]:
                        note = f"zero: weight into inactive unit {nm(f'a{l}')}[{i + 1}]"
                    elif l > 1 and inactive[l - 2][j] and a_in[j] == 0:
                        note = f"zero: weight out of inactive unit {a_sym}[{j + 1}] ({a_sym}[{j + 1}] = 0)"
                    elif a_in[j] == 0:
                        note = f"zero: {a_sym}[{j + 1}] = 0"
                entries.append(Entry(f"dC/dW{l}[{i + 1},{j + 1}]", gW[i, j],
                                     f"dC/dz{l}[{i + 1}] · {a_sym}[{j + 1}] = {paren(gz[i])} · {paren(a_in[j])}", note))
        bwd.append(Block(f"dC/dW{l}", gW, f"dC/dW{l} = dC/dz{l} {a_sym}ᵀ", entries))
        if bs[l - 1] is not None:
            gb = bs[l - 1].grad.numpy()
            bwd.append(Block(f"dC/db{l}", gb, f"dC/db{l} = dC/dz{l}",
                             [Entry(f"dC/db{l}[{i + 1}]", gb[i], f"dC/dz{l}[{i + 1}]",
                                    f"zero: unit {nm(f'a{l}')}[{i + 1}] inactive" if gb[i] == 0 and dead[i] else "")
                              for i in range(gb.size)]))
        g_in = acts[l - 1].grad.numpy()
        entries = []
        for j in range(W.shape[1]):
            _check(g_in[j], float(gz @ W[:, j]), f"{d(f'a{l-1}')}[{j + 1}]")
            terms = " + ".join(f"{paren(gz[i])}·{paren(W[i, j])}" for i in range(W.shape[0]))
            entries.append(Entry(f"{d(f'a{l-1}')}[{j + 1}]", g_in[j], terms))
        bwd.append(Block(d(f"a{l-1}"), g_in, f"{d(f'a{l-1}')} = W{l}ᵀ dC/dz{l}", entries))
    sections.append(Section("Backward pass", bwd))
    notes = _inactivity_notes(p, Z, A, inactive, Ws, bs, nm)
    if notes:
        sections.append(Section("Which derivatives are zero because a unit is inactive (A2)", [], notes))

    # ---- one gradient step, by the engine's SGD
    if p.lr is not None:
        params = [Tensor(W.detach().numpy().copy(), requires_grad=True) for W in Ws]
        params_b = [Tensor(b.detach().numpy().copy(), requires_grad=True) for b in bs if b is not None]
        for new, old in zip(params + params_b, Ws + [b for b in bs if b is not None]):
            new.grad = Tensor(old.grad.numpy().copy())
        optim.SGD(params + params_b, lr=p.lr).step()
        upd, k = [], 0
        for l, (layer, new) in enumerate(zip(p.layers, params), 1):
            g = Ws[l - 1].grad.numpy()
            entries = []
            for i in range(layer.W.shape[0]):
                for j in range(layer.W.shape[1]):
                    _check(new.detach().numpy()[i, j], layer.W[i, j] - p.lr * g[i, j], f"W{l}_new[{i + 1},{j + 1}]")
                    entries.append(Entry(f"W{l}_new[{i + 1},{j + 1}]", new.detach().numpy()[i, j],
                                         f"{num(layer.W[i, j])} − {num(p.lr)}·{paren(g[i, j])}"))
            upd.append(Block(f"W{l}_new", new.detach().numpy(), f"W{l}_new = W{l} − {num(p.lr)}·dC/dW{l}", entries))
            if layer.b is not None:
                nb, gb = params_b[k], bs[l - 1].grad.numpy()
                k += 1
                upd.append(Block(f"b{l}_new", nb.detach().numpy(), f"b{l}_new = b{l} − {num(p.lr)}·dC/db{l}",
                                 [Entry(f"b{l}_new[{i + 1}]", nb.detach().numpy()[i],
                                        f"{num(layer.b[i])} − {num(p.lr)}·{paren(gb[i])}") for i in range(gb.size)]))
        sections.append(Section(f"Update: one gradient step, learning rate {num(p.lr)}", upd))
    return Worksheet(p, header, sections)


def _inactivity_notes(p, Z, A, inactive, Ws, bs, nm) -> list[str]:
    """A2: for each inactive unit, the weight derivatives it forces to zero (into it, out of it) and
    why; then which derivatives are not forced to zero, and why."""
    notes, forced = [], set()
    for l, layer in enumerate(p.layers, 1):
        for i in np.flatnonzero(inactive[l - 1]):
            unit, z = f"{nm(f'a{l}')}[{i + 1}]", Z[l - 1][i]
            fp0 = "" if z < 0 else f" (z = 0 and the convention {layer.activation}'(0) = 0)"
            notes.append(f"{unit} is inactive: z{l}[{i + 1}] = {num(z)}{fp0}, so {layer.activation}'(z{l}[{i + 1}]) = 0 "
                         f"and dC/dz{l}[{i + 1}] = dC/d{unit} · 0 = 0.")
            into = [f"dC/dW{l}[{i + 1},{j + 1}]" for j in range(layer.W.shape[1])]
            forced.update((l, i, j) for j in range(layer.W.shape[1]))
            if layer.b is not None:
                into.append(f"dC/db{l}[{i + 1}]")
            notes.append(f"  guaranteed 0, the weights into {unit}: {', '.join(into)} "
                         f"(each is dC/dz{l}[{i + 1}] · its input = 0 · input).")
            if l < len(p.layers) and A[l][i] == 0:
                nxt = p.layers[l].W.shape[0]
                out = [f"dC/dW{l + 1}[{k + 1},{i + 1}]" for k in range(nxt)]
                forced.update((l + 1, k, i) for k in range(nxt))
                notes.append(f"  guaranteed 0, the weights out of {unit}: {', '.join(out)} "
                             f"(each is dC/dz{l + 1}[k] · {unit} and {unit} = {layer.activation}({num(z)}) = 0).")
    if not notes:
        return []
    others = [(l, i, j) for l, layer in enumerate(p.layers, 1) for i in range(layer.W.shape[0])
              for j in range(layer.W.shape[1]) if (l, i, j) not in forced]
    notes.append(f"Not guaranteed 0: the other {len(others)} weight derivatives. Each is dC/dz[i] · a[j] with unit i "
                 "active and a[j] not the output of an inactive unit, so no factor is forced to 0: a path from "
                 "it to C avoids the inactive units and its value depends on the numbers.")
    coincidental = [f"dC/dW{l}[{i + 1},{j + 1}]" for l, i, j in others if Ws[l - 1].grad.numpy()[i, j] == 0]
    if coincidental:
        notes.append(f"  Of those, zero here anyway (a zero input or every path blocked further on, not this "
                     f"unit's inactivity alone): {', '.join(coincidental)}.")
    return notes
