"""The data loader: the data root's precedence, the real MNIST / Fashion-MNIST test splits
(shapes, ranges, label counts as published), and a missing data set's message."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from aeexplorer.core.datasets.loading import load_split, resolve_data_root
from aeexplorer.core.datasets.registry import CLASS_NAMES, raw_folder
from aeexplorer.core.errors import DataNotFound

MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_data_root_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("AEEXPLORER_DATA", str(tmp_path / "env"))
    assert resolve_data_root(tmp_path / "flag") == tmp_path / "flag"
    assert resolve_data_root() == tmp_path / "env"
    monkeypatch.delenv("AEEXPLORER_DATA")
    assert resolve_data_root() == Path("data")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_data_root("~/d") == tmp_path / "d"


def test_raw_folders():
    root = Path("/r")
    assert raw_folder("mnist", root) == Path("/r/MNIST/raw")
    assert raw_folder("fashion", root) == Path("/r/FashionMNIST/raw")
    with pytest.raises(DataNotFound, match="unknown dataset 'cifar'"):
        raw_folder("cifar", root)


@pytest.mark.parametrize("name", ["mnist", "fashion"])
def test_missing_data_set_names_the_folder(tmp_path, name):
    with pytest.raises(DataNotFound) as info:
        load_split(name, False, tmp_path)
    message = str(info.value)
    assert str(raw_folder(name, tmp_path)) in message
    assert "t10k-images-idx3-ubyte" in message and "--download" in message
    assert "download=True" not in message  # torchvision's advice is for Python, not a shell
    assert "\n" not in message
    assert not any(tmp_path.rglob("*ubyte*"))  # nothing was downloaded


def test_mnist_test_split(data_root):
    split = load_split("mnist", False, data_root)
    assert len(split) == 10_000
    assert split.images.shape == (10_000, 1, 28, 28) and split.images.dtype == torch.float32
    assert split.labels.shape == (10_000,) and split.labels.dtype == torch.int64
    assert float(split.images.min()) == 0.0 and float(split.images.max()) == 1.0
    assert torch.bincount(split.labels).tolist() == MNIST_TEST_COUNTS
    assert float(split.images.mean()) == pytest.approx(0.1325, abs=0.002)


def test_fashion_test_split(data_root):
    if not (data_root / "FashionMNIST" / "raw").is_dir():
        pytest.skip("no FashionMNIST/raw in the data root")
    split = load_split("fashion", False, data_root)
    assert split.images.shape == (10_000, 1, 28, 28)
    assert torch.bincount(split.labels).tolist() == [1000] * 10
    assert len(CLASS_NAMES["fashion"]) == 10
