"""``explain``, ``conv`` and ``verify``: the pen-and-paper worksheets (exercises A1–A7).

Thin commands over :mod:`chainrule.worksheets`; every number comes from the engine.
"""

from __future__ import annotations

import click

from ._app import main
from ._common import data_dir_option, data_option, model_option

FORMATS = click.Choice(["text", "markdown", "latex"])


@main.command()
@click.argument("problem", required=False, metavar="[FILE.toml]")
@click.option("--example", help="A shipped worksheet: A1, A2 (TOML), A3 (skip-connection graph) or A4 "
                                "(matrix form).")
@click.option("--random", "random_shape", metavar="SHAPE",
              help="A fresh practice problem with integer weights, e.g. 2-3-1 (seeded by --seed).")
@click.option("--seed", default=0, show_default=True, help="Seed for --random.")
@click.option("--activation", default="relu", show_default=True, help="Hidden activation for --random.")
@click.option("--relu-at-zero", type=float, help="f'(0) convention for --random's hidden units "
                                                   "(default: 0 as PyTorch; A1 uses 1).")
@click.option("--lr", type=float, help="Learning rate for the update (overrides the problem's).")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.option("--only", metavar="QUANTITY", help="Print one quantity, e.g. dC/dW1[1,1], dC/dW2, v, y or C.")
@click.option("--show-problem", is_flag=True, help="Print the example's TOML (to copy and vary) and stop.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="A3: write the graph here "
              "(a3_graph.dot, and .svg/.png when Graphviz is installed).")
@click.option("--inputs", "n_inputs", type=click.IntRange(min=1), default=3, show_default=True, help="A3: N inputs.")
@click.option("--hidden", "k_hidden", type=click.IntRange(min=1), default=2, show_default=True, help="A3: K hidden units.")
@click.option("--sizes", default="784,7,10", show_default=True, help="A4: n0,n1,…,nL (L = 2, n1 = 7, n2 = 10 "
              "as in the exercise).")
@click.option("--batch", type=click.IntRange(min=1), help="A4: batch size m (default: both m = 1 and m = 8).")
@click.option("--weight-decay", type=click.FloatRange(min=0), help="A4: λ (default: both λ = 0 and λ = 0.01).")
def explain(problem, example, random_shape, seed, activation, relu_at_zero, lr, fmt, only, show_problem,
            out_dir, n_inputs, k_hidden, sizes, batch, weight_decay):
    """Forward pass, loss, backward pass and one gradient step of a small network, with every
    chain-rule product written out in numbers (exercises A1, A2).

    \b
    Examples:
      chainrule explain --example A1
      chainrule explain --example A1 --only 'dC/dW1[1,1]'
      chainrule explain --example A1 --format markdown > a1.md
      chainrule explain --example A1 --show-problem > mine.toml; chainrule explain mine.toml
      chainrule explain --random 3-4-2 --seed 7 --relu-at-zero 1
      chainrule explain --example A3 --out a3/          (graph as .dot/.svg/.png, paths to x, checks)
      chainrule explain --example A3 --inputs 4 --hidden 3 --seed 1
      chainrule explain --example A4                    (m = 1 and 8, λ = 0 and 0.01, sizes 784,7,10)
      chainrule explain --example A4 --sizes 5,7,10 --batch 16 --weight-decay 0.1
      chainrule explain --example A4 --format latex > a4.tex

    A3 and A4 are defined in Python (chainrule.worksheets.graph_sheet, .matrix_form); they print
    text, Markdown or LaTeX (--format) and exit 1 if a check fails.
    """
    from ..worksheets import explain as ex

    if example and example.upper() in ("A3", "A4"):
        if problem or random_shape or show_problem or only:
            raise click.UsageError(f"--example {example.upper()} takes no FILE, --random, --show-problem or --only")
        if example.upper() == "A3":
            from ..worksheets.graph_sheet import a3_worksheet

            sheet = a3_worksheet(n_inputs, k_hidden, seed)
            click.echo(sheet.render(fmt), nl=False)
            if out_dir:
                _, said = sheet.write_graph(out_dir)
                click.echo(said)
        else:
            from ..worksheets import matrix_form as mf

            try:
                widths = [int(v) for v in sizes.split(",")]
            except ValueError:
                raise click.BadParameter(f"{sizes!r} is not a list like 784,7,10", param_hint="'--sizes'") from None
            sheet = mf.worksheet(widths, (batch,) if batch else (1, 8),
                                 (weight_decay,) if weight_decay is not None else (0.0, 0.01), seed)
            click.echo(sheet.render(fmt), nl=False)
        if not sheet.passed:
            raise SystemExit(1)
        return

    chosen = [v for v in (problem, example, random_shape) if v]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of FILE.toml, --example NAME or --random SHAPE")
    if show_problem:
        if not example:
            raise click.UsageError("--show-problem goes with --example")
        click.echo(ex.example_text(example), nl=False)
        return
    if example:
        prob = ex.load_example(example)
    elif random_shape:
        prob = ex.random_problem(random_shape, seed, activation, relu_at_zero)
    else:
        prob = ex.load(problem)
    if lr is not None:
        prob.lr = lr
    sheet = ex.solve(prob)
    click.echo(sheet.only(only, fmt) if only else sheet.render(fmt), nl=False)


def _ints(values, name, count):
    if not values:
        return None
    if len(values) == 1:
        return list(values) * count
    if len(values) != count:
        raise click.UsageError(f"give --{name} once (for every layer) or once per --kernel ({count} times)")
    return list(values)


@main.command()
@click.option("--input", "input_size", metavar="HxW", help="Input size, e.g. 32x32 (or 32).")
@click.option("--in-channels", type=int, default=1, show_default=True, help="Input channels (3 for RGB).")
@click.option("--kernel", multiple=True, metavar="F|FhxFw", help="Filter size; repeat for a stack of layers.")
@click.option("--stride", multiple=True, type=int, help="Stride (default 1); once, or once per --kernel.")
@click.option("--padding", multiple=True, type=int, help="Padding (default 0); once, or once per --kernel.")
@click.option("--filters", multiple=True, type=int, help="Number of filters (default 1); once, or once per --kernel.")
@click.option("--bias/--no-bias", default=True, show_default=True, help="Count one bias per filter.")
@click.option("--output", "output_size", metavar="HxW", help="Output size, with --solve.")
@click.option("--solve", type=click.Choice(["kernel", "padding", "stride", "input"]),
              help="Solve for this quantity from the others and --output.")
@click.option("--image", metavar="MATRIX", help="Convolve this matrix by hand, e.g. '1 2 3; 4 5 6; 7 8 9'.")
@click.option("--filter", "filter_", metavar="MATRIX", help="The filter for --image, e.g. '1 0; 0 -1'.")
@click.option("--hyperparameters", is_flag=True, help="Which conv settings are hyperparameters, which learned.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True)
def conv(input_size, in_channels, kernel, stride, padding, filters, bias, output_size, solve, image, filter_,
         hyperparameters, fmt):
    """Convolution arithmetic (exercise A6): output sizes with the formula filled in, a missing
    quantity solved for, stacks of layers with their parameter counts, a convolution by hand.

    \b
    Examples:
      chainrule conv --input 10x12 --kernel 6 --stride 2 --padding 2
      chainrule conv --input 32x32 --padding 2 --output 32x32 --solve kernel
      chainrule conv --input 12x12 --in-channels 3 --kernel 3 --filters 1
      chainrule conv --input 28x28 --kernel 6 --stride 2 --padding 2 --filters 4 \\
                     --kernel 3 --stride 1 --padding 0 --filters 3
      chainrule conv --image '1 2 3; 4 5 6; 7 8 9' --filter '1 0; 0 -1' --padding 1
      chainrule conv --hyperparameters
    """
    from ..worksheets import convarith as ca
    from ..worksheets._format import parse_matrix

    did = False
    if hyperparameters:
        click.echo("| setting | kind | how it is set |\n| --- | --- | --- |" if fmt == "markdown" else "")
        for row in ca.HYPERPARAMETERS:
            click.echo(f"| {' | '.join(row)} |" if fmt == "markdown" else f"{row[0]:28s} {row[1]:15s} {row[2]}")
        did = True
    if image or filter_:
        if not (image and filter_):
            raise click.UsageError("--image and --filter go together")
        hand = ca.by_hand(parse_matrix(image), parse_matrix(filter_), stride[0] if stride else 1,
                          padding[0] if padding else 0)
        click.echo(hand.text(), nl=False)
        return
    if solve:
        if not input_size and solve != "input":
            raise click.UsageError("--solve needs --input (unless solving for it)")
        if not output_size:
            raise click.UsageError("--solve needs --output")
        ins = ca._pair(input_size, "input") if input_size else (None, None)
        outs = ca._pair(output_size, "output")
        ks = ca._pair(kernel[0], "kernel") if kernel else (None, None)
        if solve != "kernel" and not kernel:
            raise click.UsageError(f"solving for the {solve} needs --kernel")
        values = []
        for d, dim in enumerate(("height", "width")):
            value, text = ca.solve(solve, ins[d], ks[d], stride[0] if stride else (None if solve == "stride" else 1),
                                   padding[0] if padding else (None if solve == "padding" else 0), outs[d], dim)
            values.append(value)
            click.echo(f"{dim}: {text}")
        click.echo(f"{solve} = {values[0] if values[0] == values[1] else f'{values[0]}x{values[1]}'}")
        return
    if kernel:
        if not input_size:
            raise click.UsageError("give --input HxW")
        n = len(kernel)
        strides, pads, counts = _ints(stride, "stride", n), _ints(padding, "padding", n), _ints(filters, "filters", n)
        layers = [ca.ConvLayer(k, strides[i] if strides else 1, pads[i] if pads else 0,
                               counts[i] if counts else 1, bias) for i, k in enumerate(kernel)]
        result = ca.stack(input_size, in_channels, layers)
        click.echo(result.markdown() if fmt == "markdown" else result.text(), nl=False)
        return
    if not did:
        raise click.UsageError("give --kernel (with --input), --solve, --image/--filter or --hyperparameters")


@main.command()
@click.argument("network", required=False, metavar="[FILE.toml]")
@click.option("--example", help="A shipped solution: A7.")
@click.option("--random", "random_count", default=1000, show_default=True, help="Random inputs per group.")
@click.option("--integers", default=5, show_default=True,
              help="Also test every tuple from {0..N-1} (0 to skip).")
@click.option("--seed", default=0, show_default=True)
@click.option("--show-network", is_flag=True, help="Print the example's TOML and stop.")
def verify(network, example, random_count, integers, seed, show_network):
    """Check a hand-designed step-activation network against its predicate (exercise A7) on random
    inputs, ties at every position, near-ties and every small-integer tuple; print counterexamples.
    Exits 1 when a counterexample is found.

    \b
    Examples:
      chainrule verify --example A7
      chainrule verify --example A7 --show-network > mine.toml; chainrule verify mine.toml
    """
    from ..worksheets import threshold as th

    if bool(network) == bool(example):
        raise click.UsageError("give exactly one of FILE.toml or --example NAME")
    if show_network:
        from importlib import resources

        path = resources.files("chainrule.worksheets").joinpath("examples").joinpath(f"{example}.toml")
        if not path.is_file():
            raise click.UsageError(f"no example {example!r}")
        click.echo(path.read_text(encoding="utf-8"), nl=False)
        return
    net = th.load_example(example) if example else th.load(network)
    result = th.verify(net, random_count, seed, integers or None)
    click.echo(result.text(), nl=False)
    if not result.passed:
        raise SystemExit(1)


@main.command()
@click.option("--points", default="-2,-1,0,1,2", show_default=True, help="Comma-separated points z.")
@click.option("--alpha", default=0.1, show_default=True, help="α of leaky ReLU and ELU.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), metavar="FILE.png",
              help="Also draw each activation and its derivative to this file (.png, .svg or .pdf).")
@click.option("--dead", "dead_weights", type=click.Path(exists=True, dir_okay=False), metavar="WEIGHTS",
              help="Instead: the dead-ReLU-unit report of these trained weights (a model.npz) on --data.")
@model_option(None)
@data_option(None)
@data_dir_option()
@click.option("--split", type=click.Choice(["train", "test"]), default="test", show_default=True,
              help="With --dead: which split's samples.")
@click.option("--limit", type=click.IntRange(min=1), help="With --dead: only the first N samples.")
def activations(points, alpha, plot_path, dead_weights, model, dataset, data_dir, split, limit):
    """Each activation and its derivative (by autograd) at chosen points, and the facts of
    exercise A5 checked numerically; with --plot, a figure of them; with --dead, the ReLU units of a
    trained model that are dead on a data set (pre-activation <= 0 on every sample).

    The model and dataset of --dead default to those in the run.json beside WEIGHTS, as for
    `chainrule evaluate`.

    \b
    Examples:
      chainrule activations
      chainrule activations --points=-0.5,0,0.5 --alpha 0.01
      chainrule activations --plot activations.png
      chainrule activations --dead runs/mlp/model.npz --limit 2000
      chainrule activations --dead weights.npz --model mlp --data digits
    """
    from ..worksheets import activations as act

    if dead_weights:
        from pathlib import Path

        from ._common import class_names, load_split, load_weights, model_for_weights

        choice, dataset = model_for_weights(Path(dead_weights), model, dataset)
        samples = load_split(dataset, split, data_dir, limit)
        network = choice.build(tuple(samples.x.shape[1:]), len(class_names(dataset)))
        load_weights(network, Path(dead_weights), choice.name)
        click.echo(f"{choice.name} on the {dataset} {split} set ({len(samples)} samples)")
        click.echo(act.dead_report(act.dead_units(network, samples.x)), nl=False)
        return

    try:
        zs = [float(p) for p in points.split(",")]
    except ValueError:
        raise click.BadParameter(f"{points!r} is not a list like -1,0,1", param_hint="'--points'") from None
    click.echo(act.table(zs, alpha=alpha), nl=False)
    click.echo("")
    for text, ok in act.facts(alpha):
        click.echo(f"[{'ok' if ok else 'FAILED'}] {text}")
    if plot_path:
        act.plot(plot_path, alpha=alpha)
        click.echo(f"wrote {plot_path}")
