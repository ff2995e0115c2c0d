"""Trainings started from the app: each a ``python -m aeexplorer train --progress-json`` process
read by a thread (no Streamlit here). In its own process, on one thread at a lower priority, a
training can neither freeze nor crash the server; a cancel is the CLI's own Ctrl-C (SIGINT),
and the CLI's atomic writes keep any existing file at the out path intact. The families and
their command lines are in ``aeexplorer.families``."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from .checkpoint import file_signature
from .errors import AeError
from .families import TrainRequest, small_number, train_args

RUNNING, DONE, FAILED, CANCELLED = "running", "done", "failed", "cancelled"
KILL_AFTER_S = 5.0  # after SIGINT, the time a training gets to stop before SIGKILL
EXIT_GRACE_S = 2.5  # at exit: the time all trainings get to stop (then SIGKILL, reaped in 0.5 s)
DEFAULT_CAP = 2  # trainings at once, unless AEEXPLORER_MAX_TRAININGS says otherwise
MAX_TRACE = 2000  # running values kept for the live curves (halved when full)
# The child lowers its own priority: preexec_fn (os.nice between fork and exec) is unsafe in
# a threaded server such as Streamlit's, where it can deadlock the fork.
# The child lowers its own priority and takes Cancel's SIGINT as Ctrl-C even when the server
# was started in the background by a shell (which leaves SIGINT ignored for all it starts).
LAUNCH = ("import os, signal, sys\ntry:\n    os.nice(10)\nexcept OSError:\n    pass\n"
          "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
          "from aeexplorer.cli import main\nsys.exit(main())")


class Busy(AeError):
    """The server already runs as many trainings as it allows."""


def command(args: list[str]) -> list[str]:
    """The process to run for CLI ``args`` (replaced by a fake trainer in tests)."""
    return [sys.executable, "-c", LAUNCH, *args]


def parse_line(line: str) -> dict | None:
    """One progress event, or None for any line that is not a JSON event object."""
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) and isinstance(event.get("event"), str) else None


@dataclass
class Progress:
    """A job's state; ``Job.view`` hands out copies, safe to draw from."""
    name: str
    family: str
    out: Path
    status: str = RUNNING
    epoch: int = 0  # current epoch, 1-based (0 before the first batch)
    epochs: int = 0
    batch: int = 0
    batches: int = 0
    running: dict = field(default_factory=dict)  # running means of the parts in this epoch
    history: list = field(default_factory=list)  # per finished epoch: loss, recon, kl, ...
    trace: list = field(default_factory=list)  # (fractional epoch, running parts)
    figures: dict = field(default_factory=dict)
    path: str = ""  # set by the "done" event: the file is written
    error: str = ""
    seconds: float = 0.0  # since the start
    loading: float = 0.0  # seconds before the first batch (starting up, reading the data)

    @property
    def fraction(self) -> float:
        if not self.epochs:
            return 0.0
        within = self.batch / self.batches if self.batches else 0.0
        done = max(len(self.history), self.epoch - 1 + within if self.epoch else 0.0)
        return min(1.0, done / self.epochs)

    @property
    def left(self) -> float | None:
        """Seconds of training left at the pace since the first batch, once there is one."""
        f = self.fraction
        if not self.loading or f < 0.02 or len(self.history) >= self.epochs:
            return None
        return (self.seconds - self.loading) * (1 - f) / f


class Job:
    """One training process and the thread that reads its progress."""

    def __init__(self, cmd: list[str], out: Path, name: str, family: str = "") -> None:
        self.out, self.name, self.family = Path(out), name, family
        self._lock = threading.Lock()
        self._s = Progress(name, family, self.out)
        self._cancel, self._ended = False, None
        self._stderr, self.started = [], time.monotonic()
        self._before = file_signature(self.out)  # a change is the evidence that the model is written
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "PYTHONUNBUFFERED": "1"}  # one thread: the server keeps a core
        try:
            self._proc = subprocess.Popen(
                cmd, cwd=Path(__file__).resolve().parents[1], env=env, text=True,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                bufsize=1, errors="replace")
        except OSError as exc:
            raise AeError(f"could not start the training: {exc}") from None
        self._err_thread = threading.Thread(target=self._read_stderr, daemon=True)
        self._err_thread.start()
        threading.Thread(target=self._read_stdout, daemon=True, name=f"job-{name}").start()

    @property
    def status(self) -> str:
        return self._s.status

    @property
    def pid(self) -> int:
        return self._proc.pid

    def view(self) -> Progress:
        with self._lock:
            s = self._s
            return replace(s, running=dict(s.running), history=list(s.history),
                           trace=list(s.trace), figures=dict(s.figures),
                           seconds=(self._ended or time.monotonic()) - self.started)

    def cancel(self, kill_after: float | None = KILL_AFTER_S) -> None:
        """SIGINT (the CLI stops and writes nothing), then SIGKILL if it is still there after
        ``kill_after`` seconds (None: no SIGKILL; ``stop`` sends it)."""
        with self._lock:
            if self._s.status != RUNNING:
                return
            self._cancel = True
        self._proc.send_signal(signal.SIGINT)  # a no-op on a process that has ended
        if kill_after is not None:
            timer = threading.Timer(kill_after, self._proc.send_signal, (signal.SIGKILL,))
            timer.daemon = True
            timer.start()

    def stop(self, timeout: float) -> None:
        """Waits up to ``timeout`` seconds for the process to end, else SIGKILLs it; reaped
        either way (half a second at most), without any other thread."""
        try:
            self._proc.wait(max(timeout, 0.0))
        except subprocess.TimeoutExpired:
            self._proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(0.5)

    def _read_stderr(self) -> None:
        for line in self._proc.stderr:
            self._stderr = [*self._stderr[-199:], line.rstrip("\n")]

    def _read_stdout(self) -> None:
        for line in self._proc.stdout:
            event = parse_line(line)
            if event is not None:
                with self._lock:
                    _apply(self._s, event, time.monotonic() - self.started)
        code = self._proc.wait()
        self._err_thread.join(timeout=5)
        written = file_signature(self.out) != self._before
        with self._lock:
            s = self._s
            s.status = _outcome(bool(s.path) or written, self._cancel)
            s.error = error_message(code, self._stderr) if s.status == FAILED else ""
            self._ended = time.monotonic()


def _outcome(written: bool, cancelled: bool) -> str:
    """The status from the evidence, not the exit code: once the checkpoint is written (the
    "done" line seen, or the out file replaced; writes are atomic, so it is whole) the training
    is done, even when a cancel (SIGINT) landed after that and the process ended with an error
    code; before that, a cancel is a cancel whatever the exit code (SIGINT may land before the
    CLI's handler), and any other end is a failure."""
    if written:
        return DONE
    return CANCELLED if cancelled else FAILED


def _apply(s: Progress, event: dict, elapsed: float) -> None:
    """Fold one progress event into the state (malformed fields are skipped, not raised)."""
    kind = event["event"]
    try:
        if kind in ("batch", "epoch"):
            s.loading = s.loading or elapsed  # the first line comes after the first batch
            s.epochs = int(event.get("epochs", s.epochs))
            s.batches = int(event.get("batches", s.batches))
        if kind == "batch":
            _apply_batch(s, event)
        elif kind == "epoch":
            # the epoch's last batch (its only one, maybe) has this line and no batch line
            s.epoch, s.batch = int(event["epoch"]), s.batches
            s.history.append({k: float(event[k]) for k in ("epoch", "loss", "recon", "kl",
                                                           "penalty", "seconds")
                              if isinstance(event.get(k), (int, float))})
        elif kind == "done":
            s.figures = dict(event.get("figures") or {})
            s.path = str(event.get("path") or "")
    except (KeyError, TypeError, ValueError):
        pass


def _apply_batch(s: Progress, event: dict) -> None:
    s.epoch, s.batch = int(event["epoch"]), int(event["batch"])
    s.running = {k: float(v) for k, v in dict(event.get("parts") or {}).items()
                 if isinstance(v, (int, float))}
    s.trace.append((s.epoch - 1 + s.batch / max(s.batches, 1), s.running))
    if len(s.trace) > MAX_TRACE:  # keep every other point: the curve's shape stays
        s.trace[:] = s.trace[::2]


def error_message(code: int, stderr: list[str]) -> str:
    """The CLI's ``error:`` line, else what is known about how the process ended."""
    errors = [line[len("error: "):] for line in stderr if line.startswith("error: ")]
    if errors:
        return errors[-1]
    if code < 0:
        how = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        text = f"the training process was stopped by {how}"
        return text + (" (out of memory?)" if -code == signal.SIGKILL else "")
    last = next((line for line in reversed(stderr) if line.strip()), "")
    return f"the training process ended with exit code {code}" + (f": {last}" if last else "")


class Registry:
    """The trainings of one server, with a cap on how many run at once (each holds a core).
    A training keeps its slot until its process ends, even when the session that started it
    has closed (no one can cancel it then): acceptable, as every training ends on its own, and
    simpler than tracking sessions, which this does not do."""

    def __init__(self, cap: int | None = None) -> None:
        if cap is None:  # a value that is not a whole number gives the default, never an error
            cap = small_number(os.environ.get("AEEXPLORER_MAX_TRAININGS", ""))
        self.cap = DEFAULT_CAP if cap is None else cap
        self._lock, self._jobs = threading.Lock(), []

    def running(self) -> list[Job]:
        with self._lock:
            self._jobs = [j for j in self._jobs if j.status == RUNNING]
            return list(self._jobs)

    def start(self, cmd: list[str], out: Path, name: str, family: str = "") -> Job:
        """Start a job, or raise ``Busy`` when the cap is reached or ``out`` is being written."""
        with self._lock:
            active = [j for j in self._jobs if j.status == RUNNING]
            if len(active) >= self.cap:
                raise Busy(f"all {self.cap} training slots of this server are in use: try "
                           "again when one finishes")
            if any(j.out.resolve() == Path(out).resolve() for j in active):
                raise Busy(f"a training is already writing {Path(out).name}")
            job = Job(cmd, out, name, family)
            self._jobs = [*active, job]
        return job

    def train(self, req: TrainRequest, out: Path, data_dir: Path) -> Job:
        return self.start(command(train_args(req, out, data_dir)), out, out.stem, req.family)

    def cancel_all(self, grace: float = EXIT_GRACE_S) -> None:
        """Stops every running training before it returns: SIGINT, up to ``grace`` seconds for
        all of them, then SIGKILL. Synchronous, for the exit hook, where the Timer that
        ``Job.cancel`` relies on would never fire."""
        running = self.running()
        for job in running:
            job.cancel(kill_after=None)
        deadline = time.monotonic() + grace
        for job in running:
            job.stop(deadline - time.monotonic())


_shared: Registry | None = None
_shared_lock = threading.Lock()


def shared() -> Registry:
    """The server's one registry, made on first use, with an exit hook that stops the
    trainings still running when the server stops cleanly. A module-level singleton, not a
    Streamlit cache entry: a cleared cache must neither forget the running trainings (the cap
    would no longer hold) nor add another exit hook."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Registry()
            atexit.register(_shared.cancel_all)
        return _shared
