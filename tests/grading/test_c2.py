"""C2 (convnet.py): the solution, a second solution and the skeleton, and mutants that lose
exactly their tests with a diagnostic naming the layer."""

from pathlib import Path

import pytest

pytest.importorskip("torch")

from chainrule.grading import get_assignment, grade  # noqa: E402
from chainrule.grading.starter import skeleton_text  # noqa: E402

C2 = get_assignment("C2")
SOLUTION = C2.solution_path().read_text()
ALT = Path(__file__).parent / "solutions" / "c2_convnet.py"
STACK, FORWARD = "ConvNet: the layer stack", {"ConvNet: forward on a batch of 4", "ConvNet: forward, other batch sizes"}


def grade_text(tmp_path, text, seed=0):
    path = tmp_path / "convnet.py"
    path.write_text(text)
    return grade("C2", path, seed=seed)


def lost(result):
    return {t.name: t.output for t in result.tests if t.score < t.max_score}


@pytest.mark.parametrize("seed", [0, 1])
def test_both_solutions_score_full_marks(tmp_path, seed):
    for text in (SOLUTION, ALT.read_text()):
        result = grade_text(tmp_path, text, seed)
        assert result.score == C2.max_score == 12, lost(result)


def test_the_skeleton_scores_zero(tmp_path):
    result = grade_text(tmp_path, skeleton_text(C2))
    assert result.score == 0
    assert all("not implemented" in t.output for t in result.tests)
    assert "def class_scores" in skeleton_text(C2) and "model(torch.as_tensor" in skeleton_text(C2)


MUTANTS = {
    "kernel 3": ("nn.Conv2d(1, 20, kernel_size=5, stride=1)", "nn.Conv2d(1, 20, kernel_size=3, stride=1)",
                 "self.fc1 = nn.Linear(20 * 12 * 12, 100)", "self.fc1 = nn.Linear(20 * 13 * 13, 100)",
                 {STACK} | FORWARD, "layer 1: Conv2d(1, 20, kernel [3, 3]"),
    "dense 50": ("nn.Linear(20 * 12 * 12, 100)", "nn.Linear(20 * 12 * 12, 50)", "nn.Linear(100, 10)",
                 "nn.Linear(50, 10)", {STACK} | FORWARD, "parameters: 145,080, expected 289,630"),
    "softmax in forward": ("return self.fc2(self.relu2(self.fc1(self.flatten(x))))",
                           "return self.fc2(self.relu2(self.fc1(self.flatten(x)))).softmax(1)", "", "",
                           # the steps are followed on the student's layers, which have no softmax: they differ too
                           FORWARD | {"train_model: two full-batch SGD steps"}, "entries differ"),
    "no zero_grad": ("            optimizer.zero_grad()\n", "", "", "", {"train_model: two full-batch SGD steps"},
                     "zero_grad"),
}


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_a_mutant_loses_exactly_its_tests(tmp_path, name):
    a, b, c, d, expected, phrase = MUTANTS[name]
    assert SOLUTION.count(a) == 1 and SOLUTION.count(c) >= 1
    result = grade_text(tmp_path, SOLUTION.replace(a, b).replace(c, d))
    assert set(lost(result)) == expected, lost(result)
    assert any(phrase in out for out in lost(result).values()), lost(result)
