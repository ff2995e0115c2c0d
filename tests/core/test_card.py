"""Model cards: the family name of every kind of checkpoint, even from a damaged train config;
each family of the registry recognised in its own checkpoint; and the command line that
rebuilds a model, which the CLI reads back into the same configs."""

from __future__ import annotations

import shlex
from dataclasses import asdict

import pytest

from aeexplorer import cli
from aeexplorer.cli.commands import configs
from aeexplorer.core.checkpoints.card import family, kinds, train_command, train_config
from aeexplorer.core.checkpoints.header import read_card
from aeexplorer.core.checkpoints.metric_table import count, duration
from aeexplorer.core.models import ModelConfig
from aeexplorer.core.training.config import TrainConfig
from aeexplorer.core.training.families import FAMILIES
from aeexplorer.core.training.options import configs as make_configs
from aeexplorer.core.training.request import TrainRequest, request_settings


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


def _trained_as(name: str) -> tuple[ModelConfig, TrainConfig]:
    """The configs of the Train page's model of family ``name`` (small layers)."""
    return make_configs(request_settings(TrainRequest(family=name, hidden=(32,))))


def _save(path, model_cfg: ModelConfig, cfg: TrainConfig):
    import torch

    from aeexplorer.core.checkpoints.file import Atlas, save_checkpoint
    from aeexplorer.core.models import build_model

    logvar = torch.zeros(10, 2) if model_cfg.variational else None
    return save_checkpoint(path, build_model(model_cfg), cfg.dataset,
                           Atlas(torch.zeros(10, 2), logvar, torch.arange(10)),
                           train={"config": asdict(cfg)}, metrics={})


@pytest.mark.parametrize("name", FAMILIES)
def test_a_card_recognises_each_family_s_checkpoint(tmp_path, name):
    card = read_card(_save(tmp_path / f"{name}.safetensors", *_trained_as(name)))
    # a shallow AE is a plain AE too; every other family is recognised as itself alone
    assert kinds(card) == (["ae", "shallow"] if name == "shallow" else [name])
    assert FAMILIES[name].word in family(card["config"], train_config(card))


@pytest.mark.parametrize("name", FAMILIES)
def test_the_reproduce_command_round_trips_through_the_cli(name):
    model_cfg, cfg = _trained_as(name)
    words = shlex.split(train_command(model_cfg, asdict(cfg), "runs/x.safetensors"))
    assert words[:4] == ["python", "-m", "aeexplorer", "train"]
    assert configs(cli.parse(words[3:])) == (model_cfg, cfg)


def test_every_setting_of_the_command_line_round_trips():
    model_cfg = ModelConfig(kind="vae", arch="conv", latent_dim=3, hidden=(64,),
                            channels=(8, 16), batchnorm=True, activation="sigmoid")
    cfg = TrainConfig(dataset="fashion", epochs=4, batch_size=32, lr=0.0123456789,
                      weight_decay=1e-05, beta=0.5, kl_warmup_epochs=2, seed=7,
                      penalty="kl", penalty_weight=2.5, sparsity_target=0.2, noise="mask",
                      noise_level=0.25, precision="bf16")
    line = train_command(model_cfg, asdict(cfg), "my runs/x.safetensors")
    assert "'my runs/x.safetensors'" in line  # quoted for a shell
    args = cli.parse(shlex.split(line)[3:])
    assert configs(args) == (model_cfg, cfg) and str(args.out) == "my runs/x.safetensors"


def test_counts_and_durations_for_people():
    assert (count(2352), count(1_600_000), count(12), count(None)) == ("2.4 k", "1.60 M", "12", "–")
    assert (duration(15), duration(600), duration(7200)) == ("15 s", "10.0 min", "2.0 h")


@pytest.mark.parametrize("train", [{"config": []}, {"config": "x"}, {}, {"config": None}])
def test_a_damaged_train_config_reads_as_empty_everywhere(tmp_path, train):
    from aeexplorer.core.checkpoints.card import model_card_table
    from tests.helpers.checkpoints import make_checkpoint

    assert train_config({"train": train}) == {}
    path = make_checkpoint(tmp_path / "odd.safetensors")
    # rewrite the stored train metadata as the damaged value
    import json

    from safetensors.numpy import load_file, save_file

    from aeexplorer.core.checkpoints.header import read_header

    meta = read_header(path)["meta"]
    save_file(load_file(str(path)), str(path), metadata={**meta, "train": json.dumps(train)})
    table = model_card_table([path])
    assert "odd.safetensors" in table and "VAE" in table


def test_the_table_names_the_images_of_a_colour_or_resized_model(tmp_path):
    """MNIST's 28x28 grey goes without saying; any other size, and colour, is named."""
    import torch

    from aeexplorer.core.checkpoints.card import model_card_table
    from aeexplorer.core.checkpoints.file import Atlas, save_checkpoint
    from aeexplorer.core.models import build_model

    atlas = Atlas(torch.zeros(4, 2), None, torch.zeros(4, dtype=torch.long))
    rows = {}
    for name, extra in {"grey28": {}, "colour32": {"image_size": 32, "image_channels": 3},
                        "grey16": {"image_size": 16}}.items():
        model = build_model(ModelConfig(kind="ae", hidden=(8,), **extra))
        path = save_checkpoint(tmp_path / f"{name}.safetensors", model, "shapes", atlas,
                               train={"config": {"epochs": 1}})
        rows[name] = model_card_table([path]).splitlines()[2]
    assert "×" not in rows["grey28"]
    assert "AE, dense, hidden 8, 32×32 colour |" in rows["colour32"]
    assert "AE, dense, hidden 8, 16×16 grey |" in rows["grey16"]


def test_the_table_says_conv_once_and_names_batch_norm(tmp_path):
    """A conv net's family already says "conv"; batch norm is part of its shape."""
    import torch

    from aeexplorer.core.checkpoints.card import model_card_table
    from aeexplorer.core.checkpoints.file import Atlas, save_checkpoint
    from aeexplorer.core.models import build_model

    atlas = Atlas(torch.zeros(4, 2), None, torch.zeros(4, dtype=torch.long))
    model = build_model(ModelConfig(kind="vae", arch="conv", channels=(4, 8), hidden=(16,),
                                    batchnorm=True))
    path = save_checkpoint(tmp_path / "c.safetensors", model, "mnist", atlas,
                           train={"config": {"epochs": 1}})
    row = model_card_table([path]).splitlines()[2]
    assert "| conv VAE, channels 4,8, hidden 16, batch norm |" in row
    assert row.count("conv") == 1


def test_the_tables_command_keeps_the_snapshots_a_file_holds():
    """The command under the table rebuilds the file as it is: with its snapshots of the
    forming map (the shipped VAE keeps 40), and without for a file that has none; a model
    whose codes are polished says so too."""
    from tests.helpers import REPO

    from aeexplorer.core.checkpoints.card import model_card_table

    shipped = REPO / "checkpoints"
    vae, first = (model_card_table([shipped / f"{n}.safetensors"]).splitlines()[-2]
                  for n in ("mnist-vae", "mnist-map-ae"))
    assert "--snapshots 40 --out" in vae
    assert "--snapshots" not in first and "--refine 30" in first
    args = cli.parse(shlex.split(vae)[3:])  # the line as the command line reads it
    assert args.snapshots == 40 and configs(args)[1].epochs == 120
