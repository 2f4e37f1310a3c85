"""How long `chainrule grade` takes for a class: N B1 submissions (the solution and its
one-fault mutants, in turn) graded by a pool of --jobs workers, each submission in its own
sandboxed child. B1 has no training test, so this is the grader's own overhead plus the
students' NumPy.

    python benchmarks/grading.py --students 200 --jobs 2
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

from chainrule.grading import get_assignment
from chainrule.grading.classroom import grade_class

MUTANTS_FILE = Path(__file__).resolve().parents[1] / "tests" / "grading" / "b1_mutants.py"


def mutants() -> dict:
    spec = importlib.util.spec_from_file_location("b1_mutants", MUTANTS_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MUTANTS


def write_class(folder: Path, students: int) -> None:
    solution = get_assignment("B1").solution_path().read_text()
    variants = [solution] + [solution.replace(old, new) for old, new, _, _ in mutants().values()]
    for i in range(students):
        (folder / f"student{i:03d}.py").write_text(variants[i % len(variants)])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200, help="submissions in the class (default 200)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="the hidden tests' seed")
    args = parser.parse_args(argv)
    if args.students < 1 or args.jobs < 1:
        parser.error("--students and --jobs must be at least 1")
    with tempfile.TemporaryDirectory() as folder:
        write_class(Path(folder), args.students)
        start = time.perf_counter()
        results = grade_class("B1", folder, jobs=args.jobs, seed=args.seed)
        seconds = time.perf_counter() - start
    full = sum(r.score == r.max_score for r in results)
    print(f"{len(results)} B1 submissions, {args.jobs} workers: {seconds:.1f} s "
          f"({seconds / len(results) * 1000:.0f} ms each); {full} with full marks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
