"""export: a dense decoder (batch norm folded) or PCA as plain layers that decode exactly as
torch does; a conv decoder has no such form. The page runs these layers (tests/browser/
test_live.py checks the browser against torch)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aeexplorer.app.export import decode_exported, export_decoder
from aeexplorer.core.latent.ops import ModelOps
from aeexplorer.core.models import ModelConfig, build_model


def _trained_looking(cfg: ModelConfig, seed: int = 0):
    """Batch norm statistics moved away from their start (folding them must matter)."""
    torch.manual_seed(seed)
    model = build_model(cfg)
    shape = (cfg.image_channels, cfg.image_size, cfg.image_size)
    if cfg.kind == "pca":
        return model.fit(torch.rand(64, *shape)).eval()
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.rand(32, *shape))
    return model.eval()


CONFIGS = {
    "vae-batchnorm": ModelConfig(kind="vae", hidden=(64, 32), batchnorm=True),
    "ae": ModelConfig(kind="ae", hidden=(48,)),
    "ae-sigmoid-units": ModelConfig(kind="ae", hidden=(40, 20), activation="sigmoid",
                                    batchnorm=True),
    "shallow": ModelConfig(kind="ae", hidden=()),
    "deep-latent": ModelConfig(kind="vae", latent_dim=5, hidden=(32,), batchnorm=True),
    "pca": ModelConfig(kind="pca", latent_dim=3),
    "colour-vae-32": ModelConfig(kind="vae", hidden=(32,), batchnorm=True, image_size=32,
                                 image_channels=3),
    "colour-pca-12": ModelConfig(kind="pca", latent_dim=4, image_size=12, image_channels=3),
    "grey-ae-20": ModelConfig(kind="ae", hidden=(24,), image_size=20),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_exported_layers_decode_as_torch(name):
    model = _trained_looking(CONFIGS[name])
    exported = export_decoder(model)
    z = torch.randn(200, model.config.latent_dim) * 3
    want = ModelOps(model).decode(z.numpy())  # (N, S, S) grey, (N, S, S, 3) colour
    got = decode_exported(exported, z.numpy())
    assert got.shape == want.shape == (200, *model.config.image_shape)
    assert np.abs(got - want).max() < 1e-5
    n_floats = sum(l["in"] * l["out"] + l["out"] for l in exported.spec["layers"])
    assert len(exported.blob) == 4 * n_floats  # float32, nothing else


def test_batch_norm_is_folded_away():
    exported = export_decoder(_trained_looking(CONFIGS["vae-batchnorm"]))
    # 2 -> 32 -> 64 -> 784: three linear layers, whatever the batch norms between them
    assert [(l["in"], l["out"], l["act"]) for l in exported.spec["layers"]] == [
        (2, 32, "relu"), (32, 64, "relu"), (64, 784, "none")]
    assert exported.spec["output"] == "sigmoid"


def test_a_colour_decoder_says_its_channels_and_gives_them_in_order():
    """The page reads the last layer's outputs as the red, green and blue planes one after
    the other: a model whose red plane is bright and blue one dark decodes red, not blue."""
    model = _trained_looking(CONFIGS["colour-vae-32"])
    last = model.decoder[0][-1]
    with torch.no_grad():  # the output layer's biases: red +8, green 0, blue -8 (per plane)
        last.bias.copy_(torch.tensor([8.0, 0.0, -8.0]).repeat_interleave(32 * 32))
        last.weight.mul_(0.01)
    exported = export_decoder(model)
    assert exported.spec["channels"] == 3 and exported.spec["side"] == 32
    image = decode_exported(exported, np.zeros((1, 2), np.float32))[0]
    assert image.shape == (32, 32, 3)
    assert image[..., 0].min() > 0.99 and image[..., 2].max() < 0.01
    assert abs(float(image[..., 1].mean()) - 0.5) < 0.05


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
