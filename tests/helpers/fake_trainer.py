"""A stand-in for ``python -m aeexplorer train --progress-json`` in tests: the same output
protocol (its progress lines come from the CLI's own reporter, so there is no "batch" line for
the last batch of an epoch, the "epoch" line stands for it, and batch lines come at most every
0.25 s) and exit codes, no torch, no data. Usage: ``fake_trainer.py MODE train ... --epochs N
--out FILE``. MODE:

- ``ok``: 5 batches an epoch, then writes FILE (a copy of $FAKE_CHECKPOINT, else b"fake");
- ``slow``: the same, 0.2 s a batch; ``single``: one batch an epoch, 0.2 s each;
- ``fail``: an ``error:`` line, exit 1; ``crash``: a traceback, exit 3;
- ``stubborn``: slow, and ignores SIGINT;
- ``linger``: writes FILE, then waits (up to 30 s) before its "done" line;
- ``linger-done``: writes FILE and says "done", then waits (up to 30 s) before exiting;
- ``hog``: holds $FAKE_HOG_MB MB (default 300) of resident memory, then trains as ``slow``.
With ``--snapshots N``, the CLI's snapshot lines too (``SnapshotLines``): 20 images of two
classes, before the first batch and after each, spreading out as the epochs go; with
``--snapshot-decoders DIR`` too, each names a decoder file written there (a stand-in's bytes,
a new name each time), as the CLI's do.
The lingering modes leave room for a cancel that lands after the model is written."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script: find the package

from aeexplorer.cli.progress import JsonProgress, SnapshotLines, say_precision  # noqa: E402  (the real protocol: what the app reads)
from aeexplorer.core.training.precision import Choice  # noqa: E402


def emit(**event) -> None:
    print(json.dumps(event), flush=True)


def write(out: str) -> None:
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)  # as save_checkpoint does
    tmp = out + ".fake.tmp"
    if os.environ.get("FAKE_CHECKPOINT"):
        shutil.copyfile(os.environ["FAKE_CHECKPOINT"], tmp)
    else:
        with open(tmp, "wb") as fh:
            fh.write(b"fake")
    os.replace(tmp, out)  # atomic, as the CLI's writes are


class FakeDecoders:
    """``app.snapshot_decoders.SnapshotDecoders`` without torch: a file of 4 bytes per step."""

    def __init__(self, folder: str) -> None:
        self.folder, self.steps = Path(folder), 0

    def write(self, model) -> dict:
        self.steps += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{self.steps:024x}.bin"
        (self.folder / name).write_bytes(self.steps.to_bytes(4, "little"))
        return {"file": name, "spec": {"latent_dim": 2, "side": 28, "channels": 1,
                                       "output": "sigmoid", "layers": []}}

    def close(self) -> None:
        pass


def snapshot_lines(decoders: str | None = None):
    """The CLI's snapshot reporter and a function that sends one snapshot at a step."""
    import numpy as np

    lines = SnapshotLines(FakeDecoders(decoders) if decoders else None)
    lines.named(("zero", "one"))
    labels = np.arange(20) % 2
    base = np.stack([np.linspace(-1, 1, 20), labels * 2.0 - 1], axis=1)

    def take(step: int, n_steps: int) -> None:
        moment = {"epoch": step / 5, "step": step, "seconds": step * 0.2}
        lines(moment, (base * (0.1 + step / n_steps)).astype(np.float16), labels, model="model")
    return take


def train(mode: str, epochs: int, snapshots: bool = False, decoders: str | None = None) -> None:
    """The training loop's calls to the reporter: running means of the parts per batch."""
    say_precision(Choice("bf16", "bf16 measured 2.00x faster (3.0 ms a step against 6.0 "
                              "ms in fp32)", 6.0, 3.0), as_json=True)  # as the CLI says it
    report = JsonProgress(epochs)
    delay = 0.0 if mode == "ok" else 0.2
    n_batches = 1 if mode == "single" else 5
    take = snapshot_lines(decoders) if snapshots else None
    if take is not None:
        take(0, epochs * n_batches)
    for epoch in range(epochs):
        for batch in range(n_batches):
            time.sleep(delay)
            if take is not None:
                take(epoch * n_batches + batch + 1, epochs * n_batches)
            report(epoch, batch, n_batches, {"loss": 200.0 / (epoch + 1) + 1,
                                             "recon": 200.0 / (epoch + 1),
                                             "kl": 1.0 + (batch + 1) / 10, "penalty": 0.0})


def linger() -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(0.05)


def run(mode: str, epochs: int, out: str, snapshots: bool = False,
        decoders: str | None = None) -> int:
    print("loading the data set…", flush=True)  # not JSON: a reader must skip it
    if mode == "fail":
        print("error: MNIST not found in /nowhere/MNIST/raw", file=sys.stderr, flush=True)
        return 1
    if mode == "crash":
        print("Traceback (most recent call last):\nRuntimeError: boom", file=sys.stderr)
        return 3
    if mode == "stubborn":
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    # filled with ones: every page is touched, so resident (a zeroed buffer may not be)
    mb = int(os.environ.get("FAKE_HOG_MB", "300")) if mode == "hog" else 0
    held = bytearray(b"\x01") * (mb << 20)
    train(mode, epochs, snapshots, decoders)
    del held
    write(out)
    if mode == "linger":
        linger()
    emit(event="done", path=out, figures={"recon_mse": 0.05, "knn5_accuracy": 0.5})
    if mode == "linger-done":
        linger()
    return 0


def main(argv: list[str]) -> int:
    mode, args = argv[0], argv[1:]
    epochs = int(args[args.index("--epochs") + 1]) if "--epochs" in args else 1
    try:
        decoders = (args[args.index("--snapshot-decoders") + 1]
                    if "--snapshot-decoders" in args else None)
        return run(mode, epochs, args[args.index("--out") + 1], "--snapshots" in args,
                   decoders)
    except KeyboardInterrupt:
        print("interrupted: nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
