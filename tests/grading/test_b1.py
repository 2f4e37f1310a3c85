"""B1 (q1.py): the solution, a second solution, the skeleton, and one-fault mutants, each graded
as a student's file would be; every mutant must lose exactly the tests its fault touches and be
named by the diagnostics."""

from pathlib import Path

import pytest

from chainrule.grading import grade, get_assignment
from chainrule.grading.starter import skeleton_text

B1 = get_assignment("B1")
SOLUTION = B1.solution_path().read_text()
ALT = Path(__file__).parent / "solutions" / "b1_vectorised_q1.py"

GRADS = {"back_propagation: bias gradients, 5-3-4-2", "back_propagation: bias gradients, random networks",
         "back_propagation: weight gradients, 5-3-4-2", "back_propagation: weight gradients, random networks"}
BIAS = {t for t in GRADS if "bias" in t}
WEIGHT = GRADS - BIAS
MBGD = {"mini_batch_GD: cost history, 5-3-4-2", "mini_batch_GD: cost history, random networks"}
COST = {"cost: 5-3-4-2", "cost: random networks"}
FORWARD = {"forward_pass: 5-3-4-2", "forward_pass: random networks"}
SIG_EXTREMES = {"sigmoid: ±800 without overflow", "sigmoid_derivative: ±800 without overflow"}
DERIV = {"sigmoid_derivative: values", "sigmoid_derivative: random arrays", "sigmoid_derivative: ±800 without overflow"}
COST_DERIV = {"cost_derivative: values", "cost_derivative: random sizes"}

MUTANTS = {
    # name: (original text, faulty text, the tests that lose marks, a tag the diagnostics must give)
    "dW transposed": ("dC_dw[l] = activations[l] @ delta.T", "dC_dw[l] = delta @ activations[l].T",
                      WEIGHT | MBGD, "transposed"),
    "σ′ missing": ("* sigmoid_derivative(zs[-1])", "", GRADS | MBGD, "no-sigma-prime"),
    "σ′ of a at the output": ("sigmoid_derivative(zs[-1])", "sigmoid_derivative(activations[-1])",
                              GRADS | MBGD, "sigma-prime-of-a"),
    "sign flipped": ("delta = cost_derivative(activations[-1], y)", "delta = -cost_derivative(activations[-1], y)",
                     GRADS | MBGD, "sign"),
    "factor 2 (the ½ lost)": ("delta = cost_derivative(activations[-1], y)",
                              "delta = 2 * cost_derivative(activations[-1], y)", GRADS | MBGD, "factor-2"),
    "through Wᵀ": ("delta = (self.weights[l] @ delta)", "delta = (self.weights[l].T @ delta)",
                   GRADS | MBGD, "through-transpose"),
    "hidden δ without σ′": ("delta = (self.weights[l] @ delta) * sigmoid_derivative(zs[l - 1])",
                            "delta = self.weights[l] @ delta", GRADS | MBGD, "hidden-layers"),
    "layer loop off by one": ("for l in range(len(self.weights) - 1, -1, -1):",
                              "for l in range(len(self.weights) - 1, 0, -1):", GRADS | MBGD, "value"),
    "flat biases (n,)": ("dC_db[l] = delta\n", "dC_db[l] = delta.ravel()\n", BIAS | MBGD, "shape"),
    "biases summed over the wrong axis": ("dC_db[l] = delta\n", "dC_db[l] = delta.sum(axis=0, keepdims=True)\n",
                                          BIAS | MBGD, "shape"),
    "gradients swapped": ("return dC_dw, dC_db", "return dC_db, dC_dw", GRADS | MBGD, "swapped"),
    "dW from the wrong activation": ("dC_dw[l] = activations[l] @ delta.T", "dC_dw[l] = activations[l + 1] @ delta.T",
                                     WEIGHT | MBGD, "shape"),
    "η not divided by the batch": ("step = eta / len(X_batch)", "step = eta", MBGD, "eta-not-averaged"),
    "no shuffle": ("order = np.random.permutation(len(X))", "order = np.arange(len(X))", MBGD, "no-shuffle"),
    "X and Y shuffled apart": ("X, Y = X[order], Y[order]", "X, Y = X[order], Y[np.random.permutation(len(Y))]",
                               MBGD, "shuffled-apart"),
    "update with the wrong sign": ("w - step * s for w, s", "w + step * s for w, s", MBGD, "value"),
    "one epoch too few": ("for _ in range(epochs):", "for _ in range(epochs - 1):", MBGD, "length"),
    "cost of the last batch recorded": ("costs.append(self.cost(X, Y))", "costs.append(self.cost(X_batch, Y_batch))",
                                        MBGD, "value"),
    "sigmoid overflows": ("e = np.exp(-np.abs(z))\n    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
                          "return 1.0 / (1.0 + np.exp(-z))", SIG_EXTREMES, "overflow"),
    "sigmoid as eᶻ / (1 + eᶻ)": ("e = np.exp(-np.abs(z))\n    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
                                "return np.exp(z) / (1.0 + np.exp(z))", SIG_EXTREMES, "overflow"),
    "σ′ = σ(1 + σ)": ("return s * (1.0 - s)", "return s * (1.0 + s)", DERIV | GRADS | MBGD, "value"),
    "σ′ = z(1 − z)": ("s = sigmoid(z)\n    return s * (1.0 - s)", "return z * (1.0 - z)", DERIV | GRADS | MBGD, "value"),
    "cost as the mean": ("        return total\n", "        return total / len(X)\n", COST, "mean-for-sum"),
    "cost without ½": ("total += 0.5 * float(", "total += float(", COST, "factor-2"),
    "cost of the first sample only": ("for x, y in zip(X, Y):\n            a = self.forward_pass",
                                      "for x, y in zip(X[:1], Y[:1]):\n            a = self.forward_pass", COST, "value"),
    "cost_derivative sign": ("return output_activations - y", "return y - output_activations",
                             COST_DERIV | GRADS | MBGD, "sign"),
    "cost_derivative halved": ("return output_activations - y", "return 0.5 * (output_activations - y)",
                               COST_DERIV | GRADS | MBGD, "value"),
    "forward without the transpose": ("a = sigmoid(w.T @ a + b)", "a = sigmoid(w @ a + b)", FORWARD | COST | MBGD, "raised"),
    "not generic: three layers at most": ("for w, b in zip(self.weights, self.biases):\n            a = sigmoid",
                                          "for w, b in zip(self.weights[:3], self.biases[:3]):\n            a = sigmoid",
                                          {"forward_pass: random networks", "cost: random networks"}, "shape"),
    "forward without the bias": ("a = sigmoid(w.T @ a + b)", "a = sigmoid(w.T @ a)", FORWARD | COST, "value"),
}


def grade_text(tmp_path, text, seed=0, name="q1.py"):
    path = tmp_path / name
    path.write_text(text)
    return grade("B1", path, seed=seed)


def lost(result):
    return {t.name for t in result.tests if t.score < t.max_score}


def test_marks_are_the_sheets():
    by = {}
    for t in B1.tests:
        key = t.name.split(":")[0] + (": " + t.name.split(": ")[1].split(",")[0] if "gradients" in t.name else "")
        by[key] = by.get(key, 0) + t.max_score
    assert B1.max_score == 100
    assert by == {"sigmoid": 5, "sigmoid_derivative": 5, "cost": 5, "cost_derivative": 5, "forward_pass": 10,
                  "back_propagation: bias gradients": 25, "back_propagation: weight gradients": 35,
                  "mini_batch_GD": 10}


@pytest.mark.parametrize("seed", range(20))
def test_the_solution_scores_full_marks(tmp_path, seed):
    result = grade_text(tmp_path, SOLUTION, seed)
    assert result.score == 100, [(t.name, t.output) for t in result.tests if t.status != "passed"]


@pytest.mark.parametrize("seed", range(5))
def test_an_independent_vectorised_solution_scores_full_marks(tmp_path, seed):
    result = grade_text(tmp_path, ALT.read_text(), seed)
    assert result.score == 100, [(t.name, t.output) for t in result.tests if t.status != "passed"]


def test_the_skeleton_scores_zero_and_says_not_implemented(tmp_path):
    result = grade_text(tmp_path, skeleton_text(B1))
    assert result.score == 0
    assert all("not implemented" in t.output for t in result.tests)


def test_the_skeleton_keeps_the_parts_done_for_the_student():
    text = skeleton_text(B1)
    assert "np.random.permutation" in text and "def make_mini_batches" in text
    assert text.count("raise NotImplementedError") == len(B1.graded)
    assert '"""The gradient of one sample' in text  # the contract's docstring stays


def test_there_are_thirty_mutants():
    assert len(MUTANTS) >= 30


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_a_mutant_loses_exactly_its_tests_and_is_diagnosed(tmp_path, name):
    original, faulty, expected_lost, tag = MUTANTS[name]
    assert SOLUTION.count(original) >= 1, f"the mutant {name!r} no longer applies to the solution"
    result = grade_text(tmp_path, SOLUTION.replace(original, faulty), seed=7)
    assert lost(result) == expected_lost, "\n".join(f"{t.name}: {t.output}" for t in result.tests
                                                    if t.score < t.max_score)
    tags = {tag for t in result.tests if t.score < t.max_score for tag in t.tags}
    assert tag in tags, (tags, [t.output for t in result.tests if t.score < t.max_score])


def test_partial_credit_per_layer_when_only_the_hidden_layers_are_wrong(tmp_path):
    original, faulty, _, _ = MUTANTS["hidden δ without σ′"]
    result = grade_text(tmp_path, SOLUTION.replace(original, faulty))
    public = next(t for t in result.tests if t.name == "back_propagation: bias gradients, 5-3-4-2")
    assert public.score == pytest.approx(10 / 3)  # the output layer, one of three, is right
    assert "the output layer is right but a hidden one is not" in public.output


def test_a_transposed_gradient_is_named_with_both_shapes(tmp_path):
    original, faulty, _, _ = MUTANTS["dW transposed"]
    result = grade_text(tmp_path, SOLUTION.replace(original, faulty))
    public = next(t for t in result.tests if t.name == "back_propagation: weight gradients, 5-3-4-2")
    assert "shape (3, 5), expected (5, 3) (transposed?)" in public.output


def test_sigma_prime_missing_is_recognised_from_the_numbers(tmp_path):
    original, faulty, _, _ = MUTANTS["σ′ missing"]
    result = grade_text(tmp_path, SOLUTION.replace(original, faulty).replace(
        "* sigmoid_derivative(zs[l - 1])", ""))  # σ′ dropped on every layer
    public = next(t for t in result.tests if t.name == "back_propagation: bias gradients, 5-3-4-2")
    assert "σ′ is missing" in public.output


def test_the_hidden_seed_changes_the_hidden_inputs_not_the_public_ones(tmp_path):
    from chainrule.grading.assignment import Context
    from chainrule.grading.assignments.b1 import hidden_sizes

    a, b = Context(B1, seed=1), Context(B1, seed=2)
    assert hidden_sizes(a.rng("x")) != hidden_sizes(b.rng("x")) or a.rng("x").random() != b.rng("x").random()
    assert hidden_sizes(a.rng("x"))[1] == [784, 16, 16, 16, 10]
