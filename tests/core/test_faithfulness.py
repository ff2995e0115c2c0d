"""Trustworthiness and continuity against a brute-force reference (full stable argsort of
every row, the definitions of Venna & Kaski 2001 as scikit-learn states them), on random data,
data with many ties, and maps whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aeexplorer.core.latent.faithfulness import sample_rows, trustworthiness_continuity
from aeexplorer.core.latent.metrics import K_MAP, map_metrics


def brute(data: np.ndarray, codes: np.ndarray, k: int) -> tuple[float, float]:
    def ranks(points: np.ndarray) -> np.ndarray:
        d = ((points[:, None] - points[None]) ** 2).sum(-1)
        np.fill_diagonal(d, np.inf)
        out = np.empty(d.shape, int)
        for i, row in enumerate(d):
            out[i, np.argsort(row, kind="stable")] = np.arange(1, len(row) + 1)
        return out

    high = ranks(np.asarray(data, float).reshape(len(data), -1))
    low = ranks(np.asarray(codes, float))
    n = len(high)
    trust = sum(high[i, j] - k for i in range(n) for j in range(n)
                if low[i, j] <= k < high[i, j])
    cont = sum(low[i, j] - k for i in range(n) for j in range(n)
               if high[i, j] <= k < low[i, j])
    scale = 2 / (n * k * (2 * n - 3 * k - 1))
    return 1 - scale * trust, 1 - scale * cont


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_the_brute_force_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    data, codes = rng.random((120, 6)), rng.random((120, 2))
    got = trustworthiness_continuity(data, codes, k=5, chunk=37)  # chunks that do not divide n
    assert got == pytest.approx(brute(data, codes, 5), abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_ties_go_to_the_lower_index_as_in_the_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)  # small integers: many equal distances on both sides
    data, codes = rng.integers(0, 3, (90, 4)), rng.integers(0, 4, (90, 2))
    for k in (1, 5, 12):
        got = trustworthiness_continuity(data, codes, k=k, chunk=16)
        assert got == pytest.approx(brute(data, codes, k), abs=1e-12)


def test_a_map_that_keeps_every_neighbour_scores_one_and_a_shuffled_one_less() -> None:
    rng = np.random.default_rng(5)
    codes = rng.random((200, 2))
    data = np.concatenate([codes * 3, np.zeros((200, 5))], axis=1)  # the same points, scaled
    assert trustworthiness_continuity(data, codes) == pytest.approx((1.0, 1.0))
    shuffled = codes[rng.permutation(200)]
    trust, cont = trustworthiness_continuity(data, shuffled)
    assert trust < 0.7 and cont < 0.7  # a random map: about 0.5


def test_images_are_flattened_and_tensors_accepted() -> None:
    rng = np.random.default_rng(6)
    images, codes = rng.random((60, 1, 4, 4)), rng.random((60, 2))
    got = trustworthiness_continuity(torch.from_numpy(images), torch.from_numpy(codes))
    assert got == pytest.approx(brute(images.reshape(60, -1), codes, 5), abs=1e-12)


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="as many codes"):
        trustworthiness_continuity(np.zeros((10, 3)), np.zeros((9, 2)))
    with pytest.raises(ValueError, match="k < n / 2"):
        trustworthiness_continuity(np.random.rand(8, 3), np.random.rand(8, 2), k=5)


def test_the_sample_is_everything_up_to_the_limit_then_seeded() -> None:
    assert list(sample_rows(7, limit=10)) == list(range(7))
    a, b = sample_rows(100, seed=3, limit=10), sample_rows(100, seed=3, limit=10)
    assert list(a) == list(b) and len(set(a)) == 10 and list(a) == sorted(a)
    assert list(sample_rows(100, seed=4, limit=10)) != list(a)


def test_map_metrics_measure_the_gathered_rows_and_say_why_when_too_few() -> None:
    rng = np.random.default_rng(7)
    images = torch.from_numpy(rng.random((40, 9)))
    codes = rng.random((50, 2))  # codes of 50 images, of which rows 10..49 were gathered
    pixels = [(images[:15], torch.arange(10, 25)), (images[15:], torch.arange(25, 50))]
    got = map_metrics(pixels, codes)
    want = brute(images.numpy(), codes[10:], K_MAP)
    assert (got["trustworthiness"], got["continuity"]) == pytest.approx(want, abs=1e-12)
    few = map_metrics([(images[:5], torch.arange(5))], codes)
    assert few["trustworthiness"] is None and "fewer than" in few["map_note"]
