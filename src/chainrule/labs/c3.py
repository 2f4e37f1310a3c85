"""Lab C3: the MNIST feed-forward series (single layer, two layers and the width sweep, five
layers sigmoid vs ReLU with the NaN and its cure, Adam and the longer run)."""

import numpy as np

from .. import nn
from ..optim.lr_scheduler import ExpDecayLR
from ..report import overfit_start
from .framework import (
    Comparison,
    Lab,
    Question,
    Step,
    init_normal,
    init_zeros,
    line_plot,
    weights,
)

WIDTHS = (10, 30, 100, 200, 400, 750)
FIVE = (200, 100, 60, 30)


def single(shape, classes):
    return nn.Sequential(nn.Flatten(), nn.Linear(784, classes), nn.Softmax(dim=1))


def two_layer(width):
    def build(shape, classes):
        return nn.Sequential(nn.Flatten(), nn.Linear(784, width), nn.Sigmoid(), nn.Linear(width, classes),
                             nn.Softmax(dim=1))
    return build


def five_layer(activation, softmax=False):
    def build(shape, classes):
        layers, fan_in = [nn.Flatten()], 784
        for width in FIVE:
            layers += [nn.Linear(fan_in, width), activation()]
            fan_in = width
        layers.append(nn.Linear(fan_in, classes))
        if softmax:  # the exercise's first version: probabilities out, cross-entropy written by hand
            layers.append(nn.Softmax(dim=1))
        return nn.Sequential(*layers)
    return build


SGD = {"optimizer": "sgd", "lr": 0.5, "batch_size": 100}
STEPS = [
    Step("single", "1 layer 784-10 softmax, zero init", single, loss="softmax_log", init=init_zeros, **SGD,
         iterations=2000, eval_every=50, quick_iterations=200, quick_eval_every=10),
    Step("two_layer", "2 layers 784-200-10 sigmoid", two_layer(200), loss="softmax_log", init=init_normal(0.1),
         **SGD, iterations=2000, eval_every=50, quick_iterations=200, quick_eval_every=10),
    *[Step(f"width_{w}", f"2 layers, {w} hidden", two_layer(w), loss="softmax_log", init=init_normal(0.1), **SGD,
           iterations=2000, eval_every=200, quick_iterations=200, quick_eval_every=50) for w in WIDTHS],
    Step("two_layer_zero", "2 layers 784-200-10 sigmoid, all-zero init", two_layer(200), loss="softmax_log",
         init=init_zeros, **SGD, iterations=2000, eval_every=100, quick_iterations=200, quick_eval_every=20),
    Step("five_sigmoid", "5 layers sigmoid", five_layer(nn.Sigmoid), init=init_normal(0.1), **SGD,
         iterations=3000, eval_every=100, quick_iterations=300, quick_eval_every=20),
    Step("five_relu", "5 layers ReLU", five_layer(nn.ReLU), init=init_normal(0.1), **SGD,
         iterations=3000, eval_every=100, quick_iterations=300, quick_eval_every=20),
    Step("five_zero", "5 layers ReLU, all-zero init", five_layer(nn.ReLU), init=init_zeros, **SGD,
         iterations=1000, eval_every=100, quick_iterations=100, quick_eval_every=20),
    # The NaN: softmax output, log written by hand; trained on 500 images, the logits spread until
    # a probability underflows to an exact 0 (both modes: same data, same run).
    # Measured first NaN, chainrule engine: iteration 112 / 94 / 575 with seeds 0 / 1 / 2 (2 000
    # images: 2684 / 823 / none in 8 000). Whether and when a probability underflows is chaotic: on
    # the torch backend, whose float32 rounding differs, seeds 0 / 1 / 2 gave none / none / 5668.
    Step("nan_softmax_log", "5 layers ReLU, softmax + hand-written log", five_layer(nn.ReLU, softmax=True),
         loss="softmax_log", init=init_normal(0.1), **SGD, iterations=4000, eval_every=200, quick_iterations=4000,
         quick_eval_every=200, train_limit=500, expect_non_finite=True),
    Step("nan_cured_logits", "5 layers ReLU, logits + fused cross-entropy", five_layer(nn.ReLU),
         init=init_normal(0.1), **SGD, iterations=4000, eval_every=200, quick_iterations=4000,
         quick_eval_every=200, train_limit=500),
    Step("adam", "5 layers ReLU, Adam 0.003, biases 0.1", five_layer(nn.ReLU), init=init_normal(0.1, 0.1),
         optimizer="adam", lr=0.003, batch_size=100, iterations=3000, eval_every=100, quick_iterations=300,
         quick_eval_every=20),
    Step("adam_long", "5 layers ReLU, Adam 0.003, 10 000 iterations", five_layer(nn.ReLU),
         init=init_normal(0.1, 0.1), optimizer="adam", lr=0.003, batch_size=100, iterations=10_000,
         eval_every=200, quick_iterations=1000, quick_eval_every=50),
    # Beyond the sheet: the same 10 000 iterations with the rate decayed as exercise C4 does it.
    Step("adam_decay", "5 layers ReLU, Adam 0.003 decayed to 0.0001 (τ = 2000), 10 000 iterations",
         five_layer(nn.ReLU), init=init_normal(0.1, 0.1), optimizer="adam", lr=0.003,
         schedule=lambda opt: ExpDecayLR(opt, tau=2000, eta_min=1e-4), batch_size=100, iterations=10_000,
         eval_every=200, quick_iterations=1000, quick_eval_every=50),
]


# ---------------------------------------------------------------- part 1
def plots(ctx):
    return "\n".join([
        "The single layer `Linear(784, 10)` → `Softmax`, every weight and bias 0, loss "
        "`-(t * log(p)).sum(1).mean()` written by hand, SGD 0.5, batch 100.", "",
        "![100 test images, wrong ones in red](single/predictions.png)", "",
        "![cost and accuracy, train and test, per iteration](single/curves.png)", "",
        f"Of the 100 images shown, {ctx.num('single_grid_wrong', _grid_wrong(ctx, 'single'), 'd')} are wrong "
        "(red, with the true label). Left: cross-entropy on the training batches and on the test set; right: "
        "accuracy on both (full report: [single/report.md](single/report.md))."])


def _grid_wrong(ctx, name):
    import json

    grid = json.loads((ctx.out / name / "metrics.json").read_text()).get("grid", {})
    return len(grid.get("wrong", []))


def noise(ctx):
    h = ctx["single"].history
    acc = np.asarray(h.train_acc, dtype=float)
    tail = acc[len(acc) // 2:]
    w = 25
    trend = np.convolve(tail, np.ones(w) / w, mode="valid")
    resid = tail[w // 2: w // 2 + len(trend)] - trend
    p = float(tail.mean())
    batch = ctx["single"].step.batch_size
    binomial = float(np.sqrt(p * (1 - p) / batch))
    spread = float(resid.std())
    n_eval = len(ctx.data["eval"][1])
    return "\n".join([
        f"Each point of the training curve is the accuracy on one mini-batch of {batch} images: a sample of "
        f"{batch} yes/no outcomes, so it scatters like a binomial proportion around the true accuracy p.", "",
        ctx.table(("measure (second half of the run)", "value"), [
            ("mean batch accuracy p", ctx.num("noise_mean_batch_accuracy", p)),
            ("measured spread of batch accuracy (std around a 25-iteration moving average)",
             ctx.num("noise_measured_std", spread)),
            (f"binomial spread sqrt(p(1-p)/{batch})", ctx.num("noise_binomial_std", binomial)),
            ("measured / binomial", ctx.num("noise_ratio", spread / binomial, ".2f")),
            (f"binomial spread of the test curve (sqrt(p(1-p)/{n_eval}))",
             ctx.num("noise_test_binomial_std", float(np.sqrt(p * (1 - p) / n_eval)))),
        ]), "",
        ("The measured spread is close to the binomial one" if 0.7 <= spread / binomial <= 1.3 else
         "The measured spread is of the binomial one's order") +
        ": the noise is mostly the sampling noise of a 100-image batch "
        "(each batch is a different, randomly drawn set of digits, some harder than others), not "
        f"instability of the training. The test curve is measured on {n_eval} images, so its spread is "
        f"sqrt({n_eval}/{batch}) times smaller."])


def test_accuracy(ctx):
    r = ctx["single"]
    return (f"Test accuracy after {ctx.num('single_iterations', r.iterations, 'd')} iterations: "
            f"**{ctx.num('single_test_accuracy', r.test_accuracy)}** (test loss "
            f"{ctx.num('single_test_loss', r.test_loss)}). Target of a full run: ≥ 0.92.")


def parameters(ctx):
    r = ctx["single"]
    return (f"784 · 10 weights + 10 biases = **{ctx.num('single_parameters', r.parameters, ',')}** "
            f"(counted by `chainrule.summary`: {ctx.num('single_summary_parameters', r.summary.total_params, ',')}).")


def epochs(ctx):
    r = ctx["single"]
    n = len(ctx.data["train"][1])
    per_epoch = -(-n // r.step.batch_size)
    return (f"{n:,} training images / batch {r.step.batch_size} = **{ctx.num('iterations_per_epoch', per_epoch, 'd')}"
            f" iterations per epoch**; the run's {r.iterations} iterations complete "
            f"**{ctx.num('single_epochs', r.iterations / per_epoch, '.2f')} epochs** "
            f"({ctx.num('single_complete_epochs', sum(1 for e in r.history.epochs if e.get('complete', True)), 'd')} "
            "complete).")


# ---------------------------------------------------------------- part 2
def two_vs_one(ctx):
    one, two = ctx["single"], ctx["two_layer"]
    return "\n".join([
        ctx.table(("model", "parameters", "test accuracy", "test loss"), [
            ("1 layer 784-10", f"{one.parameters:,}", ctx.num("single_test_accuracy", one.test_accuracy),
             ctx.num("single_test_loss", one.test_loss)),
            ("2 layers 784-200-10 sigmoid", ctx.num("two_layer_parameters", two.parameters, ","),
             ctx.num("two_layer_test_accuracy", two.test_accuracy), ctx.num("two_layer_test_loss", two.test_loss))]),
        "", f"The hidden layer changes the test accuracy by "
            f"**{ctx.num('two_minus_one_accuracy', two.test_accuracy - one.test_accuracy, '+.4f')}** after the same "
            "number of iterations: the single layer is a linear classifier, the hidden layer lets the net combine "
            "strokes non-linearly. Curves: *1 layer vs 2 layers* below."])


def sweep(ctx):
    rows, accs = [], []
    for w in WIDTHS:
        r = ctx[f"width_{w}"]
        accs.append(r.test_accuracy)
        rows.append((w, ctx.num(f"width_{w}_parameters", r.parameters, ","),
                     ctx.num(f"width_{w}_test_accuracy", r.test_accuracy), ctx.num(f"width_{w}_test_loss", r.test_loss)))
    line_plot(ctx.out / "width_sweep.png", list(WIDTHS), {"test accuracy": accs}, xlabel="hidden units",
              ylabel="test accuracy", title="C3.2: hidden width sweep", logx=True)
    best = WIDTHS[int(np.argmax(accs))]
    return "\n".join([
        ctx.table(("hidden units", "parameters", "test accuracy", "test loss"), rows), "",
        "![test accuracy against hidden width](width_sweep.png)", "",
        f"Best width: **{ctx.num('width_best', best, 'd')}** "
        f"({ctx.num('width_best_accuracy', max(accs))}); from {WIDTHS[0]} to {WIDTHS[-1]} units the accuracy moves by "
        f"{ctx.num('width_range_accuracy', max(accs) - min(accs))}: a narrow layer is a bottleneck, beyond a "
        "few hundred units more width adds parameters but little accuracy at this number of iterations."])


def _identical(ctx, name):
    w1, w2 = weights(ctx[name].model)[:2]  # (hidden, 784) and (10, hidden)
    rows = float(np.abs(w1 - w1[:1]).max())
    cols = float(np.abs(w2 - w2[:, :1]).max())
    distinct = len(np.unique(np.round(w1, 6), axis=0))
    return rows, cols, distinct, float(np.abs(w1).max())


def zero_init(ctx):
    rows, cols, distinct, size = _identical(ctx, "two_layer_zero")
    r = ctx["two_layer_zero"]
    return "\n".join([
        "Every weight and bias 0: each hidden unit computes sigmoid(0) = 0.5, gets the same gradient and "
        "takes the same step, so the 200 units stay copies of one another — the layer acts as one unit. "
        "Measured on the trained weights:", "",
        ctx.table(("measure", "value"), [
            ("largest difference between any hidden unit's incoming weights and unit 0's",
             ctx.num("zero_init_max_row_difference", rows, ".3g")),
            ("largest difference between any hidden unit's outgoing weights and unit 0's",
             ctx.num("zero_init_max_col_difference", cols, ".3g")),
            ("distinct hidden units (rows of W1, 6 decimals)", ctx.num("zero_init_distinct_units", distinct, "d")),
            ("largest abs weight in W1 (the units did learn, all alike)", ctx.num("zero_init_max_weight", size, ".3g")),
            ("test accuracy", ctx.num("zero_init_test_accuracy", r.test_accuracy)),
            ("test accuracy with 0.1·randn init", ctx.num("two_layer_test_accuracy", ctx["two_layer"].test_accuracy)),
        ])])


# ---------------------------------------------------------------- part 3
def five(ctx):
    s, r = ctx["five_sigmoid"], ctx["five_relu"]
    return "\n".join([
        "Five layers 784-200-100-60-30-10, 0.1·randn weights, zero biases, SGD 0.5, logits and fused "
        "cross-entropy (see Q11 for why not softmax + log).", "",
        ctx.table(("hidden activation", "test accuracy", "test loss", "train accuracy (last 10%)"), [
            ("sigmoid", ctx.num("five_sigmoid_test_accuracy", s.test_accuracy), ctx.num("five_sigmoid_test_loss", s.test_loss),
             ctx.num("five_sigmoid_train_accuracy_end", s.judgement.numbers["train_acc_end"])),
            ("ReLU", ctx.num("five_relu_test_accuracy", r.test_accuracy), ctx.num("five_relu_test_loss", r.test_loss),
             ctx.num("five_relu_train_accuracy_end", r.judgement.numbers["train_acc_end"]))]),
        "", "Through four sigmoid layers the gradient is multiplied by σ' ≤ 0.25 at each: the first layers "
            "barely learn and the sigmoid net starts slowly; ReLU passes the gradient through unchanged where "
            "a unit is active. Curves: *sigmoid vs ReLU* below."])


def five_zero(ctx):
    r = ctx["five_zero"]
    w = weights(r.model)
    moved = [float(np.abs(m).max()) for m in w]
    return "\n".join([
        "All weights and biases 0 in the five-layer ReLU net: every hidden output is relu(0) = 0, so every "
        "weight gradient but the last layer's bias is 0 — nothing but the output bias learns.", "",
        ctx.table(("layer", "largest abs weight after training"),
                  [(i + 1, ctx.num(f"five_zero_layer_{i + 1}_max_weight", v, ".3g")) for i, v in enumerate(moved)]),
        "", f"Test accuracy: **{ctx.num('five_zero_test_accuracy', r.test_accuracy)}**; the net predicts "
            f"{ctx.num('five_zero_distinct_predictions', _distinct_predictions(ctx, 'five_zero'), 'd')} distinct "
            "class(es) on the test set — a constant prediction scores the frequency of that class."])


def _distinct_predictions(ctx, name):
    from ..report import predict_labels

    return len(np.unique(predict_labels(ctx[name].model, ctx.data["test"][0])))


def nan(ctx):
    bad, cure = ctx["nan_softmax_log"], ctx["nan_cured_logits"]
    err = bad.error
    n = bad.step.train_limit
    lines = [f"Both runs: the five-layer ReLU net, SGD 0.5, trained on the first {n:,} training images for up to "
             f"{bad.step.iterations:,} iterations ({bad.step.iterations * bad.step.batch_size // n:,} epochs): long "
             "enough for the logits to spread so far apart that a softmax probability underflows to an exact 0 "
             "(float32 holds nothing below e^-103). The first returns softmax "
             "probabilities and takes `-(t * log(p))` by hand, the second returns logits and uses the fused "
             "`cross_entropy` (log-softmax computed as z - logsumexp(z), never log of 0).", ""]
    if err is not None:
        lines += [f"**Hand-written: stopped at iteration {ctx.num('nan_iteration', err.iteration, 'd')}** by the "
                  f"trainer's `NonFiniteError` (kind `{err.kind}`), before the weights were touched:", "",
                  "```", str(err), "```", ""]
        ctx.num("nan_caught", True, "")
    else:
        ctx.num("nan_caught", False, "")
        lines += [f"With this seed{' on this backend' if bad.backend != 'chainrule' else ''} the hand-written run "
                  f"did **not** hit an exact zero within "
                  f"{bad.iterations} iterations (test accuracy {ctx.num('nan_run_test_accuracy', bad.test_accuracy)}); "
                  "the cure below still holds.", ""]
    fin = all(np.isfinite(cure.history.train_loss))
    lines += [f"**Logits + fused cross-entropy: {ctx.num('cure_iterations', cure.iterations, 'd')} iterations, every "
              f"loss finite: {ctx.num('cure_all_finite', bool(fin), '')}**, test accuracy "
              f"{ctx.num('cure_test_accuracy', cure.test_accuracy)}, last training loss "
              f"{ctx.num('cure_last_train_loss', cure.history.train_loss[-1], '.3g')}.",
              "", "Curves: *NaN and its cure* below."]
    return "\n".join(lines)


def five_params(ctx):
    r = ctx["five_relu"]
    sizes = (784, *FIVE, 10)
    terms = " + ".join(f"{a}·{b} + {b}" for a, b in zip(sizes, sizes[1:]))
    return (f"{terms} = **{ctx.num('five_parameters', r.parameters, ',')}** "
            f"(`chainrule.summary`: {ctx.num('five_summary_parameters', r.summary.total_params, ',')}).")


# ---------------------------------------------------------------- part 4
def adam(ctx):
    sgd, a = ctx["five_relu"], ctx["adam"]
    return "\n".join([
        ctx.table(("optimiser", "iterations", "test accuracy", "test loss"), [
            ("SGD 0.5, zero biases", sgd.iterations, ctx.num("five_relu_test_accuracy", sgd.test_accuracy),
             ctx.num("five_relu_test_loss", sgd.test_loss)),
            ("Adam 0.003, biases 0.1", ctx.num("adam_iterations", a.iterations, "d"),
             ctx.num("adam_test_accuracy", a.test_accuracy), ctx.num("adam_test_loss", a.test_loss))]),
        "", "Biases of 0.1 start every ReLU unit active, so none is dead from the start. Curves: *SGD vs Adam* "
            "below."])


def longer(ctx):
    a, b = ctx["adam"], ctx["adam_long"]
    h = b.history
    start = overfit_start(h)
    k = int(np.argmax(h.eval_acc)) if h.eval_acc else 0
    lines = [ctx.table(("run", "iterations", "test accuracy", "best test accuracy during the run", "final test loss"), [
        ("Adam", a.iterations, ctx.num("adam_test_accuracy", a.test_accuracy),
         ctx.num("adam_best_eval_accuracy", max(a.history.eval_acc)), ctx.num("adam_test_loss", a.test_loss)),
        ("Adam, longer", ctx.num("adam_long_iterations", b.iterations, "d"),
         ctx.num("adam_long_test_accuracy", b.test_accuracy), ctx.num("adam_long_best_eval_accuracy", max(h.eval_acc)),
         ctx.num("adam_long_test_loss", b.test_loss))]), ""]
    lines.append(f"Longer training changes the test accuracy by "
                 f"**{ctx.num('longer_minus_shorter_accuracy', b.test_accuracy - a.test_accuracy, '+.4f')}**; the "
                 f"best test accuracy came at iteration {ctx.num('adam_long_best_iteration', h.eval_iteration[k], 'd')}.")
    if start is not None:
        lines.append(f"The test loss is lowest at iteration **{ctx.num('adam_long_overfit_start', start, 'd')}** and "
                     f"then rises (to {ctx.num('adam_long_final_eval_loss', h.eval_loss[-1])} from "
                     f"{ctx.num('adam_long_min_eval_loss', min(h.eval_loss))}) while the training loss keeps "
                     "falling: past that point the net overfits, so more iterations buy confidence on the "
                     "training set, not test accuracy.")
    else:
        ctx.num("adam_long_overfit_start", None)
        lines.append("The test loss does not turn up by more than 10 % after its minimum "
                     f"({ctx.num('adam_long_min_eval_loss', min(h.eval_loss))}): no overfitting start was found.")
    d = ctx["adam_decay"]
    half = len(h.eval_acc) // 2
    fixed_std = ctx.num("adam_long_late_accuracy_std", float(np.std(h.eval_acc[half:])))
    decay_std = ctx.num("adam_decay_late_accuracy_std", float(np.std(d.history.eval_acc[half:])))
    lines.append(f"\nA fixed rate of 0.003 keeps Adam's steps large, and the test accuracy swings with them: over "
                 f"the second half of the run its standard deviation is {fixed_std}, against {decay_std} with a "
                 f"decaying rate. The same {d.iterations} iterations with the rate decayed from 0.003 "
                 f"to 0.0001 (τ = 2000, C4's schedule) reach **{ctx.num('adam_decay_test_accuracy', d.test_accuracy)}** "
                 f"({ctx.num('decay_minus_fixed_accuracy', d.test_accuracy - b.test_accuracy, '+.4f')} against the "
                 f"fixed rate; test loss {ctx.num('adam_decay_test_loss', d.test_loss)}): longer training helps once "
                 "the steps shrink.")
    lines.append(f"\nJudgement of the longer run (D4): **{b.judgement.verdict}** — {'; '.join(b.judgement.reasons)}.")
    ctx.num("adam_long_verdict", b.judgement.verdict, "")
    return "\n".join(lines)


LAB = Lab(
    id="C3", title="The MNIST feed-forward series",
    trains="1-layer softmax, 2-layer sigmoid (+ width sweep 10-750, zero init), 5-layer sigmoid/ReLU, the NaN "
           "and its cure, Adam and 10 000-iteration runs (fixed and decaying rate)", expected="about 3 min",
    dataset="mnist", steps=STEPS,
    questions=[
        Question("Part 1 — single layer: predictions on 100 test images, cost and accuracy curves", plots),
        Question("Part 1 — why is the training accuracy curve so noisy?", noise),
        Question("Part 1 — what test accuracy results?", test_accuracy),
        Question("Part 1 — how many parameters?", parameters),
        Question("Part 1 — how many iterations make an epoch, how many epochs does the run complete?", epochs),
        Question("Part 2 — two layers (200 sigmoid units) against the single layer", two_vs_one),
        Question("Part 2 — the hidden width from 10 to 750", sweep),
        Question("Part 2 — what happens with all-zero initialisation?", zero_init),
        Question("Part 3 — five layers: sigmoid, then ReLU", five),
        Question("Part 3 — zero initialisation of everything", five_zero),
        Question("Part 3 — NaNs during training (softmax then log of an exact zero) and their cure", nan),
        Question("Part 3 — the parameter count of the five-layer net", five_params),
        Question("Part 4 — Adam 0.003, ReLU, biases 0.1", adam),
        Question("Part 4 — 10 000 iterations: does longer training help?", longer),
    ],
    comparisons=[
        Comparison("one_vs_two_layers", "1 layer vs 2 layers", ["single", "two_layer"]),
        Comparison("width_curves", "Hidden width sweep", [f"width_{w}" for w in WIDTHS]),
        Comparison("zero_init", "2 layers: 0.1·randn vs all-zero init", ["two_layer", "two_layer_zero"]),
        Comparison("sigmoid_vs_relu", "5 layers: sigmoid vs ReLU (and all-zero init)",
                   ["five_sigmoid", "five_relu", "five_zero"]),
        Comparison("nan_and_cure", "NaN (softmax + log) and its cure (logits + fused cross-entropy)",
                   ["nan_softmax_log", "nan_cured_logits"], train=True),
        Comparison("sgd_vs_adam", "5 layers ReLU: SGD 0.5 vs Adam 0.003", ["five_relu", "adam"]),
        Comparison("longer", "Adam: longer training, at a fixed and at a decaying rate",
                   ["adam", "adam_long", "adam_decay"], train=True),
    ],
    judge_options={"min_train_acc": 0.9},
)
