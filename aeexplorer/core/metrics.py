"""Test-set metrics, as ``python -m aeexplorer evaluate --json`` prints them (their labels and
formats: ``aeexplorer.core.metric_table``).

- recon_bce: Bernoulli NLL summed over pixels, mean over images (nats per image). For a VAE it
  is the ELBO's reconstruction term, estimated with one posterior sample per image (fixed
  seed), so that neg_elbo = recon_bce + kl is an honest bound.
- recon_mse: mean squared error per pixel of the reconstruction a user sees (encode, then
  decode the code: the posterior mean for a VAE; see ``ops.reconstruct``).
- knn5_accuracy: 5-NN classifier fit on the training codes, scored on the test codes; None
  (and ``knn5_note`` says why) for data without labels, where there is nothing to score.
"""

from __future__ import annotations

import torch

from aeexplorer.core.data import Split
from aeexplorer.core.losses import bce_per_image, kl_per_image
from aeexplorer.core.models import Autoencoder, count_parameters
from aeexplorer.core.neighbours import knn_accuracy
from aeexplorer.core.ops import ModelOps
from aeexplorer.core.runtime import device_of


@torch.no_grad()
def reconstruction_metrics(
    model: Autoencoder, data: Split, batch_size: int = 1000, seed: int = 0
) -> dict[str, float | None]:
    gen = torch.Generator(device=device_of(model)).manual_seed(seed)
    bce = mse = kl = 0.0
    for x in ModelOps(model).batches(data.images, batch_size):
        mu, logvar = model.encode(x)
        logits_mean = model.decode_logits(mu)
        mse += (torch.sigmoid(logits_mean) - x).pow(2).mean(dim=(1, 2, 3)).sum().item()
        if logvar is None:
            bce += bce_per_image(logits_mean, x).sum().item()
        else:
            z = model.reparameterize(mu, logvar, generator=gen)
            bce += bce_per_image(model.decode_logits(z), x).sum().item()
            kl += kl_per_image(mu, logvar).sum().item()
    n = len(data)
    variational = model.config.variational
    return {
        "recon_bce": bce / n,
        "recon_mse": mse / n,
        "kl": kl / n if variational else None,
        "neg_elbo": (bce + kl) / n if variational else None,
    }


def evaluate(model: Autoencoder, train: Split, test: Split) -> dict:
    """All metrics of one model (``metrics``) and its test codes (``test_codes``, the atlas
    training stores)."""
    ops = ModelOps(model)
    test_codes = ops.encode(test.images.numpy())
    train_codes = ops.encode(train.images.numpy())
    metrics = reconstruction_metrics(model, test)
    metrics.update(_knn5(train_codes.mu, train, test_codes.mu, test))
    metrics["n_test"] = len(test)
    if train.skipped or test.skipped:
        metrics["skipped_files"] = train.skipped + test.skipped
    metrics["parameters"] = count_parameters(model)
    return {"metrics": metrics, "test_codes": test_codes}


def _knn5(train_mu, train: Split, test_mu, test: Split) -> dict:
    """The 5-NN accuracy over the labelled images of both splits, or None and the reason."""
    keep_train, keep_test = train.labels.numpy() >= 0, test.labels.numpy() >= 0
    if not (train.labelled and test.labelled and keep_train.sum() >= 5):
        return {"knn5_accuracy": None,
                "knn5_note": "left out: the data set has no labels to classify by"}
    return {"knn5_accuracy": knn_accuracy(train_mu[keep_train], train.labels.numpy()[keep_train],
                                          test_mu[keep_test], test.labels.numpy()[keep_test], k=5)}
