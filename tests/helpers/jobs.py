"""Driving trainings in tests: the fake trainer's command line, and waiting for a job to end."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from aeexplorer.app import jobs

FAKE = str(Path(__file__).with_name("fake_trainer.py"))


def fake(mode: str, out: Path, epochs: int = 2) -> list[str]:
    """The fake trainer in ``mode`` (see fake_trainer.py), as the CLI would be called."""
    return [sys.executable, FAKE, mode, "train", "--epochs", str(epochs), "--out", str(out)]


def wait(job: jobs.Job, timeout: float = 60) -> str:
    """The job's status once it has ended; fails the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while job.status == jobs.RUNNING:
        assert time.monotonic() < deadline, f"{job.name} still running after {timeout} s"
        time.sleep(0.05)
    return job.status


def training(epochs: int = 5) -> jobs.Progress:
    """A training in its third epoch with two epochs done and a few batches traced."""
    history = [{"epoch": 1.0, "recon": 160.0}, {"epoch": 2.0, "recon": 140.0}]
    trace = [(0.05, {"recon": 400.0}), (1.5, {"recon": 150.0}), (2.5, {"recon": 138.0})]
    return jobs.Progress("m", "vae", Path("m"), epoch=3, epochs=epochs, batch=50, batches=100,
                         history=history, trace=trace)
