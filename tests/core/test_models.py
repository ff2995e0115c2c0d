"""Models: shapes of every family, the [0, 1] decoder range, the reparameterisation, and the
config (round trip through JSON, and invalid values refused)."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from aeexplorer.core.models import ModelConfig, ModelOutput, build_model, count_parameters

FAMILIES = [(kind, arch) for kind in ("ae", "vae") for arch in ("dense", "conv")]


def small_config(kind="vae", arch="dense", latent_dim=2, batchnorm=False) -> ModelConfig:
    return ModelConfig(kind=kind, arch=arch, latent_dim=latent_dim, hidden=(32, 16),
                       channels=(4, 8), batchnorm=batchnorm)


def images(n=6, seed=0) -> torch.Tensor:
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("latent_dim", [2, 5])
@pytest.mark.parametrize("kind,arch", FAMILIES)
@pytest.mark.parametrize("batchnorm", [False, True])
def test_shapes_of_every_family(kind, arch, latent_dim, batchnorm):
    torch.manual_seed(0)
    model = build_model(small_config(kind, arch, latent_dim, batchnorm)).eval()
    x = images(6)
    mu, logvar = model.encode(x)
    assert mu.shape == (6, latent_dim)
    if kind == "vae":
        assert logvar is not None and logvar.shape == (6, latent_dim)
        z = model.reparameterize(mu, logvar)
        assert z.shape == (6, latent_dim)
    else:
        assert logvar is None
    out_img = model.decode(torch.randn(6, latent_dim) * 5)
    assert out_img.shape == (6, 1, 28, 28)
    assert out_img.min() >= 0.0 and out_img.max() <= 1.0
    out = model(x)
    assert isinstance(out, ModelOutput)
    assert out.logits.shape == (6, 1, 28, 28)
    assert out.z.shape == out.mu.shape == (6, latent_dim)
    assert (out.logvar is None) == (kind == "ae")
    # decode is the sigmoid of the logits the loss sees
    torch.testing.assert_close(model.decode(out.z), torch.sigmoid(out.logits))
    assert count_parameters(model) == sum(p.numel() for p in model.parameters()) > 0


@pytest.mark.parametrize("kind,arch", FAMILIES)
def test_eval_decodes_the_mean_and_training_samples(kind, arch):
    torch.manual_seed(0)
    model = build_model(small_config(kind, arch))
    x = images(4)
    model.eval()
    out = model(x)
    assert torch.equal(out.z, out.mu)  # eval: the posterior mean (or the AE's code)
    model.train()
    out = model(x)
    if kind == "vae":
        assert not torch.allclose(out.z, out.mu)  # training: a posterior sample
    else:
        assert torch.equal(out.z, out.mu)
    out = model(x, sample=False)
    assert torch.equal(out.z, out.mu)


def test_batch_items_are_independent_in_eval():
    """Encoding an image alone or in a batch gives the same code (no batch coupling)."""
    torch.manual_seed(0)
    model = build_model(small_config("vae", "conv", batchnorm=True)).eval()
    x = images(5)
    mu_all, _ = model.encode(x)
    mu_one, _ = model.encode(x[2:3])
    torch.testing.assert_close(mu_all[2:3], mu_one, rtol=1e-5, atol=1e-6)


def test_reparameterize_is_mu_plus_sigma_eps():
    model = build_model(small_config("vae"))
    mu = torch.tensor([[1.0, -2.0], [0.5, 3.0]])
    logvar = torch.tensor([[0.0, 2.0], [-1.0, -30.0]])
    z = model.reparameterize(mu, logvar, generator=torch.Generator().manual_seed(7))
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(7))
    torch.testing.assert_close(z, mu + eps * torch.exp(0.5 * logvar))
    # reproducible with a generator, and a tiny variance collapses onto the mean
    z2 = model.reparameterize(mu, logvar, generator=torch.Generator().manual_seed(7))
    assert torch.equal(z, z2)
    assert abs(float(z[1, 1]) - 3.0) < 1e-5


def test_reparameterize_statistics_and_gradients():
    model = build_model(small_config("vae"))
    mu = torch.full((20000, 2), 1.5, requires_grad=True)
    logvar = torch.full((20000, 2), float(torch.log(torch.tensor(0.25))), requires_grad=True)
    z = model.reparameterize(mu, logvar, generator=torch.Generator().manual_seed(0))
    assert abs(float(z.detach().mean()) - 1.5) < 0.02
    assert abs(float(z.detach().std()) - 0.5) < 0.02
    z.sum().backward()  # gradients flow to both parameters through the sample
    assert mu.grad is not None and torch.all(mu.grad == 1.0)
    assert logvar.grad is not None and torch.isfinite(logvar.grad).all()
    assert logvar.grad.abs().sum() > 0


@pytest.mark.parametrize("kind,arch", FAMILIES)
@pytest.mark.parametrize("latent_dim", [2, 5])
def test_config_round_trip(kind, arch, latent_dim):
    cfg = ModelConfig(kind=kind, arch=arch, latent_dim=latent_dim, hidden=(64, 32, 16),
                      channels=(8, 16), batchnorm=True)
    data = json.loads(cfg.to_json())
    assert data["hidden"] == [64, 32, 16] and data["kind"] == kind
    back = ModelConfig.from_dict(data)
    assert back == cfg
    assert isinstance(back.hidden, tuple) and isinstance(back.channels, tuple)
    assert back.to_json() == cfg.to_json()
    # the rebuilt config builds a model with the same parameter shapes
    a = {k: v.shape for k, v in build_model(cfg).state_dict().items()}
    b = {k: v.shape for k, v in build_model(back).state_dict().items()}
    assert a == b
    assert cfg.variational == (kind == "vae")
    assert cfg.name == f"{arch}-{kind}"


def test_partial_config_uses_defaults():
    assert ModelConfig.from_dict({"kind": "ae"}) == ModelConfig(kind="ae")
    assert ModelConfig.from_dict({}) == ModelConfig()


def test_config_is_frozen():
    cfg = ModelConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.latent_dim = 3  # type: ignore[misc]


@pytest.mark.parametrize("kwargs", [
    {"kind": "gan"},
    {"kind": "VAE"},
    {"arch": "rnn"},
    {"latent_dim": 0},
    {"latent_dim": -2},
    {"latent_dim": 513},
    {"hidden": (32, 0)},
    {"hidden": (5000,)},
    {"hidden": (8,) * 9},
    {"channels": (8,)},
    {"channels": (8, 16, 32)},
    {"channels": (0, 8)},
    {"channels": (8, 1000)},
    {"image_size": 4},
    {"image_size": 30, "arch": "conv"},
    {"image_channels": 2},
    {"activation": "tanh"},
    {"kind": "pca", "arch": "conv"},
])
def test_invalid_configs_are_rejected(kwargs):
    with pytest.raises(ValueError):
        ModelConfig(**kwargs)


@pytest.mark.parametrize("data", [
    ["vae"],
    "vae",
    None,
    {"kind": "vae", "colour": "red"},
    {"latent_dim": "2"},
    {"latent_dim": 2.0},
    {"latent_dim": True},
    {"latent_dim": None},
    {"hidden": 32},
    {"hidden": "32,16"},
    {"hidden": [32, 16.5]},
    {"hidden": [32, True]},
    {"hidden": [0]},
    {"activation": 1},
    {"channels": [4, "8"]},
    {"batchnorm": 1},
    {"batchnorm": "true"},
    {"kind": 1},
    {"arch": None},
    {"image_size": 28.0},
    {"latent_dim": 0},
])
def test_from_dict_rejects_wrong_names_types_and_values(data):
    with pytest.raises(ValueError):
        ModelConfig.from_dict(data)
