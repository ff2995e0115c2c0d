"""Trainings started from the app: each a ``python -m aeexplorer train --progress-json`` process
read by a thread (no Streamlit here). In its own process, on one thread at a lower priority, a
training can neither freeze nor crash the server; a cancel is the CLI's own Ctrl-C (SIGINT),
and the CLI's atomic writes keep any existing file at the out path intact. A form's command
line is ``aeexplorer.core.training.request``'s, the server's limits (checked before a start,
and watched while a training runs) in ``aeexplorer.app.limits``."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

from aeexplorer.core.checkpoints.file import file_signature
from aeexplorer.core.errors import AeError
from aeexplorer.core.training.request import TrainRequest, train_args
from aeexplorer.app.limits import (Limits, TooBig, check_disk, check_request, child_env,
                                   data_size, duration_text, one_too_many, size_text)
from aeexplorer.app.progress import (CANCELLED, DONE, FAILED, RUNNING, Progress, apply,
                                     error_message, parse_line)

__all__ = ["CANCELLED", "DONE", "FAILED", "RUNNING", "Busy", "Job", "Progress", "Registry",
           "TooBig", "command", "error_message", "parse_line", "shared"]

KILL_AFTER_S = 5.0  # after SIGINT, the time a training gets to stop before SIGKILL
MEMORY_KILL_AFTER_S = 1.0  # over its memory: it may grow fast, and the server shares it
EXIT_GRACE_S = 2.5  # at exit: the time all trainings get to stop (then SIGKILL, reaped in 0.5 s)
WATCH_S = 0.5  # how often the watcher checks the run time, memory and sessions of the jobs
# The child lowers its own priority (preexec_fn's os.nice can deadlock the fork in a threaded
# server such as Streamlit's) and takes Cancel's SIGINT as Ctrl-C even when the server was
# started in the background by a shell (which leaves SIGINT ignored for all it starts).
LAUNCH = ("import os, signal, sys\ntry:\n    os.nice(10)\nexcept OSError:\n    pass\n"
          "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
          "from aeexplorer.cli import main\nsys.exit(main())")

# where ``python -m aeexplorer`` finds the package: aeexplorer/app/jobs.py -> the checkout
CHECKOUT = Path(__file__).resolve().parents[2]


class Busy(AeError):
    """The server already runs as many trainings as it allows."""


def command(args: list[str]) -> list[str]:
    """The process to run for CLI ``args`` (replaced by a fake trainer in tests)."""
    return [sys.executable, "-c", LAUNCH, *args]


class Job:
    """One training process and the thread that reads its progress."""

    def __init__(self, cmd: list[str], out: Path, name: str, family: str = "",
                 owner: str | None = None, env: dict[str, str] | None = None,
                 address: str | None = None) -> None:
        self.out, self.name, self.family = Path(out), name, family
        self.owner = owner  # the session that started it (None: no session, never reaped)
        self.address = address  # its client's address (``limits.client_address``)
        self._lock = threading.Lock()
        self._s = Progress(name, family, self.out)
        self._cancel, self._ended = False, None
        self._stderr, self.started = [], time.monotonic()
        # a change is the evidence that the model is written
        self._before = file_signature(self.out)
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "PYTHONUNBUFFERED": "1", **(env or {})}  # one thread: the server keeps a core
        try:
            self._proc = subprocess.Popen(
                cmd, cwd=CHECKOUT, env=env, text=True,
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
                           trace=list(s.trace), metrics=dict(s.metrics), pace=list(s.pace),
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

    def halt(self, reason: str, kill_after: float = KILL_AFTER_S) -> None:
        """Cancels the job for ``reason`` (a limit it went over, its page closed), which the
        page shows; only the first reason counts, and the watcher's later passes do nothing."""
        with self._lock:
            if self._s.status != RUNNING or self._s.reason:
                return
            self._s.reason = reason
        self.cancel(kill_after)

    def rss(self) -> int | None:
        """The process's resident memory in bytes, None where /proc cannot tell (not Linux,
        or the process has ended)."""
        try:
            with open(f"/proc/{self._proc.pid}/statm", "rb") as fh:
                return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            return None

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
                    apply(self._s, event, time.monotonic() - self.started)
        code = self._proc.wait()
        self._err_thread.join(timeout=5)
        written = file_signature(self.out) != self._before
        with self._lock:
            s = self._s
            s.status = _outcome(bool(s.path) or written, self._cancel)
            s.error = error_message(code, self._stderr) if s.status == FAILED else ""
            s.reason = s.reason if s.status == CANCELLED else ""  # written: the stop came late
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


class Registry:
    """The trainings of one server and its limits: how many run at once (each holds a core),
    how many per session, and, watched by a thread while any runs, each one's run time and
    memory and whether the session that started it is still there. A session tells it so with
    ``beat`` on each of its page runs: a closed browser tab sends nothing, and Streamlit
    offers no public hook for a session's end."""

    def __init__(self, cap: int | None = None, limits: Limits | None = None) -> None:
        self.limits = Limits.from_env() if limits is None else limits
        self.cap = self.limits.max_trainings if cap is None else cap
        self._lock, self._jobs = threading.Lock(), []
        self._seen: dict[str, float] = {}  # session id -> when it last ran a page
        self._watcher: threading.Thread | None = None

    def running(self) -> list[Job]:
        with self._lock:
            self._jobs = [j for j in self._jobs if j.status == RUNNING]
            return list(self._jobs)

    def start(self, cmd: list[str], out: Path, name: str, family: str = "",
              owner: str | None = None, env: dict[str, str] | None = None,
              address: str | None = None) -> Job:
        """Start a job, or raise ``Busy`` when the cap is reached, ``out`` is being written,
        or the session ``owner`` or client ``address`` runs as many trainings as it may."""
        with self._lock:
            active = [j for j in self._jobs if j.status == RUNNING]
            if len(active) >= self.cap:
                raise Busy(f"all {self.cap} training slots of this server are in use: try "
                           "again when one finishes")
            if any(j.out.resolve() == Path(out).resolve() for j in active):
                raise Busy(f"a training is already writing {Path(out).name}")
            crowded = one_too_many(self.limits, [(j.owner, j.address) for j in active], owner,
                                   address)
            if crowded:
                raise Busy(crowded)
            job = Job(cmd, out, name, family, owner, env, address)
            self._jobs = [*active, job]
            if owner is not None:
                self._seen[owner] = time.monotonic()
            if self._watcher is None:
                self._watcher = threading.Thread(target=self._watch, daemon=True,
                                                 name="training-watcher")
                self._watcher.start()
        return job

    def train(self, req: TrainRequest, out: Path, data_dir: Path,
              owner: str | None = None, address: str | None = None,
              decoders: Path | None = None) -> Job:
        """Starts a training of ``req`` once the limits allow it (else ``TooBig`` or ``Busy``).
        With an ``owner``, ``out`` is in that session's folder, whose disk use is checked.
        ``decoders``: where it writes its decoder with each snapshot (the page's folder)."""
        if not self.limits.training:
            raise TooBig("Training is turned off on this server.")
        check_request(req, self.limits, data_size(req.dataset, data_dir))
        if owner is not None:
            check_disk(Path(out).parent, self.limits)
        return self.start(command(train_args(req, out, data_dir, decoders)), out, out.stem,
                          req.family, owner, child_env(self.limits), address)

    def beat(self, owner: str) -> None:
        """Records that session ``owner`` is there (it ran a page just now)."""
        with self._lock:
            self._seen[owner] = time.monotonic()

    def recent(self, within: float) -> set[str]:
        """The sessions seen in the last ``within`` seconds."""
        now = time.monotonic()
        with self._lock:
            return {o for o, t in self._seen.items() if now - t <= within}

    def check(self) -> None:
        """One pass of the watcher: stops each job over a limit, or whose session has gone."""
        now = time.monotonic()
        for job in self.running():
            found = self._overrun(job, now)
            if found is not None:
                job.halt(*found)
        with self._lock:  # forget sessions gone for a day: the table stays small
            keep = max(self.limits.max_age, self.limits.grace, 3600)
            self._seen = {o: t for o, t in self._seen.items() if now - t <= keep}

    def _overrun(self, job: Job, now: float) -> tuple[str, float] | None:
        """Why ``job`` must stop and the seconds it gets to before SIGKILL, or None."""
        lim, most = self.limits, "the most this server gives one training"
        if lim.max_seconds and now - job.started > lim.max_seconds:
            return f"it ran for more than {duration_text(lim.max_seconds)}, {most}", KILL_AFTER_S
        if lim.max_memory and (job.rss() or 0) > lim.max_memory:
            return (f"it used more than {size_text(lim.max_memory)} of memory, {most}",
                    MEMORY_KILL_AFTER_S)
        with self._lock:
            seen = self._seen.get(job.owner, job.started) if job.owner is not None else now
        if lim.grace and now - seen > lim.grace:
            return "the page that started it was closed", KILL_AFTER_S
        return None

    def _watch(self) -> None:
        """Checks the jobs until none runs (``start`` starts another watcher then)."""
        while True:
            time.sleep(WATCH_S)
            self.check()
            with self._lock:
                if not any(j.status == RUNNING for j in self._jobs):
                    self._watcher = None
                    return

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
