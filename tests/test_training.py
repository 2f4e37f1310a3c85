from pathlib import Path

import pytest

import chainrule as cr
from chainrule import models, nn, optim
from chainrule.data import DataLoader, load
from chainrule.training import History, NonFiniteError, evaluate, fit

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _digits():
    train, test = load("digits", "train", flatten=True), load("digits", "test", flatten=True)
    return train, test


def test_fit_counts_iterations_and_records_everything():
    train, test = _digits()
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    opt = optim.SGD(model.parameters(), lr=0.8, momentum=0.9)
    sched = optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    loader = DataLoader(train.x, train.y, batch_size=100, shuffle=True, seed=0)
    history = fit(model, nn.CrossEntropyLoss(), opt, loader, iterations=35, eval_data=(test.x, test.y),
                  eval_every=10, scheduler=sched)
    assert history.iteration == list(range(1, 36))
    assert history.eval_iteration == [10, 15, 20, 30, 35]  # every 10 and at each epoch's end
    assert history.lr[:12] == [0.8] * 10 + [0.4] * 2  # the schedule steps per iteration
    assert [e["iteration"] for e in history.epochs] == [15, 30, 35]  # 1500 images / 100 per batch
    assert history.eval_acc[-1] > 0.8


def test_history_round_trips_through_a_dict():
    h = History(iteration=[1, 2], train_loss=[0.5, 0.25])
    assert History.from_dict(h.to_dict()) == h


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_non_finite_loss_stops_the_run_with_its_iteration():
    train, _ = _digits()
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 10))
    opt = optim.SGD(model.parameters(), lr=1e30)
    with pytest.raises(NonFiniteError, match="at iteration [0-9]+"):
        fit(model, nn.CrossEntropyLoss(), opt, DataLoader(train.x * 1e10, train.y, batch_size=50), epochs=5)


def test_same_seed_same_numbers():
    train, _ = _digits()

    def run():
        cr.manual_seed(3)
        model = nn.Sequential(nn.Linear(64, 16), nn.Tanh(), nn.Dropout(0.2), nn.Linear(16, 10))
        opt = optim.Adam(model.parameters(), lr=0.01)
        return fit(model, nn.CrossEntropyLoss(), opt, DataLoader(train.x, train.y, 64, shuffle=True, seed=3),
                   iterations=20).train_loss

    assert run() == run()


@pytest.mark.skipif(not (SHARED / "mnist").is_dir(), reason="../shared/data/mnist is not present")
def test_mnist_mlp_on_2000_images_beats_85_percent():
    train = load("mnist", "train", data_dir=SHARED / "mnist")
    test = load("mnist", "test", data_dir=SHARED / "mnist")
    cr.manual_seed(0)
    model = models.build("mlp")
    opt = optim.Adam(model.parameters(), lr=2e-3)
    loader = DataLoader(train.x[:2000], train.y[:2000], batch_size=50, shuffle=True, seed=0)
    fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=8)
    _, acc = evaluate(model, nn.CrossEntropyLoss(), test.x, test.y)
    assert acc > 0.85


def test_history_reads_an_older_dict_and_lists_rows():
    old = {"iteration": [1, 2], "train_loss": [0.5, 0.25], "train_acc": [0.1, 0.2], "lr": [0.1, 0.1],
           "eval_iteration": [2], "eval_loss": [0.3], "eval_acc": [0.9], "epochs": [], "seconds": 1.0}
    h = History.from_dict(old)
    assert h.status == "completed" and h.epoch == []
    assert list(h.rows()) == [
        {"iteration": 1, "epoch": None, "loss": 0.5, "acc": 0.1, "lr": 0.1},
        {"iteration": 2, "epoch": None, "loss": 0.25, "acc": 0.2, "lr": 0.1, "eval_loss": 0.3, "eval_acc": 0.9},
    ]


def test_fit_keeps_its_keywords_and_takes_a_plain_list_of_batches():
    train, test = _digits()
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 10))
    opt = optim.SGD(model.parameters(), lr=0.5)
    batches = [(train.x[i:i + 300], train.y[i:i + 300]) for i in range(0, 1500, 300)]
    calls = []
    history = fit(model, nn.CrossEntropyLoss(), opt, batches, epochs=2, eval_data=(test.x, test.y), eval_every=3,
                  scheduler=None, progress=lambda step, total, record: calls.append((step, total, record["loss"])))
    assert history.iteration == list(range(1, 11)) and history.epoch == [1] * 5 + [2] * 5
    assert [c[:2] for c in calls] == [(i, 10) for i in range(1, 11)]
    assert history.eval_iteration == [3, 5, 6, 9, 10]
    assert [e["iteration"] for e in history.epochs] == [5, 10]
    with pytest.raises(ValueError, match="exactly one of epochs and iterations"):
        fit(model, nn.CrossEntropyLoss(), opt, batches)
