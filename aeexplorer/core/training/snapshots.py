"""Taking snapshots while a model trains: the codes of a fixed, class-balanced sample of test
images before the first step, at least every ``every_s`` seconds and at the end of every epoch.
Each one goes to a live listener (the Train page's forming map); at most ``keep`` are kept for
the checkpoint, thinned so their steps stay evenly spread on a log scale (the map changes most
in the first steps, so the early ones are the ones worth keeping close together).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import torch

from aeexplorer.core.checkpoints.snapshots import MAX_SNAPSHOTS, Snapshots

SAMPLE = 2000
BUDGET = 2_000_000  # numbers in all the snapshots a file keeps: 4 MB of half floats
SAMPLE_SEED = 20_26  # the same sample for every model of a data set: replays compare
EVERY_S = 3.0
# (moment, codes (N, D) float16, the sample's labels (N,), the model as it is now: the Train
# page's decoder is written from it)
Listener = Callable[[dict, np.ndarray, np.ndarray, torch.nn.Module], None]


def taker_for(test, keep: int, latent_dim: int, listener: Listener | None = None) -> Taker:
    """A ``Taker`` of the sample of ``test`` (a Split, in memory or streamed): 2,000 images,
    fewer for a long code, so that ``keep`` snapshots stay within BUDGET numbers."""
    from aeexplorer.core.datasets.stream import parted_batches

    labels = test.labels.numpy()
    rows = sample_rows(labels, max(1, min(SAMPLE, BUDGET // (max(keep, 2) * latent_dim))))
    images, _ = next(parted_batches(test.images, [torch.from_numpy(rows)]))
    return Taker(images, rows, labels[rows], keep, listener=listener)


def sample_rows(labels: np.ndarray, n: int = SAMPLE, seed: int = SAMPLE_SEED) -> np.ndarray:
    """``n`` rows (sorted) of a test set with these labels, as many of each class as it
    allows (a small class gives all it has), drawn with a fixed seed."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    n = min(n, len(labels))
    classes = np.unique(labels)
    picked: list[np.ndarray] = []
    left = n
    for i, c in enumerate(sorted(classes, key=lambda c: int((labels == c).sum()))):
        rows = np.flatnonzero(labels == c)
        take = min(len(rows), left // (len(classes) - i))  # the rest shared by the classes left
        picked.append(rng.choice(rows, size=take, replace=False))
        left -= take
    return np.sort(np.concatenate(picked)) if picked else np.zeros(0, dtype=np.int64)


class Taker:
    """Called by the training loop (``on_step`` after each batch, ``on_epoch`` after each
    epoch); encodes the sample in eval mode and puts the model back as it was."""

    def __init__(self, images: torch.Tensor, rows: np.ndarray, labels: np.ndarray,
                 keep: int = MAX_SNAPSHOTS, every_s: float = EVERY_S,
                 listener: Listener | None = None) -> None:
        self.images, self.rows, self.labels = images, rows, labels
        self.keep, self.every_s, self.listener = max(2, min(keep, MAX_SNAPSHOTS)), every_s, listener
        self.kept: list[tuple[dict, np.ndarray]] = []
        self.start = self.last = time.perf_counter()
        self.spent = 0.0  # seconds spent taking snapshots, not training
        self.seconds_between: list[float] = []  # training seconds from one snapshot to the next

    def on_step(self, model, epoch: float, step: int) -> None:
        """Before the first step, at the end of each epoch, and ``every_s`` seconds."""
        if (step == 0 or epoch == int(epoch)
                or time.perf_counter() - self.last >= self.every_s):
            self.take(model, epoch, step)

    def take(self, model, epoch: float, step: int) -> None:
        t0 = time.perf_counter()
        if step == 0:  # the training's clock starts here, not when the data was loaded
            self.start, self.spent = t0, 0.0
        else:
            self.seconds_between.append(round(t0 - self.last, 3))
        codes = encode(model, self.images)
        moment = {"epoch": round(epoch, 4), "step": step,
                  "seconds": round(t0 - self.start - self.spent, 2)}
        self.kept.append((moment, codes))
        if len(self.kept) > self.keep:
            del self.kept[_most_crowded([m["step"] for m, _ in self.kept])]
        if self.listener is not None:
            self.listener(moment, codes, self.labels, model)
        self.last = time.perf_counter()
        self.spent += self.last - t0

    def snapshots(self) -> Snapshots | None:
        if not self.kept:
            return None
        return Snapshots(self.rows.astype(np.int64), self.labels.astype(np.int64),
                         np.stack([c for _, c in self.kept]), tuple(m for m, _ in self.kept))


def _most_crowded(steps: list[int]) -> int:
    """The index of the inner snapshot whose neighbours lie closest together in log(step):
    dropping it leaves the rest most evenly spread. The first and the last always stay."""
    logs = [math.log1p(s) for s in steps]
    gaps = [logs[i + 1] - logs[i - 1] for i in range(1, len(logs) - 1)]
    return 1 + int(np.argmin(gaps))


@torch.no_grad()
def encode(model, images: torch.Tensor, batch: int = 1000) -> np.ndarray:
    """The means of ``images`` as float16, encoded in eval mode on the model's device."""
    was, device = model.training, next(model.parameters()).device
    model.eval()
    try:
        parts = [model.encode(images[i:i + batch].to(device))[0].float() for i in
                 range(0, len(images), batch)]
    finally:
        model.train(was)
    return torch.cat(parts).cpu().numpy().astype(np.float16)
