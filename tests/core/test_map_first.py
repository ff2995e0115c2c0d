"""The map-first AE: its map (made by the library, seeded, scaled), its leash (free within,
paid beyond, the reconstruction arranging the codes inside), a short training whose codes
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


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


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


def test_a_code_strays_free_within_its_leash_and_pays_beyond_it() -> None:
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind="ae", hidden=(32,), batchnorm=False))
    cfg = TrainConfig(penalty="map", penalty_weight=100.0, map_leash=0.5, precision="fp32",
                      device="cpu")
    x = torch.rand(16, 1, 28, 28)
    with torch.no_grad():
        z = model.encode(x)[0]
    direction = torch.nn.functional.normalize(torch.randn(16, 2), dim=1)
    inside = batch_loss(model, x, cfg, 1.0, place=z + 0.4 * direction)
    assert inside.penalty.item() == pytest.approx(0.0, abs=1e-9)
    beyond = batch_loss(model, x, cfg, 1.0, place=z + 1.5 * direction)
    assert beyond.penalty.item() == pytest.approx(1.0, rel=1e-3)  # (1.5 - 0.5)²
    assert beyond.total.item() == pytest.approx(beyond.recon.item() + 100.0, rel=1e-4)
    with pytest.raises(ValueError, match="place"):
        batch_loss(model, x, cfg, 1.0)


def test_the_reconstruction_arranges_the_codes_within_the_leash() -> None:
    """Inside the leash only the reconstruction moves the encoder; a code exactly on its
    place (leash 0, weight 1) still gets the reconstruction's gradient, finite."""
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind="ae", hidden=(32,), batchnorm=False))
    x = torch.rand(16, 1, 28, 28)
    with torch.no_grad():
        z = model.encode(x)[0]
    for leash, place in ((0.5, z + 0.1), (0.0, z)):
        cfg = TrainConfig(penalty="map", penalty_weight=1.0, map_leash=leash,
                          precision="fp32", device="cpu")
        model.zero_grad()
        parts = batch_loss(model, x, cfg, 1.0, place=place)
        parts.total.backward()
        grads = [p.grad for p in model.encoder.parameters()]
        assert all(torch.isfinite(g).all() for g in grads)
        assert any(g.abs().sum() > 0 for g in grads)
    with pytest.raises(ValueError, match="leash"):
        TrainConfig(map_leash=-1.0)


@needs_umap
def test_a_short_training_puts_the_images_where_the_map_put_them() -> None:
    images, labels = synthetic_images(400, seed=0)
    data = Split(images=images, labels=labels)
    cfg = TrainConfig(penalty="map", penalty_weight=100.0, epochs=8, batch_size=64, lr=3e-3,
                      precision="fp32", device="cpu", seed=0)
    model, history = train(ModelConfig(kind="ae", hidden=(64,)), cfg, data)
    assert history.finished and all(math.isfinite(e.penalty) for e in history.epochs)
    assert history.epochs[-1].penalty < 0.25 * history.epochs[0].penalty
    with torch.no_grad():
        codes = model.encode(images)[0]
    wanted = first_map.make_map(images, "umap", 0)
    stray = (codes - wanted).pow(2).sum(1).sqrt()
    # the map's own scale is 1 (two of its points lie about 1.4 apart): after 56 steps the
    # codes are well within a cluster's width of their places
    assert stray.median() < 0.3
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
    command = train_command(model_cfg, {"penalty": "map", "penalty_weight": 100.0,
                                        "map_method": "tsne", "map_leash": 0.1}, "m.safetensors")
    assert "--penalty map" in command and "--map tsne" in command
    assert "--map-leash 0.1" in command and "--penalty-weight 100.0" in command
    assert "--map" not in train_command(model_cfg, {"penalty": "l1", "penalty_weight": 0.1,
                                                    "map_leash": 0.3}, "m.safetensors")
    assert family(model_cfg, {"penalty": "map", "penalty_weight": 1.0}) == "map-first AE (UMAP)"
    with pytest.raises(ValueError, match="--model ae"):
        check_compatible(ModelConfig(kind="vae"), TrainConfig(penalty="map", penalty_weight=1))
    with pytest.raises(ValueError, match="map must be one of"):
        TrainConfig(map_method="pca")


@pytest.mark.parametrize("method", ["umap", "tsne"])
def test_images_that_make_no_map_are_refused_in_a_sentence(method) -> None:
    if first_map.missing(method):
        pytest.skip(first_map.missing(method))
    with pytest.raises(AeError, match="at least 10 training images"):
        first_map.make_map(torch.rand(2, 1, 8, 8), method, 0)
    if method == "tsne":  # all alike: t-SNE's map is NaN, never a divergence blamed on --lr
        with pytest.raises(AeError, match="all alike"):
            first_map.make_map(torch.zeros(40, 1, 8, 8), method, 0)


def test_the_maps_offered_are_the_reference_methods_by_their_names() -> None:
    """The config's methods and the page's words (kept light of numpy) are the reference
    module's, which computes the maps and says which library each needs."""
    from aeexplorer.core.latent.reference import METHODS
    from aeexplorer.core.training.config import MAP_METHODS
    from aeexplorer.core.training.families import MAP_WORDS

    assert set(MAP_METHODS) == set(METHODS) == set(MAP_WORDS)
    assert all(MAP_WORDS[m] == METHODS[m].name for m in METHODS)
