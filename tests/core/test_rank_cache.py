"""The pixel ranks of a data set kept on disk (``rank_cache``): the map metrics are the same
with and without them, a second map of the same data reads them instead of measuring the
pixels again, another data set never reads them, the folder stays bounded, and a damaged or
unwritable table is measured again rather than trusted."""

from __future__ import annotations

import numpy as np
import pytest

from aeexplorer.core.latent import faithfulness, rank_cache
from aeexplorer.core.latent.faithfulness import trustworthiness_continuity
from tests.core.test_faithfulness import brute


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("AEEXPLORER_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "ranks"


def counting(monkeypatch) -> list[int]:
    """Counts the data's rank tables measured (each call of ``_fill_ranks``)."""
    calls: list[int] = []
    real = faithfulness._fill_ranks

    def fill(high, out, chunk):
        calls.append(len(high))
        real(high, out, chunk)
    monkeypatch.setattr(faithfulness, "_fill_ranks", fill)
    return calls


@pytest.mark.parametrize("seed", [0, 1])
def test_cached_ranks_give_the_reference_figures_with_ties_too(cache, seed):
    rng = np.random.default_rng(seed)
    data, codes = rng.integers(0, 3, (90, 4)), rng.integers(0, 4, (90, 2))  # many ties
    for k in (1, 5, 12):
        cold = trustworthiness_continuity(data, codes, k=k, chunk=16)
        warm = trustworthiness_continuity(data, codes, k=k, chunk=37)
        plain = trustworthiness_continuity(data, codes, k=k, cache=False)
        assert cold == warm == pytest.approx(brute(data, codes, k), abs=1e-12)
        assert plain == pytest.approx(cold, abs=1e-12)
    assert len(list(cache.glob("*.npy"))) == 1  # one data set, one table


def test_a_second_map_of_the_same_data_reads_the_ranks(cache, monkeypatch):
    calls = counting(monkeypatch)
    rng = np.random.default_rng(3)
    data = rng.random((150, 20)).astype(np.float32)
    first = trustworthiness_continuity(data, rng.random((150, 2)))
    assert calls == [150]
    second_codes = rng.random((150, 2))
    second = trustworthiness_continuity(data, second_codes)
    assert calls == [150]  # read, not measured
    assert second == pytest.approx(trustworthiness_continuity(data, second_codes, cache=False))
    assert first != second
    changed = data.copy()
    changed[7, 3] += 0.5  # one pixel of one image: another data set
    trustworthiness_continuity(changed, second_codes)
    assert calls == [150, 150]
    assert len(list(cache.glob("*.npy"))) == 2


def test_the_folder_keeps_the_most_recently_used_tables(cache, monkeypatch):
    monkeypatch.setattr(rank_cache, "MAX_TABLES", 2)
    rng = np.random.default_rng(4)
    sets = [rng.random((40, 6)) for _ in range(3)]
    codes = rng.random((40, 2))
    for data in sets:
        trustworthiness_continuity(data, codes)
    kept = {p.stem for p in cache.glob("*.npy")}
    assert kept == {rank_cache.data_key(s.reshape(40, -1)) for s in sets[1:]}
    assert not list(cache.glob("*.tmp"))


@pytest.mark.parametrize("damage", ["garbage", "wrong shape", "truncated"])
def test_a_damaged_table_is_measured_again(cache, monkeypatch, damage):
    rng = np.random.default_rng(5)
    data, codes = rng.random((60, 5)), rng.random((60, 2))
    want = trustworthiness_continuity(data, codes)
    (path,) = cache.glob("*.npy")
    if damage == "garbage":
        path.write_bytes(b"not a table" * 10)
    elif damage == "wrong shape":
        np.save(path, np.zeros((59, 59), np.uint16))
    else:
        path.write_bytes(path.read_bytes()[:500])
    calls = counting(monkeypatch)
    assert trustworthiness_continuity(data, codes) == pytest.approx(want, abs=1e-12)
    assert calls == [60]
    assert trustworthiness_continuity(data, codes) == pytest.approx(want, abs=1e-12)
    assert calls == [60]  # kept again, whole


def test_an_unwritable_folder_still_gives_the_figures(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("AEEXPLORER_CACHE", str(blocker))
    rng = np.random.default_rng(6)
    data, codes = rng.random((50, 5)), rng.random((50, 2))
    got = trustworthiness_continuity(data, codes)
    assert got == pytest.approx(brute(data, codes, 5), abs=1e-12)
