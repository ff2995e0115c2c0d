"""Nearest test images to a query, two ways: by latent code (the atlas) and by raw pixels
(Euclidean over the 784 pixels). The two rows differ, which is the point: the encoder groups
images by what they show, pixel distance by how much ink lies where. numpy only."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# exact distances are recomputed for this many candidates beyond k (see PixelIndex.nearest)
RERANK_MARGIN = 32


@dataclass(frozen=True)
class Similar:
    indices: np.ndarray  # (k,) test-set indices, nearest first
    distances: np.ndarray  # (k,) Euclidean distances
    labels: np.ndarray  # (k,) their classes

    def shared(self, label: int) -> int:
        """How many of them are of class ``label``."""
        return int(np.sum(self.labels == int(label)))


def _ranked(dist: np.ndarray, candidates: np.ndarray, labels: np.ndarray, k: int) -> Similar:
    """The k candidates of least distance; ties go to the lower index, so a result never
    depends on argpartition's order."""
    order = np.lexsort((candidates, dist))[:k]
    idx = candidates[order]
    return Similar(idx.astype(np.int64), dist[order].astype(np.float64),
                   np.asarray(labels)[idx].astype(np.int64))


def _excluded(n: int, exclude: int | None) -> np.ndarray:
    keep = np.ones(n, dtype=bool)
    if exclude is not None and 0 <= exclude < n:
        keep[exclude] = False
    return keep


def nearest(rows: np.ndarray, labels: np.ndarray, query: Sequence[float] | np.ndarray,
            k: int, exclude: int | None = None) -> Similar:
    """The k rows nearest to ``query`` (exact Euclidean distances), leaving out row
    ``exclude`` (the query itself, when it is a test image)."""
    rows = np.asarray(rows, dtype=np.float64)
    rows = rows.reshape(len(rows), math.prod(rows.shape[1:]))  # -1 fails on zero rows
    q = np.asarray(query, dtype=np.float64).reshape(-1)
    if q.shape[0] != rows.shape[1]:
        raise ValueError(f"a query of {q.shape[0]} values against rows of {rows.shape[1]}")
    candidates = np.flatnonzero(_excluded(len(rows), exclude))
    dist = np.sqrt(np.sum((rows[candidates] - q) ** 2, axis=1))
    return _ranked(dist, candidates, labels, max(0, min(int(k), len(candidates))))


class PixelIndex:
    """The test images, flattened, with their squared norms, built once per data set: a query
    then costs one matrix-vector product (|x - q|² = |x|² - 2 x·q + |q|²) instead of a pass
    over 10k x 784 differences."""

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        n = len(images)
        self.flat = np.ascontiguousarray(np.asarray(images, dtype=np.float32).reshape(n, -1))
        self.norms = np.einsum("ij,ij->i", self.flat, self.flat, dtype=np.float64)
        self.labels = np.asarray(labels, dtype=np.int64)
        if len(self.labels) != n:
            raise ValueError(f"{n} images but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.flat)

    def nearest(self, image: np.ndarray, k: int, exclude: int | None = None) -> Similar:
        """The k test images nearest to ``image`` (28 x 28, in [0, 1]) in pixel space. The
        product is float32, whose rounding can swap near ties: the best k + RERANK_MARGIN by
        it are re-ranked by exact distances, so the order shown is the true one."""
        q = np.asarray(image, dtype=np.float32).reshape(-1)
        if q.shape[0] != self.flat.shape[1]:
            raise ValueError(f"a {q.shape[0]}-pixel query against {self.flat.shape[1]}-pixel "
                             "test images")
        keep = _excluded(len(self), exclude)
        approx = self.norms - 2.0 * (self.flat @ q) + float(q @ q)
        approx[~keep] = np.inf
        k = max(0, min(int(k), int(keep.sum())))
        m = min(k + RERANK_MARGIN, int(keep.sum()))
        if m == 0:
            return _ranked(np.zeros(0), np.zeros(0, np.int64), self.labels, 0)
        candidates = np.argpartition(approx, m - 1)[:m]
        exact = self.flat[candidates].astype(np.float64) - q.astype(np.float64)
        dist = np.sqrt(np.sum(exact**2, axis=1))
        return _ranked(dist, candidates, self.labels, k)


def overlap(a: Similar, b: Similar) -> int:
    """How many test images the two rows have in common."""
    return len(set(a.indices.tolist()) & set(b.indices.tolist()))
