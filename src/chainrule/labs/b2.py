"""Lab B2: ``NumpyANN``, a one-hidden-layer classifier written from scratch on NumPy
(:mod:`.scratch.numpy_ann`), on Fashion-MNIST, against its PyTorch-style twin (C5's net built
with chainrule modules) trained on the same data with the same loss gradient and optimiser."""

import time

import numpy as np

from .. import models, nn
from ..tensor import Tensor
from .framework import Lab, Question, Step, curves_answer
from .scratch.numpy_ann import NumpyANN

HIDDEN, LR, BATCH, EPOCHS = 256, 0.1, 64, 20
QUICK_EPOCHS = 5

STEPS = [Step("twin", f"PyTorch-style twin: Linear(784, {HIDDEN}) → ReLU → Linear({HIDDEN}, 10)",
              lambda shape, classes: models.mlp(shape, classes, hidden=HIDDEN), optimizer="sgd", lr=LR,
              batch_size=BATCH, epochs=EPOCHS, eval_every=None, quick_iterations=160, quick_eval_every=None,
              describe=f"C5's net (nn.Sequential of chainrule modules), cross-entropy on logits, plain SGD {LR}")]


def _ann(ctx):
    """Train NumpyANN once per run (cached on the context)."""
    if getattr(ctx, "b2_ann", None) is None:
        x, y = ctx.data["train"]
        vx, vy = ctx.data["eval"]
        flat = lambda a: a.reshape(len(a), -1).astype(np.float64)  # noqa: E731
        ann = NumpyANN(784, HIDDEN, len(ctx.data["classes"]), lr=LR, seed=ctx.seed)
        # gradient check on one batch: NumpyANN._backward against the engine's autograd, same weights
        model = models.mlp((784,), ann.output_size, hidden=HIDDEN).double()
        l1, l2 = [m for m in model.modules() if isinstance(m, nn.Linear)]
        l1.weight.data, l1.bias.data, l2.weight.data, l2.bias.data = (ann.W1.T.copy(), ann.b1.ravel().copy(),
                                                                      ann.W2.T.copy(), ann.b2.ravel().copy())
        xb, yb = flat(x[:BATCH]), y[:BATCH]
        probs = ann._forward(xb, training=True)
        grads = ann._backward(xb, yb)
        loss = nn.CrossEntropyLoss()(model(Tensor(xb)), Tensor(yb)) / ann.output_size
        loss_diff = abs(loss.item() - ann._loss(probs, yb))
        loss.backward()
        k = ann.output_size
        diff = max(np.abs(l1.weight.grad.numpy() * k - grads["W1"].T).max(), np.abs(l1.bias.grad.numpy() * k - grads["b1"].ravel()).max(),
                   np.abs(l2.weight.grad.numpy() * k - grads["W2"].T).max(), np.abs(l2.bias.grad.numpy() * k - grads["b2"].ravel()).max())
        epochs = QUICK_EPOCHS if ctx.quick else EPOCHS
        started = time.perf_counter()
        history = ann.train(flat(x), y, flat(vx), vy, epochs=epochs, batch_size=BATCH)
        seconds = time.perf_counter() - started
        tx, ty = ctx.data["test"]
        ctx.b2_ann = dict(ann=ann, history=history, epochs=epochs, seconds=seconds, grad_diff=float(diff),
                          loss_diff=float(loss_diff), test_acc=ann.accuracy(flat(tx), ty))
    return ctx.b2_ann


def the_class(ctx):
    a = _ann(ctx)
    ann = a["ann"]
    return "\n".join([
        "`chainrule.labs.scratch.NumpyANN(input_size, hidden_size, output_size, lr, seed)` in plain NumPy: "
        "weights `0.01 · randn` of shapes (in, hidden) and (hidden, out), zero biases of shape (1, n); ReLU hidden "
        "(derivative 0 for x <= 0), softmax output; loss = cross-entropy / number of classes; `_forward(X, training)`, "
        "`_backward(X, y)` with `dZ2 = A2 − Y`, `dW2 = A1ᵀ dZ2`, `db2 = Σ dZ2`, averaged over the samples; `train`, "
        "`predict` (probabilities), `accuracy`.", "",
        ctx.table(("measure", "value"), [
            ("W1, W2 shapes", ctx.num("weight_shapes", f"{ann.W1.shape}, {ann.W2.shape}", "")),
            ("b1, b2 shapes", ctx.num("bias_shapes", f"{ann.b1.shape}, {ann.b2.shape}", "")),
            ("parameters", ctx.num("ann_parameters", int(ann.W1.size + ann.b1.size + ann.W2.size + ann.b2.size), ",")),
            ("difference of the loss and the engine's cross-entropy / classes (one batch, float64)", ctx.num("loss_diff", a["loss_diff"], ".2e")),
            ("largest difference, `_backward` vs classes × engine autograd gradient (one batch, float64)",
             ctx.num("max_grad_diff", a["grad_diff"], ".2e"))]), "",
        "The exercise divides the loss by the number of classes but its `_backward` is the gradient of the mean "
        "cross-entropy (no 1/classes), so `_backward` equals 10 × the autograd gradient of its own loss — i.e. "
        "exactly the gradient of `nn.CrossEntropyLoss`, which is what the twin below trains with."])


def ann_training(ctx):
    a = _ann(ctx)
    h = a["history"]
    rows = [(i + 1, ctx.num(f"ann_epoch_{i + 1}_train_loss", h["train_loss"][i]),
             ctx.num(f"ann_epoch_{i + 1}_train_acc", h["train_acc"][i]),
             ctx.num(f"ann_epoch_{i + 1}_val_loss", h["val_loss"][i]), ctx.num(f"ann_epoch_{i + 1}_val_acc", h["val_acc"][i]))
            for i in range(len(h["val_acc"]))]
    return "\n".join([
        f"`NumpyANN(784, {HIDDEN}, 10, lr={LR}, seed={ctx.seed}).train(X, y, X_val, y_val, epochs="
        f"{ctx.num('ann_epochs', a['epochs'], 'd')}, batch_size={BATCH})` on {len(ctx.data['train'][1]):,} training "
        f"images, validated on {len(ctx.data['eval'][1]):,} held out of the training set; "
        f"{ctx.num('ann_seconds', a['seconds'], '.1f')} s. Loss = cross-entropy / 10:", "",
        ctx.table(("epoch", "train loss", "train accuracy", "validation loss", "validation accuracy"), rows), "",
        f"Test accuracy of NumpyANN: **{ctx.num('ann_test_accuracy', a['test_acc'])}** "
        "(exercise bar ≥ 0.77; target of a full run ≥ 0.86)."])


def twin(ctx):
    return "\n".join([
        f"`nn.Sequential(nn.Flatten(), nn.Linear(784, {HIDDEN}), nn.ReLU(), nn.Linear({HIDDEN}, 10))` seeded with "
        f"`chainrule.manual_seed({ctx.seed})` (the library's default Kaiming-uniform init), `nn.CrossEntropyLoss` on "
        f"logits, plain SGD lr {LR}, batch {BATCH}, trained by the library's Trainer on the same images.", "",
        curves_answer(ctx, "twin")])


def compare(ctx):
    a, r = _ann(ctx), ctx["twin"]
    ann_val = a["history"]["val_acc"][-1]
    twin_val = r.history.eval_acc[-1] if r.history.eval_acc else None
    return "\n".join([
        ctx.table(("", "NumpyANN (from scratch)", "twin (chainrule modules)"), [
            ("init", "0.01 · randn, zero biases", "Kaiming-uniform (library default)"),
            ("loss gradient / optimiser", f"mean cross-entropy / SGD {LR}", f"mean cross-entropy / SGD {LR}"),
            ("batch", BATCH, r.step.batch_size),
            ("training length", f"{a['epochs']} epochs", f"{r.iterations} iterations"),
            ("final validation accuracy", ctx.num("cmp_ann_val_acc", ann_val), ctx.num("cmp_twin_val_acc", twin_val)),
            ("test accuracy", ctx.num("cmp_ann_test_acc", a["test_acc"]), ctx.num("cmp_twin_test_acc", r.test_accuracy)),
            ("seconds", ctx.num("cmp_ann_seconds", a["seconds"], ".1f"), ctx.num("cmp_twin_seconds", r.seconds, ".1f"))]),
        "", f"Test-accuracy difference (NumpyANN − twin): {ctx.num('test_acc_difference', a['test_acc'] - r.test_accuracy, '+.4f')}. "
        "Same architecture, same gradient, same optimiser: what differs is only the initialisation and the batch "
        "order."])


LAB = Lab(
    id="B2", title="A one-hidden-layer classifier class from scratch (NumpyANN) vs its PyTorch-style twin (Fashion-MNIST)",
    trains=f"NumpyANN 784-{HIDDEN}-10 and the C5 twin, SGD {LR}, batch {BATCH}, {EPOCHS} epochs each, 50k/10k train/validation",
    expected="about 3 min", dataset="fashion-mnist", steps=STEPS, eval_split="validation", validation_size=10_000,
    questions=[Question("The NumpyANN class and its gradients against autograd", the_class),
               Question("Training NumpyANN: validation loss and accuracy per epoch", ann_training),
               Question("The PyTorch-style twin (C5's net): curves and judgement", twin),
               Question("NumpyANN vs the twin on the same data", compare)],
    quick_eval=500, judge_options={"min_train_acc": 0.8},
)
