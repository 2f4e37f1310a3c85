"""Time chainrule against PyTorch (CPU) on the same training workloads, side by side.

    python benchmarks/run.py                      # M1-M4, full sizes (several minutes)
    python benchmarks/run.py --batches 3          # smoke run
    python benchmarks/run.py --models M1,M3 --repeats 3 --json out.json --markdown

Every measurement runs in its own worker process (``--worker M3 --framework torch``)
so each framework starts clean; the two frameworks' workers alternate, and the order
flips from one repeat (and one model) to the next. Time is the fastest repeat (the
least disturbed by other work on the machine); peak memory the median one. See benchmarks/README.md for the method.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from workloads import WORKLOADS, run

FRAMEWORKS = ("chainrule", "torch")
RESULT_PREFIX = "BENCHMARK-RESULT "
SMOKE_TEST_SAMPLES = 1000
NOISY = 1.3  # flag a framework whose slowest repeat took 30 % (and 0.5 s) longer than its fastest
REPO = Path(__file__).resolve().parent.parent


def default_data_dir() -> str | None:
    if os.environ.get("CHAINRULE_DATA"):
        return os.environ["CHAINRULE_DATA"]
    shared = REPO.parent / "shared" / "data"
    return str(shared) if shared.is_dir() else None  # None: chainrule's own search


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(WORKLOADS),
                        help="comma-separated workloads (default: %(default)s)")
    parser.add_argument("--batches", type=int, default=None,
                        help="cap the batches per model (smoke runs)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="threads for both frameworks: torch and BLAS/OpenMP (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="runs of each framework per model; the fastest counts "
                             "(default: 3, or 1 with --batches)")
    parser.add_argument("--test-samples", type=int, default=None,
                        help="test images scored for accuracy (default: all 10000, "
                             f"or {SMOKE_TEST_SAMPLES} with --batches)")
    parser.add_argument("--seed", type=int, default=0, help="weights, batch order and dropout seed")
    parser.add_argument("--data-dir", default=default_data_dir(), help="MNIST/Fashion-MNIST folder")
    parser.add_argument("--json", metavar="PATH", help="write every run and the summary as JSON")
    parser.add_argument("--markdown", action="store_true", help="print the table in Markdown")
    parser.add_argument("--worker", metavar="MODEL", help=argparse.SUPPRESS)
    parser.add_argument("--framework", choices=FRAMEWORKS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.models = [m.strip().upper() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in args.models if m not in WORKLOADS]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    if args.repeats is None:
        args.repeats = 1 if args.batches else 3
    if args.test_samples is None and args.batches and not args.worker:
        args.test_samples = SMOKE_TEST_SAMPLES
    if min(args.threads, args.repeats, args.batches or 1, args.test_samples or 1) < 1:
        parser.error("--threads, --repeats, --batches and --test-samples must be at least 1")
    return args


def spawn(model: str, framework: str, args) -> dict:
    """Run one measurement in a fresh worker process and return its result."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", model,
           "--framework", framework, "--threads", str(args.threads), "--seed", str(args.seed)]
    if args.batches:
        cmd += ["--batches", str(args.batches)]
    if args.test_samples:
        cmd += ["--test-samples", str(args.test_samples)]
    if args.data_dir:
        cmd += ["--data-dir", args.data_dir]
    # The thread count also goes to the environment, so every pool starts at that size.
    env = dict(os.environ, **{var: str(args.threads) for var in
                              ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    sys.exit(f"worker {model}/{framework} failed (exit {proc.returncode}):\n{proc.stderr.strip()}")


def summarize(runs: list[dict], models: list[str]) -> list[dict]:
    rows = []
    for model in models:
        w = WORKLOADS[model]
        row = {"model": model, "description": w.description, "target_ratio": w.target}
        for fw in FRAMEWORKS:
            mine = [r for r in runs if r["model"] == model and r["framework"] == fw]
            row["batches"] = mine[0]["batches"]
            row[f"{fw}_s"] = min(r["seconds"] for r in mine)
            row[f"{fw}_median_s"] = statistics.median(r["seconds"] for r in mine)
            row[f"{fw}_max_s"] = max(r["seconds"] for r in mine)
            row[f"{fw}_accuracy"] = mine[0]["accuracy"]
            row[f"{fw}_peak_mb"] = statistics.median(r["peak_mb"] for r in mine)
        row["ratio"] = row["chainrule_s"] / row["torch_s"]
        rows.append(row)
    return rows


HEADER = ["model", "batches", "chainrule s", "torch s", "ratio", "target",
          "acc chainrule", "acc torch", "peak MB chainrule", "peak MB torch"]


def format_table(rows: list[dict], markdown: bool) -> str:
    def sec(x):
        return f"{x:.3f}" if x < 1 else f"{x:.2f}"

    cells = [[r["model"], str(r["batches"]), sec(r["chainrule_s"]), sec(r["torch_s"]),
              f"{r['ratio']:.2f}", f"<= {r['target_ratio']:g}",
              f"{r['chainrule_accuracy']:.4f}", f"{r['torch_accuracy']:.4f}",
              f"{r['chainrule_peak_mb']:.1f}", f"{r['torch_peak_mb']:.1f}"] for r in rows]
    if markdown:
        lines = [HEADER, ["---"] + ["---:"] * (len(HEADER) - 1), *cells]
        return "\n".join("| " + " | ".join(line) + " |" for line in lines)
    widths = [max(len(line[i]) for line in [HEADER, *cells]) for i in range(len(HEADER))]
    fmt = lambda line: "  ".join(c.ljust(wd) if i == 0 else c.rjust(wd)  # noqa: E731
                                 for i, (c, wd) in enumerate(zip(line, widths)))
    return "\n".join([fmt(HEADER), "  ".join("-" * wd for wd in widths), *map(fmt, cells)])


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.worker:
        result = run(args.worker.upper(), args.framework, args.threads, args.batches,
                     args.data_dir, args.seed, args.test_samples)
        print(RESULT_PREFIX + json.dumps(result), flush=True)
        return

    runs = []
    for m, model in enumerate(args.models):
        for rep in range(args.repeats):
            order = FRAMEWORKS if (m + rep) % 2 == 0 else FRAMEWORKS[::-1]
            for fw in order:
                result = spawn(model, fw, args)
                runs.append(result)
                print(f"{model} {fw:<9} repeat {rep + 1}/{args.repeats}: {result['seconds']:7.2f} s, "
                      f"acc {result['accuracy']:.4f}, loss {result['final_loss']:.4f}, "
                      f"peak +{result['peak_mb']:.1f} MB", file=sys.stderr, flush=True)

    rows = summarize(runs, args.models)
    versions = {k: v for r in runs for k, v in r["versions"].items()}
    tested = runs[0]["test_samples"]
    print(f"\nthreads {args.threads}, repeats {args.repeats} (time: fastest; peak memory: median), "
          f"accuracy on {tested} test images, "
          + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())) + "\n")
    print(format_table(rows, args.markdown))
    print()
    for r in rows:
        print(f"{r['model']}: {r['description']}")
    for r in rows:
        for fw in FRAMEWORKS:
            if r[f"{fw}_max_s"] > NOISY * r[f"{fw}_s"] + 0.5:
                print(f"noisy: {r['model']} {fw} repeats took {r[f'{fw}_s']:.2f} to "
                      f"{r[f'{fw}_max_s']:.2f} s (the machine is busy; the fastest is reported)")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"threads": args.threads, "repeats": args.repeats, "seed": args.seed,
                       "batch_cap": args.batches, "test_samples": tested, "versions": versions,
                       "summary": rows, "runs": runs}, out, indent=2)


if __name__ == "__main__":
    main()
