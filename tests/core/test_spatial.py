"""The map's grid index (aeexplorer.core.latent.spatial) against brute force and
``neighbours.Index``: the same rows, distances and labels, ties to the lower index, for queries
on codes, in empty space, beyond the codes and far away; piles of identical codes, far
outliers, tiny atlases."""

from __future__ import annotations

import numpy as np
import pytest

from aeexplorer.core.latent.neighbours import Index
from aeexplorer.core.latent.spatial import GridIndex


def brute(rows: np.ndarray, q, k: int, exclude: int | None = None):
    d2 = np.sum((rows.astype(np.float64) - np.asarray(q, dtype=np.float64)) ** 2, axis=1)
    if exclude is not None:
        d2[exclude] = np.inf
    order = np.argsort(d2, kind="stable")[:k]  # stable: ties to the lower index
    return order, np.sqrt(d2[order])


@pytest.fixture(scope="module")
def atlas() -> tuple[np.ndarray, np.ndarray]:
    """200k codes in clusters of unequal spread, a pile of 20k identical codes, a few far
    outliers (outside the grid's box, in its edge cells)."""
    rng = np.random.default_rng(11)
    labels = rng.integers(0, 10, 200_000)
    centres, spread = rng.normal(size=(10, 2)) * 4, rng.uniform(0.1, 1.0, 10)
    rows = centres[labels] + rng.normal(size=(200_000, 2)) * spread[labels, None]
    rows[100_000:120_000] = rows[3]
    rows[-5:] = [[300, 0], [-250, 40], [0, 900], [5, -700], [300, 0.5]]
    return rows.astype(np.float32), labels


def queries(rows: np.ndarray) -> list[np.ndarray]:
    rng = np.random.default_rng(12)
    lo, hi = rows[:-5].min(axis=0), rows[:-5].max(axis=0)
    return [rows[3], rows[3] + 1e-5, rows[7], rows[-1], *rows[rng.integers(0, 200_000, 10)],
            *rng.uniform(lo, hi, (15, 2)), *rng.uniform(lo - 6, hi + 6, (10, 2)),
            np.array([1e5, -1e5]), np.array([299.0, 0.2])]


def test_every_query_finds_the_brute_force_neighbours(atlas):
    rows, labels = atlas
    grid = GridIndex(rows, labels)
    for i, q in enumerate(queries(rows)):
        exclude = (3, i * 997 % len(rows))[i % 2]
        for excluded in (None, exclude):
            order, dist = brute(rows, q, 16, excluded)
            for k in (1, 8, 16):
                near = grid.nearest(q, k, excluded)
                np.testing.assert_array_equal(near.indices, order[:k])
                np.testing.assert_allclose(near.distances, dist[:k], rtol=0, atol=1e-12)
                np.testing.assert_array_equal(near.labels, labels[order[:k]])


def test_it_agrees_with_the_flat_index_exactly(atlas):
    rows, labels = atlas
    grid, flat = GridIndex(rows, labels), Index(rows, labels)
    for q in queries(rows)[:12]:
        a, b = grid.nearest(q, 8, 3), flat.nearest(q, 8, 3)
        np.testing.assert_array_equal(a.indices, b.indices)
        np.testing.assert_array_equal(a.distances, b.distances)


def test_a_pile_of_identical_codes_gives_the_lowest_indices(atlas):
    rows, labels = atlas
    near = GridIndex(rows, labels).nearest(rows[3], 4, exclude=3)
    assert near.indices.tolist() == [100_000, 100_001, 100_002, 100_003]


def test_ties_on_a_lattice_go_to_the_lower_index():
    xs = np.arange(40, dtype=np.float32)
    rows = np.stack(np.meshgrid(xs, xs), -1).reshape(-1, 2)[::-1].copy()
    grid = GridIndex(rows, np.zeros(len(rows)))
    for q in (rows[::53] + 0.5):
        np.testing.assert_array_equal(grid.nearest(q, 6).indices, brute(rows, q, 6)[0])


def test_tiny_and_degenerate_atlases():
    empty = GridIndex(np.zeros((0, 2), np.float32), np.zeros(0))
    assert len(empty.nearest([0.0, 0.0], 5).indices) == 0
    one = GridIndex(np.array([[1.0, 2.0]]), np.array([4]))
    assert one.nearest([0, 0], 3).indices.tolist() == [0]
    assert one.nearest([0, 0], 3, exclude=0).indices.tolist() == []
    same = GridIndex(np.ones((50, 2), np.float32), np.arange(50))
    assert same.nearest([5, 5], 3, exclude=1).indices.tolist() == [0, 2, 3]
    line = np.stack([np.arange(100.0), np.zeros(100)], 1)  # no height: one row of cells
    assert GridIndex(line, np.zeros(100)).nearest([41.2, 3], 2).indices.tolist() == [41, 42]
    with pytest.raises(ValueError, match="3 values"):
        one.nearest([0, 0, 0], 1)
    with pytest.raises(ValueError, match="2-D rows"):
        GridIndex(np.zeros((4, 3)), np.zeros(4))
