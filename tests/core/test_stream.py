"""Streaming (``aeexplorer.core.datasets.stream``): a split over the memory budget is read batch by
batch through a DataLoader (with a worker here), and training on it gives the same progress calls,
batches and losses as in memory, with the same seed; its evaluation streams too. A file that
fails while streaming is left out and counted; data gone mid-run is one clear error."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from aeexplorer.core.datasets import stream
from aeexplorer.core.datasets.loading import load_split
from aeexplorer.core.errors import AeError, DataNotFound
from aeexplorer.core.images.fit import fit_images
from aeexplorer.core.latent.metrics import evaluate
from aeexplorer.core.models import ModelConfig
from aeexplorer.core.pipeline import fit_to
from aeexplorer.core.training.config import TrainConfig
from aeexplorer.core.training.loop import train
from tests.helpers.datasets import mnist_like


@pytest.fixture
def pics(tmp_path):
    """Two classes of small noisy colour images."""
    rng = np.random.default_rng(0)
    for name, count in (("dots", 30), ("lines", 30)):
        (tmp_path / "pics" / name).mkdir(parents=True)
        for i in range(count):
            arr = rng.integers(0, 256, (20 + i % 5, 24, 3), dtype=np.uint8)
            Image.fromarray(arr).save(tmp_path / "pics" / name / f"{i}.png")
    return tmp_path / "pics"


def _both(pics, streamed: bool, monkeypatch, **kwargs):
    monkeypatch.setenv(stream.BUDGET_ENV, "0" if streamed else "2048")
    name = f"folder:{pics}"
    return (load_split(name, True, stream=True, **kwargs),
            load_split(name, False, stream=True, **kwargs))


def _train(split, epochs: int = 2):
    calls = []
    model_cfg = fit_to(ModelConfig(kind="vae", hidden=(16,)), split)
    cfg = TrainConfig(epochs=epochs, batch_size=4, device="cpu", precision="fp32", seed=3)
    model, history = train(model_cfg, cfg, split,
                           progress=lambda e, b, n, parts: calls.append((e, b, n, parts)))
    return model, history, calls


def test_a_streamed_split_trains_and_evaluates_as_the_same_split_in_memory(pics, monkeypatch):
    monkeypatch.setenv(stream.WORKERS_ENV, "1")  # decoded in a worker process
    memory, memory_test = _both(pics, False, monkeypatch)
    streamed, streamed_test = _both(pics, True, monkeypatch)
    assert isinstance(memory.images, torch.Tensor)
    assert isinstance(streamed.images, stream.Streamed)
    assert streamed.images.shape == tuple(memory.images.shape)
    torch.testing.assert_close(next(stream.indexed_batches(streamed.images, batch_size=64))[0],
                               memory.images)
    model_m, history_m, calls_m = _train(memory)
    model_s, history_s, calls_s = _train(streamed)
    assert [c[:3] for c in calls_s] == [c[:3] for c in calls_m]  # the same progress calls
    assert len(calls_m) == 2 * -(-len(memory) // 4)
    for a, b in zip(history_m.epochs, history_s.epochs):
        assert a.loss == pytest.approx(b.loss, rel=1e-5)
    got_m = evaluate(model_m, memory, memory_test)
    got_s = evaluate(model_s, streamed, streamed_test)
    for key, value in got_m["metrics"].items():
        # a number alike; a figure left out (the map metrics of a few images) and its note equal
        want = value if value is None or isinstance(value, str) else pytest.approx(value, rel=1e-4)
        assert got_s["metrics"][key] == want, key
    np.testing.assert_allclose(got_s["test_codes"].mu, got_m["test_codes"].mu, rtol=1e-4,
                               atol=1e-5)


def test_a_file_that_fails_while_streaming_is_left_out_and_counted(pics, monkeypatch):
    monkeypatch.setenv(stream.WORKERS_ENV, "0")
    # channels given: no header pass, so the damage shows only while streaming
    train_split, test_split = _both(pics, True, monkeypatch, channels=3)
    assert train_split.skipped == test_split.skipped == 0
    for path in sorted(pics.rglob("*.png"))[:6]:
        path.write_bytes(b"\x89PNG\r\n\x1a\n damaged")
    model, _, calls = _train(train_split, epochs=1)
    assert len(calls) == -(-len(train_split) // 4)  # every batch still gives its progress
    result = evaluate(model, train_split, test_split)
    left = stream.skipped(train_split) + stream.skipped(test_split)
    assert left == 6 and result["metrics"]["skipped_files"] == 6
    assert len(result["test_labels"]) == len(result["test_codes"].mu) == result["metrics"][
        "n_test"] == len(test_split) - stream.skipped(test_split)


def test_data_gone_while_streaming_is_one_clear_error(pics, monkeypatch):
    monkeypatch.setenv(stream.WORKERS_ENV, "0")
    train_split, _ = _both(pics, True, monkeypatch)
    for path in pics.rglob("*.png"):
        path.unlink()
    with pytest.raises(DataNotFound, match="could be read any more"):
        _train(train_split, epochs=1)


def test_pca_on_streamed_data_says_why_it_cannot(pics, monkeypatch):
    train_split, _ = _both(pics, True, monkeypatch)
    model_cfg = fit_to(ModelConfig(kind="pca"), train_split)
    with pytest.raises(AeError, match="too many to hold in memory"):
        train(model_cfg, TrainConfig(epochs=1, device="cpu"), train_split)


def test_a_built_in_set_streams_at_a_size_too_big_for_memory(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (9, 28, 28), dtype=np.uint8)
    labels = np.arange(9, dtype=np.uint8)
    mnist_like(tmp_path / "MNIST" / "raw", (images, labels), (images, labels))
    whole = load_split("mnist", True, tmp_path)
    monkeypatch.setenv(stream.BUDGET_ENV, "0")
    with pytest.raises(DataNotFound, match="over the AEEXPLORER_STREAM_MB budget"):
        load_split("mnist", True, tmp_path, image_size=64, channels=3)  # a page: in memory
    streamed = load_split("mnist", True, tmp_path, image_size=64, channels=3, stream=True)
    assert streamed.images.shape == (9, 3, 64, 64)
    order = torch.tensor([4, 0, 8, 2, 1, 3, 5, 7, 6])
    got = torch.cat([x for x, _ in stream.indexed_batches(streamed.images, order, 4, fill=True)])
    torch.testing.assert_close(got, fit_images(whole.images, 64, 3)[order])


def test_the_budget_and_workers_come_from_the_environment(monkeypatch):
    monkeypatch.setenv(stream.BUDGET_ENV, "100")
    assert stream.budget_bytes() == 100 * 2**20
    assert stream.too_big(1000, 3, 128) and not stream.too_big(1000, 1, 28)
    for bad in ("lots", "-5", "1e3", "", "٣"):
        monkeypatch.setenv(stream.BUDGET_ENV, bad)
        assert stream.budget_bytes() == stream.DEFAULT_BUDGET_MB * 2**20
    monkeypatch.setenv(stream.WORKERS_ENV, "0")
    assert stream.workers() == 0
    monkeypatch.setenv(stream.WORKERS_ENV, "many")
    assert 0 <= stream.workers() <= 4
