"""Running an untrusted submission in a child process with limits, and talking to it.

A :class:`Sandbox` starts ``python -I _child.py`` in a fresh temporary folder that is also its
HOME, with a scrubbed environment, its own session (so that everything it forks is killed with
it), and rlimits on memory, CPU time, file size, processes and core files. Every request has a
wall-clock limit; a child that overruns it, dies or closes the channel is killed and the request
fails with a :class:`SubmissionFault` that says what happened. The next request starts a fresh
child and loads the submission again, so one hostile test costs only its own marks.

What the student's code prints goes to a file; more than ``Limits.output_bytes`` is a fault.
"""

from __future__ import annotations

import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import _child
from ._child import Handle

CHILD_SCRIPT = Path(_child.__file__)
LARGE_ARRAY = 1 << 20
"""Arrays of more bytes than this go to the child as ``.npy`` files, not inline."""


class SubmissionFault(Exception):
    """The submission failed a request: it raised (``kind`` "raised", with the exception's type,
    message and the line of the student's code), ran out of time, memory or output, or ended
    the process. ``str()`` is the sentence for the feedback."""

    def __init__(self, message: str, kind: str = "raised", exc_type: str = "", where: str = ""):
        super().__init__(message)
        self.kind, self.exc_type, self.where = kind, exc_type, where


@dataclass(frozen=True)
class Limits:
    """What one submission may use. ``timeout`` is per request (one test's call), ``budget``
    for the whole submission's CPU time (the kernel's RLIMIT_CPU backs it)."""

    timeout: float = 60.0
    budget: float = 600.0
    memory_bytes: int = 4 * 2**30
    file_bytes: int = 64 * 2**20
    output_bytes: int = 1 * 2**20
    processes: int = 64

    def apply(self) -> None:
        """Set the rlimits (runs in the child between fork and exec)."""
        os.setsid()
        cpu = int(self.budget) + 5
        for limit, value in ((resource.RLIMIT_AS, self.memory_bytes), (resource.RLIMIT_CPU, cpu),
                             (resource.RLIMIT_FSIZE, self.file_bytes), (resource.RLIMIT_CORE, 0),
                             (resource.RLIMIT_NPROC, self.processes)):
            try:
                resource.setrlimit(limit, (value, value))
            except (ValueError, OSError):  # a limit this kernel or user cannot lower: the others stand
                pass
        # A write past RLIMIT_FSIZE then fails with an OSError instead of killing the child.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def child_environment(home: str, extra: dict | None = None) -> dict:
    """Only what Python and NumPy need: no tokens, no paths to the grader's files."""
    env = {
        "PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg", "MPLCONFIGDIR": home,
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    }
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # keep the machine's BLAS safe settings
        if key in os.environ:
            env[key] = os.environ[key]
    env.update(extra or {})
    return env


class Sandbox:
    """One submission file, loaded in a child process on first use.

    ``sandbox.module`` is the handle of the student's module; :meth:`call`, :meth:`new`,
    :meth:`get`, :meth:`set` act on it and on the handles that come back. Use it as a context
    manager, or call :meth:`close`."""

    module = Handle(0, "module")

    def __init__(self, path, module_name: str, limits: Limits = Limits(), engine: str | None = None):
        self.path = Path(path)
        self.module_name = module_name
        self.limits = limits
        self.engine = engine
        self.folder = Path(tempfile.mkdtemp(prefix="chainrule-grade-"))
        self.process: subprocess.Popen | None = None
        self.names: list[str] = []
        self.output_seen = 0
        self.printed = ""
        self.warnings: list[str] = []  # what the last call warned (NumPy's overflow, say)
        self.load_fault: SubmissionFault | None = None
        self.starts = 0

    # ------------------------------------------------------------- lifecycle
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self._kill()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _kill(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()
        for fd in (self._requests, self._replies):
            os.close(fd)
        self.process = None

    def _start(self) -> None:
        work = self.folder / f"run{self.starts}"
        work.mkdir()
        self.starts += 1
        source = work / self.path.name
        shutil.copyfile(self.path, source)
        self.output_file = work / "output.txt"
        self.output_file.touch()
        self.output_seen = 0
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-I", str(CHILD_SCRIPT), str(to_child_r), str(from_child_w), str(self.output_file)],
            cwd=work, env=child_environment(str(work)), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, pass_fds=(to_child_r, from_child_w), preexec_fn=self.limits.apply,
            close_fds=True)
        os.close(to_child_r)
        os.close(from_child_w)
        self._requests, self._replies = to_child_w, from_child_r
        self.names = self._request("load", str(source), self.module_name,
                                   torch_from=_this_package() if self.engine == "chainrule" else None)

    # ------------------------------------------------------------- requests
    def call(self, target, attr: str | None = None, *args, **kwargs):
        """``target.attr(*args, **kwargs)`` in the child (``target`` a handle; ``attr`` None calls
        the target itself)."""
        return self._request("call", target, attr, list(args), kwargs)

    def function(self, name: str, *args, **kwargs):
        """Call the module-level function ``name``."""
        return self.call(self.module, name, *args, **kwargs)

    def new(self, class_name: str, *args, **kwargs) -> Handle:
        """An instance of the module's class ``class_name``."""
        return self.call(self.module, class_name, *args, **kwargs)

    def get(self, target, attr: str):
        return self._request("getattr", target, attr)

    def set(self, target, attr: str, value) -> None:
        self._request("setattr", target, attr, value)

    def seed(self, seed: int) -> None:
        """Seed ``random``, ``np.random`` (and torch, when imported) in the child."""
        self._request("seed", int(seed))

    def layers(self, target) -> dict:
        return self._request("layers", target)

    def axes(self, count: int = 1) -> list:
        """A new matplotlib figure with ``count`` axes: [figure, axes...] handles."""
        return self._request("axes", count)

    def describe_axes(self, axes) -> dict:
        return self._request("describe_axes", axes)

    def _ensure(self) -> None:
        """Start the child and load the submission, once: a file that fails to load (it raises,
        hangs or exits at import) fails every later request with the same fault, at no more cost."""
        if self.load_fault is not None:
            raise self.load_fault
        if self.process is None:
            try:
                self._start()
            except SubmissionFault as fault:
                self.load_fault = SubmissionFault(f"failed while loading {self.path.name}: {fault}", fault.kind,
                                                  fault.exc_type, fault.where)
                raise self.load_fault from None

    def _request(self, op: str, *args, **kwargs):
        if op != "load":
            self._ensure()
        message = {"op": op, "args": self._encode(list(args)), "kwargs": self._encode(kwargs)}
        try:
            _child.send(self._requests, message)
            reply = self._receive()
            self._collect_output(reply.get("output_bytes", 0))
        except SubmissionFault:
            self._kill()
            raise
        except (OSError, EOFError, ValueError) as exc:
            code = self._exit_code()
            self._kill()
            raise SubmissionFault(self._death(code, exc), kind="died") from None
        if not reply["ok"]:
            error = reply["error"]
            where = f" ({error['where']})" if error.get("where") else ""
            text = _error_sentence(error["type"], error["message"]) + where
            if op == "load":
                self._kill()
            raise SubmissionFault(text, kind="raised", exc_type=error["type"], where=error.get("where", ""))
        self.warnings = reply.get("warnings", [])
        try:
            return _child.decode(reply["value"])
        except (TypeError, ValueError) as exc:
            raise SubmissionFault(f"returned a value the grader refuses: {exc}", kind="value") from None

    def _receive(self) -> dict:
        deadline = time.monotonic() + self.limits.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SubmissionFault(f"timed out: no answer within {self.limits.timeout:g} s "
                                      "(an endless loop, a sleep, or far too slow)", kind="timeout")
            ready, _, _ = select.select([self._replies], [], [], min(left, 0.5))
            if ready:
                return _child.receive(self._replies)
            if self.process.poll() is not None:
                raise EOFError("the child ended")
            self._check_output_size()

    def _exit_code(self):
        try:
            return self.process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            return None

    def _death(self, code, exc) -> str:
        if code is not None and code < 0:
            name = signal.Signals(-code).name
            if -code == signal.SIGXCPU:
                return f"was stopped by the CPU-time limit ({self.limits.budget:g} s for the submission)"
            if -code == signal.SIGKILL:
                return "was killed (SIGKILL): out of memory or killed from outside"
            return f"crashed: the process died of {name}"
        if code is not None:
            return (f"ended the grader's process itself (exit code {code}: os._exit, a hard exit or "
                    "closing its channel); the calls after it were not answered")
        return f"broke the grader's channel ({exc})"

    def _check_output_size(self) -> None:
        size = self.output_file.stat().st_size if self.output_file.exists() else 0
        if size > self.limits.output_bytes:
            raise SubmissionFault(f"printed {size:,} bytes, over the {self.limits.output_bytes:,}-byte limit "
                                  "(the sheet says: no extra printing)", kind="output")

    def _collect_output(self, size: int) -> None:
        """Keep the first 2 000 characters the last request printed, in ``self.printed``."""
        new = size - self.output_seen
        self.printed = ""
        if new > 0:
            with open(self.output_file, "rb") as handle:
                handle.seek(self.output_seen)
                self.printed = handle.read(2000).decode("utf-8", "replace")
            self.output_seen = size
        if size > self.limits.output_bytes:
            raise SubmissionFault(f"printed {size:,} bytes, over the {self.limits.output_bytes:,}-byte limit "
                                  "(the sheet says: no extra printing)", kind="output")

    def _encode(self, value):
        """Large arrays travel as files in the child's folder; everything else inline."""
        if isinstance(value, np.ndarray) and value.nbytes > LARGE_ARRAY and self.process is not None:
            path = self.folder / f"input{time.monotonic_ns()}.npy"
            np.save(path, value, allow_pickle=False)
            return {"__npyfile__": str(path)}
        if isinstance(value, list):
            return [self._encode(v) for v in value]
        if isinstance(value, tuple):
            return {"__tuple__": [self._encode(v) for v in value]}
        if isinstance(value, dict):
            return {"__dict__": [[k, self._encode(v)] for k, v in value.items()]}
        return _child.encode(value)


def _error_sentence(exc_type: str, message: str) -> str:
    if exc_type == "SystemExit":
        return f"called sys.exit ({message}); a graded function must return"
    if exc_type == "MemoryError":
        return "ran out of memory (MemoryError: over the memory limit)"
    if exc_type == "NotImplementedError":
        return "is not implemented yet (NotImplementedError)" + (f": {message}" if message else "")
    return f"raised {exc_type}: {message}" if message else f"raised {exc_type}"


def _this_package() -> list[str]:
    """The name of the package that is grading and the folder it is imported from: a child
    running ``--engine chainrule`` imports that very copy, not whichever one its path finds."""
    root = sys.modules[__name__.split(".")[0]]
    return [root.__name__, str(Path(root.__file__).resolve().parent.parent)]
