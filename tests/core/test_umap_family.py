"""The UMAP AE: its neighbour graph (exact, against a brute force), its loss, the split of its
gradients (the map is the encoder's, the decoder only draws from it), a short training whose
map keeps the classes apart, and its place in the registry and the limits."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from aeexplorer.app.limits import work
from aeexplorer.core.datasets.split import Split
from aeexplorer.core.latent.faithfulness import trustworthiness_continuity
from aeexplorer.core.latent.neighbours import knn_accuracy
from aeexplorer.core.models import ModelConfig, build_model
from aeexplorer.core.training.config import TrainConfig, check_compatible
from aeexplorer.core.training.families import FAMILIES, families_of, name_of
from aeexplorer.core.training.loop import train
from aeexplorer.core.training.losses import umap_loss
from aeexplorer.core.training.neighbour_graph import build_graph, fuzzy_weights, nearest
from aeexplorer.core.training.request import TrainRequest, request_settings
from aeexplorer.core.training.step import batch_loss
from tests.helpers.images import synthetic_images


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def test_nearest_finds_the_same_neighbours_as_a_brute_force_over_chunks() -> None:
    points = torch.from_numpy(np.random.default_rng(0).random((97, 5)))
    index, dist = nearest(points, 6, chunk=10)
    full = torch.cdist(points, points)
    full.fill_diagonal_(math.inf)
    want = torch.sort(full, dim=1).indices[:, :6]
    assert torch.equal(index, want)
    assert torch.allclose(dist, full.gather(1, want).float(), atol=1e-5)
    assert not (index == torch.arange(97)[:, None]).any()  # never itself


def test_fuzzy_weights_sum_to_log2_k_and_fall_with_distance() -> None:
    dist = torch.sort(torch.rand(50, 15) * 3, dim=1).values
    w = fuzzy_weights(dist)
    assert torch.allclose(w.sum(dim=1), torch.full((50,), math.log2(15)), atol=1e-4)
    assert torch.allclose(w[:, 0], torch.ones(50))  # the nearest is fully a neighbour
    assert (w[:, 1:] <= w[:, :-1] + 1e-6).all()


def test_a_drawn_neighbour_is_always_one_of_its_neighbours_and_seeded() -> None:
    images, _ = synthetic_images(120, seed=1)
    graph = build_graph(images, k=5)
    rows = torch.arange(120)
    a = graph.sample(rows, torch.Generator().manual_seed(3))
    b = graph.sample(rows, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    assert (graph.index == a[:, None]).any(dim=1).all()


def test_the_loss_is_lower_for_a_map_that_keeps_neighbours_and_finite_at_one_point() -> None:
    z = torch.randn(64, 2) * 3
    kept = umap_loss(z, z + 0.01 * torch.randn(64, 2))
    torn = umap_loss(z, z[torch.randperm(64, generator=torch.Generator().manual_seed(0))])
    assert kept < torn
    same = torch.zeros(8, 2, requires_grad=True)
    loss = umap_loss(same, same)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(same.grad).all()


def test_the_decoder_does_not_move_the_map() -> None:
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind="ae", hidden=(32,), batchnorm=False))
    cfg = TrainConfig(penalty="umap", penalty_weight=1.0, precision="fp32", device="cpu")
    x, near = torch.rand(16, 1, 28, 28), torch.rand(16, 1, 28, 28)
    parts = batch_loss(model, x, cfg, 1.0, near=near)
    parts.total.backward()
    with_recon = [p.grad.clone() for p in model.encoder.parameters()]
    model.zero_grad()
    parts = batch_loss(model, x, cfg, 1.0, near=near)
    parts.penalty.backward()
    alone = [p.grad for p in model.encoder.parameters()]
    assert all(torch.allclose(a, b) for a, b in zip(with_recon, alone))
    assert parts.recon > 0 and parts.penalty > 0


def test_a_short_training_keeps_the_classes_apart_on_the_map() -> None:
    images, labels = synthetic_images(400, seed=0)
    data = Split(images=images, labels=labels)
    model_cfg = ModelConfig(kind="ae", hidden=(64,))
    cfg = TrainConfig(penalty="umap", penalty_weight=1.0, epochs=6, batch_size=64, lr=3e-3,
                      precision="fp32", device="cpu", seed=0)
    model, history = train(model_cfg, cfg, data)
    assert history.finished and all(math.isfinite(e.penalty) for e in history.epochs)
    assert history.epochs[-1].penalty < history.epochs[0].penalty
    with torch.no_grad():
        codes = model.encode(images)[0].numpy()
    half = slice(0, 200), slice(200, 400)
    acc = knn_accuracy(codes[half[0]], labels[half[0]].numpy(), codes[half[1]],
                       labels[half[1]].numpy(), k=5)
    assert acc > 0.8
    trust, _ = trustworthiness_continuity(images.numpy(), codes)
    assert trust > 0.8


def test_its_place_in_the_registry_the_config_and_the_limits() -> None:
    settings = {"kind": "ae", "penalty": "umap", "noise": "none", "noise_level": 0.0,
                "arch": "dense", "hidden": (512,)}
    assert families_of(settings) == ["umap"] and name_of(settings) == "UMAP AE"
    req = TrainRequest(family="umap", epochs=3)
    assert request_settings(req)["penalty"] == "umap"
    TrainConfig(**{k: v for k, v in request_settings(req).items()
                   if k in TrainConfig.__dataclass_fields__})  # a valid config
    assert work(req) == 2 * work(TrainRequest(family="ae", epochs=3))
    with pytest.raises(ValueError, match="--model ae"):
        check_compatible(ModelConfig(kind="vae"), TrainConfig(penalty="umap", penalty_weight=1))
    assert FAMILIES["umap"].curve == "penalty"
