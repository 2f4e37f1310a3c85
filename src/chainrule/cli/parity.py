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
@click.argument("model", metavar="NAME|SPEC")
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

    Dropout layers are compared with p = 0 in training mode (their random masks cannot match) and
    as they are in evaluation mode; the optimiser steps run in float64 (said in the notes).

    \b
    Examples:
      chainrule parity c2
      chainrule parity C6 --steps 5
      chainrule parity examples/c4.toml --all
    """
    from ..backends.torch_backend import parity as run_parity, require_torch
    from .. import manual_seed

    require_torch()
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
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch_size, *shape)).astype(np.float32)
    y = rng.integers(0, classes, batch_size)
    result = run_parity(network, x, y, steps=steps, lrs={"sgd": sgd_lr, "adam": adam_lr}, momentum=momentum,
                        schedule=(schedule.kind, schedule.args), rtol=rtol, atol=atol, perturb=perturb)
    rows = result.rows if show_all else sorted(result.rows, key=lambda r: (r.ok, -r.max_rel))[:12]
    click.echo(f"parity of {choice.name} ({'spec ' + str(choice.path) if choice.path else 'named'}), "
               f"input {'x'.join(map(str, shape))}, batch {batch_size}, {classes} classes, seed {seed}: "
               f"{len(result.rows)} quantities compared" + ("" if show_all else " (worst first; --all for every one)"))
    cells = [("quantity", "max |abs diff|", "max rel diff", "tolerance", "")]
    cells += [(r.what, f"{r.max_abs:.3e}", f"{r.max_rel:.3e}", f"{r.tol:.3e}", "ok" if r.ok else "FAIL")
              for r in rows]
    click.echo(table(cells, right=(1, 2, 3)))
    for note in result.notes:
        click.echo(f"note: {note}")
    worst = result.worst
    failed = [r for r in result.rows if not r.ok]
    if failed:
        click.echo(f"FAIL: {len(failed)} of {len(result.rows)} quantities differ beyond atol={atol:g} + "
                   f"rtol={rtol:g}·max|b| (worst: {failed[0].what}: {failed[0].max_abs:.3e})", err=True)
        raise SystemExit(1)
    click.echo(f"OK: chainrule and PyTorch agree within atol={atol:g}, rtol={rtol:g} "
               f"(largest relative difference {worst.max_rel:.2e}: {worst.what})")
