"""The PyTorch backend: twins of every named architecture, weights both ways, the parity
check catching a mismatch, chainrule's Trainer on torch models (checkpoints included), the missing-torch message, CUDA."""

import importlib

import numpy as np
import pytest

import chainrule as cr
from chainrule import models, nn
from chainrule.backends import torch_backend as tb

torch = pytest.importorskip("torch")


def _batch(shape=(1, 28, 28), n=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, *shape)).astype(np.float32), rng.integers(0, 10, n)


# Every layer with its options (what a torch twin must carry over) and an input for it.
TWIN_LAYERS = [
    (lambda: nn.Conv2d(2, 4, 3, padding="same", dilation=2, groups=2), (2, 7, 7)),
    (lambda: nn.Conv1d(2, 3, 3, stride=2, padding=1), (2, 9)),
    (lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, output_padding=1), (2, 4, 4)),
    (lambda: nn.Sequential(nn.LayerNorm(5), nn.GELU("tanh"), nn.SiLU(), nn.Softplus(2.0, 1.0), nn.Hardtanh(-0.5, 0.5),
                           nn.ReLU6(), nn.Mish()), (5,)),
    (lambda: nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear"), nn.AdaptiveAvgPool2d((2, 3))), (2, 5, 5)),
    (lambda: nn.RNN(5, 3, nonlinearity="relu"), (4, 5)),
    (lambda: nn.LSTM(5, 4, 2, batch_first=True), (3, 5)),
    (lambda: nn.GRU(5, 3, bidirectional=True), (4, 5)),
]


@pytest.mark.parametrize("make,shape", TWIN_LAYERS)
def test_to_torch_twins_layers_with_their_options(make, shape):
    cr.manual_seed(0)
    model = make().eval()
    twin = tb.to_torch(model)
    x, _ = _batch(shape)
    with cr.no_grad():
        out = model(cr.Tensor(x))
    with torch.no_grad():
        tout = twin(torch.from_numpy(x))
    out, tout = (out[0], tout[0]) if isinstance(tout, tuple) else (out, tout)
    np.testing.assert_allclose(out.numpy(), tout.numpy(), rtol=1e-5, atol=1e-6)


def test_embedding_twin():
    model = nn.Embedding(10, 4, padding_idx=0)
    twin = tb.to_torch(model)
    assert twin.padding_idx == 0
    ids = np.array([[0, 3, 9]])
    np.testing.assert_allclose(model(cr.tensor(ids)).detach().numpy(), twin(torch.from_numpy(ids)).detach().numpy())


@pytest.mark.parametrize("name", list(models.names()))
def test_to_torch_twins_every_named_architecture(name):
    cr.manual_seed(0)
    model = models.build(name)
    model.eval()
    twin = tb.to_torch(model)
    ours, theirs = model.state_dict(), twin.state_dict()
    assert list(ours) == list(theirs)
    for key in ours:
        assert tuple(ours[key].shape) == tuple(theirs[key].shape), key
        np.testing.assert_array_equal(ours[key].data, theirs[key].numpy(), err_msg=key)
    assert not twin.training
    x, _ = _batch()
    with cr.no_grad():
        out = model(cr.Tensor(x)).data
    with torch.no_grad():
        tout = twin(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(out, tout, rtol=1e-5, atol=1e-6 * np.abs(tout).max())


def test_every_layer_kind_has_a_twin_including_step():
    model = nn.Sequential(nn.Linear(6, 5), nn.LeakyReLU(0.1), nn.ELU(0.5), nn.Tanh(), nn.Identity(),
                          nn.BatchNorm1d(5), nn.Dropout(0.2), nn.Step(), nn.Linear(5, 4), nn.Softmax(dim=1),
                          nn.LogSoftmax(dim=1))
    conv = nn.Sequential(nn.Conv2d(1, 3, 3, 1, 1), nn.AvgPool2d(2), nn.MaxPool2d(2), nn.BatchNorm2d(3),
                         nn.Flatten(), nn.Linear(12, 2))
    for m, shape in ((model, (8, 6)), (conv, (4, 1, 8, 8))):
        twin = tb.to_torch(m)
        assert list(twin.state_dict()) == list(m.state_dict())
        x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
        m.eval(), twin.eval()
        with cr.no_grad():
            out = m(cr.Tensor(x)).data
        np.testing.assert_allclose(out, twin(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_step_twin_has_zero_gradient():
    step = tb.torch_step_class()()
    x = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    y = step(x)
    assert y.tolist() == [0.0, 1.0, 1.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_torch_saved_state_dict_loads_into_chainrule(tmp_path):
    cr.manual_seed(0)
    model = models.build("c2")
    twin = tb.build_torch(model)  # PyTorch's own initialisation, different from chainrule's
    with torch.no_grad():
        for p in twin.parameters():
            p.uniform_(-0.5, 0.5)
    path = tmp_path / "twin.pt"
    torch.save(twin.state_dict(), path)
    tb.from_torch_state_dict(model, path)
    for key, value in twin.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[key].data, value.numpy(), err_msg=key)


def test_torch_state_dict_file_that_does_not_fit_is_refused(tmp_path):
    path = tmp_path / "other.pt"
    torch.save(torch.nn.Linear(3, 2).state_dict(), path)
    with pytest.raises(ValueError, match="missing key"):
        tb.from_torch_state_dict(models.build("mlp"), path)


def test_chainrule_weights_file_loads_into_torch(tmp_path):
    from chainrule.serialization import save_model

    cr.manual_seed(3)
    model = models.build("c4")
    save_model(model, tmp_path / "model.npz", name="c4", input_shape=(1, 28, 28), classes=10)
    twin = tb.load_chainrule_weights(tb.build_torch(model), tmp_path / "model.npz")
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.data, twin.state_dict()[key].numpy(), err_msg=key)


def test_parity_passes_and_catches_a_perturbed_weight():
    cr.manual_seed(0)
    model = models.build("c4")
    x, y = _batch(n=6)
    good = tb.parity(model, x, y, steps=2)
    assert good.ok, [r for r in good.rows if not r.ok]
    names = [r.what for r in good.rows]
    assert "loss" in names and any(n.startswith("grad ") for n in names)
    assert any("adam" in n for n in names) and any("sgd" in n for n in names)
    bad = tb.parity(model, x, y, steps=2, perturb=1e-3)
    assert not bad.ok


def test_parity_says_how_dropout_is_handled():
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3))
    x = np.random.default_rng(0).standard_normal((5, 1, 4, 4)).astype(np.float32)
    result = tb.parity(model, x, np.array([0, 1, 2, 0, 1]), steps=1)
    assert result.ok
    assert any("p = 0" in note for note in result.notes)
    assert [m.p for m in model.modules() if isinstance(m, nn.Dropout)] == [0.5]  # the model is untouched


def test_decay_schedule_matches_chainrule():
    from chainrule import optim
    from chainrule.optim import lr_scheduler

    p = nn.Linear(2, 2)
    opt = optim.SGD(p.parameters(), lr=0.1)
    ours = lr_scheduler.ExpDecayLR(opt, tau=3.0, eta_min=0.01)
    topt = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1)
    theirs = tb.make_torch_scheduler("decay", (3.0, 0.01), topt)
    for _ in range(5):
        opt.step(), topt.step()
        ours.step(), theirs.step()
        assert opt.param_groups[0]["lr"] == pytest.approx(topt.param_groups[0]["lr"], rel=1e-12)


def _tiny_data(n=40):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 1, 4, 4)).astype(np.float32), rng.integers(0, 3, n)


def test_the_trainer_trains_a_torch_twin_as_it_trains_the_chainrule_model():
    from chainrule import optim
    from chainrule.data import DataLoader
    from chainrule.training import fit

    x, y = _tiny_data()
    cr.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    twin = tb.to_torch(model)
    h_torch = fit(twin, tb.torch_loss("cross_entropy"), torch.optim.SGD(twin.parameters(), lr=0.1),
                  DataLoader(x, y, batch_size=16, shuffle=True, seed=0), iterations=7, eval_data=(x, y), eval_every=2)
    h_ours = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                 DataLoader(x, y, batch_size=16, shuffle=True, seed=0), iterations=7, eval_data=(x, y), eval_every=2)
    assert h_torch.iteration == h_ours.iteration and h_torch.epoch == h_ours.epoch
    assert h_torch.eval_iteration == h_ours.eval_iteration
    np.testing.assert_allclose(h_torch.train_loss, h_ours.train_loss, rtol=1e-5)
    np.testing.assert_allclose(h_torch.eval_loss, h_ours.eval_loss, rtol=1e-5)
    assert h_torch.eval_acc == h_ours.eval_acc
    assert [(e["epoch"], e["batches"], e["complete"]) for e in h_torch.epochs] == \
        [(e["epoch"], e["batches"], e["complete"]) for e in h_ours.epochs]
    for key, value in twin.state_dict().items():
        np.testing.assert_allclose(value.numpy(), model.state_dict()[key].data, rtol=1e-5, atol=1e-7, err_msg=key)


def _torch_run(folder, iterations, resume=None):
    """The C6 CNN's twin (dropout, BatchNorm) with Adam and a cosine schedule, checkpointing."""
    from chainrule.data import DataLoader
    from chainrule.training import Trainer

    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((48, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 48)
    cr.manual_seed(0)
    torch.manual_seed(0)
    twin = tb.to_torch(models.build("c6"))
    optimizer = torch.optim.Adam(twin.parameters(), lr=1e-3)
    trainer = Trainer(twin, tb.torch_loss("cross_entropy"), optimizer, DataLoader(x, y, batch_size=16, seed=0),
                      scheduler=torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=8),
                      eval_data=(x[:16], y[:16]), checkpoint_dir=folder, checkpoint_every=2)
    torch.manual_seed(123)  # a resumed run must take PyTorch's random state from the checkpoint
    return trainer.fit(iterations=iterations, resume=resume), twin


def test_a_torch_run_resumes_exactly_from_its_checkpoint(tmp_path):
    whole, twin = _torch_run(tmp_path / "whole", 8)
    _torch_run(tmp_path / "split", 5)
    resumed, twin2 = _torch_run(tmp_path / "split", 8, resume=True)
    assert resumed.train_loss == whole.train_loss and resumed.eval_loss == whole.eval_loss
    assert resumed.lr == whole.lr
    for key, value in twin.state_dict().items():
        assert torch.equal(value, twin2.state_dict()[key]), key
    from chainrule.training.checkpoint import load_checkpoint

    ck = load_checkpoint(tmp_path / "whole")
    assert ck.meta["backend"] == "torch" and list(ck.model_state) == list(models.build("c6").state_dict())
    assert ck.meta["optimizer"]["type"] == "Adam" and ck.meta["scheduler"]["type"] == "CosineAnnealingLR"


def test_a_checkpoint_of_one_backend_is_refused_by_the_other(tmp_path):
    from chainrule import optim
    from chainrule.data import DataLoader
    from chainrule.serialization import CheckpointError
    from chainrule.training import fit

    x, y = _tiny_data()
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), DataLoader(x, y, batch_size=16),
        iterations=2, checkpoint_dir=tmp_path)
    twin = tb.to_torch(model)
    with pytest.raises(CheckpointError, match="written by the chainrule backend, this run trains on torch"):
        fit(twin, tb.torch_loss("cross_entropy"), torch.optim.SGD(twin.parameters(), lr=0.1),
            DataLoader(x, y, batch_size=16), iterations=4, checkpoint_dir=tmp_path, resume=True)


def test_the_torch_backend_stops_on_the_hand_written_log_of_zero():
    from chainrule.data import DataLoader
    from chainrule.training import NonFiniteError, fit

    x, y = _tiny_data()
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3), nn.Softmax(dim=1))
    twin = tb.to_torch(model)
    with torch.no_grad():
        twin[1].weight.mul_(1e4)  # saturated softmax: some probabilities are exactly 0
    before = {k: v.clone() for k, v in twin.state_dict().items()}
    with pytest.raises(NonFiniteError) as caught:
        fit(twin, tb.torch_loss("softmax_log"), torch.optim.SGD(twin.parameters(), lr=0.1),
            DataLoader(x, y, batch_size=16), iterations=3)
    err = caught.value
    assert err.iteration == 1 and err.kind == "loss"
    assert "exact zero" in str(err) and "torch backend" in str(err)
    assert all(torch.equal(v, before[k]) for k, v in twin.state_dict().items())  # not touched


def test_the_torch_backend_names_the_first_layer_that_is_not_finite():
    from chainrule.data import DataLoader
    from chainrule.training import NonFiniteError, fit

    x, y = _tiny_data()
    twin = tb.to_torch(nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 3)))
    with torch.no_grad():
        twin[1].bias[0] = float("inf")
    with pytest.raises(NonFiniteError) as caught:
        fit(twin, tb.torch_loss("cross_entropy"), torch.optim.SGD(twin.parameters(), lr=0.1),
            DataLoader(x, y, batch_size=16), iterations=3)
    assert caught.value.kind == "forward" and caught.value.layer == "1" and caught.value.layer_type == "Linear"


def test_missing_torch_names_the_extra(monkeypatch):
    real = importlib.import_module

    def fake(name, *args, **kwargs):
        if name == "torch":
            raise ModuleNotFoundError("No module named 'torch'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(tb.importlib, "import_module", fake)
    tb.torch_step_class.cache_clear()
    with pytest.raises(tb.TorchMissingError, match=r"pip install 'chainrule\[torch\]'"):
        tb.to_torch(models.build("mlp"))
    tb.torch_step_class.cache_clear()


def test_missing_torch_is_a_one_line_cli_error(monkeypatch):
    from click.testing import CliRunner

    from chainrule.cli import main

    real = importlib.import_module
    monkeypatch.setattr(tb.importlib, "import_module",
                        lambda name, *a, **k: (_ for _ in ()).throw(ModuleNotFoundError("no torch"))
                        if name == "torch" else real(name, *a, **k))
    result = CliRunner().invoke(main, ["parity", "mlp"])
    assert result.exit_code == 1
    assert "pip install 'chainrule[torch]'" in result.output
    assert "Traceback" not in result.output


def test_library_imports_without_torch():
    import subprocess
    import sys

    code = ("import sys; sys.modules['torch'] = None\n"
            "import chainrule, chainrule.backends.torch_backend, chainrule.cli\n"
            "from chainrule.backends.torch_backend import require_torch, TorchMissingError\n"
            "try:\n    require_torch()\nexcept TorchMissingError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "pip install 'chainrule[torch]'" in out.stdout


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device: torch.cuda.is_available() is False")
def test_torch_backend_on_cuda():
    from chainrule.data import DataLoader

    cr.manual_seed(0)
    model = models.build("c6")
    model.eval()
    twin = tb.to_torch(model, device="cuda")
    assert next(twin.parameters()).device.type == "cuda"
    x, y = _batch(n=16)
    with cr.no_grad():
        out = model(cr.Tensor(x)).data
    with torch.no_grad():
        tout = twin(torch.from_numpy(x).cuda()).cpu().numpy()
    np.testing.assert_allclose(out, tout, rtol=1e-4, atol=1e-4 * np.abs(tout).max())
    twin.train()
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
    ys = rng.integers(0, 10, 64)
    from chainrule.training import fit

    history = fit(twin, tb.torch_loss("cross_entropy"), torch.optim.Adam(twin.parameters(), lr=1e-3),
                  DataLoader(xs, ys, batch_size=16, shuffle=True, seed=0), iterations=8, eval_data=(xs, ys))
    assert history.iteration == list(range(1, 9)) and all(np.isfinite(history.train_loss))
    tb.from_torch_state_dict(model, twin.state_dict())  # CUDA tensors come back into chainrule


@pytest.mark.parametrize("make", [
    lambda o: __import__("chainrule").optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
    lambda o: __import__("chainrule").optim.lr_scheduler.ExponentialLR(o, gamma=0.9),
    lambda o: __import__("chainrule").optim.lr_scheduler.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
    lambda o: __import__("chainrule").optim.lr_scheduler.ExpDecayLR(o, tau=4.0, eta_min=0.001),
    lambda o: __import__("chainrule").optim.lr_scheduler.LambdaLR(o, lambda t: 1.0 / (1 + t)),
], ids=["step", "exp", "cosine", "decay", "lambda"])
def test_torch_scheduler_like_follows_chainrules_schedule(make):
    from chainrule import optim

    p = nn.Linear(2, 2)
    opt = optim.SGD(p.parameters(), lr=0.1)
    ours = make(opt)
    topt = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1)
    theirs = tb.torch_scheduler_like(ours, topt)
    for _ in range(12):
        assert opt.param_groups[0]["lr"] == pytest.approx(topt.param_groups[0]["lr"], rel=1e-12, abs=1e-15)
        opt.step(), topt.step()
        ours.step(), theirs.step()
    assert tb.torch_scheduler_like(None, topt) is None
