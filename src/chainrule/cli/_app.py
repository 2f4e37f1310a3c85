"""The click group and its error handling."""

from __future__ import annotations

import os
import sys

import click

USER_ERRORS = (ValueError, TypeError, OSError, FloatingPointError, RuntimeError)
"""Errors the library raises about the user's input (SpecError, DatasetError, CheckpointError
and LayerError are ValueErrors; NotImplementedError is a RuntimeError)."""


class FriendlyGroup(click.Group):
    """Turns the library's errors about the user's input into one-line ``Error: ...`` messages
    (exit 1); click's usage errors pass through untouched (exit 2)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except USER_ERRORS as exc:
            if os.environ.get("CHAINRULE_DEBUG"):
                raise
            raise click.ClickException(_one_line(exc)) from None
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename and str(exc.filename) not in text:
        text = f"{exc.filename}: {text}"
    return text


@click.group(cls=FriendlyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="chainrule")
def main():
    """chainrule: a neural-network lab on a from-scratch NumPy autograd engine.

    A model is a named architecture (see `chainrule models`) or a TOML file of layers
    (see examples/*.toml and `chainrule models --layers`).

    \b
    Examples:
      chainrule train                              # MNIST MLP, report in runs/mlp-mnist
      chainrule train --model c2 --epochs 1        # the C2 CNN
      chainrule train --model examples/c4.toml --iterations 6000 --schedule decay:2000:0.0001
      chainrule evaluate runs/c2-mnist/model.npz
      chainrule predict runs/c2-mnist/model.npz digit.png
      chainrule summary c6 --input 1x28x28
      chainrule data list
    """
