"""The command line, through the installed console script."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
# The console script installed beside this interpreter (a virtualenv's bin/), else on PATH.
_BESIDE = Path(sys.executable).parent / "chainrule"
CLI = str(_BESIDE) if _BESIDE.exists() else shutil.which("chainrule")

pytestmark = pytest.mark.skipif(CLI is None, reason="the chainrule console script is not installed")


def run(*args, cwd=None):
    return subprocess.run([CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_help_lists_commands_with_examples():
    result = run("--help")
    assert result.returncode == 0
    for command in ("train", "summary", "models"):
        assert command in result.stdout
    assert "Examples" in run("train", "--help").stdout


def test_summary_of_c2_shows_the_parameter_counts():
    result = run("summary", "c2")
    assert result.returncode == 0
    assert "288,100" in result.stdout and "Total params: 289,630" in result.stdout


@pytest.mark.parametrize("args, message", [
    (("summary", "resnet"), "unknown architecture 'resnet'"),
    (("summary", "c2", "--input", "1x28"), "channels x height x width"),
    (("summary", "c2", "--input", "1x3x3"), "kernel 5x5 is larger than the padded input 3x3"),
    (("train", "--data", "cifar"), "Invalid value for '--data'"),
])
def test_user_mistakes_exit_non_zero_with_one_line_and_no_traceback(args, message):
    result = run(*args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not (SHARED / "mnist").is_dir(), reason="../shared/data/mnist is not present")
def test_train_writes_a_report(tmp_path):
    out = tmp_path / "run"
    result = run("train", "--data-dir", str(SHARED / "mnist"), "--limit", "1000", "--epochs", "1",
                 "--eval-every", "5", "--out", str(out))
    assert result.returncode == 0, result.stderr
    for name in ("report.md", "curves.png", "metrics.json", "history.json", "model.npz"):
        assert (out / name).is_file(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["iterations"] == 10 and metrics["train_images"] == 1000
    assert 0.5 < metrics["test_accuracy"] <= 1.0
    assert "## Learning curves" in (out / "report.md").read_text()
