"""The benchmark scripts run and report (smoke runs of a few batches; no timing is asserted)."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "benchmarks"
DATA = REPO.parent / "shared" / "data"

needs_data = pytest.mark.skipif(not (DATA / "mnist").is_dir(), reason=f"{DATA / 'mnist'} is not present")


def bench(script, *args):
    done = subprocess.run([sys.executable, str(BENCHMARKS / script), *args, "--data-dir", str(DATA)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


@needs_data
def test_run_reports_both_frameworks(tmp_path):
    out = tmp_path / "bench.json"
    bench("run.py", "--models", "M1", "--batches", "2", "--test-samples", "100", "--json", str(out))
    runs = json.loads(out.read_text())["runs"]
    assert {(r["model"], r["framework"]) for r in runs} == {("M1", "chainrule"), ("M1", "torch")}
    for r in runs:
        assert r["batches"] == 2 and r["seconds"] > 0 and r["test_samples"] == 100


@needs_data
def test_ops_lists_the_ops_of_a_step():
    text = bench("ops.py", "M1", "--batches", "2")
    assert "Linear forward [100, 784]" in text and "Sigmoid backward [100, 200]" in text
    assert text.splitlines()[-1].startswith("ops ")


@needs_data
def test_unfolding_times_both_ways_and_names_the_choice():
    done = subprocess.run([sys.executable, str(BENCHMARKS / "unfolding.py"), "--turns", "1",
                           "--layer", "4,8,6,4,3,1", "--layer", "2,40,4,8,3,1", "--layer", "24,32,14,64,3,1"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rows = [line.split() for line in done.stdout.splitlines()[2:]]
    assert [(r[0], r[-1]) for r in rows] == [("4,8,6,4,3,1", "patches"), ("2,40,4,8,3,1", "patches"),
                                             ("24,32,14,64,3,1", "rows")]  # the last word of "kernel rows"
    assert all(float(r[3]) > 0 and float(r[4]) > 0 for r in rows)


@pytest.mark.parametrize("layer", ["4,8,6", "4,8,6,4,3,2", "a,b,c,d,e,f"])
def test_unfolding_rejects_a_bad_layer(layer):
    done = subprocess.run([sys.executable, str(BENCHMARKS / "unfolding.py"), "--layer", layer],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and ("N,C,H,O,k,p" in done.stderr or "2p < k" in done.stderr)


def test_compare_alternates_a_revision_with_the_working_tree():
    text = bench("compare.py", "M1", "--steps", "4", "--base", "HEAD")
    assert "new/base (HEAD): paired median" in text
    assert [line.split()[0] for line in text.splitlines()[2:4]] == ["base", "new"]


@needs_data
def test_compare_takes_turns_with_pytorch():
    text = bench("compare.py", "M1", "--steps", "4", "--torch", "--block", "2", "--pause", "0")
    assert "in turns of 2 steps" in text and "new/base (PyTorch): paired median" in text


@pytest.mark.parametrize("args, message", [(["--torch", "--block", "0"], "--block must be at least 1"),
                                           (["--torch", "--base", "HEAD~1"], "leave out --base")])
def test_compare_rejects_bad_options(args, message):
    done = subprocess.run([sys.executable, str(BENCHMARKS / "compare.py"), "M1", *args],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and message in done.stderr


def test_compare_rejects_an_unknown_revision():
    done = subprocess.run([sys.executable, str(BENCHMARKS / "compare.py"), "M1", "--base", "no-such-revision"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "git archive no-such-revision failed" in done.stderr


def test_the_engine_imports_itself_only_relatively():
    """compare.py loads a second copy of the package under another name; an absolute
    ``import chainrule`` inside it would silently mix the two engines."""
    absolute = []
    for path in (REPO / "src" / "chainrule").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            absolute += [f"{path.relative_to(REPO)}:{node.lineno}" for name in names
                         if name.split(".")[0] == "chainrule"]
    assert absolute == []


def test_grading_times_a_class_of_mutants():
    done = subprocess.run([sys.executable, str(BENCHMARKS / "grading.py"), "--students", "4", "--jobs", "2"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "4 B1 submissions, 2 workers:" in done.stdout and "1 with full marks" in done.stdout
