"""Trainings started from the app: each a ``python -m aeexplorer train --progress-json`` process
read by a thread (no Streamlit here). In its own process, on one thread at a lower priority, a
training can neither freeze nor crash the server; a cancel is the CLI's own Ctrl-C (SIGINT),
and the CLI's atomic writes keep any existing file at the out path intact."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import AeError

RUNNING, DONE, FAILED, CANCELLED = "running", "done", "failed", "cancelled"
TRAIN_ARGS = ("epochs", "lr", "batch_size", "seed")
NET_ARGS = ("hidden", "batchnorm", *TRAIN_ARGS)
KILL_AFTER_S = 5.0  # after SIGINT, the time a training gets to stop before SIGKILL
MAX_TRACE = 2000  # running values kept for the live curves (halved when full)
# The child lowers its own priority: preexec_fn (os.nice between fork and exec) is unsafe in
# a threaded server such as Streamlit's, where it can deadlock the fork.
LAUNCH = ("import os, sys\ntry:\n    os.nice(10)\nexcept OSError:\n    pass\n"
          "from aeexplorer.cli import main\nsys.exit(main())")


class Busy(AeError):
    """The server already runs as many trainings as it allows."""


@dataclass(frozen=True)
class Family:
    label: str
    args: tuple[str, ...]  # fixed CLI arguments
    params: tuple[str, ...]  # the TrainRequest fields this family uses
    curve: str | None  # the loss part charted beside the reconstruction: "kl", "penalty"


FAMILIES: dict[str, Family] = {
    "vae": Family("VAE", ("--model", "vae"), NET_ARGS, "kl"),
    "beta-vae": Family("β-VAE", ("--model", "vae"), (*NET_ARGS, "beta"), "kl"),
    "ae": Family("AE", ("--model", "ae"), NET_ARGS, None),
    "sparse-l1": Family("sparse AE (L1)", ("--model", "ae", "--penalty", "l1"),
                        (*NET_ARGS, "penalty_weight"), "penalty"),
    "sparse-kl": Family("sparse AE (KL)", ("--model", "ae", "--penalty", "kl", "--activation",
                                           "sigmoid"),  # KL sparsity needs units in (0, 1)
                        (*NET_ARGS, "sparsity_target", "penalty_weight"), "penalty"),
    "denoising": Family("denoising AE", ("--model", "ae"), (*NET_ARGS, "noise", "noise_level"),
                        None),
    # the contractive penalty is exact only without batch norm (the CLI refuses it)
    "contractive": Family("contractive AE", ("--model", "ae", "--penalty", "contractive"),
                          ("hidden", *TRAIN_ARGS, "penalty_weight"), "penalty"),
    "shallow": Family("shallow AE", ("--model", "ae", "--hidden", "none"), TRAIN_ARGS, None),
    "pca": Family("PCA", ("--model", "pca"), (), None),  # closed form: nothing to tune
}


@dataclass(frozen=True)
class TrainRequest:
    """A Train form's values; fields a family does not use are ignored."""
    dataset: str = "mnist"
    family: str = "vae"
    hidden: tuple[int, ...] = (512, 256)
    batchnorm: bool = False
    epochs: int = 10
    lr: float = 1e-3
    batch_size: int = 128
    seed: int = 0
    beta: float = 4.0
    penalty_weight: float = 0.01
    sparsity_target: float = 0.05
    noise: str = "gaussian"
    noise_level: float = 0.5


def check_name(name: str) -> str:
    """A model name usable as a file name: letters, digits, '.', '_', '-' (at most 64)."""
    name = name.strip().removesuffix(".safetensors")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", name):
        raise AeError(f"{name!r} cannot be a model name: use 1 to 64 letters, digits, '.', '_' "
                      "or '-', starting with a letter or digit")
    return name


def parse_hidden(text: str) -> tuple[int, ...]:
    """'512,256' -> (512, 256), with a message a person can act on."""
    parts = text.replace(" ", "").split(",")
    if 1 <= len(parts) <= 8 and all(p.isdigit() and 1 <= int(p) <= 4096 for p in parts):
        return tuple(int(p) for p in parts)
    raise AeError(f"hidden widths {text!r}: give 1 to 8 comma-separated widths from 1 to 4096, "
                  "e.g. 512,256")


def train_args(req: TrainRequest, out: Path, data_dir: Path) -> list[str]:
    """The ``train`` command line (after ``python -m aeexplorer``) for a form's values."""
    fam = FAMILIES[req.family]
    args = ["train", "--dataset", req.dataset, *fam.args]
    for key in fam.params:
        value, flag = getattr(req, key), "--" + key.replace("_", "-")
        if isinstance(value, bool):
            args += [flag] if value else []
        elif isinstance(value, tuple):
            args += [flag, ",".join(str(v) for v in value)]
        else:
            args += [flag, f"{value:g}" if isinstance(value, float) else str(value)]
    return [*args, "--out", str(Path(out).resolve()), "--data-dir",
            str(Path(data_dir).resolve()), "--progress-json"]


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

    def view(self) -> Progress:
        with self._lock:
            s = self._s
            return replace(s, running=dict(s.running), history=list(s.history),
                           trace=list(s.trace), figures=dict(s.figures),
                           seconds=(self._ended or time.monotonic()) - self.started)

    def cancel(self, kill_after: float = KILL_AFTER_S) -> None:
        """SIGINT (the CLI stops and writes nothing), then SIGKILL if it is still there."""
        with self._lock:
            if self._s.status != RUNNING:
                return
            self._cancel = True
        self._proc.send_signal(signal.SIGINT)  # a no-op on a process that has ended
        timer = threading.Timer(kill_after, self._proc.send_signal, (signal.SIGKILL,))
        timer.daemon = True
        timer.start()

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
        with self._lock:
            s = self._s
            # cancelled whatever the exit code: SIGINT may land before the CLI's handler
            s.status = DONE if code == 0 and s.path else CANCELLED if self._cancel else FAILED
            s.error = error_message(code, self._stderr) if s.status == FAILED else ""
            self._ended = time.monotonic()


def _apply(s: Progress, event: dict, elapsed: float) -> None:
    """Fold one progress event into the state (malformed fields are skipped, not raised)."""
    kind = event["event"]
    try:
        if kind == "batch":
            s.loading = s.loading or elapsed
            s.epoch, s.epochs = int(event["epoch"]), int(event["epochs"])
            s.batch, s.batches = int(event["batch"]), int(event["batches"])
            s.running = {k: float(v) for k, v in dict(event.get("parts") or {}).items()
                         if isinstance(v, (int, float))}
            s.trace.append((s.epoch - 1 + s.batch / max(s.batches, 1), s.running))
            if len(s.trace) > MAX_TRACE:  # keep every other point: the curve's shape stays
                s.trace[:] = s.trace[::2]
        elif kind == "epoch":
            s.epochs = int(event.get("epochs", s.epochs))
            s.history.append({k: float(event[k]) for k in ("epoch", "loss", "recon", "kl",
                                                           "penalty", "seconds")
                              if isinstance(event.get(k), (int, float))})
        elif kind == "done":
            s.figures = dict(event.get("figures") or {})
            s.path = str(event.get("path") or "")
    except (KeyError, TypeError, ValueError):
        pass


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
    """The trainings of one server, with a cap on how many run at once (each holds a core)."""

    def __init__(self, cap: int | None = None) -> None:
        default = os.environ.get("AEEXPLORER_MAX_TRAININGS", "2")
        self.cap = cap if cap is not None else int(default) if default.isdigit() else 2
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

    def cancel_all(self) -> None:
        for job in self.running():
            job.cancel()
