"""Nearest test images by latent code and by pixels, against brute-force computations: the
query image is left out, ranks follow the true distances, ties and small sets behave."""

from __future__ import annotations

import numpy as np
import pytest

from aeexplorer.app.similar import PixelIndex, Similar, nearest, overlap


def _brute(rows: np.ndarray, q: np.ndarray, exclude: int | None = None) -> np.ndarray:
    d = np.sqrt(((rows.reshape(len(rows), -1).astype(np.float64) - q.reshape(-1)) ** 2)
                .sum(axis=1))
    if exclude is not None:
        d[exclude] = np.inf
    return d


@pytest.fixture(scope="module")
def images() -> tuple[np.ndarray, np.ndarray]:
    """Sparse random 'images' in [0, 1] with many near-duplicates, so float32 rounding in the
    fast product would swap near ties if the exact re-ranking were missing."""
    rng = np.random.default_rng(0)
    base = (rng.random((60, 28, 28)) > 0.8) * rng.random((60, 28, 28))
    jitter = rng.normal(0, 1e-3, (1200, 28, 28))
    x = np.clip(base[rng.integers(0, 60, 1200)] + jitter, 0, 1).astype(np.float32)
    return x, rng.integers(0, 10, 1200)


def test_pixel_neighbours_of_a_test_image_leave_it_out_and_follow_true_distance(images):
    x, labels = images
    index = PixelIndex(x, labels)
    for i in (0, 17, 999):
        near = index.nearest(x[i], 12, exclude=i)
        assert i not in near.indices
        d = _brute(x, x[i], exclude=i)
        np.testing.assert_allclose(near.distances, np.sort(d)[:12], rtol=0, atol=1e-9)
        np.testing.assert_allclose(near.distances, d[near.indices], rtol=0, atol=1e-9)
        assert np.all(np.diff(near.distances) >= 0)
        np.testing.assert_array_equal(near.labels, labels[near.indices])


def test_without_exclusion_a_test_image_is_its_own_nearest(images):
    x, labels = images
    near = PixelIndex(x, labels).nearest(x[5], 3)
    assert near.indices[0] == 5 and near.distances[0] == pytest.approx(0, abs=1e-6)


def test_pixel_index_checks_its_inputs(images):
    x, labels = images
    with pytest.raises(ValueError, match="labels"):
        PixelIndex(x, labels[:-1])
    with pytest.raises(ValueError, match="784-pixel"):
        PixelIndex(x, labels).nearest(np.zeros((14, 14)), 3)


def test_k_larger_than_the_set_and_k_zero():
    x = np.random.default_rng(1).random((4, 28, 28)).astype(np.float32)
    index = PixelIndex(x, np.arange(4))
    assert len(index.nearest(x[0], 10, exclude=0).indices) == 3
    assert len(index.nearest(x[0], 0).indices) == 0


def test_latent_neighbours_leave_the_query_out_and_rank_by_distance():  # codes as rows
    rng = np.random.default_rng(2)
    codes = rng.normal(size=(500, 2)).astype(np.float32)
    labels = np.arange(500) % 10
    near = nearest(codes, labels, codes[42], 8, exclude=42)
    assert 42 not in near.indices
    d = _brute(codes, codes[42], exclude=42)
    np.testing.assert_array_equal(near.indices, np.argsort(d, kind="stable")[:8])
    np.testing.assert_allclose(near.distances, np.sort(d)[:8])


def test_ties_go_to_the_lower_index():
    rows = np.array([[1.0], [-1.0], [1.0], [0.0]])
    near = nearest(rows, np.array([5, 6, 7, 8]), [0.0], 4, exclude=3)
    assert near.indices.tolist() == [0, 1, 2] and near.labels.tolist() == [5, 6, 7]


def test_nearest_rejects_a_query_of_the_wrong_length():
    with pytest.raises(ValueError, match="3 values"):
        nearest(np.zeros((5, 2)), np.zeros(5), [0, 0, 0], 2)


def test_no_rows_give_no_neighbours():
    for rows in (np.zeros((0, 2)), np.zeros((0, 28, 28))):
        near = nearest(rows, np.zeros(0, np.int64), np.zeros(rows.shape[1:]), 5)
        assert len(near.indices) == len(near.distances) == len(near.labels) == 0
    near = nearest(np.zeros((0, 3), np.float32), np.zeros(0), [0.5, 0.5, 0.0], 5, 0)
    assert near.indices.tolist() == []
    with pytest.raises(ValueError, match="3 values"):
        nearest(np.zeros((0, 2)), np.zeros(0), [0, 0, 0], 2)


def test_shared_class_and_overlap():
    a = Similar(np.array([3, 1, 4]), np.array([0.1, 0.2, 0.3]), np.array([7, 7, 2]))
    b = Similar(np.array([4, 9, 3]), np.array([1.0, 2.0, 3.0]), np.array([2, 7, 7]))
    assert a.shared(7) == 2 and a.shared(2) == 1 and a.shared(0) == 0
    assert overlap(a, b) == 2
