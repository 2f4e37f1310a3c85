"""C5 (pytorch_ann.py): the solution, a second solution and the skeleton graded as a student's
file would be (quick mode), and one-fault mutants that must lose exactly their tests."""

from pathlib import Path

import pytest

pytest.importorskip("torch")

from chainrule.grading import get_assignment, grade  # noqa: E402
from chainrule.grading.starter import skeleton_text  # noqa: E402

C5 = get_assignment("C5")
SOLUTION = C5.solution_path().read_text()
ALT = Path(__file__).parent / "solutions" / "c5_pytorch_ann.py"
DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
TRAINING = {t.name for t in C5.tests if t.training}


def grade_text(tmp_path, text, seed=0):
    path = tmp_path / "pytorch_ann.py"
    path.write_text(text)
    return grade("C5", path, seed=seed, quick=True, data_dir=DATA)


def lost(result):
    return {t.name: t.output for t in result.tests if t.score < t.max_score}


def test_marks_are_the_sheets():
    assert C5.max_score == 14
    assert sum(t.max_score for t in C5.tests if t.name.startswith("train:")) == 5
    assert sum(t.max_score for t in C5.tests if t.name.startswith("constructor")) == 3


@pytest.mark.skipif(not DATA.exists(), reason="no Fashion-MNIST")
@pytest.mark.parametrize("seed", [0, 1])
def test_the_solution_scores_full_marks(tmp_path, seed):
    result = grade_text(tmp_path, SOLUTION, seed)
    assert result.score == 14, lost(result)
    assert "provisional" in next(t.output for t in result.tests if t.name.startswith("overall"))


@pytest.mark.skipif(not DATA.exists(), reason="no Fashion-MNIST")
def test_an_independent_solution_scores_full_marks(tmp_path):
    result = grade_text(tmp_path, ALT.read_text(), seed=3)
    assert result.score == 14, lost(result)


def test_the_skeleton_scores_zero(tmp_path):
    result = grade_text(tmp_path, skeleton_text(C5))
    assert result.score == 0
    assert all("not implemented" in t.output for t in result.tests)


MUTANTS = {
    # name: (original, faulty, the tests that lose marks, a phrase of the diagnostic)
    "no zero_grad": ("                optimizer.zero_grad()\n", "", {"train: two full-batch SGD steps", "overall: test accuracy ≥ 0.8 on Fashion-MNIST"},
                     "zero_grad"),  # the accumulated gradients also spoil the training run
    "hidden size ignored": ("nn.Linear(input_size, hidden_size), nn.ReLU(),\n                                   nn.Linear(hidden_size,",
                            "nn.Linear(input_size, 64), nn.ReLU(),\n                                   nn.Linear(64,",
                            {"constructor: the layer stack, 784-128-10", "constructor: the layer stack, random sizes"},
                            "expected Linear(784, 128)"),
    "predict returns probabilities": ("return self.forward(X).argmax(dim=1).numpy()",
                                      "return torch.softmax(self.forward(X), dim=1).numpy()",
                                      {"predict: class indices"} | TRAINING, "the class indices"),
    "judgement always generalizing": ('        h = self.history\n        if h["train_acc"][-1] < 0.80:',
                                      '        return "generalizing"\n        h = self.history\n        if h["train_acc"][-1] < 0.80:',
                                      {"report_my_judgement: your curves"}, "chainrule judges your curves underfitting"),
}


@pytest.mark.skipif(not DATA.exists(), reason="no Fashion-MNIST")
@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_a_mutant_loses_exactly_its_tests(tmp_path, name):
    original, faulty, expected, phrase = MUTANTS[name]
    assert SOLUTION.count(original) == 1, name
    result = grade_text(tmp_path, SOLUTION.replace(original, faulty), seed=5)
    assert set(lost(result)) == expected, lost(result)
    assert any(phrase in output for output in lost(result).values()), lost(result)
