import shutil

import pytest

import chainrule as cr
from chainrule import graph


def _two_layer():
    cr.manual_seed(0)
    x = cr.randn(1, 3, requires_grad=True)
    model = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.Sigmoid(), cr.nn.Linear(4, 1))
    loss = model(x).sum()
    return x, model, loss


def test_dot_lists_every_op_and_named_leaf():
    x, model, loss = _two_layer()
    names = {"x": x, **dict(model.named_parameters())}
    text = graph.to_dot(loss, names)
    assert text.startswith("digraph")
    for op in ("Linear", "Sigmoid", "Sum"):
        assert f'label="{op}"' in text
    for name in ("x", "0.weight", "0.bias", "2.weight"):
        assert f'label="{name}\\n' in text
    # 3 ops (Linear, Sigmoid, Linear) + Sum = 4 op boxes
    assert text.count("shape=box") == 4


def test_graph_after_backward_is_refused():
    _, _, loss = _two_layer()
    loss.backward()
    with pytest.raises(RuntimeError, match="freed"):
        graph.to_dot(loss)


def test_render_dot_file(tmp_path):
    _, _, loss = _two_layer()
    path = graph.render(loss, tmp_path / "g.dot")
    assert path.read_text().startswith("digraph")


def test_render_without_graphviz_says_what_to_install(tmp_path, monkeypatch):
    _, _, loss = _two_layer()
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(graph.GraphvizNotFound, match="apt-get install graphviz"):
        graph.render(loss, tmp_path / "g.svg")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_render_svg(tmp_path):
    _, _, loss = _two_layer()
    path = graph.render(loss, tmp_path / "g.svg")
    assert "<svg" in path.read_text()


def test_unknown_format(tmp_path):
    _, _, loss = _two_layer()
    with pytest.raises(ValueError, match="unknown graph format"):
        graph.render(loss, tmp_path / "g.jpg")
