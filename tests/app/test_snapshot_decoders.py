"""The decoder a training writes with each snapshot for the Train page: each file decodes as the
model did at that snapshot (torch), only the last few stay, they go when the training ends, and
a decoder the page cannot take is not written."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import aeexplorer.core.pipeline as pipeline
from aeexplorer.app import snapshot_decoders
from aeexplorer.app.export import Exported, decode_exported
from aeexplorer.app.snapshot_decoders import SnapshotDecoders
from aeexplorer.core.datasets.split import Split
from aeexplorer.core.latent.ops import ModelOps
from aeexplorer.core.models import ModelConfig, build_model
from aeexplorer.core.training.config import TrainConfig
from tests.helpers.images import synthetic_images

Z = np.random.default_rng(1).normal(size=(50, 2)) * 2


def _torch_decode(model, z: np.ndarray) -> np.ndarray:
    was = model.training
    model.eval()  # as the page's decoder: batch norm's running statistics
    try:
        return ModelOps(model).decode(z)
    finally:
        model.train(was)


def test_each_snapshots_file_decodes_as_the_model_did_then(tmp_path, monkeypatch):
    torch.set_num_threads(1)
    images, labels = synthetic_images(256, seed=0)
    train, test = Split(images=images, labels=labels), Split(images=images[:64],
                                                            labels=labels[:64])
    monkeypatch.setattr(pipeline, "load_split", lambda name, is_train, *a, **k: train
                        if is_train else test)
    writer = SnapshotDecoders(tmp_path / "decoders", keep=2, min_gap_s=0.0)
    seen = []  # (what the line would carry, the file's bytes then, torch's images then)

    def listener(moment, codes, labels, model):
        written = writer.write(model)
        blob = (tmp_path / "decoders" / written["file"]).read_bytes()
        seen.append((written, blob, _torch_decode(model, Z)))
        assert len(list((tmp_path / "decoders").glob("*.bin"))) <= 2  # the last two only

    cfg = TrainConfig(epochs=3, batch_size=32, lr=3e-3, device="cpu", precision="fp32")
    pipeline.train_and_save(ModelConfig(kind="vae", hidden=(64,), batchnorm=True), cfg,
                            tmp_path / "m.safetensors", snapshots=5, on_snapshot=listener)
    assert len(seen) >= 4
    for written, blob, want in seen:
        got = decode_exported(Exported(written["spec"], blob), Z)
        assert np.abs(got - want).max() < 1e-5  # the page's decode of the file is torch's
    first, last = seen[0][2], seen[-1][2]
    assert np.abs(first - last).max() > 0.1  # and the decoder changed as it learned
    assert len({w["file"] for w, _, _ in seen}) == len(seen)
    writer.close()
    assert not list((tmp_path / "decoders").iterdir())  # the training's files go with it


def test_a_write_too_soon_after_the_last_waits(tmp_path):
    model = build_model(ModelConfig(kind="vae", hidden=(8,)))
    writer = SnapshotDecoders(tmp_path, min_gap_s=60.0)
    assert writer.write(model) is not None
    with torch.no_grad():
        model.decoder[0][0].weight.add_(1.0)
    assert writer.write(model) is None and len(list(tmp_path.glob("*.bin"))) == 1


def test_a_decoder_the_page_cannot_take_is_not_written(tmp_path, monkeypatch):
    model = build_model(ModelConfig(kind="vae", hidden=(8,)))
    monkeypatch.setattr(snapshot_decoders, "MAX_BLOB_BYTES", 100)
    assert SnapshotDecoders(tmp_path).write(model) is None
    assert not list(tmp_path.iterdir())


def test_a_folder_that_cannot_be_written_stops_the_writes(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    writer = SnapshotDecoders(tmp_path / "file" / "decoders", min_gap_s=0.0)
    model = build_model(ModelConfig(kind="vae", hidden=(8,)))
    assert writer.write(model) is None and writer.failed
    assert writer.write(model) is None  # not tried again


@pytest.mark.parametrize("full", [True, False])
def test_a_full_folder_skips_this_snapshot_only(tmp_path, monkeypatch, full):
    from aeexplorer.app import export

    model = build_model(ModelConfig(kind="vae", hidden=(8,)))
    monkeypatch.setattr(export, "MAX_FOLDER_BYTES", 10 if full else 2**30)
    writer = SnapshotDecoders(tmp_path, min_gap_s=0.0)
    written = writer.write(model)
    assert (written is None) == full and not writer.failed
