"""``--engine chainrule``: a PyTorch sheet's file, unchanged, graded on chainrule by the import
swap (``import torch`` gives chainrule in the child), to the same marks as on PyTorch."""

import dataclasses

import pytest

from chainrule.grading import get_assignment, grade

pytest.importorskip("torch")

ON_CHAINRULE = "\nassert torch.__name__ == 'chainrule', torch.__name__\n"
"""Appended to a solution: it loads only where ``import torch`` gave chainrule."""


def write(tmp_path, assignment, extra=""):
    path = tmp_path / assignment.filename
    path.write_text(assignment.solution_path().read_text() + extra)
    return path


def test_the_c2_file_runs_on_chainrule_and_earns_full_marks(tmp_path):
    c2 = get_assignment("C2")
    path = write(tmp_path, c2, ON_CHAINRULE)
    result = grade(c2, path, seed=3, engine="chainrule")
    assert result.engine == "chainrule"
    assert result.score == c2.max_score, [(t.name, t.output) for t in result.tests if t.score < t.max_score]
    on_torch = grade(c2, path, seed=3)
    assert on_torch.engine == "torch" and on_torch.score == 0
    assert "AssertionError" in on_torch.tests[0].output and "torch" in on_torch.tests[0].output


def test_c5_untrained_tests_give_the_same_marks_on_both_engines(tmp_path):
    full = get_assignment("C5")
    c5 = dataclasses.replace(full, tests=tuple(t for t in full.tests if not t.training))
    path = write(tmp_path, full)
    scores = {engine: grade(c5, path, seed=5, engine=engine).score for engine in ("torch", "chainrule")}
    assert scores == {"torch": c5.max_score, "chainrule": c5.max_score}
