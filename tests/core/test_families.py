"""The model families: the registry's invariants (each family's command line parses into the
settings it fixes; its form fields and settings are real fields), and the other autoencoder
families' training: each penalty behaves as defined, PCA is the projection, the noise corrupts
what the model sees (not what it is scored on), and each family's loss falls on a tiny
synthetic set."""

from __future__ import annotations

import math
from dataclasses import asdict, fields
from pathlib import Path

import pytest
import torch

from aeexplorer import cli
from aeexplorer.cli.commands import configs
from aeexplorer.core.checkpoints.file import Atlas, load_checkpoint, save_checkpoint
from aeexplorer.core.datasets.split import Split
from aeexplorer.core.models import ModelConfig, build_model
from aeexplorer.core.training import families, request
from aeexplorer.core.training.config import TrainConfig, check_compatible
from aeexplorer.core.training.loop import train
from aeexplorer.core.training.losses import contractive, kl_sparsity, l1_sparsity
from aeexplorer.core.training.noise import corrupt
from aeexplorer.core.training.options import OPTIONS
from aeexplorer.core.training.step import batch_loss
from tests.helpers.images import synthetic_images


@pytest.fixture(scope="module")
def bars() -> Split:
    images, labels = synthetic_images(256, seed=0)
    return Split(images=images, labels=labels)


def small(**kw) -> ModelConfig:
    return ModelConfig(**{"kind": "ae", "hidden": (64,), **kw})


# --- the registry ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", families.FAMILIES)
def test_every_family_s_command_line_parses_into_the_settings_it_fixes(name):
    fam = families.FAMILIES[name]
    req = request.TrainRequest(family=name, hidden=(64, 32), epochs=3, seed=5)
    args = request.train_args(req, Path("runs/x.safetensors"), Path("data"))
    model_cfg, cfg = configs(cli.parse(args))  # the real parser, and the configs' own checks
    made = {**asdict(cfg), **asdict(model_cfg)}
    assert {k: made[k] for k in fam.settings} == fam.settings
    for key in fam.params:  # the form's values arrive, unless the family fixes them
        if key not in fam.settings:
            assert made[key] == getattr(req, key), key
    assert name in families.families_of(made)  # and its model is of this family


def test_the_registry_names_real_fields_and_curves():
    options = {o.field for o in OPTIONS}
    form = {f.name for f in fields(request.TrainRequest)}
    for name, fam in families.FAMILIES.items():
        assert fam.label and fam.about and fam.word, name
        assert fam.settings["kind"] in ("ae", "vae", "pca") and set(fam.settings) <= options
        assert set(fam.params) <= form & options, name
        assert fam.curve in (None, "kl", "penalty")
    assert set(families.QUALIFIERS) <= set(families.FAMILIES)


def test_the_denoise_page_s_hint_trains_a_denoising_ae():
    line = request.example_command("denoising", "fashion", "runs/f.safetensors")
    model_cfg, cfg = configs(cli.parse(line.split()[3:]))
    assert families.families_of({**asdict(cfg), **asdict(model_cfg)}) == ["denoising"]
    assert cfg.dataset == "fashion" and cfg.noise_level > 0


# --- penalties ---------------------------------------------------------------------------------

def test_contractive_penalty_equals_the_autograd_jacobian():
    torch.manual_seed(0)
    model = build_model(small(activation="sigmoid")).double()
    x = torch.rand(3, 1, 28, 28, dtype=torch.float64)
    xg = x.clone().requires_grad_(True)
    mu, _ = model.encode(xg)
    ours = contractive(mu, xg)
    norms = []
    for i in range(3):  # the full (2, 784) Jacobian of one image's code
        jac = torch.autograd.functional.jacobian(lambda v: model.encode(v)[0], x[i:i + 1])
        norms.append(jac.pow(2).sum())
    assert ours.item() == pytest.approx(torch.stack(norms).mean().item(), rel=1e-10)


def test_contractive_penalty_of_a_linear_encoder_is_its_weights_norm():
    model = build_model(small(hidden=()))
    x = torch.rand(4, 1, 28, 28).requires_grad_(True)
    mu, _ = model.encode(x)
    weight = model.encoder[1][0].weight  # the only layer: z = W x + b, so J = W everywhere
    assert contractive(mu, x).item() == pytest.approx(weight.pow(2).sum().item(), rel=1e-5)


def test_kl_sparsity_is_zero_at_rho_and_positive_elsewhere():
    rho = 0.05
    at_rho = torch.full((10, 32), rho)
    assert kl_sparsity(at_rho, rho).item() == pytest.approx(0.0, abs=1e-6)
    assert kl_sparsity(torch.full((10, 32), 0.3), rho).item() > 0
    # per unit: rho log(rho / q) + (1 - rho) log((1 - rho) / (1 - q)), summed over 32 units
    q = 0.3
    expected = 32 * (rho * math.log(rho / q) + (1 - rho) * math.log((1 - rho) / (1 - q)))
    assert kl_sparsity(torch.full((10, 32), q), rho).item() == pytest.approx(expected, rel=1e-5)


def test_kl_sparsity_uses_the_mean_activation_of_each_unit():
    half = torch.tensor([[0.0, 0.1], [0.1, 0.0]])  # each unit's mean is 0.05
    assert kl_sparsity(half, 0.05).item() == pytest.approx(0.0, abs=1e-5)


def test_l1_sparsity_is_the_mean_over_images_of_the_summed_magnitudes():
    h = torch.tensor([[1.0, -2.0, 0.0], [0.5, 0.5, 0.0]])
    assert l1_sparsity(h).item() == pytest.approx((3.0 + 1.0) / 2)


# --- PCA ---------------------------------------------------------------------------------------

def test_pca_round_trip_equals_the_projection(bars):
    model = build_model(ModelConfig(kind="pca", latent_dim=3)).fit(bars.images)
    w = model.components.double()
    assert torch.allclose(w @ w.T, torch.eye(3, dtype=torch.float64), atol=1e-5)  # orthonormal
    x = bars.images[:20]
    z, logvar = model.encode(x)
    assert logvar is None
    flat = x.flatten(1).double() - model.mean.double()
    projected = (model.mean.double() + flat @ w.T @ w).clamp(0, 1)
    assert torch.allclose(model.decode(z).flatten(1).double(), projected, atol=1e-5)


def test_pca_finds_the_top_singular_directions(bars):
    model = build_model(ModelConfig(kind="pca", latent_dim=2)).fit(bars.images)
    x = bars.images.flatten(1).double()
    _, _, vh = torch.linalg.svd(x - x.mean(0), full_matrices=False)
    for k in range(2):  # the same directions up to sign
        assert abs(float(vh[k] @ model.components[k].double())) == pytest.approx(1.0, abs=1e-4)


def test_pca_trains_in_one_pass_and_round_trips_through_a_checkpoint(bars, tmp_path):
    model, history = train(ModelConfig(kind="pca"), TrainConfig(epochs=1, device="cpu"), bars)
    assert history.finished and len(history.epochs) == 1
    z, _ = model.encode(bars.images)
    path = save_checkpoint(tmp_path / "pca.safetensors", model, "mnist",
                           Atlas(z, None, bars.labels))
    loaded = load_checkpoint(path).model
    assert torch.equal(loaded.encode(bars.images)[0], z)
    assert torch.equal(loaded.decode(z), model.decode(z))


# --- denoising ---------------------------------------------------------------------------------

def test_noise_corrupts_the_input_but_the_loss_uses_the_clean_image(bars):
    model = build_model(small()).train()
    seen = []
    model.encoder[0].register_forward_hook(lambda mod, inp, out: seen.append(inp[0].detach()))
    x = bars.images[:8]
    cfg = TrainConfig(noise="mask", noise_level=0.5)
    parts = batch_loss(model, x, cfg, beta=1.0, noise_gen=torch.Generator().manual_seed(0))
    assert not torch.equal(seen[0], x)
    assert torch.all((seen[0] == 0) | (seen[0] == x))  # masking: each pixel kept or zeroed
    from aeexplorer.core.training.losses import bce_per_image

    logits = model.decode_logits(model.encode(seen[0])[0])
    assert parts.recon.item() == pytest.approx(bce_per_image(logits, x).mean().item(), rel=1e-5)


@pytest.mark.parametrize("kind,level", [("gaussian", 0.3), ("mask", 0.25)])
def test_corrupt_keeps_pixels_in_range_and_is_reproducible(kind, level):
    x = torch.rand(5, 1, 28, 28)
    a = corrupt(x, kind, level, torch.Generator().manual_seed(1))
    b = corrupt(x, kind, level, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and not torch.equal(a, x)
    assert a.min() >= 0 and a.max() <= 1
    if kind == "mask":  # about a quarter of the pixels dropped
        assert 0.2 < float((a == 0).float().mean() - (x == 0).float().mean()) < 0.3


def test_zero_noise_changes_nothing():
    x = torch.rand(2, 1, 28, 28)
    assert torch.equal(corrupt(x, "gaussian", 0.0), x)


# --- training every family ---------------------------------------------------------------------

FAMILIES = {
    "sparse l1": (small(), dict(penalty="l1", penalty_weight=0.01)),
    "sparse kl": (small(activation="sigmoid"), dict(penalty="kl", penalty_weight=1.0)),
    "contractive": (small(), dict(penalty="contractive", penalty_weight=0.1)),
    "denoising": (small(), dict(noise="gaussian", noise_level=0.3)),
    "shallow": (small(hidden=()), dict(lr=3e-2)),  # one linear layer each way: learns slowly
    "beta-vae": (small(kind="vae"), dict(beta=4.0)),
}


@pytest.mark.parametrize("name", FAMILIES)
def test_each_family_loss_falls_on_a_tiny_synthetic_set(bars, name):
    model_cfg, extra = FAMILIES[name]
    cfg = TrainConfig(**{"epochs": 8, "batch_size": 32, "lr": 3e-3, "device": "cpu", **extra})
    _, history = train(model_cfg, cfg, bars)
    losses = [e.loss for e in history.epochs]
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < 0.8 * losses[0], losses
    if cfg.penalty != "none":
        assert all(e.penalty > 0 for e in history.epochs)


def test_the_kl_sparsity_penalty_drives_mean_activations_towards_rho(bars):
    model_cfg, extra = FAMILIES["sparse kl"]
    cfg = TrainConfig(epochs=8, batch_size=32, lr=3e-3, device="cpu", sparsity_target=0.05,
                      penalty="kl", penalty_weight=5.0)
    torch.manual_seed(0)
    with torch.no_grad():
        before = float(build_model(model_cfg).encode_hidden(bars.images)[0].mean())
    model, history = train(model_cfg, cfg, bars)
    assert history.epochs[-1].penalty < 0.5 * history.epochs[0].penalty
    with torch.no_grad():
        after = float(model.encode_hidden(bars.images)[0].mean())
    assert after - 0.05 < 0.6 * (before - 0.05), (before, after)


@pytest.mark.parametrize("model_kw,train_kw,words", [
    (dict(kind="pca"), dict(penalty="l1", penalty_weight=1.0), "closed form"),
    (dict(kind="pca"), dict(noise="mask", noise_level=0.2), "closed form"),
    (dict(kind="ae", hidden=()), dict(penalty="l1", penalty_weight=1.0), "--hidden"),
    (dict(kind="ae"), dict(penalty="kl", penalty_weight=1.0), "--activation sigmoid"),
    (dict(kind="ae", batchnorm=True), dict(penalty="contractive", penalty_weight=1.0),
     "--batchnorm"),
])
def test_incompatible_settings_say_what_to_change(model_kw, train_kw, words):
    with pytest.raises(ValueError, match=words):
        check_compatible(ModelConfig(**model_kw), TrainConfig(**train_kw))


@pytest.mark.parametrize("kw", [
    dict(penalty="l2"), dict(penalty="l1"), dict(penalty="l1", penalty_weight=float("nan")),
    dict(sparsity_target=0.0), dict(sparsity_target=1.0), dict(noise="salt"),
    dict(noise="gaussian", noise_level=-0.1), dict(noise="mask", noise_level=1.5),
])
def test_invalid_objectives_are_rejected(kw):
    with pytest.raises(ValueError):
        TrainConfig(**kw)
