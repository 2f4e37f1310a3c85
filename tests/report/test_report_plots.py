"""Confusion matrices and the report's figures (inspected through their matplotlib objects,
not their pixels)."""

import numpy as np
import pytest

from chainrule.report import (as_images, choose, confusion_figure, confusion_matrix, learning_curves_figure,
                              most_confused, per_class_accuracy, plot_learning_curves, plot_prediction_grid,
                              prediction_grid_figure, smooth)
from chainrule.report.plots import CORRECT_COLOR, WRONG_COLOR, pyplot
from chainrule.training import History

plt = pyplot()


def test_confusion_matrix_counts():
    labels = [0, 0, 0, 1, 1, 2, 2, 2, 2]
    predictions = [0, 1, 0, 1, 1, 2, 0, 2, 1]
    m = confusion_matrix(labels, predictions)
    assert m.tolist() == [[2, 1, 0], [0, 2, 0], [1, 1, 2]]
    assert m.sum() == 9 and np.trace(m) == 6
    assert confusion_matrix(labels, predictions, 5).shape == (5, 5)
    acc = per_class_accuracy(confusion_matrix(labels, predictions, 4))
    assert acc[:3].tolist() == pytest.approx([2 / 3, 1.0, 0.5]) and np.isnan(acc[3])
    assert most_confused(m, top=2) == [(0, 1, 1), (2, 0, 1)]
    assert most_confused(np.array([[1, 0, 3], [5, 1, 0], [0, 0, 0]])) == [(1, 0, 5), (0, 2, 3)]
    assert most_confused(np.eye(3, dtype=int)) == []


def test_confusion_matrix_agrees_with_a_loop():
    rng = np.random.default_rng(1)
    y, p = rng.integers(0, 7, 500), rng.integers(0, 7, 500)
    expected = np.zeros((7, 7), int)
    for a, b in zip(y, p):
        expected[a, b] += 1
    assert (confusion_matrix(y, p, 7) == expected).all()


def test_confusion_matrix_refuses_bad_input():
    with pytest.raises(ValueError, match="labels but"):
        confusion_matrix([0, 1], [0])
    with pytest.raises(ValueError, match="0..1"):
        confusion_matrix([0, 2], [0, 1], 2)


def test_confusion_figure_shows_counts_and_per_class_accuracy():
    m = np.array([[5, 1], [0, 4]])
    fig = confusion_figure(m, ["cat", "dog"])
    texts = {t.get_text() for t in fig.axes[0].texts}
    plt.close(fig)
    assert {"5", "1", "4", "83.3%", "100.0%", "accuracy"} <= texts and "0" not in texts
    assert "accuracy 90.00%" in fig.axes[0].get_title()


def _data(n=150, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.random((n, 1, 6, 6)).astype(np.float32)
    labels = rng.integers(0, 4, n)
    predictions = np.where(rng.random(n) < 0.7, labels, (labels + 1) % 4)
    return images, labels, predictions


def test_the_grid_marks_exactly_the_wrong_predictions_in_red():
    images, labels, predictions = _data()
    fig, cells = prediction_grid_figure(images, labels, predictions, n=100, seed=3)
    try:
        assert len(cells) == 100 and len({c.index for c in cells}) == 100
        wrong = {c.index for c in cells if c.color == WRONG_COLOR}
        assert wrong == {c.index for c in cells if labels[c.index] != predictions[c.index]}
        assert 0 < len(wrong) < 100
        titled = [ax for ax in fig.axes if ax.get_title()]
        assert len(titled) == 100
        for ax, cell in zip(titled, cells):  # the figure's own text objects and their colours
            assert ax.get_title() == cell.text
            assert ax.title.get_color() == (WRONG_COLOR if cell.index in wrong else CORRECT_COLOR)
            assert ax.get_title().split("\n")[0] == str(predictions[cell.index])
            assert ("true: " in ax.get_title()) == (cell.index in wrong)
        assert f"{len(wrong)} wrong" in fig._suptitle.get_text()
    finally:
        plt.close(fig)


def test_the_grid_uses_class_names_and_a_seeded_choice(tmp_path):
    images, labels, predictions = _data(40)
    names = ["ant", "bee", "cat", "dog"]
    cells = plot_prediction_grid(images, labels, predictions, tmp_path / "g.png", class_names=names, n=12, seed=7)
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [c.index for c in cells] == choose(40, 12, 7).tolist()
    for c in cells:
        assert c.text.split("\n")[0] == names[c.prediction]
        if not c.correct:
            assert c.text.endswith(f"true: {names[c.label]}")
    assert choose(40, 12, 7).tolist() != choose(40, 12, 8).tolist()
    assert choose(5, 100).tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("shape", [(9, 1, 4, 4), (9, 4, 4), (9, 16), (9, 4, 4, 1)])
def test_grey_images_in_every_layout(shape):
    x = np.arange(9 * 16, dtype=np.float32).reshape(shape)
    pictures = as_images(x)
    assert pictures.shape == (9, 4, 4)
    assert (pictures == np.arange(9 * 16).reshape(9, 4, 4)).all()
    fig, cells = prediction_grid_figure(x, np.zeros(9, int), np.zeros(9, int), n=9, columns=3)
    plt.close(fig)
    assert len(cells) == 9 and all(c.color == CORRECT_COLOR for c in cells)


def test_colour_images_and_non_images():
    assert as_images(np.zeros((2, 3, 5, 5))).shape == (2, 5, 5, 3)
    with pytest.raises(ValueError, match="cannot show"):
        as_images(np.zeros((4, 2)))  # spirals' points are not images
    with pytest.raises(ValueError, match="3 images"):
        prediction_grid_figure(np.zeros((3, 4, 4)), [0, 1], [0, 1])


def _history(epochs=3, per_epoch=40):
    n = epochs * per_epoch
    t = np.arange(1, n + 1)
    return History(iteration=t.tolist(), train_loss=(2 * np.exp(-t / 30) + 0.01).tolist(),
                   train_acc=(1 - 0.9 * np.exp(-t / 30)).tolist(), lr=[0.01] * n,
                   eval_iteration=t[9::10].tolist(), eval_loss=(2 * np.exp(-t[9::10] / 30) + 0.1).tolist(),
                   eval_acc=(0.97 - 0.9 * np.exp(-t[9::10] / 30)).tolist(),
                   epochs=[{"epoch": e + 1, "iteration": (e + 1) * per_epoch, "train_loss": 0.5 / (e + 1),
                            "train_acc": 0.9, "eval_loss": 0.6 / (e + 1), "eval_acc": 0.88} for e in range(epochs)])


def test_learning_curves_show_training_evaluation_epochs_and_the_overfit_start(tmp_path):
    h = _history()
    fig = learning_curves_figure(h, "run", overfit_at=60)
    try:
        loss_ax, acc_ax = fig.axes[:2]
        assert loss_ax.get_ylabel().startswith("loss") and acc_ax.get_ylabel() == "accuracy"
        labels = [line.get_label() for line in loss_ax.get_lines()]
        assert "training (per batch)" in labels and "evaluation" in labels
        assert any(label.startswith("training (moving average") for label in labels)
        assert "overfitting starts (iteration 60)" in labels
        dotted = [line for line in loss_ax.get_lines() if line.get_linestyle() == ":"]
        assert [line.get_xdata()[0] for line in dotted] == [40, 80]  # epoch ends, not the last
        assert fig.legends and loss_ax.get_yscale() == "log"  # 2.01 .. 0.047 spans decades
    finally:
        plt.close(fig)
    assert plot_learning_curves(h, tmp_path / "c.png").stat().st_size > 10_000


def test_smooth_is_a_trailing_mean():
    assert smooth([1, 2, 3, 4], 2).tolist() == [1, 1.5, 2.5, 3.5]
    assert len(smooth([])) == 0
