"""The benchmark's four training workloads, and one timed run of one of them.

A run (:func:`run`) happens in a fresh worker process: it loads the data, builds
the chainrule model from a fixed seed (the PyTorch run builds the same model and
copies its weights into a ``torch.nn`` twin), draws the batch order from the same
seed, then times the training loop alone and measures its peak memory. Test
accuracy is computed afterwards, in eval mode, and is not timed.
"""

from __future__ import annotations

import importlib
import math
import time
from dataclasses import dataclass

import numpy as np

from peakmem import PeakRSS

EVAL_CHUNK = 500  # test images per forward pass when measuring accuracy


@dataclass(frozen=True)
class Workload:
    key: str
    arch: str  # a name in chainrule.models
    dataset: str
    loss: str  # 'cross_entropy' or 'half_mse' (one-hot targets)
    optimizer: str  # 'adam' or 'sgd'
    lr: float
    batch_size: int
    batches: int | None  # None: one epoch
    target: float  # the chainrule/PyTorch time ratio aimed at (context only)
    description: str


WORKLOADS = {
    w.key: w
    for w in (
        Workload("M1", "sigmoid-mlp", "mnist", "cross_entropy", "adam", 0.003, 100, None, 1.1,
                 "MLP 784-200-10 sigmoid, cross-entropy, Adam 0.003, batch 100, MNIST epoch"),
        Workload("M2", "b1", "mnist", "half_mse", "sgd", 3.0, 10, None, 0.35,
                 "784-8-8-10 all-sigmoid (B1), 1/2-MSE one-hot, SGD 3.0, batch 10, MNIST epoch"),
        Workload("M3", "c2", "mnist", "cross_entropy", "adam", 0.001, 64, None, 1.5,
                 "C2 CNN, cross-entropy, Adam 0.001, batch 64, MNIST epoch"),
        Workload("M4", "c6", "fashion-mnist", "cross_entropy", "adam", 0.001, 64, 200, 1.3,
                 "C6 CNN (BN, dropout), cross-entropy, Adam 0.001, batch 64, 200 Fashion-MNIST batches"),
    )
}


def batch_count(w: Workload, n: int, cap: int | None) -> int:
    count = w.batches if w.batches is not None else math.ceil(n / w.batch_size)
    return min(count, cap) if cap else count


# --------------------------------------------------------------- frameworks
# Each setup returns (model, step, predict): step(x, t) trains on one batch of
# NumPy arrays and returns the loss tensor; predict(x) gives NumPy logits.

def _chainrule_setup(w: Workload, seed: int, package: str = "chainrule"):
    """``package`` names the engine: compare.py loads a second copy under another name."""
    cr = importlib.import_module(package)
    models, nn, optim = (importlib.import_module(f"{package}.{name}") for name in ("models", "nn", "optim"))

    cr.manual_seed(seed)
    model = models.build(w.arch)
    loss_fn = nn.CrossEntropyLoss() if w.loss == "cross_entropy" else nn.HalfMSELoss()
    opt = (optim.Adam(model.parameters(), lr=w.lr) if w.optimizer == "adam"
           else optim.SGD(model.parameters(), lr=w.lr))

    def step(x, t):
        opt.zero_grad()
        loss = loss_fn(model(cr.from_numpy(x)), cr.from_numpy(t))
        loss.backward()
        opt.step()
        return loss

    def predict(x):
        with cr.no_grad():
            return model(cr.from_numpy(x)).numpy()

    return model, step, predict


def torch_twin(cr_model):
    """A ``torch.nn`` model with the same layers, keys and weights as a chainrule model."""
    from chainrule.backends.torch_backend import to_torch

    return to_torch(cr_model)


def _torch_setup(w: Workload, seed: int):
    import torch

    cr_model, _, _ = _chainrule_setup(w, seed)
    model = torch_twin(cr_model)
    del cr_model
    torch.manual_seed(seed)  # dropout masks
    if w.loss == "cross_entropy":
        loss_fn = torch.nn.CrossEntropyLoss()
    else:
        def loss_fn(y, t):
            return 0.5 * ((y - t) ** 2).sum(1).mean()
    opt = (torch.optim.Adam(model.parameters(), lr=w.lr) if w.optimizer == "adam"
           else torch.optim.SGD(model.parameters(), lr=w.lr))

    def step(x, t):
        opt.zero_grad()
        loss = loss_fn(model(torch.from_numpy(x)), torch.from_numpy(t))
        loss.backward()
        opt.step()
        return loss

    def predict(x):
        with torch.no_grad():
            return model(torch.from_numpy(x)).numpy()

    return model, step, predict


# --------------------------------------------------------------------- run
def run(key: str, framework: str, threads: int, cap: int | None, data_dir, seed: int = 0,
        test_samples: int | None = None) -> dict:
    """Train workload ``key`` with ``framework`` ('chainrule' or 'torch'); return the measurements.

    ``cap`` limits the batches; ``test_samples`` the test images scored (default: all)."""
    from threadpoolctl import threadpool_limits

    import chainrule.data

    w = WORKLOADS[key]
    if framework == "torch":
        import torch

        torch.set_num_threads(threads)
        setup = _torch_setup
    elif framework == "chainrule":
        setup = _chainrule_setup
    else:
        raise ValueError(f"unknown framework {framework!r}")

    with threadpool_limits(limits=threads):  # after the imports, so it reaches torch's OpenMP too
        train = chainrule.data.load(w.dataset, split="train", data_dir=data_dir, normalize="0-1")
        test = chainrule.data.load(w.dataset, split="test", data_dir=data_dir, normalize="0-1")
        test_x, test_y = test.x[:test_samples], test.y[:test_samples]
        x, y = train.x, train.y
        targets = y if w.loss == "cross_entropy" else np.eye(10, dtype=np.float32)[y]
        order = np.random.default_rng(seed).permutation(len(y))
        n_batches = batch_count(w, len(y), cap)
        batches = [order[i * w.batch_size:(i + 1) * w.batch_size] for i in range(n_batches)]
        model, step, predict = setup(w, seed)

        model.train()
        with PeakRSS() as mem:
            start = time.perf_counter()
            for idx in batches:
                loss = step(x[idx], targets[idx])
            seconds = time.perf_counter() - start

        model.eval()
        correct = sum(int((predict(test_x[i:i + EVAL_CHUNK]).argmax(1) == test_y[i:i + EVAL_CHUNK]).sum())
                      for i in range(0, len(test_y), EVAL_CHUNK))

    versions = {"numpy": np.__version__, "chainrule": chainrule.__version__}
    if framework == "torch":
        versions["torch"] = torch.__version__
    return {
        "model": key, "framework": framework, "threads": threads, "batches": n_batches,
        "seconds": seconds, "final_loss": float(loss.item()), "accuracy": correct / len(test_y),
        "test_samples": len(test_y),
        "peak_mb": mem.growth_mb, "baseline_mb": mem.baseline_mb, "memory_method": mem.method,
        "versions": versions,
    }
