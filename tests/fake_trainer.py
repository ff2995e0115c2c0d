"""A stand-in for ``python -m aeexplorer train --progress-json`` in tests: the same output
protocol and exit codes, no torch, no data. Usage: ``fake_trainer.py MODE train ... --epochs N
--out FILE``. MODE: ``ok`` (5 batches an epoch, then writes FILE: a copy of $FAKE_CHECKPOINT,
else a few bytes), ``slow`` (the same, 0.2 s a batch), ``fail`` (an ``error:`` line, exit 1),
``crash`` (a traceback, exit 3), ``stubborn`` (slow, and ignores SIGINT)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time


def emit(**event) -> None:
    print(json.dumps(event), flush=True)


def run(mode: str, epochs: int, out: str) -> int:
    print("loading the data set…", flush=True)  # not JSON: a reader must skip it
    if mode == "fail":
        print("error: MNIST not found in /nowhere/MNIST/raw", file=sys.stderr, flush=True)
        return 1
    if mode == "crash":
        print("Traceback (most recent call last):\nRuntimeError: boom", file=sys.stderr)
        return 3
    if mode == "stubborn":
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    delay = 0.0 if mode == "ok" else 0.2
    for epoch in range(1, epochs + 1):
        for batch in range(1, 6):
            time.sleep(delay)
            parts = {"loss": 200.0 / epoch + 1, "recon": 200.0 / epoch, "kl": 1.0 + batch / 10,
                     "penalty": 0.0}
            emit(event="batch", epoch=epoch, epochs=epochs, batch=batch, batches=5, parts=parts)
        emit(event="epoch", epoch=epoch, epochs=epochs, loss=200.0 / epoch + 1,
             recon=200.0 / epoch, kl=1.5, penalty=0.0, seconds=delay * 5)
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)  # as save_checkpoint does
    tmp = out + ".fake.tmp"
    if os.environ.get("FAKE_CHECKPOINT"):
        shutil.copyfile(os.environ["FAKE_CHECKPOINT"], tmp)
    else:
        with open(tmp, "wb") as fh:
            fh.write(b"fake")
    os.replace(tmp, out)  # atomic, as the CLI's writes are
    emit(event="done", path=out, figures={"recon_mse": 0.05, "knn5_accuracy": 0.5})
    return 0


def main(argv: list[str]) -> int:
    mode, args = argv[0], argv[1:]
    epochs = int(args[args.index("--epochs") + 1]) if "--epochs" in args else 1
    try:
        return run(mode, epochs, args[args.index("--out") + 1])
    except KeyboardInterrupt:
        print("interrupted: nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
