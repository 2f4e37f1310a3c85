"""Finding a student's file and reading it without running it: encoding, syntax, imports,
the names it defines and their signatures.

Nothing here executes the submission: the checks parse it with :mod:`ast`, so a file that
misbehaves at import is still described before the sandbox ever loads it.
"""

from __future__ import annotations

import ast
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MAX_SOURCE_BYTES = 2 * 2**20
"""A source file larger than this is refused unread."""

MAX_ZIP_BYTES = 50 * 2**20
"""A zip whose members would unpack to more than this is refused (a zip bomb)."""


@dataclass
class Source:
    """A submission file that was found: its path (unpacked from a zip when it came in one), its
    text when it could be read, and what stopped it otherwise (``problem``, a sentence)."""

    path: Path | None
    text: str | None = None
    problem: str = ""
    tree: ast.Module | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problem


def locate(path, filename: str, workdir: Path) -> Source:
    """The submission file ``filename`` in ``path``: the file itself, a folder holding it (at any
    depth, the shallowest first), or a zip holding it. A single ``.py`` of another name is taken,
    with a note (a single file of the same suffix, for an answers sheet). ``workdir`` (an empty folder) receives what a zip unpacks."""
    path = Path(path)
    if not path.exists():
        return Source(None, problem=f"no submission: {path} does not exist")
    notes = []
    if path.is_file() and zipfile.is_zipfile(path):
        unpacked = _unzip(path, workdir)
        if isinstance(unpacked, str):
            return Source(None, problem=unpacked)
        notes.append(f"unpacked {path.name}")
        path = unpacked
    if path.is_dir():
        found = sorted(path.rglob(filename), key=lambda p: (len(p.parts), str(p)))
        found = [p for p in found if "__MACOSX" not in p.parts]
        if not found:
            others = sorted(p.name for p in path.rglob(f"*{Path(filename).suffix}"))
            hint = f" (it holds: {', '.join(others[:5])})" if others else ""
            if len(others) == 1:
                notes.append(f"took {others[0]}: there is no {filename}")
                found = list(path.rglob(others[0]))
            else:
                return Source(None, problem=f"no {filename} in the submission{hint}", notes=notes)
        path = found[0]
    elif path.name != filename:
        notes.append(f"graded {path.name} as {filename}")
    return read(path, notes, python=filename.endswith(".py"))


def _unzip(path: Path, workdir: Path):
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
                return f"{path.name}: the zip unpacks to more than {MAX_ZIP_BYTES // 2**20} MB"
            for member in members:
                target = (workdir / member.filename).resolve()
                if not str(target).startswith(str(workdir.resolve())):
                    return f"{path.name}: the zip holds a path outside its folder ({member.filename})"
            archive.extractall(workdir)
    except zipfile.BadZipFile as exc:
        return f"{path.name}: not a readable zip ({exc})"
    return workdir


def read(path: Path, notes=None, python: bool = True) -> Source:
    """Read one file, and parse it when it is ``python`` (an answers sheet is TOML, parsed by
    its grader); any problem becomes ``Source.problem``."""
    notes = list(notes or [])
    if path.stat().st_size > MAX_SOURCE_BYTES:
        return Source(path, problem=f"{path.name} is {path.stat().st_size:,} bytes, over the "
                                    f"{MAX_SOURCE_BYTES:,}-byte limit for a source file", notes=notes)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Source(path, problem=f"{path.name} is not UTF-8 text (byte {exc.start}: "
                                    f"{data[exc.start:exc.start + 1]!r}); save it as UTF-8", notes=notes)
    if not python:
        return Source(path, text, notes=notes)
    try:
        tree = ast.parse(text, filename=path.name)
    except SyntaxError as exc:
        line = (exc.text or "").strip()
        return Source(path, text, problem=f"{path.name} has a syntax error at line {exc.lineno}: "
                                          f"{exc.msg}" + (f" ({line})" if line else ""), notes=notes)
    return Source(path, text, tree=tree, notes=notes)


# ------------------------------------------------------------------ imports
@dataclass(frozen=True)
class ImportUse:
    module: str  # the top-level package ("numpy", "torch", "sklearn")
    line: int
    scope: str  # "" at module level, else the top-level function or "Class.method" it sits in


def imports(tree: ast.Module) -> list[ImportUse]:
    """Every import statement and ``__import__``/``importlib.import_module`` call with a
    constant name, with the function or method it sits in."""
    found = []

    def visit(node, scope):
        for child in ast.iter_child_nodes(node):
            inner = scope
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                inner = f"{scope}.{child.name}" if scope else child.name
            if isinstance(child, ast.Import):
                found.extend(ImportUse(a.name.split(".")[0], child.lineno, scope) for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.append(ImportUse(child.module.split(".")[0], child.lineno, scope))
            elif isinstance(child, ast.Call) and _dynamic_import(child):
                found.append(ImportUse(child.args[0].value.split(".")[0], child.lineno, scope))
            visit(child, inner)

    visit(tree, "")
    return found


def _dynamic_import(call: ast.Call) -> bool:
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    return (name in ("__import__", "import_module") and call.args and isinstance(call.args[0], ast.Constant)
            and isinstance(call.args[0].value, str))


def forbidden_imports(tree: ast.Module, allowed: tuple[str, ...]) -> list[ImportUse]:
    """The imports of packages outside ``allowed`` and outside the standard library. chainrule
    itself is never allowed: a submission must not reach the grader."""
    stdlib = set(sys.stdlib_module_names)
    return [use for use in imports(tree)
            if use.module == "chainrule" or (use.module not in allowed and use.module not in stdlib)]


# ------------------------------------------------------------------ definitions
def definitions(tree: ast.Module) -> dict[str, ast.AST]:
    """Top-level functions and classes by name, and each class's methods as ``Class.method``."""
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = node
        elif isinstance(node, ast.ClassDef):
            found[node.name] = node
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found[f"{node.name}.{item.name}"] = item
    return found


def parameters(function: ast.FunctionDef) -> list[str]:
    """The parameter names of a function as written (``self`` included)."""
    args = function.args
    return [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]


def signature_problem(function: ast.AST, expected: tuple[str, ...]) -> str:
    """A sentence when ``function`` cannot be called with the ``expected`` parameters (names after
    ``self``, in order; a parameter may be renamed, but none may be missing and no extra one may
    lack a default). "" when it fits."""
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return ""
    args = function.args
    if args.vararg is not None:
        return ""
    positional = [a.arg for a in args.posonlyargs + args.args]
    if positional and positional[0] in ("self", "cls"):
        positional = positional[1:]
    defaults = len(args.defaults)
    required = len(positional) - defaults
    if len(positional) < len(expected):
        return (f"{function.name}({', '.join(positional)}) takes {len(positional)} argument(s); "
                f"the contract is {function.name}({', '.join(expected)})")
    if required > len(expected):
        return (f"{function.name}({', '.join(positional)}) requires {required} arguments; the contract "
                f"is {function.name}({', '.join(expected)})")
    return ""
