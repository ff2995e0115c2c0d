"""Model cards: the family name of every kind of checkpoint, even from a damaged train config,
and the command line that rebuilds a model."""

from __future__ import annotations

import pytest

from aeexplorer.core.card import family, train_command
from aeexplorer.core.metric_table import count, duration
from aeexplorer.core.models import ModelConfig


@pytest.mark.parametrize("model,train,name", [
    (dict(kind="vae"), {}, "VAE"),
    (dict(kind="vae"), {"beta": 4.0}, "β-VAE (β=4)"),
    (dict(kind="ae"), {}, "AE"),
    (dict(kind="ae", hidden=()), {}, "shallow AE"),
    (dict(kind="ae", arch="conv"), {}, "conv AE"),
    (dict(kind="pca"), {"penalty": "l1"}, "PCA"),
    (dict(kind="ae"), {"penalty": "l1", "penalty_weight": 0.05}, "sparse AE (L1, λ=0.05)"),
    (dict(kind="ae", activation="sigmoid"),
     {"penalty": "kl", "penalty_weight": 3, "sparsity_target": 0.05},
     "sparse AE (KL, ρ=0.05, β=3)"),
    (dict(kind="ae"), {"penalty": "contractive", "penalty_weight": 1}, "contractive AE (λ=1)"),
    (dict(kind="ae"), {"noise": "gaussian", "noise_level": 0.5}, "denoising AE (Gaussian σ=0.5)"),
    (dict(kind="ae"), {"noise": "mask", "noise_level": 0.3}, "denoising AE (masking p=0.3)"),
    (dict(kind="ae"), {"noise": "mask", "noise_level": 0.0}, "AE"),
])
def test_family_names(model, train, name):
    assert family(ModelConfig(**model), train) == name


@pytest.mark.parametrize("train", [
    {"noise": "gaussian", "noise_level": "loud"}, {"beta": None}, {"penalty_weight": [1]},
    {"beta": float("nan")}, {"noise_level": True}, [], "vae",
])
def test_a_damaged_train_config_never_breaks_the_name(train):
    assert family(ModelConfig(kind="vae"), train) in ("VAE",)


def test_the_train_command_carries_every_non_default_setting():
    cfg = ModelConfig(kind="ae", hidden=(), activation="sigmoid")
    line = train_command(cfg, {"dataset": "mnist", "epochs": 30, "penalty": "kl",
                               "penalty_weight": 3.0, "sparsity_target": 0.1,
                               "noise": "mask", "noise_level": 0.5}, "runs/x.safetensors")
    for part in ("--model ae", "--hidden none", "--activation sigmoid", "--penalty kl",
                 "--penalty-weight 3.0", "--sparsity-target 0.1", "--noise mask",
                 "--noise-level 0.5", "--epochs 30"):
        assert part in line
    pca = train_command(ModelConfig(kind="pca"), {"dataset": "mnist", "epochs": 1}, "p")
    assert "--hidden" not in pca and "--model pca" in pca


def test_the_train_command_names_the_precision_the_model_was_trained_in():
    cfg = ModelConfig(kind="vae")
    assert "--precision bf16" in train_command(cfg, {"epochs": 3, "precision": "bf16"}, "x")
    # "auto" depends on the machine: a file from before precision was recorded was float32
    assert "--precision fp32" in train_command(cfg, {"epochs": 3}, "x")


def test_counts_and_durations_for_people():
    assert (count(2352), count(1_600_000), count(12), count(None)) == ("2.4 k", "1.60 M", "12", "–")
    assert (duration(15), duration(600), duration(7200)) == ("15 s", "10.0 min", "2.0 h")


@pytest.mark.parametrize("train", [{"config": []}, {"config": "x"}, {}, {"config": None}])
def test_a_damaged_train_config_reads_as_empty_everywhere(tmp_path, train):
    from aeexplorer.core.card import model_card_table, train_config
    from conftest import make_checkpoint

    assert train_config({"train": train}) == {}
    path = make_checkpoint(tmp_path / "odd.safetensors")
    # rewrite the stored train metadata as the damaged value
    import json

    from safetensors.numpy import load_file, save_file

    from aeexplorer.core.checkpoint import read_header

    meta = read_header(path)["meta"]
    save_file(load_file(str(path)), str(path), metadata={**meta, "train": json.dumps(train)})
    table = model_card_table([path])
    assert "odd.safetensors" in table and "VAE" in table
