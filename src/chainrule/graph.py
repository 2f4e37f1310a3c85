"""The computation graph behind a tensor, as Graphviz DOT.

Ops are boxes (their Function's name), tensors are ellipses (name, if known,
and shape). Leaves that require grad are shaded: they are what ``backward``
fills with gradients. The graph must still exist, so draw it before calling
``backward`` (or call ``backward(retain_graph=True)``).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .tensor import Tensor


class GraphvizNotFound(RuntimeError):
    """Graphviz's ``dot`` program is needed to render a graph to SVG or PNG."""


def _label(tensor: Tensor, names: dict) -> str:
    name = names.get(id(tensor))
    shape = "×".join(map(str, tensor.shape)) or "scalar"
    return f"{name}\\n{shape}" if name else shape


def to_dot(root: Tensor, names: dict | None = None) -> str:
    """DOT text for the graph that produced ``root``.

    ``names`` maps tensors to display names, e.g. ``dict(model.named_parameters())``
    or ``{"x": x, "L": loss}``.
    """
    names = {id(t): n for n, t in (names or {}).items()}
    lines = ["digraph chainrule {", '  rankdir="BT";', '  node [fontname="Helvetica", fontsize=10];']
    seen, stack = set(), [root]
    while stack:
        tensor = stack.pop()
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        style = ', style=filled, fillcolor="#cfe2f3"' if tensor.is_leaf and tensor.requires_grad else ""
        lines.append(f'  t{id(tensor)} [label="{_label(tensor, names)}", shape=ellipse{style}];')
        fn = tensor._ctx
        if fn is None:
            continue
        if fn.inputs is None:
            raise RuntimeError("the graph was freed by backward(); draw it first or use backward(retain_graph=True)")
        lines.append(f'  f{id(fn)} [label="{fn.name}", shape=box, style=filled, fillcolor="#eeeeee"];')
        lines.append(f"  f{id(fn)} -> t{id(tensor)};")
        for parent in fn.inputs:
            if parent.requires_grad:
                lines.append(f"  t{id(parent)} -> f{id(fn)};")
                stack.append(parent)
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(root: Tensor, path, names: dict | None = None) -> Path:
    """Write the graph to ``path``; its suffix (.svg, .png, .pdf, .dot) picks the format."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    dot_text = to_dot(root, names)
    if fmt in ("dot", "gv"):
        path.write_text(dot_text)
        return path
    if fmt not in ("svg", "png", "pdf"):
        raise ValueError(f"{path}: unknown graph format {fmt!r} (use .svg, .png, .pdf or .dot)")
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizNotFound(
            f"cannot render {path}: Graphviz's `dot` program is not installed "
            "(Debian/Ubuntu: apt-get install graphviz). Write a .dot file instead, or use to_dot()."
        )
    result = subprocess.run([dot, f"-T{fmt}", "-o", str(path)], input=dot_text, text=True,
                            capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"dot failed on {path}: {result.stderr.strip()}")
    return path
