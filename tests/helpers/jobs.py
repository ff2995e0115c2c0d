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
