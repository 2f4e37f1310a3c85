"""Where a workload's time goes in chainrule: forward and backward time of every op, by input shape.

    python benchmarks/ops.py M4                   # 40 timed batches after 5 warm-up ones
    python benchmarks/ops.py M3 --batches 100 --top 10

It trains the workload of ``benchmarks/run.py`` (same model, loss, optimiser, batch
size; the first batches of the training set in order) and wraps every op's
``forward`` and ``backward`` with a timer. The table lists the ops by total time
per batch; the last line compares their sum with the step's wall time (the rest is
the optimiser, the graph walk and Python). A development aid, not a benchmark:
the timers add a little overhead of their own.
"""

from __future__ import annotations

import argparse
import collections
import time

import numpy as np

from run import default_data_dir
from workloads import WORKLOADS, _chainrule_setup

WARMUP = 5


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def time_ops(totals: dict) -> None:
    """Wrap every op's forward and backward so that their seconds add up in ``totals``
    under (op, input shape, 'forward' | 'backward')."""
    from chainrule.autograd import Function

    for cls in list(_subclasses(Function)):
        if "forward" in vars(cls):
            _wrap(cls, totals)


def _wrap(cls, totals) -> None:
    forward, backward = cls.forward, cls.backward

    def timed_forward(self, *arrays, **options):
        start = time.perf_counter()
        out = forward(self, *arrays, **options)
        self._timing_key = (cls.__name__, tuple(getattr(arrays[0], "shape", ())))
        totals[self._timing_key + ("forward",)] += time.perf_counter() - start
        return out

    def timed_backward(self, grad):
        key = self._timing_key  # read first: backward may release the op's state
        start = time.perf_counter()
        grads = backward(self, grad)
        totals[key + ("backward",)] += time.perf_counter() - start
        return grads

    cls.forward, cls.backward = timed_forward, timed_backward


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", choices=sorted(WORKLOADS), help="the workload, as in benchmarks/run.py")
    parser.add_argument("--batches", type=int, default=40, help="timed batches (default 40)")
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads (default: all cores)")
    parser.add_argument("--top", type=int, default=25, help="rows to show (default 25)")
    parser.add_argument("--data-dir", default=default_data_dir())
    args = parser.parse_args(argv)

    from threadpoolctl import threadpool_limits

    import chainrule.data

    w = WORKLOADS[args.model]
    with threadpool_limits(limits=args.threads):
        train = chainrule.data.load(w.dataset, split="train", data_dir=args.data_dir, normalize="0-1")
        targets = train.y if w.loss == "cross_entropy" else np.eye(10, dtype=np.float32)[train.y]
        _, step, _ = _chainrule_setup(w, seed=0)
        totals = collections.defaultdict(float)
        time_ops(totals)
        batches = [slice(i * w.batch_size, (i + 1) * w.batch_size) for i in range(WARMUP + args.batches)]
        for b in batches[:WARMUP]:
            step(train.x[b], targets[b])
        totals.clear()
        start = time.perf_counter()
        for b in batches[WARMUP:]:
            step(train.x[b], targets[b])
        wall = time.perf_counter() - start

    per_batch = 1e3 / args.batches
    print(f"{w.key}: {w.description}; ms per batch over {args.batches} batches")
    print(f"{'ms':>7}  {'share':>5}  op")
    for (op, shape, phase), seconds in sorted(totals.items(), key=lambda kv: -kv[1])[:args.top]:
        print(f"{seconds * per_batch:7.2f}  {seconds / wall:5.0%}  {op} {phase} {list(shape)}")
    ops = sum(totals.values())
    print(f"ops {ops * per_batch:.1f} ms of a {wall * per_batch:.1f} ms step ({ops / wall:.0%})")


if __name__ == "__main__":
    main()
