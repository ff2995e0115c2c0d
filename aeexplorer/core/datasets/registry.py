"""The data sets, by name: the registry of the built-in ones (torchvision's MNIST,
Fashion-MNIST, KMNIST, EMNIST letters, CIFAR-10, read by ``aeexplorer.core.datasets.builtin``; and
the shapes, made on the spot by ``aeexplorer.core.datasets.shapes``) and image folders
(``folder:PATH``, ``aeexplorer.core.datasets.folder``): what each is called, where its files are,
its classes and its own image shape. No reading and no torch here; ``loading`` loads a split."""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from aeexplorer.core.datasets import folder, shapes
from aeexplorer.core.errors import DataNotFound


@dataclass(frozen=True)
class Builtin:
    """A built-in data set: one torchvision fetches, as it lays it out under the data root,
    or one made on the spot (``GENERATED``: no folder, no files)."""
    label: str  # in the ``data`` command's lines: "MNIST", "CIFAR-10"
    title: str  # on the pages: "MNIST digits"
    folder: str  # torchvision's folder under the data root, where the files are
    files: tuple[str, ...]  # the files read (``missing_files`` checks them)
    classes: tuple[str, ...]
    size: int = 28  # its own image side and channels
    channels: int = 1
    train_images: int = 60_000
    megabytes: int = 0  # what a download fetches


_IDX = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
# CIFAR-10's binary version: the python version is pickles, which this project does not read
_CIFAR = ("batches.meta.txt", *(f"data_batch_{i}.bin" for i in range(1, 6)), "test_batch.bin")
BUILTINS: dict[str, Builtin] = {
    "mnist": Builtin("MNIST", "MNIST digits", "MNIST/raw", _IDX,
                     tuple(str(d) for d in range(10)), megabytes=12),
    "fashion": Builtin("FashionMNIST", "Fashion-MNIST", "FashionMNIST/raw", _IDX, (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"), megabytes=30),
    "kmnist": Builtin("KMNIST", "Kuzushiji-MNIST", "KMNIST/raw", _IDX,
                      ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"), megabytes=20),
    # EMNIST's letters: labels 1..26 on file (torchvision's classes start with "N/A")
    "emnist-letters": Builtin("EMNIST letters", "EMNIST letters", "EMNIST/raw", tuple(
        f"emnist-letters-{s}-{k}" for s in ("train", "test")
        for k in ("images-idx3-ubyte", "labels-idx1-ubyte")),
        tuple(string.ascii_lowercase), train_images=124_800, megabytes=560),
    "cifar10": Builtin("CIFAR-10", "CIFAR-10", "cifar-10-batches-bin", _CIFAR, (
        "airplane", "automobile", "bird", "cat", "deer",
        "dog", "frog", "horse", "ship", "truck"), 32, 3, 50_000, megabytes=163),
    "shapes": Builtin("shapes", "Coloured shapes", "", (), shapes.CLASS_NAMES, shapes.IMAGE_SIZE,
                      3, shapes.SIZES[True]),
}
GENERATED = ("shapes",)  # made from a seed when loaded: nothing to read, nothing to fetch
CLASS_NAMES: dict[str, tuple[str, ...]] = {k: b.classes for k, b in BUILTINS.items()}
DATASETS = tuple(BUILTINS)
DEFAULT_DATASETS = ("mnist", "fashion")  # what ``data`` fetches unless told: the shipped models'


def class_names_of(name: str) -> tuple[str, ...]:
    """The classes of a built-in data set by name (empty when the name is not one): what a
    checkpoint written before checkpoints stored their classes meant by its labels."""
    return CLASS_NAMES.get(name, ())


def check_dataset_name(name: str) -> str:
    if name not in BUILTINS and not (folder.is_folder(name) and len(name) > len(folder.PREFIX)):
        raise DataNotFound(f"unknown dataset {name!r}: choose one of {', '.join(DATASETS)}, "
                           "or folder:PATH (a folder of images)")
    return name


def raw_folder(name: str, root: Path) -> Path:
    """Where the files of ``name`` are: torchvision's folder, or the image folder."""
    if folder.is_folder(check_dataset_name(name)):
        return folder.folder_path(name, Path(root))
    return Path(root) / BUILTINS[name].folder


def folder_name(name: str) -> str:
    """The data set in the ``data`` command's lines: "MNIST", "CIFAR-10", "folder:NAME"."""
    return name if folder.is_folder(check_dataset_name(name)) else BUILTINS[name].label


def title(name: str) -> str:
    """The data set in a page's words: "MNIST digits", "shapes (image folder)"."""
    if folder.is_folder(name):
        return f"{name[len(folder.PREFIX):]} (image folder)"
    return BUILTINS[name].title if name in BUILTINS else name


def own_shape(name: str) -> tuple[int, int | None]:
    """The image side and channels a data set has unless told (channels None: an image
    folder's, found from its files)."""
    if name in BUILTINS:
        return BUILTINS[name].size, BUILTINS[name].channels
    return folder.DEFAULT_SIZE, None


def stored_name(name: str, root: Path) -> str:
    """How a checkpoint names the data set: built-ins by name, a folder as folder:NAME."""
    return folder.stored_name(name, Path(root)) if folder.is_folder(name) else name
