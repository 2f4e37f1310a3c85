"""A3 and A4 in Markdown (golden files) and LaTeX (balanced), and through the console script."""

import os
import re
from pathlib import Path

import pytest

from chainrule.worksheets import matrix_form as mf
from chainrule.worksheets.graph_sheet import a3_worksheet
from tests.test_cli import run

GOLDEN = Path(__file__).parent / "golden"


def _stable(text: str) -> str:
    """Mask what differs between machines and runs: the DOT node ids (object addresses, renumbered
    in order of appearance) and the rounding-level differences of the checks (``1.11e-16``)."""
    ids = {}
    text = re.sub(r"\b[tf]\d{6,}\b", lambda m: ids.setdefault(m.group(0), f"{m.group(0)[0]}{len(ids) + 1}"), text)
    return re.sub(r"\b\d\.\d\de[-+]\d\d\b", "<diff>", text)


@pytest.fixture(scope="module")
def sheets():
    return {"A3": a3_worksheet(3, 2, 0), "A4": mf.worksheet((5, 4, 3), (1, 2), (0.0, 0.1), seed=0)}


@pytest.mark.parametrize("name", ["A3", "A4"])
def test_markdown_golden(sheets, name):
    path = GOLDEN / f"{name}.md"
    out = _stable(sheets[name].render("markdown"))
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(out, encoding="utf-8")
    assert out == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["A3", "A4"])
def test_latex_is_balanced(sheets, name):
    tex = sheets[name].render("latex")
    body = re.sub(r"\\[{}]", "", tex)  # escaped braces are text
    depth = 0
    for ch in body:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0, "a } closes nothing"
    assert depth == 0
    stack = []
    for kind, env in re.findall(r"\\(begin|end)\{([^}]*)\}", tex):
        if kind == "begin":
            stack.append(env)
        else:
            assert stack and stack.pop() == env, env
    assert not stack
    assert tex.count(r"\[") == tex.count(r"\]")
    assert all(line.count("$") % 2 == 0 for line in tex.splitlines() if "verbatim" not in line)
    assert r"\begin{bmatrix}" in tex and r"\section*{" in tex


def test_text_unchanged_by_the_other_formats(sheets):
    assert sheets["A3"].render("text") == sheets["A3"].text()
    assert sheets["A4"].render("text").startswith("A4 — matrix-form backprop")


@pytest.mark.parametrize("fmt,needles", [
    ("markdown", {"A3": ["# A3 —", "| quantity | max \\|closed − autograd\\|", "```dot"],
                  "A4": ["# A4 —", "| `∂E/∂W(2)` |", "**PASS**"]}),
    ("latex", {"A3": [r"\section*{A3 ---", r"\bar{x} = W_{1}^\top", r"\begin{verbatim}"],
               "A4": [r"\section*{A4 ---", r"\begin{tabular}{llll}", r"\textbf{PASS}"]})])
def test_cli_formats(fmt, needles):
    for name, extra in (("A3", ()), ("A4", ("--sizes", "5,4,3", "--batch", "2", "--weight-decay", "0.1"))):
        result = run("explain", "--example", name, "--format", fmt, *extra)
        assert result.returncode == 0, result.stderr
        for needle in needles[name]:
            assert needle in result.stdout, needle
