"""``explain``, ``conv`` and ``verify`` through the installed console script."""

import pytest

from tests.test_cli import assert_user_error, run


def test_explain_a1():
    result = run("explain", "--example", "A1")
    assert result.returncode == 0, result.stderr
    assert "dC/dW2 = [ 120    0  330 ]" in result.stdout
    assert "W2_new = [    -7      3  -14.5 ]" in result.stdout


@pytest.mark.parametrize("fmt,needle", [("text", "= (-30) · 1 = -30"), ("markdown", "`dC/dW1[1,1] = "),
                                        ("latex", r"\frac{\partial C}")])
def test_explain_only(fmt, needle):
    result = run("explain", "--example", "A1", "--only", "dC/dW1[1,1]", "--format", fmt)
    assert result.returncode == 0, result.stderr
    assert needle in result.stdout
    assert "dC/dW2" not in result.stdout


def test_explain_file_and_random(tmp_path):
    toml = run("explain", "--example", "A1", "--show-problem").stdout
    path = tmp_path / "mine.toml"
    path.write_text(toml.replace("x = [1, 2]", "x = [2, 1]"))
    result = run("explain", path)
    assert result.returncode == 0, result.stderr
    assert "z1[1] = 2·2 + 1·1 = 5" in result.stdout
    assert run("explain", "--random", "2-2-1", "--seed", "3").returncode == 0


def test_explain_errors():
    assert_user_error(run("explain", "--example", "A1", "--only", "dC/dQ"), "no quantity")
    assert_user_error(run("explain", "--example", "Z9"), "no example")
    assert run("explain").returncode == 2


def test_conv_commands():
    result = run("conv", "--input", "10x12", "--kernel", "6", "--stride", "2", "--padding", "2")
    assert result.returncode == 0 and "output: 5x6x1" in result.stdout
    result = run("conv", "--input", "32x32", "--padding", "2", "--output", "32x32", "--solve", "kernel")
    assert result.stdout.strip().endswith("kernel = 5")
    result = run("conv", "--input", "28x28", "--kernel", "6", "--stride", "2", "--padding", "2", "--filters", "4",
                 "--kernel", "3", "--stride", "1", "--padding", "0", "--filters", "3")
    assert "output: 14x14x4" in result.stdout and "output: 12x12x3" in result.stdout
    assert "252 weights + 7 biases" in result.stdout
    result = run("conv", "--image", "1 2; 3 4", "--filter", "1 1; 1 1")
    assert "out[1,1] = 1·1 + 2·1 + 3·1 + 4·1 = 10" in result.stdout
    assert "learned" in run("conv", "--hyperparameters").stdout


def test_conv_impossible_settings():
    assert_user_error(run("conv", "--input", "10", "--kernel", "5", "--stride", "2"), "is not an integer")
    assert_user_error(run("conv", "--input", "3", "--kernel", "7"), "larger than the padded input")


def test_verify_a7():
    result = run("verify", "--example", "A7")
    assert result.returncode == 0, result.stderr
    assert "PASS" in result.stdout


def test_verify_reports_counterexamples(tmp_path):
    path = tmp_path / "naive.toml"
    path.write_text("[[layer]]\nW = [[1,-1,0,0,0],[0,1,-1,0,0],[0,0,1,-1,0],[0,0,0,1,-1]]\n"
                    "b = [0, 0, 0, 0]\n[[layer]]\nW = [[1, 1, 1, 1]]\nb = [-3.5]\n")
    result = run("verify", path, "--random", "50")
    assert result.returncode == 1
    assert "FAIL" in result.stdout and "counterexample" in result.stdout
