"""export: a dense decoder (batch norm folded) or PCA as plain layers that decode exactly as
torch does; a conv decoder has no such form. The page runs these layers (tests/browser/
test_live.py checks the browser against torch)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aeexplorer.app.export import decode_exported, export_decoder
from aeexplorer.core.models import ModelConfig, build_model


def _trained_looking(cfg: ModelConfig, seed: int = 0):
    """Batch norm statistics moved away from their start (folding them must matter)."""
    torch.manual_seed(seed)
    model = build_model(cfg)
    if cfg.kind == "pca":
        return model.fit(torch.rand(64, 1, 28, 28)).eval()
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.rand(32, 1, 28, 28))
    return model.eval()


CONFIGS = {
    "vae-batchnorm": ModelConfig(kind="vae", hidden=(64, 32), batchnorm=True),
    "ae": ModelConfig(kind="ae", hidden=(48,)),
    "ae-sigmoid-units": ModelConfig(kind="ae", hidden=(40, 20), activation="sigmoid",
                                    batchnorm=True),
    "shallow": ModelConfig(kind="ae", hidden=()),
    "deep-latent": ModelConfig(kind="vae", latent_dim=5, hidden=(32,), batchnorm=True),
    "pca": ModelConfig(kind="pca", latent_dim=3),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_exported_layers_decode_as_torch(name):
    model = _trained_looking(CONFIGS[name])
    exported = export_decoder(model)
    z = torch.randn(200, model.config.latent_dim) * 3
    with torch.no_grad():
        want = model.decode(z).numpy()[:, 0]
    assert np.abs(decode_exported(exported, z.numpy()) - want).max() < 1e-5
    n_floats = sum(l["in"] * l["out"] + l["out"] for l in exported.spec["layers"])
    assert len(exported.blob) == 4 * n_floats  # float32, nothing else


def test_batch_norm_is_folded_away():
    exported = export_decoder(_trained_looking(CONFIGS["vae-batchnorm"]))
    # 2 -> 32 -> 64 -> 784: three linear layers, whatever the batch norms between them
    assert [(l["in"], l["out"], l["act"]) for l in exported.spec["layers"]] == [
        (2, 32, "relu"), (32, 64, "relu"), (64, 784, "none")]
    assert exported.spec["output"] == "sigmoid"


def test_pca_clips_instead_of_a_sigmoid():
    assert export_decoder(_trained_looking(CONFIGS["pca"])).spec["output"] == "clip"


def test_a_conv_decoder_cannot_run_in_the_page():
    assert export_decoder(build_model(ModelConfig(kind="vae", arch="conv", hidden=(16,),
                                                  channels=(4, 8)))) is None


def test_the_digest_follows_the_weights():
    a = export_decoder(_trained_looking(CONFIGS["ae"], seed=0))
    b = export_decoder(_trained_looking(CONFIGS["ae"], seed=1))
    assert a.digest != b.digest and a.digest == export_decoder(
        _trained_looking(CONFIGS["ae"], seed=0)).digest
