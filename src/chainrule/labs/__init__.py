"""Labs: each training exercise of the catalogue (docs/exercises.md) as one command that runs it
and answers its questions with numbers measured in the run.

    from chainrule.labs import list_labs, run_lab
    run_lab("C2", quick=True, out="runs/lab-c2")     # report.md, metrics.json, per-step reports

A lab is one small file here (``c2.py``, ...) declaring a :class:`~.framework.Lab`: its steps
(models, data, optimiser, schedule, iterations) and its questions; :mod:`.framework` trains the
steps with the library's Trainer and writes the reports with :mod:`chainrule.report`.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from .framework import Comparison, Context, Lab, Question, Step, StepResult

_MODULES = ("b1", "b2", "c2", "c3", "c4", "c5", "c6")
"""The lab files, in the catalogue's order."""


def labs() -> dict[str, Lab]:
    """Every registered lab by ID (``C2``, ...), in the catalogue's order."""
    found = {}
    for name in _MODULES:
        lab = importlib.import_module(f".{name}", __name__).LAB
        found[lab.id] = lab
    return found


def get_lab(lab_id: str) -> Lab:
    """The lab with this ID (case-insensitive)."""
    registry = labs()
    for key, lab in registry.items():
        if key.lower() == str(lab_id).strip().lower():
            return lab
    raise ValueError(f"unknown lab {lab_id!r}; choose one of: {', '.join(registry)}")


def list_labs() -> list[dict]:
    """ID, title, what it trains and the expected full-run time of every lab."""
    return [{"id": lab.id, "title": lab.title, "trains": lab.trains, "expected": lab.expected,
             "steps": len(lab.steps)} for lab in labs().values()]


def run_lab(lab_id: str, quick: bool = False, seed: int = 0, out=None, data_dir=None, log=print,
            backend: str = "chainrule", device=None) -> Path:
    """Run lab ``lab_id`` and write its report into ``out`` (default ``runs/lab-<id>``);
    ``quick``: every step on a small slice of the data; ``backend``: ``"chainrule"``,
    ``"torch"`` or ``"both"`` (side by side); ``device`` for PyTorch (auto, cpu, cuda).
    Returns the path of report.md."""
    from .framework import run

    return run(get_lab(lab_id), quick=quick, seed=seed, out=out, data_dir=data_dir, log=log, backend=backend,
               device=device)


__all__ = ["Comparison", "Context", "Lab", "Question", "Step", "StepResult", "get_lab", "labs", "list_labs",
           "run_lab"]
