"""The learning-curve judgement (exercises D4, C5): ``underfitting``, ``overfitting`` or
``generalizing``, with the numbers behind it, and where overfitting starts (C3, C4).

Pure functions of a :class:`~chainrule.training.History`; nothing here plots or trains.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

VERDICTS = ("underfitting", "overfitting", "generalizing", "undetermined")

DEFAULTS = {
    "min_train_acc": 0.80,
    "loss_rise": 0.10,
    "acc_gap": 0.05,
    "late_drop": 0.05,
    "train_fall": 0.02,
    "window": 0.10,
    "min_records_for_trend": 20,
}
"""The default thresholds of :func:`judge` (see its docstring)."""

MIN_EVALS_AFTER_MIN = 2
"""A rise of the evaluation loss counts only when at least this many evaluations follow its
minimum: one later point alone is as likely noise as a trend."""


@dataclass(frozen=True)
class Judgement:
    """A verdict (one of :data:`VERDICTS`), the sentences that decided it, every number
    measured on the curves and the thresholds it was judged with."""

    verdict: str
    reasons: list[str]
    numbers: dict
    thresholds: dict = field(default_factory=dict)

    @property
    def overfit_start(self) -> int | None:
        """The iteration where overfitting starts, or None (see :func:`overfit_start`)."""
        return self.numbers.get("overfit_start_iteration")

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.verdict}: " + "; ".join(self.reasons)


def judge(history, *, min_train_acc: float = DEFAULTS["min_train_acc"],
          loss_rise: float = DEFAULTS["loss_rise"], acc_gap: float = DEFAULTS["acc_gap"],
          late_drop: float = DEFAULTS["late_drop"], train_fall: float = DEFAULTS["train_fall"],
          window: float = DEFAULTS["window"],
          min_records_for_trend: int = DEFAULTS["min_records_for_trend"]) -> Judgement:
    """Judge a run's learning curves.

    The per-batch training curves are noisy, so "at the end" means the mean over a
    window: the last ``window`` fraction of the training records (10 % by default, at
    least one record). The evaluation loss "at the end" is the mean of the (up to)
    three evaluation losses recorded after its minimum; the evaluation accuracy at the
    end is the last one recorded.

    The rules, applied in this order; the first that holds gives the verdict:

    1. **underfitting** when the training accuracy at the end is below ``min_train_acc``
       (default 0.80): the model has not even learned the training data.
    2. **overfitting** when either
       a. the evaluation loss at the end is more than ``loss_rise`` (default 10 %) above
          its minimum while the training loss kept falling after that minimum (training
          loss at the end more than ``train_fall``, default 2 %, below its value at the
          minimum's iteration: a flat but noisy training loss does not count), with at least
          two evaluations after the minimum (one later point alone may be noise), or
       b. the training accuracy at the end exceeds the last evaluation accuracy by more
          than ``acc_gap`` (default 0.05, i.e. 5 points).
    3. **underfitting** when the training loss is still falling steeply at the end: the
       last window's drop (mean of the window before it minus mean of the last window) is
       more than ``late_drop`` (default 5 %) of the whole run's drop (first window's mean
       minus last window's mean). A loss falling in a straight line scores 10 % with the
       default window, an exponential decay that has gone three time constants 2 %; a
       loss that fell by less than 10 % over the whole run counts as level (0 %). Only
       judged with at least ``min_records_for_trend`` (default 20) training records.
    4. **undetermined** when there are no evaluation records (generalization cannot be
       judged without them), or no training records at all.
    5. **generalizing** otherwise.

    ``numbers`` holds everything measured (None where it cannot be), including
    ``overfit_start_iteration`` (see :func:`overfit_start`). ``min_train_acc`` depends on
    the task: set it to what a model of this kind reaches (e.g. 0.9 for an MNIST MLP).
    """
    thresholds = dict(min_train_acc=min_train_acc, loss_rise=loss_rise, acc_gap=acc_gap,
                      late_drop=late_drop, train_fall=train_fall, window=window,
                      min_records_for_trend=min_records_for_trend)
    numbers = measure(history, loss_rise=loss_rise, train_fall=train_fall, window=window,
                      min_records_for_trend=min_records_for_trend)

    def verdict(name, reasons):
        return Judgement(name, reasons, numbers, thresholds)

    if numbers["records"] == 0:
        return verdict("undetermined", ["no training records"])
    n = numbers
    w = n["window_records"]
    acc_sentence = (f"training accuracy at the end {n['train_acc_end']:.4f} (mean of the last {w} batches)")
    if n["train_acc_end"] < min_train_acc:
        return verdict("underfitting", [f"{acc_sentence} is below {min_train_acc:.2f}"])

    has_eval = n["eval_points"] > 0
    overfit = []
    if (has_eval and n["eval_loss_rise"] is not None and n["eval_loss_rise"] > loss_rise
            and n["eval_points_after_min"] >= MIN_EVALS_AFTER_MIN):
        rising = (f"evaluation loss rose {100 * n['eval_loss_rise']:.1f}% above its minimum "
                  f"{n['eval_loss_min']:.4f} at iteration {n['eval_loss_min_iteration']} "
                  f"(to {n['eval_loss_end']:.4f}, > {100 * loss_rise:.0f}%)")
        if n["train_loss_fell_after_min"]:
            overfit.append(f"{rising} while the training loss kept falling "
                           f"({n['train_loss_at_eval_min']:.4f} → {n['train_loss_end']:.4f})")
    if has_eval and n["acc_gap"] > acc_gap:
        overfit.append(f"training accuracy {n['train_acc_end']:.4f} exceeds the evaluation accuracy "
                       f"{n['eval_acc_end']:.4f} by {n['acc_gap']:.4f} (> {acc_gap:.2f})")
    if overfit:
        if n["overfit_start_iteration"] is not None:
            overfit.append(f"overfitting starts at iteration {n['overfit_start_iteration']}, "
                           "where the evaluation loss is lowest")
        return verdict("overfitting", overfit)

    if n["late_drop_fraction"] is not None and n["late_drop_fraction"] > late_drop:
        return verdict("underfitting", [
            f"training loss still falling steeply at the end: the last {w} iterations made "
            f"{100 * n['late_drop_fraction']:.1f}% of the run's whole drop (> {100 * late_drop:.0f}%; "
            f"{n['train_loss_start']:.4f} → {n['train_loss_end']:.4f}); train longer"])

    if not has_eval:
        return verdict("undetermined", [f"{acc_sentence} ≥ {min_train_acc:.2f}",
                                        "no evaluation records: generalization cannot be judged"])

    reasons = [f"{acc_sentence} ≥ {min_train_acc:.2f}"]
    if n["eval_loss_rise"] <= loss_rise:
        reasons.append(f"evaluation loss at the end {n['eval_loss_end']:.4f} is within "
                       f"{100 * n['eval_loss_rise']:.1f}% of its minimum {n['eval_loss_min']:.4f} "
                       f"(≤ {100 * loss_rise:.0f}%)")
    elif n["eval_points_after_min"] < MIN_EVALS_AFTER_MIN:
        reasons.append(f"evaluation loss rose {100 * n['eval_loss_rise']:.1f}% above its minimum at iteration "
                       f"{n['eval_loss_min_iteration']}, but only {n['eval_points_after_min']} evaluation follows "
                       f"it (fewer than {MIN_EVALS_AFTER_MIN}: not yet a trend)")
    else:
        reasons.append(f"evaluation loss rose {100 * n['eval_loss_rise']:.1f}% above its minimum, "
                       "but the training loss did not fall meanwhile (not overfitting)")
    reasons.append(f"train–evaluation accuracy gap {n['acc_gap']:.4f} ≤ {acc_gap:.2f}")
    if n["late_drop_fraction"] is not None:
        reasons.append(f"training loss has levelled off: the last {w} iterations made "
                       f"{100 * n['late_drop_fraction']:.1f}% of its drop (≤ {100 * late_drop:.0f}%)")
    return verdict("generalizing", reasons)


def overfit_start(history, *, loss_rise: float = DEFAULTS["loss_rise"],
                  train_fall: float = DEFAULTS["train_fall"], window: float = DEFAULTS["window"]) -> int | None:
    """Where overfitting starts: the iteration of the lowest evaluation loss, when after it
    the evaluation loss turns up by more than ``loss_rise`` (mean of up to three later
    evaluations against the minimum) while the training loss (window means, as in
    :func:`judge`) still falls by more than ``train_fall``. None when the evaluation loss
    does not turn up so."""
    return measure(history, loss_rise=loss_rise, train_fall=train_fall, window=window)["overfit_start_iteration"]


def measure(history, *, loss_rise: float = DEFAULTS["loss_rise"], train_fall: float = DEFAULTS["train_fall"],
            window: float = DEFAULTS["window"],
            min_records_for_trend: int = DEFAULTS["min_records_for_trend"]) -> dict:
    """The numbers :func:`judge` decides on (see there), as a flat dict."""
    iterations = np.asarray(history.iteration, dtype=np.int64)
    loss = np.asarray(history.train_loss, dtype=np.float64)
    acc = np.asarray(history.train_acc, dtype=np.float64)
    n = len(loss)
    w = max(1, int(round(window * n)))
    numbers = {"records": n, "iterations": int(iterations[-1]) if n else 0, "window_records": w,
               "train_loss_start": None, "train_loss_end": None, "train_acc_end": None,
               "late_drop_fraction": None, "eval_points": len(history.eval_loss),
               "eval_loss_min": None, "eval_loss_min_iteration": None, "eval_loss_end": None,
               "eval_loss_rise": None, "eval_points_after_min": None, "train_loss_at_eval_min": None,
               "train_loss_fell_after_min": None,
               "eval_acc_end": None, "eval_acc_best": None, "acc_gap": None, "overfit_start_iteration": None}
    if n == 0:
        return numbers
    start, end = float(loss[:w].mean()), float(loss[-w:].mean())
    numbers.update(train_loss_start=start, train_loss_end=end, train_acc_end=float(acc[-w:].mean()))
    if n >= max(2 * w, min_records_for_trend):
        before = float(loss[-2 * w:-w].mean())
        total = start - end
        # a loss that hardly moved over the whole run is level (the ratio would be noise)
        numbers["late_drop_fraction"] = (before - end) / total if total > 0.1 * abs(start) else 0.0
    eval_loss = np.asarray(history.eval_loss, dtype=np.float64)
    if len(eval_loss) == 0:
        return numbers
    eval_iter = np.asarray(history.eval_iteration, dtype=np.int64)
    k = int(np.argmin(eval_loss))
    low = float(eval_loss[k])
    after = eval_loss[k + 1:][-3:]
    end_eval = float(after.mean()) if len(after) else low
    rise = (end_eval - low) / low if low > 0 else (0.0 if end_eval == low else float("inf"))
    # the training loss (window mean) at the iteration of the evaluation minimum
    upto = int(np.searchsorted(iterations, eval_iter[k], side="right"))
    at_min = float(loss[max(0, upto - w):max(upto, 1)].mean())
    fell = end < at_min * (1 - train_fall)
    eval_acc_end = float(history.eval_acc[-1])
    numbers["eval_points_after_min"] = len(eval_loss) - k - 1
    numbers.update(eval_loss_min=low, eval_loss_min_iteration=int(eval_iter[k]), eval_loss_end=end_eval,
                   eval_loss_rise=rise, train_loss_at_eval_min=at_min, train_loss_fell_after_min=bool(fell),
                   eval_acc_end=eval_acc_end, eval_acc_best=float(max(history.eval_acc)),
                   acc_gap=numbers["train_acc_end"] - eval_acc_end)
    if len(after) >= MIN_EVALS_AFTER_MIN and rise > loss_rise and fell:
        numbers["overfit_start_iteration"] = int(eval_iter[k])
    return numbers


def describe_rules(thresholds: dict | None = None) -> list[str]:
    """The rules of :func:`judge` with their thresholds, one Markdown sentence each."""
    t = {**DEFAULTS, **(thresholds or {})}
    return [
        f"*underfitting* when the training accuracy at the end (mean of the last {100 * t['window']:.0f}% "
        f"of the batches) is below {t['min_train_acc']:.2f};",
        f"else *overfitting* when the evaluation loss ends more than {100 * t['loss_rise']:.0f}% above its "
        f"minimum (with {MIN_EVALS_AFTER_MIN} or more evaluations after it) while the training loss kept "
        f"falling (by more than {100 * t['train_fall']:.0f}%), or the "
        "training accuracy exceeds the evaluation "
        f"accuracy by more than {t['acc_gap']:.2f};",
        f"else *underfitting* when the last {100 * t['window']:.0f}% of the iterations made more than "
        f"{100 * t['late_drop']:.0f}% of the training loss's whole drop (still falling steeply);",
        "else *generalizing* (*undetermined* without evaluation records).",
        "Overfitting starts at the iteration of the lowest evaluation loss, when the loss turns up after it "
        "while the training loss still falls.",
    ]
