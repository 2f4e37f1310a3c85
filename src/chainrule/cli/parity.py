"""``chainrule parity MODEL``: build a model on both engines, copy the weights, run the same
batch and report how far apart the two are (see :func:`chainrule.backends.torch_backend.parity`)."""

from __future__ import annotations

import click
import numpy as np

from .. import models
from ._app import main
from ._common import parse_shape, resolve_model, table
from .train import ScheduleType

DEFAULT_RTOL = 1e-4
DEFAULT_ATOL = 1e-6


@main.command()
@click.argument("model", metavar="NAME|SPEC|LAB")
@click.option("--input", "input_shape", help="One sample's shape CxHxW (default: the spec's input, else 1x28x28).")
@click.option("--classes", default=10, show_default=True, type=click.IntRange(min=2))
@click.option("--batch-size", default=8, show_default=True, type=click.IntRange(min=2))
@click.option("--steps", default=3, show_default=True, type=click.IntRange(min=0),
              help="Optimiser steps K compared for SGD (momentum) and Adam.")
@click.option("--sgd-lr", default=0.05, show_default=True, type=click.FloatRange(min=0))
@click.option("--momentum", default=0.9, show_default=True, type=click.FloatRange(min=0))
@click.option("--adam-lr", default=1e-3, show_default=True, type=click.FloatRange(min=0))
@click.option("--schedule", default="step:1:0.5", show_default=True, type=ScheduleType(),
              help="Learning-rate schedule stepped after every step (as in `chainrule train`).")
@click.option("--rtol", default=DEFAULT_RTOL, show_default=True, type=click.FloatRange(min=0),
              help="Relative tolerance, against the largest |value| of PyTorch's array.")
@click.option("--atol", default=DEFAULT_ATOL, show_default=True, type=click.FloatRange(min=0),
              help="Absolute tolerance.")
@click.option("--seed", default=0, show_default=True, help="Seeds the weights and the batch.")
@click.option("--all", "show_all", is_flag=True, help="List every compared quantity, not only the worst ones.")
@click.option("--perturb", default=0.0, type=float, hidden=True,
              help="Add this to one weight of the PyTorch twin (to test that a mismatch is caught).")
def parity(model, input_shape, classes, batch_size, steps, sgd_lr, momentum, adam_lr, schedule, rtol, atol,
           seed, show_all, perturb):
    """Prove a model equal on chainrule and PyTorch: outputs, loss, gradients, K optimiser steps.

    Builds MODEL (a named architecture or a .toml spec) with chainrule, its PyTorch twin with the
    same weights, runs one random batch through both and reports, for the outputs (evaluation and
    training mode), the loss, every parameter's gradient and every parameter and buffer after
    --steps steps of SGD with momentum and of Adam (with --schedule), the largest absolute
    difference and the largest relative one (against the largest |value|). A quantity passes when
    max|a - b| <= atol + rtol * max|b|; the exit status is 1 when any fails.

    A lab ID (B1, C3, ...; see `chainrule lab list`) checks every distinct network the lab
    trains, each with its step's initialisation and loss (e.g. C3's hand-written softmax log).

    Dropout layers are compared with p = 0 in training mode (their random masks cannot match) and
    as they are in evaluation mode; the optimiser steps run in float64 (said in the notes).

    \b
    Examples:
      chainrule parity c2
      chainrule parity c6 --steps 5
      chainrule parity C3                  # every network of lab C3
      chainrule parity examples/c4.toml --all
    """
    from ..backends.torch_backend import require_torch
    from ..labs import labs

    require_torch()
    options = dict(steps=steps, lrs={"sgd": sgd_lr, "adam": adam_lr}, momentum=momentum,
                   schedule=(schedule.kind, schedule.args), rtol=rtol, atol=atol, perturb=perturb)
    lab = None if model in models.names() else labs().get(model.upper())  # c2: the model; C2: lab C2's networks
    if lab is not None:
        ok = _lab_parity(lab, input_shape, classes, batch_size, seed, show_all, options)
    else:
        ok = _model_parity(model, input_shape, classes, batch_size, seed, show_all, options)
    if not ok:
        raise SystemExit(1)


def _batch(shape, classes, batch_size, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch_size, *shape)).astype(np.float32), rng.integers(0, classes, batch_size)


def _model_parity(model, input_shape, classes, batch_size, seed, show_all, options) -> bool:
    from .. import manual_seed

    name = model.lower() if model.lower() in models.names() else model
    choice = resolve_model(name)
    if input_shape:
        shape = parse_shape(input_shape)
    elif choice.input is not None:
        shape = tuple(choice.input)
    else:
        shape = (1, 28, 28)
    manual_seed(seed)
    network = choice.build(shape, classes)
    header = (f"parity of {choice.name} ({'spec ' + str(choice.path) if choice.path else 'named'}), "
              f"input {'x'.join(map(str, shape))}, batch {batch_size}, {classes} classes, seed {seed}")
    return _compare(network, _batch(shape, classes, batch_size, seed), header, show_all, options)


def _lab_parity(lab, input_shape, classes, batch_size, seed, show_all, options) -> bool:
    from .. import manual_seed
    from ..labs.framework import architectures, loss_pair

    shape = parse_shape(input_shape) if input_shape else (1, 28, 28)
    found = architectures(lab)
    click.echo(f"parity of lab {lab.id}: {len(found)} distinct network(s), input {'x'.join(map(str, shape))}, "
               f"batch {batch_size}, seed {seed}")
    ok = True
    for names, build, loss in found:
        manual_seed(seed)
        network = build(shape, classes)
        header = f"{', '.join(names)} ({loss})"
        ok &= _compare(network, _batch(shape, classes, batch_size, seed), header, show_all,
                       dict(options, losses=loss_pair(loss)), brief=not show_all)
    return ok


def _compare(network, batch, header, show_all, options, brief=False) -> bool:
    """Run the comparison and print it: the worst rows (every row with ``show_all``; with
    ``brief`` only a line, and the table when something fails). True when all pass."""
    from ..backends.torch_backend import parity as run_parity

    result = run_parity(network, *batch, **options)
    atol, rtol = options["atol"], options["rtol"]
    worst = result.worst
    failed = [r for r in result.rows if not r.ok]
    if brief and not failed:
        click.echo(f"  OK  {header}: {len(result.rows)} quantities, largest relative difference "
                   f"{worst.max_rel:.2e} ({worst.what})")
        return True
    rows = result.rows if show_all else sorted(result.rows, key=lambda r: (r.ok, -r.max_rel))[:12]
    click.echo(f"{header}: {len(result.rows)} quantities compared" +
               ("" if show_all else " (worst first; --all for every one)"))
    cells = [("quantity", "max |abs diff|", "max rel diff", "tolerance", "")]
    cells += [(r.what, f"{r.max_abs:.3e}", f"{r.max_rel:.3e}", f"{r.tol:.3e}", "ok" if r.ok else "FAIL")
              for r in rows]
    click.echo(table(cells, right=(1, 2, 3)))
    for note in result.notes:
        click.echo(f"note: {note}")
    if failed:
        click.echo(f"FAIL: {len(failed)} of {len(result.rows)} quantities differ beyond atol={atol:g} + "
                   f"rtol={rtol:g}·max|b| (worst: {failed[0].what}: {failed[0].max_abs:.3e})", err=True)
        return False
    click.echo(f"OK: chainrule and PyTorch agree within atol={atol:g}, rtol={rtol:g} "
               f"(largest relative difference {worst.max_rel:.2e}: {worst.what})")
    return True
