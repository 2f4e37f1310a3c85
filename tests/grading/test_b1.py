"""B1 (q1.py): the solution, a second solution, the skeleton, and one-fault mutants, each graded
as a student's file would be; every mutant must lose exactly the tests its fault touches and be
named by the diagnostics."""

from pathlib import Path

import pytest
from b1_mutants import MUTANTS  # beside this file (pytest puts the folder on sys.path)

from chainrule.grading import grade, get_assignment
from chainrule.grading.starter import skeleton_text

B1 = get_assignment("B1")
SOLUTION = B1.solution_path().read_text()
ALT = Path(__file__).parent / "solutions" / "b1_vectorised_q1.py"

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
