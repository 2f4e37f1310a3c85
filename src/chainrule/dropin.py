"""PyTorch code on chainrule's engine, unchanged: after :func:`alias_torch`, ``import torch``
(and ``torch.nn``, ``torch.nn.functional``, ``torch.optim``, ``torch.utils.data.dataloader`` ...,
any ``torch.X`` that chainrule has as ``chainrule.X``) gives chainrule's modules, so a course's
script runs as written. ``chainrule run-torch SCRIPT`` does this for a script from the command
line; the grader does it for ``--engine chainrule``. A ``torch.X`` that chainrule lacks
(``torch.jit``) fails to import, naming it.

This replaces entries of ``sys.modules`` for the whole process: use it in a process of its
own (a script, a child), not in one that also needs the real torch.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys


class _TorchAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``torch.X`` as the module ``package.X`` itself (one copy of each module, so
    ``torch.utils.data.dataloader`` and ``chainrule.utils.data.dataloader`` are the same)."""

    def __init__(self, package: str) -> None:
        self.package = package

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith("torch."):
            return None
        if importlib.util.find_spec(self.package + fullname[len("torch"):]) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return importlib.import_module(self.package + spec.name[len("torch"):])

    def exec_module(self, module) -> None:  # already executed, as chainrule's module
        pass


def alias_torch(package: str = "chainrule") -> None:
    """Make ``import torch`` and its submodules import ``package`` (chainrule, or the grader's copy of it)."""
    sys.modules["torch"] = importlib.import_module(package)
    sys.meta_path.insert(0, _TorchAlias(package))


def run_script(path: str, args=()) -> None:
    """Run the Python script at ``path`` as ``python path args...`` would (its folder first on
    ``sys.path``, ``args`` its command line), ``import torch`` giving chainrule."""
    alias_torch()
    sys.argv = [str(path), *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    runpy.run_path(str(path), run_name="__main__")
