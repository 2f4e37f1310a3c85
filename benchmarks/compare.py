"""Is a change to the engine faster? Time the training step of a git revision and of the
working tree side by side, in one process, alternating step by step.

    python benchmarks/compare.py M4                       # HEAD against the working tree
    python benchmarks/compare.py M3 --base main~3 --steps 400
    python benchmarks/compare.py M4 --torch               # PyTorch against the working tree

On a shared machine the time of a step drifts by 10-30 % within minutes, far more than
most single changes gain, so two runs made one after the other cannot tell a 2 % gain
from noise. Here the revision's ``src/chainrule`` is extracted (``git archive``) into a
temporary folder as the package ``chainrule_base`` (the engine imports itself only
relatively, so the copy is self-contained) and both engines train the same workload of
``benchmarks/run.py`` on its batches, one step each in turn, the order flipping
every step. Both then see the same machine at almost the same moment; the paired
ratio (the median of new/base over adjacent steps) is the number to read. Two copies of
the same code give ratios within about 2 % of 1.

With ``--torch`` the base is PyTorch's twin of the model (the same weights, as in
``run.py``), and the two take turns in blocks of ``--block`` steps, with a pause of
``--pause`` seconds before each block: after a product OpenBLAS's idle threads spin on the
cores for up to a tenth of a second, and PyTorch's OpenMP threads for a while too, so
without the pause each framework would start its turn with the other's threads in its way.
The paired median then pairs steps up to a turn and a pause apart.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

from run import REPO, default_data_dir
from workloads import WORKLOADS, _chainrule_setup, _torch_setup

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


def alternate(steps: dict, batch, rounds: int, block: int = 1, pause: float = 0.0) -> dict[str, np.ndarray]:
    """Seconds of each step of each engine on batches ``batch(0)``, ``batch(1)``, …, the engines
    taking turns ``block`` steps at a time (order flipped every round), each turn after a ``pause``."""
    names = list(steps)
    times = {name: [] for name in names}
    for r in range(0, rounds, block):
        for name in (names if (r // block) % 2 else names[::-1]):
            time.sleep(pause)
            for i in range(r, min(r + block, rounds)):
                x, t = batch(i)
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
                 f"ratio of medians {np.median(n) / np.median(b):.3f}, of minima {n.min() / b.min():.3f}, "
                 f"of totals {n.sum() / b.sum():.3f}")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", choices=sorted(WORKLOADS), help="the workload, as in benchmarks/run.py")
    parser.add_argument("--base", default="HEAD", help="git revision to compare against (default HEAD)")
    parser.add_argument("--torch", action="store_true",
                        help="compare against PyTorch instead of a revision (turns of --block steps)")
    parser.add_argument("--block", type=int, default=10, help="steps per turn with --torch (default 10)")
    parser.add_argument("--pause", type=float, default=0.2,
                        help="seconds of rest before each turn with --torch (default 0.2)")
    parser.add_argument("--steps", type=int, default=200, help="timed steps per engine (default 200)")
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads (default: all cores)")
    parser.add_argument("--data-dir", default=default_data_dir())
    args = parser.parse_args(argv)
    if args.block < 1 or args.pause < 0:
        parser.error("--block must be at least 1 and --pause at least 0")
    if args.torch and args.base != "HEAD":
        parser.error("--torch compares against PyTorch: leave out --base")

    from threadpoolctl import threadpool_limits

    sys.path.insert(0, str(REPO / "src"))  # the working tree's engine, whatever is installed
    import chainrule
    import chainrule.data

    if Path(chainrule.__file__).resolve().parent != REPO / "src" / "chainrule":
        sys.exit(f"compare: imported chainrule from {chainrule.__file__}, not from this working tree")
    w = WORKLOADS[args.model]
    block, pause = (args.block, args.pause) if args.torch else (1, 0.0)
    if args.torch:  # before the limits, so that they reach PyTorch's OpenMP too
        import torch

        torch.set_num_threads(args.threads or os.cpu_count())
    with tempfile.TemporaryDirectory() as tmp, threadpool_limits(limits=args.threads):
        if args.torch:
            base_step = _torch_setup(w, 0)[1]
        else:
            extract_revision(args.base, Path(tmp))
            sys.path.insert(0, tmp)
            base_step = _chainrule_setup(w, 0, "chainrule_base")[1]
        train = chainrule.data.load(w.dataset, split="train", data_dir=args.data_dir, normalize="0-1")
        targets = train.y if w.loss == "cross_entropy" else np.eye(10, dtype=np.float32)[train.y]
        order = np.random.default_rng(0).permutation(len(targets))  # run.py's batches, in its order

        def batch(i):
            idx = order[np.arange(i * w.batch_size, (i + 1) * w.batch_size) % len(order)]
            return train.x[idx], targets[idx]

        steps = {"base": base_step, "new": _chainrule_setup(w, 0)[1]}
        warmup = WARMUP * block
        alternate(steps, batch, warmup, block, pause)
        times = alternate(steps, lambda i: batch(warmup + i), args.steps, block, pause)
    turns = f"in turns of {block} steps" if args.torch else "alternating"
    print(f"{w.key}: {w.description}; {args.steps} steps each, {turns}")
    print(summarize(times, "PyTorch" if args.torch else args.base))


if __name__ == "__main__":
    main()
