"""Callbacks: their order, early stopping, progress, and the JSON-lines / CSV metrics."""

import csv
import json

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.data import DataLoader
from chainrule.training import Callback, EarlyStopping, LambdaCallback, MetricsLogger, Trainer, fit

from .helpers import digits, eval_data, run_parts


class Recorder(Callback):
    def __init__(self):
        self.calls = []

    def on_train_begin(self, trainer):
        self.calls.append(("train_begin", trainer.iteration))

    def on_epoch_begin(self, trainer, epoch):
        self.calls.append(("epoch_begin", epoch))

    def on_batch_end(self, trainer, logs):
        self.calls.append(("batch_end", logs["iteration"]))

    def on_evaluate(self, trainer, logs):
        self.calls.append(("evaluate", logs["iteration"]))

    def on_epoch_end(self, trainer, logs):
        self.calls.append(("epoch_end", logs["epoch"]))

    def on_checkpoint(self, trainer, path):
        self.calls.append(("checkpoint", path.name))

    def on_train_end(self, trainer, history):
        self.calls.append(("train_end", history.iteration[-1]))


def small_run(**kwargs):
    x, y, xt, yt = digits()
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10))
    opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    loader = DataLoader(x[:300], y[:300], batch_size=100, shuffle=True, seed=0)  # 3 batches per epoch
    return Trainer(model, nn.CrossEntropyLoss(), opt, loader, eval_data=(xt, yt), **kwargs)


def test_callbacks_are_called_in_order(tmp_path):
    recorder = Recorder()
    small_run(callbacks=[recorder], eval_every=2, checkpoint_dir=tmp_path, checkpoint_every=4).fit(iterations=7)
    assert recorder.calls == [
        ("train_begin", 0),
        ("epoch_begin", 1), ("batch_end", 1), ("evaluate", 2), ("batch_end", 2),
        ("evaluate", 3), ("batch_end", 3), ("epoch_end", 1),
        ("epoch_begin", 2), ("evaluate", 4), ("batch_end", 4), ("checkpoint", "ckpt-00000004.json"),
        ("batch_end", 5), ("evaluate", 6), ("batch_end", 6), ("epoch_end", 2),
        ("epoch_begin", 3), ("batch_end", 7),
        ("checkpoint", "ckpt-00000007.json"),  # the run's end …
        ("evaluate", 7),  # … its last, unscheduled evaluation …
        ("train_end", 7),
    ]


def test_logs_carry_the_numbers_of_the_history():
    seen = {"batch": [], "epoch": []}
    callback = LambdaCallback(on_batch_end=lambda t, logs: seen["batch"].append(dict(logs)),
                              on_epoch_end=lambda t, logs: seen["epoch"].append(dict(logs)))
    history = small_run(callbacks=[callback], eval_every=2).fit(epochs=2)
    assert [b["loss"] for b in seen["batch"]] == history.train_loss
    assert [b["lr"] for b in seen["batch"]] == history.lr == [0.5] * 6
    assert [b["iteration"] for b in seen["batch"] if "eval_loss" in b] == history.eval_iteration == [2, 3, 4, 6]
    assert seen["epoch"] == history.epochs
    first = history.epochs[0]
    assert first["train_loss"] == pytest.approx(np.mean(history.train_loss[:3]))  # equal batches of 100
    assert first["train_acc"] == pytest.approx(np.mean(history.train_acc[:3]))
    assert first["eval_loss"] == history.eval_loss[1] and first["complete"] and first["batches"] == 3
    with pytest.raises(TypeError, match="unknown hook"):
        LambdaCallback(on_step=print)


def test_a_callback_can_stop_training():
    def stop(trainer, logs):
        if logs["iteration"] == 4:
            trainer.stop("enough")

    history = small_run(callbacks=[LambdaCallback(on_batch_end=stop)]).fit(epochs=5)
    assert history.iteration == [1, 2, 3, 4]
    assert (history.status, history.stop_reason) == ("stopped", "enough")
    assert [(e["iteration"], e["complete"]) for e in history.epochs] == [(3, True), (4, False)]
    assert history.eval_iteration == [3, 4]  # the end of epoch 1 and the run's end


def test_early_stopping_on_eval_loss_with_restored_best_weights():
    x, y, xt, yt = digits()
    cr.manual_seed(0)
    # Overfit a 100-image slice with a big net: the evaluation loss turns up.
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = optim.Adam(model.parameters(), lr=0.01)
    loader = DataLoader(x[:100], y[:100], batch_size=25, shuffle=True, seed=0)
    stopper = EarlyStopping("eval_loss", patience=3, restore_best_weights=True)
    snapshots = {}
    keep = LambdaCallback(on_evaluate=lambda t, logs: snapshots.__setitem__(
        logs["iteration"], {k: v.numpy().copy() for k, v in t.model.state_dict().items()}))
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt, loader, eval_data=(xt, yt), eval_every=4,
                      callbacks=[stopper, keep])
    history = trainer.fit(iterations=400)
    assert history.status == "stopped" and history.stop_reason.startswith("early stopping: eval_loss")
    best = int(np.argmin(history.eval_loss))
    assert stopper.best == history.eval_loss[best] and stopper.best_iteration == history.eval_iteration[best]
    # stopped at the 3rd evaluation in a row without improvement
    assert history.eval_iteration[-1] == stopper.stopped_iteration == history.eval_iteration[best + 3]
    assert history.iteration[-1] == stopper.stopped_iteration < 400
    assert all(v > stopper.best for v in history.eval_loss[best + 1:])
    for key, value in model.state_dict().items():  # the best evaluation's weights are back
        assert np.array_equal(value.numpy(), snapshots[stopper.best_iteration][key]), key


def test_early_stopping_on_accuracy_respects_min_delta():
    stopper = EarlyStopping("eval_acc", patience=2, min_delta=0.05)
    assert stopper.mode == "max"

    class FakeTrainer:
        stopped = None

        def stop(self, reason):
            self.stopped = reason

    trainer = FakeTrainer()
    for i, acc in enumerate([0.5, 0.6, 0.62, 0.64, 0.7], start=1):
        stopper.on_evaluate(trainer, {"iteration": i, "eval_acc": acc, "eval_loss": 0.0})
        if trainer.stopped:
            break
    assert (stopper.best, stopper.best_iteration, stopper.stopped_iteration) == (0.6, 2, 4)
    assert "eval_acc has not improved by more than 0.05 for 2 evaluation(s)" in trainer.stopped
    with pytest.raises(ValueError, match="monitors 'eval_loss' or 'eval_acc'"):
        EarlyStopping("train_loss")
    with pytest.raises(ValueError, match="no eval_data"):
        fit(nn.Sequential(nn.Linear(64, 10)), nn.CrossEntropyLoss(),
            optim.SGD(nn.Sequential(nn.Linear(2, 2)).parameters(), lr=1), [(digits()[0][:5], digits()[1][:5])],
            iterations=1, callbacks=[EarlyStopping()])


def test_progress_gets_every_iteration_with_its_total():
    calls = []
    small_run(progress=lambda i, total, logs: calls.append((i, total, sorted(logs)))).fit(epochs=2)
    assert [c[:2] for c in calls] == [(i, 6) for i in range(1, 7)]
    assert calls[0][2] == ["acc", "epoch", "iteration", "loss", "lr"]
    assert calls[2][2] == ["acc", "epoch", "eval_acc", "eval_loss", "iteration", "loss", "lr"]


def test_metrics_are_written_as_json_lines_and_csv(tmp_path):
    history = small_run(metrics_dir=tmp_path, eval_every=2).fit(iterations=7)
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in rows] == list(range(1, 8))
    assert rows[0] == {"iteration": 1, "epoch": 1, "loss": history.train_loss[0], "acc": history.train_acc[0],
                       "lr": 0.5}
    evaluated = {r["iteration"]: (r["eval_loss"], r["eval_acc"]) for r in rows if "eval_loss" in r}
    assert evaluated == dict(zip(history.eval_iteration, zip(history.eval_loss, history.eval_acc)))
    assert sorted(evaluated) == [2, 3, 4, 6, 7]  # 7: the final evaluation, added to the last row
    with open(tmp_path / "metrics.csv", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0]) == ["iteration", "epoch", "loss", "acc", "lr", "eval_loss", "eval_acc"]
    assert [float(r["loss"]) for r in table] == history.train_loss  # exact: floats written by repr
    assert [int(r["epoch"]) for r in table] == [1, 1, 1, 2, 2, 2, 3]
    assert table[0]["eval_loss"] == "" and float(table[6]["eval_acc"]) == history.eval_acc[-1]


def test_metrics_without_evaluation_have_no_eval_columns(tmp_path):
    x, y, _, _ = digits()
    model = nn.Sequential(nn.Linear(64, 10))
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), DataLoader(x, y, 500), iterations=2,
        metrics_dir=tmp_path)
    assert (tmp_path / "metrics.csv").read_text().splitlines()[0] == "iteration,epoch,loss,acc,lr"
    assert all(set(json.loads(line)) == {"iteration", "epoch", "loss", "acc", "lr"}
               for line in (tmp_path / "metrics.jsonl").read_text().splitlines())


def test_a_resumed_run_writes_the_same_metrics_as_an_uninterrupted_one(tmp_path):
    def trainer(parts, folder, out):
        model, opt, sched, loader = parts
        return Trainer(model, nn.CrossEntropyLoss(), opt, loader, scheduler=sched, eval_data=eval_data(),
                       eval_every=5, checkpoint_dir=folder, checkpoint_every=8, metrics_dir=out)

    trainer(run_parts(), tmp_path / "c1", tmp_path / "full").fit(iterations=20)

    def crash(t, logs):
        if logs["iteration"] == 11:
            raise RuntimeError("crash")

    t = trainer(run_parts(), tmp_path / "c2", tmp_path / "resumed")
    t.callbacks.insert(0, LambdaCallback(on_batch_end=crash))
    with pytest.raises(RuntimeError):
        t.fit(iterations=20)
    assert len((tmp_path / "resumed" / "metrics.jsonl").read_text().splitlines()) == 10  # rows 9, 10: redone
    trainer(run_parts(seed=9), tmp_path / "c2", tmp_path / "resumed").fit(iterations=20, resume=True)
    for name in ("metrics.jsonl", "metrics.csv"):
        assert (tmp_path / "resumed" / name).read_text() == (tmp_path / "full" / name).read_text()


def test_tqdm_progress_bar_counts_iterations(tmp_path):
    import io

    from chainrule.training import TqdmProgress

    out = io.StringIO()
    bar = TqdmProgress(file=out, disable=False, every=1)
    small_run(callbacks=[bar]).fit(iterations=4)
    text = out.getvalue()
    assert "4/4" in text and "loss=" in text and bar.bar is None


def test_metrics_logger_is_a_plain_callback(tmp_path):
    logger = MetricsLogger(tmp_path / "m")
    small_run(callbacks=[logger]).fit(iterations=2)
    assert logger.jsonl_path.is_file() and logger.csv_path.is_file()
