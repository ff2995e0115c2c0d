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


@dataclass
class Split:
    images: torch.Tensor  # (N, 1, 28, 28) float32 in [0, 1]
    labels: torch.Tensor  # (N,) int64

    def __len__(self) -> int:
        return int(self.labels.shape[0])


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
    name: str, train: bool, data_dir: str | os.PathLike | None = None, download: bool = False
) -> Split:
    """Load one split as tensors. Raises ``DataNotFound`` with the folder to fill."""
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
    return Split(images=images, labels=ds.targets.long().clone())


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
