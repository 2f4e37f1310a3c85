"""PyTorch scripts run unchanged on chainrule (``chainrule run-torch``): the three course-style
scripts of examples/torch_dropin/ run on torch and on chainrule, and their losses per epoch
are compared.

The custom-module script has no randomness, so the two engines must agree to float32
precision. The other two draw their initial weights and batch order from each engine's own
generator (chainrule's numbers are NumPy's, not PyTorch's), so they are compared as two runs of
one experiment with different seeds: every epoch's loss within 15% of torch's, and falling.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "torch_dropin"
DATA = ROOT.parent / "shared" / "data" / "fashion-mnist"
EPOCH = re.compile(r"^epoch (\d+) loss ([\d.]+)", re.MULTILINE)


def _run(engine: str, script: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    if engine == "torch":
        command = [sys.executable, str(EXAMPLES / script), *args]
    else:
        command = [sys.executable, "-c", "from chainrule.cli import main; main()", "run-torch", str(EXAMPLES / script), *args]
    env = {**os.environ, "FASHION_MNIST": str(DATA), "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    if check:
        assert result.returncode == 0, f"{engine} {script}:\n{result.stderr[-3000:]}"
    return result


def _losses(output: str) -> list[float]:
    return [float(loss) for _, loss in EPOCH.findall(output)]


def test_custom_module_gives_the_same_numbers():
    theirs = _losses(_run("torch", "custom_module.py").stdout)
    ours = _losses(_run("chainrule", "custom_module.py").stdout)
    assert len(ours) == len(theirs) == 10
    assert ours == pytest.approx(theirs, rel=1e-5, abs=2e-6)  # the printed 6 decimals
    assert ours[-1] < ours[0]


@pytest.mark.skipif(not DATA.is_dir(), reason="Fashion-MNIST is not in ../shared/data")
@pytest.mark.parametrize("script,args", [
    ("mlp_dataloader.py", ("--limit", "3000", "--epochs", "2")),
    ("cnn.py", ("--limit", "640", "--epochs", "2")),
])
def test_course_scripts_train_alike(script, args):
    theirs = _losses(_run("torch", script, *args).stdout)
    ours = _losses(_run("chainrule", script, *args).stdout)
    assert len(ours) == len(theirs) == 2
    assert ours == pytest.approx(theirs, rel=0.15)
    assert ours[1] < ours[0] and theirs[1] < theirs[0]


def test_a_failing_script_shows_its_own_traceback(tmp_path):
    script = tmp_path / "broken.py"
    script.write_text("import torch\nx = torch.ones(2, 3)\ny = x @ torch.ones(4, 5)\n")
    result = _run("chainrule", str(script), check=False)
    assert result.returncode == 1
    assert f'File "{script}", line 3' in result.stderr and "ShapeError" in result.stderr
    assert "click" not in result.stderr  # the launcher's frames are left out


def test_cuda_in_a_script_names_the_torch_backend(tmp_path):
    script = tmp_path / "gpu.py"
    script.write_text("import torch\nimport torch.nn as nn\nprint(torch.cuda.is_available())\nnn.Linear(2, 2).cuda()\n")
    result = _run("chainrule", str(script), check=False)
    assert result.returncode == 1 and result.stdout == "False\n"
    assert "PyTorch backend" in result.stderr


def test_alias_torch_maps_the_submodules():
    code = ("from chainrule.dropin import alias_torch; alias_torch(); import torch, torch.nn.functional as F; "
            "from torch.utils.data import DataLoader; import torch.optim.lr_scheduler as s; "
            "print(torch.__name__, F.__name__, DataLoader.__module__, s.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["chainrule", "chainrule.nn.functional", "chainrule.utils.data.dataloader", "chainrule.optim.lr_scheduler"]
