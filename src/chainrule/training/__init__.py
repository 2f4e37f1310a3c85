"""Training: a loop that counts iterations (mini-batches), evaluates as it goes, keeps the
whole learning history, never loses work and says where a run went non-finite.

    history = fit(model, loss_fn, optimizer, loader, epochs=3, eval_data=(x_test, y_test))

    trainer = Trainer(model, loss_fn, optimizer, loader, scheduler=scheduler,
                      eval_data=(x_val, y_val), eval_every=100,
                      callbacks=[EarlyStopping("eval_loss", patience=5, restore_best_weights=True)],
                      checkpoint_dir="runs/x/checkpoints", checkpoint_every=500, metrics_dir="runs/x")
    history = trainer.fit(iterations=10_000)              # Ctrl-C: a checkpoint, then KeyboardInterrupt
    history = trainer.fit(iterations=10_000, resume=True)  # a fresh process: continues bit for bit

Every iteration records the mini-batch loss and accuracy and the learning rate; every
``eval_every`` iterations and at each epoch's end the evaluation set's loss and accuracy are
recorded too. See :mod:`.trainer`, :mod:`.callbacks`, :mod:`.checkpoint` and :mod:`.nan_guard`.
"""

from .callbacks import Callback, EarlyStopping, LambdaCallback, MetricsLogger, ProgressCallback, TqdmProgress
from .checkpoint import Checkpoint, CheckpointError, latest_checkpoint, list_checkpoints, load_checkpoint
from .history import History
from .metrics import accuracy, evaluate, predict
from .nan_guard import NonFiniteError
from .trainer import Trainer, fit

__all__ = [
    "fit", "Trainer", "History", "evaluate", "predict", "accuracy", "NonFiniteError",
    "Callback", "LambdaCallback", "EarlyStopping", "MetricsLogger", "ProgressCallback", "TqdmProgress",
    "Checkpoint", "CheckpointError", "load_checkpoint", "latest_checkpoint", "list_checkpoints",
]
