"""Every registered lab runs in quick mode and writes a complete report: one section per
question of the exercise, in order; metrics.json holds every number the answers cite, each
shown in report.md as recorded; per-step D1-D4 figures and the comparison plots exist."""

import json
import math
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from chainrule.cli import main
from chainrule.labs import get_lab, labs, list_labs, run_lab

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
DATASET_DIR = {"mnist": SHARED / "mnist", "fashion-mnist": SHARED / "fashion-mnist"}


def _needs(lab):
    folder = DATASET_DIR[lab.dataset]
    if not folder.is_dir():
        pytest.skip(f"{folder} is not present")
    return folder


@pytest.mark.parametrize("lab_id", list(labs()))
def test_quick_run_writes_a_complete_report(lab_id, tmp_path):
    lab = get_lab(lab_id)
    data_dir = _needs(lab)
    report = run_lab(lab_id, quick=True, seed=0, out=tmp_path, data_dir=data_dir, log=lambda *a: None)
    text = report.read_text()
    metrics = json.loads((tmp_path / "metrics.json").read_text())

    # each question of the exercise, in order, with an answer
    positions = []
    for i, question in enumerate(lab.questions, 1):
        heading = f"## Q{i}. {question.title}\n"
        assert heading in text, heading
        positions.append(text.index(heading))
    assert positions == sorted(positions)
    sections = text.split("\n## Q")[1:]
    assert all(len(s.split("\n", 1)[1].strip()) > 20 for s in sections)
    assert metrics["questions"] == [q.title for q in lab.questions]

    # every cited number is in metrics.json and shown in the report as recorded
    assert metrics["cited"] and set(metrics["cited"]) == set(metrics["answers"])
    for key, shown in metrics["cited"].items():
        assert shown in text, f"{key} = {shown} not in report.md"
        value = metrics["answers"][key]
        if isinstance(value, float):
            assert math.isfinite(value), key

    # every step trained, with its D1-D4 report, and every comparison plot
    assert metrics["mode"] == "quick" and set(metrics["steps"]) == {s.name for s in lab.steps}
    for step in lab.steps:
        m = metrics["steps"][step.name]
        assert m["iterations"] > 0 and 0 <= m["test_accuracy"] <= 1
        assert m["test_accuracy"] > 0.05 or step.name.endswith("zero")
        for name in ("report.md", "curves.png", "predictions.png", "confusion.png", "metrics.json"):
            assert (tmp_path / step.name / name).is_file(), (step.name, name)
        step_report = (tmp_path / step.name / "report.md").read_text()
        assert "## Judgement" in step_report and "## Model" in step_report
    for comparison in lab.comparisons:
        assert (tmp_path / f"{comparison.name}.png").stat().st_size > 1000
    if lab_id == "C3":  # the NaN is caught by the trainer, shown in the report, and cured
        assert metrics["answers"]["nan_caught"] is True and metrics["answers"]["cure_all_finite"] is True
        assert metrics["steps"]["nan_softmax_log"]["stopped_at_iteration"] == metrics["answers"]["nan_iteration"]
        assert "NonFiniteError" in text and re.search(r"log of \d+ exact zero", text)
        assert metrics["answers"]["zero_init_distinct_units"] == 1
        assert metrics["answers"]["iterations_per_epoch"] == 20 and metrics["answers"]["single_parameters"] == 7850
    if lab_id == "C4":
        assert metrics["answers"]["flattened_units"] == 588 and metrics["answers"]["summary_matches_exercise"]
    if lab_id == "C2":
        assert metrics["answers"]["cnn_parameters"] == 289_630 and metrics["answers"]["summary_matches_exercise"]


@pytest.mark.slow  # the quick C3 run above already checks this through its metrics
def test_c3_catches_the_nan_and_cures_it(tmp_path):
    lab = get_lab("C3")
    data_dir = _needs(lab)
    from chainrule.labs import framework

    data = framework.load_data(lab, True, data_dir)
    steps = {s.name: s for s in lab.steps}
    bad = framework.run_step(lab, steps["nan_softmax_log"], data, True, 0, tmp_path, log=lambda *a: None)
    assert bad.error is not None and bad.error.kind == "loss" and "exact zero" in str(bad.error)
    assert bad.iterations == bad.error.iteration - 1
    good = framework.run_step(lab, steps["nan_cured_logits"], data, True, 0, tmp_path, log=lambda *a: None)
    assert good.error is None and good.iterations == steps["nan_cured_logits"].quick_iterations
    assert all(math.isfinite(v) for v in good.history.train_loss)


def test_same_seed_same_numbers(tmp_path):
    lab = get_lab("C5")
    data_dir = _needs(lab)
    a = run_lab("C5", quick=True, seed=3, out=tmp_path / "a", data_dir=data_dir, log=lambda *x: None)
    b = run_lab("C5", quick=True, seed=3, out=tmp_path / "b", data_dir=data_dir, log=lambda *x: None)
    ma, mb = (json.loads((p.parent / "metrics.json").read_text()) for p in (a, b))
    assert ma["answers"] == mb["answers"]


def test_registry_lists_every_lab():
    rows = list_labs()
    assert [r["id"] for r in rows] == ["B1", "B2", "C2", "C3", "C4", "C5", "C6"]
    assert all(r["title"] and r["trains"] and r["expected"] and r["steps"] >= 1 for r in rows)
    with pytest.raises(ValueError, match="unknown lab"):
        get_lab("Z9")
    assert get_lab("c3").id == "C3"


def test_cli_lab_list_and_errors():
    runner = CliRunner()
    result = runner.invoke(main, ["lab", "list"])
    assert result.exit_code == 0
    for lab_id in ("B1", "B2", "C2", "C3", "C4", "C5", "C6"):
        assert f"\n{lab_id} " in "\n" + result.output
    result = runner.invoke(main, ["lab", "run", "Z9", "--quick"])
    assert result.exit_code == 1 and "Error: unknown lab 'Z9'" in result.output


def test_cli_lab_run_quick(tmp_path):
    lab = get_lab("C5")
    data_dir = _needs(lab)
    result = CliRunner().invoke(main, ["lab", "run", "C5", "--quick", "--seed", "1", "--out", str(tmp_path),
                                       "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report.md").is_file()
    assert json.loads((tmp_path / "metrics.json").read_text())["seed"] == 1


def test_quick_run_on_both_backends_puts_them_side_by_side(tmp_path):
    pytest.importorskip("torch")
    lab = get_lab("C5")
    data_dir = _needs(lab)
    report = run_lab("C5", quick=True, seed=0, out=tmp_path, data_dir=data_dir, log=lambda *a: None,
                     backend="both", device="cpu")
    text = report.read_text()
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["backend"] == "both" and set(metrics["torch_steps"]) == {"mlp"}
    ours, theirs = metrics["steps"]["mlp"], metrics["torch_steps"]["mlp"]
    assert ours["backend"] == "chainrule" and theirs["backend"] == "torch"
    assert ours["iterations"] == theirs["iterations"] == lab.steps[0].quick_iterations
    assert abs(ours["test_accuracy"] - theirs["test_accuracy"]) < 0.02
    assert "The same lab on chainrule and on PyTorch" in text and "backends.png" in text
    assert (tmp_path / "backends.png").stat().st_size > 1000
    assert "| backend | torch (cpu) |" in (tmp_path / "mlp-torch" / "report.md").read_text()
    # same seeded weights, same batches: the first iteration's loss agrees to float32 rounding
    first = [json.loads((tmp_path / d / "history.json").read_text())["train_loss"][0] for d in ("mlp", "mlp-torch")]
    assert first[0] == pytest.approx(first[1], rel=1e-5)


def test_a_backend_the_lab_cannot_use_is_refused_before_training():
    from chainrule.labs import framework

    lab = get_lab("C5")
    custom = framework.Lab("X1", "x", "x", "x", "mnist", [framework.Step("s", "s", lab.steps[0].model,
                                                                         loss=lambda out, target: out.sum())], [])
    framework.check_backend(custom, "chainrule")
    if pytest.importorskip("torch"):
        with pytest.raises(ValueError, match="step.s. s use a hand-written loss function"):
            framework.check_backend(custom, "both")
    with pytest.raises(ValueError, match="unknown backend"):
        framework.check_backend(lab, "jax")
    result = CliRunner().invoke(main, ["lab", "run", "C5", "--backend", "jax"])
    assert result.exit_code == 2 and "'jax' is not one of" in result.output


def test_lab_on_torch_without_torch_says_what_to_install(monkeypatch):
    from chainrule.backends import torch_backend as tb

    real = tb.importlib.import_module
    monkeypatch.setattr(tb.importlib, "import_module",
                        lambda name, *a, **k: (_ for _ in ()).throw(ModuleNotFoundError("no torch"))
                        if name == "torch" else real(name, *a, **k))
    result = CliRunner().invoke(main, ["lab", "run", "C5", "--quick", "--backend", "torch"])
    assert result.exit_code == 1 and "pip install 'chainrule[torch]'" in result.output
    assert "Traceback" not in result.output
