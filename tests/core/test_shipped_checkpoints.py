"""The pretrained checkpoints in checkpoints/: they are what the app opens on, so they must load,
stay small, and carry metrics and an atlas that are true of the weights they ship with."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.helpers import REPO

SHIPPED = REPO / "checkpoints"
FILES = sorted(SHIPPED.glob("*.safetensors"))
MAX_BYTES = 8 * 1024 * 1024
NEEDED = {(ds, kind) for ds in ("mnist", "fashion") for kind in ("ae", "vae")}


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def test_an_autoencoder_and_a_vae_ship_for_both_data_sets():
    from aeexplorer.core.checkpoints.header import read_card

    found = set()
    for path in FILES:
        card = read_card(path)
        assert card["config"].latent_dim == 2, path.name
        found.add((card["dataset"], card["config"].kind))
    assert NEEDED <= found, f"missing: {sorted(NEEDED - found)}"


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_small_loadable_with_a_full_atlas_and_a_reproducible_recipe(path):
    from aeexplorer.core.checkpoints.card import train_command
    from aeexplorer.core.checkpoints.file import load_checkpoint

    assert path.stat().st_size <= MAX_BYTES
    ckpt = load_checkpoint(path)
    assert ckpt.atlas.mu.shape == (10_000, 2)
    assert sorted(ckpt.atlas.labels.bincount().tolist())[0] >= 800  # every class is there
    assert ckpt.train["config"]["dataset"] == ckpt.dataset
    assert len(ckpt.train["history"]["epochs"]) == ckpt.train["config"]["epochs"]
    for key in ("recon_bce", "recon_mse", "knn5_accuracy", "trustworthiness", "continuity",
                "parameters", "train_seconds"):
        assert math.isfinite(ckpt.metrics[key]), key
    assert (ckpt.metrics["neg_elbo"] is not None) == ckpt.config.variational
    command = train_command(ckpt.config, ckpt.train["config"], path.relative_to(REPO))
    assert f"--dataset {ckpt.dataset} --model {ckpt.config.kind}" in command


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_stored_metrics_and_atlas_are_those_of_the_weights(path, request):
    """Re-evaluate on the real test set (a generated one made anew): the model card and the
    map must not drift from the weights (a file saved with a stale atlas or stale metrics
    fails here)."""
    import torch

    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.datasets.loading import load_split
    from aeexplorer.core.datasets.registry import GENERATED
    from aeexplorer.core.latent.metrics import reconstruction_metrics

    ckpt = load_checkpoint(path)
    # a generated data set needs no data root, so its model is checked on a fresh clone too
    root = None if ckpt.dataset in GENERATED else request.getfixturevalue("data_root")
    test = load_split(ckpt.dataset, False, root)
    assert torch.equal(ckpt.atlas.labels, test.labels)
    codes = ckpt.ops.encode(test.images.numpy())
    torch.testing.assert_close(torch.from_numpy(codes.mu), ckpt.atlas.mu, rtol=1e-4, atol=1e-4)
    metrics = reconstruction_metrics(ckpt.model, test)
    for key, value in metrics.items():
        if value is None:
            assert ckpt.metrics[key] is None
        else:
            assert value == pytest.approx(ckpt.metrics[key], rel=1e-3), key
