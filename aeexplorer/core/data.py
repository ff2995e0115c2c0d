"""MNIST and Fashion-MNIST through torchvision, each split held as one tensor in memory.

The data root comes from the ``--data-dir`` flag, else ``AEEXPLORER_DATA``, else ``./data``.
Nothing is downloaded unless asked for (``download=True``, or ``fetch``), and a missing data
set gives a message that names the folder to fill. ``missing_files`` says what is absent
without importing torch, so a page can tell before it starts anything.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aeexplorer.core.errors import DataNotFound

if TYPE_CHECKING:
    import torch

CLASS_NAMES: dict[str, tuple[str, ...]] = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion": (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
}
_FOLDERS = {"mnist": "MNIST", "fashion": "FashionMNIST"}
_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
          "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
DATASETS = tuple(CLASS_NAMES)


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
    if name not in CLASS_NAMES:
        raise DataNotFound(f"unknown dataset {name!r}: choose one of {', '.join(DATASETS)}")
    return name


def raw_folder(name: str, root: Path) -> Path:
    return root / _FOLDERS[check_dataset_name(name)] / "raw"


def load_split(
    name: str, train: bool, data_dir: str | os.PathLike | None = None, download: bool = False,
    *, image_size: int | None = None, channels: int | None = None,
) -> Split:
    """Load one split as tensors, ``image_size`` pixels square with ``channels`` channels
    (None: the data set's own). Raises ``DataNotFound`` with the folder to fill."""
    root = resolve_data_root(data_dir)
    cls = _torchvision_class(name)
    try:
        ds = cls(str(root), train=train, download=download)
    except Exception as exc:  # torchvision raises RuntimeError / URLError / OSError here
        folder = raw_folder(name, root)
        hint = "" if download else ", or pass --download where a network is available"
        # torchvision's own "not found" text suggests download=True, a Python argument: the
        # missing files say it better; any other failure (a broken file) keeps its reason
        why = "" if missing_files(name, root) and not download else f" ({_one_line(exc)})"
        raise DataNotFound(
            f"{_FOLDERS[name]} not found in {folder} (expected {', '.join(_FILES)}); "
            f"set --data-dir or AEEXPLORER_DATA to a folder that holds it{hint}{why}"
        ) from None
    images = ds.data.unsqueeze(1).float().div_(255.0)  # uint8 (N, 28, 28) -> (N, 1, 28, 28)
    images = fit_images(images, image_size, channels)
    return Split(images=images, labels=ds.targets.long().clone(), class_names=CLASS_NAMES[name])


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


def folder_name(name: str) -> str:
    """The data set's folder under the data root, as torchvision names it: "MNIST"."""
    return _FOLDERS[check_dataset_name(name)]


def missing_files(name: str, root: str | os.PathLike) -> list[str]:
    """The files of ``name`` that torchvision would read and that are not under ``root``
    (empty: the data set is there). A file check only: no torch, no reading."""
    folder = raw_folder(name, Path(root))
    return [f for f in _FILES if not (folder / f).is_file()]


def fetch(name: str, root: str | os.PathLike) -> Path:
    """Download ``name`` into ``root`` through torchvision (both splits; nothing is fetched
    when the files are there) and read its training split once as a check. Returns the raw
    folder; raises ``DataNotFound`` with one line when it cannot (no network, a full disk)."""
    cls = _torchvision_class(name)
    folder = raw_folder(name, Path(root))
    try:
        cls(str(root), train=True, download=True)
    except Exception as exc:  # URLError, RuntimeError (every mirror failed), OSError
        raise DataNotFound(f"could not download {_FOLDERS[name]} into {folder}: "
                           f"{_one_line(exc)}") from None
    return folder


def _one_line(exc: BaseException) -> str:
    """An exception's message on one line: torchvision's download error lists every mirror
    tried, over several lines; its last line holds the reason."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def _torchvision_class(name: str):
    """torchvision's data set class for ``name`` (checked)."""
    import torchvision

    return {"mnist": torchvision.datasets.MNIST,
            "fashion": torchvision.datasets.FashionMNIST}[check_dataset_name(name)]
