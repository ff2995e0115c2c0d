"""Comparing checkpoints: one row of test-set metrics per checkpoint, read from the headers
alone (no weights), and how each column is shown (``aeexplorer.core.checkpoints.metric_table``).
Plain Python: the Compare page only lays these out."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from aeexplorer.core.checkpoints.card import family, number, train_config
from aeexplorer.core.checkpoints.metric_table import METRICS, MISSING, why_missing

__all__ = ["FORMATS", "MISSING", "SHOWN", "missing_notes", "row", "same_dataset", "table"]

# the metrics a row carries, in column order
SHOWN = ("recon_mse", "neg_elbo", "knn5_accuracy", "trustworthiness", "continuity", "parameters",
         "train_seconds")
# how each is shown; a missing one is "–"
FORMATS: dict[str, Callable[[Any], str]] = {key: METRICS[key].text for key in SHOWN}


def row(name: str, card: dict[str, Any]) -> dict[str, Any]:
    """One table row: name, model family, dataset key, then the metrics (None = missing)."""
    train_cfg = train_config(card)
    metrics = card.get("metrics", {})
    return {"name": name, "family": family(card["config"], train_cfg),
            "dataset": card["dataset"], **{key: number(metrics, key) for key in SHOWN}}


def table(entries: Iterable[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Rows of (name, card) pairs, grouped by dataset (the metrics of two data sets do not
    compare), then by name."""
    rows = [row(name, card) for name, card in entries]
    return sorted(rows, key=lambda r: (r["dataset"], r["name"]))


def missing_notes(entries: Iterable[tuple[str, dict[str, Any]]]
                  ) -> list[tuple[str, list[str], str]]:
    """The shown metrics that files leave out on purpose, with the reason they store: one
    (metric label, names, reason) per metric and reason, the names sorted (e.g. the 5-NN
    accuracy of models of unlabelled data: there are no classes to score)."""
    found: dict[tuple[str, str], list[str]] = {}
    for name, card in entries:
        for key in SHOWN:
            note = why_missing(card.get("metrics"), key)
            if note:
                found.setdefault((METRICS[key].label, note), []).append(name)
    return [(label, sorted(names), note) for (label, note), names in found.items()]


def same_dataset(entries: Iterable[tuple[Any, dict[str, Any]]], dataset: str,
                 exclude: Any = None) -> list[tuple[Any, dict[str, Any]]]:
    """The (path, card) entries of one dataset, less ``exclude`` (model A, when picking B):
    two latent maps share a selection only over the same test set."""
    return [(p, c) for p, c in entries if c["dataset"] == dataset and p != exclude]
