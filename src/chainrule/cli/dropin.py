"""``chainrule run-torch SCRIPT [ARGS]...``: a PyTorch script on chainrule's engine, unchanged."""

from __future__ import annotations

import os
import traceback
from pathlib import Path

import click

from ._app import main


@main.command("run-torch", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("script", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def run_torch(script: Path, args) -> None:
    """Run a PyTorch SCRIPT with `import torch` giving chainrule (also torch.nn,
    torch.nn.functional, torch.optim, torch.utils.data): the script is not changed.
    ARGS are the script's own command line.

    \b
    Examples:
      chainrule run-torch examples/torch_dropin/custom_module.py
      chainrule run-torch train.py --epochs 2

    What PyTorch offers and chainrule does not (CUDA, torch.autograd.grad, ...) raises an
    error that says so; see the README's section on the swap.
    """
    from ..dropin import run_script

    try:
        run_script(str(script), args)
    except Exception as exc:  # noqa: BLE001 - the script's own error: shown as Python would show it
        _print_script_traceback(exc, script)
        raise SystemExit(1) from None


def _print_script_traceback(exc: BaseException, script: Path) -> None:
    """The traceback from the script's first frame on (chainrule's launcher frames left out)."""
    tb, path = exc.__traceback__, os.path.abspath(script)
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != path:
        tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb or exc.__traceback__)
