"""Nearest neighbours, exact, with one tie rule, and the label vote over them.

Search: Euclidean distance in float64, ties to the lower index. A fast float32 product
(|x - q|² = |x|² - 2 x·q + |q|²) picks ``k + RERANK_MARGIN`` candidates per query; their exact
distances decide the order. The product's rounding is bounded, so a query whose candidates
might miss a row as near as its k-th (a near tie at the edge, or many duplicates) is searched
again over every row, exactly: the result is always the exact one.

Used for the 5-NN test metric (10k test codes against 60k training codes), the atlas
neighbours of a placed image, the Similar tab's latent and pixel rows, and Compare's nearest
test image. numpy at import; torch (for the batched product) only when a search runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

RERANK_MARGIN = 32  # candidates beyond k whose exact distances are computed
CHUNK = 1024  # queries per product: a (CHUNK, N) float32 matrix at a time


@dataclass(frozen=True)
class Neighbours:
    indices: np.ndarray  # (k,) row indices, nearest first
    distances: np.ndarray  # (k,) Euclidean distances
    labels: np.ndarray  # (k,) their classes

    def shared(self, label: int) -> int:
        """How many of them are of class ``label``."""
        return int(np.sum(self.labels == int(label)))

    def vote(self, weighted: bool = False) -> int:
        """Their majority class, a tie to the nearer (see ``majority``); ``weighted``: the class
        of the largest sum of inverse distances (see ``weighted_votes``). Only labelled rows
        vote: -1 (no label) when none has a label (unlabelled data)."""
        has = self.labels >= 0
        if len(self.labels) and not has.any():
            return -1
        labels, distances = self.labels[has], self.distances[has]
        if weighted:
            n_classes = int(labels.max()) + 1 if len(labels) else 1
            return int(weighted_votes(labels[None], distances[None], n_classes)[0])
        return majority(labels)


def overlap(a: Neighbours, b: Neighbours) -> int:
    """How many rows the two results have in common."""
    return len(set(a.indices.tolist()) & set(b.indices.tolist()))


def votes(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """The majority class of each row of (Q, k) labels sorted nearest first; among tied
    classes the one holding the nearest neighbour wins."""
    labels = np.asarray(labels, dtype=np.int64)
    q, k = labels.shape
    # each neighbour adds 1 plus a bonus 2^-(rank+1): every bonus outweighs all the later ones
    # together (< 1 in total), so a tie goes to the nearer (a linear bonus can tie: 0+3 = 1+2)
    scores, rows = np.zeros((q, n_classes)), np.arange(q)
    for rank in range(k):  # one label per row and rank: no index repeats within a step
        scores[rows, labels[:, rank]] += 1.0 + 2.0 ** -(rank + 1)
    return scores.argmax(axis=1)



def weighted_votes(labels: np.ndarray, distances: np.ndarray, n_classes: int) -> np.ndarray:
    """Per row of (Q, k) labels and distances: the class with the largest sum of inverse
    distances (a neighbour twice as near counts twice)."""
    labels = np.asarray(labels, dtype=np.int64)
    weights = 1.0 / np.maximum(np.asarray(distances, dtype=np.float64), 1e-9)
    scores = np.zeros((labels.shape[0], n_classes))
    np.add.at(scores, (np.arange(labels.shape[0])[:, None], labels), weights)
    return scores.argmax(1)

def majority(labels: Sequence[int] | np.ndarray) -> int:
    """The majority of one set of labels, nearest first (ties to the nearer); ValueError when
    there are none."""
    row = np.asarray(labels, dtype=np.int64).reshape(1, -1)
    if row.size == 0:
        raise ValueError("no labels to vote on")
    return int(votes(row, int(row.max()) + 1)[0])


class Index:
    """Rows to search (codes, or images flattened), with labels; the float32 copy and the
    squared norms of the fast product are made once, here."""

    def __init__(self, rows: np.ndarray, labels: np.ndarray) -> None:
        rows = np.asarray(rows)
        n = len(rows)
        exact = np.float64 if rows.dtype == np.float64 else np.float32
        self.rows = np.ascontiguousarray(rows.reshape(n, math.prod(rows.shape[1:])), exact)
        self.flat = self.rows if exact == np.float32 else self.rows.astype(np.float32)
        self.norms = np.einsum("ij,ij->i", self.rows, self.rows, dtype=np.float64)
        self.labels = np.asarray(labels, dtype=np.int64)
        if len(self.labels) != n:
            raise ValueError(f"{n} rows but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.rows)

    def search(self, queries: np.ndarray, k: int,
               exclude: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest rows to each of (Q, D) queries: (distances, indices), each (Q, k),
        nearest first, ties to the lower index; row ``exclude`` is left out."""
        queries = np.asarray(queries, dtype=np.float64).reshape(-1, self.rows.shape[1])
        keep = np.ones(len(self), dtype=bool)
        if exclude is not None and 0 <= exclude < len(self):
            keep[exclude] = False
        k = max(0, min(int(k), int(keep.sum())))
        if k == 0 or len(queries) == 0:
            return np.zeros((len(queries), k)), np.zeros((len(queries), k), np.int64)
        parts = [self._chunk(queries[s:s + CHUNK], k, keep)
                 for s in range(0, len(queries), CHUNK)]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def nearest(self, query: Sequence[float] | np.ndarray, k: int,
                exclude: int | None = None) -> Neighbours:
        """The k rows nearest to one query, leaving out row ``exclude`` (the query itself,
        when it is one of the rows)."""
        q = np.asarray(query, dtype=np.float64).reshape(-1)
        if q.shape[0] != self.rows.shape[1]:
            raise ValueError(f"a query of {q.shape[0]} values against rows of "
                             f"{self.rows.shape[1]}")
        dist, idx = self.search(q[None], k, exclude)
        return Neighbours(idx[0], dist[0], self.labels[idx[0]])

    def _chunk(self, q: np.ndarray, k: int, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import torch

        m = min(k + RERANK_MARGIN, int(keep.sum()))
        # |x|² - 2 x·q in float32 is within gamma (|x|² + |q|²) of its true value; shrinking
        # |x|² by twice that makes each entry plus (1 - gamma)|q|² a lower bound on |x - q|²
        gamma = (self.rows.shape[1] + 8) * 2.0**-24
        bias = torch.from_numpy(((1 - 2 * gamma) * self.norms).astype(np.float32))
        bias[torch.from_numpy(~keep)] = math.inf
        approx = torch.addmm(bias[None], torch.from_numpy(q.astype(np.float32)),
                             torch.from_numpy(self.flat).T, alpha=-2.0)
        low, cand = approx.topk(m, dim=1, largest=False, sorted=True)
        cand = cand.numpy()
        exact = np.sum((self.rows[cand] - q[:, None, :]) ** 2, axis=2)
        exact[~keep[cand]] = np.inf  # only reached when a kept row's product overflowed
        order = np.lexsort((cand, exact), axis=1)[:, :k]
        idx = np.take_along_axis(cand, order, 1)
        d2 = np.take_along_axis(exact, order, 1)
        floor = low[:, -1].double().numpy() + (1 - gamma) * np.sum(q * q, axis=1)
        for row in np.flatnonzero((m < keep.sum()) & ~(floor > d2[:, -1])):
            d2[row], idx[row] = self._every_row(q[row], k, keep)
        return np.sqrt(d2), idx.astype(np.int64)

    def _every_row(self, q: np.ndarray, k: int, keep: np.ndarray) -> tuple[np.ndarray, ...]:
        """The exact search over all rows, for a query whose candidates may be incomplete."""
        d2 = np.sum((self.rows - q) ** 2, axis=1)
        d2[~keep] = np.inf
        # every row within the k-th distance (ties at the edge included), ascending; only they
        # are sorted (a million rows of duplicates: no full sort)
        cand = np.flatnonzero(d2 <= np.partition(d2, k - 1)[k - 1]) if k < len(d2) \
            else np.arange(len(d2))
        idx = cand[np.argsort(d2[cand], kind="stable")[:k]]  # stable: ties keep the lower index
        return d2[idx], idx


class PixelIndex(Index):
    """The test images, flattened, built once per data set: a query costs one matrix-vector
    product instead of a pass over 10k x 784 differences."""

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        super().__init__(np.asarray(images, dtype=np.float32), labels)


def nearest(rows: np.ndarray, labels: np.ndarray, query: Sequence[float] | np.ndarray,
            k: int, exclude: int | None = None) -> Neighbours:
    """The k rows nearest to ``query``, leaving out row ``exclude``."""
    return Index(rows, labels).nearest(query, k, exclude)


def knn_accuracy(train_codes: np.ndarray, train_labels: np.ndarray, test_codes: np.ndarray,
                 test_labels: np.ndarray, k: int = 5) -> float:
    """The share of test codes whose k nearest training codes vote their class."""
    train_labels, test_labels = np.asarray(train_labels), np.asarray(test_labels)
    _, idx = Index(train_codes, train_labels).search(test_codes, k)
    n_classes = int(max(train_labels.max(), test_labels.max())) + 1
    return float(np.mean(votes(train_labels[idx], n_classes) == test_labels))
