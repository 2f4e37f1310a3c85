"""The command line, through the installed console script."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
MNIST = SHARED / "mnist"
EXAMPLES = ROOT / "examples"
# The console script installed beside this interpreter (a virtualenv's bin/), else on PATH.
_BESIDE = Path(sys.executable).parent / "chainrule"
CLI = str(_BESIDE) if _BESIDE.exists() else shutil.which("chainrule")

pytestmark = pytest.mark.skipif(CLI is None, reason="the chainrule console script is not installed")
needs_mnist = pytest.mark.skipif(not MNIST.is_dir(), reason="../shared/data/mnist is not present")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """An empty user cache, so no test reads or fills the real one."""
    return tmp_path_factory.mktemp("cache")


def run(*args, cwd=None, cache_dir=None, env=None):
    environment = {k: v for k, v in os.environ.items() if k != "CHAINRULE_DATA"}
    if cache_dir is not None:
        environment["XDG_CACHE_HOME"] = str(cache_dir)
    environment.update(env or {})
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300,
                          env=environment)


def assert_user_error(result, message, code=1):
    """A non-zero exit with one ``Error: ...`` line holding ``message``, and no traceback."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    assert message in errors[0], result.stderr


# ------------------------------------------------------------------ help
def test_help_lists_commands_with_examples():
    result = run("--help")
    assert result.returncode == 0
    for command in ("train", "summary", "models", "evaluate", "predict", "data"):
        assert command in result.stdout


@pytest.mark.parametrize("command", [
    ("train",), ("summary",), ("models",), ("evaluate",), ("predict",), ("data",), ("data", "list"),
    ("data", "fetch"),
])
def test_every_command_has_help_with_examples(command):
    result = run(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Examples:" in result.stdout and "chainrule " + command[0] in result.stdout


def test_predict_help_says_how_images_are_read():
    text = " ".join(run("predict", "--help").stdout.split())
    assert "28x28" in text and "inverted" in text and "wrong sizes are refused" in text


# --------------------------------------------------------------- summary
def test_summary_of_c2_shows_the_parameter_counts():
    result = run("summary", "c2")
    assert result.returncode == 0
    assert "288,100" in result.stdout and "Total params: 289,630" in result.stdout


def test_summary_of_a_spec_equal_to_c2_is_the_same_table():
    named, spec = run("summary", "c2"), run("summary", EXAMPLES / "c2.toml")
    assert spec.returncode == 0, spec.stderr
    assert spec.stdout == named.stdout


def test_models_lists_names_and_layer_types():
    assert "c2 " in run("models").stdout
    layers = run("models", "--layers").stdout
    assert re.search(r"^Conv2d\s+\[in_channels\], out_channels, kernel_size", layers, re.M)


# --------------------------------------------------------- user mistakes
BAD_SPEC = 'input = [1, 28, 28]\n\n[[layers]]\ntype = "Conv2d"\nout_channels = 4\nkernel_size = 5\n\n'


@pytest.mark.parametrize("args, message, code", [
    (("summary", "resnet"), "unknown architecture 'resnet'", 1),
    (("summary", "c2", "--input", "1x28"), "channels x height x width", 2),
    (("summary", "c2", "--input", "1x3x3"), "kernel 5x5 is larger than the padded input 3x3", 1),
    (("summary", "c6", "--input", "1x8x8"), "architecture 'c6' cannot take inputs of shape [1, 8, 8]", 1),
    (("summary", "missing.toml"), "missing.toml: no such spec file", 1),
    (("train", "--data", "cifar"), "Invalid value for '--data'", 2),
    (("train", "--model", "resnet"), "unknown architecture 'resnet'", 1),
    (("train", "--epochs", "1", "--iterations", "5"), "--epochs and --iterations are mutually exclusive", 2),
    (("train", "--schedule", "step:100"), "expected step:SIZE:GAMMA", 2),
    (("train", "--schedule", "warm:3"), "use none, step:SIZE:GAMMA", 2),
    (("train", "--schedule", "decay:0:0.1"), "TAU must be positive", 2),
    (("evaluate", "nowhere.npz", "--model", "c2"), "'nowhere.npz' does not exist", 2),
    (("predict", "nowhere.npz", "--index", "0"), "'nowhere.npz' does not exist", 2),
    (("data", "fetch", "cifar", "--offline"), "unknown dataset 'cifar'", 1),
])
def test_user_mistakes_exit_non_zero_with_one_line_and_no_traceback(args, message, code, cache):
    assert_user_error(run(*args, cache_dir=cache), message, code)


@pytest.mark.parametrize("tail, message", [
    ('[[layers]]\ntype = "Relu"\n', ":9: layers[1]: unknown layer type 'Relu' (did you mean 'ReLU'?); valid types:"),
    ('[[layers]]\ntype = "MaxPool2d"\nkernel_size = 2\nstrides = 2\n',
     ":11: layers[1] (MaxPool2d): unknown field 'strides' (did you mean 'stride'?); MaxPool2d takes: "
     "kernel_size, stride, padding"),
    ('[[layers]]\ntype = "Conv2d"\nout_channels = 8\nkernel_size = 25\n',
     ":8: layers[1] (Conv2d): input [4, 24, 24]: conv2d: kernel 25x25 is larger than the padded input 24x24"),
    ('[[layers]]\ntype = "Dropout"\np = "0.5"\n', ':10: layers[1] (Dropout): p must be a number, got "0.5" (a string)'),
    ('[[layers]]\ntype = "Flatten"\n[[layers]]\ntype = "Linear"\nout_features = 5\n',
     ":10: layers[2] (Linear): the model's output is [5] per sample, but the data has 10 classes"),
])
def test_spec_mistakes_name_the_file_line_and_layer(tmp_path, tail, message):
    path = tmp_path / "net.toml"
    path.write_text(BAD_SPEC + tail)
    assert_user_error(run("summary", path, "--classes", "10"), f"{path}{message}")


@needs_mnist
def test_spec_mistakes_are_reported_before_training(tmp_path):
    path = tmp_path / "net.toml"
    path.write_text(BAD_SPEC + '[[layers]]\ntype = "Linear"\nout_features = 10\n')
    result = run("train", "--model", path, "--data-dir", MNIST, "--limit", 100, "--out", tmp_path / "run")
    assert_user_error(result, f"{path}:8: layers[1] (Linear): its input is [4, 24, 24]; add a Flatten layer")
    assert not (tmp_path / "run").exists()


# ------------------------------------------------------------------ train
@needs_mnist
def test_train_writes_a_report(tmp_path):
    out = tmp_path / "run"
    result = run("train", "--data-dir", MNIST, "--limit", "1000", "--epochs", "1", "--eval-every", "5",
                 "--out", out)
    assert result.returncode == 0, result.stderr
    for name in ("report.md", "curves.png", "metrics.json", "history.json", "model.npz", "run.json"):
        assert (out / name).is_file(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["iterations"] == 10 and metrics["train_images"] == 1000
    assert 0.5 < metrics["test_accuracy"] <= 1.0
    assert "## Learning curves" in (out / "report.md").read_text()
    assert json.loads((out / "run.json").read_text())["model"] == "mlp"


def test_train_a_spec_for_iterations_with_a_schedule_then_evaluate_it(tmp_path):
    if not MNIST.is_dir():
        pytest.skip("../shared/data/mnist is not present")
    out = tmp_path / "run"
    result = run("train", "--model", EXAMPLES / "mlp.toml", "--data-dir", MNIST, "--limit", 3000,
                 "--iterations", 30, "--schedule", "decay:10:0.0001", "--lr", 0.003, "--weight-decay", 1e-4,
                 "--eval-every", 0, "--out", out)
    assert result.returncode == 0, result.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["iterations"] == 30 and metrics["train_images"] == 3000
    assert metrics["test_accuracy"] > 0.7
    history = json.loads((out / "history.json").read_text())
    expected = [0.0001 + (0.003 - 0.0001) * np.exp(-t / 10) for t in range(30)]
    np.testing.assert_allclose(history["lr"], expected, rtol=1e-12)
    run_file = json.loads((out / "run.json").read_text())
    assert run_file["model"] == "model.toml" and run_file["data"] == "mnist"
    assert run_file["settings"]["schedule"] == "decay:10:0.0001" and run_file["settings"]["iterations"] == 30
    assert run_file["settings"]["weight decay"] == 1e-4
    assert (out / "model.toml").read_text() == (EXAMPLES / "mlp.toml").read_text()
    assert "schedule | decay:10:0.0001" in (out / "report.md").read_text()
    # evaluate finds the model (the spec copied into the run folder) and the data in run.json
    result = run("evaluate", out / "model.npz", "--data-dir", MNIST, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["model"] == "mlp-spec" and report["images"] == 10000
    assert report["accuracy"] == pytest.approx(metrics["test_accuracy"])
    assert report["loss"] == pytest.approx(metrics["test_loss"], rel=1e-5)


# --------------------------------------------------------------- evaluate
@pytest.fixture(scope="module")
def test_set():
    if not MNIST.is_dir():
        pytest.skip("../shared/data/mnist is not present")
    from chainrule.data import load

    return load("mnist", "test", data_dir=MNIST)


@pytest.fixture(scope="module")
def c2_weights(tmp_path_factory):
    """Seeded, untrained C2 weights saved by the library, and the network itself."""
    import chainrule as cr
    from chainrule import models
    from chainrule.serialization import save

    cr.manual_seed(3)
    network = models.build("c2")
    return save(network.state_dict(), tmp_path_factory.mktemp("weights") / "c2.npz"), network


def _library_evaluation(network, test_set, n=500):
    from chainrule import nn
    from chainrule.training import evaluate

    return evaluate(network, nn.CrossEntropyLoss(), test_set.x[:n], test_set.y[:n])


@pytest.fixture(scope="module")
def mlp_weights(tmp_path_factory, test_set):
    """The MLP trained by the library for 50 iterations, saved as model.npz."""
    import chainrule as cr
    from chainrule import models, nn, optim
    from chainrule.data import DataLoader, load
    from chainrule.serialization import save
    from chainrule.training import fit

    train = load("mnist", "train", data_dir=MNIST)
    cr.manual_seed(0)
    network = models.build("mlp")
    loader = DataLoader(train.x[:5000], train.y[:5000], batch_size=100, shuffle=True, seed=0)
    fit(network, nn.CrossEntropyLoss(), optim.Adam(network.parameters(), lr=0.003), loader, iterations=50)
    return save(network.state_dict(), tmp_path_factory.mktemp("weights") / "model.npz")


def test_evaluate_saved_weights_agrees_with_the_library(c2_weights, test_set):
    path, network = c2_weights
    loss, acc = _library_evaluation(network, test_set)
    result = run("evaluate", path, "--model", "c2", "--data-dir", MNIST, "--limit", 500)
    assert result.returncode == 0, result.stderr
    assert f"c2 on the mnist test set (500 images): loss {loss:.4f}, accuracy {acc:.4f}" in result.stdout
    rows = [line.split() for line in result.stdout.splitlines()[2:]]
    counts = np.bincount(test_set.y[:500], minlength=10)
    assert [int(r[0]) for r in rows] == list(range(10)) and [int(r[2]) for r in rows] == counts.tolist()


def test_evaluate_as_json_with_a_spec_of_the_same_architecture(c2_weights, test_set):
    path, network = c2_weights
    loss, acc = _library_evaluation(network, test_set)
    result = run("evaluate", path, "--model", EXAMPLES / "c2.toml", "--data-dir", MNIST, "--limit", 500,
                 "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["model"] == "c2-spec" and report["images"] == 500
    assert report["loss"] == pytest.approx(loss, rel=1e-5) and report["accuracy"] == pytest.approx(acc)
    for entry in report["per_class"]:
        assert entry["images"] == int(np.sum(test_set.y[:500] == entry["label"]))


@needs_mnist
def test_evaluate_refuses_weights_of_another_model_and_corrupt_files(c2_weights, tmp_path):
    path = c2_weights[0]
    result = run("evaluate", path, "--model", "mlp", "--data-dir", MNIST, "--limit", 10)
    assert_user_error(result, f"{path}: these weights do not fit the model 'mlp': ")
    corrupt = tmp_path / "model.npz"
    corrupt.write_bytes(path.read_bytes()[:1000])
    assert_user_error(run("evaluate", corrupt, "--model", "c2", "--data-dir", MNIST, "--limit", 10),
                      f"{corrupt}: not a readable")
    assert_user_error(run("evaluate", corrupt), "which model are the weights for? Give --model NAME|SPEC", 2)


# ---------------------------------------------------------------- predict
def _save_png(path, pixels):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.imsave(path, pixels, cmap="gray", vmin=0, vmax=1)
    return path


def _rows(stdout):
    return [line.split() for line in stdout.splitlines()[1:]]


def test_predict_pngs_and_test_indices_agree(mlp_weights, test_set, tmp_path):
    dark = _save_png(tmp_path / "dark.png", test_set.x[0, 0])  # as MNIST: a light digit on black
    light = _save_png(tmp_path / "light.png", 1 - test_set.x[0, 0])  # a dark digit on white paper
    by_index = run("predict", mlp_weights, "--model", "mlp", "--index", "0", "--data-dir", MNIST)
    by_file = run("predict", mlp_weights, "--model", "mlp", dark, light)
    assert by_index.returncode == 0 and by_file.returncode == 0, by_index.stderr + by_file.stderr
    assert by_index.stdout.splitlines()[0].split() == ["image", "label", "class", "probability", "true"]
    index_row, (dark_row, light_row) = _rows(by_index.stdout)[0], _rows(by_file.stdout)
    assert index_row[0] == "test[0]" and index_row[4] == str(test_set.y[0]) == index_row[1]
    assert float(index_row[3]) > 0.5
    assert dark_row[0] == str(dark) and light_row[0] == str(light)
    assert dark_row[1] == light_row[1] == index_row[1]
    assert float(dark_row[3]) == pytest.approx(float(index_row[3]), abs=0.02)
    assert "inverted" not in by_file.stdout.splitlines()[1]
    assert by_file.stdout.splitlines()[2].endswith("(inverted: light background)")


@needs_mnist
def test_predict_several_indices_with_top_k(c2_weights):
    result = run("predict", c2_weights[0], "--model", "c2", "--index", "0-2,7", "--index", "9",
                 "--data-dir", MNIST, "--top", 3)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split() == ["image", "label", "class", "probability", "next", "2", "true"]
    rows = _rows(result.stdout)
    assert [r[0] for r in rows] == ["test[0]", "test[1]", "test[2]", "test[7]", "test[9]"]
    probabilities = [float(r[3]) for r in rows]
    assert all(0.1 <= p <= 1 for p in probabilities)  # the best of 10 classes


def test_predict_refuses_a_png_of_the_wrong_size_naming_it(tmp_path, c2_weights):
    image = _save_png(tmp_path / "big.png", np.zeros((32, 30)))
    result = run("predict", c2_weights[0], "--model", "c2", image)
    assert_user_error(result, f"{image}: the image is 30x32 pixels, but the model takes 28x28 images")
    not_image = tmp_path / "note.png"
    not_image.write_text("hello")
    assert_user_error(run("predict", c2_weights[0], "--model", "c2", not_image), f"{not_image}: not a readable image")


@pytest.mark.parametrize("args, message", [
    ((), "give IMAGES (PNG files) or --index N"),
    (("--index", "0", "x.png"), "give either IMAGES or --index N, not both"),
    (("--index", "7-3"), "Invalid value for '--index': '7-3'"),
])
def test_predict_usage_mistakes(c2_weights, tmp_path, args, message):
    (tmp_path / "x.png").write_bytes(b"")
    assert_user_error(run("predict", c2_weights[0], "--model", "c2", *args, cwd=tmp_path), message, 2)


@needs_mnist
def test_predict_index_out_of_range(c2_weights):
    result = run("predict", c2_weights[0], "--model", "c2", "--index", 10000, "--data-dir", MNIST)
    assert_user_error(result, "index 10000 is out of range: the mnist test set has images 0 to 9999")


# ------------------------------------------------------------------- data
@needs_mnist
def test_data_list_shows_where_each_dataset_is(cache):
    result = run("data", "list", "--data-dir", SHARED, cache_dir=cache)
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert set(lines) >= {"mnist", "fashion-mnist", "digits", "spirals", "xor"}
    assert f"{MNIST} (--data-dir)" in lines["mnist"]
    assert "generated on demand" in lines["spirals"]


def test_data_list_says_how_to_get_a_missing_dataset(tmp_path):
    if Path("/usr/share/datasets/mnist").is_dir():
        pytest.skip("MNIST is installed system-wide here")
    result = run("data", "list", "--data-dir", tmp_path / "nothing", cache_dir=tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    mnist = next(line for line in result.stdout.splitlines() if line.startswith("mnist "))
    assert f"not found: `chainrule data fetch mnist` puts it in {tmp_path / 'cache' / 'chainrule' / 'mnist'}" in mnist


@needs_mnist
def test_data_fetch_copies_into_the_cache_and_prints_where(tmp_path):
    result = run("data", "fetch", "mnist", "spirals", "--data-dir", MNIST, "--offline", cache_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    target = tmp_path / "chainrule" / "mnist"
    assert result.stdout.splitlines() == [f"mnist: {target}", "spirals: generated on demand, nothing to fetch"]
    assert len(list(target.glob("*-ubyte*"))) == 4
    listed = run("data", "list", cache_dir=tmp_path)
    assert f"{target} (cache)" in listed.stdout


@needs_mnist
@pytest.mark.parametrize("backend", [
    pytest.param((), id="chainrule"),
    # PyTorch's twin of the C6 CNN: dropout draws from torch's generator, BatchNorm has buffers
    pytest.param(("--backend", "torch", "--device", "cpu", "--model", "c6", "--optimizer", "adam", "--lr", "0.001",
                  "--schedule", "cosine:20"), id="torch")])
def test_resumed_run_ends_like_an_uninterrupted_one(tmp_path, backend):
    if backend:
        pytest.importorskip("torch")
    common = ("train", "--data-dir", str(MNIST), "--limit", "600", "--batch-size", "50",
              "--eval-every", "0", "--checkpoint-every", "5", "--seed", "4", *backend)
    whole, split = tmp_path / "whole", tmp_path / "split"
    assert run(*common, "--iterations", "20", "--out", str(whole)).returncode == 0
    assert run(*common, "--iterations", "10", "--out", str(split)).returncode == 0
    resumed = run(*common, "--iterations", "20", "--out", str(split), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert (whole / "metrics.csv").read_text() == (split / "metrics.csv").read_text()
    a = json.loads((whole / "metrics.json").read_text())
    b = json.loads((split / "metrics.json").read_text())
    assert a["test_loss"] == b["test_loss"] and a["test_accuracy"] == b["test_accuracy"]


@pytest.mark.parametrize("device", ["cuda", "cuda:7"])
def test_cuda_on_the_chainrule_engine_names_the_torch_backend(device, tmp_path):
    result = run("train", "--device", device, "--out", tmp_path / "run")
    assert_user_error(result, "--backend torch --device cuda")
    assert not (tmp_path / "run").exists()


def test_run_torch_help():
    result = run("run-torch", "--help")
    assert result.returncode == 0 and "import torch" in result.stdout


def test_run_folders_keep_their_runs(tmp_path):
    """A second run into a run's folder is refused; --resume with other settings is refused
    naming them; --resume of a finished run does nothing; --overwrite replaces the run."""
    common = ("train", "--data", "digits", "--epochs", "1", "--out", tmp_path / "run")
    assert run(*common).returncode == 0
    first = json.loads((tmp_path / "run" / "run.json").read_text())
    assert first["status"] == "finished" and first["identity"]["data checksum"]
    assert_user_error(run(*common), "give --resume to continue it, --overwrite to replace it")
    assert_user_error(run(*common, "--resume", "--lr", "0.01", "--seed", "3"),
                      "lr: 0.001 in the run, 0.01 now; seed: 0 in the run, 3 now")
    assert_user_error(run(*common, "--resume", "--limit", "500"), "data checksum:")
    done = run(*common, "--resume")
    assert done.returncode == 0 and "has finished" in done.stdout and "nothing to do" in done.stdout
    assert json.loads((tmp_path / "run" / "run.json").read_text())["id"] == first["id"]
    written = sorted(p.name for p in (tmp_path / "run").iterdir())
    (tmp_path / "run" / "epochs.png").write_bytes(b"an older run's figure")
    (tmp_path / "run" / "mine.txt").write_text("not the run's")
    assert run(*common, "--overwrite").returncode == 0
    assert json.loads((tmp_path / "run" / "run.json").read_text())["id"] != first["id"]
    assert not (tmp_path / "run" / "epochs.png").exists()  # an older run's output is not left beside the new run's
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == sorted(written + ["mine.txt"])
    assert_user_error(run("train", "--data", "digits", "--out", tmp_path / "empty", "--resume"), "no run to resume")
