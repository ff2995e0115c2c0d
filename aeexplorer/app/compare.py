"""Comparing checkpoints: one row of test-set figures per checkpoint, read from the headers
alone (no weights), and the display formats of those figures. Plain Python: the Compare page
only lays these out."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from aeexplorer.core.card import count, duration, family, number, train_config

MISSING = "–"
# the figures a row carries, in column order (see ``aeexplorer.core.metrics`` and the README)
FIGURES = ("recon_mse", "neg_elbo", "knn5_accuracy", "parameters", "train_seconds")


def row(name: str, card: dict[str, Any]) -> dict[str, Any]:
    """One table row: name, model family, dataset key, then the figures (None = missing)."""
    train_cfg = train_config(card)
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


def _fixed(digits: int) -> Callable[[float | None], str]:
    return lambda v: MISSING if _absent(v) else f"{v:.{digits}f}"


def _absent(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_accuracy(value: float | None) -> str:
    return MISSING if _absent(value) else f"{value:.1%}"


# how each figure is shown; a missing one is "–"
FORMATS: dict[str, Callable[[float | None], str]] = {
    "recon_mse": _fixed(4), "neg_elbo": _fixed(1), "knn5_accuracy": fmt_accuracy,
    "parameters": lambda v: MISSING if _absent(v) else count(v),
    "train_seconds": lambda v: MISSING if _absent(v) else duration(v)}
