"""Is a change to the engine faster? Time the training step of a git revision and of the
working tree side by side, in one process, alternating step by step.

    python benchmarks/compare.py M4                       # HEAD against the working tree
    python benchmarks/compare.py M3 --base main~3 --steps 400

On a shared machine the time of a step drifts by 10-30 % within minutes, far more than
most single changes gain, so two runs made one after the other cannot tell a 2 % gain
from noise. Here the revision's ``src/chainrule`` is extracted (``git archive``) into a
temporary folder as the package ``chainrule_base`` (the engine imports itself only
relatively, so the copy is self-contained) and both engines train the same workload of
``benchmarks/run.py`` on the same batches, one step each in turn, the order flipping
every step. Both then see the same machine at almost the same moment; the paired
ratio (the median of new/base over adjacent steps) is the number to read. Two copies of
the same code give ratios within about 2 % of 1.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

from run import REPO, default_data_dir
from workloads import WORKLOADS, _chainrule_setup

WARMUP = 5


def extract_revision(revision: str, into: Path) -> None:
    """Write ``src/chainrule`` of git ``revision`` to ``into/chainrule_base``."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", revision, "src/chainrule"],
                             capture_output=True, check=False)
    if archive.returncode:
        sys.exit(f"compare: git archive {revision} failed: {archive.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    (into / "src" / "chainrule").rename(into / "chainrule_base")


def alternate(steps: dict, batches, rounds: int) -> dict[str, np.ndarray]:
    """Seconds of each step of each engine, the engines taking turns (order flipped every round)."""
    names = list(steps)
    times = {name: [] for name in names}
    for r in range(rounds):
        x, t = batches[r % len(batches)]
        for name in (names if r % 2 else names[::-1]):
            start = time.perf_counter()
            steps[name](x, t)
            times[name].append(time.perf_counter() - start)
    return {name: np.array(seconds) for name, seconds in times.items()}


def summarize(times: dict[str, np.ndarray], base: str) -> str:
    lines = [f"{'':>6} {'min':>8} {'p10':>8} {'median':>8}  ms per step"]
    for name, t in times.items():
        ms = t * 1e3
        lines.append(f"{name:>6} {ms.min():8.3f} {np.percentile(ms, 10):8.3f} {np.median(ms):8.3f}")
    b, n = times["base"], times["new"]
    lines.append(f"new/base ({base}): paired median {np.median(n / b):.3f}, "
                 f"ratio of medians {np.median(n) / np.median(b):.3f}, of minima {n.min() / b.min():.3f}")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", choices=sorted(WORKLOADS), help="the workload, as in benchmarks/run.py")
    parser.add_argument("--base", default="HEAD", help="git revision to compare against (default HEAD)")
    parser.add_argument("--steps", type=int, default=200, help="timed steps per engine (default 200)")
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads (default: all cores)")
    parser.add_argument("--data-dir", default=default_data_dir())
    args = parser.parse_args(argv)

    from threadpoolctl import threadpool_limits

    sys.path.insert(0, str(REPO / "src"))  # the working tree's engine, whatever is installed
    import chainrule
    import chainrule.data

    if Path(chainrule.__file__).resolve().parent != REPO / "src" / "chainrule":
        sys.exit(f"compare: imported chainrule from {chainrule.__file__}, not from this working tree")
    w = WORKLOADS[args.model]
    with tempfile.TemporaryDirectory() as tmp, threadpool_limits(limits=args.threads):
        extract_revision(args.base, Path(tmp))
        sys.path.insert(0, tmp)
        train = chainrule.data.load(w.dataset, split="train", data_dir=args.data_dir, normalize="0-1")
        targets = train.y if w.loss == "cross_entropy" else np.eye(10, dtype=np.float32)[train.y]
        batches = [(train.x[i:i + w.batch_size], targets[i:i + w.batch_size])
                   for i in range(0, 20 * w.batch_size, w.batch_size)]
        steps = {name: _chainrule_setup(w, 0, package)[1]
                 for name, package in (("base", "chainrule_base"), ("new", "chainrule"))}
        alternate(steps, batches, WARMUP)
        times = alternate(steps, batches, args.steps)
    print(f"{w.key}: {w.description}; {args.steps} steps each, alternating")
    print(summarize(times, args.base))


if __name__ == "__main__":
    main()
