"""The answers sheets A1, A6, A7 (TOML, read and never run): the solution scores full marks, the
skeleton 0, each wrong answer loses exactly its question's marks with a line naming the field (and
the slip, where one is recognised), fields of the wrong kind are named, and A7's design is tested
on ties, tiny and huge inputs, with a counterexample in the feedback."""

import re
import tomllib

import numpy as np
import pytest

from chainrule.grading import get_assignment, grade, validate_gradescope
from chainrule.grading.assignment import Context
from chainrule.grading.assignments import a6, a7
from chainrule.grading.starter import skeleton_text, solution_text

IDS = ("A1", "A6", "A7")
A7_RIGHT = np.array([[-1, 1, 0, 0, 0], [0, -1, 1, 0, 0], [0, 0, -1, 1, 0], [0, 0, 0, -1, 1]], float)


def grade_text(tmp_path, assignment_id, text, seed=0):
    path = tmp_path / get_assignment(assignment_id).filename
    path.write_text(text, encoding="utf-8")
    return grade(assignment_id, path, seed=seed)


def set_field(text: str, dotted: str, value: str | None) -> str:
    """The answers file with field ``dotted`` (``stacked.with_bias``) written as ``key = value``
    (``None`` deletes it); a field spanning several lines (A7's W1) is replaced whole."""
    *tables, key = dotted.split(".")
    out, section, depth, found = [], "", 0, False
    for line in text.splitlines():
        if depth:  # inside the replaced field's multi-line array
            depth += line.count("[") - line.count("]")
            continue
        if line.startswith("["):
            section = line.strip("[] ")
        if section == ".".join(tables) and re.match(rf"{key}\s*=", line):
            found, depth = True, line.count("[") - line.count("]")
            if value is not None:
                out.append(f"{key} = {value}")
            continue
        out.append(line)
    assert found, f"no field {dotted}"
    return "\n".join(out) + "\n"


def scores(result) -> dict:
    return {t.name: t.score for t in result.tests}


def full(assignment_id) -> dict:
    return {t.name: t.max_score for t in get_assignment(assignment_id).tests}


# ------------------------------------------------------------------ solution and skeleton
@pytest.mark.parametrize("assignment_id", IDS)
@pytest.mark.parametrize("seed", [0, 1, 2, 98765])
def test_solution_scores_full_marks(tmp_path, assignment_id, seed):
    result = grade_text(tmp_path, assignment_id, solution_text(get_assignment(assignment_id)), seed)
    assert scores(result) == full(assignment_id)
    assert all(t.status == "passed" and t.output == "" for t in result.tests)
    assert not validate_gradescope(result.gradescope())


@pytest.mark.parametrize("assignment_id", IDS)
def test_skeleton_scores_zero_with_not_answered(tmp_path, assignment_id):
    result = grade_text(tmp_path, assignment_id, skeleton_text(get_assignment(assignment_id)))
    assert result.score == 0 and result.max_score == sum(full(assignment_id).values())
    assert all(t.status == "failed" and "not answered" in t.output for t in result.tests)


def leaves(data, prefix=""):
    for key, value in data.items():
        if isinstance(value, dict):
            yield from leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


@pytest.mark.parametrize("assignment_id", IDS)
def test_skeleton_has_the_solutions_fields_blank_each_under_its_question(assignment_id):
    assignment = get_assignment(assignment_id)
    skeleton, solution = skeleton_text(assignment), solution_text(assignment)
    blank = dict(leaves(tomllib.loads(skeleton)))
    assert set(blank) == set(dict(leaves(tomllib.loads(solution))))
    assert all(value in ("", []) for value in blank.values())
    lines = skeleton.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"\w+ = ", line):
            assert lines[i - 1].startswith("#"), f"{assignment_id}: no question above {line!r}"


def test_a6_skeleton_states_the_image_and_filter_the_grader_uses():
    flat = skeleton_text(get_assignment("A6")).replace(" ", "")
    for row in a6.IMAGE + a6.FILTER:
        assert "[" + ",".join(map(str, row)) + "]" in flat


def test_a7_solution_is_the_worksheets_design():
    from chainrule.worksheets import threshold

    net, answers = threshold.load_example("A7"), tomllib.loads(solution_text(get_assignment("A7")))
    assert np.array_equal(answers["W1"], net.weights[0]) and np.array_equal(answers["w2"], net.weights[1][0])
    assert np.array_equal(answers["b1"], net.biases[0]) and answers["b2"] == net.biases[1][0]


# ------------------------------------------------------------------ wrong answers
WRONG = [
    # (sheet, field, wrong value, the test that loses, marks lost, words the feedback must hold, the right value)
    ("A1", "v", "[4, -3, 11]", "v: hidden output", 2, "ReLU", "[4, 0, 11]"),
    ("A1", "y", "9", "y: prediction", 1, "wrong", "18"),
    ("A1", "C", "112.5", "C: cost", 1, "no ½", "225"),
    ("A1", "C", "15", "C: cost", 1, "squared error", "225"),
    ("A1", "C", "224", "C: cost", 1, "(y − t)²", "225"),
    ("A1", "dC_dw11", "30", "dC_dw11: first-layer weight gradient", 2, "sign is flipped", "-30"),
    ("A1", "dC_dw11", "120", "dC_dw11: first-layer weight gradient", 2, "first layer's weight", "-30"),
    ("A1", "dC_dW2", "[60, 0, 165]", "dC_dW2: output-layer gradient", 2, "factor 2 is missing", "330"),
    ("A1", "dC_dW2", "[120, 1, 330]", "dC_dW2: output-layer gradient", 2, "entry 2 of 3 wrong", "330"),
    ("A1", "W2_new", "[5, 3, 18.5]", "W2_new: W2 after one step", 2, "downhill", "-14.5"),
    ("A6", "convolution.e", "6", "convolution: entry e", 4, "filter flipped", None),
    ("A6", "convolution.v", "5", "convolution: entry v", 4, "column by column", None),
    ("A6", "convolution.e", "1", "convolution: entry e", 4, "row 1, column 5", None),
    ("A6", "same_size.filter_doubled_padding", "36", "same-size filter and the doubled padding", 2,
     "output size", None),
    ("A6", "same_size.filter", "3", "same-size filter and the doubled padding", 2, "padding 1", None),
    ("A6", "hyperparameters.stride", '"learned"', "hyperparameters vs learned", 1, "chosen before training", None),
    ("A6", "hyperparameters.weights", '"Hyperparameter"', "hyperparameters vs learned", 1, "gradient descent", None),
    ("A6", "parameters.colour_3x3.without_bias", "9", "parameters: one 3x3 filter on 12x12 colour images", 1,
     "all 3 input channels", None),
    ("A6", "parameters.colour_3x3.with_bias", "30", "parameters: one 3x3 filter on 12x12 colour images", 1,
     "not one per input channel", None),
    ("A6", "parameters.gray_4x4.without_bias", "361", "parameters: one 4x4 filter, stride 2, on 40x40x1", 1,
     "output positions", None),
    ("A6", "parameters.gray_4x4.with_bias", "16", "parameters: one 4x4 filter, stride 2, on 40x40x1", 1,
     "one bias", None),
    ("A6", "stacked.layer1_output", "[4, 14, 14]", "two stacked layers on 28x28x1", 1, "[depth, height, width]",
     None),
    ("A6", "stacked.without_bias", "171", "two stacked layers on 28x28x1", 2, "4 channels", None),
    ("A6", "stacked.with_bias", "148", "two stacked layers on 28x28x1", 2, "both layers", None),
]


@pytest.mark.parametrize("sheet, key, wrong, test, lost, words, right", WRONG,
                         ids=[f"{w[0]} {w[1]}={w[2]}" for w in WRONG])
def test_a_wrong_answer_loses_exactly_its_marks_and_is_named(tmp_path, sheet, key, wrong, test, lost, words, right):
    text = set_field(solution_text(get_assignment(sheet)), key, wrong)
    result = grade_text(tmp_path, sheet, text)
    expected = full(sheet)
    expected[test] -= lost
    assert scores(result) == expected
    output = next(t.output for t in result.tests if t.name == test)
    assert f"`{key}`" in output and words in output, output
    if right is not None:  # the feedback names the slip, not the answer
        assert right not in output.replace(wrong, "")


# ------------------------------------------------------------------ fields of the wrong kind
BAD = [
    ("A1", "v", '"four, zero, eleven"', "v: hidden output", "is text (in quotes)"),
    ("A1", "y", '"18"', "y: prediction", "without quotes"),
    ("A1", "y", "true", "y: prediction", "true is not a number"),
    ("A1", "C", "nan", "C: cost", "nan or inf"),
    ("A1", "v", "[[4, 0], [11]]", "v: hidden output", "rows of different lengths"),
    ("A1", "v", "[4, 0, 11, 0]", "v: hidden output", "4 numbers, expected 3 numbers"),
    ("A1", "dC_dW2", "[[120, 0], [330, 0]]", "dC_dW2: output-layer gradient", "a 2x2 matrix, expected 3 numbers"),
    ("A6", "convolution.e", "[2, 7]", "convolution: entry e", "2 numbers, expected one number"),
    ("A6", "hyperparameters.padding", '"maybe"', "hyperparameters vs learned", 'neither "hyperparameter" nor'),
    ("A6", "hyperparameters.padding", "1", "hyperparameters vs learned", 'a number, expected one of'),
    ("A6", "stacked.layer2_output", '"12x12x3"', "two stacked layers on 28x28x1", "is text"),
    ("A7", "W1", "[[-1, 0, 0, 0], [1, -1, 0, 0], [0, 1, -1, 0], [0, 0, 1, -1], [0, 0, 0, 1]]",
     "design: output 1 exactly when x1 > x2 > x3 > x4 > x5", "(transposed? W is out x in)"),
    ("A7", "b2", '"0.5"', "design: output 1 exactly when x1 > x2 > x3 > x4 > x5", "without quotes"),
    ("A7", "w2", "[-1, -1, -1]", "design: output 1 exactly when x1 > x2 > x3 > x4 > x5", "3 numbers, expected 4"),
]


@pytest.mark.parametrize("sheet, key, bad, test, words", BAD, ids=[f"{b[0]} {b[1]}={b[2]}" for b in BAD])
def test_a_field_of_the_wrong_kind_is_named_and_costs_only_its_marks(tmp_path, sheet, key, bad, test, words):
    result = grade_text(tmp_path, sheet, set_field(solution_text(get_assignment(sheet)), key, bad))
    lost = next(t for t in result.tests if t.name == test)
    assert f"`{key}`" in lost.output and words in lost.output, lost.output
    assert "could not be checked" not in lost.output  # a Fault of ours, not the grader's catch-all
    assert all(t.score == t.max_score for t in result.tests if t.name != test)
    assert lost.score < lost.max_score


def test_a_table_where_a_number_belongs_is_named(tmp_path):
    text = set_field(solution_text(get_assignment("A6")), "convolution.e", None).replace(
        "[convolution]", "convolution = 3\n[convolution_answers]")
    result = grade_text(tmp_path, "A6", text)
    outputs = {t.name: t.output for t in result.tests}
    assert "`convolution` is a number, expected a table holding `e`" in outputs["convolution: entry e"]
    assert result.score == 28 - 8


def test_a_missing_or_misspelled_field_is_named(tmp_path):
    text = set_field(solution_text(get_assignment("A1")), "dC_dw11", None)
    result = grade_text(tmp_path, "A1", text.replace("\ny = 18", "\nY = 18"))
    outputs = {t.name: t.output for t in result.tests}
    assert outputs["y: prediction"] == "`y`: missing from the file; the file has `Y` (names are case-sensitive, " \
                                       "spell it as the skeleton does)"
    assert outputs["dC_dw11: first-layer weight gradient"] == "`dC_dw11`: missing from the file"
    assert result.score == 10 - 1 - 2


@pytest.mark.parametrize("key, written", [("v", "[[4], [0], [11]]"), ("v", "[4.0, 0.0, 11.0]"), ("y", "[18]"),
                                          ("dC_dW2", "[[120, 0, 330]]"), ("W2_new", "[-7.0, 3, -14.5000001]")])
def test_vectors_in_any_orientation_ints_or_floats_within_the_tolerance_are_right(tmp_path, key, written):
    result = grade_text(tmp_path, "A1", set_field(solution_text(get_assignment("A1")), key, written))
    assert result.score == 10


def test_outside_the_tolerance_is_wrong(tmp_path):
    result = grade_text(tmp_path, "A1", set_field(solution_text(get_assignment("A1")), "W2_new", "[-7, 3, -14.51]"))
    assert result.score == 8


@pytest.mark.parametrize("line, words", [("y = 18 18", "not valid TOML"), ("y = 18,", "not valid TOML")])
def test_malformed_toml_zeroes_every_test_and_names_the_line(tmp_path, line, words):
    text = solution_text(get_assignment("A1")).replace("\ny = 18\n", f"\n{line}\n")
    number = text.splitlines().index(line) + 1
    result = grade_text(tmp_path, "A1", text)
    assert result.score == 0
    assert all(words in t.output and f"line {number}" in t.output for t in result.tests), result.tests[0].output
    assert any(words in note for note in result.notes)


def test_valid_toml_that_is_not_python_is_read_as_toml(tmp_path):
    text = solution_text(get_assignment("A1")) + '[extra]\nnote = { kind = "inline" }\n'
    assert tomllib.loads(text)["extra"] == {"note": {"kind": "inline"}}
    assert grade_text(tmp_path, "A1", text).score == 10


# ------------------------------------------------------------------ A7's design
def a7_text(W1, b1, w2, b2) -> str:
    text = solution_text(get_assignment("A7"))
    for key, value in (("W1", W1), ("b1", b1), ("w2", w2), ("b2", b2)):
        text = set_field(text, key, repr(np.asarray(value, float).tolist()).replace("'", ""))
    return text


SCALES = np.array([3.0, 0.7, 12.5, 0.01])


@pytest.mark.parametrize("W1, b1, w2, b2", [
    (3 * A7_RIGHT, [0] * 4, [-3] * 4, 1.5),  # every weight times 3: a float64 tie gives z ≠ 0 under FMA
    (0.7 * A7_RIGHT, [0] * 4, [-0.7] * 4, 0.35),
    (SCALES[:, None] * A7_RIGHT, [0] * 4, -SCALES, 0.0),  # each unit its own scale, the output at z = 0
    (A7_RIGHT[::-1], [0] * 4, [-2] * 4, 1),  # the hidden units in another order
], ids=["times 3", "times 0.7", "per-unit scales", "units reordered"])
def test_a7_other_correct_designs_score_full_marks(tmp_path, W1, b1, w2, b2):
    for seed in (0, 7):
        assert grade_text(tmp_path, "A7", a7_text(W1, b1, w2, b2), seed).score == 3


def test_a7_a_design_that_fires_on_ties_loses_the_marks_with_a_counterexample(tmp_path):
    # σ(x_i − x_{i+1}) detects x_i >= x_{i+1}: right on every strict input, wrong on each tie.
    result = grade_text(tmp_path, "A7", a7_text(-A7_RIGHT, [0] * 4, [1] * 4, -3.5))
    test = result.tests[0]
    assert result.score == 0 and "ties" in test.tags
    assert re.search(r"x = \[[-0-9., e]+\] gives 1, expected 0: x(\d) = x(\d)", test.output)
    first, second = map(int, re.search(r"expected 0: x(\d) = x(\d)", test.output).groups())
    assert second == first + 1
    assert "σ(0) = 1" in test.output and "all equal" in test.output
    assert "gives 1, expected 0" in result.feedback()


@pytest.mark.parametrize("bias", [-1e-9, 1e-9], ids=["margin", "negative margin"])
def test_a7_a_design_with_a_margin_fails_on_tiny_inputs(tmp_path, bias):
    W1, w2, b2 = (-A7_RIGHT, [1] * 4, -3.5) if bias < 0 else (A7_RIGHT, [-1] * 4, 0.5)
    result = grade_text(tmp_path, "A7", a7_text(W1, [bias] * 4, w2, b2))
    assert result.score == 0
    assert "times 1e-300" in result.tests[0].output and "gives 0, expected 1: x1 > x2 > x3 > x4 > x5 holds" \
        in result.tests[0].output


def test_a7_a_design_wrong_on_strict_inputs_is_caught_by_the_random_set(tmp_path):
    # Only the first three pairs are checked: x4 > x5 is never tested.
    W1 = A7_RIGHT.copy()
    W1[3] = 0
    result = grade_text(tmp_path, "A7", a7_text(W1, [0, 0, 0, -1], [-1] * 4, 0.5))
    assert result.score == 0 and re.search(r"random: \d+ of 1000 wrong", result.tests[0].output)
    assert "gives 1, expected 0: x4" in result.tests[0].output


def test_a7_the_random_inputs_come_from_the_hidden_seed():
    context = lambda seed: Context(get_assignment("A7"), seed)
    draw = lambda seed: a7.groups(context(seed).rng("design"))
    assert np.array_equal(draw(1)["random"], draw(1)["random"])
    assert not np.array_equal(draw(1)["random"], draw(2)["random"])
    assert np.array_equal(draw(1)["every tuple from {-2..2}^5"], draw(2)["every tuple from {-2..2}^5"])
    ties = draw(3)["ties at each position"]
    assert all(np.any(row[:-1] == row[1:]) for row in ties)


@pytest.mark.parametrize("scale", [3.0, 0.7, 1 / 3])
def test_a7_exact_evaluation_fires_on_every_tie_whatever_float64_rounds_to(scale):
    # In float64 (with a fused multiply-add) scale·x2 − scale·x1 need not be 0 when x1 = x2; the
    # grader must still see z = 0, so the tied pair's unit fires. It must also see the sign of
    # every gap one float wide.
    x = a7.groups(np.random.default_rng(0))["ties at each position"]
    tied = np.argmax(x[:, :-1] == x[:, 1:], axis=1)  # the pair each row ties
    fired = a7.step_layer(x, scale * A7_RIGHT, np.zeros(4))
    assert np.all(fired[np.arange(len(x)), tied] == 1)
    below = x.copy()
    below[np.arange(len(x)), tied + 1] = np.nextafter(x[np.arange(len(x)), tied], -np.inf)
    assert np.all(a7.step_layer(below, scale * A7_RIGHT, np.zeros(4))[np.arange(len(x)), tied] == 0)
