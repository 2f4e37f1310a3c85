"""A whole class: the pool, the gradebook, the class report, Ray; and the CLI as a TA uses it."""

import csv
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from chainrule.cli import main
from chainrule.grading import get_assignment, validate_gradescope
from chainrule.grading.classroom import grade_class, gradebook_csv, is_class_folder, write_class

B1 = get_assignment("B1")
SOLUTION = B1.solution_path().read_text()
NO_SHUFFLE = SOLUTION.replace("order = np.random.permutation(len(X))", "order = np.arange(len(X))")


@pytest.fixture
def klass(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ada.py").write_text(SOLUTION)
    (folder / "bob.py").write_text(NO_SHUFFLE)
    (folder / "cyd").mkdir()
    (folder / "cyd" / "q1.py").write_text("def sigmoid(z):\n    return 1 / (1 + 2.718281828 ** -z)\n")
    (folder / "dan.py").write_bytes(b"\xff\xfe not python")
    return folder


def test_a_class_folder_is_told_from_one_students_folder(klass, tmp_path):
    assert is_class_folder(klass, "q1.py")
    assert not is_class_folder(klass / "cyd", "q1.py")
    assert not is_class_folder(klass / "ada.py", "q1.py")


def test_a_class_is_graded_in_parallel_into_a_gradebook_and_a_report(klass, tmp_path):
    results = grade_class("B1", klass, jobs=2, seed=3)
    assert [r.student for r in results] == ["ada", "bob", "cyd", "dan"]
    scores = {r.student: r.score for r in results}
    assert scores["ada"] == 100 and scores["bob"] == 90 and scores["dan"] == 0
    assert 0 < scores["cyd"] < 10  # sigmoid's values right, its ±800 case and everything else not
    report = write_class(results, tmp_path / "out")
    rows = list(csv.DictReader((tmp_path / "out" / "gradebook.csv").open()))
    assert [row["student"] for row in rows] == ["ada", "bob", "cyd", "dan"]
    assert rows[1]["mini_batch_GD: cost history, 5-3-4-2"] == "0" and rows[1]["total"] == "90"
    assert "not UTF-8" in rows[3]["flags"]
    text = report.read_text()
    assert "4 submissions; mean" in text and "| mini_batch_GD: cost history, 5-3-4-2 | 25% |" in text
    assert "| no-shuffle |" in text  # the class's common fault, for the next lecture
    assert (tmp_path / "out" / "scores.png").read_bytes()[:4] == b"\x89PNG"
    for student in ("ada", "bob", "cyd", "dan"):
        assert (tmp_path / "out" / "feedback" / f"{student}.md").exists()
        data = json.loads((tmp_path / "out" / "results" / f"{student}.json").read_text())
        assert validate_gradescope(data) == []


def test_one_worker_and_two_give_the_same_grades(klass):
    one = grade_class("B1", klass, jobs=1, seed=5)
    two = grade_class("B1", klass, jobs=2, seed=5)
    assert gradebook_csv(one) == gradebook_csv(two)


def test_ray_grades_a_class_on_a_local_instance(klass):
    pytest.importorskip("ray")
    results = grade_class("B1", klass, ray_address="local", seed=3)
    assert {r.student: r.score for r in results} == {r.student: r.score
                                                     for r in grade_class("B1", klass, jobs=1, seed=3)}


def test_an_unreachable_ray_address_is_one_clear_error(klass):
    pytest.importorskip("ray")
    with pytest.raises(RuntimeError, match="cannot reach the Ray cluster"):
        grade_class("B1", klass, ray_address="ray://127.0.0.1:1", seed=3)


# ------------------------------------------------------------------ the CLI
def run(*args):
    result = CliRunner().invoke(main, list(map(str, args)))
    assert "Traceback" not in result.output
    return result


def test_cli_skeleton_solution_and_grade_as_a_ta_would(tmp_path):
    assert run("grade", "skeleton", "B1", "-o", tmp_path / "hand").exit_code == 0
    assert run("grade", "solution", "B1", "-o", tmp_path / "key").exit_code == 0
    again = run("grade", "solution", "B1", "-o", tmp_path / "key")
    assert again.exit_code == 1 and "exists; use --force" in again.output
    skeleton = run("grade", "B1", tmp_path / "hand" / "q1.py", "--out", tmp_path / "g1")
    assert skeleton.exit_code == 0 and "B1: 0 / 100" in skeleton.output
    key = run("grade", "B1", tmp_path / "key" / "q1.py", "--out", tmp_path / "g2", "--json", tmp_path / "r.json",
              "--seed", "4")
    assert key.exit_code == 0 and "B1: 100 / 100" in key.output
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["score"] == 100 and validate_gradescope(data) == []
    assert "Score: 100 / 100" in (tmp_path / "g2" / "feedback.md").read_text()


def test_cli_grades_a_class_folder(klass, tmp_path):
    result = run("grade", "B1", klass, "--jobs", "2", "--out", tmp_path / "g", "--seed", "1")
    assert result.exit_code == 0 and "graded 4 submissions" in result.output
    assert (tmp_path / "g" / "gradebook.csv").exists()


def test_cli_list_shows_marks_and_visibility():
    result = run("grade", "list")
    assert result.exit_code == 0
    assert "B1  q1.py  (100 marks)" in result.output and "21  back_propagation: weight gradients, random networks  [hidden]" in result.output


@pytest.mark.parametrize("args, message", [
    (("grade", "B9", "x.py"), "unknown assignment 'B9'"),
    (("grade", "skeleton", "Z1"), "unknown assignment 'Z1'"),
    (("grade", "B1", "no/such/file.py"), "no/such/file.py does not exist"),
    (("grade", "B1", "x.py", "--timeout", "0"), "Invalid value for '--timeout'"),
    (("grade", "B1"), "Try 'main grade --help'"),  # the hidden `run` is never named
])
def test_cli_misuse_exits_non_zero_with_one_line(tmp_path, args, message):
    result = run(*args)
    assert result.exit_code != 0 and message in result.output


def test_cli_a_broken_submission_still_exits_zero(tmp_path):
    (tmp_path / "q1.py").write_text("def sigmoid(z)\n")
    result = run("grade", "B1", tmp_path / "q1.py", "--out", tmp_path / "g")
    assert result.exit_code == 0 and "B1: 0 / 100" in result.output


# ------------------------------------------------------------------ Gradescope
def test_the_bundle_grades_a_submission_through_run_autograder(tmp_path):
    assert run("grade", "bundle", "B1", "-o", tmp_path / "autograder.zip").exit_code == 0
    root = tmp_path / "root"
    with zipfile.ZipFile(tmp_path / "autograder.zip") as archive:
        names = archive.namelist()
        archive.extractall(root / "source")
    assert {"setup.sh", "run_autograder", "lib/chainrule/grading/files/b1/q1.py"} <= set(names)
    setup = (root / "source" / "setup.sh").read_text()
    assert "numpy==" in setup and "click==" in setup and "torch" not in setup
    (root / "submission").mkdir()
    (root / "submission" / "q1.py").write_text(NO_SHUFFLE)
    bundled = root / "source" / "lib" / "chainrule" / "grading" / "assignments" / "b1.py"
    bundled.write_text(bundled.read_text().replace('"sigmoid: values"', '"bundled sigmoid: values"'))
    script = root / "source" / "run_autograder"
    script.chmod(0o755)
    env = {**os.environ, "CHAINRULE_AUTOGRADER_ROOT": str(root),
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "PYTHONPATH": ""}
    done = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["score"] == 90 and validate_gradescope(data) == []
    assert data["tests"][0]["name"] == "bundled sigmoid: values"  # the bundle's own chainrule graded it


def test_results_json_validation_catches_departures_from_the_format():
    assert validate_gradescope({"tests": []}) == ["score: missing or not a number"]
    bad = {"score": 3, "tests": [{"name": "t", "score": 5, "max_score": 2, "output": "", "visibility": "secret"}]}
    problems = validate_gradescope(bad)
    assert "tests[0].visibility: 'secret'" in problems and "tests[0]: score 5 outside 0..2" in problems
    assert "score 3 is not the sum of the tests' scores 5" in problems
