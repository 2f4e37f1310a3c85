"""A resumed run ends exactly — bit for bit — as the uninterrupted one."""

import os
import signal
import threading

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.training import LambdaCallback, Trainer, evaluate, fit, load_checkpoint

from .helpers import assert_same_state, eval_data, history_lists, run_parts

TOTAL = 30  # 24 batches per epoch: the run crosses an epoch boundary


def trainer_for(parts, folder=None, **kwargs):
    model, opt, sched, loader = parts
    kwargs.setdefault("eval_every", 5)
    return Trainer(model, nn.CrossEntropyLoss(), opt, loader, scheduler=sched, eval_data=eval_data(),
                   checkpoint_dir=folder, **kwargs)


@pytest.fixture(scope="module")
def reference():
    """The uninterrupted 30-iteration run and everything it ends with."""
    parts = run_parts(seed=0)
    history = trainer_for(parts).fit(iterations=TOTAL)
    model, opt, sched, loader = parts
    return {"parts": parts, "history": history, "rng": cr.get_rng_state(), "loader": loader.state_dict(),
            "scheduler": sched.state_dict()}


def assert_same_as(reference, parts, history):
    model, opt, sched, loader = parts
    ref_model, ref_opt, _, _ = reference["parts"]
    assert_same_state(ref_model, ref_opt, model, opt)
    assert cr.get_rng_state() == reference["rng"]
    assert loader.state_dict() == reference["loader"]
    assert sched.state_dict() == reference["scheduler"]
    assert history_lists(history) == history_lists(reference["history"])


def test_reference_run_records_what_it_should(reference):
    h = reference["history"]
    assert h.iteration == list(range(1, TOTAL + 1))
    assert h.epoch == [1] * 24 + [2] * 6
    assert h.eval_iteration == [5, 10, 15, 20, 24, 25, 30]
    assert [(e["iteration"], e["complete"]) for e in h.epochs] == [(24, True), (30, False)]
    assert h.lr[:8] == [0.01] * 7 + [0.01 * 0.7]
    assert h.status == "completed"


def test_resume_after_a_crash_equals_the_uninterrupted_run(tmp_path, reference):
    # 12 iterations, checkpoint, crash two iterations later …
    def crash(trainer, logs):
        if logs["iteration"] == 14:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        trainer_for(run_parts(seed=0), tmp_path, checkpoint_every=12,
                    callbacks=[LambdaCallback(on_batch_end=crash)]).fit(iterations=TOTAL)
    assert load_checkpoint(tmp_path).iteration == 12
    # … then a brand-new model, optimiser, schedule and loader (other seeds: every number they
    # start with is overwritten) and a disturbed global RNG continue for the remaining 18.
    parts = run_parts(seed=7)
    cr.manual_seed(99)
    history = trainer_for(parts, tmp_path).fit(iterations=TOTAL, resume=tmp_path)
    assert_same_as(reference, parts, history)


def test_a_finished_12_iteration_run_extended_to_30_equals_the_30_iteration_run(tmp_path, reference):
    short = trainer_for(run_parts(seed=0), tmp_path).fit(iterations=12)
    assert short.eval_iteration[-1] == 12 and not short.epochs[-1]["complete"]  # the run's own end
    parts = run_parts(seed=3)
    history = trainer_for(parts, tmp_path).fit(iterations=TOTAL, resume=tmp_path / "ckpt-00000012.json")
    assert_same_as(reference, parts, history)


def test_a_checkpoint_at_an_epoch_boundary_resumes_exactly(tmp_path, reference):
    trainer_for(run_parts(seed=0), tmp_path).fit(iterations=24)
    parts = run_parts(seed=4)
    history = trainer_for(parts, tmp_path).fit(resume=True, iterations=TOTAL)
    assert_same_as(reference, parts, history)


@pytest.mark.parametrize("hook", ["on_batch_end", "on_evaluate", "on_epoch_end"])
def test_ctrl_c_from_a_callback_writes_a_checkpoint_and_reraises(tmp_path, reference, hook):
    at = {"on_batch_end": 7, "on_evaluate": 10, "on_epoch_end": 24}[hook]

    def interrupt(trainer, logs):
        if logs["iteration"] == at:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        trainer_for(run_parts(seed=0), tmp_path, callbacks=[LambdaCallback(**{hook: interrupt})]).fit(iterations=TOTAL)
    checkpoint = load_checkpoint(tmp_path)
    assert checkpoint.iteration == at and checkpoint.meta["interrupted"] is True
    assert checkpoint.history.iteration == list(range(1, at + 1))
    # The steps of that iteration that had not run yet run on resume.
    parts = run_parts(seed=5)
    history = trainer_for(parts, tmp_path).fit(resume=tmp_path)  # the target comes from the checkpoint
    assert_same_as(reference, parts, history)


def test_ctrl_c_can_return_the_history_marked_interrupted(tmp_path):
    def interrupt(trainer, logs):
        if logs["iteration"] == 3:
            raise KeyboardInterrupt

    history = trainer_for(run_parts(), tmp_path, on_interrupt="return",
                          callbacks=[LambdaCallback(on_batch_end=interrupt)]).fit(iterations=TOTAL)
    assert history.status == "interrupted" and history.interrupted
    assert history.iteration == [1, 2, 3]
    assert load_checkpoint(tmp_path).iteration == 3


@pytest.fixture
def python_sigint():
    """Python's own SIGINT handler, which the Trainer takes over. A shell that starts the tests
    in the background leaves SIGINT ignored, and the Trainer then leaves it alone."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals need the main thread")
@pytest.mark.parametrize("during", ["update", "forward"])
def test_a_real_sigint_never_cuts_an_iteration_in_half(tmp_path, reference, during, python_sigint):
    """SIGINT in the optimiser update is held until the update is complete; in the forward
    pass it rolls the iteration back. Either way the checkpoint is at an iteration boundary."""
    parts = run_parts(seed=0)
    model, opt, sched, loader = parts
    if during == "update":  # inside the scheduler's step, i.e. between the update and its bookkeeping
        original = sched.get_lr

        def get_lr():
            if sched.last_epoch == 9:
                os.kill(os.getpid(), signal.SIGINT)
            return original()

        sched.get_lr = get_lr
        expected = 9
    else:
        model[3].register_forward_hook(lambda m, i, o: os.kill(os.getpid(), signal.SIGINT)
                                       if m.training and trainer.iteration == 9 else None)
        expected = 9  # the 10th iteration is rolled back
    trainer = trainer_for(parts, tmp_path)
    with pytest.raises(KeyboardInterrupt):
        trainer.fit(iterations=TOTAL)
    if during == "update":
        del sched.get_lr
    assert load_checkpoint(tmp_path).iteration == expected
    fresh = run_parts(seed=6)
    history = trainer_for(fresh, tmp_path).fit(resume=True)
    assert_same_as(reference, fresh, history)


def test_evaluation_does_not_touch_the_random_state():
    model, _, _, _ = run_parts()
    x, y = eval_data()
    before = cr.get_rng_state()
    evaluate(model, nn.CrossEntropyLoss(), x, y, batch_size=100)
    assert cr.get_rng_state() == before
    assert model.training


def test_same_seed_same_numbers_with_evaluation_and_checkpoints(tmp_path):
    def run(folder):
        parts = run_parts(seed=2)
        history = trainer_for(parts, folder, checkpoint_every=4, eval_every=3).fit(iterations=20)
        return history_lists(history), parts[0].state_dict()["0.weight"].numpy().copy()

    (h1, w1), (h2, w2) = run(tmp_path / "a"), run(tmp_path / "b")
    assert h1 == h2 and np.array_equal(w1, w2)


def test_resume_refuses_a_checkpoint_of_another_run(tmp_path):
    trainer_for(run_parts(), tmp_path).fit(iterations=3)
    model, _, _, loader = run_parts()
    other = nn.Sequential(nn.Linear(64, 10))
    sgd = optim.SGD(other.parameters(), lr=0.1)
    from chainrule.serialization import CheckpointError

    with pytest.raises(CheckpointError, match="ckpt-00000003.json.*Adam.*SGD"):
        fit(other, nn.CrossEntropyLoss(), sgd, loader, iterations=5, resume=tmp_path)
    adam = optim.Adam(other.parameters())
    with pytest.raises(CheckpointError, match="ckpt-00000003.json.*scheduler"):
        fit(other, nn.CrossEntropyLoss(), adam, loader, iterations=5, resume=tmp_path)
    sched = optim.lr_scheduler.StepLR(adam, step_size=7, gamma=0.7)
    with pytest.raises(CheckpointError, match="does not fit this run.*unexpected key"):
        fit(other, nn.CrossEntropyLoss(), adam, loader, iterations=5, resume=tmp_path, scheduler=sched)
