"""Polished codes (``ModelConfig.refine``): the decoder's steps never fit an image worse than the
encoder's code and leave the weights alone; a model trained with them keeps the setting in its
file, and everything that encodes after training (the atlas, the figures, the reconstruction,
a placement) gives the same polished code, so a test image placed lands on its own dot."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import aeexplorer.core.pipeline as pipeline
from aeexplorer.core.checkpoints.file import load_checkpoint
from aeexplorer.core.datasets.split import Split
from aeexplorer.core.latent.metrics import evaluate
from aeexplorer.core.latent.ops import ModelOps
from aeexplorer.core.latent.placement import Method, codes
from aeexplorer.core.latent.refine import PULL, fit, model_codes
from aeexplorer.core.models import ModelConfig, build_model
from aeexplorer.core.training.config import TrainConfig
from tests.helpers.images import synthetic_images


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small AE trained for a few epochs on synthetic digits with 10 polishing steps, and
    its splits."""
    torch.set_num_threads(1)
    images, labels = synthetic_images(320, seed=0)
    train, test = (Split(images=images[:256], labels=labels[:256]),
                   Split(images=images[256:], labels=labels[256:]))
    out = tmp_path_factory.mktemp("refine") / "m.safetensors"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pipeline, "load_split", lambda name, is_train, *a, **k: train
                   if is_train else test)
        cfg = TrainConfig(epochs=4, batch_size=32, lr=3e-3, device="cpu", precision="fp32")
        pipeline.train_and_save(ModelConfig(kind="ae", hidden=(64,), refine=10), cfg, out)
    return load_checkpoint(out), train, test


def _unpolished(ckpt):
    """The same weights, with the encoder's codes alone."""
    import dataclasses

    model = build_model(dataclasses.replace(ckpt.config, refine=0)).eval()
    model.load_state_dict(ckpt.model.state_dict())
    return model


def test_without_steps_the_code_is_the_encoders():
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind="ae", hidden=(16,))).eval()
    x = torch.rand(5, 1, 28, 28)
    with torch.no_grad():
        assert torch.equal(model_codes(model, x)[0], model.encode(x)[0])


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_polished_codes_fit_better_and_the_weights_are_left_alone(kind):
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind=kind, hidden=(16,), refine=20)).eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.rand(6, 1, 28, 28)
    with torch.no_grad():
        start, logvar = model.encode(x)
    z, polished_logvar = model_codes(model, x)
    with torch.no_grad():
        assert (fit(model, x, z) <= fit(model, x, start)).all()
        # pulled towards the encoder's code: a move costs PULL * its squared length in fit
        moved = (z - start).pow(2).sum(1)
        assert (PULL * moved <= fit(model, x, start) - fit(model, x, z) + 1e-3).all()
    if kind == "vae":
        assert torch.equal(polished_logvar, logvar)  # the spread stays the encoder's
    assert all(p.grad is None for p in model.parameters())
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_the_setting_is_kept_in_the_file_and_in_its_command(trained):
    from aeexplorer.core.checkpoints.card import train_command

    ckpt, _, _ = trained
    assert ckpt.config.refine == 10
    assert "--refine 10" in train_command(ckpt.config, ckpt.train["config"], "m.safetensors")


def test_a_test_image_placed_lands_on_its_own_dot(trained):
    ckpt, _, test = trained
    placed = codes(ckpt.model, test.images[:16, 0], ckpt.atlas.mu, Method(how="encoder"))
    assert torch.allclose(placed, ckpt.atlas.mu[:16], atol=1e-4)
    encoded = ModelOps(ckpt.model).encode(test.images[:16, 0].numpy()).mu
    assert np.allclose(encoded, ckpt.atlas.mu[:16].numpy(), atol=1e-4)
    with torch.no_grad():
        raw, _ = ckpt.model.encode(test.images[:16])
    assert not torch.allclose(raw, ckpt.atlas.mu[:16], atol=1e-3)  # and they were polished


def test_the_figures_are_those_of_the_polished_codes(trained):
    ckpt, train, test = trained
    metrics = json.loads(json.dumps(ckpt.metrics))
    shown = ckpt.ops.decode(ckpt.atlas.mu.numpy())  # what the map's dots decode to
    mse = float(((shown - test.images[:, 0].numpy()) ** 2).mean())
    assert metrics["recon_mse"] == pytest.approx(mse, rel=1e-4)
    plain = evaluate(_unpolished(ckpt), train, test)["metrics"]
    assert metrics["recon_mse"] < plain["recon_mse"]
    assert metrics["recon_bce"] < plain["recon_bce"]


def test_a_bad_number_of_steps_is_refused_in_a_sentence():
    for bad in (-1, 201):
        with pytest.raises(ValueError, match="refine must be 0 to 200 steps"):
            ModelConfig(kind="ae", refine=bad)
    with pytest.raises(ValueError, match="0 for PCA"):
        ModelConfig(kind="pca", refine=5)
    with pytest.raises(ValueError, match="'refine' must be an integer"):
        ModelConfig.from_dict({"kind": "ae", "refine": "30"})
    assert ModelConfig.from_dict({"kind": "ae"}).refine == 0  # files from before the setting
