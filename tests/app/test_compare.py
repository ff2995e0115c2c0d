"""The Compare page's core: table rows from checkpoint headers (metrics missing in old files
show as "–"), dataset filtering for model B, display formats, per-image MSE."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from aeexplorer.app.compare import FORMATS, MISSING, SHOWN, row, same_dataset, table
from aeexplorer.core.checkpoints.card import number
from aeexplorer.core.checkpoints.header import read_card
from aeexplorer.core.models import ModelConfig
from tests.helpers.checkpoints import make_checkpoint


def _card(dataset="mnist", kind="vae", metrics=None, train=None) -> dict:
    return {"config": ModelConfig(kind=kind), "dataset": dataset,
            "train": {"config": train or {}}, "metrics": metrics or {}}


def test_row_from_a_real_checkpoint_header(tmp_path: Path):
    path = make_checkpoint(tmp_path / "vae.safetensors", kind="vae", train={"beta": 4.0})
    r = row(path.stem, read_card(path))
    assert r["name"] == "vae" and r["family"] == "β-VAE (β=4)" and r["dataset"] == "mnist"
    assert r["recon_mse"] == pytest.approx(0.06) and r["neg_elbo"] == pytest.approx(203.0)
    assert r["knn5_accuracy"] == pytest.approx(0.5)
    # the test checkpoints store neither the parameter count nor the training time
    assert r["parameters"] is None and r["train_seconds"] is None


def test_an_autoencoder_has_no_elbo(tmp_path: Path):
    path = make_checkpoint(tmp_path / "ae.safetensors", kind="ae", dataset="fashion")
    r = row(path.stem, read_card(path))
    assert r["family"] == "AE" and r["dataset"] == "fashion"
    assert r["neg_elbo"] is None and FORMATS["neg_elbo"](r["neg_elbo"]) == MISSING


def test_missing_null_and_odd_metrics_are_none():
    metrics = {"recon_mse": None, "neg_elbo": "12", "knn5_accuracy": True,
               "parameters": float("nan"), "train_seconds": float("inf")}
    r = row("old", _card(metrics=metrics))
    assert all(r[key] is None for key in SHOWN)
    r = row("bare", {**_card(), "metrics": {}, "train": {}})  # an old file: no train config
    assert r["family"] == "VAE" and all(r[key] is None for key in SHOWN)
    assert all(FORMATS[key](None) == MISSING for key in SHOWN)
    assert FORMATS["recon_mse"](math.nan) == MISSING  # pandas turns None into NaN
    assert number({"parameters": 12}, "parameters") == 12.0


def test_all_metrics_are_formatted():
    metrics = {"recon_mse": 0.032987, "neg_elbo": 134.21, "knn5_accuracy": 0.86,
               "trustworthiness": 0.91234, "continuity": 0.95678,
               "parameters": 1599252, "train_seconds": 1546.7}
    r = row("mnist-vae", _card(metrics=metrics))
    shown = {key: FORMATS[key](r[key]) for key in SHOWN}
    assert shown == {"recon_mse": "0.0330", "neg_elbo": "134.2", "knn5_accuracy": "86.0%",
                     "trustworthiness": "0.912", "continuity": "0.957",
                     "parameters": "1.60 M", "train_seconds": "25.8 min"}


def test_parameter_and_duration_formats_are_the_model_cards():
    params, seconds = FORMATS["parameters"], FORMATS["train_seconds"]
    assert params(5210) == "5.2 k" and params(640) == "640" and params(None) == MISSING
    assert seconds(42) == "42 s" and seconds(600) == "10.0 min"
    assert seconds(float("nan")) == MISSING


def test_table_groups_by_dataset_then_name():
    entries = [("b", _card("mnist")), ("z", _card("fashion")), ("a", _card("mnist"))]
    assert [(r["dataset"], r["name"]) for r in table(entries)] == [
        ("fashion", "z"), ("mnist", "a"), ("mnist", "b")]


def test_same_dataset_keeps_one_dataset_and_can_leave_one_out():
    entries = [("m1", _card("mnist")), ("f1", _card("fashion")), ("m2", _card("mnist"))]
    assert [p for p, _ in same_dataset(entries, "mnist")] == ["m1", "m2"]
    assert [p for p, _ in same_dataset(entries, "mnist", exclude="m1")] == ["m2"]
    assert [p for p, _ in same_dataset(entries, "fashion")] == ["f1"]
    assert same_dataset(entries, "kmnist") == []


