"""What the explorer shows, computed from a loaded checkpoint: decoded points, walks, prior
samples, the decoded manifold. Inputs are plain lists / numbers, outputs numpy arrays, so the UI
never touches a tensor. torch is imported inside the functions: importing this module is cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from aeexplorer.core.checkpoint import Checkpoint

Range = tuple[float, float]


def map_xy(mu: np.ndarray) -> np.ndarray:
    """(N, D) codes -> (N, 2) map coordinates: the first two latent dimensions (a 1-D code is
    drawn on the z1 axis)."""
    mu = np.asarray(mu, dtype=np.float32)
    xy = mu[:, :2] if mu.shape[1] >= 2 else np.concatenate([mu, np.zeros_like(mu)], axis=1)
    return np.ascontiguousarray(xy)


def map_bounds(xy: np.ndarray, pad: float = 0.08) -> tuple[Range, Range]:
    """A view that holds nearly all codes (0.2 to 99.8 percentiles, padded): a few far outliers
    of a plain autoencoder must not squash the map into a corner."""
    if len(xy) == 0:
        return (-3.0, 3.0), (-3.0, 3.0)
    lo = np.percentile(xy, 0.2, axis=0)
    hi = np.percentile(xy, 99.8, axis=0)
    span = np.maximum(hi - lo, 1e-3)
    lo, hi = lo - pad * span, hi + pad * span
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


def full_z(ckpt: Checkpoint, xy: Sequence[float]) -> list[float]:
    """A map position -> a full code: the first two dimensions from the map, the rest zero."""
    dim = ckpt.config.latent_dim
    z = [float(v) for v in list(xy)[:dim]]
    return z + [0.0] * (dim - len(z))


def code_of(ckpt: Checkpoint, index: int) -> list[float]:
    """The full code of test image ``index`` from the atlas."""
    return [float(v) for v in ckpt.atlas.mu[int(index)].tolist()]


def decode_many(ckpt: Checkpoint, zs: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    """(N, D) codes (or (N, 2) map positions) -> (N, 28, 28) images in [0, 1]."""
    import torch

    from aeexplorer.core.latent import decode

    arr = np.asarray(zs, dtype=np.float32).reshape(len(zs), -1)
    if arr.shape[0] == 0:
        return np.zeros((0, 28, 28), dtype=np.float32)
    dim = ckpt.config.latent_dim
    if arr.shape[1] < dim:
        arr = np.concatenate([arr, np.zeros((arr.shape[0], dim - arr.shape[1]), np.float32)], 1)
    return decode(ckpt.model, torch.from_numpy(arr[:, :dim])).numpy()


def decode_one(ckpt: Checkpoint, z: Sequence[float]) -> np.ndarray:
    return decode_many(ckpt, [list(z)])[0]


def walk(ckpt: Checkpoint, stops: Sequence[Sequence[float]], n: int,
         method: str = "linear") -> tuple[np.ndarray, np.ndarray]:
    """A walk through two or more stops, n frames per leg -> (codes (M, D), frames (M, 28, 28))."""
    from aeexplorer.core.latent import path

    full = [full_z(ckpt, s) for s in stops]
    zs = path([np.asarray(s, dtype=np.float32) for s in full], n, method).numpy()
    return zs, decode_many(ckpt, zs)


def prior(ckpt: Checkpoint, n: int, seed: int = 0,
          temperature: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """n draws from N(0, T^2 I) and their decodings -> (codes (n, D), images (n, 28, 28))."""
    from aeexplorer.core.latent import sample_prior

    zs = sample_prior(n, ckpt.config.latent_dim, seed, temperature).numpy()
    return zs, decode_many(ckpt, zs)


def manifold(ckpt: Checkpoint, x_range: Range, y_range: Range,
             n: int) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """An n x n grid of decodings over the ranges, tiled edge to edge into one image, and the
    extent (x0, x1, y0, y1) it covers on the map: each tile is centred on its grid point."""
    from aeexplorer.core.latent import grid

    n = max(2, int(n))
    zs = grid(tuple(x_range), tuple(y_range), n).numpy()
    images = decode_many(ckpt, zs)
    big = images.reshape(n, n, 28, 28).transpose(0, 2, 1, 3).reshape(n * 28, n * 28)
    dx = (x_range[1] - x_range[0]) / (n - 1)
    dy = (y_range[1] - y_range[0]) / (n - 1)
    extent = (x_range[0] - dx / 2, x_range[1] + dx / 2, y_range[0] - dy / 2, y_range[1] + dy / 2)
    return big, extent


def random_of_class(labels: np.ndarray, label: int, seed: int) -> int | None:
    """A random atlas index with the given label (None when the class is absent)."""
    idx = np.flatnonzero(np.asarray(labels) == int(label))
    if idx.size == 0:
        return None
    return int(np.random.default_rng(seed).choice(idx))


def majority(labels: Sequence[int]) -> int:
    """The most common of neighbours' labels, given nearest first; a tie goes to the class met
    first (the nearer neighbour). ValueError when there are none."""
    labels = [int(v) for v in labels]
    if not labels:
        raise ValueError("no labels to vote on")
    return max(labels, key=lambda lab: (labels.count(lab), -labels.index(lab)))


def label_vote(labels: Sequence[int], class_names: Sequence[str]) -> str:
    """'3 (4 of 5)': the most common label among neighbours (ties to the nearer) and its count."""
    labels = [int(v) for v in labels]
    if not labels:
        return "no neighbours"
    best = majority(labels)
    return f"{class_names[best]} ({labels.count(best)} of {len(labels)})"
