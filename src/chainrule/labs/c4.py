"""Lab C4: the MNIST CNN, Adam 0.003 at a fixed rate, then with the exponential decay."""

from .. import models
from ..optim.lr_scheduler import ExpDecayLR
from ..report import overfit_start
from .framework import Comparison, Lab, Question, Step, init_normal

EXPECTED = [  # (type, output shape, parameters) as the exercise gives the layers
    ("Conv2d", (1, 4, 28, 28), 4 * 1 * 5 * 5 + 4),     # padding 2 keeps 28
    ("ReLU", (1, 4, 28, 28), 0),
    ("Conv2d", (1, 8, 14, 14), 8 * 4 * 5 * 5 + 8),     # (28 - 5 + 4)/2 + 1 = 14
    ("ReLU", (1, 8, 14, 14), 0),
    ("Conv2d", (1, 12, 7, 7), 12 * 8 * 4 * 4 + 12),    # (14 - 4 + 2)/2 + 1 = 7
    ("ReLU", (1, 12, 7, 7), 0),
    ("Flatten", (1, 588), 0),                          # 12 · 7 · 7
    ("Linear", (1, 200), 588 * 200 + 200),
    ("ReLU", (1, 200), 0),
    ("Linear", (1, 10), 200 * 10 + 10),
]

COMMON = dict(model=models.c4, init=init_normal(0.1, 0.1), optimizer="adam", lr=0.003, batch_size=100,
              eval_every=100, quick_iterations=200, quick_eval_every=20)
STEPS = [
    Step("fixed", "C4 CNN, Adam 0.003 fixed", iterations=4000, **COMMON),
    Step("decay", "C4 CNN, Adam 0.003 → 0.0001, τ = 2000", iterations=6000,
         schedule=lambda opt: ExpDecayLR(opt, tau=2000, eta_min=1e-4), **COMMON),
]


def parameters(ctx):
    rows, ok = [], True
    for i, (row, (kind, shape, params)) in enumerate(zip(ctx["fixed"].summary.rows, EXPECTED)):
        match = row.type == kind and tuple(row.output_shape) == shape and row.params == params
        ok &= match
        rows.append((f"{row.name} {row.type}", str(list(shape)), f"{params:,}", str(list(row.output_shape)),
                     ctx.num(f"layer_{i}_params", row.params, ","), "yes" if match else "**NO**"))
    ctx.num("summary_matches_exercise", bool(ok), "")
    return "\n".join([ctx.table(("layer", "expected shape", "expected params", "summary shape", "summary params",
                                 "match"), rows), "",
                      f"Total: **{ctx.num('parameters', ctx['fixed'].summary.total_params, ',')}** learnable "
                      f"parameters; every row matches `chainrule.summary`: **{ok}**."])


def flattened(ctx):
    flat = next(r for r in ctx["fixed"].summary.rows if r.type == "Flatten").output_shape[-1]
    return (f"The third convolution leaves 12 maps of 7x7 (28 → 28 → 14 → 7), so the flatten gives "
            f"12 · 7 · 7 = **{ctx.num('flattened_units', int(flat), 'd')}** units.")


def _row(ctx, name):
    r = ctx[name]
    h = r.history
    return (r.step.title, ctx.num(f"{name}_iterations", r.iterations, "d"),
            ctx.num(f"{name}_test_accuracy", r.test_accuracy), ctx.num(f"{name}_best_test_accuracy", max(h.eval_acc)),
            ctx.num(f"{name}_test_loss", r.test_loss), ctx.num(f"{name}_final_lr", h.lr[-1], ".2e"))


HEADER = ("run", "iterations", "final test accuracy", "best test accuracy", "test loss", "last learning rate")


def fixed(ctx):
    return ctx.table(HEADER, [_row(ctx, "fixed")]) + "\n\nCurves: [fixed/curves.png](fixed/curves.png)."


def decay(ctx):
    f, d = ctx["fixed"], ctx["decay"]
    return "\n".join([
        "η(t) = η_min + (η_max − η_min)·e^(−t/2000), η_max = 0.003, η_min = 0.0001, stepped after every "
        "iteration (`chainrule.optim.lr_scheduler.ExpDecayLR(opt, tau=2000, eta_min=1e-4)`).", "",
        ctx.table(HEADER, [_row(ctx, "fixed"), _row(ctx, "decay")]), "",
        f"The decay changes the final test accuracy by "
        f"**{ctx.num('decay_minus_fixed_accuracy', d.test_accuracy - f.test_accuracy, '+.4f')}**. Target of a full "
        "run with decay: ≥ 0.992.", "",
        "Both runs' curves on one plot: *fixed rate vs decay* below ([fixed_vs_decay.png](fixed_vs_decay.png))."])


def overfit(ctx):
    lines = []
    for name in ("fixed", "decay"):
        h = ctx[name].history
        start = overfit_start(h)
        k = min(range(len(h.eval_loss)), key=h.eval_loss.__getitem__)
        ctx.num(f"{name}_min_test_loss_iteration", h.eval_iteration[k], "d")
        if start is not None:
            lines.append(f"- **{ctx[name].step.title}: overfitting starts at iteration "
                         f"{ctx.num(f'{name}_overfit_start', start, 'd')}**: the test loss is lowest there "
                         f"({ctx.num(f'{name}_min_test_loss', h.eval_loss[k])}) and rises to "
                         f"{ctx.num(f'{name}_last_test_loss', h.eval_loss[-1])} by the end while the training "
                         "loss still falls.")
        else:
            ctx.num(f"{name}_overfit_start", None)
            lines.append(f"- {ctx[name].step.title}: the test loss is lowest at iteration {h.eval_iteration[k]} "
                         f"({ctx.num(f'{name}_min_test_loss', h.eval_loss[k])}, at the end "
                         f"{ctx.num(f'{name}_last_test_loss', h.eval_loss[-1])}); it does not turn up by more than "
                         "10 % while the training loss falls: no overfitting start in this run.")
        lines.append(f"  Judgement: **{ctx[name].judgement.verdict}** — {'; '.join(ctx[name].judgement.reasons)}.")
        ctx.num(f"{name}_verdict", ctx[name].judgement.verdict, "")
    return "\n".join(lines + ["", "The dashed line in each step's curves marks the overfitting start when there is one."])


def accuracy_plot(ctx):
    return ("Training (smoothed, dashed) and test accuracy of both runs:\n\n![train/test accuracy](fixed_vs_decay.png)"
            "\n\nEach run's own figure: [fixed/curves.png](fixed/curves.png), [decay/curves.png](decay/curves.png).")


LAB = Lab(
    id="C4", title="The MNIST CNN with learning-rate decay",
    trains="C4 CNN (convs 4/8/12, dense 200), Adam 0.003: 4 000 iterations fixed, 6 000 with exponential decay",
    expected="about 3 min", dataset="mnist", steps=STEPS,
    questions=[Question("The parameter count, layer by layer", parameters),
               Question("Flatten: how many units is that?", flattened),
               Question("Adam 0.003 at a fixed rate, 4 000+ iterations", fixed),
               Question("With the decay η(t) = η_min + (η_max − η_min)·e^(−t/2000), 6 000+ iterations", decay),
               Question("Where does it start to overfit?", overfit),
               Question("Train and test accuracy", accuracy_plot)],
    comparisons=[Comparison("fixed_vs_decay", "C4: fixed rate vs learning-rate decay", ["fixed", "decay"], train=True)],
    judge_options={"min_train_acc": 0.9},
)
