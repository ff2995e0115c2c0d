"""The map-first AE: its map (made by the library, seeded, scaled), the split of its gradients
(the encoder is taught the map, the decoder only draws from it), a short training whose codes
land where the map put the images, and its place in the registry, the config, the command
line, the placement and the Train page's check for the library."""

from __future__ import annotations

import math

import pytest
import torch

from aeexplorer.core.checkpoints.card import family, train_command
from aeexplorer.core.datasets.split import Split
from aeexplorer.core.errors import AeError
from aeexplorer.core.latent.neighbours import knn_accuracy
from aeexplorer.core.models import ModelConfig, build_model
from aeexplorer.core.training import first_map
from aeexplorer.core.training.config import TrainConfig, check_compatible
from aeexplorer.core.training.families import families_of, name_of
from aeexplorer.core.training.loop import train
from aeexplorer.core.training.options import configs
from aeexplorer.core.training.request import TrainRequest, request_settings, train_args
from aeexplorer.core.training.step import batch_loss
from tests.helpers.images import synthetic_images

needs_umap = pytest.mark.skipif(first_map.missing("umap") is not None,
                                reason="umap-learn (requirements-references.txt)")


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@needs_umap
def test_the_map_is_seeded_centred_and_of_unit_scale() -> None:
    images, _ = synthetic_images(150, seed=2)
    a = first_map.make_map(images, "umap", seed=2**40 + 3)  # a 64-bit seed is taken too
    b = first_map.make_map(images, "umap", seed=2**40 + 3)
    assert a.shape == (150, 2) and a.dtype == torch.float32 and torch.equal(a, b)
    assert torch.allclose(a.mean(dim=0), torch.zeros(2), atol=1e-5)
    assert a.std().item() == pytest.approx(1.0, abs=1e-5)


def test_a_missing_library_is_said_in_words_for_the_page_and_the_command_line(monkeypatch):
    monkeypatch.setattr(first_map, "find_spec", lambda name: None)
    said = first_map.missing("tsne")
    assert "openTSNE" in said and "requirements-references.txt" in said
    monkeypatch.setitem(__import__("sys").modules, "openTSNE", None)  # import fails
    with pytest.raises(AeError, match="map-first AE.*openTSNE"):
        first_map.make_map(torch.rand(30, 1, 4, 4), "tsne", 0)


def test_the_encoder_is_taught_the_map_and_the_decoder_does_not_move_it() -> None:
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind="ae", hidden=(32,), batchnorm=False))
    cfg = TrainConfig(penalty="map", penalty_weight=1.0, precision="fp32", device="cpu")
    x, place = torch.rand(16, 1, 28, 28), torch.randn(16, 2)
    parts = batch_loss(model, x, cfg, 1.0, place=place)
    parts.total.backward()
    with_recon = [p.grad.clone() for p in model.encoder.parameters()]
    model.zero_grad()
    parts = batch_loss(model, x, cfg, 1.0, place=place)
    parts.penalty.backward()
    alone = [p.grad for p in model.encoder.parameters()]
    assert all(torch.allclose(a, b) for a, b in zip(with_recon, alone))
    z = model.encode(x)[0]
    assert parts.penalty.item() == pytest.approx((z - place).pow(2).sum(1).mean().item(),
                                                 rel=1e-5)
    with pytest.raises(ValueError, match="place"):
        batch_loss(model, x, cfg, 1.0)


@needs_umap
def test_a_short_training_puts_the_images_where_the_map_put_them() -> None:
    images, labels = synthetic_images(400, seed=0)
    data = Split(images=images, labels=labels)
    cfg = TrainConfig(penalty="map", penalty_weight=1.0, epochs=8, batch_size=64, lr=3e-3,
                      precision="fp32", device="cpu", seed=0)
    model, history = train(ModelConfig(kind="ae", hidden=(64,)), cfg, data)
    assert history.finished and all(math.isfinite(e.penalty) for e in history.epochs)
    assert history.epochs[-1].penalty < 0.25 * history.epochs[0].penalty
    with torch.no_grad():
        codes = model.encode(images)[0]
    wanted = first_map.make_map(images, "umap", 0)
    assert (codes - wanted).pow(2).sum(1).mean() < 0.1  # the map's own scale is 1
    half = slice(0, 200), slice(200, 400)
    acc = knn_accuracy(codes[half[0]].numpy(), labels[half[0]].numpy(),
                       codes[half[1]].numpy(), labels[half[1]].numpy(), k=5)
    assert acc > 0.8


def test_its_place_in_the_registry_the_config_and_the_command_line(tmp_path) -> None:
    settings = {"kind": "ae", "penalty": "map", "map_method": "tsne", "noise": "none",
                "noise_level": 0.0, "arch": "dense", "hidden": (512,)}
    assert families_of(settings) == ["map-first"]
    assert name_of(settings) == "map-first AE (t-SNE)"
    # a hostile header's method is named as unknown, never a KeyError
    assert name_of({**settings, "map_method": "<b>x"}) == "map-first AE (an unknown map)"
    req = TrainRequest(family="map-first", map_method="tsne", epochs=3)
    args = train_args(req, tmp_path / "m.safetensors", tmp_path)
    assert args[args.index("--penalty") + 1] == "map" and args[args.index("--map") + 1] == "tsne"
    model_cfg, cfg = configs(request_settings(req))
    assert cfg.penalty == "map" and cfg.map_method == "tsne" and model_cfg.kind == "ae"
    command = train_command(model_cfg, {"penalty": "map", "penalty_weight": 1.0,
                                        "map_method": "tsne"}, "m.safetensors")
    assert "--penalty map" in command and "--map tsne" in command
    assert family(model_cfg, {"penalty": "map", "penalty_weight": 1.0}) == "map-first AE (UMAP)"
    with pytest.raises(ValueError, match="--model ae"):
        check_compatible(ModelConfig(kind="vae"), TrainConfig(penalty="map", penalty_weight=1))
    with pytest.raises(ValueError, match="map must be one of"):
        TrainConfig(map_method="pca")
