"""``chainrule evaluate`` and ``chainrule predict``: a trained model's weights put to use."""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np

from ._app import main
from ._common import (
    SAMPLE_SHAPES,
    class_names,
    data_dir_option,
    data_option,
    load_split,
    load_weights,
    model_for_weights,
    model_option,
    output_probabilities,
    table,
)

WEIGHTS = click.argument("weights", type=click.Path(exists=True, dir_okay=False, path_type=Path))


@main.command()
@WEIGHTS
@model_option(None)
@data_option(None)
@data_dir_option()
@click.option("--limit", type=click.IntRange(min=1), help="Use only the first N test images.")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(min=1),
              help="Images per forward pass.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def evaluate(weights, model, dataset, data_dir, limit, batch_size, as_json):
    """Test loss, accuracy and per-class accuracy of trained weights (a model.npz).

    The model and dataset default to those in the run.json that `chainrule train` writes
    beside model.npz; give --model (and --data) for weights from elsewhere.

    \b
    Examples:
      chainrule evaluate runs/c2-mnist/model.npz
      chainrule evaluate weights.npz --model c2 --data fashion-mnist
      chainrule evaluate weights.npz --model examples/c4.toml --limit 1000 --json
    """
    from .. import nn
    from ..tensor import Tensor
    from ..training import predict

    choice, dataset = model_for_weights(weights, model, dataset)
    test_set = load_split(dataset, "test", data_dir, limit)
    classes = class_names(dataset)
    network = choice.build(tuple(test_set.x.shape[1:]), len(classes))
    load_weights(network, weights, choice.name)
    outputs = predict(network, test_set.x, batch_size)
    loss = nn.CrossEntropyLoss()(Tensor(outputs), Tensor(test_set.y)).item()
    predicted = np.argmax(outputs, axis=1)
    accuracy = float(np.mean(predicted == test_set.y))
    per_class = []
    for label, name in enumerate(classes):
        mask = test_set.y == label
        count = int(mask.sum())
        per_class.append({"label": label, "class": name, "images": count,
                          "accuracy": float(np.mean(predicted[mask] == label)) if count else None})
    if as_json:
        click.echo(json.dumps({"model": choice.name, "data": dataset, "weights": str(weights),
                               "images": len(test_set), "loss": loss, "accuracy": accuracy,
                               "per_class": per_class}, indent=2))
        return
    click.echo(f"{choice.name} on the {dataset} test set ({len(test_set)} images): "
               f"loss {loss:.4f}, accuracy {accuracy:.4f}")
    rows = [("label", "class", "images", "accuracy")]
    rows += [(c["label"], c["class"], c["images"], "-" if c["accuracy"] is None else f"{c['accuracy']:.4f}")
             for c in per_class]
    click.echo(table(rows, right=(0, 2, 3)))


def _indices(values: tuple[str, ...]) -> list[int]:
    """``--index`` values: ``7``, ``0,5,9`` or ``0-9`` (inclusive), as a list of ints."""
    indices = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            try:
                if "-" in part[1:]:
                    first, last = (int(p) for p in part.split("-", 1))
                    if last < first:
                        raise ValueError
                    indices.extend(range(first, last + 1))
                else:
                    indices.append(int(part))
            except ValueError:
                raise click.BadParameter(f"{value!r}: give indices like 7, 0,5,9 or 0-9",
                                         param_hint="'--index'") from None
    return indices


def read_image(path: Path, size: tuple[int, int]) -> tuple[np.ndarray, bool]:
    """A PNG as a grey ``size`` (height, width) image in [0, 1], light digits on a dark
    background as MNIST has them; the flag says whether it was inverted."""
    try:
        from matplotlib import image as mpimg
    except ImportError:  # pragma: no cover - matplotlib is the reports extra
        raise RuntimeError("reading images needs matplotlib: pip install 'chainrule[reports]'") from None
    try:
        pixels = mpimg.imread(path)
    except Exception as exc:  # Pillow and matplotlib raise many kinds for a bad file
        raise ValueError(f"{path}: not a readable image ({exc})") from None
    pixels = np.asarray(pixels)
    if pixels.dtype.kind in "ui":
        pixels = pixels / np.iinfo(pixels.dtype).max
    pixels = pixels.astype(np.float64)
    if pixels.ndim == 3 and pixels.shape[2] in (2, 4):  # transparency: composite over white paper
        alpha = pixels[..., -1:]
        pixels = pixels[..., :-1] * alpha + (1.0 - alpha)
    if pixels.ndim == 3 and pixels.shape[2] == 3:
        pixels = pixels @ np.array([0.299, 0.587, 0.114])
    elif pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[..., 0]
    if pixels.ndim != 2:
        raise ValueError(f"{path}: unsupported image layout {pixels.shape}")
    height, width = pixels.shape
    if (height, width) != tuple(size):
        raise ValueError(f"{path}: the image is {width}x{height} pixels, but the model takes "
                         f"{size[1]}x{size[0]} images; resize it first")
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    inverted = bool(border.mean() > 0.5)
    if inverted:
        pixels = 1.0 - pixels
    return np.clip(pixels, 0.0, 1.0).astype(np.float32), inverted


@main.command()
@WEIGHTS
@click.argument("images", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--index", "indices", multiple=True, metavar="N",
              help="Predict test-set image N instead of files (repeatable; also 0,5,9 or 0-9).")
@model_option(None)
@data_option(None)
@data_dir_option()
@click.option("--top", default=1, show_default=True, type=click.IntRange(min=1),
              help="Show the K most probable classes.")
def predict(weights, images, indices, model, dataset, data_dir, top):
    """Predicted class and probability for PNG files or test-set images.

    A PNG must already be the model's image size (28x28 for MNIST and Fashion-MNIST, 8x8 for
    digits); wrong sizes are refused. Colour is converted to grey, transparent pixels count as
    white paper, and values are scaled to [0, 1]. MNIST's images are light on dark: an image
    whose border is mostly light (a dark digit on white paper) is inverted first, and the
    output says so.

    The model and dataset default to those in the run.json beside WEIGHTS.

    \b
    Examples:
      chainrule predict runs/c2-mnist/model.npz my-digit.png other.png
      chainrule predict runs/c2-mnist/model.npz --index 0-9
      chainrule predict weights.npz --model c2 --data fashion-mnist --index 3 --top 3
    """
    from ..training import predict as model_outputs

    if bool(images) == bool(indices):
        raise click.UsageError("give either IMAGES or --index N, not both" if images
                               else "give IMAGES (PNG files) or --index N (test-set images)")
    choice, dataset = model_for_weights(weights, model, dataset)
    classes = class_names(dataset)
    top = min(top, len(classes))
    if indices:
        wanted = _indices(indices)
        test_set = load_split(dataset, "test", data_dir)
        bad = [i for i in wanted if not 0 <= i < len(test_set)]
        if bad:
            raise ValueError(f"index {bad[0]} is out of range: the {dataset} test set has images "
                             f"0 to {len(test_set) - 1}")
        x, truth = test_set.x[wanted], test_set.y[wanted]
        names, notes = [f"test[{i}]" for i in wanted], [""] * len(wanted)
        shape = tuple(test_set.x.shape[1:])
    else:
        shape = choice.input or SAMPLE_SHAPES[dataset]
        if len(shape) != 3 or shape[0] != 1:
            raise ValueError(f"the model takes inputs of shape {list(shape)}; predict reads grey "
                             f"images, i.e. [1, height, width]")
        read = [read_image(path, shape[1:]) for path in images]
        x = np.stack([pixels for pixels, _ in read])[:, None]
        truth, names = None, [str(p) for p in images]
        notes = ["inverted: light background" if inverted else "" for _, inverted in read]
    network = choice.build(shape, len(classes))
    load_weights(network, weights, choice.name)
    probabilities = output_probabilities(network, model_outputs(network, x))
    order = np.argsort(-probabilities, axis=1, kind="stable")[:, :top]

    header = ["image", "label", "class", "probability"]
    if top > 1:
        header.append(f"next {top - 1}")
    if truth is not None:
        header.append("true")
    rows = [tuple(header)]
    for row, name in enumerate(names):
        best = int(order[row, 0])
        cells = [name, best, classes[best], f"{probabilities[row, best]:.4f}"]
        if top > 1:
            cells.append(", ".join(f"{classes[k]} {probabilities[row, k]:.3f}" for k in order[row, 1:]))
        if truth is not None:
            label = int(truth[row])
            cells.append(f"{classes[label]}" + ("" if label == best else "  (wrong)"))
        rows.append(tuple(cells))
    lines = table(rows, right=(1, 3)).splitlines()
    for line, note in zip(lines, ["", *notes]):
        click.echo(f"{line}  ({note})" if note else line)
