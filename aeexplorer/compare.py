"""Comparing checkpoints: one row of test-set figures per checkpoint, read from the headers
alone (no weights), the display formats of those figures, and the per-image error of a
reconstruction. Plain Python and numpy: the Compare page only lays these out."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .card import family

MISSING = "–"
# the figures a row carries, in column order (see ``checkpoint`` metrics and the README)
FIGURES = ("recon_mse", "neg_elbo", "knn5_accuracy", "parameters", "train_seconds")


def number(metrics: dict[str, Any], key: str) -> float | None:
    """A figure as a float; None when it is absent, null (−ELBO of an AE) or not a finite
    number: old and hand-made checkpoints carry fewer figures, and a header is untrusted."""
    value = metrics.get(key) if isinstance(metrics, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def row(name: str, card: dict[str, Any]) -> dict[str, Any]:
    """One table row: name, model family, dataset key, then the figures (None = missing)."""
    train_cfg = card.get("train", {}).get("config", {})
    train_cfg = train_cfg if isinstance(train_cfg, dict) else {}
    metrics = card.get("metrics", {})
    return {"name": name, "family": family(card["config"], train_cfg),
            "dataset": card["dataset"], **{key: number(metrics, key) for key in FIGURES}}


def table(entries: Iterable[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Rows of (name, card) pairs, grouped by dataset (the figures of two data sets do not
    compare), then by name."""
    rows = [row(name, card) for name, card in entries]
    return sorted(rows, key=lambda r: (r["dataset"], r["name"]))


def same_dataset(entries: Iterable[tuple[Any, dict[str, Any]]], dataset: str,
                 exclude: Any = None) -> list[tuple[Any, dict[str, Any]]]:
    """The (path, card) entries of one dataset, less ``exclude`` (model A, when picking B):
    two latent maps share a selection only over the same test set."""
    return [(p, c) for p, c in entries if c["dataset"] == dataset and p != exclude]


def image_mse(original: np.ndarray, recon: np.ndarray) -> float:
    """Mean squared error per pixel, pixels in [0, 1] (the ``recon_mse`` of one image)."""
    a = np.asarray(original, dtype=np.float64)
    b = np.asarray(recon, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"images of different shapes: {a.shape} and {b.shape}")
    return float(np.mean((a - b) ** 2))


def _fixed(digits: int) -> Callable[[float | None], str]:
    return lambda v: MISSING if _absent(v) else f"{v:.{digits}f}"


def _absent(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_accuracy(value: float | None) -> str:
    return MISSING if _absent(value) else f"{value:.1%}"


def fmt_parameters(value: float | None) -> str:
    """1599252 -> '1.60 M', 5210 -> '5.2 k'."""
    if _absent(value):
        return MISSING
    if value >= 1e6:
        return f"{value / 1e6:.2f} M"
    return f"{value / 1e3:.1f} k" if value >= 1e3 else f"{value:.0f}"


def fmt_duration(seconds: float | None) -> str:
    """1050.2 -> '18 min', 4000 -> '1 h 07 min', 42 -> '42 s'."""
    if _absent(seconds):
        return MISSING
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


# how each figure is shown; a missing one is "–"
FORMATS: dict[str, Callable[[float | None], str]] = {
    "recon_mse": _fixed(4), "neg_elbo": _fixed(1), "knn5_accuracy": fmt_accuracy,
    "parameters": fmt_parameters, "train_seconds": fmt_duration}
