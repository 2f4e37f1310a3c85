"""What an assignment declares: its file, its tests and their marks, its contracts.

An assignment is one declarative file in :mod:`chainrule.grading.assignments` (``b1.py`` is
the model), holding ``ASSIGNMENT = Assignment(...)``. Each :class:`Test` is a function of a
:class:`Context` that returns an :class:`Outcome` (or None for full marks) or raises
:class:`Fault` with the sentence the student reads. The expected values are computed here, in
the grader's process, from the reference solution; only the inputs go to the submission.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

VISIBILITIES = ("visible", "after_published", "after_due_date", "hidden")
"""Gradescope's visibility values for a test."""


class Fault(Exception):
    """A test's verdict that the submission is wrong: the message names what and, where the
    numbers show it, why. ``tags`` name the recognised faults (for the class report)."""

    def __init__(self, message: str, tags: tuple[str, ...] = ()):
        super().__init__(message)
        self.tags = tuple(tags)


@dataclass
class Outcome:
    """A test's result: the fraction of its marks earned (0-1), the feedback lines, the tags of
    the faults recognised."""

    fraction: float
    lines: list[str] = field(default_factory=list)
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Test:
    """One graded test. ``targets`` are the functions, classes or ``Class.method`` names of the
    submission it exercises: a missing one, a wrong signature or a forbidden import inside one
    gives the test 0 with that reason, without running it. ``training`` marks an overall test
    that trains on real data (shortened by ``--quick``). One target may be given as a string."""

    name: str
    max_score: float
    check: Callable
    targets: tuple[str, ...] | str = ()
    visibility: str = "visible"
    training: bool = False

    def __post_init__(self):
        if isinstance(self.targets, str):
            object.__setattr__(self, "targets", (self.targets,))  # frozen: set once, here
        if self.visibility not in VISIBILITIES:
            raise ValueError(f"test {self.name!r}: visibility {self.visibility!r} is not one of {VISIBILITIES}")


@dataclass(frozen=True)
class Assignment:
    """A graded exercise of the catalogue (section E): the file a student submits, its tests,
    the packages it may import, and the contracts (parameter names) of what it must define.

    ``kind`` is ``"python"`` (run in the sandbox) or ``"answers"`` (a TOML answers file, read,
    never run). ``solution`` names the reference file inside ``chainrule/grading/files``;
    ``graded`` lists the definitions whose bodies the skeleton leaves to the student;
    ``skeleton`` names a hand-written starter instead (the answers sheets)."""

    id: str
    title: str
    filename: str
    tests: tuple[Test, ...]
    solution: str
    allowed_imports: tuple[str, ...] = ("numpy",)
    contracts: dict = field(default_factory=dict)
    graded: tuple[str, ...] = ()
    skeleton: str | None = None
    kind: str = "python"
    engine: str | None = None  # "torch" for the PyTorch sheets: graded on real PyTorch by default
    timeout: float = 60.0

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tests)

    def solution_path(self) -> Path:
        return files_path(self.solution)

    def skeleton_path(self) -> Path | None:
        return files_path(self.skeleton) if self.skeleton else None

    def reference(self):
        """The reference solution, imported in the grader's own process (trusted code)."""
        return load_module(self.solution_path(), f"chainrule_reference_{self.id.lower()}")


def files_path(name: str) -> Path:
    return Path(str(importlib.resources.files("chainrule.grading") / "files" / name))


_MODULES: dict[Path, object] = {}


def load_module(path: Path, name: str):
    """Import a trusted file once (the reference solutions)."""
    path = Path(path)
    if path not in _MODULES:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _MODULES[path] = module
    return _MODULES[path]


@dataclass
class Context:
    """What a test has: the submission (``sub``, a :class:`~.sandbox.Sandbox`; ``answers`` for
    an answers sheet), the reference solution (``ref``), the grade's hidden ``seed``, ``quick``,
    and ``cache`` for what several tests share (one training run for the overall test and the
    judgement)."""

    assignment: Assignment
    seed: int
    sub: object = None
    answers: dict | None = None
    quick: bool = False
    data_dir: Path | None = None
    engine: str | None = None
    cache: dict = field(default_factory=dict)
    ref: object = None

    def rng(self, name: str) -> np.random.Generator:
        """A generator for one test, from the hidden seed and the test's name: every test draws
        its own inputs, the same ones each time the same seed grades."""
        digest = hashlib.sha256(f"{self.seed}:{name}".encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "little"))

    def once(self, key: str, make: Callable):
        """``make()`` the first time ``key`` is asked for, the same value after (a fault too)."""
        if key not in self.cache:
            try:
                self.cache[key] = (True, make())
            except Exception as exc:  # the fault stands for every test that needs this value
                self.cache[key] = (False, exc)
        ok, value = self.cache[key]
        if not ok:
            raise value
        return value
