"""What a command prints while it runs: the data it loaded, the precision it trains in, and
its progress, as a bar for a person or as JSON lines for a program (the app's Train page reads
them: ``aeexplorer.app.progress``)."""

from __future__ import annotations

import json
import sys
import time

from aeexplorer.core.datasets.stream import Streamed, skipped


def say_data(dataset: str, train, test, as_json: bool) -> None:
    """What was loaded: images per split, classes, and the files left out (unreadable)."""
    left_out = skipped(train) + skipped(test)
    streamed = isinstance(train.images, Streamed)
    if as_json:
        emit({"event": "data", "dataset": dataset, "train": len(train), "test": len(test),
              "classes": len(train.class_names), "skipped": left_out, "streamed": streamed})
        return
    _, c, side, _ = train.images.shape
    classes = f"{len(train.class_names)} classes" if train.class_names else "no labels"
    line = (f"{dataset}: {len(train):,} training and {len(test):,} test images, {side}x{side} "
            f"{'colour' if c == 3 else 'grey'}, {classes}"
            f"{', streamed from disk (too big for memory)' if streamed else ''}")
    if left_out:
        line += f"; {left_out:,} file{'s' if left_out > 1 else ''} left out (not readable " \
                "as images, or links out of the folder)"
    print(line, file=sys.stderr)


def say_precision(choice, as_json: bool) -> None:
    """Which precision the training takes, and why: a JSON line for the app, else a line on
    stderr beside the progress bar."""
    if as_json:
        emit({"event": "precision", "precision": choice.precision, "reason": choice.reason,
              "fp32_ms": choice.fp32_ms, "bf16_ms": choice.bf16_ms})
    else:
        cached = " (measured on an earlier run)" if choice.cached else ""
        print(f"precision: {choice.precision}: {choice.reason}{cached}", file=sys.stderr)


def emit(obj: dict) -> None:
    print(json.dumps(obj), flush=True)


class JsonProgress:
    """Progress as JSON lines: a "batch" line at most every 0.25 s, an "epoch" line at the end
    of each epoch (1-based counts). Read by the app's Train page."""

    def __init__(self, epochs: int) -> None:
        # the first epoch's clock starts at its first batch: loading the data is not training
        self.epochs, self.last, self.epoch_start = epochs, 0.0, None

    def __call__(self, epoch: int, batch: int, n_batches: int, parts: dict) -> None:
        now = time.perf_counter()
        if self.epoch_start is None:
            self.epoch_start = now
        if batch + 1 == n_batches:  # the last batch of an epoch (an epoch of one batch too)
            emit({"event": "epoch", "epoch": epoch + 1, "epochs": self.epochs,
                  "batches": n_batches, **parts, "seconds": round(now - self.epoch_start, 3)})
            self.epoch_start = now
        elif now - self.last >= 0.25:
            emit({"event": "batch", "epoch": epoch + 1, "epochs": self.epochs,
                  "batch": batch + 1, "batches": n_batches, "parts": parts})
            self.last = now

    def close(self) -> None:
        pass


class SnapshotLines:
    """Each snapshot as a JSON line for the Train page's forming map: a "sample" line with the
    sample's labels first, then per snapshot its moment and the first two numbers of each code
    (a map's axes), to 3 decimals: about 30 kB a line. With ``decoders``
    (``app.snapshot_decoders``), the model's decoder is written first and the line names its
    file and layers ("decoder"), so the page decodes with the weights of that snapshot."""

    def __init__(self, decoders=None) -> None:
        self.started, self.classes, self.decoders = False, (), decoders

    def named(self, classes) -> None:
        """The data set's class names, sent with the sample (once the data has loaded)."""
        self.classes = tuple(classes)

    def __call__(self, moment: dict, codes, labels, model=None) -> None:
        xy = codes[:, :2].astype(float).round(3)
        if xy.shape[1] == 1:  # a one-number code: drawn along a line
            xy = [[float(v), 0.0] for v in xy[:, 0]]
        else:
            xy = xy.tolist()
        if not self.started:
            emit({"event": "sample", "labels": [int(v) for v in labels],
                  "classes": list(self.classes)})
            self.started = True
        line = {"event": "snapshot", **moment, "xy": xy}
        written = (self.decoders.write(model)
                   if self.decoders is not None and model is not None else None)
        if written is not None:
            line["decoder"] = written
        emit(line)

    def close(self) -> None:
        if self.decoders is not None:
            self.decoders.close()


class BarProgress:
    """A tqdm bar in epochs, made at the first batch: an error while loading the data stays one
    line."""

    def __init__(self, epochs: int) -> None:
        self.epochs, self.bar = epochs, None

    def __call__(self, epoch: int, batch: int, n_batches: int, parts: dict) -> None:
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=self.epochs, unit="epoch", dynamic_ncols=True, mininterval=0.5,
                            bar_format="{desc} {bar} {n:.2f}/{total} epochs "
                                       "[{elapsed}<{remaining}{postfix}]")
        self.bar.n = epoch + (batch + 1) / n_batches
        self.bar.set_description(f"epoch {epoch + 1}/{self.epochs} batch {batch + 1}/{n_batches}",
                                 refresh=False)
        self.bar.set_postfix({k: f"{v:.2f}" for k, v in parts.items()}, refresh=False)
        self.bar.update(0)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
