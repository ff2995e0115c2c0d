"""A training's progress as its ``--progress-json`` lines tell it (no Streamlit, no torch
here): the state the Train page draws, and the reading of each line and of a failed end."""

from __future__ import annotations

import json
import math
import re
import signal
from dataclasses import dataclass, field
from pathlib import Path

RUNNING, DONE, FAILED, CANCELLED = "running", "done", "failed", "cancelled"
MAX_TRACE = 2000  # running values kept for the live curves (halved when full)
# the time left: from the pace of batches after the warm-up, over the recent seconds
WARMUP_S, RECENT_S, MIN_SPAN_S = 2.0, 15.0, 1.0
MAX_PACE = 400  # (seconds, fraction done) kept for it: 100 s of lines at 4 a second
MAX_SAMPLE = 5000  # images in the forming map's sample (the CLI sends 2,000)
# a snapshot's decoder file (``app.snapshot_decoders``): a digest's name, and its layers' spec
# (a dense VAE's is 300 bytes); decoder.js checks the spec against the file before using it
DECODER_FILE = re.compile(r"[0-9a-f]{24}\.bin", re.ASCII)
MAX_SPEC_CHARS = 20_000
# what a family does between loading the data and its first step (which can take minutes)
BEFORE_TRAINING = {
    "map-first": "Making the map of the training images first (about a minute for MNIST's "
                 "60,000 by UMAP, two by t-SNE)…",
    "umap": "Finding each training image's 15 nearest neighbours…",
}
# what a family does after its last epoch, when it is more than the figures
AFTER_TRAINING = {
    "map-first": "Trained: every image placed as the model will place it (its code "
                 "polished by the decoder, a minute or two for MNIST's 70,000, or its "
                 "nearest training image's place on a kept map), then the test-set figures "
                 "and the file…",
}


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
    metrics: dict = field(default_factory=dict)  # the test-set metrics of a finished training
    path: str = ""  # set by the "done" event: the file is written
    error: str = ""
    reason: str = ""  # why the server stopped it (a limit, the page closed), for the page
    precision: str = ""  # the precision the training took, and why (the "precision" event)
    precision_why: str = ""
    seconds: float = 0.0  # since the start
    loading: float = 0.0  # seconds before the first batch (starting up, reading the data)
    pace: list = field(default_factory=list)  # (seconds, fraction done) at each progress line
    sample_labels: list = field(default_factory=list)  # the forming map's images' classes
    sample_classes: tuple = ()  # what those labels name
    snapshot: dict = field(default_factory=dict)  # the latest: its moment and "xy" (N, 2)
    snapshots_seen: int = 0
    # the latest snapshot's decoder for the page: {"file", "spec"} and its snapshot's
    # "epoch", "step" and "seconds"; {} before the first
    decoder: dict = field(default_factory=dict)

    @property
    def fraction(self) -> float:
        if not self.epochs:
            return 0.0
        within = self.batch / self.batches if self.batches else 0.0
        done = max(len(self.history), self.epoch - 1 + within if self.epoch else 0.0)
        return min(1.0, done / self.epochs)

    @property
    def stage(self) -> str:
        """What the training is doing now, in words."""
        if self.epochs and len(self.history) >= self.epochs:
            return AFTER_TRAINING.get(self.family,
                                      "Trained: computing the test-set figures and writing "
                                      "the file…")
        if not self.epoch and not self.history:
            if self.family == "pca":
                return "Fitting the components…"
            # the precision is settled once the data has loaded, just before the first step;
            # these two families first work on all the training images at once
            if self.precision and self.family in BEFORE_TRAINING:
                return BEFORE_TRAINING[self.family]
            return "Loading the data set…"
        epoch = max(self.epoch, len(self.history) + 1)  # a finished epoch: the next has begun
        batch = self.batch if epoch == self.epoch else 0
        return f"Epoch {epoch} of {self.epochs} · batch {batch} of {self.batches}"

    @property
    def left(self) -> float | None:
        """Seconds of training left at the recent pace of steady batches: the first
        ``WARMUP_S`` after the first batch are left out (the first batches run at another pace
        while threads and caches warm up, and their lines can arrive in a burst), then the
        rate over the last ``RECENT_S``. None until there are ``MIN_SPAN_S`` of steady
        batches, and once the last epoch is done (the test-set figures are computed)."""
        if not self.pace or len(self.history) >= self.epochs:
            return None
        start = self.pace[0][0] + WARMUP_S
        steady = [(t, f) for t, f in self.pace if t >= start]
        recent = [(t, f) for t, f in steady if steady and t >= steady[-1][0] - RECENT_S]
        if len(recent) < 2 or recent[-1][0] - recent[0][0] < MIN_SPAN_S:
            return None
        (t0, f0), (t1, f1) = recent[0], recent[-1]
        if f1 <= f0:
            return None
        # from the last line to now, the training went on at that pace
        return max(0.0, (1 - f1) * (t1 - t0) / (f1 - f0) - max(0.0, self.seconds - t1))


def apply(s: Progress, event: dict, elapsed: float) -> None:
    """Fold one progress event, read ``elapsed`` seconds after the start, into the state
    (malformed fields are skipped, not raised)."""
    kind = event["event"]
    try:
        if kind in ("batch", "epoch"):
            s.loading = s.loading or elapsed  # the first line comes after the first batch
            s.epochs = int(event.get("epochs", s.epochs))
            s.batches = int(event.get("batches", s.batches))
        if kind == "batch":
            _apply_batch(s, event)
        elif kind == "epoch":
            # the epoch's last batch (its only one, maybe) has this line and no batch line
            s.epoch, s.batch = int(event["epoch"]), s.batches
            s.history.append({k: float(event[k]) for k in ("epoch", "loss", "recon", "kl",
                                                           "penalty", "seconds")
                              if isinstance(event.get(k), (int, float))})
        if kind in ("batch", "epoch"):
            s.pace.append((elapsed, s.fraction))
            if len(s.pace) > MAX_PACE:  # the first (where the warm-up is counted from) stays
                del s.pace[1:len(s.pace) - MAX_PACE // 2]
        elif kind == "precision":
            s.precision = str(event.get("precision") or "")[:8]
            s.precision_why = str(event.get("reason") or "")[:300]
        elif kind == "sample":
            labels = event["labels"]
            if isinstance(labels, list) and len(labels) <= MAX_SAMPLE:
                s.sample_labels = [int(v) for v in labels]
            names = event.get("classes")
            if isinstance(names, list) and len(names) <= 1000:
                s.sample_classes = tuple(str(n)[:100] for n in names)
        elif kind == "snapshot":
            _apply_snapshot(s, event)
        elif kind == "done":
            # the CLI's done line names them "figures" (its documented key)
            s.metrics = dict(event.get("figures") or {})
            s.path = str(event.get("path") or "")
    except (KeyError, TypeError, ValueError):
        pass


def _apply_snapshot(s: Progress, event: dict) -> None:
    """The latest map, kept only when it holds one finite (x, y) per image of the sample."""
    xy = event["xy"]
    if not (isinstance(xy, list) and len(xy) == len(s.sample_labels) > 0):
        return
    points = [(float(x), float(y)) for x, y in xy]
    if not all(math.isfinite(v) and abs(v) < 1e5 for p in points for v in p):
        return
    s.snapshot = {"epoch": float(event["epoch"]), "step": int(event["step"]),
                  "seconds": float(event["seconds"]), "xy": points}
    s.snapshots_seen += 1
    decoder = _decoder(event.get("decoder"))
    if decoder is not None:  # else the last one stays: a snapshot may come without one
        s.decoder = {**decoder, **{k: s.snapshot[k] for k in ("epoch", "step", "seconds")}}


def _decoder(value: object) -> dict | None:
    """A snapshot line's decoder, {"file", "spec"}, when its file name is a digest's and its
    spec a small JSON object; else None."""
    if not isinstance(value, dict) or not isinstance(value.get("spec"), dict):
        return None
    name = value.get("file")
    if not isinstance(name, str) or not DECODER_FILE.fullmatch(name):
        return None
    try:
        if len(json.dumps(value["spec"])) > MAX_SPEC_CHARS:
            return None
    except (TypeError, ValueError):
        return None
    return {"file": name, "spec": value["spec"]}


def _apply_batch(s: Progress, event: dict) -> None:
    s.epoch, s.batch = int(event["epoch"]), int(event["batch"])
    s.running = {k: float(v) for k, v in dict(event.get("parts") or {}).items()
                 if isinstance(v, (int, float))}
    s.trace.append((s.epoch - 1 + s.batch / max(s.batches, 1), s.running))
    if len(s.trace) > MAX_TRACE:  # keep every other point: the curve's shape stays
        s.trace[:] = s.trace[::2]


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
