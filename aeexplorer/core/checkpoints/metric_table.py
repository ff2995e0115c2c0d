"""The metrics a checkpoint carries, in one table: per key its label, what it is per, its help
and how it is shown. The sidebar, the Train and Compare pages, the model card and the CLI's
``evaluate`` read it; ``aeexplorer.core.latent.metrics`` computes the numbers (with torch, which
this module does not import)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MISSING = "–"  # a metric a file lacks (−ELBO of an AE, an older file)


def count(n: float | None) -> str:
    """A parameter count for people: 1.65 M, 2.4 k, 12."""
    if n is None:
        return MISSING
    return f"{n / 1e6:.2f} M" if n >= 1e5 else f"{n / 1e3:.1f} k" if n >= 1e3 else f"{n:.0f}"


def duration(seconds: float | None) -> str:
    """A training time for people: 12 s, 4.5 min, 2.1 h."""
    if seconds is None:
        return MISSING
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


@dataclass(frozen=True)
class Metric:
    key: str  # in the checkpoint's metrics and ``evaluate --json``
    label: str  # a column's or a tile's name
    per: str  # what it is per ("image", "pixel"), or ""
    help: str  # one sentence for a tooltip
    fmt: Callable[[float], str]  # a present value as people read it

    def text(self, value: Any) -> str:
        """``value`` as people read it, or "–" when it is not a finite number."""
        return self.fmt(value) if present(value) else MISSING

    @property
    def long_label(self) -> str:
        """The label and what it is per: "Recon MSE / pixel"."""
        return f"{self.label} / {self.per}" if self.per else self.label


def present(value: Any) -> bool:
    """Whether ``value`` is a finite number (None, NaN, text and bools are missing)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _fixed(digits: int) -> Callable[[float], str]:
    return lambda v: f"{v:.{digits}f}"


_ROWS = (
    Metric("recon_bce", "Recon BCE", "image", "Bernoulli negative log-likelihood, nats per "
           "image, test set (for a VAE, from one posterior sample)", _fixed(1)),
    Metric("recon_mse", "Recon MSE", "pixel",
           "Squared error per pixel of the reconstruction, test set", _fixed(4)),
    Metric("kl", "KL", "image", "KL divergence of the codes to the prior, nats per image, test "
           "set (VAEs only)", _fixed(2)),
    Metric("neg_elbo", "−ELBO", "image", "Nats per image, test set (VAEs only)", _fixed(1)),
    Metric("knn5_accuracy", "5-NN accuracy", "", "A 5-nearest-neighbour classifier on the "
           "codes", lambda v: f"{v:.1%}"),
    Metric("trustworthiness", "Trustworthiness", "", "How rarely the map puts near what the "
           "pixels put far: 1 when each test image's 5 nearest on the map are among its 5 "
           "nearest in pixels", _fixed(3)),
    Metric("continuity", "Continuity", "", "How rarely the map tears apart what the pixels "
           "put near: 1 when each test image's 5 nearest in pixels stay its 5 nearest on the "
           "map", _fixed(3)),
    Metric("n_test", "Test images", "", "The test images the metrics were measured on",
           lambda v: f"{v:,.0f}"),
    Metric("parameters", "Parameters", "", "Trainable numbers in the model", count),
    Metric("train_seconds", "Training time", "", "Wall-clock time of the training", duration),
)
METRICS: dict[str, Metric] = {m.key: m for m in _ROWS}
# how well a model does on the test set (the rest say what was measured and what it cost)
QUALITY = ("recon_bce", "recon_mse", "kl", "neg_elbo", "knn5_accuracy", "trustworthiness",
           "continuity")
# the metrics a file may leave out on purpose, each with the key of its stored reason
NOTES = {"knn5_accuracy": "knn5_note", "trustworthiness": "map_note", "continuity": "map_note"}
MAX_NOTE = 200


def why_missing(metrics: Any, key: str) -> str | None:
    """Why metric ``key`` is left out, as the file says ("left out: the data set has no labels
    to classify by"), or None: the metric is there, or no reason was stored. Header text is
    untrusted: only a string counts, clipped; the caller escapes it for its display."""
    if not isinstance(metrics, dict) or present(metrics.get(key)):
        return None
    note = metrics.get(NOTES.get(key, ""))
    if not isinstance(note, str):
        return None
    return " ".join(note.split())[:MAX_NOTE] or None
