"""Small data sets written by the tests in their real formats: image folders (Pillow), the idx
files of MNIST, KMNIST and EMNIST, CIFAR-10's binary batches. No network."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
from PIL import Image

from aeexplorer.core.datasets.folder import in_test


def shade(k: int) -> int:
    """A grey level that tells image ``k`` apart from the others (k < 200)."""
    return 30 + k


def class_folder(root: Path, classes: dict[str, int], size: tuple[int, int] = (20, 14),
                 start: int = 0) -> dict[str, int]:
    """``root`` with a subfolder per class holding that many flat grey PNGs, each of its own
    shade (``shade``): {relative path: shade}. Names are chosen so that both splits get
    files."""
    written = {}
    k = start
    for name, count in classes.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            relative = f"{name}/img{k:03d}.png"
            Image.new("L", size, shade(k)).save(root / relative)
            written[relative] = shade(k)
            k += 1
    return written


def split_of(paths, train: bool) -> set[str]:
    """The relative paths the folder reader puts in the training (or test) split."""
    return {p for p in paths if in_test(p) != train}


def shades(split) -> set[int]:
    """The shades of a split of flat grey images (their first pixel, back in 0..255)."""
    return {round(float(v) * 255) for v in split.images[:, 0, 0, 0]}


def write_idx(path: Path, array: np.ndarray) -> None:
    """``array`` (uint8) as an idx file: the magic (0, 0, 0x08 = unsigned byte, the number of
    dimensions), each dimension as a big-endian int32, then the bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    head = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">i", d) for d in array.shape)
    path.write_bytes(head + np.ascontiguousarray(array, np.uint8).tobytes())


def mnist_like(folder: Path, train: tuple[np.ndarray, np.ndarray],
               test: tuple[np.ndarray, np.ndarray],
               names: tuple[str, ...] = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
               ) -> None:
    """The four idx files of an MNIST-like set in ``folder`` (torchvision's raw folder)."""
    for name, array in zip(names, (*train, *test)):
        write_idx(folder / name, array)


def cifar10(root: Path, per_batch: int = 2, test: int = 3,
            names: tuple[str, ...] = tuple(f"class{i}" for i in range(10)), seed: int = 0
            ) -> tuple[np.ndarray, list[int]]:
    """CIFAR-10's binary batches (five training batches, a test batch, batches.meta.txt) in
    ``root/cifar-10-batches-bin``, as the originals are: records of a label byte and the
    image's red, green and blue planes. Returns the training images (N, 3, 32, 32) and
    labels."""
    rng = np.random.default_rng(seed)
    folder = root / "cifar-10-batches-bin"
    folder.mkdir(parents=True, exist_ok=True)
    images, labels = [], []
    for name, n in [*((f"data_batch_{b}.bin", per_batch) for b in range(1, 6)),
                    ("test_batch.bin", test)]:
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        found = rng.integers(0, 10, n).astype(np.uint8)
        (folder / name).write_bytes(np.concatenate([found[:, None], data], axis=1).tobytes())
        if name != "test_batch.bin":
            images.append(data.reshape(-1, 3, 32, 32))
            labels += [int(v) for v in found]
    (folder / "batches.meta.txt").write_text("\n".join(names) + "\n\n")
    return np.concatenate(images), labels
