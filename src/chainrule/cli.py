"""The ``chainrule`` command line: a thin layer over the library.

User mistakes (a bad option, a missing file, an impossible shape) end with a
one-line message and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import models

_USER_ERRORS = (ValueError, TypeError, FileNotFoundError, FloatingPointError, RuntimeError)


class _FriendlyGroup(click.Group):
    """Turns the library's errors about the user's input into ``Error: …`` lines."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except _USER_ERRORS as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)


@click.group(cls=_FriendlyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="chainrule")
def main():
    """chainrule: a neural-network lab on a from-scratch NumPy autograd engine.

    \b
    Examples:
      chainrule train                          # MNIST MLP, report in runs/mlp-mnist
      chainrule train --model c2 --epochs 1    # the C2 CNN
      chainrule summary c6 --input 1x28x28
      chainrule models
    """


@main.command("models")
def list_models():
    """List the named architectures."""
    for name, description in models.names().items():
        click.echo(f"{name:12s} {description}")


def _parse_shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(part) for part in text.lower().split("x"))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a shape like 1x28x28") from None
    if len(shape) != 3 or min(shape) < 1:
        raise click.BadParameter(f"{text!r}: give channels x height x width, e.g. 1x28x28")
    return shape


@main.command()
@click.argument("model")
@click.option("--input", "input_shape", default="1x28x28", show_default=True, help="Input shape C x H x W.")
@click.option("--classes", default=10, show_default=True, help="Number of classes.")
def summary(model, input_shape, classes):
    """Print the layer table of a named architecture.

    \b
    Example:
      chainrule summary c2 --input 1x28x28
    """
    from .summary import summary as model_summary

    shape = _parse_shape(input_shape)
    click.echo(str(model_summary(models.build(model, shape, classes), (1, *shape))))


@main.command()
@click.option("--model", default="mlp", show_default=True, help="A named architecture (see `chainrule models`).")
@click.option("--data", "dataset", default="mnist", show_default=True,
              type=click.Choice(["mnist", "fashion-mnist", "digits"]), help="Dataset.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), envvar="CHAINRULE_DATA",
              help="Folder with the IDX files (default: CHAINRULE_DATA, the cache, system folders).")
@click.option("--optimizer", default="adam", show_default=True, type=click.Choice(["sgd", "adam"]))
@click.option("--lr", default=1e-3, show_default=True, help="Learning rate.")
@click.option("--momentum", default=0.0, show_default=True, help="SGD momentum.")
@click.option("--epochs", default=2, show_default=True, help="Passes over the training set.")
@click.option("--batch-size", default=100, show_default=True)
@click.option("--limit", type=click.IntRange(min=1), help="Use only the first N training images (quick runs).")
@click.option("--seed", default=0, show_default=True, help="Seeds the weights and the batch order.")
@click.option("--eval-every", default=100, show_default=True, help="Evaluate on the test set every N iterations.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder (default runs/MODEL-DATA).")
def train(model, dataset, data_dir, optimizer, lr, momentum, epochs, batch_size, limit, seed, eval_every, out):
    """Train a network on real data and write its report.

    The report folder holds report.md, curves.png (loss and accuracy), metrics.json,
    history.json and the trained weights (model.npz).

    \b
    Examples:
      chainrule train --model mlp --epochs 2
      chainrule train --model c2 --data fashion-mnist --lr 0.001 --out runs/c2-fashion
    """
    from . import manual_seed, nn, optim
    from .data import DataLoader, load
    from .report import write_run_report
    from .serialization import save
    from .summary import summary as model_summary
    from .training import evaluate, fit

    out = out or Path("runs") / f"{model}-{dataset}"
    train_set = load(dataset, "train", data_dir=data_dir, download=True)
    test_set = load(dataset, "test", data_dir=data_dir, download=True)
    x, y = (train_set.x[:limit], train_set.y[:limit]) if limit else (train_set.x, train_set.y)
    manual_seed(seed)
    network = models.build(model, x.shape[1:], len(train_set.classes))
    loss_fn = nn.CrossEntropyLoss()
    opt = (optim.Adam(network.parameters(), lr=lr) if optimizer == "adam"
           else optim.SGD(network.parameters(), lr=lr, momentum=momentum))
    loader = DataLoader(x, y, batch_size=batch_size, shuffle=True, seed=seed)
    with _progress_bar(epochs * len(loader)) as progress:
        history = fit(network, loss_fn, opt, loader, epochs=epochs, eval_data=(test_set.x, test_set.y),
                      eval_every=eval_every, progress=progress)
    test_loss, test_acc = evaluate(network, loss_fn, test_set.x, test_set.y)
    metrics = {"test_accuracy": test_acc, "test_loss": test_loss, "train_images": len(x),
               "iterations": history.iteration[-1], "seconds": round(history.seconds, 2),
               "parameters": sum(p.numel() for p in network.parameters())}
    save(network.state_dict(), out / "model.npz")
    report = write_run_report(
        out, title=f"{model} on {dataset}", history=history,
        summary=model_summary(network, (1, *x.shape[1:])), metrics=metrics,
        settings={"model": model, "data": dataset, "optimizer": optimizer, "lr": lr, "epochs": epochs,
                  "batch size": batch_size, "seed": seed, "training images": len(x)},
    )
    click.echo(f"test accuracy {test_acc:.4f}, loss {test_loss:.4f}, {history.seconds:.1f}s; report: {report}")


class _progress_bar:
    """tqdm when writing to a terminal, silent otherwise."""

    def __init__(self, total: int):
        self.total, self.bar = total, None

    def __enter__(self):
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, unit="it", leave=False)
        return self.update

    def update(self, step, total, record):
        if self.bar is not None:
            self.bar.update(1)
            if step % 20 == 0:
                self.bar.set_postfix(loss=f"{record['loss']:.3f}", acc=f"{record['acc']:.2f}")

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()
