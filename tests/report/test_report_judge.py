"""The learning-curve judgement on synthetic histories: each verdict, its reasons and
numbers, and where overfitting starts."""

import json

import numpy as np
import pytest

from chainrule.report import Judgement, describe_rules, judge, jsonable, measure, overfit_start
from chainrule.training import History


def make_history(train_loss, train_acc, eval_every=50, eval_loss=None, eval_acc=None, seed=0):
    """A History from curves given as functions of the iteration t = 1..n (numpy arrays);
    eval_loss / eval_acc are functions too, sampled every ``eval_every`` iterations."""
    n = len(train_loss)
    rng = np.random.default_rng(seed)
    it = np.arange(1, n + 1)
    h = History(iteration=it.tolist(),
                train_loss=(np.asarray(train_loss) * (1 + 0.05 * rng.standard_normal(n))).tolist(),
                train_acc=np.clip(np.asarray(train_acc) + 0.01 * rng.standard_normal(n), 0, 1).tolist(),
                lr=[0.1] * n)
    if eval_loss is not None:
        points = it[eval_every - 1::eval_every]
        h.eval_iteration = points.tolist()
        h.eval_loss = [float(eval_loss(t)) for t in points]
        h.eval_acc = [float(eval_acc(t)) for t in points]
    return h


T = np.arange(1, 1001)
DECAY = 0.1 + 2.2 * np.exp(-T / 100)          # levels off well before iteration 1000
RISE = 0.97 - 0.87 * np.exp(-T / 100)


def healthy():
    return make_history(DECAY, RISE, eval_loss=lambda t: 0.12 + 2.0 * np.exp(-t / 100),
                        eval_acc=lambda t: 0.95 - 0.8 * np.exp(-t / 100))


def test_generalizing():
    j = judge(healthy())
    assert isinstance(j, Judgement) and j.verdict == "generalizing"
    assert j.overfit_start is None
    n = j.numbers
    assert n["train_acc_end"] > 0.95 and abs(n["acc_gap"] - 0.02) < 0.01
    assert n["eval_loss_rise"] == pytest.approx(0.0, abs=1e-3)
    assert n["late_drop_fraction"] < 0.05
    assert len(j.reasons) == 4 and any("gap" in r for r in j.reasons)


def test_overfitting_when_the_evaluation_loss_turns_up_while_the_training_loss_falls():
    # evaluation loss lowest at iteration 400, then up by ~50 %; training loss keeps falling
    h = make_history(DECAY * (1 - T / 2000), RISE,
                     eval_loss=lambda t: 0.2 + (5e-7 * (t - 400) ** 2 if t > 400 else 0.001 * (400 - t)),
                     eval_acc=lambda t: 0.94)
    j = judge(h)
    assert j.verdict == "overfitting"
    assert j.numbers["eval_loss_min_iteration"] == 400
    assert j.overfit_start == 400 == overfit_start(h)
    assert j.numbers["eval_loss_rise"] > 0.10 and j.numbers["train_loss_fell_after_min"] is True
    assert any("rose" in r and "iteration 400" in r for r in j.reasons)
    assert any("starts at iteration 400" in r for r in j.reasons)


def test_overfitting_by_the_accuracy_gap_alone_has_no_start():
    h = make_history(DECAY, np.minimum(1.0, RISE + 0.05), eval_loss=lambda t: 0.3 + 2.0 * np.exp(-t / 100),
                     eval_acc=lambda t: 0.88)
    j = judge(h)
    assert j.verdict == "overfitting"
    assert j.numbers["acc_gap"] > 0.05
    assert j.overfit_start is None and overfit_start(h) is None
    assert any("exceeds the evaluation accuracy" in r for r in j.reasons)


def test_a_rising_evaluation_loss_without_a_falling_training_loss_is_not_overfitting():
    flat = np.full(1000, 0.1)
    h = make_history(flat, np.full(1000, 0.96), eval_loss=lambda t: 0.1 + 0.0001 * t, eval_acc=lambda t: 0.95)
    numbers = measure(h)
    assert numbers["eval_loss_rise"] > 0.10
    assert numbers["overfit_start_iteration"] is None
    j = judge(h)
    assert j.verdict == "generalizing"
    assert any("did not fall" in r for r in j.reasons)


def test_underfitting_when_the_training_accuracy_stays_low():
    h = make_history(np.full(1000, 1.2), np.full(1000, 0.55), eval_loss=lambda t: 1.2, eval_acc=lambda t: 0.55)
    j = judge(h)
    assert j.verdict == "underfitting"
    assert "below 0.80" in j.reasons[0]
    assert judge(h, min_train_acc=0.5).verdict == "generalizing"  # the threshold is a parameter


def test_underfitting_when_the_training_loss_is_still_falling_steeply():
    steady = 1.0 - 0.8 * T / 1000        # a straight line: 10 % of the drop in each tenth
    h = make_history(steady, np.full(1000, 0.9), eval_loss=lambda t: 1.0 - 0.8 * t / 1000,
                     eval_acc=lambda t: 0.89)
    j = judge(h)
    assert j.verdict == "underfitting"
    assert j.numbers["late_drop_fraction"] == pytest.approx(0.1, abs=0.02)
    assert "still falling steeply" in j.reasons[0]
    assert judge(h, late_drop=0.2).verdict == "generalizing"


def test_undetermined_without_evaluation_or_records():
    assert judge(History()).verdict == "undetermined"
    j = judge(make_history(DECAY, RISE))
    assert j.verdict == "undetermined" and j.numbers["eval_points"] == 0
    assert any("no evaluation" in r for r in j.reasons)


def test_short_runs_skip_the_trend_rule():
    h = make_history(DECAY[:10], np.full(10, 0.95), eval_every=5, eval_loss=lambda t: 1.0, eval_acc=lambda t: 0.9)
    j = judge(h)
    assert j.numbers["late_drop_fraction"] is None
    assert j.verdict in ("generalizing", "overfitting")


def test_the_judgement_is_json_ready_and_its_rules_name_the_thresholds():
    j = judge(healthy(), acc_gap=0.07)
    text = json.dumps(jsonable(j.to_dict()), allow_nan=False)
    assert json.loads(text)["verdict"] == "generalizing"
    rules = " ".join(describe_rules(j.thresholds))
    assert "0.07" in rules and "10%" in rules and "0.80" in rules
    assert str(j).startswith("generalizing: ")


def test_one_late_evaluation_above_the_minimum_is_noise_not_overfitting():
    """A run whose lowest evaluation loss is the next-to-last point (as a one-epoch run
    evaluated every 100 iterations can end): one higher point after it proves nothing."""
    h = healthy()
    h.eval_loss[-2] = min(h.eval_loss) * 0.8  # the minimum, just before the final evaluation
    j = judge(h)
    assert j.numbers["eval_points_after_min"] == 1 and j.numbers["eval_loss_rise"] > 0.10
    assert j.verdict == "generalizing" and j.overfit_start is None
    assert any("not yet a trend" in r for r in j.reasons)
    h.eval_loss[-3] = h.eval_loss[-2]  # now two evaluations follow the minimum, both higher
    h.eval_loss[-2] = h.eval_loss[-1]
    assert judge(h).numbers["eval_points_after_min"] == 2
