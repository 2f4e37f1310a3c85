"""The training loop: :class:`Trainer` and the :func:`fit` shorthand.

One iteration is one mini-batch: forward, loss, backward, optimiser step, then the scheduler's
``step()`` (schedules are per iteration, as the exercises count them). The evaluation set is
measured every ``eval_every`` iterations and at each epoch's last batch, in evaluation mode
(no dropout, BatchNorm's running statistics), which draws nothing from the global RNG.

Non-finite values stop the run with :class:`NonFiniteError`, raised before the optimiser
touches the weights; the random state, DataLoader and buffers are rolled back to the end of the
previous iteration, so the model is left as it was after the last good step.

Checkpoints (see :mod:`.checkpoint`) are written every ``checkpoint_every`` iterations, when the
run ends, and on Ctrl-C. ``resume`` restores the model, optimiser, scheduler, DataLoader,
global RNG, history, counters and callback states, so the resumed run ends exactly — bit for
bit — as the uninterrupted one. Ctrl-C is handled so that a checkpoint always holds the
state at an iteration boundary: arriving during the forward or backward pass it rolls that
iteration back; during the optimiser step and bookkeeping it is held until they are done;
during an evaluation or a callback the checkpoint records which of the iteration's remaining
steps (evaluation, callbacks, epoch end) still have to run, and the resumed run runs them.
With ``on_interrupt="raise"`` (the default) the KeyboardInterrupt is re-raised after the
checkpoint is written; with ``"return"``, ``fit`` returns the History with ``status ==
"interrupted"``. Either way the callbacks' ``on_train_end`` runs first.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
import warnings
from pathlib import Path

import numpy as np

from ..serialization import CheckpointError
from ..tensor import Tensor
from . import checkpoint as _ckpt
from .backend import backend_for
from .callbacks import Callback, MetricsLogger, ProgressCallback
from .history import History
from .metrics import accuracy, correct, evaluate
from .nan_guard import NonFiniteError  # noqa: F401

__all__ = ["Trainer", "fit"]

# The steps after an iteration's update, in order; the checkpoint records how far they got.
_EVAL, _ON_EVALUATE, _ON_BATCH_END, _EPOCH_RECORD, _ON_EPOCH_END, _CHECKPOINT, _DONE = range(7)


class Trainer:
    """Trains ``model`` on the mini-batches of ``loader`` with ``loss_fn(outputs, targets)``
    and ``optimizer``.

    Arguments (all but the first four are keywords):

    * ``scheduler``: stepped after every iteration.
    * ``eval_data``: ``(x, y)`` arrays measured every ``eval_every`` iterations and at each
      epoch's end (batches of ``eval_batch_size``).
    * ``metric``: ``metric(outputs, targets) -> float`` for batches and evaluations
      (default :func:`accuracy`; targets may be class indices or one-hot rows).
    * ``callbacks``: :class:`Callback` objects; ``progress``: a function
      ``progress(iteration, total, logs)`` called after every iteration (attach a tqdm bar).
    * ``checkpoint_dir`` / ``checkpoint_every`` / ``keep_checkpoints``: where, how often (in
      iterations) and how many checkpoints to keep (``None``: all). With a ``checkpoint_dir`` a
      checkpoint is also written when training ends and on Ctrl-C; the loader must then have
      ``state_dict``/``load_state_dict`` (as :class:`chainrule.data.DataLoader`).
    * ``metrics_dir``: write ``metrics.jsonl`` and ``metrics.csv`` there (:class:`MetricsLogger`).
    * ``on_interrupt``: ``"raise"`` (re-raise KeyboardInterrupt after checkpointing) or
      ``"return"`` (return the History marked ``status="interrupted"``).
    * ``check_gradients``: also stop on non-finite gradients under a finite loss (a cheap sum
      per parameter each iteration; the full check runs only when a sum is not finite).
    * ``backend``: the engine running the model (:mod:`.backend`); by default chosen from the
      model: chainrule's for a chainrule Module, PyTorch's for a ``torch.nn.Module`` (then the
      loss, optimiser and scheduler are PyTorch's too).

    After :meth:`fit`: ``history`` (the returned History), ``iteration``, ``epoch``, ``total``,
    ``stop_reason``, ``last_checkpoint``.
    """

    def __init__(self, model, loss_fn, optimizer, loader, *, scheduler=None, eval_data=None,
                 eval_every: int | None = None, eval_batch_size: int = 1000, metric=accuracy,
                 callbacks=(), progress=None, checkpoint_dir=None, checkpoint_every: int | None = None,
                 keep_checkpoints: int | None = 2, metrics_dir=None, on_interrupt: str = "raise",
                 check_gradients: bool = True, backend=None):
        if on_interrupt not in ("raise", "return"):
            raise ValueError(f"on_interrupt must be 'raise' or 'return', not {on_interrupt!r}")
        for name, value in (("eval_every", eval_every), ("checkpoint_every", checkpoint_every),
                            ("keep_checkpoints", keep_checkpoints)):
            if value is not None and (isinstance(value, bool) or int(value) < 1):
                raise ValueError(f"{name} must be a positive integer or None, got {value!r}")
        if checkpoint_every is not None and checkpoint_dir is None:
            raise ValueError("checkpoint_every needs a checkpoint_dir")
        if checkpoint_dir is not None and not (hasattr(loader, "state_dict") and hasattr(loader, "load_state_dict")):
            raise TypeError(f"checkpoints need a loader with state_dict()/load_state_dict() "
                            f"(chainrule.data.DataLoader), not a {type(loader).__name__}")
        if eval_data is not None:
            if len(eval_data) != 2:
                raise ValueError("eval_data must be a pair (x, y)")
            eval_data = (np.asarray(eval_data[0]), np.asarray(eval_data[1]))
        self.model, self.loss_fn, self.optimizer, self.loader = model, loss_fn, optimizer, loader
        self.backend = backend if backend is not None else backend_for(model)
        self.scheduler, self.eval_data, self.eval_every = scheduler, eval_data, eval_every
        self.eval_batch_size, self.metric = int(eval_batch_size), metric
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
        self.checkpoint_every, self.keep_checkpoints = checkpoint_every, keep_checkpoints
        self.on_interrupt, self.check_gradients = on_interrupt, bool(check_gradients)
        self.callbacks: list[Callback] = list(callbacks)
        if metrics_dir is not None:
            self.callbacks.append(MetricsLogger(metrics_dir))
        if progress is not None:
            self.callbacks.append(ProgressCallback(progress))
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"callbacks must be Callback instances, got {type(callback).__name__}")
        # What a checkpoint saves besides model, optimiser, scheduler, loader and RNG:
        self._history = History()  # the record at the last iteration boundary
        self.iteration = 0
        self.epochs_done = 0
        self.batch_in_epoch = 0
        self._sums = [0.0, 0.0, 0]  # this epoch's Σ loss·n, Σ metric·n (or hits), Σ n
        self._stage = _DONE
        self._post_epoch_end = False
        self._seconds = 0.0
        # Run-time state.
        self.history = History()  # what the last fit() returned
        self.total = None
        self.target = {"epochs": None, "iterations": None}
        self.stop_training, self.stop_reason = False, ""
        self.last_checkpoint: Path | None = None
        self._checkpointed_at = None  # (iteration, stage) of the last checkpoint written
        self._iterator = None
        self._phase = "idle"
        self._snap = None
        self._defer = False
        self._pending_interrupt = False
        self._clock = None

    # ------------------------------------------------------------------ public
    @property
    def epoch(self) -> int:
        """The current epoch, 1-based (the one the next or current batch belongs to)."""
        return self.epochs_done + 1

    def stop(self, reason: str = "stopped by a callback") -> None:
        """Ask the run to end after the current iteration (for callbacks)."""
        self.stop_training, self.stop_reason = True, reason

    def fit(self, *, epochs: int | None = None, iterations: int | None = None, resume=None) -> History:
        """Train until ``epochs`` passes over the loader or ``iterations`` mini-batches in all
        (counted from the start of the run, resumed parts included). ``resume``: a checkpoint
        (its ``.json`` or ``.npz``, or a folder: its newest valid checkpoint; ``True``: this
        trainer's ``checkpoint_dir``) to continue from; without ``epochs``/``iterations`` the
        checkpointed run's target is kept. Returns the History."""
        if resume is not None and resume is not False:
            if resume is True:
                if self.checkpoint_dir is None:
                    raise ValueError("resume=True needs a checkpoint_dir")
                resume = self.checkpoint_dir
            checkpoint = self.load_checkpoint(resume)
            if epochs is None and iterations is None:
                epochs, iterations = checkpoint.meta["target"]["epochs"], checkpoint.meta["target"]["iterations"]
        if (epochs is None) == (iterations is None):
            raise ValueError("give exactly one of epochs and iterations")
        try:
            batches = len(self.loader)
        except TypeError:
            raise TypeError(f"the loader must have a length (batches per epoch); {type(self.loader).__name__} "
                            f"has none") from None
        if batches < 1:
            raise ValueError("the loader gives no batches")
        count = epochs if epochs is not None else iterations
        if isinstance(count, bool) or int(count) < 0:
            raise ValueError(f"epochs / iterations must be a non-negative integer, got {count!r}")
        self.total = int(iterations) if iterations is not None else int(epochs) * batches
        self.target = {"epochs": epochs, "iterations": iterations}
        self.stop_training, self.stop_reason = False, ""
        self._params = [p for _, p in self.model.named_parameters()]
        self._buffers = [b for _, b in self.model.named_buffers()]
        self._clock = time.perf_counter()
        self.model.train()
        self.history = self._history  # the live record while training
        previous_handler = self._install_sigint()
        try:
            try:
                self._phase = "idle"
                for callback in self.callbacks:
                    callback.on_train_begin(self)
                if self._stage != _DONE:  # resumed in the middle of an iteration's remaining steps
                    self._phase = "post"
                    self._post()
                while self.iteration < self.total and not self.stop_training:
                    self._iterate(batches)
                self._phase = "idle"
            except KeyboardInterrupt:
                return self._interrupted()
            self._seconds_now()
            if self.checkpoint_dir is not None and self._checkpointed_at != (self.iteration, self._stage):
                self.save_checkpoint()
            return self._finish()
        finally:
            self._restore_sigint(previous_handler)

    # ---------------------------------------------------------------- the loop
    def _iterate(self, batches: int) -> None:
        if self._iterator is None:
            self._iterator = iter(self.loader)
            if self.batch_in_epoch == 0:
                for callback in self.callbacks:
                    callback.on_epoch_begin(self, self.epoch)
        self._snap = self._snapshot()
        self._phase = "forward"
        try:
            xb, yb = next(self._iterator)
        except StopIteration:
            raise RuntimeError(f"the loader stopped after {self.batch_in_epoch} batches of an epoch, "
                               f"but its len() is {batches}") from None
        engine = self.backend
        inputs, targets = engine.batch(xb, yb)
        self.optimizer.zero_grad()
        outputs = self.model(inputs)
        loss = self.loss_fn(outputs, targets)
        value = float(loss.item())
        if not math.isfinite(value):
            self._fail(engine.diagnose_forward, xb, yb, value)
        loss.backward()
        if self.check_gradients and not engine.gradients_look_finite(self._params):
            names = engine.non_finite_gradients(self.model)
            if names:
                self._fail(engine.diagnose_gradient, xb, yb, value, names)
        n = len(yb)
        out = engine.numpy(outputs)
        y = yb._data if isinstance(yb, Tensor) else np.asarray(yb)
        if self.metric is accuracy:
            hits = correct(out, y)
            acc = hits / n
        else:
            acc = float(self.metric(out, y))
            hits = acc * n
        with self._atomic():
            self._phase = "update"
            lr = self.optimizer.param_groups[0]["lr"]
            self.optimizer.step()
            if self.scheduler is not None:
                self.scheduler.step()
            self.iteration += 1
            self.batch_in_epoch += 1
            h = self._history
            h.iteration.append(self.iteration)
            h.epoch.append(self.epoch)
            h.train_loss.append(value)
            h.train_acc.append(acc)
            h.lr.append(lr)
            self._sums[0] += value * n
            self._sums[1] += hits
            self._sums[2] += n
            self._post_epoch_end = self.batch_in_epoch == batches
            self._stage = _EVAL
            self._phase = "post"
        self._post()

    def _eval_due(self) -> bool:
        if self.eval_data is None:
            return False
        return bool(self.eval_every and self.iteration % self.eval_every == 0) or self._post_epoch_end

    def _post(self) -> None:
        """The steps after iteration ``self.iteration``'s update, from ``self._stage`` on."""
        i, h = self.iteration, self._history
        evaluated = self._eval_due()
        if self._stage == _EVAL:
            if evaluated:
                eval_loss, eval_acc = self._evaluate()
                with self._atomic():
                    h.eval_iteration.append(i)
                    h.eval_loss.append(eval_loss)
                    h.eval_acc.append(eval_acc)
                    self._stage = _ON_EVALUATE
            else:
                self._stage = _ON_EVALUATE
        if self._stage == _ON_EVALUATE:
            if evaluated:
                logs = {"iteration": i, "epoch": self.epoch, "eval_loss": h.eval_loss[-1], "eval_acc": h.eval_acc[-1]}
                for callback in self.callbacks:
                    callback.on_evaluate(self, logs)
            self._stage = _ON_BATCH_END
        if self._stage == _ON_BATCH_END:
            logs = {"iteration": i, "epoch": h.epoch[-1], "loss": h.train_loss[-1], "acc": h.train_acc[-1],
                    "lr": h.lr[-1]}
            if evaluated:
                logs.update(eval_loss=h.eval_loss[-1], eval_acc=h.eval_acc[-1])
            for callback in self.callbacks:
                callback.on_batch_end(self, logs)
            self._stage = _EPOCH_RECORD
        if self._stage == _EPOCH_RECORD:
            with self._atomic():
                if self._post_epoch_end:
                    h.epochs.append(self._epoch_record(complete=True, history=h))
                    self.epochs_done += 1
                    self.batch_in_epoch = 0
                    self._sums = [0.0, 0.0, 0]
                    self._iterator = None
                self._stage = _ON_EPOCH_END
        if self._stage == _ON_EPOCH_END:
            if self._post_epoch_end:
                for callback in self.callbacks:
                    callback.on_epoch_end(self, dict(h.epochs[-1]))
            self._stage = _CHECKPOINT
        if self._stage == _CHECKPOINT:
            if self.checkpoint_every and i % self.checkpoint_every == 0:
                self.save_checkpoint()
            self._stage = _DONE
        self._phase = "idle"

    def _epoch_record(self, complete: bool, history: History) -> dict:
        loss_sum, metric_sum, count = self._sums
        record = {"epoch": self.epoch, "iteration": self.iteration, "batches": self.batch_in_epoch,
                  "train_loss": loss_sum / count, "train_acc": metric_sum / count, "complete": complete}
        if history.eval_iteration and history.eval_iteration[-1] == self.iteration:
            record.update(eval_loss=history.eval_loss[-1], eval_acc=history.eval_acc[-1])
        return record

    def _evaluate(self) -> tuple[float, float]:
        x, y = self.eval_data
        return evaluate(self.model, self.loss_fn, x, y, self.eval_batch_size, metric=self.metric, backend=self.backend)

    def _finish(self) -> History:
        """The History to return: the checkpointed record plus, when the run ended inside an
        epoch, a last evaluation and that partial epoch's record (a resumed run that goes on
        does not have them: the epoch continues)."""
        result = self._history.copy()
        result.seconds = self._seconds
        if self.stop_training:
            result.status, result.stop_reason = "stopped", self.stop_reason
        if self.batch_in_epoch > 0:
            if self.eval_data is not None and (not result.eval_iteration or result.eval_iteration[-1] != self.iteration):
                eval_loss, eval_acc = self._evaluate()
                result.eval_iteration.append(self.iteration)
                result.eval_loss.append(eval_loss)
                result.eval_acc.append(eval_acc)
                logs = {"iteration": self.iteration, "epoch": self.epoch, "eval_loss": eval_loss, "eval_acc": eval_acc}
                for callback in self.callbacks:
                    callback.on_evaluate(self, logs)
            result.epochs.append(self._epoch_record(complete=False, history=result))
        self.history = result
        for callback in self.callbacks:
            callback.on_train_end(self, result)
        return result

    # ------------------------------------------------------- non-finite values
    def _fail(self, diagnose, xb, yb, value, *extra):
        """Roll back to before this iteration, explain, and raise NonFiniteError."""
        snap = self._snap
        self._rollback(snap)
        try:
            with np.errstate(all="ignore"):
                error = diagnose(self.model, self.loss_fn, xb, yb, self.iteration + 1, value, *extra)
        finally:
            self._rollback(snap)
        self._phase = "idle"
        raise error

    # ------------------------------------------------ snapshots and rollbacks
    def _snapshot(self):
        loader_state = self.loader.state_dict() if hasattr(self.loader, "state_dict") else None
        return self.backend.rng_state(), loader_state, self.backend.copy_buffers(self._buffers)

    def _rollback(self, snap) -> None:
        rng, loader_state, buffers = snap
        self.backend.set_rng_state(rng)
        self.backend.restore_buffers(self._buffers, buffers)
        if loader_state is not None:
            self.loader.load_state_dict(loader_state)
        self._iterator = None

    # ---------------------------------------------------------------- Ctrl-C
    def _install_sigint(self):
        if threading.current_thread() is not threading.main_thread():
            return None
        try:
            if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
                return None
            signal.signal(signal.SIGINT, self._on_sigint)
        except (ValueError, OSError):  # pragma: no cover - no signals here
            return None
        return signal.default_int_handler

    @staticmethod
    def _restore_sigint(previous) -> None:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)

    def _on_sigint(self, signum, frame):
        if self._defer and not self._pending_interrupt:
            self._pending_interrupt = True  # raised as soon as the update is complete
            return
        raise KeyboardInterrupt

    @contextlib.contextmanager
    def _atomic(self):
        """Ctrl-C waits until the block (an update that must not be cut in half) is done."""
        self._defer = True
        try:
            yield
        finally:
            self._defer = False
        if self._pending_interrupt:
            self._pending_interrupt = False
            raise KeyboardInterrupt

    def _interrupted(self) -> History:
        self._defer = self._pending_interrupt = False
        if self._phase == "update":
            # Only possible when Ctrl-C is not routed through our handler (e.g. raised by a
            # scheduler's function): the weights may be half-updated, so nothing is saved.
            warnings.warn("interrupted in the middle of an optimiser step: no checkpoint written", RuntimeWarning)
            raise
        if self._phase == "forward":
            self._rollback(self._snap)  # the iteration never happened
        self._phase = "idle"
        self._seconds_now()
        if self.checkpoint_dir is not None:
            self.save_checkpoint(interrupted=True)
        result = self._history.copy()
        result.seconds, result.status = self._seconds, "interrupted"
        result.stop_reason = "interrupted (KeyboardInterrupt)"
        self.history = result
        for callback in self.callbacks:
            callback.on_train_end(self, result)
        if self.on_interrupt == "raise":
            raise
        return result

    def _seconds_now(self) -> float:
        now = time.perf_counter()
        if self._clock is not None:
            self._seconds += now - self._clock
        self._clock = now
        return self._seconds

    # ------------------------------------------------------------ checkpoints
    def state(self) -> dict:
        """Everything a checkpoint holds except the model's weights (arrays included)."""
        self._seconds_now()
        history = self._history.to_dict()
        history["seconds"] = self._seconds
        callbacks = []
        for index, callback in enumerate(self.callbacks):
            state = callback.state_dict()
            if state:
                callbacks.append({"index": index, "type": type(callback).__name__, "state": state})
        engine = self.backend
        return {
            "backend": engine.name,
            "iteration": self.iteration,
            "epoch": self.epoch,
            "target": dict(self.target),
            "trainer": {"iteration": self.iteration, "epochs_done": self.epochs_done,
                        "batch_in_epoch": self.batch_in_epoch, "sums": list(self._sums), "stage": self._stage,
                        "post_epoch_end": self._post_epoch_end, "seconds": self._seconds},
            "optimizer": {"type": type(self.optimizer).__name__, "state_dict": engine.state_dict(self.optimizer)},
            "scheduler": None if self.scheduler is None else {"type": type(self.scheduler).__name__,
                                                              "state_dict": engine.state_dict(self.scheduler)},
            "loader": self.loader.state_dict() if hasattr(self.loader, "state_dict") else None,
            "rng": engine.rng_state(),
            "history": history,
            "callbacks": callbacks,
        }

    def save_checkpoint(self, folder=None, interrupted: bool = False) -> Path:
        """Write a checkpoint of the current state into ``folder`` (default ``checkpoint_dir``)
        and return its ``.json`` path."""
        folder = Path(folder) if folder is not None else self.checkpoint_dir
        if folder is None:
            raise ValueError("no folder given and no checkpoint_dir set")
        meta = self.state()
        meta["interrupted"] = bool(interrupted)
        try:
            path = _ckpt.save_checkpoint(folder, self.iteration, meta, self.backend.state_dict(self.model),
                                         keep=self.keep_checkpoints)
        except TypeError as exc:
            raise TypeError(f"cannot checkpoint this run: {exc}") from None
        self.last_checkpoint = path
        self._checkpointed_at = (self.iteration, self._stage)
        for callback in self.callbacks:
            callback.on_checkpoint(self, path)
        return path

    def load_checkpoint(self, path) -> _ckpt.Checkpoint:
        """Restore this trainer, its model, optimiser, scheduler, loader, the global RNG and
        the callbacks' states from a checkpoint; returns it. Mismatches (another architecture,
        optimiser, scheduler or dataset) raise :class:`CheckpointError` naming the file."""
        ck = _ckpt.load_checkpoint(path)
        meta, where = ck.meta, ck.path
        engine = self.backend
        saved_backend = meta.get("backend", "chainrule")
        if saved_backend != engine.name:
            raise CheckpointError(f"{where}: the checkpoint was written by the {saved_backend} backend, this run "
                                  f"trains on {engine.name} (its weights load with chainrule.load / "
                                  f"from_torch_state_dict, but an optimiser's state does not carry over)")
        saved_opt = meta["optimizer"]
        if saved_opt["type"] != type(self.optimizer).__name__:
            raise CheckpointError(f"{where}: the checkpoint is of a {saved_opt['type']} optimiser, "
                                  f"this run uses {type(self.optimizer).__name__}")
        saved_sched = meta.get("scheduler")
        if (saved_sched is None) != (self.scheduler is None) or (
                saved_sched is not None and saved_sched["type"] != type(self.scheduler).__name__):
            raise CheckpointError(f"{where}: the checkpoint's scheduler is "
                                  f"{saved_sched['type'] if saved_sched else 'none'}, this run's is "
                                  f"{type(self.scheduler).__name__ if self.scheduler is not None else 'none'}")
        if meta.get("loader") is None or not hasattr(self.loader, "load_state_dict"):
            raise CheckpointError(f"{where}: resuming needs the loader's state and a loader with load_state_dict()")
        mine = self.loader.state_dict()
        for key in ("num_samples", "batch_size", "shuffle", "drop_last"):
            if meta["loader"].get(key) != mine.get(key):
                raise CheckpointError(f"{where}: the checkpoint's loader has {key}={meta['loader'].get(key)!r}, "
                                      f"this one {mine.get(key)!r}")
        try:
            engine.load_state_dict(self.model, ck.model_state)
            engine.load_state_dict(self.optimizer, saved_opt["state_dict"])
            if self.scheduler is not None:
                engine.load_state_dict(self.scheduler, saved_sched["state_dict"])
            self.loader.load_state_dict(meta["loader"])
            engine.set_rng_state(meta["rng"])
        except (ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(f"{where}: does not fit this run: {exc}") from None
        trainer = meta["trainer"]
        self._history = History.from_dict(meta["history"])
        self.iteration = int(trainer["iteration"])
        self.epochs_done = int(trainer["epochs_done"])
        self.batch_in_epoch = int(trainer["batch_in_epoch"])
        self._sums = list(trainer["sums"])
        self._stage = int(trainer["stage"])
        self._post_epoch_end = bool(trainer["post_epoch_end"])
        self._seconds = float(trainer["seconds"])
        self._iterator = None
        for saved in meta.get("callbacks", []):
            index = saved["index"]
            if index < len(self.callbacks) and type(self.callbacks[index]).__name__ == saved["type"]:
                self.callbacks[index].load_state_dict(saved["state"])
            else:
                warnings.warn(f"{where}: no {saved['type']} callback at position {index} to restore", RuntimeWarning)
        self.history = self._history
        self.last_checkpoint = ck.path
        self._checkpointed_at = (self.iteration, self._stage)
        return ck


def fit(model, loss_fn, optimizer, loader, *, epochs: int | None = None, iterations: int | None = None,
        eval_data: tuple | None = None, eval_every: int | None = None, scheduler=None, progress=None,
        callbacks=(), metric=accuracy, eval_batch_size: int = 1000, checkpoint_dir=None,
        checkpoint_every: int | None = None, keep_checkpoints: int | None = 2, resume=None, metrics_dir=None,
        on_interrupt: str = "raise", check_gradients: bool = True, backend=None) -> History:
    """Train ``model`` for ``epochs`` passes over ``loader`` or for ``iterations`` mini-batches
    and return the :class:`History`: ``Trainer(model, loss_fn, optimizer, loader, ...).fit(...)``.

    ``scheduler.step()`` runs after every iteration. ``progress(iteration, total, logs)`` is
    called after every iteration (``logs``: iteration, epoch, loss, acc, lr and, when measured
    then, eval_loss and eval_acc). The other keywords are :class:`Trainer`'s; ``resume`` is
    :meth:`Trainer.fit`'s. Raises :class:`NonFiniteError` when the loss or a gradient stops
    being finite, naming the iteration and the layer.
    """
    trainer = Trainer(model, loss_fn, optimizer, loader, scheduler=scheduler, eval_data=eval_data,
                      eval_every=eval_every, eval_batch_size=eval_batch_size, metric=metric, callbacks=callbacks,
                      progress=progress, checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every,
                      keep_checkpoints=keep_checkpoints, metrics_dir=metrics_dir, on_interrupt=on_interrupt,
                      check_gradients=check_gradients, backend=backend)
    return trainer.fit(epochs=epochs, iterations=iterations, resume=resume)
