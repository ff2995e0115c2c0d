"""Nearest neighbours (aeexplorer.core.latent.neighbours) against brute force: exact distances, ties
to the lower index, the query left out, batched searches across chunks, the pixel index
(whose float32 product must not swap near ties), the vote (ties to the nearer neighbour) and
the k-NN accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from aeexplorer.core.latent import neighbours
from aeexplorer.core.latent.neighbours import (Index, Neighbours, PixelIndex, knn_accuracy,
                                               majority, nearest, overlap, votes)


def brute(rows: np.ndarray, q: np.ndarray, exclude: int | None = None) -> np.ndarray:
    """Exact float64 distances from ``q`` to every row (inf for the excluded one)."""
    d = np.sqrt(((rows.reshape(len(rows), -1).astype(np.float64) - np.reshape(q, -1)) ** 2)
                .sum(axis=1))
    if exclude is not None:
        d[exclude] = np.inf
    return d


def brute_order(rows: np.ndarray, q: np.ndarray, k: int, exclude: int | None = None):
    d = brute(rows, q, exclude)
    order = np.argsort(d, kind="stable")[:k]  # stable: ties to the lower index
    return order, d[order]


def brute_vote(labels_row) -> int:
    counts = {lab: list(labels_row).count(lab) for lab in labels_row}
    best = max(counts.values())
    return next(lab for lab in labels_row if counts[lab] == best)  # the nearest tied class


@pytest.fixture(scope="module")
def near_duplicates() -> tuple[np.ndarray, np.ndarray]:
    """Sparse random 'images' in [0, 1] with many near-duplicates, so float32 rounding in the
    fast product would swap near ties if the exact re-ranking were missing."""
    rng = np.random.default_rng(0)
    base = (rng.random((60, 28, 28)) > 0.8) * rng.random((60, 28, 28))
    jitter = rng.normal(0, 1e-3, (1200, 28, 28))
    x = np.clip(base[rng.integers(0, 60, 1200)] + jitter, 0, 1).astype(np.float32)
    return x, rng.integers(0, 10, 1200)


class TestExactSearch:
    def test_batched_search_matches_brute_force_across_chunks(self, monkeypatch):
        monkeypatch.setattr(neighbours, "CHUNK", 16)  # 50 queries: 4 chunks, a ragged last
        rng = np.random.default_rng(0)
        rows = rng.normal(size=(300, 3)).astype(np.float32)
        queries = rng.normal(size=(50, 3))
        dist, idx = Index(rows, np.zeros(300)).search(queries, 7)
        assert dist.shape == idx.shape == (50, 7)
        for q, d, i in zip(queries, dist, idx):
            want, want_d = brute_order(rows, q, 7)
            np.testing.assert_array_equal(i, want)
            np.testing.assert_allclose(d, want_d, rtol=0, atol=1e-12)

    def test_a_row_finds_itself_and_k_is_capped(self):
        rows = np.array([[0.0, 0.0], [5.0, 5.0], [1.0, 0.0]], np.float32)
        dist, idx = Index(rows, np.arange(3)).search(rows, 10)
        assert idx.shape == (3, 3)
        np.testing.assert_array_equal(idx[:, 0], np.arange(3))
        np.testing.assert_array_equal(dist[:, 0], 0.0)

    def test_codes_leave_the_query_out_and_rank_by_distance(self):
        rng = np.random.default_rng(2)
        codes = rng.normal(size=(500, 2)).astype(np.float32)
        labels = np.arange(500) % 10
        near = nearest(codes, labels, codes[42], 8, exclude=42)
        assert 42 not in near.indices
        want, want_d = brute_order(codes, codes[42], 8, exclude=42)
        np.testing.assert_array_equal(near.indices, want)
        np.testing.assert_allclose(near.distances, want_d)
        np.testing.assert_array_equal(near.labels, labels[want])

    def test_a_far_query_among_large_codes_is_still_exact(self):
        rng = np.random.default_rng(3)  # a plain AE's codes: a cloud and far outliers
        rows = np.concatenate([rng.normal(size=(2000, 2)), rng.normal(size=(20, 2)) * 3e4])
        rows = rows.astype(np.float32)
        for q in ([0.001, 0.002], [2e4, -1e4], [1e6, 1e6]):
            got = nearest(rows, np.zeros(len(rows)), q, 5)
            np.testing.assert_array_equal(got.indices, brute_order(rows, np.array(q), 5)[0])


class TestTies:
    def test_equal_distances_go_to_the_lower_index(self):
        rows = np.array([[1.0], [-1.0], [1.0], [0.0]])
        near = nearest(rows, np.array([5, 6, 7, 8]), [0.0], 4, exclude=3)
        assert near.indices.tolist() == [0, 1, 2] and near.labels.tolist() == [5, 6, 7]

    def test_more_duplicates_than_candidates_still_go_to_the_lowest_indices(self):
        rows = np.zeros((500, 2), np.float32)  # every row ties: far beyond the re-ranked margin
        rows[::7] = 1.0
        dist, idx = Index(rows, np.zeros(500)).search(np.zeros((3, 2)), 5)
        np.testing.assert_array_equal(idx, [[1, 2, 3, 4, 5]] * 3)
        np.testing.assert_array_equal(dist, 0.0)
        near = nearest(rows, np.zeros(500), [1.0, 1.0], 3, exclude=0)
        assert near.indices.tolist() == [7, 14, 21]

    def test_ties_to_the_lower_index_in_a_batch_over_a_grid(self):
        xs = np.arange(30, dtype=np.float32)  # a lattice: each query has tied neighbours
        rows = np.stack(np.meshgrid(xs, xs), -1).reshape(-1, 2)[::-1].copy()
        queries = rows[::37] + 0.5
        _, idx = Index(rows, np.zeros(len(rows))).search(queries, 6)
        for q, i in zip(queries, idx):
            np.testing.assert_array_equal(i, brute_order(rows, q, 6)[0])


@pytest.fixture(scope="module")
def big() -> tuple[np.ndarray, np.ndarray]:
    """300k 2-D codes in 10 clusters, as a big data set's atlas."""
    rng = np.random.default_rng(5)
    centres = rng.normal(size=(10, 2)) * 3
    labels = rng.integers(0, 10, 300_000)
    rows = (centres[labels] + rng.normal(size=(300_000, 2)) * 0.4).astype(np.float32)
    rows[-40_000:] = rows[7]  # a collapsed encoder's pile of identical codes
    return rows, labels


class TestBigAtlas:
    """A map of hundreds of thousands of codes: still exact."""

    def test_clicks_on_the_map_find_the_brute_force_neighbours(self, big):
        rows, labels = big
        index = Index(rows, labels)
        queries = [rows[7], rows[7] + 1e-4, *np.random.default_rng(6).normal(size=(12, 2)) * 3]
        for i, q in enumerate(queries):
            exclude = 7 if i == 0 else None
            near = index.nearest(q, 8, exclude=exclude)
            order, dist = brute_order(rows, q, 8, exclude)
            np.testing.assert_array_equal(near.indices, order)
            np.testing.assert_allclose(near.distances, dist, rtol=0, atol=1e-12)
            np.testing.assert_array_equal(near.labels, labels[order])

    def test_a_pile_of_ties_goes_to_the_lowest_indices(self, big):
        rows, labels = big
        near = Index(rows, labels).nearest(rows[7], 5, exclude=7)
        assert near.indices.tolist() == [260_000, 260_001, 260_002, 260_003, 260_004]
        assert near.distances.tolist() == [0.0] * 5


class TestPixelIndex:
    def test_a_test_image_is_left_out_and_the_order_is_the_true_one(self, near_duplicates):
        x, labels = near_duplicates
        index = PixelIndex(x, labels)
        for i in (0, 17, 999):
            near = index.nearest(x[i], 12, exclude=i)
            assert i not in near.indices
            d = brute(x, x[i], exclude=i)
            np.testing.assert_allclose(near.distances, np.sort(d)[:12], rtol=0, atol=1e-9)
            np.testing.assert_allclose(near.distances, d[near.indices], rtol=0, atol=1e-9)
            assert np.all(np.diff(near.distances) >= 0)
            np.testing.assert_array_equal(near.labels, labels[near.indices])

    def test_without_exclusion_a_test_image_is_its_own_nearest(self, near_duplicates):
        x, labels = near_duplicates
        near = PixelIndex(x, labels).nearest(x[5], 3)
        assert near.indices[0] == 5 and near.distances[0] == pytest.approx(0, abs=1e-6)

    def test_inputs_are_checked(self, near_duplicates):
        x, labels = near_duplicates
        with pytest.raises(ValueError, match="labels"):
            PixelIndex(x, labels[:-1])
        with pytest.raises(ValueError, match="196 values against rows of 784"):
            PixelIndex(x, labels).nearest(np.zeros((14, 14)), 3)

    def test_k_larger_than_the_set_and_k_zero(self):
        x = np.random.default_rng(1).random((4, 28, 28)).astype(np.float32)
        index = PixelIndex(x, np.arange(4))
        assert len(index.nearest(x[0], 10, exclude=0).indices) == 3
        assert len(index.nearest(x[0], 0).indices) == 0


class TestEdges:
    def test_a_query_of_the_wrong_length_is_refused(self):
        with pytest.raises(ValueError, match="3 values"):
            nearest(np.zeros((5, 2)), np.zeros(5), [0, 0, 0], 2)

    def test_no_rows_give_no_neighbours(self):
        for rows in (np.zeros((0, 2)), np.zeros((0, 28, 28))):
            near = nearest(rows, np.zeros(0, np.int64), np.zeros(rows.shape[1:]), 5)
            assert len(near.indices) == len(near.distances) == len(near.labels) == 0
        near = nearest(np.zeros((0, 3), np.float32), np.zeros(0), [0.5, 0.5, 0.0], 5, 0)
        assert near.indices.tolist() == []
        with pytest.raises(ValueError, match="3 values"):
            nearest(np.zeros((0, 2)), np.zeros(0), [0, 0, 0], 2)

    def test_no_queries_give_empty_results(self):
        dist, idx = Index(np.ones((4, 2)), np.zeros(4)).search(np.zeros((0, 2)), 3)
        assert dist.shape == idx.shape == (0, 3)

    def test_shared_class_and_overlap(self):
        a = Neighbours(np.array([3, 1, 4]), np.array([0.1, 0.2, 0.3]), np.array([7, 7, 2]))
        b = Neighbours(np.array([4, 9, 3]), np.array([1.0, 2.0, 3.0]), np.array([2, 7, 7]))
        assert a.shared(7) == 2 and a.shared(2) == 1 and a.shared(0) == 0
        assert overlap(a, b) == 2


class TestVote:
    def test_batched_votes_against_brute_force(self):
        rng = np.random.default_rng(0)
        for k in (1, 2, 3, 4, 5, 8):
            labels = rng.integers(0, 4, (400, k))
            want = [brute_vote(row.tolist()) for row in labels]
            np.testing.assert_array_equal(votes(labels, 4), want)

    def test_examples_and_one_rule_for_one_set_and_many(self):
        labels = np.array([[3, 1, 1, 3, 2], [0, 1, 2, 3, 4], [2, 2, 9, 9, 9]])
        assert votes(labels, 10).tolist() == [3, 0, 9]
        assert [majority(row) for row in labels] == [3, 0, 9]

    def test_majority_ties_go_to_the_nearer_neighbour(self):
        assert majority([2, 7, 7, 2, 1]) == 2  # a tie: the class met first (the nearer)
        assert majority([8, 3, 3, 8]) == 8
        assert majority([2, 7, 7]) == 7 and majority(np.array([4])) == 4
        with pytest.raises(ValueError):
            majority([])
        near = Neighbours(np.arange(5), np.zeros(5), np.array([3, 8, 8, 3, 1]))
        assert near.vote() == 3 and near.shared(near.vote()) == 2


class TestKnnAccuracy:
    def test_separable_clusters_score_one_and_shuffled_labels_chance(self):
        rng = np.random.default_rng(0)
        centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
        train_labels, test_labels = np.arange(400) % 4, np.arange(100) % 4
        train = centres[train_labels] + 0.5 * rng.normal(size=(400, 2))
        test = centres[test_labels] + 0.5 * rng.normal(size=(100, 2))
        assert knn_accuracy(train, train_labels, test, test_labels, k=5) == 1.0
        shuffled = rng.permutation(train_labels)
        assert knn_accuracy(train, shuffled, test, test_labels, k=5) < 0.5

    def test_against_brute_force(self, monkeypatch):
        monkeypatch.setattr(neighbours, "CHUNK", 16)
        rng = np.random.default_rng(3)
        train = rng.normal(size=(200, 2)).astype(np.float32)
        train_labels = rng.integers(0, 3, 200)
        test = rng.normal(size=(60, 2)).astype(np.float32)
        test_labels = rng.integers(0, 3, 60)
        pred = [brute_vote(train_labels[brute_order(train, q, 5)[0]].tolist()) for q in test]
        want = np.mean(np.array(pred) == test_labels)
        assert knn_accuracy(train, train_labels, test, test_labels, k=5) == pytest.approx(want)
