"""The assignments by ID: one file each in :mod:`chainrule.grading.assignments`."""

from __future__ import annotations

import importlib

from .assignment import Assignment

_MODULES = ("a1", "a6", "a7", "b1", "b2", "c2", "c5", "c6")
"""The assignment files, in the catalogue's order."""


def all_assignments() -> dict[str, Assignment]:
    """Every assignment by ID, in the catalogue's order. (Not named ``assignments``: importing
    the subpackage :mod:`.assignments` would rebind that name on the package.)"""
    modules = (importlib.import_module(f".assignments.{name}", __package__) for name in _MODULES)
    return {module.ASSIGNMENT.id: module.ASSIGNMENT for module in modules}


def get_assignment(assignment_id: str) -> Assignment:
    """The assignment with this ID (case-insensitive), or a ValueError listing the IDs."""
    registry = all_assignments()
    for key, assignment in registry.items():
        if key.lower() == str(assignment_id).strip().lower():
            return assignment
    raise ValueError(f"unknown assignment {assignment_id!r}; choose one of: {', '.join(registry)}")
