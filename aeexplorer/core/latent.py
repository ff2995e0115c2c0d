"""Operations in latent space: batch encoding, nearest neighbours, paths, prior samples, grids."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from aeexplorer.core.models import Autoencoder


@dataclass
class Codes:
    mu: torch.Tensor  # (N, D) posterior means (the codes of an AE)
    logvar: torch.Tensor | None  # (N, D) posterior log-variances; None for an AE


@torch.no_grad()
def encode_all(model: Autoencoder, images: torch.Tensor, batch_size: int = 2048) -> Codes:
    """Encode (N, 1, 28, 28) images in batches on the model's device; results on the CPU."""
    model.eval()
    device = next(model.parameters()).device
    mus, logvars = [], []
    for start in range(0, images.shape[0], batch_size):
        mu, logvar = model.encode(images[start : start + batch_size].to(device))
        mus.append(mu.cpu())
        if logvar is not None:
            logvars.append(logvar.cpu())
    return Codes(torch.cat(mus), torch.cat(logvars) if logvars else None)


def nearest(
    reference: torch.Tensor, queries: torch.Tensor, k: int = 5, chunk: int = 1024
) -> tuple[torch.Tensor, torch.Tensor]:
    """k nearest reference rows (Euclidean) for each query: (distances, indices), each (Q, k)."""
    k = min(k, reference.shape[0])
    dists, idxs = [], []
    for start in range(0, queries.shape[0], chunk):
        d = torch.cdist(queries[start : start + chunk].float(), reference.float())
        top = d.topk(k, dim=1, largest=False)  # sorted nearest first
        dists.append(top.values)
        idxs.append(top.indices)
    return torch.cat(dists), torch.cat(idxs)


def vote(neighbour_labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Majority vote per row of (Q, k) labels sorted nearest first; ties go to the nearer."""
    q, k = neighbour_labels.shape
    # each neighbour adds 1, plus a tie-breaking bonus 2^-(rank+1): every bonus outweighs all
    # the later ones together (< 1 in total), so among tied classes the one holding the nearest
    # neighbour wins (a linear bonus can tie: ranks 0+3 = 1+2)
    weights = 1.0 + torch.pow(2.0, -(torch.arange(k, dtype=torch.float64) + 1))
    scores = torch.zeros(q, n_classes, dtype=torch.float64)
    scores.scatter_add_(1, neighbour_labels.long(), weights.expand(q, k).contiguous())
    return scores.argmax(dim=1)


def knn_accuracy(
    train_codes: torch.Tensor,
    train_labels: torch.Tensor,
    test_codes: torch.Tensor,
    test_labels: torch.Tensor,
    k: int = 5,
) -> float:
    _, idx = nearest(train_codes, test_codes, k)
    n_classes = int(max(train_labels.max(), test_labels.max())) + 1
    pred = vote(train_labels[idx], n_classes)
    return float((pred == test_labels).float().mean())


def interpolate(a: torch.Tensor, b: torch.Tensor, n: int, method: str = "linear") -> torch.Tensor:
    """n points from a to b inclusive, (n, D). ``slerp`` follows the great circle between the
    two directions and interpolates the norms linearly (White 2016, "Sampling Generative
    Networks"), which keeps a walk through a Gaussian prior away from its low-density centre."""
    if n < 2:
        raise ValueError("an interpolation needs at least 2 frames")
    t = torch.linspace(0.0, 1.0, n).unsqueeze(1)
    a, b = a.float().flatten(), b.float().flatten()
    if method == "linear":
        return (1 - t) * a + t * b
    if method != "slerp":
        raise ValueError(f"unknown interpolation {method!r}: use 'linear' or 'slerp'")
    na, nb = a.norm(), b.norm()
    if na < 1e-8 or nb < 1e-8:
        return (1 - t) * a + t * b
    ua, ub = a / na, b / nb
    omega = torch.arccos(torch.clamp(ua @ ub, -1.0, 1.0))
    if omega < 1e-6:  # same direction: the great circle is a point
        direction = ua.expand(n, -1)
    elif math.pi - omega < 1e-6:  # opposite: no unique circle; go straight through
        return (1 - t) * a + t * b
    else:
        direction = (torch.sin((1 - t) * omega) * ua + torch.sin(t * omega) * ub) / torch.sin(omega)
    return direction * ((1 - t) * na + t * nb)


def path(stops: list[torch.Tensor] | torch.Tensor, n: int, method: str = "linear") -> torch.Tensor:
    """A walk through two or more stops with n frames per leg; shared stops appear once."""
    stops = [torch.as_tensor(s, dtype=torch.float32) for s in stops]
    if len(stops) < 2:
        raise ValueError("a path needs at least two stops")
    legs = [interpolate(a, b, n, method) for a, b in zip(stops[:-1], stops[1:])]
    return torch.cat([legs[0]] + [leg[1:] for leg in legs[1:]])


def sample_prior(n: int, latent_dim: int, seed: int = 0, temperature: float = 1.0) -> torch.Tensor:
    """n draws from N(0, temperature^2 I), reproducible from the seed."""
    g = torch.Generator().manual_seed(int(seed))
    return torch.randn(n, latent_dim, generator=g) * float(temperature)


def grid(x_range: tuple[float, float], y_range: tuple[float, float], n: int) -> torch.Tensor:
    """An n x n grid over a 2-D range, (n*n, 2), rows from top (high y) to bottom."""
    xs = torch.linspace(x_range[0], x_range[1], n)
    ys = torch.linspace(y_range[1], y_range[0], n)
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([xx.flatten(), yy.flatten()], dim=1)


@torch.no_grad()
def decode(model: Autoencoder, z: torch.Tensor) -> torch.Tensor:
    """Decode (N, D) codes to (N, 28, 28) images in [0, 1] on the CPU."""
    device = next(model.parameters()).device
    z = torch.as_tensor(z, dtype=torch.float32).reshape(-1, model.config.latent_dim)
    return model.decode(z.to(device)).squeeze(1).cpu()
