"""Snapshots of the forming map: the sample, the thinning, the round trip through a checkpoint
written by a real (tiny) training, and crafted files refused with one line."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file, save_file
from safetensors.torch import load_file as load_torch

import aeexplorer.core.pipeline as pipeline
from aeexplorer.core.checkpoints.file import load_checkpoint
from aeexplorer.core.checkpoints.snapshots import NONE_NOTE, describe, read_snapshots
from aeexplorer.core.datasets.split import Split
from aeexplorer.core.errors import CheckpointError
from aeexplorer.core.models import ModelConfig
from aeexplorer.core.training.config import TrainConfig
from aeexplorer.core.training.snapshots import Taker, _most_crowded, sample_rows
from tests.helpers.checkpoints import make_checkpoint
from tests.helpers.images import synthetic_images


def test_the_sample_is_balanced_fixed_and_takes_all_of_a_small_class():
    labels = np.repeat(np.arange(10), 1000)
    rows = sample_rows(labels)
    assert len(rows) == 2000 and len(set(rows)) == 2000
    assert np.bincount(labels[rows]).tolist() == [200] * 10
    assert np.array_equal(rows, sample_rows(labels))  # seeded: the same every time
    small = np.concatenate([np.zeros(50, int), np.ones(5000, int)])
    assert np.bincount(small[sample_rows(small)]).tolist() == [50, 1950]
    assert len(sample_rows(np.arange(30) % 3)) == 30  # fewer than 2,000: all of them


def test_a_long_code_takes_a_smaller_sample_within_the_budget():
    from aeexplorer.core.training.snapshots import BUDGET, taker_for

    images, labels = synthetic_images(5000, seed=1)
    test = Split(images=images, labels=labels)
    assert len(taker_for(test, 40, 2).rows) == 2000
    taker = taker_for(test, 40, 512)
    assert 0 < len(taker.rows) * 40 * 512 <= BUDGET and len(taker.images) == len(taker.rows)


def test_thinning_keeps_the_ends_and_spreads_the_rest_on_a_log_scale(monkeypatch):
    import aeexplorer.core.training.snapshots as snaps

    encoded = []
    monkeypatch.setattr(snaps, "encode", lambda m, x: encoded.append(1)
                        or np.zeros((4, 2), np.float16))
    taker = Taker(torch.zeros(4, 1, 2, 2), np.arange(4), np.zeros(4, int), keep=8, every_s=0.0)
    for step in range(0, 1001):
        taker.on_step(None, step / 100, step)
    steps = [m["step"] for m, _ in taker.kept]
    assert len(encoded) == 1001 and len(steps) == 8
    assert steps[0] == 0 and steps[-1] == 1000 and steps == sorted(steps)
    logs = np.diff(np.log1p(steps))[:-1]  # the newest is always just after the one before
    assert logs.max() < 3 * logs.min(), steps  # roughly even in log(step)
    assert _most_crowded([0, 1, 2, 100, 1000]) == 1


@pytest.fixture
def trained(tmp_path, monkeypatch):
    torch.set_num_threads(1)
    images, labels = synthetic_images(256, seed=0)
    bars = Split(images=images, labels=labels)
    test = Split(images=images[:64], labels=labels[:64])
    monkeypatch.setattr(pipeline, "load_split", lambda name, train, *a, **k: bars if train
                        else test)
    seen = []
    out = tmp_path / "m.safetensors"
    cfg = TrainConfig(epochs=3, batch_size=32, lr=3e-3, device="cpu", precision="fp32")
    pipeline.train_and_save(ModelConfig(kind="vae", hidden=(64,)), cfg, out, snapshots=5,
                            on_snapshot=lambda moment, codes, lab, model: seen.append(moment))
    return out, seen, labels[:64]


def test_a_training_keeps_its_snapshots_and_they_end_at_the_atlas(trained):
    out, seen, labels = trained
    ckpt = load_checkpoint(out)
    snaps = ckpt.snapshots
    assert len(seen) >= 4 and seen[0]["step"] == 0  # step 0, then each of the 3 epochs' ends
    assert [m["epoch"] for m in seen if m["epoch"] == int(m["epoch"])][-3:] == [1.0, 2.0, 3.0]
    assert len(snaps) == min(5, len(seen)) and snaps.codes.dtype == np.float16
    assert snaps.codes.shape == (len(snaps), 64, 2)
    assert np.array_equal(snaps.labels, labels.numpy()[snaps.index])
    # the last snapshot is the trained model's codes: the atlas's, to half precision
    atlas = ckpt.atlas.mu.numpy()[snaps.index]
    assert np.abs(snaps.codes[-1].astype(np.float32) - atlas).max() < 0.02
    assert not np.allclose(snaps.codes[0], snaps.codes[-1], atol=0.05)  # the map moved
    assert describe(read_snapshots(out, 64)).startswith(f"{len(snaps)} snapshots of 64")


def test_a_checkpoint_without_snapshots_says_so(tiny_checkpoint):
    assert load_checkpoint(tiny_checkpoint).snapshots is None
    assert read_snapshots(tiny_checkpoint) is None
    assert describe(None) == NONE_NOTE and "--snapshots" in NONE_NOTE


def _rewrite(src, dst, drop=(), tensors=None, meta=None):
    arrays = {k: v for k, v in load_file(str(src)).items() if k not in drop}
    arrays.update(tensors or {})
    from safetensors import safe_open

    with safe_open(str(src), framework="numpy") as fh:
        metadata = {**fh.metadata(), **(meta or {})}
    save_file(arrays, str(dst), metadata={k: v for k, v in metadata.items() if v is not None})
    return dst


@pytest.mark.parametrize("change", [
    {"drop": ("snap.codes",)},
    {"meta": {"snapshots": None}},
    {"meta": {"snapshots": "[1, 2]"}},
    {"meta": {"snapshots": json.dumps([{"epoch": math.inf, "step": 0, "seconds": 0}])}},
    {"meta": {"snapshots": json.dumps([{"epoch": 0, "step": 0, "seconds": 0}] * 41)}},
    {"tensors": {"snap.codes": np.full((1, 64, 2), np.nan, np.float16)}},
    {"tensors": {"snap.codes": np.zeros((1, 64, 3), np.float16)}},
    {"tensors": {"snap.index": np.full(64, 10**6, np.int64)}},
    {"tensors": {"snap.labels": np.zeros(64, np.float32)}},
])
def test_crafted_snapshots_are_refused_in_one_line(trained, tmp_path, change):
    out, _, _ = trained
    n = len(load_checkpoint(out).snapshots)
    tensors = change.get("tensors", {})
    if "snap.codes" in tensors:
        tensors = {"snap.codes": np.resize(tensors["snap.codes"], (n, *tensors["snap.codes"]
                                                                    .shape[1:]))}
    bad = _rewrite(out, tmp_path / "bad.safetensors", change.get("drop", ()), tensors,
                   change.get("meta"))
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(bad)
        read_snapshots(bad, 64)
    assert "\n" not in str(err.value) and "bad.safetensors" in str(err.value)


def test_untouched_checkpoints_load_as_before(tmp_path):
    path = make_checkpoint(tmp_path / "m.safetensors")
    assert not any(k.startswith("snap.") for k in load_torch(str(path)))
