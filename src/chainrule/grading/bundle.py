"""A Gradescope autograder bundle: ``autograder.zip`` with ``setup.sh``, ``run_autograder`` and
the exact chainrule source that made it.

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once when it builds the
image, then ``run_autograder`` for each submission, which it places in
``/autograder/submission``; the grade goes to ``/autograder/results/results.json``.
``CHAINRULE_AUTOGRADER_ROOT`` replaces ``/autograder`` (for testing the bundle locally).

The bundle ships chainrule's own source (``lib/chainrule``), so the grader that runs is the one
that was tested here; ``setup.sh`` installs the pinned versions of what it imports.
"""

from __future__ import annotations

import io
import zipfile
from importlib import metadata
from pathlib import Path

from .._files import atomic_write_bytes
from .registry import get_assignment

SETUP = """#!/usr/bin/env bash
# Installs what the chainrule grader imports, at the versions it was built with.
set -euo pipefail
apt-get install -y -qq python3-pip >/dev/null 2>&1 || true
python3 -m pip install --quiet {requirements}
"""

RUN = """#!/usr/bin/env bash
# Grades /autograder/submission into /autograder/results/results.json with chainrule {version}.
set -uo pipefail
ROOT="${{CHAINRULE_AUTOGRADER_ROOT:-/autograder}}"
export PYTHONPATH="$ROOT/source/lib${{PYTHONPATH:+:$PYTHONPATH}}"
mkdir -p "$ROOT/results"
python3 -c 'from chainrule.cli import main; main()' grade {assignment} "$ROOT/submission" \\
    --json "$ROOT/results/results.json" --out "$ROOT/results/feedback" {options}
"""


def _pin(name: str) -> str:
    try:
        return f"{name}=={metadata.version(name)}"
    except metadata.PackageNotFoundError:
        return name


def requirements(assignment) -> list[str]:
    """What the grader needs on Gradescope's image: chainrule's dependencies, matplotlib for the
    plots, and torch for the PyTorch sheets (pinned as in the project's tests)."""
    needs = ["numpy", "click", "matplotlib"]
    if "torch" in assignment.allowed_imports:
        needs.append("torch")
    return [_pin(name) for name in needs]


def build(assignment_id: str, out, options: str = "") -> Path:
    """Write the bundle for ``assignment_id`` to ``out`` (a .zip path); ``options`` are extra
    ``chainrule grade`` options for every run (``--timeout 120``, say)."""
    assignment = get_assignment(assignment_id)
    package = Path(__file__).resolve().parents[1]
    version = metadata.version("chainrule")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        _executable(archive, "setup.sh", SETUP.format(requirements=" ".join(requirements(assignment))))
        _executable(archive, "run_autograder", RUN.format(version=version, assignment=assignment.id,
                                                          options=options))
        for file in sorted(package.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts and file.suffix != ".pyc":
                archive.write(file, Path("lib") / file.relative_to(package.parent))
    return atomic_write_bytes(out, buffer.getvalue())


def _executable(archive: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o755 << 16
    archive.writestr(info, text)
