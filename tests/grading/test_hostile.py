"""Hostile and broken submissions: each gets a clear message and 0 for what it broke, never
crashes the grader and never earns marks it did not earn. Graded as B1 (q1.py), whose tests are
quick; the solution is the base each hostile file changes."""

import json
import time
import zipfile

import pytest

from chainrule.grading import Limits, grade, get_assignment, validate_gradescope

B1 = get_assignment("B1")
SOLUTION = B1.solution_path().read_text()
SIGMOID_TESTS = {"sigmoid: values", "sigmoid: random arrays", "sigmoid: ±800 without overflow"}
FAST = Limits(timeout=3, budget=60)


def graded(tmp_path, text, name="q1.py", limits=FAST, **kwargs):
    path = tmp_path / name
    path.write_text(text) if isinstance(text, str) else path.write_bytes(text)
    return grade("B1", path, seed=0, limits=limits, **kwargs)


def by_name(result):
    return {t.name: t for t in result.tests}


def lost(result):
    return {t.name for t in result.tests if t.score < t.max_score}


def in_sigmoid(body):
    """The solution with ``body`` run at the start of sigmoid."""
    return SOLUTION.replace('    z = np.asarray(z, dtype=float)\n    e = np.exp', f'{body}\n    z = np.asarray(z, dtype=float)\n    e = np.exp', 1)


def test_writing_its_own_results_json_earns_nothing(tmp_path):
    fake = {"score": 100, "tests": []}
    text = SOLUTION.replace("import numpy as np", "import json\nimport numpy as np\n"
                            f"json.dump({fake!r}, open('results.json', 'w'))\n"
                            "def sigmoid(z):\n    return z\n") + "\ndef sigmoid(z):\n    return 0 * z\n"
    result = graded(tmp_path, text)
    out = tmp_path / "results.json"
    result.write_gradescope(out)
    data = json.loads(out.read_text())
    assert data["score"] == result.score < 100
    assert SIGMOID_TESTS <= lost(result)
    assert validate_gradescope(data) == []


def test_monkeypatching_numpy_changes_nothing_in_the_grader(tmp_path):
    text = SOLUTION.replace("import numpy as np", "import numpy as np\nnp.allclose = lambda *a, **k: True\n"
                            "np.isclose = lambda a, b, **k: np.ones(np.shape(a), bool)\n"
                            "np.testing.assert_allclose = lambda *a, **k: None")
    text = text.replace("return s * (1.0 - s)", "return s")
    result = graded(tmp_path, text)
    assert {"sigmoid_derivative: values", "sigmoid_derivative: random arrays"} <= lost(result)


def test_patching_the_grader_through_a_hidden_import_changes_nothing(tmp_path):
    text = in_sigmoid("    m = __builtins__['__imp' + 'ort__']('chainrule.grading.checks', fromlist=['x'])\n"
                      "    m.expect_array = lambda *a, **k: None\n    return z")
    result = graded(tmp_path, text)
    assert SIGMOID_TESTS <= lost(result)


def test_importing_chainrule_is_refused_with_the_reason(tmp_path):
    result = graded(tmp_path, "import chainrule\n" + SOLUTION)
    assert result.score == 0
    assert all("import of chainrule (line 1) is not allowed" in t.output for t in result.tests)
    assert any("forbidden import: chainrule" in flag for flag in result.flags)


def test_a_forbidden_import_inside_one_function_costs_only_that_function(tmp_path):
    text = in_sigmoid("    import scipy.special")
    result = graded(tmp_path, text)
    assert lost(result) == SIGMOID_TESTS
    assert "import of scipy (line" in by_name(result)["sigmoid: values"].output


def test_printing_megabytes_fails_that_test_only(tmp_path):
    result = graded(tmp_path, in_sigmoid("    print('x' * 3_000_000)"))
    assert "over the 1,048,576-byte limit" in by_name(result)["sigmoid: values"].output
    assert by_name(result)["cost_derivative: values"].status == "passed"


def test_printing_a_little_is_shown_and_flagged_not_penalised(tmp_path):
    result = graded(tmp_path, SOLUTION.replace("        a = x\n", "        a = x\n        print('debug', x.shape)\n"))
    assert result.score == 100
    assert "debug (5, 1)" in by_name(result)["forward_pass: 5-3-4-2"].output
    assert any("no extra printing" in flag for flag in result.flags)


@pytest.mark.parametrize("call, expected", [("sys.exit(3)", "called sys.exit"),
                                            ("os._exit(0)", "ended the grader's process itself"),
                                            ("raise KeyError('boom')", "raised KeyError: 'boom'"),
                                            ("np.ones(50 * 2**30 // 8)", "ran out of memory")])
def test_exits_crashes_and_huge_allocations_cost_only_their_tests(tmp_path, call, expected):
    result = graded(tmp_path, in_sigmoid(f"    import os, sys\n    {call}"))
    assert SIGMOID_TESTS <= lost(result)
    assert expected in by_name(result)["sigmoid: values"].output
    assert by_name(result)["cost_derivative: values"].status == "passed"


def test_sleeping_forever_is_timed_out_per_test(tmp_path):
    start = time.monotonic()
    result = graded(tmp_path, in_sigmoid("    import time\n    time.sleep(1000)"))
    assert "timed out" in by_name(result)["sigmoid: values"].output
    assert by_name(result)["cost_derivative: values"].status == "passed"
    assert time.monotonic() - start < 120


def test_hanging_at_import_costs_one_timeout_not_one_per_test(tmp_path):
    start = time.monotonic()
    result = graded(tmp_path, "import time\ntime.sleep(1000)\n" + SOLUTION)
    assert result.score == 0
    assert all("failed while loading q1.py: timed out" in t.output for t in result.tests)
    assert time.monotonic() - start < 3 * FAST.timeout


def test_a_forked_child_is_killed_with_the_submission(tmp_path):
    pid_file = tmp_path / "pid"
    result = graded(tmp_path, in_sigmoid(
        f"    import os, time\n    if not os.path.exists({str(pid_file)!r}) and os.fork() == 0:\n        open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        "        time.sleep(1000)\n        os._exit(0)"))
    assert result.score == 100  # the parent branch went on correctly
    pid = int(pid_file.read_text())
    time.sleep(0.2)
    assert not alive(pid)


def alive(pid) -> bool:
    """Whether ``pid`` runs (a killed orphan may stay a zombie where nothing reaps it)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_child_sees_a_scrubbed_environment_and_its_own_home(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_TOKEN", "hunter2")
    text = in_sigmoid("    import os\n    if 'SECRET_TOKEN' in os.environ or os.getcwd() != os.environ['HOME']:\n"
                      "        raise RuntimeError(os.environ.get('SECRET_TOKEN'))")
    assert graded(tmp_path, text).score == 100


# ------------------------------------------------------------------ bad input
def test_a_missing_file_is_named(tmp_path):
    result = grade("B1", tmp_path / "nothing.py", seed=0)
    assert result.score == 0 and "does not exist" in result.notes[0]
    assert all("does not exist" in t.output for t in result.tests)


def test_a_syntax_error_names_the_line(tmp_path):
    line = SOLUTION.splitlines().index("def cost_derivative(output_activations, y):") + 1
    result = graded(tmp_path, SOLUTION.replace("def cost_derivative(output_activations, y):",
                                               "def cost_derivative(output_activations, y)"))
    assert result.score == 0
    assert f"syntax error at line {line}: expected ':'" in result.tests[0].output


def test_a_missing_function_costs_its_tests_and_the_rest_still_run(tmp_path):
    result = graded(tmp_path, SOLUTION.replace("def cost_derivative(", "def costderivative("))
    assert {"cost_derivative: values", "cost_derivative: random sizes"} <= lost(result)
    assert "defines no function or class `cost_derivative`" in by_name(result)["cost_derivative: values"].output
    assert by_name(result)["sigmoid: values"].status == "passed"


def test_a_wrong_signature_is_named(tmp_path):
    result = graded(tmp_path, SOLUTION.replace("def forward_pass(self, x):", "def forward_pass(self, x, y):"))
    output = by_name(result)["forward_pass: 5-3-4-2"].output
    assert "wrong signature: forward_pass(x, y) requires 2 arguments; the contract is forward_pass(x)" in output


def test_a_file_that_is_not_utf8_is_named(tmp_path):
    result = graded(tmp_path, SOLUTION.replace("σ", "s").encode("utf-8").replace(b"# ", b"# \xff", 1)
                    if "# " in SOLUTION else b"\xff" + SOLUTION.encode())
    assert result.score == 0 and "is not UTF-8 text" in result.tests[0].output


def test_a_zip_holding_the_file_is_unpacked_and_graded(tmp_path):
    archive = tmp_path / "submission.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("hw/q1.py", SOLUTION)
    result = grade("B1", archive, seed=0)
    assert result.score == 100 and "unpacked submission.zip" in result.notes


def test_a_zip_without_the_file_says_what_it_holds(tmp_path):
    archive = tmp_path / "submission.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.py", "x = 1")
        z.writestr("b.py", "y = 2")
    result = grade("B1", archive, seed=0)
    assert result.score == 0 and "no q1.py in the submission (it holds: a.py, b.py)" in result.notes


def test_a_folder_submission_finds_the_file(tmp_path):
    (tmp_path / "ada" / "hw1").mkdir(parents=True)
    (tmp_path / "ada" / "hw1" / "q1.py").write_text(SOLUTION)
    assert grade("B1", tmp_path / "ada", seed=0).score == 100
