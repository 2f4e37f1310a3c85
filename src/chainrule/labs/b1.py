"""Lab B1: a generic all-sigmoid network with ½-MSE cost, written from scratch on NumPy
(:mod:`.scratch.b1_network`), checked against the engine, then tuned within its family."""

import numpy as np

from .. import models, nn
from ..tensor import Tensor
from .framework import Lab, Question, Step
from .scratch.b1_network import Network, one_hot_columns


GIVEN = dict(widths=(8, 8), lr=3.0, batch=10)
# the tuning grid, within the family (sigmoid on every layer, ½-MSE, plain mini-batch SGD);
# quick mode trains the same grid for 200 iterations on a 2,000-image slice
GRID = [dict(widths=(8, 8), lr=1.0, batch=10), dict(widths=(30,), lr=3.0, batch=10),
        dict(widths=(100,), lr=3.0, batch=10), dict(widths=(100,), lr=1.0, batch=10),
        dict(widths=(100,), lr=3.0, batch=30), dict(widths=(100, 30), lr=3.0, batch=10)]
FULL_EPOCHS = 15
SCRATCH = {"quick": dict(epochs=3, train=2000), "full": dict(epochs=10, train=None)}


def _name(c):
    return "tune_" + "x".join(map(str, c["widths"])) + f"_lr{c['lr']:g}_b{c['batch']}"


def _title(c):
    return f"784-{'-'.join(map(str, c['widths']))}-10 sigmoid, η {c['lr']:g}, batch {c['batch']}"


def _step(name, c):
    return Step(name, _title(c), lambda shape, classes, w=c["widths"]: models.b1(shape, classes, widths=w),
                loss="half_mse", optimizer="sgd", lr=c["lr"], batch_size=c["batch"], epochs=FULL_EPOCHS,
                eval_every=None, quick_iterations=200, quick_eval_every=50,
                describe=f"{_title(c)} on every layer, ½-MSE, plain SGD (library default init)")


STEPS = [_step("given", GIVEN)] + [_step(_name(c), c) for c in GRID]


def _scratch(ctx):
    """Train the from-scratch 784-8-8-10 net once per run (cached on the context)."""
    if getattr(ctx, "b1_scratch", None) is None:
        mode = SCRATCH["quick" if ctx.quick else "full"]
        x, y = ctx.data["train"]
        if mode["train"]:
            x, y = x[:mode["train"]], y[:mode["train"]]
        tx, ty = ctx.data["test"]
        cols = lambda a: a.reshape(len(a), -1).T.astype(np.float64)  # noqa: E731
        net = Network([784, *GIVEN["widths"], 10], seed=ctx.seed)
        # the gradient check: one training image, the scratch gradients against the engine's autograd
        model = models.b1((784,), 10, widths=GIVEN["widths"]).double()
        linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
        for lin, w, b in zip(linears, net.weights, net.biases):
            lin.weight.data, lin.bias.data = w.T.copy(), b.ravel().copy()
        x0, y0 = cols(x[:1]), one_hot_columns(y[:1])
        dC_db, dC_dw = net.back_propagation(x0, y0)
        nn.HalfMSELoss(reduction="sum")(model(Tensor(x0.T)), Tensor(y0.T)).backward()
        diff = max(max(np.abs(lin.weight.grad.numpy() - gw.T).max(), np.abs(lin.bias.grad.numpy() - gb.ravel()).max())
                   for lin, gb, gw in zip(linears, dC_db, dC_dw))
        import time

        started = time.perf_counter()
        costs, accs = net.mini_batch_GD(cols(x), y, mode["epochs"], GIVEN["batch"], GIVEN["lr"], cols(tx), ty,
                                        seed=ctx.seed)
        ctx.b1_scratch = dict(net=net, db_shapes=[g.shape for g in dC_db], dw_shapes=[g.shape for g in dC_dw],
                              grad_diff=float(diff), costs=costs, accs=accs, images=len(y),
                              seconds=time.perf_counter() - started, epochs=mode["epochs"])
    return ctx.b1_scratch


def scratch_module(ctx):
    s = _scratch(ctx)
    shapes = lambda ss: ", ".join(str(tuple(int(v) for v in sh)) for sh in ss)  # noqa: E731
    return "\n".join([
        "`chainrule.labs.scratch.b1_network` (plain NumPy, no autograd): `sigmoid`, `sigmoid_derivative`, "
        "`cost` (½ Σ (a − y)²), `cost_derivative` (a − y) and `Network(sizes)` with `forward_pass`, per-sample "
        "`back_propagation(x, y)` and `mini_batch_GD`, generic in depth and width; weights are stored in-by-out "
        "and a layer computes `z = Wᵀ a + b` on column vectors.", "",
        ctx.table(("check (one training image, 784-8-8-10)", "measured"), [
            ("`dC_db` shapes", ctx.num("dC_db_shapes", shapes(s["db_shapes"]), "")),
            ("`dC_dw` shapes (in-by-out)", ctx.num("dC_dw_shapes", shapes(s["dw_shapes"]), "")),
            ("shapes as the exercise gives them", ctx.num("shapes_match_exercise", s["db_shapes"] == [(8, 1), (8, 1), (10, 1)]
                                                          and s["dw_shapes"] == [(784, 8), (8, 8), (8, 10)])),
            ("largest difference, scratch vs engine autograd, over all gradients (float64)", ctx.num("max_grad_diff", s["grad_diff"], ".2e"))]),
        "", "The engine's net is `models.b1` (nn.Linear stores out-by-in, so its weight is the scratch `W.T`) "
        "with `nn.HalfMSELoss(reduction='sum')` on the one-hot target. `tests/labs/test_scratch.py` also checks "
        "that the engine's vectorised training (SGD η, `HalfMSELoss` mean over the batch, the same batch order) "
        "reproduces `mini_batch_GD`'s cost history to 1e-6."])


def scratch_training(ctx):
    s = _scratch(ctx)
    rows = [(i + 1, ctx.num(f"scratch_epoch_{i + 1}_cost", c, ".6f"), ctx.num(f"scratch_epoch_{i + 1}_test_acc", a))
            for i, (c, a) in enumerate(zip(s["costs"], s["accs"]))]
    return "\n".join([
        f"`Network([784, 8, 8, 10]).mini_batch_GD` on {ctx.num('scratch_train_images', s['images'], ',')} training "
        f"images, η {GIVEN['lr']:g}, batch {GIVEN['batch']}, {ctx.num('scratch_epochs', s['epochs'], 'd')} epochs "
        f"(shuffled each epoch by `np.random.default_rng({ctx.seed})`), standard-normal initial weights; "
        f"{ctx.num('scratch_seconds', s['seconds'], '.1f')} s of per-sample backprop. Cost = mean over the training "
        "images of ½ Σ (a − y)², after each epoch:", "",
        ctx.table(("epoch", "training cost", "test accuracy"), rows), "",
        f"Final test accuracy of the from-scratch net: **{ctx.num('scratch_test_accuracy', s['accs'][-1])}**."])


def given_net(ctx):
    r = ctx["given"]
    return "\n".join([
        "The exercise's 784-8-8-10 net, trained by the engine (same family: sigmoid on every layer, ½-MSE, "
        f"plain SGD η {r.step.lr:g}, batch {r.step.batch_size}), reported as measured:", "",
        ctx.table(("measure", "value"), [
            ("parameters", ctx.num("given_parameters", r.parameters, ",")),
            ("iterations", ctx.num("given_iterations", r.iterations, "d")),
            (f"final {ctx.lab.eval_split} accuracy", ctx.num("given_eval_accuracy", _eval_acc(r))),
            ("test accuracy", ctx.num("given_test_accuracy", r.test_accuracy)),
            ("test cost (½-MSE)", ctx.num("given_test_cost", r.test_loss))]), "",
        "Eight sigmoid units per hidden layer are a narrow bottleneck: the exercise's bars are 82 % acceptable, "
        "87 % good, 90 % very good, 92 % excellent."])


def _eval_acc(r):
    return r.history.eval_acc[-1] if r.history.eval_acc else r.test_accuracy


def tuning(ctx):
    names = [n for n in ctx.results if n.startswith("tune_")]
    configs = {_name(c): c for c in GRID}
    rows = []
    for n in ["given", *names]:
        r, c = ctx[n], (GIVEN if n == "given" else configs[n])
        rows.append((n, len(c["widths"]), "-".join(map(str, c["widths"])), f"{c['lr']:g}", c["batch"],
                     ctx.num(f"{n}_eval_accuracy", _eval_acc(r)), ctx.num(f"{n}_test_accuracy", r.test_accuracy),
                     f"{r.seconds:.1f}"))
    best = max(["given", *names], key=lambda n: _eval_acc(ctx[n]))
    return "\n".join([
        f"A grid over learning rate, batch size, depth and width, all within the family; each run "
        f"{'a quick slice' if ctx.quick else f'{FULL_EPOCHS} epochs'}; the choice is made on the "
        f"{ctx.lab.eval_split} accuracy (held out of training), and only then is its test accuracy read.", "",
        ctx.table(("run", "hidden layers", "widths", "η", "batch", f"{ctx.lab.eval_split} accuracy",
                   "test accuracy", "seconds"), rows), "",
        f"Best on {ctx.lab.eval_split}: **{ctx.num('best_run', best, '')}** ({_title(GIVEN if best == 'given' else configs[best])}), "
        f"test accuracy **{ctx.num('best_test_accuracy', ctx[best].test_accuracy)}** "
        "(target of a full run ≥ 0.96; exercise: 0.92 excellent)."
        + (" Quick mode: a tiny grid on a small slice — these numbers are not the targets." if ctx.quick else "")])


LAB = Lab(
    id="B1", title="A generic sigmoid network trained with per-sample backprop (NumPy from scratch)",
    trains=f"784-8-8-10 sigmoid, ½-MSE, per-sample NumPy backprop; then a {len(GRID)}-run grid of "
           f"η / batch / depth / width on the engine, {FULL_EPOCHS} epochs each, 50k/10k train/validation",
    expected="about 9 min", dataset="mnist", steps=STEPS, eval_split="validation", validation_size=10_000,
    questions=[Question("The from-scratch module: back_propagation's shapes and its gradients against autograd",
                        scratch_module),
               Question("Mini-batch gradient descent from scratch: the cost history and test accuracy", scratch_training),
               Question("The given 784-8-8-10 net", given_net),
               Question("Tuning learning rate, batch size, depth and width", tuning)],
    quick_eval=500, judge_options={"min_train_acc": 0.8},
)
