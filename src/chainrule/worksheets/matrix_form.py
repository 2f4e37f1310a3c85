"""Exercise A4 in matrix form: an L-layer sigmoid network with a softmax output and no biases,

    z(l) = W(l) y(l−1),  y(l) = σ(z(l)) (l < L),  y(L) = softmax(z(L)),  W(l) is n_l x n_(l−1),
    E = (1/m) Σ_samples −tᵀ log y(L)  [+ λ/2 Σ_l ||W(l)||²],

with the exercise's gradients computed by its own formulas (row-vector derivatives, one sample at
a time, then averaged over the m samples, then + λ W(l))::

    ∂E/∂z(L)   = (y(L) − t)ᵀ                    ∂E/∂y(l−1) = ∂E/∂z(l) W(l)
    ∂y/∂z(l)   = diag(y(l) .* (1 − y(l)))         ∂E/∂z(l)   = ∂E/∂y(l) diag(y(l) .* (1 − y(l)))
    ∂E/∂W(l)   = (∂E/∂z(l))ᵀ y(l−1)ᵀ   (so ∂E/∂W(L) = (y(L) − t) y(L−1)ᵀ and ∂E/∂W(1) = (∂E/∂z(1))ᵀ xᵀ)

and beside them the same quantities from the engine's autograd, with the largest difference.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..nn import functional as F
from ..tensor import Tensor
from ._format import latex_matrix, matrix_lines, tex_math, tex_text

SHOW_ENTRIES = 80  # print a matrix when it has at most this many entries
INTRO = ("z(l) = W(l) y(l−1), y(l) = σ(z(l)) for l < L, y(L) = softmax(z(L)); W(l) is n_l x n_(l−1); y(0) = x",
         "E = (1/m) Σ −tᵀ log y(L) over the m samples (one-hot t), + λ/2 Σ ||W(l)||² with weight decay",
         "Each formula is evaluated per sample as written (row-vector derivatives), averaged over the m",
         "samples, + λ W(l) for the weights; autograd is chainrule's backward of E (float64).")
TABLE_HEADER = ("quantity", "formula", "shape", "max |formula − autograd|")


@dataclass
class Row:
    name: str
    formula: str
    formula_value: np.ndarray
    autograd_value: np.ndarray

    @property
    def max_diff(self) -> float:
        return float(np.max(np.abs(self.formula_value - self.autograd_value)))


@dataclass
class Case:
    m: int
    weight_decay: float
    E: float
    rows: list[Row] = field(default_factory=list)

    def title(self) -> str:
        return f"m = {self.m}" + (" (gradients averaged over the batch)" if self.m > 1 else "") + \
            f", λ = {self.weight_decay:g}" + (" (weight decay adds λ W(l))" if self.weight_decay else "")

    def table(self) -> list[tuple[str, str, str, str]]:
        """(quantity, formula, shape, max difference) for every row."""
        rows = []
        for r in self.rows:
            shape = "×".join(map(str, r.formula_value.shape[-2:] if r.formula_value.ndim > 1 else
                                 (1, r.formula_value.shape[0])))
            rows.append((r.name, r.formula, shape, f"{r.max_diff:.2e}"))
        return rows

    def shown(self):
        """(label, by the formula, by autograd) of the rows small enough to print, rounded to 5 decimals."""
        for r in self.rows:
            f_val, a_val = r.formula_value, r.autograd_value
            if f_val.ndim == 3:  # per-sample rows: show the first sample
                f_val, a_val = f_val[0], a_val[0]
            if f_val.size > SHOW_ENTRIES or r.name.startswith("∂y"):
                continue
            label = r.name + (" (sample 1)" if r.formula_value.ndim == 3 else "")
            yield label, np.round(f_val, 5), np.round(a_val, 5)

    def row(self, name: str) -> Row:
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)


@dataclass
class MatrixForm:
    sizes: tuple
    seed: int
    cases: list[Case]

    @property
    def passed(self) -> bool:
        return all(r.max_diff < 1e-9 for c in self.cases for r in c.rows)

    def _title(self) -> str:
        n = ", ".join(f"n{l} = {s}" for l, s in enumerate(self.sizes))
        return (f"A4 — matrix-form backprop of an L-layer sigmoid network with softmax output, no biases "
                f"(L = {len(self.sizes) - 1}; {n}; seed {self.seed})")

    def text(self) -> str:
        out = [self._title(), *INTRO]
        for case in self.cases:
            title = case.title()
            out += ["", title, "-" * len(title), f"  E = {case.E:.6g}"]
            rows = [TABLE_HEADER] + case.table()
            widths = [max(len(row[i]) for row in rows) for i in range(4)]
            out += ["  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
            for label, f_val, a_val in case.shown():
                left = matrix_lines(f_val)
                right = matrix_lines(a_val)
                width = max(len(s) for s in left)
                out += ["", f"  {label}:", f"    {'by the formula'.ljust(width)}   by autograd"]
                out += [f"    {a.ljust(width)}   {b}" for a, b in zip(left, right)]
        out += ["", self._verdict()]
        return "\n".join(out) + "\n"

    def _verdict(self) -> str:
        return f"{'PASS' if self.passed else 'FAIL'}: every formula agrees with autograd to 1e-9"

    def markdown(self) -> str:
        out = [f"# {self._title()}", "", "```", *INTRO[:2], "```", "", " ".join(INTRO[2:])]
        for case in self.cases:
            out += ["", f"## {case.title()}", "", f"`E = {case.E:.6g}`", "",
                    "| " + " | ".join(h.replace("|", "\\|") for h in TABLE_HEADER) + " |", "| --- | --- | --- | --- |"]
            out += [f"| `{name}` | `{formula}` | {shape} | {diff} |" for name, formula, shape, diff in case.table()]
            for label, f_val, a_val in case.shown():
                out += ["", f"### {label}", "", "```", *_side_by_side("by the formula", f_val), "",
                        *_side_by_side("by autograd", a_val), "```"]
        out += ["", f"**{self._verdict().replace(':', '**:', 1)}"]
        return "\n".join(out) + "\n"

    def latex(self) -> str:
        out = [r"\section*{" + tex_text(self._title()) + "}", r"\begin{itemize}"]
        out += [r"\item " + tex_text(line) for line in (INTRO[0], INTRO[1], " ".join(INTRO[2:]))]
        out.append(r"\end{itemize}")
        for case in self.cases:
            out += [r"\subsection*{" + tex_text(case.title()) + "}", rf"\[ E = {case.E:.6g} \]",
                    r"\begin{tabular}{llll}", r"\hline",
                    r"quantity & formula & shape & max $|\text{formula} - \text{autograd}|$ \\", r"\hline"]
            out += [f"${tex_math(name)}$ & ${tex_math(formula)}$ & ${tex_math(shape)}$ & {diff} " + r"\\"
                    for name, formula, shape, diff in case.table()]
            out += [r"\hline", r"\end{tabular}"]
            for label, f_val, a_val in case.shown():
                out += [r"\paragraph{" + tex_text(label) + "}",
                        r"\[ \text{by the formula: } " + latex_matrix(f_val) + r" \]",
                        r"\[ \text{by autograd: } " + latex_matrix(a_val) + r" \]"]
        out += ["", r"\textbf{" + ("PASS" if self.passed else "FAIL") +
                "}: every formula agrees with autograd to $10^{-9}$"]
        return "\n".join(out) + "\n"

    def render(self, fmt: str = "text") -> str:
        return {"text": self.text, "markdown": self.markdown, "latex": self.latex}[fmt]()


def _side_by_side(name, value):
    rows = matrix_lines(value)
    pad = " " * (len(name) + 3)
    return [f"{name} = {row}" if i == 0 else f"{pad}{row}" for i, row in enumerate(rows)]


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def problem(sizes=(784, 7, 10), m: int = 1, seed: int = 0):
    """Seeded weights (``W(l)`` n_l x n_(l−1), scaled 1/√n_(l−1)), m inputs in [0, 1] and one-hot
    targets: ``(Ws, X [m x n0], T [m x n_L])``."""
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes {sizes}: give at least n0 and nL, each >= 1, e.g. 784,7,10")
    if m < 1:
        raise ValueError(f"the batch size must be >= 1 (got {m})")
    rng = np.random.default_rng(seed)
    Ws = [rng.normal(size=(o, i)) / np.sqrt(i) * 2 for i, o in zip(sizes[:-1], sizes[1:])]
    X = rng.uniform(0, 1, size=(m, sizes[0]))
    T = np.eye(sizes[-1])[rng.integers(0, sizes[-1], m)]
    return Ws, X, T


def by_formulas(Ws, X, T, weight_decay: float = 0.0) -> dict:
    """The exercise's formulas, sample by sample, as NumPy. Keys: ``dz{l}``, ``dy{l}`` (per sample,
    shape [m, 1, n]), ``dydz{l}`` (the diag matrices of the first sample), ``dW{l}`` (averaged, + λW)."""
    L, m = len(Ws), X.shape[0]
    out = {f"dW{l}": np.zeros_like(Ws[l - 1]) for l in range(1, L + 1)}
    for k in range(m):
        ys = [X[k][:, None]]  # columns
        for l, W in enumerate(Ws, 1):
            z = W @ ys[-1]
            ys.append(_softmax(z) if l == L else _sigmoid(z))
        dz = (ys[L] - T[k][:, None]).T  # ∂E/∂z(L) = (y(L) − t)ᵀ, a row
        for l in range(L, 0, -1):
            out.setdefault(f"dz{l}", []).append(dz)
            out[f"dW{l}"] += dz.T @ ys[l - 1].T / m  # (∂E/∂z(l))ᵀ y(l−1)ᵀ, averaged
            if l > 1:
                dy = dz @ Ws[l - 1]  # ∂E/∂y(l−1) = ∂E/∂z(l) W(l)
                out.setdefault(f"dy{l - 1}", []).append(dy)
                y = ys[l - 1][:, 0]
                D = np.diag(y * (1 - y))  # ∂y(l−1)/∂z(l−1)
                if k == 0:
                    out[f"dydz{l - 1}"] = D
                dz = dy @ D
    for key in list(out):
        if key.startswith(("dz", "dy")) and not key.startswith("dydz"):
            out[key] = np.stack(out[key])
    for l in range(1, L + 1):
        out[f"dW{l}"] = out[f"dW{l}"] + weight_decay * Ws[l - 1]
    return out


def by_autograd(Ws, X, T, weight_decay: float = 0.0) -> dict:
    """The same quantities by the engine: E's backward; per-sample ∂E/∂z, ∂E/∂y are m x the
    gradient of the averaged E; ∂y/∂z(l) of the first sample is the Jacobian of σ by backward."""
    L, m = len(Ws), X.shape[0]
    W = [Tensor(w.copy(), requires_grad=True) for w in Ws]
    y, zs, ys = Tensor(X.copy()), [], []
    for l, w in enumerate(W, 1):
        z = y @ w.T
        z.retain_grad()
        zs.append(z)
        if l < L:
            y = z.sigmoid()
            y.retain_grad()
            ys.append(y)
    logp = F.log_softmax(zs[-1], dim=1)
    E = -(Tensor(T) * logp).sum() / m
    if weight_decay:
        for w in W:
            E = E + (w * w).sum() * (weight_decay / 2)
    E.backward()
    out = {"E": float(E.item())}
    for l in range(1, L + 1):
        out[f"dW{l}"] = W[l - 1].grad.numpy()
        out[f"dz{l}"] = zs[l - 1].grad.numpy()[:, None, :] * m
        if l < L:
            out[f"dy{l}"] = ys[l - 1].grad.numpy()[:, None, :] * m
            z0 = Tensor(zs[l - 1].detach().numpy()[0].copy(), requires_grad=True)
            s = z0.sigmoid()
            n = s.shape[0]
            jac = np.zeros((n, n))
            if n <= 256:
                for j in range(n):
                    z0.grad = None
                    e = np.zeros(n)
                    e[j] = 1
                    s.backward(Tensor(e), retain_graph=True)
                    jac[j] = z0.grad.numpy()
            out[f"dydz{l}"] = jac
    return out


def worksheet(sizes=(784, 7, 10), batches=(1, 8), weight_decays=(0.0, 0.01), seed: int = 0) -> MatrixForm:
    """A4 for every (m, λ) asked for: the formulas beside autograd."""
    sizes = tuple(int(s) for s in sizes)
    L = len(sizes) - 1
    cases = []
    for m in batches:
        Ws, X, T = problem(sizes, m, seed)
        for lam in weight_decays:
            f, a = by_formulas(Ws, X, T, lam), by_autograd(Ws, X, T, lam)
            decay = " + λ W({l})" if lam else ""
            avg = "(1/m) Σ " if m > 1 else ""
            rows = [Row(f"∂E/∂z({L})", "(y(L) − t)ᵀ".replace("L", str(L)), f[f"dz{L}"], a[f"dz{L}"])]
            for l in range(L, 0, -1):
                if l < L:
                    rows.append(Row(f"∂E/∂y({l})", f"∂E/∂z({l + 1}) W({l + 1})" if l + 1 < L else
                                    f"(y({L}) − t)ᵀ W({L})", f[f"dy{l}"], a[f"dy{l}"]))
                    if sizes[l] <= 256:
                        rows.append(Row(f"∂y({l})/∂z({l})", f"diag(y({l}) .* (1 − y({l})))  [sample 1]",
                                        f[f"dydz{l}"], a[f"dydz{l}"]))
                    rows.append(Row(f"∂E/∂z({l})", f"∂E/∂y({l}) diag(y({l}) .* (1 − y({l})))", f[f"dz{l}"],
                                    a[f"dz{l}"]))
                prev = "x" if l == 1 else f"y({l - 1})"
                formula = f"(y({L}) − t) {prev}ᵀ" if l == L else f"(∂E/∂z({l}))ᵀ {prev}ᵀ"
                rows.append(Row(f"∂E/∂W({l})", avg + formula + decay.format(l=l), f[f"dW{l}"], a[f"dW{l}"]))
            cases.append(Case(m, lam, a["E"], rows))
    return MatrixForm(sizes, seed, cases)
