"""The computation graph of exercise A3, a network defined in Python (not TOML)::

    z = W1 x + b1,   h = σ(z),   ŷ = x + W2 h + b2,   S = ½||ŷ − s||²,   R = rᵀh,   L = S + R

with N inputs (and outputs) and K hidden units. The worksheet builds it with the engine (the
intermediate tensors named x, z, h, ŷ, S, R, L), draws its graph (DOT text by
:func:`chainrule.graph.to_dot`; SVG/PNG by :func:`chainrule.graph.render` when Graphviz is
installed), lists the backward equation of every node with its numbers, shows the two paths that
reach x (through z, and through the skip connection) and their sum x̄, and checks the closed form
against autograd and against central finite differences, in float64::

    from chainrule.worksheets.graph_sheet import a3_worksheet
    sheet = a3_worksheet(N=3, K=2, seed=0)
    print(sheet.text()); sheet.write_graph("out/")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import graph
from ..tensor import Tensor
from ._format import latex_matrix, matrix_lines, tex_math, tex_text

FD_EPS = 1e-6
EQUATION = "z = W1 x + b1,  h = σ(z),  ŷ = x + W2 h + b2,  S = ½||ŷ − s||²,  R = rᵀh,  L = S + R"
INTRO = "Every number below is computed by chainrule's autograd in float64; W is out x in."
GIVEN, FORWARD = ("x", "W1", "b1", "W2", "b2", "r", "s"), ("z", "h", "ŷ", "S", "R", "L")
CHECK_HEADER = ("quantity", "max |closed − autograd|", "max |closed − finite diff.|")
GRAPH_NOTE = "ellipses are tensors, boxes the ops that made them, shaded ellipses the leaves backward fills"


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def loss_numpy(x, W1, b1, W2, b2, r, s) -> float:
    """L of A3 in plain NumPy (the independent computation the finite differences use)."""
    h = _sigmoid(W1 @ x + b1)
    yhat = x + W2 @ h + b2
    return float(0.5 * np.sum((yhat - s) ** 2) + r @ h)


@dataclass
class GraphSheet:
    N: int
    K: int
    seed: int
    values: dict  # the problem's numbers: x, W1, b1, W2, b2, r, s
    forward: dict  # z, h, ŷ, S, R, L
    closed: dict  # the backward equations' values: ŷ̄, h̄, z̄, W1̄, …, x̄ and the two paths
    autograd: dict  # the same quantities by the engine's backward
    numeric: dict  # x̄ and W1̄ … by central finite differences
    dot: str  # the graph, in Graphviz DOT
    equations: list = field(default_factory=list)  # (node, equation in symbols, key into closed)
    _root: object = None
    _names: dict = field(default_factory=dict)

    def max_differences(self) -> dict:
        """{quantity: (max |closed − autograd|, max |closed − finite differences| or None)}."""
        out = {}
        for key in self.closed:
            if key not in self.autograd:
                continue
            a = float(np.max(np.abs(self.closed[key] - self.autograd[key])))
            n = float(np.max(np.abs(self.closed[key] - self.numeric[key]))) if key in self.numeric else None
            out[key] = (a, n)
        return out

    def _title(self) -> str:
        return (f"A3 — a computation graph with a skip path and a two-part loss (N = {self.N}, K = {self.K}, "
                f"seed {self.seed})")

    def _check_rows(self) -> list[tuple[str, str, str]]:
        return [(key, f"{a:.2e}", "-" if n is None else f"{n:.2e}") for key, (a, n) in self.max_differences().items()]

    def text(self) -> str:
        v, f, c = self.values, self.forward, self.closed
        out = [self._title(), EQUATION, INTRO]
        out += ["", "Given", "-----"]
        for key in GIVEN:
            out += _mat(key, v[key])
        out += ["", "Forward pass", "------------"]
        for key in FORWARD:
            out += _mat(key, f[key])
        out += ["", "Computation graph (Graphviz DOT; ellipses are tensors, boxes the ops that made them,",
                "shaded ellipses the leaves backward fills)", "-" * 22, self.dot.rstrip()]
        out += ["", "Backward equations, node by node (ā = ∂L/∂a)", "-" * 45]
        for node, eq, key in self.equations:
            out.append(f"  {node}:  {eq}")
            if key is not None:
                out += ["      " + line for line in _mat(key, c[key], "")]
        out += ["", "Two paths reach x", "-----------------",
                "  x feeds z (z = W1 x + b1) and ŷ directly (the skip ŷ = x + W2 h + b2); x̄ is their sum.",
                "  path 1, through z:    L → S → ŷ → h → z → x  and  L → R → h → z → x   gives  W1ᵀ z̄",
                *["      " + line for line in _mat("W1ᵀ z̄", c["x̄ via z"], "")],
                "  path 2, the skip:     L → S → ŷ → x                                 gives  ŷ̄ = ŷ − s",
                *["      " + line for line in _mat("ŷ̄", c["x̄ via skip"], "")],
                "  x̄ = W1ᵀ z̄ + ŷ̄ = W1ᵀ [(W2ᵀ(ŷ − s) + r) ⊙ σ(z) ⊙ (1 − σ(z))] + (ŷ − s)",
                *["      " + line for line in _mat("x̄", c["x̄"], "")]]
        out += ["", "Checks: the closed form against autograd and against central finite differences "
                f"(ε = {FD_EPS:g}, float64)", "-" * 40]
        rows = [CHECK_HEADER] + self._check_rows()
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        out += ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
        out.append(f"  {'PASS' if self.passed else 'FAIL'}: every difference below 1e-6")
        return "\n".join(out) + "\n"

    def _paths(self):
        """The "two paths reach x" part: (sentence, formula, name, value) rows."""
        c = self.closed
        return [("path 1, through z: L → S → ŷ → h → z → x and L → R → h → z → x give", "W1ᵀ z̄", c["x̄ via z"]),
                ("path 2, the skip: L → S → ŷ → x gives", "ŷ̄", c["x̄ via skip"]),
                ("their sum:", "x̄ = W1ᵀ z̄ + ŷ̄ = W1ᵀ [(W2ᵀ(ŷ − s) + r) ⊙ σ(z) ⊙ (1 − σ(z))] + (ŷ − s)", c["x̄"])]

    def markdown(self) -> str:
        v, f, c = self.values, self.forward, self.closed
        out = [f"# {self._title()}", "", "```", EQUATION, "```", "", INTRO, "", "## Given", "", "```"]
        for key in GIVEN:
            out += _mat(key, v[key], "")
        out += ["```", "", "## Forward pass", "", "```"]
        for key in FORWARD:
            out += _mat(key, f[key], "")
        out += ["```", "", "## Computation graph", "", f"Graphviz DOT; {GRAPH_NOTE}.", "", "```dot",
                self.dot.rstrip(), "```", "", "## Backward equations, node by node (ā = ∂L/∂a)"]
        for node, eq, key in self.equations:
            out += ["", f"### {node}", "", f"`{eq}`"]
            if key is not None:
                out += ["", "```", *_mat(key, c[key], ""), "```"]
        out += ["", "## Two paths reach x", "",
                "x feeds z (z = W1 x + b1) and ŷ directly (the skip ŷ = x + W2 h + b2); x̄ is their sum."]
        for said, formula, value in self._paths():
            name = formula.split(" = ")[0]
            out += ["", f"{said} `{formula}`", "", "```", *_mat(name, value, ""), "```"]
        out += ["", f"## Checks: the closed form against autograd and against central finite differences "
                f"(ε = {FD_EPS:g}, float64)", "",
                "| " + " | ".join(h.replace("|", "\\|") for h in CHECK_HEADER) + " |", "| --- | --- | --- |"]
        out += [f"| `{key}` | {a} | {n} |" for key, a, n in self._check_rows()]
        out += ["", f"**{'PASS' if self.passed else 'FAIL'}**: every difference below 1e-6"]
        return "\n".join(out) + "\n"

    def latex(self) -> str:
        v, f, c = self.values, self.forward, self.closed
        out = [r"\section*{" + tex_text(self._title()) + "}", r"\[ " + tex_math(EQUATION) + r" \]",
               tex_text(INTRO), r"\subsection*{Given}"]
        out += [r"\[ " + tex_math(key) + " = " + latex_matrix(v[key]) + r" \]" for key in GIVEN]
        out += [r"\subsection*{Forward pass}"]
        out += [r"\[ " + tex_math(key) + " = " + latex_matrix(f[key]) + r" \]" for key in FORWARD]
        dot = self.dot.rstrip().replace("ŷ", "yhat").replace("×", "x")
        out += [r"\subsection*{Computation graph}", "Graphviz DOT; " + tex_text(GRAPH_NOTE) + ".",
                r"\begin{verbatim}", dot, r"\end{verbatim}",
                r"\subsection*{Backward equations, node by node ($" + tex_math("ā = ∂L/∂a") + "$)}"]
        for node, eq, key in self.equations:
            formula, _, aside = eq.partition("  (")
            aside = r" \qquad \text{(" + tex_text(aside.strip()) + "}" if aside else ""
            out.append(r"\[ " + tex_math(formula.strip()) + aside + r" \]")
            if key is not None:
                out.append(r"\[ " + tex_math(key) + " = " + latex_matrix(c[key]) + r" \]")
        out += [r"\subsection*{Two paths reach $x$}",
                tex_text("x feeds z (z = W1 x + b1) and ŷ directly (the skip ŷ = x + W2 h + b2); x̄ is their sum.")]
        for said, formula, value in self._paths():
            name = formula.split(" = ")[0]
            out += [tex_text(said), r"\[ " + tex_math(formula) + r" \]",
                    r"\[ " + tex_math(name) + " = " + latex_matrix(value) + r" \]"]
        out += [r"\subsection*{Checks: the closed form against autograd and against central finite differences "
                f"($\\varepsilon$ = {FD_EPS:g}, float64)}}",
                r"\begin{tabular}{lll}", r"\hline",
                r"quantity & max $|\text{closed} - \text{autograd}|$ & max $|\text{closed} - \text{finite diff.}|$ \\",
                r"\hline"]
        out += [f"${tex_math(key)}$ & {a} & {n} " + r"\\" for key, a, n in self._check_rows()]
        out += [r"\hline", r"\end{tabular}", "",
                r"\textbf{" + ("PASS" if self.passed else "FAIL") + "}: every difference below $10^{-6}$"]
        return "\n".join(out) + "\n"

    def render(self, fmt: str = "text") -> str:
        return {"text": self.text, "markdown": self.markdown, "latex": self.latex}[fmt]()

    @property
    def passed(self) -> bool:
        return all(a < 1e-9 and (n is None or n < 1e-6) for a, n in self.max_differences().values())

    def write_graph(self, out_dir) -> tuple[list[Path], str]:
        """Write the graph into ``out_dir``: ``a3_graph.dot`` always, ``.svg`` and ``.png`` when
        Graphviz's ``dot`` is installed. Returns the files and a sentence saying what was written."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        files = [graph.render(self._root, out_dir / "a3_graph.dot", self._names)]
        try:
            for suffix in ("svg", "png"):
                files.append(graph.render(self._root, out_dir / f"a3_graph.{suffix}", self._names))
        except graph.GraphvizNotFound:
            return files, (f"wrote {files[0]} (Graphviz's `dot` is not installed, so no SVG/PNG; "
                           f"render it with `dot -Tsvg {files[0]} -o a3_graph.svg`)")
        return files, "wrote " + ", ".join(str(p) for p in files)


def _mat(name, value, indent="  "):
    rows = matrix_lines(value)
    pad = " " * (len(name) + 3)
    return [f"{indent}{name} = {row}" if i == 0 else f"{indent}{pad}{row}" for i, row in enumerate(rows)]


def a3_worksheet(N: int = 3, K: int = 2, seed: int = 0, values: dict | None = None) -> GraphSheet:
    """Build A3's network with N inputs and K hidden units from seeded numbers (or ``values``: any
    of x, W1, b1, W2, b2, r, s), run it through the engine and write the worksheet."""
    if N < 1 or K < 1:
        raise ValueError(f"N and K must be >= 1 (got N = {N}, K = {K})")
    rng = np.random.default_rng(seed)
    v = {"x": rng.normal(size=N), "W1": rng.normal(size=(K, N)), "b1": rng.normal(size=K),
         "W2": rng.normal(size=(N, K)), "b2": rng.normal(size=N), "r": rng.normal(size=K), "s": rng.normal(size=N)}
    v = {k: np.round(a, 2) for k, a in v.items()}  # short numbers a student can copy
    for key, value in (values or {}).items():
        if key not in v:
            raise ValueError(f"unknown value {key!r}; A3 has x, W1, b1, W2, b2, r, s")
        v[key] = np.asarray(value, dtype=np.float64).reshape(v[key].shape)

    # ---- forward, recorded by autograd (float64)
    x = Tensor(v["x"].copy(), requires_grad=True)
    W1, b1 = Tensor(v["W1"].copy(), requires_grad=True), Tensor(v["b1"].copy(), requires_grad=True)
    W2, b2 = Tensor(v["W2"].copy(), requires_grad=True), Tensor(v["b2"].copy(), requires_grad=True)
    r, s = Tensor(v["r"].copy()), Tensor(v["s"].copy())
    z = W1 @ x + b1
    h = z.sigmoid()
    yhat = x + W2 @ h + b2
    d = yhat - s
    S = (d * d).sum() * 0.5
    R = (r * h).sum()
    L = S + R
    for t in (z, h, yhat, S, R):
        t.retain_grad()
    names = {"x": x, "z": z, "h": h, "ŷ": yhat, "S": S, "R": R, "L": L, "W1": W1, "b1": b1, "W2": W2, "b2": b2}
    dot = graph.to_dot(L, names)
    L.backward(retain_graph=True)

    fwd = {"z": z.detach().numpy().copy(), "h": h.detach().numpy().copy(), "ŷ": yhat.detach().numpy().copy(), "S": np.array(S.item()), "R": np.array(R.item()),
           "L": np.array(L.item())}

    # ---- the closed form, from the backward equations alone
    Wa, Wb = v["W1"], v["W2"]
    hv = fwd["h"]
    Lb, Sb, Rb = 1.0, 1.0, 1.0
    yb = Sb * (fwd["ŷ"] - v["s"])
    hb = Wb.T @ yb + Rb * v["r"]
    zb = hb * hv * (1 - hv)
    c = {"L̄": np.array(Lb), "S̄": np.array(Sb), "R̄": np.array(Rb), "ŷ̄": yb, "h̄": hb, "z̄": zb,
         "W1̄": np.outer(zb, v["x"]), "b1̄": zb, "W2̄": np.outer(yb, hv), "b2̄": yb,
         "x̄ via z": Wa.T @ zb, "x̄ via skip": yb}
    c["x̄"] = c["x̄ via z"] + c["x̄ via skip"]
    equations = [
        ("L", "L̄ = ∂L/∂L = 1", "L̄"),
        ("S", "S̄ = L̄ · ∂L/∂S = 1", "S̄"),
        ("R", "R̄ = L̄ · ∂L/∂R = 1", "R̄"),
        ("ŷ", "ŷ̄ = S̄ · (ŷ − s)", "ŷ̄"),
        ("h", "h̄ = W2ᵀ ŷ̄ + R̄ r          (two children: ŷ and R)", "h̄"),
        ("z", "z̄ = h̄ ⊙ σ'(z) = h̄ ⊙ σ(z) ⊙ (1 − σ(z))", "z̄"),
        ("W1", "W1̄ = z̄ xᵀ", "W1̄"), ("b1", "b1̄ = z̄", "b1̄"),
        ("W2", "W2̄ = ŷ̄ hᵀ", "W2̄"), ("b2", "b2̄ = ŷ̄", "b2̄"),
        ("x", "x̄ = W1ᵀ z̄ + ŷ̄              (two children: z and ŷ)", "x̄"),
    ]

    # ---- the engine's values
    ag = {"ŷ̄": yhat.grad.numpy(), "h̄": h.grad.numpy(), "z̄": z.grad.numpy(), "W1̄": W1.grad.numpy(),
          "b1̄": b1.grad.numpy(), "W2̄": W2.grad.numpy(), "b2̄": b2.grad.numpy(), "x̄": x.grad.numpy(),
          "S̄": np.array(S.grad.item()), "R̄": np.array(R.grad.item())}

    # ---- central finite differences of the NumPy loss
    def fd(key):
        base = {k: a.copy() for k, a in v.items()}
        grad = np.zeros_like(base[key])
        for idx in np.ndindex(grad.shape):
            plus, minus = {k: a.copy() for k, a in base.items()}, {k: a.copy() for k, a in base.items()}
            plus[key][idx] += FD_EPS
            minus[key][idx] -= FD_EPS
            grad[idx] = (loss_numpy(**plus) - loss_numpy(**minus)) / (2 * FD_EPS)
        return grad

    numeric = {"x̄": fd("x"), "W1̄": fd("W1"), "b1̄": fd("b1"), "W2̄": fd("W2"), "b2̄": fd("b2")}
    return GraphSheet(N, K, seed, v, fwd, c, ag, numeric, dot, equations, L, names)
