"""The README's tour runs as written and prints what it claims."""

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_python_tour_runs():
    pytest.importorskip("torch")
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README has no Python tour"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(blocks[0], "README.md", "exec"), {})  # noqa: S102 - our own documentation
    printed = out.getvalue()
    assert "tensor([18.]" in printed and "225" in printed and "Total params: 289,630" in printed


def test_the_swap_imports_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    swap = next(b for b in blocks if "import chainrule as torch" in b)
    namespace: dict = {}
    exec(compile(swap, "README.md", "exec"), namespace)  # noqa: S102 - our own documentation
    assert namespace["torch"].__name__ == "chainrule" and namespace["DataLoader"].__name__ == "DataLoader"
