"""B2 (numpy_ann.py): the solution, a second solution, the skeleton, and one-fault mutants, each
graded as a student's file (the training test in quick mode); every mutant must lose exactly the
tests its fault touches and be named by the diagnostics."""

from pathlib import Path

import pytest

from chainrule.grading import get_assignment, grade
from chainrule.grading.starter import skeleton_text

B2 = get_assignment("B2")
SOLUTION = B2.solution_path().read_text()
ALT = Path(__file__).parent / "solutions" / "b2_alt_numpy_ann.py"
DATA = Path(__file__).resolve().parents[3] / "shared" / "data"

BACKWARD = {"_backward: 6-5-4", "_backward: random sizes"}
TRAINING = {"train: learns separable clusters, history per epoch"}
OVERALL = {"overall: test accuracy ≥ 0.77 on Fashion-MNIST"}

MUTANTS = {
    # name: (original text, faulty text, the tests that lose marks, a tag the diagnostics must give)
    "relu_grad(0) = 1": ("(np.asarray(Z) > 0)", "(np.asarray(Z) >= 0)", {"_relu_grad: 0 at exactly 0"},
                         "relu-grad-at-0"),
    "softmax without the max shift": ("np.exp(Z - Z.max(axis=1, keepdims=True))", "np.exp(Z)",
                                      {"_forward: random sizes, logits near 1000"}, "softmax-overflow"),
    "cross-entropy summed": ("/ len(Y) / self.output_size)", "/ self.output_size)",
                             {"_cross_entropy: mean over samples, /classes, probability 0"}, "sum-for-mean"),
    "cross-entropy without the clip": ("np.log(np.clip(y_pred, 1e-12, 1.0))", "np.log(y_pred)",
                                       {"_cross_entropy: mean over samples, /classes, probability 0"}, "log-zero"),
    "dW2 not averaged": ("dW2 = A1.T @ dZ2 / n", "dW2 = A1.T @ dZ2", BACKWARD | TRAINING | OVERALL,
                         "not-averaged"),
    "db2 over the wrong axis": ("db2 = np.sum(dZ2, axis=0, keepdims=True) / n",
                                "db2 = np.sum(dZ2, axis=1, keepdims=True) / n", BACKWARD | TRAINING
                                | OVERALL, "bias-axis"),
    "sign flipped": ("dZ2 = A2 - Y", "dZ2 = Y - A2", BACKWARD | TRAINING | OVERALL, "sign"),
    "dW1 transposed": ("dW1 = X.T @ dZ1 / n", "dW1 = (X.T @ dZ1 / n).T", BACKWARD | TRAINING | OVERALL,
                       "transposed"),
    "predict returns labels": ("return self._forward(X)\n", "return np.argmax(self._forward(X), axis=1)\n",
                               {"predict: probabilities", "accuracy: 6-5-4", "accuracy: random sizes"} | TRAINING
                               | OVERALL, "labels-for-probabilities"),
    "accuracy off": ("np.argmax(self.predict(X), axis=1) == self._labels(y_true)",
                     "np.argmax(self.predict(X), axis=0)[:1] == self._labels(y_true)[:1]",
                     {"accuracy: 6-5-4", "accuracy: random sizes"} | TRAINING | OVERALL, "value"),
    "init scale 1": ("self.W1 = 0.01 * self.rng", "self.W1 = 1.0 * self.rng",
                     {"constructor: shapes, zero biases, 0.01 scale, seed"} | OVERALL, "init-scale"),
}


def grade_text(tmp_path, text, seed=0):
    path = tmp_path / "numpy_ann.py"
    path.write_text(text)
    return grade("B2", path, seed=seed, quick=True, data_dir=DATA)


def lost(result):
    return {t.name for t in result.tests if t.score < t.max_score}


def test_marks_are_the_sheets():
    assert B2.max_score == 18


@pytest.mark.parametrize("seed", range(20))
def test_the_solution_scores_full_marks(tmp_path, seed):
    result = grade_text(tmp_path, SOLUTION, seed)
    assert result.score == 18, [(t.name, t.output) for t in result.tests if t.status != "passed"]
    assert "provisional" in next(t.output for t in result.tests if t.name in OVERALL)


@pytest.mark.parametrize("seed", range(3))
def test_an_independent_solution_scores_full_marks(tmp_path, seed):
    result = grade_text(tmp_path, ALT.read_text(), seed)
    assert result.score == 18, [(t.name, t.output) for t in result.tests if t.status != "passed"]


def test_the_skeleton_scores_zero_without_crashing(tmp_path):
    result = grade_text(tmp_path, skeleton_text(B2))
    assert result.score == 0
    assert all("not implemented" in t.output for t in result.tests)


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_a_mutant_loses_exactly_its_tests_and_is_diagnosed(tmp_path, name):
    original, faulty, expected_lost, tag = MUTANTS[name]
    assert SOLUTION.count(original) == 1, f"the mutant {name!r} no longer applies to the solution"
    result = grade_text(tmp_path, SOLUTION.replace(original, faulty), seed=7)
    assert lost(result) == expected_lost, "\n".join(f"{t.name}: {t.output}" for t in result.tests
                                                    if t.score < t.max_score)
    tags = {tag for t in result.tests if t.score < t.max_score for tag in t.tags}
    assert tag in tags, (tags, [t.output for t in result.tests if t.score < t.max_score])
