"""How faithfully a map keeps the data's neighbours: trustworthiness and continuity
(Venna & Kaski 2001; the definitions of scikit-learn's ``trustworthiness``), exact.

For each point i, its k nearest neighbours on the map that are not among its k nearest in the
data cost their rank in the data minus k (trustworthiness: nothing on the map is near that was
far); swapped, the data's neighbours that the map puts far cost their rank on the map
(continuity: nothing near was torn apart). Both are 1 - 2 / (n k (2n - 3k - 1)) x the summed
cost, so 1 is perfect. Ranks count the points strictly nearer, ties going to the lower index.

Distances are computed ``CHUNK`` rows at a time in float64 (the ranks must not depend on
rounding): memory is a few ``CHUNK`` x n arrays, time n² x (dimensions) multiply-adds (about
half a minute for the 10,000 MNIST test images on one core). The data's ranks are the same for
every map of it: they are kept on disk per data set (``rank_cache``) and read back, so a second
model of the same test set costs only the map's 2-D distances.
"""

from __future__ import annotations

import numpy as np
import torch

from aeexplorer.core.latent import rank_cache

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
                               k: int = K, chunk: int = CHUNK,
                               cache: bool = True) -> tuple[float, float]:
    """Trustworthiness and continuity of ``codes`` (n, d) as a map of ``data`` (n, ...),
    exact: every point's neighbours among all n. Needs k < n / 2 (the normalisation).
    ``cache``: the data's pixel ranks are kept on disk (``rank_cache``), so that the next
    map of the same data costs only its own 2-D distances; the figures are the same."""
    high = torch.as_tensor(data).reshape(len(data), -1).double()
    low = torch.as_tensor(codes).reshape(len(codes), -1).double()
    n = len(high)
    if n != len(low) or not 0 < k < n / 2:
        raise ValueError(f"need as many codes as images and 0 < k < n / 2 (n={n}, k={k})")
    if cache and n <= rank_cache.MAX_POINTS:
        flat = torch.as_tensor(data).reshape(n, -1).cpu().numpy()
        table = rank_cache.pixel_ranks(flat, lambda out: _fill_ranks(high, out, chunk))
        lost_t, lost_c = _costs_from_ranks(table, low, k, chunk)
    else:
        lost_t, lost_c = _costs(high, low, k, chunk)
    scale = 2.0 / (n * k * (2 * n - 3 * k - 1))
    return 1.0 - scale * lost_t, 1.0 - scale * lost_c


def _costs(high: torch.Tensor, low: torch.Tensor, k: int, chunk: int) -> tuple[float, float]:
    """The summed trustworthiness and continuity costs, from both spaces' distances."""
    sq_high, sq_low = high.pow(2).sum(dim=1), low.pow(2).sum(dim=1)
    lost_t = lost_c = 0.0
    for start in range(0, len(high), chunk):
        d_high = _distances(high[start:start + chunk], high, sq_high, start)
        d_low = _distances(low[start:start + chunk], low, sq_low, start)
        lost_t += _cost(d_high, _nearest(d_low, k), k)
        lost_c += _cost(d_low, _nearest(d_high, k), k)
    return lost_t, lost_c


def _fill_ranks(high: torch.Tensor, out: np.ndarray, chunk: int) -> None:
    """``out[i, j]`` = the rank of j among i's neighbours in ``high`` (1 + the points strictly
    nearer, or as near with a lower index: a stable sort's order; i itself is last)."""
    sq = high.pow(2).sum(dim=1)
    n = len(high)
    for start in range(0, n, chunk):
        d2 = _distances(high[start:start + chunk], high, sq, start)
        order = torch.sort(d2, dim=1, stable=True).indices
        ranks = torch.empty_like(order)
        ranks.scatter_(1, order, torch.arange(1, n + 1).expand_as(order).contiguous())
        out[start:start + len(d2)] = ranks.numpy().astype(np.uint16)


def _costs_from_ranks(table: np.ndarray, low: torch.Tensor, k: int,
                      chunk: int) -> tuple[float, float]:
    """The summed costs with the data's ranks read from ``table`` (``_fill_ranks``): only the
    map's distances are computed."""
    sq_low = low.pow(2).sum(dim=1)
    lost_t = lost_c = 0.0
    for start in range(0, len(low), chunk):
        ranks = torch.from_numpy(np.asarray(table[start:start + chunk], dtype=np.int64))
        d_low = _distances(low[start:start + chunk], low, sq_low, start)
        lost_t += float((ranks.gather(1, _nearest(d_low, k)) - k).clamp_min(0).sum())
        near_high = torch.topk(ranks, k, dim=1, largest=False, sorted=True).indices
        lost_c += _cost(d_low, near_high, k)
    return lost_t, lost_c


def sample_rows(n: int, seed: int = 0, limit: int = MAX_POINTS) -> np.ndarray:
    """The rows the map metrics are measured on: all of them up to ``limit``, else a seeded
    sample of ``limit``, in order."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))
