"""Lab C6: a deeper CNN with batch norm and dropout on Fashion-MNIST."""

from .. import models
from ..optim.lr_scheduler import CosineAnnealingLR
from .framework import Lab, Question, Step, curves_answer

EPOCHS = 15
ITERATIONS = EPOCHS * 782  # 50 000 training images (10 000 held out) in batches of 64


def cosine(optimizer):
    """Adam's rate annealed to 0 over the run, stepped per iteration."""
    return CosineAnnealingLR(optimizer, T_max=ITERATIONS)


STEPS = [Step("cnn", "C6 CNN: 4 x [conv3x3-ReLU-pool-BN-dropout 0.3] 32/64/128/256, dense 128", models.c6,
              optimizer="adam", lr=1e-3, schedule=cosine, batch_size=64, epochs=EPOCHS, eval_every=None,
              quick_iterations=64, quick_eval_every=None)]


def model(ctx):
    r = ctx["cnn"]
    return "\n".join([
        "Four blocks of conv 3x3 stride 1 padding 1 → ReLU → max-pool 2 → BatchNorm2d → Dropout(0.3) with 32, 64, "
        "128, 256 channels; flatten; dense 256 → 128 + ReLU; dense 128 → 10. Adam 0.001 cosine-annealed to 0 "
        "over the run (per iteration), batch 64. Layer table "
        "(`chainrule.summary`, D3):", "", f"```\n{r.summary}\n```", "",
        f"Parameters: **{ctx.num('parameters', r.parameters, ',')}**; training images "
        f"{ctx.num('train_images', len(ctx.data['train'][1]), ',')}, validation images "
        f"{ctx.num('validation_images', len(ctx.data['eval'][1]), ',')}, "
        f"{ctx.num('iterations', r.iterations, 'd')} iterations in {ctx.num('epochs', len(r.history.epochs), 'd')} epoch(s)."])


def per_epoch(ctx):
    return ctx.epoch_table("cnn", "train accuracy (dropout on)")


def test(ctx):
    r = ctx["cnn"]
    return (f"Test accuracy: **{ctx.num('test_accuracy', r.test_accuracy)}** (test loss "
            f"{ctx.num('test_loss', r.test_loss)}). Exercise bar: ≥ 0.85; target of a full run: ≥ 0.925.")


LAB = Lab(
    id="C6", title="A deeper CNN with batch norm and dropout (Fashion-MNIST)",
    trains="C6 CNN (4 conv-BN-dropout blocks), Adam 0.001 cosine-annealed, batch 64, 15 epochs, 50k/10k train/validation",
    expected="about 11 min", dataset="fashion-mnist", steps=STEPS, eval_split="validation", validation_size=10_000,
    questions=[Question("The model", model),
               Question("Train/validation loss and accuracy per epoch", per_epoch),
               Question("Loss and accuracy curves side by side, and the judgement string",
                        lambda ctx: curves_answer(ctx, "cnn")),
               Question("Test accuracy", test)],
    quick_train=1280, quick_eval=500, quick_test=500, judge_options={"min_train_acc": 0.8},
)
