"""state_dict for whole networks: keys, order, shapes and dtypes identical to the PyTorch
twin's (BatchNorm's running_mean, running_var, num_batches_tracked included); loading in
both directions and round trips; and what a bad state_dict does."""

from __future__ import annotations

import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_twin import torch_single_thread  # noqa: E402,F401  (fixture)

pytestmark = pytest.mark.usefixtures("torch_single_thread")

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402
from torch_twin import build, to_torch_state, twin  # noqa: E402

from .nets import NETWORKS, c2_cnn, c6_cnn  # noqa: E402

NAMES = list(NETWORKS)


def _fresh(name, seed=0):
    cr.manual_seed(seed)
    return NETWORKS[name][0]()


def _trained_looking_torch(name, seed=1):
    """A PyTorch twin with PyTorch's own random init and non-trivial BatchNorm state."""
    torch.manual_seed(seed)
    tm = build(_fresh(name))
    with torch.no_grad():
        for key, b in tm.named_buffers():
            if key.endswith("running_mean"):
                b.normal_()
            elif key.endswith("running_var"):
                b.uniform_(0.5, 2.0)
            elif key.endswith("num_batches_tracked"):
                b.fill_(123)
        for key, p in tm.named_parameters():
            if re.search(r"\.3\.(weight|bias)$", key):  # C6's BatchNorm γ, β
                p.uniform_(0.5, 1.5)
    return tm


@pytest.mark.parametrize("name", NAMES)
def test_keys_order_shapes_and_dtypes_equal_torchs(name):
    ours, theirs = _fresh(name).state_dict(), build(_fresh(name)).state_dict()
    assert list(ours) == list(theirs)
    for key in ours:
        assert ours[key].shape == tuple(theirs[key].shape), key
        assert ours[key].dtype == theirs[key].numpy().dtype, key


def test_c6_state_dict_has_the_batchnorm_buffers():
    keys = list(c6_cnn().state_dict())
    for block in range(4):
        for suffix in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked"):
            assert f"{block}.3.{suffix}" in keys
    assert keys[:7] == ["0.0.weight", "0.0.bias", "0.3.weight", "0.3.bias", "0.3.running_mean",
                        "0.3.running_var", "0.3.num_batches_tracked"]
    assert keys[-4:] == ["5.weight", "5.bias", "7.weight", "7.bias"]


@pytest.mark.parametrize("name", NAMES)
def test_torch_to_chainrule(name):
    tm = _trained_looking_torch(name)
    model = _fresh(name, seed=5)
    params_before = [id(p) for p in model.parameters()]
    result = model.load_state_dict(tm.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    for key, value in tm.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[key].detach().numpy(), value.numpy(), err_msg=key)
        assert model.state_dict()[key].dtype == value.numpy().dtype, key
    assert [id(p) for p in model.parameters()] == params_before  # copied in place


def test_torch_state_dict_with_tensors_that_require_grad_loads():
    tm = _trained_looking_torch("C2")
    model = _fresh("C2", seed=9)
    model.load_state_dict(tm.state_dict(keep_vars=True))
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), tm[0].weight.detach().numpy())


@pytest.mark.parametrize("name", NAMES)
def test_chainrule_to_torch(name):
    model = _fresh(name, seed=3)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_var.detach().numpy()[...] = 2.5
            m.num_batches_tracked.detach().numpy()[...] = 17
    tm = build(_fresh(name, seed=4))
    result = tm.load_state_dict(to_torch_state(model.state_dict()), strict=True)
    assert result.missing_keys == [] and result.unexpected_keys == []
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(tm.state_dict()[key].numpy(), value.detach().numpy(), err_msg=key)


@pytest.mark.parametrize("name", NAMES)
def test_round_trips_are_exact(name):
    original = _fresh(name, seed=1)
    for m in original.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.detach().numpy()[...] = np.linspace(-1, 1, m.num_features)
            m.num_batches_tracked.detach().numpy()[...] = 3
    # chainrule → chainrule
    copy = _fresh(name, seed=2)
    copy.load_state_dict(original.state_dict())
    # chainrule → torch → chainrule
    back = _fresh(name, seed=3)
    back.load_state_dict(twin(original).state_dict())
    for key, value in original.state_dict().items():
        np.testing.assert_array_equal(copy.state_dict()[key].detach().numpy(), value.detach().numpy(), err_msg=key)
        np.testing.assert_array_equal(back.state_dict()[key].detach().numpy(), value.detach().numpy(), err_msg=key)
    x = cr.tensor(np.random.default_rng(0).random((2, 1, 28, 28)).astype(np.float32))
    for m in (original, copy, back):
        m.eval()
    np.testing.assert_array_equal(original(x).detach().numpy(), copy(x).detach().numpy())
    np.testing.assert_array_equal(original(x).detach().numpy(), back(x).detach().numpy())


def test_state_dict_values_share_memory_with_the_model_as_torchs_do():
    model = c2_cnn()
    state = model.state_dict()
    model[0].bias.detach().numpy()[...] = 42.0
    assert np.all(state["0.bias"].detach().numpy() == 42.0)
    assert not state["0.bias"].requires_grad


def test_a_float64_checkpoint_loads_into_a_float32_model_as_float32():
    model = c2_cnn()
    state = {k: np.asarray(v.detach().numpy(), dtype=np.float64) + 1 for k, v in c2_cnn().state_dict().items()}
    model.load_state_dict(state)
    assert all(p.dtype == np.float32 for p in model.parameters())
    np.testing.assert_allclose(model[0].bias.detach().numpy(), state["0.bias"], rtol=1e-6)


# ------------------------------------------------------------- bad state_dicts
def _c6_state():
    return dict(c6_cnn().state_dict())


def _snapshot(model):
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def _unchanged(model, snapshot):
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.detach().numpy(), snapshot[k], err_msg=k)


def test_missing_key_is_named_and_nothing_is_loaded():
    model = c6_cnn()
    before = _snapshot(model)
    state = {k: v.detach().numpy() + 1 for k, v in _c6_state().items()}
    del state["2.3.running_var"]
    del state["7.bias"]
    with pytest.raises(ValueError, match=r"missing key\(s\): 2\.3\.running_var, 7\.bias"):
        model.load_state_dict(state)
    _unchanged(model, before)


def test_unexpected_key_is_named_and_nothing_is_loaded():
    model = c6_cnn()
    before = _snapshot(model)
    state = {k: v.detach().numpy() + 1 for k, v in _c6_state().items()}
    state["8.weight"] = np.zeros((3, 3), np.float32)
    with pytest.raises(ValueError, match=r"unexpected key\(s\): 8\.weight"):
        model.load_state_dict(state)
    _unchanged(model, before)


def test_wrong_shape_names_the_key_and_both_shapes():
    model = c6_cnn()
    before = _snapshot(model)
    state = _c6_state()
    state["5.weight"] = np.zeros((128, 255), np.float32)
    with pytest.raises(ValueError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert "5.weight" in message and "(128, 255)" in message and "(128, 256)" in message
    _unchanged(model, before)
    # strict=False does not excuse a shape mismatch (PyTorch raises too)
    with pytest.raises(ValueError, match="5.weight"):
        model.load_state_dict(state, strict=False)
    with pytest.raises(RuntimeError, match="size mismatch"):
        build(c6_cnn()).load_state_dict(to_torch_state(state), strict=False)


def test_all_problems_are_reported_together():
    state = _c6_state()
    del state["0.0.weight"]
    state["extra"] = cr.zeros(1)
    state["7.bias"] = cr.zeros(11)
    with pytest.raises(ValueError) as info:
        c6_cnn().load_state_dict(state)
    message = str(info.value)
    assert "0.0.weight" in message and "extra" in message and "7.bias" in message


def test_strict_false_returns_the_same_missing_and_unexpected_keys_as_torch():
    source = c6_cnn()
    for m in source.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.detach().numpy()[...] = 0.5
    # A PyTorch state_dict (it carries PyTorch's _metadata), edited; both models load it.
    state = twin(source).state_dict()
    del state["1.3.num_batches_tracked"], state["0.0.bias"]
    state["head.weight"] = torch.zeros(2, 2)
    state["0.9.bias"] = torch.zeros(2)
    model = c6_cnn()
    ours = model.load_state_dict(state, strict=False)
    theirs = build(c6_cnn()).load_state_dict(state, strict=False)
    assert ours.missing_keys == theirs.missing_keys == ["0.0.bias", "1.3.num_batches_tracked"]
    assert ours.unexpected_keys == theirs.unexpected_keys == ["head.weight", "0.9.bias"]
    # what was present was loaded
    np.testing.assert_array_equal(model[0][3].running_mean.detach().numpy(), 0.5)
    np.testing.assert_array_equal(model[0][0].weight.detach().numpy(), source[0][0].weight.detach().numpy())


def test_a_state_dict_without_num_batches_tracked_loads_as_in_torch():
    # state_dicts from before PyTorch 0.4.1, and hand-made ones, lack the counter; an edited
    # PyTorch state_dict (its _metadata says version 2) reports it missing: see the strict=False test
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2))
    ours = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    ours[1].num_batches_tracked.fill_(7)
    old = {k: v for k, v in theirs.state_dict().items() if not k.endswith("num_batches_tracked")}
    assert theirs.load_state_dict(old).missing_keys == []
    assert ours.load_state_dict(old).missing_keys == []
    assert ours[1].num_batches_tracked.item() == 7  # left as it was, as PyTorch leaves it
    del old["1.running_mean"]
    with pytest.raises(ValueError, match=r"missing key\(s\): 1.running_mean$"):
        ours.load_state_dict(old)


def test_state_dict_prefix_is_prepended_as_given():
    model = nn.Sequential(nn.Linear(2, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 2))
    for prefix in ("", "net.", "pre"):
        assert list(model.state_dict(prefix=prefix)) == list(theirs.state_dict(prefix=prefix))
