"""PyTorch code on chainrule's engine, unchanged: after :func:`alias_torch`, ``import torch``
(and ``torch.nn``, ``torch.nn.functional``, ``torch.optim``, ``torch.utils.data`` ...) gives
chainrule's modules, so a course's script runs as written. ``chainrule run-torch SCRIPT``
does this for a script from the command line; the grader does it for ``--engine chainrule``.

This replaces entries of ``sys.modules`` for the whole process: use it in a process of its
own (a script, a child), not in one that also needs the real torch.
"""

from __future__ import annotations

import importlib
import os
import runpy
import sys

SUBMODULES = ("nn", "nn.functional", "nn.init", "nn.utils", "optim", "optim.lr_scheduler", "utils", "utils.data",
              "cuda")
"""The submodules ``import torch.X`` may name. (``torch.autograd`` is not among them:
chainrule's engine module of that name has another API, so its import fails clearly.)"""


def alias_torch(package: str = "chainrule") -> None:
    """Make ``import torch`` and its submodules import ``package`` (chainrule, or the grader's copy of it)."""
    sys.modules["torch"] = importlib.import_module(package)
    for name in SUBMODULES:
        try:
            module = importlib.import_module(f"{package}.{name}")
        except ImportError:
            continue
        sys.modules[f"torch.{name}"] = module


def run_script(path: str, args=()) -> None:
    """Run the Python script at ``path`` as ``python path args...`` would (its folder first on
    ``sys.path``, ``args`` its command line), ``import torch`` giving chainrule."""
    alias_torch()
    sys.argv = [str(path), *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    runpy.run_path(str(path), run_name="__main__")
