"""Grading a whole class: one file or subfolder per student, graded in parallel (a process pool,
or a Ray cluster), into per-student feedback, ``gradebook.csv`` and a class report.

    from chainrule.grading.classroom import grade_class, write_class
    results = grade_class("B1", "submissions/", jobs=2)
    write_class(results, "grading/")

Each submission still runs in its own sandboxed child; the pool's workers are the grader's own
processes. For Ray (``pip install 'chainrule[cluster]'``), each submission travels as bytes, so
a worker node needs no shared file system.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import zipfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .._files import atomic_write_bytes
from .grader import grade
from .registry import get_assignment
from .results import GradeResult


def is_class_folder(path, filename: str) -> bool:
    """A folder of students (one file or subfolder each), not one student's folder: it does not
    itself hold ``filename`` at its top level, and it has more than one entry or a subfolder."""
    path = Path(path)
    if not path.is_dir() or (path / filename).exists():
        return False
    entries = [p for p in path.iterdir() if not p.name.startswith(".")]
    return len(entries) > 1 or any(p.is_dir() for p in entries)


def students(folder) -> list[tuple[str, Path]]:
    """(student name, submission path) for each entry of a class folder, by name; a file's name
    without its suffix is the student's name."""
    entries = sorted(p for p in Path(folder).iterdir() if not p.name.startswith("."))
    return [(p.stem if p.is_file() else p.name, p) for p in entries]


def _grade_one(args) -> GradeResult:
    assignment_id, student, path, options = args
    return grade(assignment_id, path, student=student, **options)


def grade_class(assignment_id: str, folder, *, jobs: int | None = None, ray_address: str | None = None,
                progress=None, **options) -> list[GradeResult]:
    """Grade every student's submission in ``folder``. ``jobs`` worker processes (default: the
    number of cores); ``ray_address`` sends each submission to a Ray cluster instead. ``options``
    go to :func:`~.grader.grade` (seed, quick, limits, engine, data_dir). ``progress(result)`` is
    called as each grade finishes."""
    get_assignment(assignment_id)  # an unknown ID fails before any work
    work = [(assignment_id, name, path, options) for name, path in students(folder)]
    if ray_address:
        results = _grade_on_ray(work, ray_address, progress)
    else:
        jobs = max(1, jobs or os.cpu_count() or 1)
        results = []
        if jobs == 1:
            for item in work:
                results.append(_grade_one(item))
                progress and progress(results[-1])
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                for result in pool.map(_grade_one, work):
                    results.append(result)
                    progress and progress(result)
    return sorted(results, key=lambda r: r.student)


# ------------------------------------------------------------------ Ray
def pack(path) -> tuple[str, bytes]:
    """A submission as (name, bytes): a file as it is, a folder zipped."""
    path = Path(path)
    if path.is_file():
        return path.name, path.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in sorted(path.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(path))
    return path.name + ".zip", buffer.getvalue()


def grade_packed(assignment_id: str, student: str, name: str, data: bytes, options: dict) -> GradeResult:
    """Grade a submission that arrived as bytes (on a Ray worker)."""
    with tempfile.TemporaryDirectory(prefix="chainrule-packed-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return grade(assignment_id, path, student=student, **options)


def _grade_on_ray(work, address: str, progress) -> list[GradeResult]:
    try:
        import ray
    except ImportError:
        raise RuntimeError("--ray needs Ray: pip install 'chainrule[cluster]'") from None
    try:
        ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise RuntimeError(f"cannot reach the Ray cluster at {address!r}: {exc}") from None
    remote = ray.remote(grade_packed)
    pending = [remote.remote(a, student, *pack(path), options) for a, student, path, options in work]
    results = []
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        results.append(ray.get(done[0]))
        progress and progress(results[-1])
    return results


# ------------------------------------------------------------------ outputs
def write_student(result: GradeResult, out) -> None:
    """``feedback/<student>.md`` and ``results/<student>.json`` (Gradescope's format)."""
    out = Path(out)
    atomic_write_bytes(out / "feedback" / f"{result.student}.md", result.feedback().encode())
    result.write_gradescope(out / "results" / f"{result.student}.json")


def gradebook_csv(results: list[GradeResult]) -> str:
    """One row per student: marks per test, the total, the flags and the hidden seed."""
    tests = [t.name for t in results[0].tests] if results else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *tests, "total", "max", "flags", "seed"])
    for r in results:
        marks = {t.name: t.score for t in r.tests}
        writer.writerow([r.student, *(f"{marks.get(name, 0):g}" for name in tests), f"{r.score:g}",
                         f"{r.max_score:g}", "; ".join(r.notes + r.flags), r.seed])
    return buffer.getvalue()


def class_summary(results: list[GradeResult]) -> dict:
    """The pass rate of each test and the most common diagnostics, across the class."""
    passed, tags, sentences = Counter(), Counter(), Counter()
    for r in results:
        for t in r.tests:
            passed[t.name] += t.score >= t.max_score
            for tag in t.tags:
                tags[tag] += 1
            if t.score < t.max_score and t.output:
                sentences[t.output.splitlines()[-1].lstrip("→ ").strip()[:160]] += 1
    n = max(1, len(results))
    order = [t.name for t in results[0].tests] if results else []
    return {"students": len(results), "pass_rate": {name: passed[name] / n for name in order},
            "tags": tags.most_common(), "diagnostics": sentences.most_common(10),
            "scores": [r.score for r in results], "max_score": results[0].max_score if results else 0}


def class_report(results: list[GradeResult], out) -> Path:
    """``class_report.md`` and ``scores.png``: what a TA needs for the next lecture."""
    out = Path(out)
    summary = class_summary(results)
    _histogram(summary["scores"], summary["max_score"], out / "scores.png")
    scores = summary["scores"]
    lines = [f"# Class report: {results[0].assignment if results else ''}", "",
             f"{summary['students']} submissions; mean {sum(scores) / max(1, len(scores)):.1f} / "
             f"{summary['max_score']:g}; full marks: {sum(s >= summary['max_score'] for s in scores)}.", "",
             "![scores](scores.png)", "", "## Pass rate per test", "", "| test | passed |", "| --- | ---: |"]
    lines += [f"| {name} | {100 * rate:.0f}% |" for name, rate in summary["pass_rate"].items()]
    lines += ["", "## Most common faults", "", "| fault | tests |", "| --- | ---: |"]
    lines += [f"| {tag} | {count} |" for tag, count in summary["tags"]]
    lines += ["", "## Most common feedback lines", ""]
    lines += [f"- ({count}×) {sentence}" for sentence, count in summary["diagnostics"]]
    return atomic_write_bytes(out / "class_report.md", ("\n".join(lines) + "\n").encode())


def _histogram(scores, max_score, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 3.5))
    axes.hist(scores, bins=min(20, max(5, len(set(scores)))), range=(0, max_score or 1), color="#4477aa")
    axes.set_xlabel("score")
    axes.set_ylabel("students")
    axes.set_title(f"{len(scores)} submissions")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    atomic_write_bytes(path, buffer.getvalue())


def write_class(results: list[GradeResult], out) -> Path:
    """Every student's feedback and results, ``gradebook.csv`` and the class report."""
    out = Path(out)
    for result in results:
        write_student(result, out)
    atomic_write_bytes(out / "gradebook.csv", gradebook_csv(results).encode())
    return class_report(results, out)
