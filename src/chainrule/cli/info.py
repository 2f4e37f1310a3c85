"""``chainrule models`` and ``chainrule summary``."""

from __future__ import annotations

import inspect

import click

from .. import models
from ._app import main
from ._common import parse_shape, resolve_model


@main.command("models")
@click.option("--layers", is_flag=True, help="List the layer types a .toml spec may use, with their fields.")
def list_models(layers):
    """List the named architectures (or, with --layers, the layer types of spec files).

    Any command's --model takes one of these names or a .toml spec file of layers.

    \b
    Examples:
      chainrule models
      chainrule models --layers
    """
    if not layers:
        for name, description in models.names().items():
            click.echo(f"{name:12s} {description}")
        return
    from ..spec import INFERRED_FIELDS, layer_types

    for name, cls in layer_types().items():
        fields = []
        for field, p in inspect.signature(cls.__init__).parameters.items():
            if field == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            if field in INFERRED_FIELDS:
                fields.append(f"[{field}]")
            elif p.default is inspect.Parameter.empty:
                fields.append(field)
            else:
                fields.append(f"{field}={p.default!r}")
        click.echo(f"{name:12s} {', '.join(fields) or '(no fields)'}")
    click.echo("\n[field]: inferred from the input shape. Every layer also takes "
               "init = { weight = \"normal:0.1\", bias = \"constant:0.1\" } (see chainrule.spec).")


@main.command()
@click.argument("model", metavar="NAME|SPEC")
@click.option("--input", "input_shape", help="Input shape C x H x W  [default: the spec's input, else 1x28x28]")
@click.option("--classes", type=click.IntRange(min=1),
              help="Number of classes  [default: 10; for a spec, its last layer's width, checked when given]")
def summary(model, input_shape, classes):
    """Print the layer table of a named architecture or a .toml spec file.

    \b
    Examples:
      chainrule summary c2 --input 1x28x28
      chainrule summary c6 --input 1x32x32 --classes 100
      chainrule summary examples/c4.toml
    """
    from ..summary import summary as model_summary

    shape = parse_shape(input_shape) if input_shape else None
    choice = resolve_model(model)
    if choice.spec is not None:
        from ..spec import build_from_spec

        network, shape = build_from_spec(choice.spec, shape, classes)
    else:
        shape = shape or (1, 28, 28)
        network = choice.build(shape, classes or 10, check=False)  # the summary's forward pass checks it
    click.echo(str(model_summary(network, (1, *shape))))
