"""write_run_report: the files and report.md's sections, with the old call and the new inputs."""

import json

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.report import FILES, judge, predict_labels, write_run_report
from chainrule.summary import summary
from chainrule.training import History, predict


def _history(epochs=2, per_epoch=30):
    n = epochs * per_epoch
    t = np.arange(1, n + 1)
    return History(iteration=t.tolist(), train_loss=(2 * np.exp(-t / 10) + 0.1).tolist(),
                   train_acc=(0.95 - 0.8 * np.exp(-t / 10)).tolist(), lr=[0.1] * n,
                   eval_iteration=t[4::5].tolist(), eval_loss=(2 * np.exp(-t[4::5] / 10) + 0.15).tolist(),
                   eval_acc=(0.93 - 0.8 * np.exp(-t[4::5] / 10)).tolist(),
                   epochs=[{"epoch": e + 1, "iteration": (e + 1) * per_epoch, "train_loss": 0.3, "train_acc": 0.9,
                            "eval_loss": 0.35, "eval_acc": 0.88} for e in range(epochs)], seconds=1.5)


@pytest.fixture(scope="module")
def model():
    cr.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 3))


def _strict(path):
    def refuse(name):
        raise AssertionError(f"{name} in {path}")
    return json.loads(path.read_text(), parse_constant=refuse)


def test_the_cli_call_still_works(tmp_path, model):
    report = write_run_report(tmp_path, title="mlp on digits", history=_history(1),
                              summary=summary(model, (1, 1, 4, 4)), metrics={"test_accuracy": 0.9, "iterations": 30},
                              settings={"model": "mlp", "lr": 0.1})
    assert report == tmp_path / "report.md"
    files = {p.name for p in tmp_path.iterdir()}
    assert files == {"report.md", "curves.png", "history.json", "metrics.json"}  # one epoch: no epochs.png
    text = report.read_text()
    for section in ("# mlp on digits", "## Settings", "## Results", "## Judgement", "## Learning curves",
                    "## Model", "Total params: 51"):
        assert section in text
    assert "## Predictions" not in text and "## Confusion matrix" not in text
    metrics = _strict(tmp_path / "metrics.json")
    assert metrics["test_accuracy"] == 0.9 and metrics["judgement"]["verdict"] in ("generalizing", "underfitting")
    assert History.from_dict(_strict(tmp_path / "history.json")).iteration == list(range(1, 31))


def test_the_full_report(tmp_path, model):
    rng = np.random.default_rng(0)
    x = rng.random((60, 1, 4, 4)).astype(np.float32)
    y = rng.integers(0, 3, 60)
    logits = predict(model, x)
    predictions = predict_labels(model, x)
    assert (predictions == logits.argmax(1)).all()
    names = ["left", "right", "up"]
    write_run_report(tmp_path, title="t", history=_history(3), summary=summary(model, (1, 1, 4, 4)),
                     metrics={"test_accuracy": float((predictions == y).mean())}, settings={"seed": 0},
                     images=x, labels=y, logits=logits, class_names=names, grid_size=25, grid_seed=1)
    for name in FILES.values():
        assert (tmp_path / name).is_file(), name
    for png in ("curves.png", "epochs.png", "predictions.png", "confusion.png"):
        assert (tmp_path / png).read_bytes()[:4] == b"\x89PNG"
    text = (tmp_path / "report.md").read_text()
    sections = ["## Settings", "## Results", "## Judgement", "## Learning curves", "### Per epoch",
                "## Predictions", "## Confusion matrix", "## Model"]
    positions = [text.index(s) for s in sections]
    assert positions == sorted(positions)
    for figure in ("(curves.png)", "(epochs.png)", "(predictions.png)", "(confusion.png)"):
        assert figure in text
    assert "Rules (`chainrule.report.judge`)" in text and "| left |" in text
    metrics = _strict(tmp_path / "metrics.json")
    matrix = np.array(metrics["confusion_matrix"])
    assert matrix.sum() == 60 and np.trace(matrix) == (predictions == y).sum()
    assert metrics["classes"] == names and set(metrics["per_class_accuracy"]) == set(names)
    assert metrics["prediction_accuracy"] == pytest.approx(metrics["test_accuracy"])
    assert len(metrics["grid"]["indices"]) == 25
    assert set(metrics["grid"]["wrong"]) == {i for i in metrics["grid"]["indices"] if predictions[i] != y[i]}
    assert str(len(metrics["grid"]["wrong"])) + " wrong" in text


def test_feature_data_gets_a_confusion_matrix_but_no_image_grid(tmp_path):
    y = np.array([0, 1, 1, 0, 1])
    judgement = judge(_history(1), min_train_acc=0.99)
    write_run_report(tmp_path, title="spirals", history=_history(1), metrics={}, settings={},
                     images=np.zeros((5, 2)), labels=y, predictions=np.array([0, 1, 0, 0, 1]),
                     judgement=judgement)
    text = (tmp_path / "report.md").read_text()
    assert "No image grid: cannot show samples of shape [2]" in text
    assert not (tmp_path / "predictions.png").exists() and (tmp_path / "confusion.png").exists()
    assert "**underfitting**" in text and "below 0.99" in text
    metrics = _strict(tmp_path / "metrics.json")
    assert metrics["confusion_matrix"] == [[2, 0], [1, 2]]
    assert metrics["judgement"]["thresholds"]["min_train_acc"] == 0.99


def test_a_bar_inside_a_table_cell_is_escaped():
    from chainrule.report.run import _table

    table = _table(["setting", "value"], [["model", "a|b"]])
    assert table.splitlines()[-1] == "| model | a\\|b |"
