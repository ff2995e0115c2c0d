"""The shipped MNIST models of every family (issue: sparse, denoising, contractive, shallow,
β-VAE, PCA): each is there, and each does on real test images what its family is for, measured
against the plain deep autoencoder trained the same way."""

from __future__ import annotations

import pytest
import torch

from tests.helpers import REPO

SHIPPED = REPO / "checkpoints"
FAMILIES = {  # file -> what its model card must call it
    "mnist-pca": "PCA",
    "mnist-shallow-ae": "shallow AE",
    "mnist-sparse-l1": "sparse AE (L1",
    "mnist-sparse-kl": "sparse AE (KL",
    "mnist-dae-gaussian": "denoising AE (Gaussian",
    "mnist-dae-mask": "denoising AE (masking",
    "mnist-cae": "contractive AE",
    "mnist-bvae-beta4": "β-VAE (β=4)",
    "mnist-umap-ae": "UMAP AE",
    "mnist-map-ae": "map-first AE (UMAP)",
}


def _load(name: str):
    from aeexplorer.core.checkpoints.file import load_checkpoint

    return load_checkpoint(SHIPPED / f"{name}.safetensors")


@pytest.fixture(scope="module")
def test_images(data_root) -> torch.Tensor:
    from aeexplorer.core.datasets.loading import load_split

    return load_split("mnist", False, data_root).images[:500]


@pytest.mark.parametrize("name", FAMILIES)
def test_every_family_ships_for_mnist(name):
    from aeexplorer.core.checkpoints.card import family, read_card, train_config

    card = read_card(SHIPPED / f"{name}.safetensors")
    assert card["dataset"] == "mnist" and card["config"].latent_dim == 2
    assert family(card["config"], train_config(card)).startswith(FAMILIES[name])


@torch.no_grad()
def _denoised_mse(ckpt, clean: torch.Tensor, kind: str, level: float) -> float:
    from aeexplorer.core.training.noise import corrupt

    noisy = corrupt(clean, kind, level, torch.Generator().manual_seed(0))
    mu, _ = ckpt.model.encode(noisy)
    return float((ckpt.model.decode(mu) - clean).pow(2).mean())


@pytest.mark.parametrize("name,kind,level", [("mnist-dae-gaussian", "gaussian", 0.5),
                                             ("mnist-dae-mask", "mask", 0.5)])
def test_a_denoising_ae_cleans_its_noise_better_than_the_plain_ae(test_images, name, kind,
                                                                    level):
    dae = _denoised_mse(_load(name), test_images, kind, level)
    plain = _denoised_mse(_load("mnist-ae"), test_images, kind, level)
    # a 2-D code already ignores much of the noise (it keeps little beyond the digit's
    # class and style), so the margin is modest: at least a tenth less error
    assert dae < 0.9 * plain, (dae, plain)


@torch.no_grad()
def _hidden(name: str, images: torch.Tensor) -> torch.Tensor:
    return _load(name).model.encode_hidden(images)[0]


def test_the_l1_model_has_sparser_hidden_units_than_the_plain_ae(test_images):
    sparse, plain = _hidden("mnist-sparse-l1", test_images), _hidden("mnist-ae", test_images)
    assert sparse.abs().sum(1).mean() < 0.5 * plain.abs().sum(1).mean()
    assert (sparse > 1e-3).float().mean() < (plain > 1e-3).float().mean()


def test_the_kl_model_mean_activations_sit_near_rho(test_images):
    from aeexplorer.core.checkpoints.card import number, read_card, train_config

    rho = number(train_config(read_card(SHIPPED / "mnist-sparse-kl.safetensors")),
                 "sparsity_target")
    mean = _hidden("mnist-sparse-kl", test_images).mean(0)  # per unit, over images
    assert abs(float(mean.mean()) - rho) < rho  # within a factor 2 of the target, on average


def test_the_contractive_ae_has_the_smaller_jacobian(test_images):
    from aeexplorer.core.training.losses import contractive

    def jacobian_norm(name: str) -> float:
        model = _load(name).model
        x = test_images[:64].clone().requires_grad_(True)
        return float(contractive(model.encode(x)[0], x).detach())

    assert jacobian_norm("mnist-cae") < 0.5 * jacobian_norm("mnist-ae")


def test_the_deep_ae_beats_pca_on_error_and_on_neighbours():
    from aeexplorer.core.checkpoints.card import read_card

    metrics = {n: read_card(SHIPPED / f"{n}.safetensors")["metrics"]
               for n in ("mnist-pca", "mnist-ae", "mnist-shallow-ae")}
    assert metrics["mnist-ae"]["recon_mse"] < metrics["mnist-pca"]["recon_mse"]
    assert metrics["mnist-ae"]["knn5_accuracy"] > metrics["mnist-pca"]["knn5_accuracy"]


def test_a_larger_beta_pays_in_reconstruction_for_a_code_closer_to_the_prior():
    from aeexplorer.core.checkpoints.card import read_card

    beta4, vae = (read_card(SHIPPED / f"{n}.safetensors")["metrics"]
                  for n in ("mnist-bvae-beta4", "mnist-vae"))
    assert beta4["kl"] < vae["kl"] and beta4["recon_bce"] > vae["recon_bce"]


def test_the_umap_ae_keeps_digits_together_better_than_the_plain_ae():
    """Its figures as the files carry them (``evaluate`` measured them; another test
    re-evaluates the shipped files): a map that keeps each digit's neighbours, with the
    decoder paying little for it."""
    from aeexplorer.core.checkpoints.header import read_card

    umap, ae = (read_card(SHIPPED / f"{n}.safetensors")["metrics"]
                for n in ("mnist-umap-ae", "mnist-ae"))
    assert umap["knn5_accuracy"] > ae["knn5_accuracy"] + 0.05
    assert umap["continuity"] > ae["continuity"]
    assert umap["recon_mse"] < 1.15 * ae["recon_mse"]


def test_the_map_first_ae_keeps_the_digits_apart_at_the_umap_aes_reconstruction():
    """The issue's MNIST targets, as the file carries its figures: 5-NN >= 0.95,
    trustworthiness >= 0.96 (its codes polished by the decoder) and a reconstruction MSE <=
    0.036, better on each than the UMAP AE trained with the network (docs/results.md)."""
    from aeexplorer.core.checkpoints.header import read_card

    card = read_card(SHIPPED / "mnist-map-ae.safetensors")
    first, umap = card["metrics"], read_card(SHIPPED / "mnist-umap-ae.safetensors")["metrics"]
    assert card["config"].refine == 30
    assert first["knn5_accuracy"] >= 0.95 and first["recon_mse"] <= 0.036
    assert first["trustworthiness"] >= 0.96
    assert first["knn5_accuracy"] > umap["knn5_accuracy"]
    assert first["recon_mse"] < umap["recon_mse"]
    assert first["trustworthiness"] > umap["trustworthiness"]
    assert first["train_seconds"] < 15 * 60


def test_the_fashion_map_first_ae_keeps_its_map_and_the_clothes_apart():
    """The issue's Fashion-MNIST targets, as the file carries its figures: 5-NN >= 0.80 with a
    reconstruction MSE <= 0.026, trained in under 15 minutes. Its encoder alone gave 0.742
    (docs/results.md, "A kept map"): it keeps its t-SNE map, every training image's place, and
    places a test image where its nearest training image lies."""
    from aeexplorer.core.checkpoints.card import family, train_config
    from aeexplorer.core.checkpoints.header import read_card

    card = read_card(SHIPPED / "fashion-map-ae.safetensors")
    kept, vae = card["metrics"], read_card(SHIPPED / "fashion-vae.safetensors")["metrics"]
    assert card["dataset"] == "fashion" and card["config"].kept == 60_000
    assert family(card["config"], train_config(card)) == "map-first AE (t-SNE)"
    assert kept["knn5_accuracy"] >= 0.80 and kept["recon_mse"] <= 0.026
    assert kept["knn5_accuracy"] > vae["knn5_accuracy"] + 0.05
    assert kept["trustworthiness"] > vae["trustworthiness"]
    assert kept["train_seconds"] < 15 * 60
