"""Test-set metrics, as ``python -m aeexplorer evaluate --json`` prints them (their labels and
formats: ``aeexplorer.core.checkpoints.metric_table``).

- recon_bce: Bernoulli NLL summed over pixels, mean over images (nats per image). For a VAE it
  is the ELBO's reconstruction term, estimated with one posterior sample per image (fixed
  seed), so that neg_elbo = recon_bce + kl is an honest bound.
- recon_mse: mean squared error per pixel of the reconstruction a user sees (encode, then
  decode the code: the posterior mean for a VAE; see ``ops.reconstruct``).
- Every figure reads the model's own codes (``refine.model_codes``): the encoder's, polished
  by the decoder for a model whose config asks for it, as the app's map shows them.
- knn5_accuracy: 5-NN classifier fit on the training codes, scored on the test codes; None
  (and ``knn5_note`` says why) for data without labels, where there is nothing to score.
- trustworthiness, continuity: how well the test codes keep the test images' 5 nearest
  neighbours in pixel space, exact (``aeexplorer.core.latent.faithfulness``), on all the test
  images up to 10,000 and on a seeded sample of 10,000 beyond.
"""

from __future__ import annotations

import numpy as np
import torch

from aeexplorer.core.datasets.split import Split
from aeexplorer.core.datasets.stream import indexed_batches, skipped
from aeexplorer.core.latent.faithfulness import sample_rows, trustworthiness_continuity
from aeexplorer.core.latent.neighbours import knn_accuracy
from aeexplorer.core.latent.ops import BATCH, Codes, ModelOps
from aeexplorer.core.latent.refine import model_codes
from aeexplorer.core.models import Autoencoder, count_parameters
from aeexplorer.core.runtime import device_of
from aeexplorer.core.training.losses import bce_per_image, kl_per_image

K_MAP = 5  # the neighbours the map metrics keep


def reconstruction_metrics(
    model: Autoencoder, data: Split, batch_size: int = 1000, seed: int = 0
) -> dict[str, float | None]:
    return _test_pass(model, data, batch_size, seed)[0]


@torch.no_grad()
def _test_pass(model: Autoencoder, data: Split, batch_size: int = 1000, seed: int = 0,
               pixels: list | None = None
               ) -> tuple[dict[str, float | None], Codes, np.ndarray]:
    """The reconstruction metrics of ``data``, and its codes and labels from the same pass:
    a streamed split's files are decoded once for all. ``pixels``, if given, receives each
    batch's images (flat, on the CPU) of the rows the map metrics measure, and their
    positions in the codes."""
    gen = torch.Generator(device=device_of(model)).manual_seed(seed)
    bce = mse = kl = 0.0
    n, device = 0, device_of(model.eval())
    mus, logvars, labels = [], [], []
    chosen = torch.zeros(len(data.images), dtype=torch.bool)
    chosen[torch.from_numpy(sample_rows(len(data.images), seed))] = True
    for x, index in indexed_batches(data.images, batch_size=batch_size):  # streamed or not
        if pixels is not None:
            keep = chosen[index.cpu()]
            at = torch.arange(n, n + len(x))[keep]
            pixels.append((x.cpu()[keep].flatten(1), at))
        x, n = x.to(device), n + len(x)
        mu, logvar = model_codes(model, x)
        mus.append(mu.cpu())
        logvars.append(None if logvar is None else logvar.cpu())
        labels.append(data.labels[index.to(data.labels.device)].numpy())
        logits_mean = model.decode_logits(mu)
        mse += (torch.sigmoid(logits_mean) - x).pow(2).mean(dim=(1, 2, 3)).sum().item()
        if logvar is None:
            bce += bce_per_image(logits_mean, x).sum().item()
        else:
            z = model.reparameterize(mu, logvar, generator=gen)
            bce += bce_per_image(model.decode_logits(z), x).sum().item()
            kl += kl_per_image(mu, logvar).sum().item()
    n = max(n, 1)
    variational = model.config.variational
    metrics = {
        "recon_bce": bce / n,
        "recon_mse": mse / n,
        "kl": kl / n if variational else None,
        "neg_elbo": (bce + kl) / n if variational else None,
    }
    return (metrics, *_codes(mus, logvars, labels, model.config.latent_dim, variational))


def _codes(mus: list, logvars: list, labels: list, latent_dim: int,
           variational: bool) -> tuple[Codes, np.ndarray]:
    """Batches of codes (tensors or arrays) and labels joined; empty ones when none."""
    if not mus:
        empty = np.zeros((0, latent_dim), np.float32)
        return Codes(empty, empty if variational else None), np.zeros(0, int)
    logvar = np.concatenate([np.asarray(v) for v in logvars]) if variational else None
    return (Codes(np.concatenate([np.asarray(m) for m in mus]), logvar),
            np.concatenate(labels))


def evaluate(model: Autoencoder, train: Split, test: Split) -> dict:
    """All metrics of one model (``metrics``), its test codes (``test_codes``, the atlas
    training stores) and their labels (``test_labels``: a streamed split leaves out the
    files that failed to decode). Both splits are read in batches, streamed or not."""
    ops = ModelOps(model)
    pixels: list = []
    metrics, test_codes, test_labels = _test_pass(model, test, pixels=pixels)
    train_codes, train_labels = encode_split(ops, train)
    labelled = train.labelled and test.labelled
    metrics.update(_knn5(train_codes.mu, train_labels, test_codes.mu, test_labels, labelled))
    metrics.update(map_metrics(pixels, test_codes.mu))
    metrics["n_test"] = len(test_labels)
    left_out = skipped(train) + skipped(test)
    if left_out:
        metrics["skipped_files"] = left_out
    metrics["parameters"] = count_parameters(model)
    return {"metrics": metrics, "test_codes": test_codes,
            "test_labels": torch.from_numpy(test_labels)}


def map_metrics(pixels: list, codes: np.ndarray) -> dict:
    """Trustworthiness and continuity (k = 5) of the codes of the images ``_test_pass``
    gathered; None, with the reason, for a test set too small to measure them."""
    images = torch.cat([p for p, _ in pixels]) if pixels else torch.zeros(0, 1)
    at = torch.cat([a for _, a in pixels]) if pixels else torch.zeros(0, dtype=torch.long)
    if len(images) < 4 * K_MAP:
        return {"trustworthiness": None, "continuity": None,
                "map_note": f"left out: fewer than {4 * K_MAP} test images"}
    trust, cont = trustworthiness_continuity(images, np.asarray(codes)[at.numpy()], K_MAP)
    return {"trustworthiness": trust, "continuity": cont}


def encode_split(ops: ModelOps, split: Split) -> tuple[Codes, np.ndarray]:
    """The codes of every image of ``split`` and their labels, batch by batch."""
    mus, logvars, labels = [], [], []
    for x, index in indexed_batches(split.images, batch_size=BATCH):
        codes = ops.encode(x)
        mus.append(codes.mu)
        logvars.append(codes.logvar)
        labels.append(split.labels[index.to(split.labels.device)].numpy())
    config = ops.model.config
    return _codes(mus, logvars, labels, config.latent_dim, config.variational)


def _knn5(train_mu, train_labels: np.ndarray, test_mu, test_labels: np.ndarray,
          labelled: bool) -> dict:
    """The 5-NN accuracy over the labelled images of both splits, or None and the reason."""
    keep_train, keep_test = train_labels >= 0, test_labels >= 0
    if not (labelled and keep_train.sum() >= 5 and keep_test.any()):
        return {"knn5_accuracy": None,
                "knn5_note": "left out: the data set has no labels to classify by"}
    return {"knn5_accuracy": knn_accuracy(train_mu[keep_train], train_labels[keep_train],
                                          test_mu[keep_test], test_labels[keep_test], k=5)}
