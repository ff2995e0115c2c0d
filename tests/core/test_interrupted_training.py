"""Training never loses work: `python -m aeexplorer train` killed (SIGKILL) or interrupted
(SIGINT) while it trains, or while it writes, leaves the previous checkpoint at --out
byte-identical and loadable. Runs on a tiny MNIST-format data root made here."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from aeexplorer.core.checkpoints.file import list_checkpoints, load_checkpoint
from tests.helpers import REPO
from tests.helpers.checkpoints import make_checkpoint
from tests.helpers.mnist_root import write_mnist

# the CLI, with the final rename made to wait (and say so) so a test can kill it mid-write
SLOW_RENAME = """
import os, sys, time
from pathlib import Path
def slow(src, dst):
    Path(sys.argv[1]).write_text(str(src))
    time.sleep(120)
os.replace = slow
from aeexplorer.cli import main
sys.exit(main(sys.argv[2:]))
"""

pytestmark = pytest.mark.slow  # each test runs and kills a real training


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory) -> Path:
    rng = np.random.default_rng(0)
    train, test = (((rng.random((n, 28, 28)) < 0.2) * 255, rng.integers(0, 10, n))
                   for n in (2048, 64))
    return write_mnist(tmp_path_factory.mktemp("tiny-mnist"), train, test)


def _train(out: Path, root: Path, log: Path, epochs: int, prefix: list[str]) -> subprocess.Popen:
    args = ["train", "--model", "vae", "--hidden", "32", "--epochs", str(epochs),
            "--batch-size", "16", "--device", "cpu", "--data-dir", str(root), "--out", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    with open(log, "wb") as fh:
        # Ctrl-C's default action restored: a test runner started in the background by a shell
        # inherits SIGINT ignored, and so would the training
        return subprocess.Popen([sys.executable, *prefix, *args], cwd=REPO, env=env,
                                stdout=fh, stderr=subprocess.STDOUT,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _wait_for(proc: subprocess.Popen, ready, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while not ready():
        if proc.poll() is not None:
            raise AssertionError(f"training ended early with {proc.returncode}")
        if time.time() > deadline:
            proc.kill()
            raise AssertionError("training did not reach the point to interrupt it")
        time.sleep(0.2)


def _check_intact(out: Path, before: bytes) -> None:
    assert out.read_bytes() == before
    ckpt = load_checkpoint(out)
    assert ckpt.config.hidden == (32, 16) and ckpt.atlas.mu.shape == (200, 2)
    assert list_checkpoints(out.parent) == [out]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_interrupted_training_keeps_the_previous_checkpoint(tmp_path, tiny_root, sig):
    out = make_checkpoint(tmp_path / "model.safetensors")  # the previous good model
    before = out.read_bytes()
    log = tmp_path / "train.log"
    proc = _train(out, tiny_root, log, epochs=10_000, prefix=["-m", "aeexplorer"])
    _wait_for(proc, lambda: b"batch" in log.read_bytes())  # the bar: training is under way
    proc.send_signal(sig)
    code = proc.wait(timeout=60)
    if sig == signal.SIGINT:
        assert code == 130
        assert b"interrupted: nothing was written" in log.read_bytes()
        assert b"Traceback" not in log.read_bytes()
    else:
        assert code == -signal.SIGKILL
    _check_intact(out, before)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.safetensors", "train.log"]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_killed_while_writing_keeps_the_previous_checkpoint(tmp_path, tiny_root, sig):
    """Killed after the new file is written in full but before the rename: the old one stays.
    SIGINT cleans the temporary file; after SIGKILL nothing can, and the leftover is hidden
    (a dot file) and never listed as a checkpoint."""
    out = make_checkpoint(tmp_path / "model.safetensors")
    before = out.read_bytes()
    marker, log = tmp_path / "renaming", tmp_path / "train.log"
    proc = _train(out, tiny_root, log, epochs=1, prefix=["-c", SLOW_RENAME, str(marker)])
    _wait_for(proc, marker.exists)
    tmp = Path(marker.read_text())
    assert tmp.parent == tmp_path and tmp.name.startswith(".model.safetensors.")
    assert tmp.suffix == ".tmp" and tmp.stat().st_size > 0
    proc.send_signal(sig)
    code = proc.wait(timeout=60)
    _check_intact(out, before)
    left = sorted(p.name for p in tmp_path.iterdir())
    if sig == signal.SIGINT:
        assert code == 130
        assert left == ["model.safetensors", "renaming", "train.log"]  # the temp file is gone
    else:
        assert code == -signal.SIGKILL
        assert left == sorted(["model.safetensors", "renaming", "train.log", tmp.name])
