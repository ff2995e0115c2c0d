"""The data sets, by name: the registry of the built-in ones (torchvision's MNIST,
Fashion-MNIST, KMNIST, EMNIST letters, CIFAR-10, read by ``aeexplorer.core.datasets.builtin``; and
the shapes, made on the spot by ``aeexplorer.core.datasets.shapes``) and image
folders (``folder:PATH``, ``aeexplorer.core.datasets.folder``), each split a ``Split``: one tensor
in memory, or streamed when too big for it (``aeexplorer.core.datasets.stream``).

The data root comes from the ``--data-dir`` flag, else ``AEEXPLORER_DATA``, else ``./data``.
Nothing is downloaded unless asked for (``download=True``, or ``fetch``), and a missing data
set gives a message that names the folder to fill. ``missing_files`` says what is absent
without importing torch, so a page can tell before it starts anything.
"""

from __future__ import annotations

import os
import string
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aeexplorer.core.datasets import builtin, folder, shapes
from aeexplorer.core.datasets import stream as streaming
from aeexplorer.core.errors import DataNotFound
from aeexplorer.core.models.config import MAX_SIDE, MIN_SIDE

if TYPE_CHECKING:
    import torch

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


NO_LABEL = -1  # the label of an image that has none (a flat image folder)


@dataclass
class Split:
    images: torch.Tensor  # (N, C, S, S) float32 in [0, 1]
    labels: torch.Tensor  # (N,) int64; NO_LABEL for an image without one
    class_names: tuple[str, ...] = ()  # what each label means; empty: the data has no labels
    skipped: int = 0  # files that could not be read and were left out (image folders)

    def __post_init__(self) -> None:
        if not self.class_names and len(self.labels) and int(self.labels.max()) >= 0:
            # labels without names (a split built by hand): the numbers are the names
            self.class_names = tuple(str(i) for i in range(int(self.labels.max()) + 1))

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def labelled(self) -> bool:
        return bool(self.class_names) and bool((self.labels >= 0).any())


def class_names_of(name: str) -> tuple[str, ...]:
    """The classes of a built-in data set by name (empty when the name is not one): what a
    checkpoint written before checkpoints stored their classes meant by its labels."""
    return CLASS_NAMES.get(name, ())


def resolve_data_root(data_dir: str | os.PathLike | None = None) -> Path:
    if data_dir:
        return Path(data_dir).expanduser()
    return Path(os.environ.get("AEEXPLORER_DATA") or "data").expanduser()


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


def load_split(
    name: str, train: bool, data_dir: str | os.PathLike | None = None, download: bool = False,
    *, image_size: int | None = None, channels: int | None = None, stream: bool = False,
) -> Split:
    """Load one split, ``image_size`` pixels square with ``channels`` channels (None: the data
    set's own). ``stream``: a split over the memory budget comes back streamed
    (``aeexplorer.core.datasets.stream``); else such a split is refused. Raises ``DataNotFound``,
    with the folder to fill, in one line."""
    if image_size is not None and not MIN_SIDE <= image_size <= MAX_SIDE:
        raise DataNotFound(f"the image size must be {MIN_SIDE} to {MAX_SIDE} pixels")
    if channels not in (None, 1, 3):
        raise DataNotFound(f"channels must be 1 (grey) or 3 (colour), not {channels}")
    if name in GENERATED:
        return shapes.load(train, image_size, channels, stream)
    root = resolve_data_root(data_dir)
    if folder.is_folder(check_dataset_name(name)):
        return folder.load(name, train, root, image_size, channels, stream)
    raw, labels, classes = builtin.read(name, BUILTINS[name], train, root, download)
    shape = (len(raw), channels or raw.shape[1], image_size or raw.shape[-1])
    if streaming.too_big(*shape):
        if not stream:
            raise DataNotFound(f"the {name} images at {shape[2]} pixels would take "
                               f"{streaming.gigabytes((*shape, shape[2]))} in memory, over the "
                               f"{streaming.BUDGET_ENV} budget")
        source = builtin.TensorSource(raw, shape[2], shape[1])
        return Split(streaming.Streamed(source, (*shape, shape[2])), labels, classes)
    images = fit_images(raw.float().div_(255.0), image_size, channels)
    return Split(images=images, labels=labels, class_names=classes)


def fit_images(images: torch.Tensor, image_size: int | None,
               channels: int | None) -> torch.Tensor:
    """(N, C, S, S) images resized (area-averaged down, bilinear up) to ``image_size`` and
    turned grey (ITU-R BT.601 luma) or colour (grey repeated) to ``channels``; None keeps."""
    import torch.nn.functional as F

    if channels not in (None, 1, 3):
        raise DataNotFound(f"channels must be 1 (grey) or 3 (colour), not {channels}")
    if channels is not None and channels != images.shape[1]:
        if channels == 3:
            images = images.expand(-1, 3, -1, -1)
        else:
            weights = images.new_tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
            images = (images * weights).sum(dim=1, keepdim=True)
    if image_size is not None and image_size != images.shape[-1]:
        mode = "area" if image_size < images.shape[-1] else "bilinear"
        extra = {} if mode == "area" else {"align_corners": False}
        images = F.interpolate(images, size=(image_size, image_size), mode=mode, **extra)
        images = images.clamp_(0.0, 1.0)
    return images.contiguous()


def missing_files(name: str, root: str | os.PathLike) -> list[str]:
    """The files of ``name`` that would be read and are not under ``root`` (empty: the data
    set is there; for an image folder, the folder itself). A file check only: no torch, no
    reading."""
    if folder.is_folder(name) or name not in BUILTINS:
        try:
            path = folder.folder_path(check_dataset_name(name), Path(root))
        except DataNotFound:  # a name that is neither (a checkpoint may name any data set)
            return [name]
        return [] if path.is_dir() else [str(path)]
    where = raw_folder(name, Path(root))
    return [f for f in BUILTINS[name].files if not (where / f).is_file()]


def offered(root: str | os.PathLike) -> list[str]:
    """The data sets the Train page offers: MNIST and Fashion-MNIST (a page says how to
    fetch them when absent), the other built-in sets present under ``root``, and the image
    folders of ``<root>/images`` as folder:NAME. No reading, no torch."""
    present = [n for n in DATASETS if n not in DEFAULT_DATASETS and not missing_files(n, root)]
    return [*DEFAULT_DATASETS, *present, *folder.image_folders(Path(root))]


def train_images(name: str, root: str | os.PathLike) -> int:
    """How many training images ``name`` has, without reading any: the known count of a
    built-in set, the files of an image folder's training split (DataNotFound if none)."""
    if not folder.is_folder(check_dataset_name(name)):
        return BUILTINS[name].train_images
    listing = folder.list_folder(folder.folder_path(name, Path(root)))
    return sum(not folder.in_test(f) for f in listing.files)


def fetch(name: str, root: str | os.PathLike) -> Path:
    """Download ``name`` into ``root`` through torchvision (both splits; nothing is fetched
    when the files are there) and read its training split once as a check. Returns the raw
    folder; raises ``DataNotFound`` with one line when it cannot (no network, a full disk)."""
    if folder.is_folder(check_dataset_name(name)):
        raise DataNotFound(f"{name} is an image folder: there is nothing to download")
    where = raw_folder(name, Path(root))
    try:
        builtin.download(name, Path(root))
    except Exception as exc:  # URLError, RuntimeError (every mirror failed), OSError
        raise DataNotFound(f"could not download {BUILTINS[name].label} into {where}: "
                           f"{builtin.one_line(exc)}") from None
    return where
