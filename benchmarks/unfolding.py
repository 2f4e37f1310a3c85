"""One convolution's forward and backward by kernel rows against by the patch matrix.

    python benchmarks/unfolding.py                      # the layers that set the thresholds
    python benchmarks/unfolding.py --layer 64,32,14,64,3,1 --layer 64,1,28,32,3,1

``chainrule.ops.conv`` computes a convolution with a stride of 1 down the rows either
from the patch matrix (im2col) or by kernel rows, and ``_unfolding`` chooses by the
input's channels times the kernel's width and by the size of the patch matrix. This
script times one layer both ways, in turns (each turn runs both, in alternating order,
right after a product of the size of the layer's own, so that both find the caches
alike), and prints the median of each and their ratio, with which way ``_unfolding``
picks. A layer is N,C,H,O,k,p: a batch of N images of C channels, H×H pixels, O
output channels, a k×k kernel, padding p, stride 1. Batch-last input, as between
layers of a network.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # the working tree's engine

import chainrule as cr  # noqa: E402
from chainrule.nn import functional as F  # noqa: E402
from chainrule.ops import conv  # noqa: E402

# C6 (benchmark M4) at batch 64, then fewer channels, one channel and a smaller batch.
DEFAULT_LAYERS = [
    (64, 32, 14, 64, 3, 1), (64, 64, 7, 128, 3, 1), (64, 128, 3, 256, 3, 1), (256, 128, 3, 256, 3, 1),
    (32, 64, 7, 128, 3, 1), (16, 64, 7, 128, 3, 1),
    (64, 8, 28, 16, 3, 1), (64, 6, 28, 16, 3, 1), (64, 4, 28, 16, 3, 1), (64, 3, 32, 32, 3, 1),
    (64, 1, 28, 32, 3, 1), (64, 1, 28, 20, 5, 0),
]


def layer(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 6 or min(values) < 0 or min(values[:5]) < 1:
        raise argparse.ArgumentTypeError(f"a layer is six integers N,C,H,O,k,p, got {text!r}")
    h, k, p = values[2], values[4], values[5]
    if k > h + 2 * p or 2 * p >= k:
        raise argparse.ArgumentTypeError(f"layer {text}: both ways need k <= H + 2p and 2p < k")
    return values


def _step(x, w, b, padding, grad, by_rows: bool):
    def run():
        conv._KERNEL_ROWS_MIN_WIDTH, conv._KERNEL_ROWS_MIN_PATCHES = (0, 0) if by_rows else (10**9, 0)
        F.conv2d(x, w, b, 1, padding).backward(grad)
    return run


def time_layer(n, c, h, o, k, p, turns: int, rng) -> tuple[float, float]:
    """Median seconds of forward + backward, by kernel rows and by the patch matrix."""
    x = cr.from_numpy(rng.standard_normal((c, h, h, n), dtype=np.float32).transpose(3, 0, 1, 2))
    x.requires_grad = True
    w = cr.tensor(rng.standard_normal((o, c, k, k), dtype=np.float32), requires_grad=True)
    b = cr.tensor(rng.standard_normal(o, dtype=np.float32), requires_grad=True)
    oh = conv.output_size(h, k, 1, p)
    grad = cr.from_numpy(rng.standard_normal((o, oh, oh, n), dtype=np.float32).transpose(3, 0, 1, 2))
    ways = [_step(x, w, b, p, grad, True), _step(x, w, b, p, grad, False)]
    flush_a = rng.random((o, c * k * k), dtype=np.float32)
    flush_b = rng.random((c * k * k, oh * oh * n), dtype=np.float32)
    times = [[], []]
    for turn in range(turns + 2):
        for i in ((0, 1) if turn % 2 else (1, 0)):
            flush_a @ flush_b
            start = time.perf_counter()
            ways[i]()
            if turn >= 2:  # two turns of warm-up
                times[i].append(time.perf_counter() - start)
    return float(np.median(times[0])), float(np.median(times[1]))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layer", type=layer, action="append",
                        help="N,C,H,O,k,p (repeatable; default: a set of layers around the thresholds)")
    parser.add_argument("--turns", type=int, default=40, help="timed turns per layer (default 40)")
    args = parser.parse_args(argv)
    if args.turns < 1:
        parser.error("--turns must be at least 1")
    limits = conv._KERNEL_ROWS_MIN_WIDTH, conv._KERNEL_ROWS_MIN_PATCHES
    rng = np.random.default_rng(0)
    print(f"forward + backward, ms (median of {args.turns}); thresholds: C·kW >= {limits[0]}, "
          f"patch matrix >= {limits[1]} entries")
    print(f"{'N,C,H,O,k,p':>20} {'C·kW':>5} {'P entries':>10} {'by rows':>8} {'by P':>7} {'ratio':>6}  chosen")
    for n, c, h, o, k, p in args.layer or DEFAULT_LAYERS:
        try:
            by_rows, by_patches = time_layer(n, c, h, o, k, p, args.turns, rng)
        finally:  # the timed steps force one way or the other; the choice below is the real one
            conv._KERNEL_ROWS_MIN_WIDTH, conv._KERNEL_ROWS_MIN_PATCHES = limits
        oh = conv.output_size(h, k, 1, p)
        chosen = conv._unfolding((n, c, h, h), (k, k), (1, 1), (p, p), (oh, oh))
        print(f"{f'{n},{c},{h},{o},{k},{p}':>20} {c * k:>5} {c * k * k * oh * oh * n:>10} {by_rows * 1e3:>8.2f} "
              f"{by_patches * 1e3:>7.2f} {by_rows / by_patches:>6.3f}  "
              f"{'kernel rows' if isinstance(chosen, conv._KernelRows) else 'patches'}")


if __name__ == "__main__":
    main()
