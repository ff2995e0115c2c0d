"""The page's decoder files (aeexplorer.ui.inpage.decoder_files) under hostile sizes: a decoder
over the limit is refused from its parameter count before it is exported, and the server decodes
it; a full folder refuses a new file without removing another model's; a failed write leaves no
temporary file; a file in use keeps a fresh time, and the cleanup removes the idle ones."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from aeexplorer.app import cleanup
from aeexplorer.app.export import export_decoder
from aeexplorer.app.limits import Limits
from aeexplorer.core import atomic
from aeexplorer.core.models import ModelConfig, build_model
from aeexplorer.ui import resources
from aeexplorer.ui.inpage import decoder_files
from tests.helpers.checkpoints import make_checkpoint


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    """A checkpoint's decoders written to a folder of this test, with no cached export."""
    root = tmp_path / "app"
    monkeypatch.setattr(decoder_files, "DECODERS", root / cleanup.DECODERS_DIR)
    decoder_files._exported.clear()
    yield root
    decoder_files._exported.clear()


def decoder(tmp_path: Path, **kw) -> tuple[str, float]:
    path = make_checkpoint(tmp_path / f"dec-{len(kw)}.safetensors", **kw)
    return str(path), path.stat().st_mtime


def test_a_decoder_over_the_limit_is_refused_before_it_is_exported(folder, tmp_path,
                                                                   monkeypatch):
    path, mtime = decoder(tmp_path)
    size = decoder_files.decoder_bytes(resources.checkpoint(path, mtime).model)
    monkeypatch.setattr(decoder_files, "MAX_FILE_BYTES", size - 1)

    def never(model):
        raise AssertionError("exported although over the limit")

    monkeypatch.setattr("aeexplorer.app.export.export_decoder", never)
    net = decoder_files.page_decoder(path, mtime)
    assert "larger than this server sends to a page" in net["why"]
    assert "the server decodes" in net["why"] and not folder.exists()


@pytest.mark.parametrize("kind,hidden", [("vae", (32, 16)), ("ae", (64,)), ("pca", ())])
def test_the_size_bound_is_never_below_the_file(kind, hidden):
    cfg = ModelConfig(kind=kind, hidden=hidden, batchnorm=kind == "ae")
    model = build_model(cfg).eval()
    blob = export_decoder(model).blob
    assert len(blob) <= decoder_files.decoder_bytes(model) <= len(blob) + 4 * 2 * sum(hidden)


def test_a_full_folder_refuses_a_new_file_and_keeps_the_others(folder, tmp_path, monkeypatch):
    path, mtime = decoder(tmp_path)
    others = folder / cleanup.DECODERS_DIR
    others.mkdir(parents=True)
    for i in range(3):
        (others / f"{i:024x}.bin").write_bytes(b"\0" * 1000)
    monkeypatch.setattr(decoder_files, "MAX_DECODER_BYTES", 3500)
    net = decoder_files.page_decoder(path, mtime)
    assert "full for now" in net["why"]
    assert sorted(p.name for p in others.iterdir()) == [f"{i:024x}.bin" for i in range(3)]
    monkeypatch.setattr(decoder_files, "MAX_DECODER_BYTES", 10**9)  # room again: written
    net = decoder_files.page_decoder(path, mtime)
    assert (folder / "static" / net["url"].removeprefix("app/static/")).is_file()
    assert len(list(others.iterdir())) == 4


@pytest.mark.parametrize("fail", ["write", "replace"])
def test_a_failed_write_leaves_no_temporary_file(folder, tmp_path, monkeypatch, fail):
    path, mtime = decoder(tmp_path)
    def full(self, data):
        Path.write_text(self, "half")  # a part written, then the disk is full
        raise OSError(28, "No space left on device")

    if fail == "write":
        monkeypatch.setattr(atomic.Path, "write_bytes", full)
    else:
        monkeypatch.setattr(atomic.os, "replace",
                            lambda *a: (_ for _ in ()).throw(OSError(13, "denied")))
    net = decoder_files.page_decoder(path, mtime)
    assert "could not store the decoder" in net["why"]
    assert list((folder / cleanup.DECODERS_DIR).iterdir()) == []


def test_a_file_in_use_stays_and_an_idle_one_is_swept(folder, tmp_path):
    path, mtime = decoder(tmp_path)
    net = decoder_files.page_decoder(path, mtime)
    mine = folder / "static" / net["url"].removeprefix("app/static/")
    idle = mine.with_name("0" * 24 + ".bin")
    tmp = mine.with_name(f".{mine.name}.abcd1234.tmp")
    other = mine.with_name("notes.txt")
    hour_ago = time.time() - 3 * 3600
    for p in (idle, tmp, other):
        p.write_bytes(b"x")
    for p in (mine, idle, tmp, other):
        os.utime(p, (hour_ago, hour_ago))
    decoder_files.page_decoder(path, mtime)  # a page uses it again: its time is refreshed
    assert time.time() - mine.stat().st_mtime < 60
    removed = cleanup.sweep(folder, Limits())
    assert sorted(removed) == sorted([idle, tmp])
    assert mine.is_file() and other.is_file()


def test_a_decoders_folder_reached_by_a_link_is_not_swept(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    old = elsewhere / ("1" * 24 + ".bin")
    old.write_bytes(b"x")
    os.utime(old, (0, 0))
    (tmp_path / "app" / "static").mkdir(parents=True)
    (tmp_path / "app" / cleanup.DECODERS_DIR).symlink_to(elsewhere)
    assert cleanup.sweep(tmp_path / "app", Limits()) == [] and old.is_file()


def test_the_limits_read_the_decoders_age():
    assert Limits.from_env({"AEEXPLORER_DECODER_MAX_AGE_MIN": "5"}).decoder_age == 300
    assert Limits.from_env({"AEEXPLORER_DECODER_MAX_AGE_MIN": "soon"}).decoder_age == 3600
