"""``chainrule grade``: the autograder (``chainrule.grading``) from the shell."""

from __future__ import annotations

import os
from pathlib import Path

import click

from .._files import atomic_write_bytes
from ._app import main


class GradeGroup(click.Group):
    """``chainrule grade ID PATH`` grades; ``chainrule grade list|skeleton|solution|bundle`` are
    the subcommands. The first form is the hidden ``run`` command."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["run", *args]
        return super().parse_args(ctx, args)

    def resolve_command(self, ctx, args):
        name, command, rest = super().resolve_command(ctx, args)
        # The hidden ``run`` is spelt ``chainrule grade ID PATH`` in its usage and error lines.
        return (None if name == "run" else name), command, rest


class _Unnamed(click.Context):
    """The context of the hidden ``run``: its path is ``chainrule grade``, with no trailing name."""

    @property
    def command_path(self) -> str:
        return super().command_path.rstrip()


class _RunCommand(click.Command):
    context_class = _Unnamed


@main.group("grade", cls=GradeGroup)
def grade():
    """Grade students' submissions to the catalogue's graded exercises (section E), or write
    the files a course hands out.

    \b
    chainrule grade ID PATH   grade one submission (a file, a folder or a zip), or a class:
                              a folder with one file or subfolder per student
    Hidden tests are drawn from a seed the submission never sees; the code runs in a child
    process with time, memory and file-size limits. Exit 0 when grading happened, whatever the
    marks; non-zero only for a misused grader (unknown ID, unreadable folder, bad option).

    \b
    Examples:
      chainrule grade list
      chainrule grade skeleton B1 -o handout/          # the student's q1.py
      chainrule grade solution B1 -o key/
      chainrule grade B1 handout/q1.py                 # feedback in grading/, results.json
      chainrule grade B1 submissions/ --jobs 2         # a class: gradebook.csv, class_report.md
      chainrule grade C5 pytorch_ann.py --quick        # provisional marks: training on a subset
      chainrule grade bundle B1 -o autograder.zip      # for Gradescope
    """


@grade.command("list")
def list_command():
    """Each assignment: the file a student submits, its tests, their marks and visibility."""
    from ..grading import all_assignments

    for assignment in all_assignments().values():
        click.echo(f"{assignment.id}  {assignment.filename}  ({assignment.max_score:g} marks)  {assignment.title}")
        for test in assignment.tests:
            visibility = "" if test.visibility == "visible" else f"  [{test.visibility}]"
            training = "  [trains on real data]" if test.training else ""
            click.echo(f"      {test.max_score:>5g}  {test.name}{visibility}{training}")


def _writer(which: str):
    @click.argument("assignment_id", metavar="ID")
    @click.option("-o", "--out", "folder", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
                  show_default=True, help="Folder to write the file into.")
    @click.option("--force", is_flag=True, help="Replace the file when it exists.")
    def command(assignment_id, folder, force):
        from ..grading import get_assignment
        from ..grading.starter import write

        assignment = get_assignment(assignment_id)
        target = folder / assignment.filename
        if target.exists() and not force:
            raise click.ClickException(f"{target} exists; use --force to replace it")
        click.echo(f"wrote {write(assignment, folder, which)}")

    command.__doc__ = {
        "skeleton": "Write the starter file a student receives: every graded function with its contract "
                    "(argument and return shapes) and a body that raises NotImplementedError; the parts "
                    "the sheet does for the student already written.",
        "solution": "Write the instructor's full solution, under the file name the student submits.",
    }[which]
    return command


grade.command("skeleton")(_writer("skeleton"))
grade.command("solution")(_writer("solution"))


@grade.command("bundle")
@click.argument("assignment_id", metavar="ID")
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("autograder.zip"),
              show_default=True, help="The zip to write.")
@click.option("--options", default="", help="Extra `chainrule grade` options for every run, e.g. '--timeout 120'.")
def bundle_command(assignment_id, out, options):
    """Write a Gradescope autograder bundle: setup.sh installs the pinned dependencies,
    run_autograder grades /autograder/submission into /autograder/results/results.json
    (CHAINRULE_AUTOGRADER_ROOT replaces /autograder, to try it locally)."""
    from ..grading.bundle import build

    click.echo(f"wrote {build(assignment_id, out, options)}")


@grade.command("run", hidden=True, cls=_RunCommand)
@click.argument("assignment_id", metavar="ID")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("grading"), show_default=True,
              help="Where the feedback goes: feedback.md (one student) or feedback/, results/, gradebook.csv, "
                   "class_report.md (a class).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Where Gradescope's results.json goes  [default: OUT/results.json]")
@click.option("--seed", type=int, help="Seed of the hidden tests  [default: a fresh random one, recorded]")
@click.option("--quick", is_flag=True, help="Train the overall tests on a subset: provisional marks, for a pre-check.")
@click.option("--timeout", type=click.FloatRange(min=0.1), help="Seconds per test  [default: the assignment's]")
@click.option("--budget", type=click.FloatRange(min=1), default=600, show_default=True,
              help="Seconds for one whole submission.")
@click.option("--memory", "memory_gb", type=click.FloatRange(min=0.25), default=4, show_default=True,
              help="Memory limit of a submission, in GB.")
@click.option("--engine", type=click.Choice(["torch", "chainrule"]),
              help="Run a PyTorch sheet's file on real PyTorch (default) or on chainrule, by the import swap.")
@click.option("--data-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), envvar="CHAINRULE_DATA",
              help="Where the datasets are, for the overall tests.")
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes for a class  [default: the cores]")
@click.option("--ray", "ray_address", metavar="ADDRESS",
              help="Grade a class on a Ray cluster ('auto', 'ray://host:10001'; needs chainrule[cluster]).")
def run_command(assignment_id, path, out, json_path, seed, quick, timeout, budget, memory_gb, engine, data_dir,
                jobs, ray_address):
    """Grade PATH for assignment ID."""
    from ..grading import Limits, get_assignment, grade as grade_one
    from ..grading.classroom import grade_class, is_class_folder, write_class

    assignment = get_assignment(assignment_id)
    if not path.exists():
        raise click.ClickException(f"{path} does not exist")
    if path.is_dir() and not os.access(path, os.R_OK | os.X_OK):
        raise click.ClickException(f"{path}: the folder cannot be read")
    limits = Limits(timeout=timeout or assignment.timeout, budget=budget, memory_bytes=int(memory_gb * 2**30))
    options = dict(seed=seed, quick=quick, limits=limits, engine=engine, data_dir=data_dir)
    if is_class_folder(path, assignment.filename):
        def progress(result):
            click.echo(f"{result.student}: {result.score:g} / {result.max_score:g}")

        results = grade_class(assignment.id, path, jobs=jobs, ray_address=ray_address, progress=progress, **options)
        report = write_class(results, out)
        click.echo(f"graded {len(results)} submissions: {out / 'gradebook.csv'}, {report}")
        return
    result = grade_one(assignment, path, **options)
    feedback = out / "feedback.md"
    atomic_write_bytes(feedback, result.feedback().encode())
    result.write_gradescope(json_path or out / "results.json")
    for t in result.tests:
        click.echo(f"{t.score:>6g} / {t.max_score:<4g} {t.name}")
    click.echo(f"{assignment.id}: {result.score:g} / {result.max_score:g}"
               + ("  (quick check: provisional)" if quick else "") + f"; feedback: {feedback}")


__all__ = ["grade"]
