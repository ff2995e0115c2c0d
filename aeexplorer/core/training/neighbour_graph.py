"""The neighbour graph of the training images that the UMAP-type loss pulls together
(McInnes et al. 2018, "UMAP", sections 3.1 and 4.2.1), built once before training.

Exact k nearest neighbours, found in the images' top principal components (``PCA_DIMS``) rather
than in all pixels: an eighth of the arithmetic, and on MNIST the same neighbours for almost
every image. The distances are computed ``CHUNK`` rows at a time, so memory stays at
``CHUNK`` x n floats whatever n is; the time is n² x ``PCA_DIMS`` multiply-adds (about 20 s for
the 60,000 MNIST images on one core). Each edge carries UMAP's fuzzy membership weight
exp(-(d - rho_i) / sigma_i), with rho_i the distance to the nearest neighbour and sigma_i set
so that a point's weights sum to log2(k); training draws one neighbour per image by weight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

K = 15  # UMAP's default n_neighbors
PCA_DIMS = 50
CHUNK = 1024


@dataclass(frozen=True)
class NeighbourGraph:
    index: torch.Tensor  # (n, K) long: each image's neighbours, nearest first, never itself
    weight: torch.Tensor  # (n, K) float: their fuzzy membership weights, each in (0, 1]

    def sample(self, rows: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """One neighbour of each of ``rows``, drawn with probability by weight."""
        rows = rows.to(self.index.device)
        pick = torch.multinomial(self.weight[rows], 1, generator=generator).squeeze(1)
        return self.index[rows, pick]


def _project(images: torch.Tensor, dims: int) -> torch.Tensor:
    """The images as their coordinates on the top ``dims`` principal axes (float64 covariance:
    60,000 images summed in float32 lose the small components)."""
    flat = images.reshape(len(images), -1).float()
    flat = flat - flat.mean(dim=0)
    if flat.shape[1] <= dims:
        return flat
    cov = flat.double().T @ flat.double()
    _, vectors = torch.linalg.eigh(cov)  # ascending eigenvalues
    return flat @ vectors[:, -dims:].float()


def nearest(points: torch.Tensor, k: int, chunk: int = CHUNK) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` nearest other points of every point (Euclidean) and their distances, exact,
    ``chunk`` rows at a time."""
    n = len(points)
    if n <= k:
        raise ValueError(f"a neighbour graph of {k} neighbours needs more than {k} images")
    sq = points.pow(2).sum(dim=1)
    index = torch.empty(n, k, dtype=torch.long)
    dist = torch.empty(n, k)
    for start in range(0, n, chunk):
        rows = slice(start, min(start + chunk, n))
        d2 = (sq[rows, None] - 2 * points[rows] @ points.T + sq[None, :]).clamp_min(0)
        d2[torch.arange(d2.shape[0]), torch.arange(rows.start, rows.stop)] = math.inf
        values, found = torch.topk(d2, k, dim=1, largest=False, sorted=True)
        index[rows], dist[rows] = found, values.sqrt()
    return index, dist


def fuzzy_weights(dist: torch.Tensor, iterations: int = 64) -> torch.Tensor:
    """UMAP's membership weights of each row of neighbour distances (nearest first): sigma by
    bisection so that each row's weights sum to log2(k)."""
    k = dist.shape[1]
    target = math.log2(k)
    gaps = (dist - dist[:, :1]).double()
    lo = torch.zeros(len(dist), 1, dtype=torch.float64)
    hi = torch.full_like(lo, math.inf)
    sigma = torch.ones_like(lo)
    for _ in range(iterations):
        total = torch.exp(-gaps / sigma).sum(dim=1, keepdim=True)
        big = total > target  # too wide: narrow it
        hi = torch.where(big, sigma, hi)
        lo = torch.where(big, lo, sigma)
        sigma = torch.where(torch.isinf(hi), sigma * 2, (lo + hi) / 2)
    return torch.exp(-gaps / sigma).float().clamp_min(1e-6)


def build_graph(images: torch.Tensor, k: int = K) -> NeighbourGraph:
    """The neighbour graph of ``images`` (n, ...) held in memory, on the CPU."""
    with torch.no_grad():
        points = _project(images.detach().cpu(), PCA_DIMS)
        index, dist = nearest(points, k)
        return NeighbourGraph(index, fuzzy_weights(dist))
