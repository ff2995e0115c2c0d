"""How faithfully a map keeps the data's neighbours: trustworthiness and continuity
(Venna & Kaski 2001; the definitions of scikit-learn's ``trustworthiness``), exact.

For each point i, its k nearest neighbours on the map that are not among its k nearest in the
data cost their rank in the data minus k (trustworthiness: nothing on the map is near that was
far); swapped, the data's neighbours that the map puts far cost their rank on the map
(continuity: nothing near was torn apart). Both are 1 - 2 / (n k (2n - 3k - 1)) x the summed
cost, so 1 is perfect. Ranks count the points strictly nearer, ties going to the lower index.

Distances are computed ``CHUNK`` rows at a time in float64 (the ranks must not depend on
rounding): memory is a few ``CHUNK`` x n arrays, time n² x (dimensions) multiply-adds (about
half a minute for the 10,000 MNIST test images on one core).
"""

from __future__ import annotations

import numpy as np
import torch

K = 5
CHUNK = 256
MAX_POINTS = 10_000  # a larger set is measured on a seeded sample of this many


def _distances(rows: torch.Tensor, points: torch.Tensor, sq: torch.Tensor,
               start: int) -> torch.Tensor:
    """Squared distances of ``rows`` (the points from ``start`` on) to all ``points``, each
    point's distance to itself set to infinity."""
    d2 = (sq[start:start + len(rows), None] - 2 * rows @ points.T + sq[None, :]).clamp_min(0)
    d2[torch.arange(len(rows)), torch.arange(start, start + len(rows))] = torch.inf
    return d2


def _cost(d2: torch.Tensor, neighbours: torch.Tensor, k: int) -> float:
    """Sum over each row of max(0, rank - k) of its ``neighbours`` (c, k) by the distances
    ``d2`` (c, n): rank = 1 + the points strictly nearer, or as near with a lower index."""
    at = d2.gather(1, neighbours)[:, :, None]  # (c, k, 1)
    ranks = (d2[:, None, :] < at).sum(dim=2) + 1
    if ((d2[:, None, :] <= at).sum(dim=2) + 1 > ranks + 1).any():  # a tie besides itself
        order = torch.arange(d2.shape[1], device=d2.device)
        ranks += ((d2[:, None, :] == at) & (order < neighbours[:, :, None])).sum(dim=2)
    return float((ranks - k).clamp_min(0).sum())


def _nearest(d2: torch.Tensor, k: int) -> torch.Tensor:
    """The ``k`` nearest of each row, ties going to the lower index: ``topk``, unless a row's
    k-th distance is shared with a point beyond them (then a stable sort settles it)."""
    values, found = torch.topk(d2, k, dim=1, largest=False, sorted=True)
    tied = (d2 <= values[:, -1:]).sum(dim=1) > k
    if not tied.any():
        return found
    found[tied] = torch.sort(d2[tied], dim=1, stable=True).indices[:, :k]
    return found


@torch.no_grad()
def trustworthiness_continuity(data: np.ndarray | torch.Tensor, codes: np.ndarray | torch.Tensor,
                               k: int = K, chunk: int = CHUNK) -> tuple[float, float]:
    """Trustworthiness and continuity of ``codes`` (n, d) as a map of ``data`` (n, ...),
    exact: every point's neighbours among all n. Needs k < n / 2 (the normalisation)."""
    high = torch.as_tensor(data).reshape(len(data), -1).double()
    low = torch.as_tensor(codes).reshape(len(codes), -1).double()
    n = len(high)
    if n != len(low) or not 0 < k < n / 2:
        raise ValueError(f"need as many codes as images and 0 < k < n / 2 (n={n}, k={k})")
    sq_high, sq_low = high.pow(2).sum(dim=1), low.pow(2).sum(dim=1)
    lost_t = lost_c = 0.0
    for start in range(0, n, chunk):
        d_high = _distances(high[start:start + chunk], high, sq_high, start)
        d_low = _distances(low[start:start + chunk], low, sq_low, start)
        lost_t += _cost(d_high, _nearest(d_low, k), k)
        lost_c += _cost(d_low, _nearest(d_high, k), k)
    scale = 2.0 / (n * k * (2 * n - 3 * k - 1))
    return 1.0 - scale * lost_t, 1.0 - scale * lost_c


def sample_rows(n: int, seed: int = 0, limit: int = MAX_POINTS) -> np.ndarray:
    """The rows the map metrics are measured on: all of them up to ``limit``, else a seeded
    sample of ``limit``, in order."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))
