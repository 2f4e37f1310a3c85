"""``chainrule lab list`` and ``chainrule lab run``: the catalogue's training exercises as labs."""

from __future__ import annotations

from pathlib import Path

import click

from ._app import main


@main.group("lab")
def lab():
    """Run a training exercise of the catalogue (C2-C6) and write a report answering its questions.

    \b
    Examples:
      chainrule lab list
      chainrule lab run C2 --quick
      chainrule lab run C3 --seed 1 --out runs/c3
    """


@lab.command("list")
def list_command():
    """List the labs: ID, title, what it trains and the expected full-run time."""
    from ..labs import list_labs

    rows = list_labs()
    click.echo(f"{'ID':4s}  {'expected':14s}  {'steps':>5s}  title / trains")
    for row in rows:
        click.echo(f"{row['id']:4s}  {row['expected']:14s}  {row['steps']:5d}  {row['title']}")
        click.echo(f"{'':4s}  {'':14s}  {'':5s}  trains: {row['trains']}")


@lab.command("run")
@click.argument("lab_id", metavar="ID")
@click.option("--quick", is_flag=True, help="Every step on a small slice of the data (a minute or two).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the weights and the batch order.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Report folder  [default: runs/lab-<id>[-quick]]")
@click.option("--data-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Where the dataset is (its folder, or a folder holding mnist/, fashion-mnist/).")
@click.option("--backend", default="chainrule", show_default=True, type=click.Choice(["chainrule", "torch", "both"]),
              help="Train on chainrule's engine, on PyTorch twins of the models, or on both with the results "
                   "side by side in the report (torch needs pip install 'chainrule[torch]').")
@click.option("--device", default="auto", show_default=True,
              help="With --backend torch/both: auto (CUDA when available), cpu, cuda or cuda:N.")
def run_command(lab_id, quick, seed, out, data_dir, backend, device):
    """Run lab ID (see `chainrule lab list`): train its steps in order, then write report.md,
    metrics.json, comparison plots and each step's report (curves, predictions, confusion, summary).

    \b
    Examples:
      chainrule lab run C2 --quick
      chainrule lab run C4 --out runs/c4 --data-dir ../shared/data
      chainrule lab run C5 --backend both        # chainrule and PyTorch side by side
    """
    from ..labs import get_lab, run_lab
    from ..labs.framework import check_backend

    check_backend(get_lab(lab_id), backend)  # an unknown ID or backend fails before any data is read
    run_lab(lab_id, quick=quick, seed=seed, out=out, data_dir=data_dir, log=click.echo, backend=backend,
            device=None if backend == "chainrule" else device)


__all__ = ["lab"]
