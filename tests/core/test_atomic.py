"""core.atomic: a reader sees the old file or the whole new one; a failure leaves no trace."""

from __future__ import annotations

import os
import stat

import pytest

from aeexplorer.core import atomic


def test_a_write_replaces_the_file_whole_and_readable_by_all(tmp_path):
    target = tmp_path / "deep" / "page.html"
    atomic.write_bytes(target, b"old")
    atomic.write_bytes(target, b"new page")
    assert target.read_bytes() == b"new page"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(p.name for p in target.parent.iterdir()) == ["page.html"]


@pytest.mark.parametrize("fail", ["write", "replace"])
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch, fail):
    target = tmp_path / "model.safetensors"
    target.write_bytes(b"old")

    def broken(*args):
        raise OSError(28, "No space left on device")

    if fail == "write":
        monkeypatch.setattr(atomic.Path, "write_bytes", broken)
    else:
        monkeypatch.setattr(atomic.os, "replace", broken)
    with pytest.raises(OSError):
        atomic.write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["model.safetensors"]


def test_an_exception_inside_the_block_keeps_the_old_file(tmp_path):
    target = tmp_path / "sheet.png"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic.replacing(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("the writer failed")
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["sheet.png"]
