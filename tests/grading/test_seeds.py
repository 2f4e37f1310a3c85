"""Every assignment's solution scores full marks whatever the hidden seed: 20 seeds each, on the
tests that need no training (B1 and B2 run all of theirs per seed in their own files; the
training tests run on real data once per assignment, quick in the default run and in full under
``slow``)."""

import dataclasses
from pathlib import Path

import pytest

from chainrule.grading import all_assignments, grade

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
UNTRAINED = ("A1", "A6", "A7", "C2", "C5", "C6")
TRAINED = [a.id for a in all_assignments().values() if any(t.training for t in a.tests)]


def solution(tmp_path, assignment):
    path = tmp_path / assignment.filename
    path.write_text(assignment.solution_path().read_text())
    return path


def failures(result):
    return [(t.name, t.output) for t in result.tests if t.score < t.max_score]


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("assignment_id", UNTRAINED)
def test_the_solution_scores_full_marks_for_every_seed(tmp_path, assignment_id, seed):
    if assignment_id.startswith("C"):
        pytest.importorskip("torch")
    full = all_assignments()[assignment_id]
    assignment = dataclasses.replace(full, tests=tuple(t for t in full.tests if not t.training))
    result = grade(assignment, solution(tmp_path, full), seed=seed * 7919 + 1)
    assert result.score == assignment.max_score, failures(result)


@pytest.mark.slow
@pytest.mark.skipif(not DATA.exists(), reason="no ../shared/data")
@pytest.mark.parametrize("assignment_id", TRAINED)
def test_the_solution_passes_the_full_training_tests(tmp_path, assignment_id):
    """The sheets' bars on the whole of Fashion-MNIST (B2 ≥ 0.77, C5 ≥ 0.8, C6 ≥ 0.85)."""
    if assignment_id.startswith("C"):
        pytest.importorskip("torch")
    assignment = all_assignments()[assignment_id]
    result = grade(assignment, solution(tmp_path, assignment), seed=1, data_dir=DATA)
    assert result.score == assignment.max_score, failures(result)
    assert not any("provisional" in t.output for t in result.tests)
