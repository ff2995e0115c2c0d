"""The cost of snapshots: the fast recipe's training with and without them, interleaved A/B
(run 1 without, run 2 with, run 3 without...), on the same first ``n`` MNIST training images,
same seed and precision. Prints one JSON object: the seconds of each run, the median ratio
with / without, how many snapshots a run took and the longest gap between two of them.
``--decoders``: the "with" runs also write the decoder with each snapshot, as a training
started on the Train page does (``app.snapshot_decoders``, into a temporary folder).

A run of ``n`` images is a short epoch, so its end-of-epoch snapshot comes more often than in
the real 60,000-image epoch: the ratio here over-states the cost, never under-states it.

    python -m benchmarks.bench_snapshots [--images 12000] [--epochs 1] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from dataclasses import replace

import numpy as np
import torch

from aeexplorer.core.datasets.loading import load_split
from aeexplorer.core.datasets.split import Split
from aeexplorer.core.models import ModelConfig
from aeexplorer.core.training.config import TrainConfig
from aeexplorer.core.training.loop import train
from aeexplorer.core.training.recipes import FAST
from aeexplorer.core.training.snapshots import taker_for


def fast_configs(epochs: int) -> tuple[ModelConfig, TrainConfig]:
    s = FAST.settings
    model = ModelConfig(kind=s["kind"], arch=s["arch"], hidden=s["hidden"],
                        batchnorm=s["batchnorm"])
    cfg = TrainConfig(epochs=epochs, batch_size=s["batch_size"], lr=s["lr"],
                      kl_warmup_epochs=s["kl_warmup_epochs"], device="cpu")
    return model, cfg


def one_run(model_cfg, cfg, data: Split, test: Split | None, decoders: bool = False) -> dict:
    from aeexplorer.app.snapshot_decoders import SnapshotDecoders

    folder = tempfile.TemporaryDirectory(prefix="bench-decoders-")
    writer = SnapshotDecoders(folder.name) if decoders else None
    listener = None if writer is None else (lambda moment, codes, labels, model:
                                            writer.write(model))
    taker = None if test is None else taker_for(test, 40, model_cfg.latent_dim, listener)
    start = time.perf_counter()
    train(model_cfg, cfg, data, on_step=None if taker is None else taker.on_step)
    seconds = time.perf_counter() - start
    folder.cleanup()
    if taker is None:
        return {"seconds": seconds}
    moments = [m for m, _ in taker.kept]
    taken = taker.seconds_between
    return {"seconds": seconds, "taken": len(taken) + 1, "kept": len(moments),
            "longest_gap_s": round(max(taken, default=0.0), 2),
            "spent_s": round(taker.spent, 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=12000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--precision", default="fp32", choices=("fp32", "bf16"))
    parser.add_argument("--decoders", action="store_true",
                        help="write the decoder with each snapshot (the Train page's path)")
    args = parser.parse_args()
    full = load_split("mnist", True)
    data = Split(images=full.images[:args.images], labels=full.labels[:args.images])
    test = load_split("mnist", False)
    model_cfg, cfg = fast_configs(args.epochs)
    cfg = replace(cfg, precision=args.precision)
    runs = {"without": [], "with": []}
    for _ in range(args.rounds):  # interleaved: a slow spell of the machine hits both
        runs["without"].append(one_run(model_cfg, cfg, data, None))
        runs["with"].append(one_run(model_cfg, cfg, data, test, args.decoders))
    ratios = [w["seconds"] / o["seconds"] for w, o in zip(runs["with"], runs["without"])]
    print(json.dumps({
        "images": args.images, "epochs": args.epochs, "precision": args.precision,
        "decoders": args.decoders,
        "threads": torch.get_num_threads(),
        "without_s": [round(r["seconds"], 2) for r in runs["without"]],
        "with_s": [round(r["seconds"], 2) for r in runs["with"]],
        "median_ratio": round(statistics.median(ratios), 3),
        "snapshots": runs["with"][-1], "ratios": [round(r, 3) for r in ratios],
        "longest_gap_median_s": float(np.median([r["longest_gap_s"] for r in runs["with"]])),
        # the time spent encoding the sample, as a share of each run: the cost measured
        # directly, which a busy machine's noise does not hide
        "spent_share": [round(r["spent_s"] / r["seconds"], 4) for r in runs["with"]],
    }))


if __name__ == "__main__":
    main()
