"""Issue 28's three small ones: a link in an image folder that cannot even be read is left out
(a training on ``folder:/proc`` says no image could be read, not that its output could not be
written); CIFAR-10 batches are held once, the size limit is named as such, and the cost check
counts the records the batches hold."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from aeexplorer import cli
from aeexplorer.app.limits import data_size
from aeexplorer.core.datasets import builtin, listing
from aeexplorer.core.datasets.loading import load_split, train_images
from aeexplorer.core.datasets.registry import BUILTINS
from aeexplorer.core.errors import DataNotFound
from tests.helpers.datasets import cifar10


@pytest.fixture
def unreadable_link(tmp_path, monkeypatch) -> Path:
    """An image folder with one class whose only entry is a link that realpath cannot read
    (as /proc/1/cwd is for a process without the right)."""
    folder = tmp_path / "images" / "probe"
    (folder / "a").mkdir(parents=True)
    (folder / "a" / "cwd").symlink_to(tmp_path)
    real = os.path.realpath

    def realpath(path, *args, **kw):
        if str(path).endswith("cwd"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args, **kw)

    monkeypatch.setattr(listing.os.path, "realpath", realpath)
    return folder


def test_a_link_that_cannot_be_read_is_left_out(unreadable_link):
    found = listing.list_folder(unreadable_link)
    assert found.files == () and found.left_out == ("a/cwd",)


def test_training_on_it_says_no_image_was_read_not_that_it_could_not_write(
        unreadable_link, tmp_path, capfd):
    out = tmp_path / "out.safetensors"
    rc = cli.main(["train", "--dataset", f"folder:{unreadable_link}", "--model", "ae",
                   "--epochs", "1", "--data-dir", str(tmp_path), "--out", str(out)])
    err = capfd.readouterr().err
    assert rc != 0 and "could not write" not in err
    assert "no image files in" in err and "1 entries left out" in err, err
    assert err.strip().count("\n") == 0
    assert not out.exists()


def test_a_batch_over_the_record_limit_is_named_so(tmp_path, monkeypatch):
    cifar10(tmp_path, per_batch=3)
    monkeypatch.setattr(builtin, "_MAX_RECORDS", 2)
    with pytest.raises(DataNotFound) as info:
        load_split("cifar10", True, tmp_path)
    assert "data_batch_1.bin holds 3 records, over the size limit" in str(info.value)
    assert "whole number" not in str(info.value)


def test_the_cost_check_counts_the_records_the_batches_hold(tmp_path):
    cifar10(tmp_path, per_batch=7)
    assert train_images("cifar10", tmp_path) == 35
    assert data_size("cifar10", tmp_path).images == 35
    empty = tmp_path / "none"
    assert train_images("cifar10", empty) == BUILTINS["cifar10"].train_images  # said on read


def test_the_batches_are_held_once(tmp_path):
    import torch  # noqa: F401  (imported before the count: its import is not the reading's)

    cifar10(tmp_path, per_batch=2000, test=1)
    tracemalloc.start()
    try:
        images, labels, _ = builtin.read("cifar10", BUILTINS["cifar10"], True, tmp_path, False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert images.shape == (10_000, 3, 32, 32) and len(labels) == 10_000
    expected, _ = cifar10(tmp_path / "again", per_batch=2000, test=1)
    np.testing.assert_array_equal(images.numpy(), expected)
    # the images and one batch's records (a fifth) at a time, about 1.4 times the images;
    # every batch's records besides, as a concatenation holds them, would be over twice
    assert peak < 1.6 * images.numpy().nbytes, peak / images.numpy().nbytes
