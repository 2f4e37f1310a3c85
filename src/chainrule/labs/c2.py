"""Lab C2: a first CNN on MNIST, compared with the feed-forward net of C1."""

from .. import models
from ..optim.lr_scheduler import CosineAnnealingLR
from .framework import Comparison, Lab, Question, Step

# The C2 network's layers as the exercise gives them: (output shape, learnable parameters).
EXPECTED = [
    ("Conv2d", (1, 20, 24, 24), 20 * 1 * 5 * 5 + 20),   # 28 - 5 + 1 = 24
    ("ReLU", (1, 20, 24, 24), 0),
    ("MaxPool2d", (1, 20, 12, 12), 0),                  # 24 / 2
    ("Flatten", (1, 2880), 0),                          # 20 · 12 · 12
    ("Linear", (1, 100), 2880 * 100 + 100),
    ("ReLU", (1, 100), 0),
    ("Linear", (1, 10), 100 * 10 + 10),
]

EPOCHS = 10
ITERATIONS = EPOCHS * 938  # 60 000 images in batches of 64


def cosine(optimizer):
    """Adam's rate annealed to 0 over the run, stepped per iteration."""
    return CosineAnnealingLR(optimizer, T_max=ITERATIONS)


STEPS = [
    Step("mlp", "C1 MLP 784-100-10 ReLU", models.mlp, optimizer="adam", lr=1e-3, batch_size=64, epochs=EPOCHS,
         schedule=cosine, eval_every=500, quick_iterations=60, quick_eval_every=20),
    Step("cnn", "C2 CNN conv20@5x5-pool-100-10", models.c2, optimizer="adam", lr=1e-3, batch_size=64,
         epochs=EPOCHS, schedule=cosine, eval_every=500, quick_iterations=60, quick_eval_every=20),
]


def shapes(ctx):
    rows = ctx["cnn"].summary.rows
    lines, ok = [], len(rows) == len(EXPECTED)
    for i, (row, (kind, shape, params)) in enumerate(zip(rows, EXPECTED)):
        match = row.type == kind and tuple(row.output_shape) == shape and row.params == params
        ok &= match
        lines.append((f"{row.name} {row.type}", str(list(shape)), f"{params:,}", str(list(row.output_shape)),
                      ctx.num(f"cnn_layer_{i}_params", row.params, ","), "yes" if match else "**NO**"))
    total = ctx.num("cnn_parameters", ctx["cnn"].summary.total_params, ",")
    ctx.num("summary_matches_exercise", bool(ok), "")
    return "\n".join([
        "Worked out from the exercise (valid 5x5 convolution: 28 − 5 + 1 = 24; pooling halves it; "
        "flatten 20·12·12 = 2880) and compared with `chainrule.summary` (D3):", "",
        ctx.table(("layer", "expected shape", "expected params", "summary shape", "summary params", "match"), lines),
        "", f"Total learnable parameters: **{total}**; every row matches: **{ok}**."])


def compare(ctx):
    mlp, cnn = ctx["mlp"], ctx["cnn"]
    gap = cnn.test_accuracy - mlp.test_accuracy
    return "\n".join([
        ctx.table(("model", "parameters", "iterations", "test accuracy", "test loss", "seconds"), [
            (r.step.title, ctx.num(f"{n}_parameters", r.parameters, ","), ctx.num(f"{n}_iterations", r.iterations, "d"),
             ctx.num(f"{n}_test_accuracy", r.test_accuracy), ctx.num(f"{n}_test_loss", r.test_loss),
             ctx.num(f"{n}_seconds", round(r.seconds, 1), ".1f")) for n, r in (("mlp", mlp), ("cnn", cnn))]),
        "", f"The CNN's test accuracy is {ctx.num('cnn_minus_mlp_accuracy', gap, '+.4f')} against the MLP's "
            f"(same data order, optimiser and number of iterations). The convolution shares one 5x5 filter over "
            "every position, so it learns local strokes wherever they are, with about three times the MLP's "
            "parameters — nearly all of them in the dense layer after the flatten.",
        "", "Curves of both on one plot: see *FFN vs CNN* below."])


LAB = Lab(
    id="C2", title="A first CNN on MNIST against the C1 feed-forward net",
    trains="C1 MLP 784-100-10 and the C2 CNN, Adam 0.001 cosine-annealed, batch 64, 10 epochs each",
    expected="about 2 min",
    dataset="mnist", steps=STEPS,
    questions=[Question("For every layer: output shape and learnable parameters, checked against a model summary",
                        shapes),
               Question("Train the CNN and compare with the feed-forward net of C1", compare)],
    comparisons=[Comparison("ffn_vs_cnn", "FFN (C1) vs CNN (C2) on MNIST", ["mlp", "cnn"], train=True)],
    judge_options={"min_train_acc": 0.9},
)
