"""``chainrule parity`` and ``chainrule train --backend torch``."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("torch")

from chainrule.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MNIST = ROOT.parent / "shared" / "data" / "mnist"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("name", ["c2", "c6"])
def test_parity_passes(name):
    result = invoke("parity", name, "--batch-size", "4", "--steps", "2")
    assert result.exit_code == 0, result.output
    assert "OK: chainrule and PyTorch agree" in result.output
    if name == "c6":
        assert "p = 0" in result.output  # says how dropout is handled


def test_parity_fails_on_a_mismatch():
    result = invoke("parity", "c2", "--batch-size", "4", "--steps", "1", "--perturb", "1e-3")
    assert result.exit_code == 1
    assert "FAIL" in result.output


def test_parity_of_a_spec_file(tmp_path):
    spec = tmp_path / "net.toml"
    spec.write_text('input = [1, 8, 8]\n[[layers]]\ntype = "Conv2d"\nout_channels = 3\nkernel_size = 3\n'
                    '[[layers]]\ntype = "Tanh"\n[[layers]]\ntype = "AvgPool2d"\nkernel_size = 2\n'
                    '[[layers]]\ntype = "BatchNorm2d"\n[[layers]]\ntype = "Flatten"\n'
                    '[[layers]]\ntype = "Linear"\nout_features = 10\n')
    result = invoke("parity", spec, "--all")
    assert result.exit_code == 0, result.output
    assert "input 1x8x8" in result.output


@pytest.mark.skipif(not MNIST.is_dir(), reason="../shared/data/mnist is not present")
def test_train_with_the_torch_backend_writes_a_report(tmp_path):
    out = tmp_path / "run"
    result = invoke("train", "--model", "mlp", "--backend", "torch", "--device", "cpu", "--limit", "500",
                    "--iterations", "5", "--data-dir", MNIST, "--out", out)
    assert result.exit_code == 0, result.output
    assert (out / "report.md").is_file() and (out / "model.npz").is_file()
    assert "| backend | torch (cpu) |" in (out / "report.md").read_text()
    history = json.loads((out / "history.json").read_text())
    assert history["iteration"] == [1, 2, 3, 4, 5]
    assert (out / "metrics.jsonl").is_file()


@pytest.mark.parametrize("lab_id", ["B1", "B2", "C2", "C3", "C4", "C5", "C6"])
def test_parity_of_every_lab_architecture(lab_id):
    from chainrule.labs import get_lab
    from chainrule.labs.framework import architectures

    result = invoke("parity", lab_id, "--batch-size", "4", "--steps", "2")
    assert result.exit_code == 0, result.output
    found = architectures(get_lab(lab_id))
    assert f"parity of lab {lab_id}: {len(found)} distinct network(s)" in result.output
    assert result.output.count("  OK  ") == len(found)
    named = {name for names, _, _ in found for name in names}
    assert named == {step.name for step in get_lab(lab_id).steps}  # every step's network is covered


def test_lab_parity_fails_and_shows_the_table_on_a_mismatch():
    result = invoke("parity", "C3", "--batch-size", "4", "--steps", "1", "--perturb", "1e-2")
    assert result.exit_code == 1
    assert "FAIL" in result.output and "max |abs diff|" in result.output
