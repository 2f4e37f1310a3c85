"""Models from TOML specs: inference, checks, initialisation and one-line errors with line numbers."""

from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import models, nn
from chainrule.spec import SpecError, build_from_spec, layer_types, load_spec

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def write(tmp_path, text, name="bad.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def shapes(model):
    return [(k, tuple(v.shape)) for k, v in model.state_dict().items()]


@pytest.mark.parametrize("name", ["c2", "mlp"])
def test_example_equal_to_named_architecture_builds_the_same_weights(name):
    cr.manual_seed(0)
    model, input_shape = build_from_spec(EXAMPLES / f"{name}.toml")
    cr.manual_seed(0)
    reference = models.build(name)
    assert input_shape == (1, 28, 28)
    assert shapes(model) == shapes(reference)
    for key, value in reference.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[key].data, value.data)
    assert model.training  # built ready to train, after the shape check in eval mode


def test_c4_example_has_the_exercise_initialisation():
    cr.manual_seed(0)
    model, _ = build_from_spec(EXAMPLES / "c4.toml")
    assert shapes(model) == shapes(models.build("c4"))
    for layer in (model[0], model[2], model[4], model[7], model[9]):
        np.testing.assert_array_equal(layer.bias.data, np.float32(0.1))
    weights = np.concatenate([model[i].weight.data.ravel() for i in (0, 2, 4, 7, 9)])
    assert abs(weights.std() - 0.1) < 0.005 and abs(weights.mean()) < 0.005


def test_every_layer_type_of_nn_is_accepted():
    types = layer_types()
    assert {"Conv2d", "Linear", "MaxPool2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "Dropout",
            "Flatten", "Identity", "ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "Softmax",
            "LogSoftmax", "Step"} <= set(types)
    assert not {"Sequential", "ModuleList", "Module", "CrossEntropyLoss"} & set(types)
    spec = {"input": [3, 12, 12], "layers": [
        {"type": "Conv2d", "out_channels": 4, "kernel_size": [3, 5], "padding": [1, 2], "bias": False},
        {"type": "BatchNorm2d", "momentum": 0.2}, {"type": "LeakyReLU", "negative_slope": 0.1},
        {"type": "AvgPool2d", "kernel_size": 2}, {"type": "ELU", "alpha": 0.5},
        {"type": "MaxPool2d", "kernel_size": 2, "stride": 1}, {"type": "Dropout", "p": 0.2},
        {"type": "Identity"}, {"type": "Step"}, {"type": "Flatten"}, {"type": "Linear", "out_features": 8},
        {"type": "BatchNorm1d"}, {"type": "Tanh"}, {"type": "Sigmoid"}, {"type": "Linear", "out_features": 3},
        {"type": "LogSoftmax", "dim": 1}, {"type": "Softmax", "dim": 1},
    ]}
    model, input_shape = build_from_spec(spec, classes=3)
    assert input_shape == (3, 12, 12)
    assert model[0].weight.shape == (4, 3, 3, 5) and model[0].bias is None
    assert model[1].num_features == 4 and model[1].momentum == 0.2
    assert model[10].in_features == 4 * 5 * 5 and model[11].num_features == 8
    assert model(cr.zeros(2, 3, 12, 12)).shape == (2, 3)


def test_explicit_inferred_fields_are_accepted_when_right():
    spec = {"input": [1, 28, 28], "layers": [
        {"type": "Conv2d", "in_channels": 1, "out_channels": 2, "kernel_size": 5},
        {"type": "Flatten"}, {"type": "Linear", "in_features": 2 * 24 * 24, "out_features": 10}]}
    model, _ = build_from_spec(spec)
    assert model[2].weight.shape == (10, 1152)


def test_linear_on_the_last_dimension_when_in_features_is_given():
    spec = {"input": [4, 6], "layers": [{"type": "Linear", "in_features": 6, "out_features": 2}]}
    model, _ = build_from_spec(spec)
    assert model(cr.zeros(1, 4, 6)).shape == (1, 4, 2)


def test_input_shape_comes_from_the_caller_when_the_spec_has_none():
    spec = {"layers": [{"type": "Flatten"}, {"type": "Linear", "out_features": 10}]}
    model, input_shape = build_from_spec(spec, input_shape=(1, 8, 8), classes=10)
    assert input_shape == (1, 8, 8) and model[1].in_features == 64
    with pytest.raises(SpecError, match=r"^<spec>: no input shape: add e.g. input = \[1, 28, 28\]"):
        build_from_spec(spec)


def test_spec_name_defaults_to_the_file_name(tmp_path):
    path = write(tmp_path, 'input = [2]\n[[layers]]\ntype = "Linear"\nout_features = 1\n', "tiny.toml")
    assert load_spec(path).name == "tiny"
    assert load_spec(EXAMPLES / "c2.toml").name == "c2-spec"


@pytest.mark.parametrize("value, check", [
    ('"zeros"', lambda w, b: (w == 0).all()),
    ('"ones"', lambda w, b: (w == 1).all()),
    ('0.25', lambda w, b: (w == 0.25).all()),
    ('"constant:-2"', lambda w, b: (w == -2).all()),
    ('"normal:3:0.01"', lambda w, b: abs(w.mean() - 3) < 0.01 and 0.005 < w.std() < 0.015),
    ('"uniform:0.5"', lambda w, b: w.min() >= -0.5 and w.max() <= 0.5 and w.max() > 0.4),
    ('"uniform:2:3"', lambda w, b: w.min() >= 2 and w.max() <= 3),
    ('"xavier_uniform"', lambda w, b: np.abs(w).max() <= np.sqrt(6 / (100 + 50))),
    ('"xavier_normal:2"', lambda w, b: abs(w.std() - 2 * np.sqrt(2 / 150)) < 0.02),
    ('"kaiming_normal:relu"', lambda w, b: abs(w.std() - np.sqrt(2 / 100)) < 0.01),
    ('"kaiming_uniform"', lambda w, b: np.abs(w).max() <= np.sqrt(6 / 100)),
    ('"default"', lambda w, b: np.abs(w).max() <= 0.1 and w.std() > 0.01),
])
def test_init_forms(tmp_path, value, check):
    text = f'input = [100]\n[[layers]]\ntype = "Linear"\nout_features = 50\ninit = {{ weight = {value} }}\n'
    cr.manual_seed(1)
    model, _ = build_from_spec(write(tmp_path, text, "init.toml"))
    assert check(model[0].weight.data, model[0].bias.data)


def test_init_is_reproducible_under_the_seed(tmp_path):
    path = write(tmp_path, 'input = [10]\n[[layers]]\ntype = "Linear"\nout_features = 5\n'
                           '[layers.init]\nweight = "normal:0.1"\nbias = "uniform:1"\n', "seeded.toml")
    cr.manual_seed(7)
    a, _ = build_from_spec(path)
    cr.manual_seed(7)
    b, _ = build_from_spec(path)
    np.testing.assert_array_equal(a[0].weight.data, b[0].weight.data)
    np.testing.assert_array_equal(a[0].bias.data, b[0].bias.data)


HEAD = 'name = "bad"\ninput = [1, 28, 28]\n\n'
CONV = '[[layers]]\ntype = "Conv2d"\nout_channels = 4\nkernel_size = 5\n\n'

# (spec text, the exact message after "bad.toml"); line numbers count from 1.
MISTAKES = [
    (HEAD + CONV + '[[layers]]\ntype = "Relu"\n',
     ":10: layers[1]: unknown layer type 'Relu' (did you mean 'ReLU'?); valid types: AdaptiveAvgPool2d, "
     "AvgPool2d, BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, ConvTranspose2d, Dropout, ELU, Embedding, Flatten, "
     "GELU, Hardtanh, Identity, LayerNorm, LeakyReLU, Linear, LogSoftmax, MaxPool2d, Mish, ReLU, ReLU6, SiLU, "
     "Sigmoid, Softmax, Softplus, Step, Tanh, Upsample"),
    (HEAD + '[[layers]]\ntype = "Conv2d"\nout_channels = 4\nkernal_size = 5\n',
     ":7: layers[0] (Conv2d): unknown field 'kernal_size' (did you mean 'kernel_size'?); Conv2d takes: "
     "in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode, dtype"),
    (HEAD + '[[layers]]\ntype = "Conv2d"\nout_channels = 4\nkernel_size = "5"\n',
     ':7: layers[0] (Conv2d): kernel_size must be an integer or a pair of integers, got "5" (a string)'),
    (HEAD + '[[layers]]\ntype = "Conv2d"\nout_channels = 4.0\nkernel_size = 5\n',
     ":6: layers[0] (Conv2d): out_channels must be an integer, got 4.0 (a float)"),
    (HEAD + CONV + '[[layers]]\ntype = "Dropout"\np = "half"\n',
     ':11: layers[1] (Dropout): p must be a number, got "half" (a string)'),
    (HEAD + CONV + '[[layers]]\ntype = "Flatten"\n[[layers]]\ntype = "Linear"\nout_features = 10\nbias = 1\n',
     ":14: layers[2] (Linear): bias must be true or false, got 1 (an integer)"),
    (HEAD + CONV + '[[layers]]\ntype = "MaxPool2d"\nkernel_size = 4\n\n' + CONV.replace("5\n", "7\n"),
     ":13: layers[2] (Conv2d): input [4, 6, 6]: conv2d: kernel 7x7 is larger than the padded input 6x6 "
     "(input 6x6, padding 0,0)"),
    (HEAD + CONV + '[[layers]]\ntype = "Linear"\nout_features = 10\n',
     ":9: layers[1] (Linear): its input is [4, 24, 24]; add a Flatten layer before it "
     "(or set in_features = 24 to apply it to the last dimension)"),
    (HEAD + '[[layers]]\ntype = "Conv2d"\nin_channels = 3\nout_channels = 4\nkernel_size = 5\n',
     ":6: layers[0] (Conv2d): in_channels = 3, but its input [1, 28, 28] has 1 channel"),
    (HEAD + '[[layers]]\ntype = "Flatten"\n[[layers]]\ntype = "Conv2d"\nout_channels = 4\nkernel_size = 5\n',
     ":6: layers[1] (Conv2d): needs a [channels, height, width] input, but its input is [784]"),
    (HEAD + '[[layers]]\ntype = "Conv2d"\nkernel_size = 5\n',
     ":4: layers[0] (Conv2d): missing field(s): out_channels"),
    (HEAD + '[[layers]]\ntype = "Conv2d"\nout_channels = 0\nkernel_size = 5\n',
     ":6: layers[0] (Conv2d): out_channels must be at least 1, got 0"),
    (HEAD + '[[layers]]\nout_channels = 4\n',
     ":4: layers[0]: no type; give one of: AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv1d, "
     "Conv2d, ConvTranspose2d, Dropout, ELU, Embedding, Flatten, GELU, Hardtanh, Identity, LayerNorm, LeakyReLU, "
     "Linear, LogSoftmax, MaxPool2d, Mish, ReLU, ReLU6, SiLU, Sigmoid, Softmax, Softplus, Step, Tanh, Upsample"),
    (HEAD + '[[layers]]\ntype = "Dropout"\np = 1.5\n',
     ":4: layers[0] (Dropout): dropout probability has to be between 0 and 1, but got 1.5"),
    (HEAD + '[[layers]]\ntype = "Conv2d"\nout_channels = 2\nkernel_size = 3\npadding_mode = "reflect"\n',
     ":4: layers[0] (Conv2d): Conv2d: padding_mode='reflect' is not supported, only 'zeros'"),
    (HEAD + '[[layers]]\ntype = "BatchNorm1d"\n',
     ":4: layers[0] (BatchNorm1d): input [1, 28, 28]: expected 2-d or 3-d input, got shape (1, 1, 28, 28)"),
    (HEAD + CONV + '[[layers]]\ntype = "ReLU"\ninit = { weight = "zeros" }\n',
     ":11: layers[1] (ReLU): init: ReLU has no parameter 'weight' (its parameters: none)"),
    (HEAD + '[[layers]]\ntype = "Conv2d"\nout_channels = 4\nkernel_size = 5\nbias = false\n'
            '[layers.init]\nweight = "zeros"\nbias = "zeros"\n',
     ":11: layers[0] (Conv2d): init: this Conv2d has no bias (it is switched off)"),
    (HEAD + CONV + '[[layers]]\ntype = "Flatten"\n[[layers]]\ntype = "Linear"\nout_features = 10\n'
            '[layers.init]\nbias = "constant:0.1"\nweight = "gauss:0.1"\n',
     ":16: layers[2] (Linear): init.weight: unknown initialisation 'gauss:0.1'; use one of: zeros, ones, "
     "constant:V, normal:STD, normal:MEAN:STD, uniform:BOUND, uniform:A:B, xavier_uniform[:GAIN], "
     "xavier_normal[:GAIN], kaiming_uniform[:NONLINEARITY], kaiming_normal[:NONLINEARITY], default"),
    (HEAD + '[[layers]]\ntype = "Linear"\nin_features = 784\nout_features = 10\ninit = { weight = "normal:x" }\n',
     ":4: layers[0] (Linear): its input is [1, 28, 28]; add a Flatten layer before it "
     "(or set in_features = 28 to apply it to the last dimension)"),
    (HEAD + '[[layers]]\ntype = "Flatten"\n[[layers]]\ntype = "Linear"\nout_features = 10\n'
            'init = { weight = "normal:x" }\n',
     ":9: layers[1] (Linear): init.weight: 'normal:x': the values after ':' must be numbers"),
    ('name = "bad"\ninputs = [1, 28, 28]\n', ":2: unknown top-level field 'inputs' (did you mean 'input'?); "
                                            "a spec has: name, description, input, layers"),
    ('name = "bad"\ninput = [1, 0, 28]\n[[layers]]\ntype = "ReLU"\n',
     ":2: input must be an array of positive integers, one sample's shape such as [1, 28, 28], got [1, 0, 28]"),
    ('name = "bad"\ninput = [1, 28, 28]\n', ": no layers: add a [[layers]] table for each layer"),
    ('name = "bad"\ninput = [1, 28, 28]\nlayers = 3\n', ":3: layers must be an array of tables ([[layers]] sections)"),
    ('input = [1, 28, 28\n', ": not valid TOML: Unclosed array (at end of document)"),
    ('input = [1, 28, 28]\n[[layers]]\ntype = "ReLU"\ntype = "Tanh"\n',
     ": not valid TOML: Cannot overwrite a value (at line 4, column 14)"),
    (HEAD + '[[layers]]\ntype = "Flatten"\n[[layers]]\ntype = "Linear"\nout_features = 7\n',
     ":6: layers[1] (Linear): the model's output is [7] per sample, but the data has 10 classes: "
     "end with a layer of 10 outputs"),
]


@pytest.mark.parametrize("text, message", MISTAKES)
def test_mistakes_give_one_line_with_file_line_and_layer(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as error:
        build_from_spec(path, classes=10)
    assert str(error.value) == f"{path}{message}"
    assert "\n" not in str(error.value)


def test_input_disagreeing_with_the_data_is_refused(tmp_path):
    path = write(tmp_path, HEAD + '[[layers]]\ntype = "Flatten"\n')
    with pytest.raises(SpecError, match=r"bad.toml:2: input = \[1, 28, 28\], but the model is asked to take "
                                        r"\[1, 8, 8\]"):
        build_from_spec(path, input_shape=(1, 8, 8))


def test_missing_file(tmp_path):
    with pytest.raises(SpecError, match=r"nowhere.toml: no such spec file$"):
        build_from_spec(tmp_path / "nowhere.toml")


def test_layers_written_inline_are_named_by_index_without_a_line():
    spec = {"input": [1, 28, 28], "layers": [{"type": "Flatten"}, {"type": "Linear", "out_feature": 3}]}
    with pytest.raises(SpecError, match=r"^<spec>: layers\[1\] \(Linear\): unknown field 'out_feature' "
                                        r"\(did you mean 'out_features'\?\)"):
        build_from_spec(spec)


def test_the_shape_check_leaves_batchnorm_statistics_untouched():
    spec = {"input": [2, 4, 4], "layers": [{"type": "BatchNorm2d"}, {"type": "Flatten"}]}
    model, _ = build_from_spec(spec)
    assert int(model[0].num_batches_tracked.data) == 0
    np.testing.assert_array_equal(model[0].running_mean.data, 0)
    assert isinstance(model, nn.Sequential)
