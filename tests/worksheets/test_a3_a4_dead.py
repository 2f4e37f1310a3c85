"""A3 (skip graph), A4 (matrix form), A5 (plot, dead units) and A2's inactivity section against
independent computation: finite differences, plain NumPy and PyTorch."""

import numpy as np
import pytest

from chainrule import nn
from chainrule.worksheets import activations as act
from chainrule.worksheets import explain as ex
from chainrule.worksheets import matrix_form as mf
from chainrule.worksheets.graph_sheet import a3_worksheet, loss_numpy
from tests.test_cli import run


# ------------------------------------------------------------------ A3
@pytest.mark.parametrize("N,K,seed", [(3, 2, 0), (4, 3, 5), (1, 1, 2)])
def test_a3_closed_form_matches_finite_differences(N, K, seed):
    sheet = a3_worksheet(N, K, seed)
    v = sheet.values
    eps = 1e-6
    fd = np.array([(loss_numpy(v["x"] + eps * e, *[v[k] for k in ("W1", "b1", "W2", "b2", "r", "s")]) -
                    loss_numpy(v["x"] - eps * e, *[v[k] for k in ("W1", "b1", "W2", "b2", "r", "s")])) / (2 * eps)
                   for e in np.eye(N)])
    np.testing.assert_allclose(sheet.closed["x̄"], fd, atol=1e-8)
    np.testing.assert_allclose(sheet.closed["x̄"], sheet.closed["x̄ via z"] + sheet.closed["x̄ via skip"])
    np.testing.assert_allclose(sheet.closed["x̄ via skip"], sheet.forward["ŷ"] - v["s"])
    for key in ("x̄", "z̄", "h̄", "ŷ̄", "W1̄", "W2̄", "b1̄", "b2̄"):
        np.testing.assert_allclose(sheet.closed[key], sheet.autograd[key], atol=1e-12)
    assert sheet.passed


def test_a3_matches_pytorch():
    torch = pytest.importorskip("torch")
    sheet = a3_worksheet(3, 2, 0)
    t = {k: torch.tensor(a, dtype=torch.float64, requires_grad=True) for k, a in sheet.values.items()}
    h = torch.sigmoid(t["W1"] @ t["x"] + t["b1"])
    yhat = t["x"] + t["W2"] @ h + t["b2"]
    L = 0.5 * ((yhat - t["s"]) ** 2).sum() + t["r"] @ h
    L.backward()
    assert L.item() == pytest.approx(float(sheet.forward["L"]), abs=1e-12)
    for key, name in (("x", "x̄"), ("W1", "W1̄"), ("b1", "b1̄"), ("W2", "W2̄"), ("b2", "b2̄")):
        np.testing.assert_allclose(sheet.closed[name], t[key].grad.numpy(), atol=1e-12)


def test_a3_text_and_graph(tmp_path):
    sheet = a3_worksheet()
    text = sheet.text()
    for needle in ("x̄ = W1ᵀ z̄ + ŷ̄", "h̄ = W2ᵀ ŷ̄ + R̄ r", "z̄ = h̄ ⊙ σ'(z)", "W1̄ = z̄ xᵀ", "L → S → ŷ → x",
                   "digraph chainrule", "PASS"):
        assert needle in text
    for name in ("x", "z", "h", "ŷ", "S", "R", "L"):
        assert f'label="{name}\\n' in sheet.dot
    files, said = sheet.write_graph(tmp_path)
    assert (tmp_path / "a3_graph.dot").read_text().startswith("digraph")
    assert str(tmp_path / "a3_graph.dot") in said


# ------------------------------------------------------------------ A4
def _numpy_grads(Ws, X, T, lam):
    """Vectorised batch backprop written independently of the per-sample formulas."""
    ys = [X]
    for l, W in enumerate(Ws, 1):
        z = ys[-1] @ W.T
        if l == len(Ws):
            e = np.exp(z - z.max(axis=1, keepdims=True))
            ys.append(e / e.sum(axis=1, keepdims=True))
        else:
            ys.append(1 / (1 + np.exp(-z)))
    delta, grads = (ys[-1] - T) / X.shape[0], []
    for l in range(len(Ws), 0, -1):
        grads.insert(0, delta.T @ ys[l - 1] + lam * Ws[l - 1])
        if l > 1:
            delta = (delta @ Ws[l - 1]) * ys[l - 1] * (1 - ys[l - 1])
    return grads


@pytest.mark.parametrize("sizes,m,lam", [((784, 7, 10), 1, 0.0), ((784, 7, 10), 8, 0.01), ((5, 4, 6, 3), 4, 0.1),
                                         ((3, 2), 2, 0.0)])
def test_a4_formulas_match_numpy_and_autograd(sizes, m, lam):
    Ws, X, T = mf.problem(sizes, m, seed=3)
    f = mf.by_formulas(Ws, X, T, lam)
    for l, g in enumerate(_numpy_grads(Ws, X, T, lam), 1):
        np.testing.assert_allclose(f[f"dW{l}"], g, atol=1e-12)
    sheet = mf.worksheet(sizes, (m,), (lam,), seed=3)
    assert sheet.passed and all(r.max_diff < 1e-12 for r in sheet.cases[0].rows)


def test_a4_matches_pytorch_and_finite_differences():
    torch = pytest.importorskip("torch")
    Ws, X, T = mf.problem((6, 7, 10), 5, seed=1)
    lam = 0.05
    f = mf.by_formulas(Ws, X, T, lam)
    tw = [torch.tensor(w, requires_grad=True) for w in Ws]
    z = torch.tensor(X) @ tw[0].T
    logits = torch.sigmoid(z) @ tw[1].T
    E = torch.nn.functional.cross_entropy(logits, torch.tensor(T.argmax(1))) + lam / 2 * sum((w ** 2).sum() for w in tw)
    E.backward()
    for l in (1, 2):
        np.testing.assert_allclose(f[f"dW{l}"], tw[l - 1].grad.numpy(), atol=1e-12)
    # one finite difference on W(1)[0, 0]
    def E_np(W1):
        h = 1 / (1 + np.exp(-(X @ W1.T)))
        s = h @ Ws[1].T
        logp = s - s.max(1, keepdims=True) - np.log(np.exp(s - s.max(1, keepdims=True)).sum(1, keepdims=True))
        return -(T * logp).sum() / len(X) + lam / 2 * ((W1 ** 2).sum() + (Ws[1] ** 2).sum())
    dW = np.zeros_like(Ws[0])
    dW[0, 0] = 1e-6
    assert f["dW1"][0, 0] == pytest.approx((E_np(Ws[0] + dW) - E_np(Ws[0] - dW)) / 2e-6, abs=1e-7)
    # the diag step is sigmoid's Jacobian
    y = 1 / (1 + np.exp(-(Ws[0] @ X[0])))
    np.testing.assert_allclose(f["dydz1"], np.diag(y * (1 - y)))


# ------------------------------------------------------------------ A5
def test_dead_units_against_numpy():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 2))
    model[0].bias.detach().numpy()[[1, 4]] = -100.0  # dead on any data in [0, 1]
    x = rng.uniform(0, 1, (40, 4)).astype(np.float32)
    layers = act.dead_units(model, x, batch_size=7)  # several batches
    assert [d.name for d in layers] == ["0", "2"]
    W0, b0 = model[0].weight.detach().numpy(), model[0].bias.detach().numpy()
    pre0 = x @ W0.T + b0
    assert layers[0].dead == list(np.flatnonzero((pre0 <= 0).all(0)))
    assert {1, 4} <= set(layers[0].dead)
    pre1 = np.maximum(pre0, 0) @ model[2].weight.detach().numpy().T + model[2].bias.detach().numpy()
    assert layers[1].dead == list(np.flatnonzero((pre1 <= 0).all(0)))
    np.testing.assert_allclose(layers[1].max_pre, pre1.max(0), rtol=1e-5, atol=1e-6)
    report = act.dead_report(layers)
    assert "w·a + b <= 0 for every sample" in report and "layer 0 (Linear + ReLU)" in report


def test_dead_units_conv():
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 2))
    model[0].bias.detach().numpy()[:] = [-50.0, 50.0, -50.0]
    layers = act.dead_units(model, np.random.default_rng(1).uniform(0, 1, (5, 1, 4, 4)).astype(np.float32))
    assert layers[0].kind == "Conv2d" and layers[0].dead == [0, 2]


def test_plot(tmp_path):
    pytest.importorskip("matplotlib")
    act.plot(tmp_path / "a.png")
    assert (tmp_path / "a.png").read_bytes()[:4] == b"\x89PNG"


# ------------------------------------------------------------------ A2
def test_a2_inactivity_section():
    sheet = ex.solve(ex.load_example("A2"))
    sec = [s for s in sheet.sections if "(A2)" in s.title]
    assert len(sec) == 1
    notes = "\n".join(sec[0].notes)
    assert "guaranteed 0, the weights into h1[2]: dC/dW1[2,1], dC/dW1[2,2], dC/dW1[2,3], dC/db1[2]" in notes
    assert "guaranteed 0, the weights out of h1[2]: dC/dW2[1,2], dC/dW2[2,2]" in notes
    assert "Not guaranteed 0" in notes
    for name in ("dC/dW1[2,1]", "dC/dW2[1,2]", "dC/dW2[2,2]"):
        assert sheet.value(name) == 0
    assert "(A2)" in sheet.markdown() and "(A2)" in sheet.latex()


# ------------------------------------------------------------------ CLI
def test_cli_a3_a4(tmp_path):
    result = run("explain", "--example", "A3", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "x̄ = W1ᵀ z̄ + ŷ̄" in result.stdout and (tmp_path / "a3_graph.dot").exists()
    result = run("explain", "--example", "A4", "--sizes", "5,7,10", "--batch", "3", "--weight-decay", "0.1")
    assert result.returncode == 0, result.stderr
    assert "m = 3 (gradients averaged over the batch), λ = 0.1" in result.stdout
    assert "(1/m) Σ (y(2) − t) y(1)ᵀ + λ W(2)" in result.stdout and "PASS" in result.stdout
    result = run("explain", "--example", "A4")
    assert result.stdout.count("\nm = ") == 4 and "n0 = 784, n1 = 7, n2 = 10" in result.stdout


def test_cli_activations_plot_and_dead(tmp_path):
    result = run("activations", "--plot", tmp_path / "act.png")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "act.png").read_bytes()[:4] == b"\x89PNG"
    from chainrule import models, serialization
    from chainrule.data import load

    try:
        load("digits", "test", download=False)
    except Exception:  # pragma: no cover
        pytest.skip("the digits dataset is not available")
    model = models.build("mlp", (1, 8, 8), 10)
    model[1].bias.detach().numpy()[:3] = -50.0
    serialization.save(model.state_dict(), tmp_path / "w.npz")
    result = run("activations", "--dead", tmp_path / "w.npz", "--model", "mlp", "--data", "digits", "--limit", "50")
    assert result.returncode == 0, result.stderr
    assert "layer 1 (Linear + ReLU)" in result.stdout
    for u in (0, 1, 2):
        assert f"  unit {u}: w·a + b <= 0 for every sample" in result.stdout
