"""The shipped convolutional VAE (checkpoints/mnist-conv-vae.safetensors, docs/results.md): the
tutorials' conv net with a 2-D latent, on MNIST; its decoder has the page's form (so a talk
can hover over it), its test figures are what the docs claim, and its map decodes to digits.
Its file size, atlas and stored metrics are checked with every shipped model
(test_shipped_checkpoints.py)."""

from __future__ import annotations

import numpy as np
import torch

from tests.helpers import REPO

PATH = REPO / "checkpoints" / "mnist-conv-vae.safetensors"


def test_its_card_says_a_conv_vae_on_mnist():
    from aeexplorer.core.checkpoints.card import family, train_config
    from aeexplorer.core.checkpoints.header import read_card

    card = read_card(PATH)
    cfg = card["config"]
    assert card["dataset"] == "mnist" and cfg.latent_dim == 2
    assert (cfg.arch, cfg.channels, cfg.hidden, cfg.batchnorm) == ("conv", (32, 64), (256,), True)
    assert family(cfg, train_config(card)) == "conv VAE"


def test_its_figures_are_the_docs_claims():
    """Below the 2-D conv VAE figure the docs cite (about 147 nats), with a 5-NN of 0.75."""
    from aeexplorer.core.checkpoints.header import read_card

    metrics = read_card(PATH)["metrics"]
    assert metrics["neg_elbo"] < 147 and metrics["knn5_accuracy"] >= 0.75


def test_its_decoder_runs_as_the_page_runs_it():
    from aeexplorer.app.export import decode_exported, export_decoder
    from aeexplorer.core.checkpoints.file import load_checkpoint

    ckpt = load_checkpoint(PATH)
    exported = export_decoder(ckpt.model)
    assert [ly["type"] for ly in exported.spec["layers"]] == ["dense", "dense", "convT", "convT"]
    z = np.random.default_rng(0).uniform(-3, 3, (100, 2)).astype(np.float32)
    assert np.abs(decode_exported(exported, z) - ckpt.ops.decode(z)).max() < 1e-5


def test_each_class_region_decodes_to_its_digit(data_root):
    """The median code of a class, decoded, is nearest (pixel MSE) to that class's mean test
    image for at least 8 of the 10 digits (measured: all but the 5 and the 9)."""
    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.datasets.loading import load_split

    ckpt = load_checkpoint(PATH)
    test = load_split("mnist", False, data_root)
    images, labels = test.images.reshape(len(test.labels), -1), test.labels
    means = torch.stack([images[labels == k].mean(0) for k in range(10)]).numpy()
    mu = ckpt.atlas.mu
    medians = torch.stack([mu[ckpt.atlas.labels == k].median(0).values for k in range(10)])
    decoded = ckpt.ops.decode(medians.numpy()).reshape(10, -1)
    nearest = ((decoded[:, None] - means[None]) ** 2).mean(-1).argmin(1)
    assert (nearest == np.arange(10)).sum() >= 8, nearest
