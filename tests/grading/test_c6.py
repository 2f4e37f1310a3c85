"""C6 (pytorch_cnn.py): the solution, a second solution and the skeleton graded in quick mode,
and architecture mutants graded on the constructor tests alone (no training: they touch only
the layer stack), each losing exactly its marks with a diagnostic that names the layer."""

import dataclasses
from pathlib import Path

import pytest

pytest.importorskip("torch")

from chainrule.grading import get_assignment, grade  # noqa: E402
from chainrule.grading.starter import skeleton_text  # noqa: E402

C6 = get_assignment("C6")
STACK = dataclasses.replace(C6, tests=tuple(t for t in C6.tests if not t.training))
SOLUTION = C6.solution_path().read_text()
ALT = Path(__file__).parent / "solutions" / "c6_pytorch_cnn.py"
DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
BLOCKS, HEAD = "constructor: the four conv blocks", "constructor: the dense head"


def grade_text(tmp_path, text, assignment=C6, seed=0):
    path = tmp_path / "pytorch_cnn.py"
    path.write_text(text)
    return grade(assignment, path, seed=seed, quick=True, data_dir=DATA)


def test_marks_are_the_sheets():
    assert C6.max_score == 10
    assert sum(t.max_score for t in C6.tests if t.name.startswith("constructor")) == 6


@pytest.mark.slow
@pytest.mark.skipif(not DATA.exists(), reason="no Fashion-MNIST")
@pytest.mark.parametrize("path", ["solution", "second"])
def test_the_solutions_score_full_marks(tmp_path, path):
    text = SOLUTION if path == "solution" else ALT.read_text()
    result = grade_text(tmp_path, text, seed=1)
    assert result.score == 10, [(t.name, t.output) for t in result.tests if t.status != "passed"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_solutions_layer_stack_scores_full_marks(tmp_path, seed):
    for text in (SOLUTION, ALT.read_text()):
        result = grade_text(tmp_path, text, STACK, seed)
        assert result.score == 6, [(t.name, t.output) for t in result.tests if t.status != "passed"]


def test_the_skeleton_scores_zero(tmp_path):
    result = grade_text(tmp_path, skeleton_text(C6))
    assert result.score == 0
    assert all("not implemented" in t.output for t in result.tests)


MUTANTS = {
    # name: (original, faulty, {test: score}, a phrase of the diagnostic)
    "ReLU and MaxPool swapped in block 3": (
        "*block(64, 128)", "nn.Conv2d(64, 128, 3, padding=1), nn.MaxPool2d(2), nn.ReLU(), nn.BatchNorm2d(128), "
        "nn.Dropout(0.3)", {BLOCKS: 3}, "block 3: MaxPool2d comes before ReLU"),
    "Dropout 0.5": ("nn.Dropout(0.3)", "nn.Dropout(0.5)", {BLOCKS: 0}, "Dropout(p=0.5), expected Dropout(p=0.3)"),
    "block 2 without BatchNorm": (
        "*block(32, 64)", "nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.3)",
        {BLOCKS: 3}, "block 2: no BatchNorm2d"),
    "16 channels instead of 32": ("*block(1, 32), *block(32, 64)", "*block(1, 16), *block(16, 64)", {BLOCKS: 3},
                                  "block 1, Conv2d: Conv2d(1, 16"),
    "the 256-channel block missing": ("*block(128, 256),\n", "\n", {BLOCKS: 3}, "block 4 (256 channels) is missing"),
}


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_an_architecture_mutant_loses_exactly_its_marks(tmp_path, name):
    original, faulty, scores, phrase = MUTANTS[name]
    assert SOLUTION.count(original) == 1, name
    text = SOLUTION.replace(original, faulty)
    if name == "the 256-channel block missing":
        text = text.replace("nn.Linear(256, 128)", "nn.Linear(128 * 3 * 3, 128)")
    result = grade_text(tmp_path, text, STACK)
    got = {t.name: t.score for t in result.tests if t.score < t.max_score}
    assert got == scores, [(t.name, t.output) for t in result.tests]
    output = next(t.output for t in result.tests if t.name == BLOCKS)
    assert phrase in output and "parameters:" in output and "expected 422,986" in output, output
