"""export: every decoder (dense, conv, PCA; batch norm folded) as plain dense and transposed-
convolution layers that decode exactly as torch does. The page runs these layers (tests/browser/
test_live.py checks the browser against torch)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aeexplorer.app.export import decode_exported, export_decoder, layer_floats
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
    "conv-vae-batchnorm": ModelConfig(kind="vae", arch="conv", hidden=(16,), channels=(4, 8),
                                      batchnorm=True),
    "conv-ae": ModelConfig(kind="ae", arch="conv", hidden=(12,), channels=(3, 6)),
    "conv-shallow-sigmoid": ModelConfig(kind="ae", arch="conv", hidden=(), channels=(2, 5),
                                        activation="sigmoid"),
    "conv-colour-32": ModelConfig(kind="vae", arch="conv", hidden=(16,), channels=(4, 6),
                                  batchnorm=True, image_size=32, image_channels=3),
    "conv-grey-12": ModelConfig(kind="vae", arch="conv", latent_dim=3, hidden=(8,),
                                channels=(2, 3), image_size=12),
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
    assert len(exported.blob) == 4 * sum(map(layer_floats, exported.spec["layers"]))


def test_batch_norm_is_folded_away():
    exported = export_decoder(_trained_looking(CONFIGS["vae-batchnorm"]))
    # 2 -> 32 -> 64 -> 784: three linear layers, whatever the batch norms between them
    assert [(ly["in"], ly["out"], ly["act"]) for ly in exported.spec["layers"]] == [
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


def test_a_conv_decoder_is_dense_layers_then_transposed_convolutions_batch_norm_folded():
    exported = export_decoder(_trained_looking(CONFIGS["conv-vae-batchnorm"]))
    dense = [(ly["type"], ly["in"], ly["out"], ly["act"]) for ly in exported.spec["layers"][:2]]
    # 2 -> 16 -> 8 x 7 x 7, the batch norm after the MLP folded into its last linear
    assert dense == [("dense", 2, 16, "relu"), ("dense", 16, 392, "relu")]
    conv = [{k: ly[k] for k in ("in_c", "out_c", "k", "stride", "pad", "in_side", "out_side",
                              "act")} for ly in exported.spec["layers"][2:]]
    assert conv == [
        {"in_c": 8, "out_c": 4, "k": 4, "stride": 2, "pad": 1, "in_side": 7, "out_side": 14,
         "act": "relu"},
        {"in_c": 4, "out_c": 1, "k": 4, "stride": 2, "pad": 1, "in_side": 14, "out_side": 28,
         "act": "none"}]


def test_a_conv_decoders_feature_maps_are_channels_last():
    """The page reads (y, x, c): the dense layer feeding the first transposed convolution has
    its outputs reordered so, and a colour conv decoder's red plane is still the red one."""
    model = _trained_looking(CONFIGS["conv-colour-32"])
    last = model.decoder[-1]  # ConvTranspose2d(c1, 3): red +8, green 0, blue -8
    with torch.no_grad():
        last.bias.copy_(torch.tensor([8.0, 0.0, -8.0]))
        last.weight.mul_(0.001)
    exported = export_decoder(model)
    image = decode_exported(exported, np.zeros((1, 2), np.float32))[0]
    assert image.shape == (32, 32, 3)
    assert image[..., 0].min() > 0.99 and image[..., 2].max() < 0.01
    mlp_last = model.decoder[0][-1]  # 16 -> 6 x 8 x 8, torch's order (c, y, x)
    first = exported.spec["layers"][1]
    assert (first["type"], first["out"]) == ("dense", 6 * 8 * 8)
    flat = np.frombuffer(exported.blob, "<f4")
    at = layer_floats(exported.spec["layers"][0]) + first["in"] * first["out"]
    bias = flat[at:at + first["out"]].reshape(8, 8, 6)  # (y, x, c)
    norm = model.decoder[1]
    scale = (norm.weight / (norm.running_var + norm.eps).sqrt()).detach()
    want = (mlp_last.bias.detach() - norm.running_mean) * scale + norm.bias.detach()
    assert np.allclose(bias, want.numpy().reshape(6, 8, 8).transpose(1, 2, 0), atol=1e-6)


def test_a_decoder_with_a_module_the_page_cannot_run_is_not_exported():
    model = _trained_looking(CONFIGS["conv-ae"])
    model.decoder.append(torch.nn.Dropout(0.1))
    assert export_decoder(model) is None
    model = _trained_looking(CONFIGS["vae-batchnorm"])
    model.decoder[0].insert(1, torch.nn.Tanh())
    assert export_decoder(model) is None


def test_the_digest_follows_the_weights():
    a = export_decoder(_trained_looking(CONFIGS["ae"], seed=0))
    b = export_decoder(_trained_looking(CONFIGS["ae"], seed=1))
    assert a.digest != b.digest and a.digest == export_decoder(
        _trained_looking(CONFIGS["ae"], seed=0)).digest
