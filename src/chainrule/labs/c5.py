"""Lab C5: a feed-forward classifier from the framework's modules on Fashion-MNIST."""

from .. import models
from ..optim.lr_scheduler import CosineAnnealingLR
from .framework import Lab, Question, Step, curves_answer

HIDDEN = 256
EPOCHS = 20
ITERATIONS = EPOCHS * 782  # 50 000 training images (10 000 held out) in batches of 64


def cosine(optimizer):
    """The rate annealed to 0 over the run, stepped per iteration."""
    return CosineAnnealingLR(optimizer, T_max=ITERATIONS)


STEPS = [Step("mlp", f"Linear(784, {HIDDEN}) → ReLU → Linear({HIDDEN}, 10)",
              lambda shape, classes: models.mlp(shape, classes, hidden=HIDDEN), optimizer="sgd", lr=0.05,
              momentum=0.9, schedule=cosine, batch_size=64, epochs=EPOCHS, eval_every=None, quick_iterations=160, quick_eval_every=None)]


def setup(ctx):
    r = ctx["mlp"]
    return "\n".join([
        f"`nn.Sequential(nn.Flatten(), nn.Linear(784, {HIDDEN}), nn.ReLU(), nn.Linear({HIDDEN}, 10))`, seeded with "
        f"`chainrule.manual_seed({ctx.seed})`; `nn.CrossEntropyLoss` on the logits; SGD lr {r.step.lr} momentum "
        f"{r.step.momentum}, batch {r.step.batch_size}; per mini-batch zero-grad / forward / loss / backward / step "
        "(the library's Trainer); predict = argmax of the logits.", "",
        ctx.table(("measure", "value"), [
            ("parameters", ctx.num("parameters", r.parameters, ",")),
            ("training images", ctx.num("train_images", len(ctx.data["train"][1]), ",")),
            ("validation images (held out of the training set)", ctx.num("validation_images", len(ctx.data["eval"][1]), ",")),
            ("epochs", ctx.num("epochs", len(r.history.epochs), "d")),
            ("iterations", ctx.num("iterations", r.iterations, "d"))])])


def per_epoch(ctx):
    return ctx.epoch_table("mlp")


def test(ctx):
    r = ctx["mlp"]
    return (f"Test accuracy: **{ctx.num('test_accuracy', r.test_accuracy)}** (test loss "
            f"{ctx.num('test_loss', r.test_loss)}) on {len(ctx.data['test'][1]):,} test images. "
            "Exercise bar: ≥ 0.80; target of a full run: ≥ 0.88.")


LAB = Lab(
    id="C5", title="A feed-forward classifier with the framework's modules (Fashion-MNIST)",
    trains=f"784-{HIDDEN}-10 ReLU MLP, SGD 0.05 momentum 0.9 cosine-annealed, batch 64, 20 epochs, 50k/10k train/validation",
    expected="about 2 min", dataset="fashion-mnist", steps=STEPS, eval_split="validation", validation_size=10_000,
    questions=[Question("The model, loss, optimiser and training loop", setup),
               Question("Train/validation loss and accuracy per epoch", per_epoch),
               Question("Loss and accuracy curves side by side, and the judgement string",
                        lambda ctx: curves_answer(ctx, "mlp")),
               Question("Test accuracy", test)],
    quick_eval=500, judge_options={"min_train_acc": 0.8},
)
