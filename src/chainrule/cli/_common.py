"""What several commands share: models by name or spec, datasets, weights, the run file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np

from .. import models
from .._files import atomic_write_bytes
from ..training.run_folder import RUN_FILE, RunFolderError, read_run, write_run

DATASETS = ("mnist", "fashion-mnist", "digits")
"""The image datasets the commands train and evaluate on."""

SAMPLE_SHAPES = {"mnist": (1, 28, 28), "fashion-mnist": (1, 28, 28), "digits": (1, 8, 8)}
"""One sample's shape [C, H, W] in each dataset, known without reading the data."""

SPEC_COPY = "model.toml"
"""A spec-built model's spec, copied into the run folder."""


# ------------------------------------------------------------------ options
def data_option(default: str | None = "mnist"):
    help_text = "Dataset." if default else "Dataset (default: the run's, from run.json beside WEIGHTS, else mnist)."
    return click.option("--data", "dataset", default=default, show_default=bool(default),
                        type=click.Choice(DATASETS), help=help_text)


def data_dir_option():
    return click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), envvar="CHAINRULE_DATA",
                        help="Folder with the IDX files, or a parent of mnist/ and fashion-mnist/ "
                             "(default: $CHAINRULE_DATA, the cache, system folders; see `chainrule data list`).")


def model_option(default: str | None = "mlp"):
    help_text = "A named architecture (see `chainrule models`) or a .toml spec file of layers."
    if default is None:
        help_text += " Default: the run's, from run.json beside WEIGHTS."
    return click.option("--model", default=default, show_default=bool(default), metavar="NAME|SPEC",
                        help=help_text)


def parse_shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(part) for part in text.lower().split("x"))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a shape like 1x28x28", param_hint="'--input'") from None
    if len(shape) != 3 or min(shape) < 1:
        raise click.BadParameter(f"{text!r}: give channels x height x width, e.g. 1x28x28",
                                 param_hint="'--input'")
    return shape


# ------------------------------------------------------------------- models
@dataclass
class ModelChoice:
    """``--model``: a named architecture, or a spec (``spec`` set, ``path`` its file)."""

    text: str
    name: str  # the architecture's name, or the spec's ``name``
    spec: object | None = None  # chainrule.spec.ModelSpec
    path: Path | None = None

    @property
    def input(self) -> tuple | None:
        return self.spec.input if self.spec is not None else None

    def build(self, shape, classes: int, check: bool = True):
        """The network for samples of ``shape``, its output checked to be ``classes`` wide and
        (``check``) its shapes checked by a forward pass on zeros (a spec's always are)."""
        if self.spec is not None:
            from ..spec import build_from_spec

            network, _ = build_from_spec(self.spec, shape, classes)
            return network
        try:
            network = models.build(self.name, tuple(shape), classes)
        except ArithmeticError as exc:  # e.g. a layer of width 0 for too small an input
            raise ValueError(f"architecture {self.name!r} cannot take inputs of shape {list(shape)} "
                             f"({type(exc).__name__}: {exc} while building it)") from None
        if check:
            check_shapes(network, shape)
        return network


def resolve_model(text: str, base: Path | None = None) -> ModelChoice:
    """``--model`` as a :class:`ModelChoice`: a registered name, else a spec file path
    (relative to ``base`` when given)."""
    if text in models.names():
        return ModelChoice(text, text)
    path = Path(text).expanduser()
    if base is not None and not path.is_absolute():
        path = base / path
    looks_like_file = text.lower().endswith(".toml") or os.sep in text or path.exists()
    if not looks_like_file:
        raise ValueError(f"unknown architecture {text!r}; choose one of: {', '.join(models.names())}, "
                         f"or give a .toml spec file")
    if path.is_dir():
        raise ValueError(f"{path}: is a folder, not a .toml spec file")
    from ..spec import load_spec

    spec = load_spec(path)
    return ModelChoice(text, spec.name, spec, path)


def check_shapes(network, shape) -> None:
    """Run ``network`` once on zeros (as the summary does) so an impossible shape is reported
    before anything else happens (a LayerError naming the layer)."""
    from ..summary import summary

    summary(network, (1, *shape))


def output_probabilities(network, outputs: np.ndarray) -> np.ndarray:
    """Class probabilities from a network's outputs: as they are after a final Softmax,
    exponentiated after LogSoftmax, else a softmax of the scores (logits)."""
    from .. import nn

    last = None
    if isinstance(network, nn.Sequential) and len(network):
        last = network[len(network) - 1]
    if isinstance(last, nn.LogSoftmax):
        return np.exp(outputs)
    if isinstance(last, nn.Softmax):
        return outputs
    shifted = outputs - outputs.max(axis=1, keepdims=True)
    exps = np.exp(shifted)
    return exps / exps.sum(axis=1, keepdims=True)


# -------------------------------------------------------------------- data
def class_names(dataset: str) -> list[str]:
    from ..data.catalog import get_spec

    return list(get_spec(dataset).classes)


def load_split(dataset: str, split: str, data_dir, limit: int | None = None):
    """One split of ``dataset`` (found, or fetched when missing), its first ``limit`` samples."""
    from ..data import load

    data = load(dataset, split, data_dir=data_dir, download=True)
    if limit is not None and limit < len(data):
        data.x, data.y = data.x[:limit], data.y[:limit]
    return data


# ------------------------------------------------------------------ weights
def load_weights(network, path: Path, model_name: str) -> None:
    """Load a ``.npz`` weights file into ``network``; a mismatch names the file and the model."""
    from ..serialization import load

    state = load(path)
    try:
        network.load_state_dict(state)
    except ValueError as exc:
        raise ValueError(f"{path}: these weights do not fit the model {model_name!r}: {exc}") from None


# ----------------------------------------------------------------- run file
def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def write_run_file(out: Path, choice: ModelChoice, dataset: str, shape, settings: dict) -> None:
    """``run.json`` (and, for a spec, a copy of it as ``model.toml``) in the run folder."""
    model = choice.name
    if choice.spec is not None:
        atomic_write_text(out / SPEC_COPY, choice.spec.text or "")
        model = SPEC_COPY
    info = {"model": model, "data": dataset, "input": list(shape), "settings": settings}
    write_run(out, {**(read_run(out) or {}), **info, "status": "finished"})  # the id and identity stay


def read_run_file(weights: Path) -> dict:
    """The ``run.json`` beside a weights file, or {} when there is none (or it is unreadable)."""
    try:
        return read_run(Path(weights).parent) or {}
    except RunFolderError:
        return {}


def model_for_weights(weights: Path, model: str | None, dataset: str | None) -> tuple[ModelChoice, str]:
    """The model and dataset that ``weights`` belong to: the options, else the run file."""
    run = read_run_file(weights)
    if model is None:
        if "model" not in run:
            raise click.UsageError(f"which model are the weights for? Give --model NAME|SPEC "
                                   f"(there is no {RUN_FILE} beside {weights})")
        choice = resolve_model(str(run["model"]), base=Path(weights).parent)
    else:
        choice = resolve_model(model)
    dataset = dataset or run.get("data") or "mnist"
    if dataset not in DATASETS:
        raise ValueError(f"{Path(weights).parent / RUN_FILE}: unknown dataset {dataset!r}")
    return choice, dataset


def table(rows: list[tuple], right: tuple[int, ...] = ()) -> str:
    """Rows of cells as aligned columns (cells in ``right`` right-aligned)."""
    rows = [tuple(str(c) for c in row) for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.rjust(w) if i in right else c.ljust(w)
                               for i, (c, w) in enumerate(zip(row, widths))).rstrip()
                     for row in rows)
