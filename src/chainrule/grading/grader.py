"""Grading one submission: the static checks, then every test in the sandbox, into a
:class:`~.results.GradeResult`.

    from chainrule.grading import grade
    result = grade("B1", "submissions/ada/q1.py")
    print(result.score, "/", result.max_score)

Order of events: find the file (a folder or a zip is searched); read it (UTF-8, syntax); give 0,
with the reason and without running, to each test whose target is missing, has the wrong
signature or uses an import the sheet forbids; run the rest one by one in one child process
(restarted after a test that kills it). A grade never raises for anything the submission does.
"""

from __future__ import annotations

import secrets
import tempfile
import time
import tomllib
from pathlib import Path

from . import submission
from .assignment import Assignment, Context, Fault, Outcome, Test
from .registry import get_assignment
from .results import GradeResult, TestResult
from .sandbox import Limits, Sandbox, SubmissionFault


def grade(assignment, path, *, seed: int | None = None, quick: bool = False, limits: Limits | None = None,
          engine: str | None = None, data_dir=None, student: str | None = None) -> GradeResult:
    """Grade the submission at ``path`` (a file, a folder or a zip) for ``assignment`` (an ID or
    an :class:`Assignment`). ``seed`` draws the hidden tests (a fresh random one when None);
    ``quick`` shortens the training tests (their marks are then provisional); ``engine``
    (``torch`` or ``chainrule``) runs a PyTorch sheet's file on real PyTorch or on chainrule."""
    assignment = get_assignment(assignment) if not isinstance(assignment, Assignment) else assignment
    seed = secrets.randbits(32) if seed is None else int(seed)
    limits = limits or Limits(timeout=assignment.timeout)
    start = time.perf_counter()
    path = Path(path)
    result = GradeResult(assignment.id, student or path.stem, seed=seed, quick=quick,
                         engine=engine or assignment.engine)
    context = Context(assignment, seed, quick=quick, data_dir=Path(data_dir) if data_dir else None,
                      engine=result.engine, ref=assignment.reference() if assignment.kind == "python" else None)
    with tempfile.TemporaryDirectory(prefix="chainrule-unzip-") as unpacked:  # what a zip holds, removed after
        source = submission.locate(path, assignment.filename, Path(unpacked))
        result.notes.extend(source.notes)
        if not source.ok:
            result.notes.append(source.problem)
            result.tests = [_zero(t, source.problem) for t in assignment.tests]
        elif assignment.kind == "answers":
            _grade_answers(assignment, source, context, result)
        else:
            _grade_python(assignment, source, context, limits, result)
    result.seconds = time.perf_counter() - start
    return result


def _zero(test: Test, reason: str, status: str = "failed") -> TestResult:
    return TestResult.of(test, 0.0, [reason], status=status)


# ------------------------------------------------------------------ python files
def _static_reasons(assignment: Assignment, source: submission.Source) -> dict[str, str]:
    """Tests that must not run, by name, with the reason: a forbidden import in their scope, a
    missing definition, or a signature that cannot be called as the contract says."""
    definitions = submission.definitions(source.tree)
    forbidden = submission.forbidden_imports(source.tree, assignment.allowed_imports)
    allowed = ", ".join(assignment.allowed_imports) + " and the standard library"
    reasons = {}
    for test in assignment.tests:
        for use in forbidden:
            scope_class = use.scope.split(".")[0]
            if not use.scope or any(t == use.scope or t.split(".")[0] == scope_class for t in test.targets):
                where = f" in {use.scope}" if use.scope else ""
                reasons[test.name] = (f"import of {use.module} (line {use.line}{where}) is not allowed: "
                                      f"{assignment.id} allows {allowed}")
                break
        if test.name in reasons:
            continue
        for target in test.targets:
            if target not in definitions:
                kind = "method" if "." in target else "function or class"
                reasons[test.name] = f"{source.path.name} defines no {kind} `{target}`"
                break
            expected = assignment.contracts.get(target)
            problem = submission.signature_problem(definitions[target], expected) if expected else ""
            if problem:
                reasons[test.name] = f"wrong signature: {problem}"
                break
    return reasons


def _grade_python(assignment, source, context, limits, result) -> None:
    reasons = _static_reasons(assignment, source)
    for use in submission.forbidden_imports(source.tree, assignment.allowed_imports):
        result.flags.append(f"forbidden import: {use.module} (line {use.line})")
    deadline = time.monotonic() + limits.budget
    engine = context.engine if context.engine == "chainrule" else None
    with Sandbox(source.path, assignment.filename.removesuffix(".py"), limits, engine=engine) as sandbox:
        context.sub = sandbox
        for test in assignment.tests:
            if test.name in reasons:
                result.tests.append(_zero(test, reasons[test.name]))
            elif time.monotonic() > deadline:
                result.tests.append(_zero(test, f"not run: the submission used its whole {limits.budget:g} s",
                                          status="not run"))
            else:
                result.tests.append(_run(test, context))
                if sandbox.printed.strip():
                    result.tests[-1].output += f"\n\nYour code printed:\n{sandbox.printed[:500]}"
                    _flag(result, "prints output (the sheet says: no extra printing)")


def _flag(result: GradeResult, text: str) -> None:
    if text not in result.flags:
        result.flags.append(text)


def _run(test: Test, context: Context) -> TestResult:
    start = time.perf_counter()
    try:
        outcome = test.check(context)
        outcome = outcome if isinstance(outcome, Outcome) else Outcome(1.0 if outcome is None else float(outcome))
        status = "passed" if outcome.fraction >= 1 else ("partial" if outcome.fraction > 0 else "failed")
        outcome.fraction = min(max(outcome.fraction, 0.0), 1.0)
    except Fault as fault:
        outcome, status = Outcome(0.0, [str(fault)], fault.tags), "failed"
    except SubmissionFault as fault:
        outcome, status = Outcome(0.0, [f"Your code {fault}"], (fault.kind,)), "failed"
    except Exception as exc:  # what came back could not even be compared
        outcome = Outcome(0.0, [f"the returned value could not be checked ({type(exc).__name__}: {exc})"],
                          ("unreadable",))
        status = "failed"
    return TestResult.of(test, outcome.fraction * test.max_score, outcome.lines, status=status,
                         tags=outcome.tags, seconds=time.perf_counter() - start)


# ------------------------------------------------------------------ answers sheets
def _grade_answers(assignment, source, context, result) -> None:
    try:
        context.answers = tomllib.loads(source.text)
    except tomllib.TOMLDecodeError as exc:
        problem = f"{source.path.name} is not valid TOML: {exc}"
        result.notes.append(problem)
        result.tests = [_zero(t, problem) for t in assignment.tests]
        return
    except RecursionError:
        problem = f"{source.path.name} is nested too deeply to read"
        result.notes.append(problem)
        result.tests = [_zero(t, problem) for t in assignment.tests]
        return
    result.tests = [_run(t, context) for t in assignment.tests]
