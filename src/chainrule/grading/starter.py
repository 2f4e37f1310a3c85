"""The files a course hands out: the student's starter (skeleton) and the instructor's solution.

The skeleton of a Python assignment is made from its solution, so the two cannot drift: each
definition the assignment lists as graded keeps its signature and docstring (the contract:
argument and return shapes) and its body becomes ``raise NotImplementedError``; everything the
sheet does for the student (B1's shuffling and batching) stays as written.
"""

from __future__ import annotations

import ast
from pathlib import Path

from .._files import atomic_write_bytes
from .assignment import Assignment
from .submission import definitions


def skeleton_text(assignment: Assignment) -> str:
    """The starter file's text."""
    if assignment.skeleton_path() is not None:
        return assignment.skeleton_path().read_text(encoding="utf-8")
    text = assignment.solution_path().read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    found = definitions(ast.parse(text))
    missing = [name for name in assignment.graded if name not in found]
    if missing:
        raise ValueError(f"{assignment.id}: the solution defines no {', '.join(missing)}")
    # Replace from the bottom up so that earlier line numbers stay valid.
    for node in sorted((found[name] for name in assignment.graded), key=lambda n: -n.lineno):
        body = node.body
        first = body[1] if _has_docstring(node) and len(body) > 1 else (None if _has_docstring(node) else body[0])
        if first is None:
            continue
        indent = " " * first.col_offset
        start = (first.decorator_list[0].lineno if getattr(first, "decorator_list", None) else first.lineno) - 1
        lines[start:node.end_lineno] = [f"{indent}raise NotImplementedError  # your code here\n"]
    return "".join(lines)


def _has_docstring(node) -> bool:
    return bool(node.body) and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant) \
        and isinstance(node.body[0].value.value, str)


def solution_text(assignment: Assignment) -> str:
    return assignment.solution_path().read_text(encoding="utf-8")


def write(assignment: Assignment, folder, which: str) -> Path:
    """Write the ``skeleton`` or the ``solution`` into ``folder``, under the file name the
    student submits; returns its path."""
    text = skeleton_text(assignment) if which == "skeleton" else solution_text(assignment)
    return atomic_write_bytes(Path(folder) / assignment.filename, text.encode("utf-8"))
