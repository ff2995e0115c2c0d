"""The built-in data sets besides MNIST, from tiny files the tests write in their real formats
under torchvision's layouts (no network): KMNIST's and EMNIST's idx files, CIFAR-10's binary
batches; EMNIST read upright with labels a..z, CIFAR-10's class names from its own file, any
size and channels, a damaged batch refused, and what is missing told without torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from aeexplorer.core.datasets.loading import load_split, missing_files
from aeexplorer.core.datasets.registry import BUILTINS, DATASETS, GENERATED, raw_folder
from aeexplorer.core.errors import DataNotFound
from aeexplorer.core.images.fit import fit_images
from tests.helpers import REPO
from tests.helpers.datasets import cifar10, mnist_like


def _letter_l() -> np.ndarray:
    """An upright "L": the left column and the bottom row lit, as a person reads it."""
    image = np.zeros((28, 28), np.uint8)
    image[4:24, 6] = 255
    image[23, 6:20] = 255
    return image


def test_kmnist_is_read_with_its_classes(tmp_path):
    rng = np.random.default_rng(0)
    train = (rng.integers(0, 256, (12, 28, 28), dtype=np.uint8), np.arange(12, dtype=np.uint8) % 10)
    test = (rng.integers(0, 256, (5, 28, 28), dtype=np.uint8), np.arange(5, dtype=np.uint8))
    mnist_like(tmp_path / "KMNIST" / "raw", train, test)
    assert missing_files("kmnist", tmp_path) == []
    split = load_split("kmnist", True, tmp_path)
    assert split.images.shape == (12, 1, 28, 28)
    np.testing.assert_array_equal(split.images[:, 0].numpy() * 255, train[0])
    assert split.labels.tolist() == list(train[1]) and split.class_names[:3] == ("o", "ki", "su")
    assert len(load_split("kmnist", False, tmp_path)) == 5


def test_emnist_letters_read_upright_with_labels_a_to_z(tmp_path):
    upright = _letter_l()
    stored = np.stack([upright.T] * 3)  # EMNIST's files hold each image transposed
    names = tuple(f"emnist-letters-{s}-{k}" for s in ("train", "test")
                  for k in ("images-idx3-ubyte", "labels-idx1-ubyte"))
    mnist_like(tmp_path / "EMNIST" / "raw", (stored, np.array([1, 2, 26], np.uint8)),
               (stored[:2], np.array([3, 4], np.uint8)), names)
    assert missing_files("emnist-letters", tmp_path) == []
    split = load_split("emnist-letters", True, tmp_path)
    np.testing.assert_array_equal(split.images[0, 0].numpy() * 255, upright)
    assert split.labels.tolist() == [0, 1, 25]
    assert [split.class_names[i] for i in split.labels] == ["a", "b", "z"]
    assert len(split.class_names) == 26


def test_cifar10_batches_with_their_class_names(tmp_path):
    names = tuple(f"thing{i}" for i in range(10))
    images, labels = cifar10(tmp_path, per_batch=2, test=3, names=names)
    assert missing_files("cifar10", tmp_path) == []
    train = load_split("cifar10", True, tmp_path)
    assert train.images.shape == (10, 3, 32, 32) and train.class_names == names
    np.testing.assert_array_equal((train.images * 255).round().numpy(), images)
    assert train.labels.tolist() == labels
    assert len(load_split("cifar10", False, tmp_path)) == 3
    grey = load_split("cifar10", True, tmp_path, image_size=16, channels=1)
    assert grey.images.shape == (10, 1, 16, 16)
    torch.testing.assert_close(grey.images, fit_images(train.images, 16, 1))


@pytest.mark.parametrize("damage,why", [
    (lambda b: b[:-5], "not a whole number of 3,073-byte records"),
    (lambda b: bytes([10]) + b[1:], "a label above 9"),
    (lambda b: b"", "not a whole number"),
])
def test_a_damaged_cifar10_batch_is_one_line(tmp_path, damage, why):
    cifar10(tmp_path)
    batch = tmp_path / "cifar-10-batches-bin" / "data_batch_3.bin"
    batch.write_bytes(damage(batch.read_bytes()))
    with pytest.raises(DataNotFound) as info:
        load_split("cifar10", True, tmp_path)
    assert "could not be read" in str(info.value) and why in str(info.value)
    assert "data_batch_3.bin" in str(info.value) and "\n" not in str(info.value)


def test_cifar10_class_names_fall_back_when_the_file_is_odd(tmp_path):
    cifar10(tmp_path)
    (tmp_path / "cifar-10-batches-bin" / "batches.meta.txt").write_text("only\nthree\nlines\n")
    assert load_split("cifar10", False, tmp_path).class_names[0] == "airplane"


@pytest.mark.parametrize("name", [n for n in DATASETS if n not in GENERATED])  # read from files
def test_a_missing_set_names_its_folder_and_files_in_one_line(tmp_path, name):
    with pytest.raises(DataNotFound) as info:
        load_split(name, False, tmp_path)
    message = str(info.value)
    assert str(raw_folder(name, tmp_path)) in message and BUILTINS[name].files[-1] in message
    assert "--download" in message and "download=True" not in message and "\n" not in message
    assert missing_files(name, tmp_path) == list(BUILTINS[name].files)


def test_what_is_missing_is_told_without_torch(tmp_path):
    code = ("import sys; from aeexplorer.core.datasets.registry import DATASETS\n"
            "from aeexplorer.core.datasets.loading import missing_files, offered\n"
            f"print([len(missing_files(n, {str(tmp_path)!r})) for n in DATASETS])\n"
            f"print(missing_files('folder:pics', {str(tmp_path)!r}), offered({str(tmp_path)!r}))\n"
            "assert 'torch' not in sys.modules, 'torch was imported'")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == str([len(BUILTINS[n].files) for n in DATASETS])
    # an empty root: the shipped models' sets (a page says how to fetch them) and the shapes,
    # which need no files
    assert "['mnist', 'fashion', 'shapes']" in done.stdout.splitlines()[1]


def _tarball(path: Path, members: dict[str, bytes]) -> None:
    import io
    import tarfile

    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _serve(monkeypatch, tarball: Path) -> list[str]:
    """torchvision's download helper replaced by a copy of ``tarball``: the URLs asked for."""
    import shutil

    import torchvision.datasets.utils as tv_utils

    asked = []

    def download_url(url, root, filename=None, md5=None):
        asked.append(url)
        shutil.copy(tarball, Path(root) / filename)

    monkeypatch.setattr(tv_utils, "download_url", download_url)
    return asked


def test_fetching_cifar10_unpacks_the_binary_version(tmp_path, monkeypatch):
    from aeexplorer.core.datasets.loading import fetch

    cifar10(tmp_path / "made")
    made = tmp_path / "made" / "cifar-10-batches-bin"
    _tarball(tmp_path / "c.tar.gz", {f"cifar-10-batches-bin/{p.name}": p.read_bytes()
                                     for p in made.iterdir()})
    asked = _serve(monkeypatch, tmp_path / "c.tar.gz")
    root = tmp_path / "root"
    fetch("cifar10", root)
    assert asked == ["https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"]
    assert missing_files("cifar10", root) == [] and len(load_split("cifar10", False, root)) == 3
    fetch("cifar10", root)  # the files are there: nothing is fetched
    assert len(asked) == 1


def test_a_tarball_member_outside_the_root_is_refused(tmp_path, monkeypatch):
    from aeexplorer.core.datasets.loading import fetch

    _tarball(tmp_path / "c.tar.gz", {"../escaped.txt": b"x"})
    _serve(monkeypatch, tmp_path / "c.tar.gz")
    (tmp_path / "root").mkdir()
    with pytest.raises(DataNotFound) as info:
        fetch("cifar10", tmp_path / "root")
    assert not (tmp_path / "escaped.txt").exists()
    assert "could not download CIFAR-10" in str(info.value) and "\n" not in str(info.value)
