"""Reading the built-in data sets (``registry.BUILTINS``) from torchvision's layouts under the data
root, and fetching them through torchvision.

- MNIST, Fashion-MNIST, KMNIST and EMNIST letters: the idx files, read by torchvision.
  EMNIST's images are stored transposed (torchvision reads them as stored, so its letters
  lie on their side, mirrored): they are transposed back to read upright; its letters'
  labels 1..26 become 0..25 ("a".."z").
- CIFAR-10: its binary version (``cifar-10-batches-bin``: records of one label byte and
  3,072 pixel bytes, red, green and blue planes), read here as plain bytes. Not the python
  version torchvision reads: that is pickles, which can run any code they name, and no
  checkpoint or data file of this project is read through pickle. The class names are the
  lines of ``batches.meta.txt``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aeexplorer.core.errors import DataNotFound
from aeexplorer.core.images.fit import fit_images

if TYPE_CHECKING:
    import torch

CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
_RECORD = 1 + 3 * 32 * 32  # a CIFAR-10 record: the label byte, then the image's 3,072 bytes
_MAX_RECORDS = 60_000  # in one file (the originals hold 10,000): a bigger file is not one


def read(name: str, spec: Any, train: bool, root: Path,
         download: bool) -> tuple[torch.Tensor, torch.Tensor, tuple[str, ...]]:
    """One split of the built-in ``name`` (``spec``: its ``registry.Builtin``): uint8 images
    (N, C, S, S), int64 labels, the class names. DataNotFound, in one line, naming the
    folder to fill."""
    where = Path(root) / spec.folder
    try:
        if download:
            download(name, spec, Path(root))
        if name == "cifar10":
            return _read_cifar(where, train, spec.classes)
        return _read_idx(name, train, root, spec.classes)
    except Exception as exc:  # torchvision raises RuntimeError / URLError / OSError here
        missing = [f for f in spec.files if not (where / f).is_file()]
        if not missing:
            raise DataNotFound(f"{spec.label} in {where} could not be read: "
                               f"{one_line(exc)}") from None
        hint = "" if download else ", or pass --download where a network is available"
        # torchvision's own "not found" text suggests download=True, a Python argument: the
        # missing files say it better; any other failure (a broken file) keeps its reason
        why = "" if not download else f" ({one_line(exc)})"
        raise DataNotFound(
            f"{spec.label} not found in {where} (expected {', '.join(spec.files)}); "
            f"set --data-dir or AEEXPLORER_DATA to a folder that holds it{hint}{why}"
        ) from None


def _read_idx(name: str, train: bool, root: Path, classes: tuple[str, ...]) -> tuple:
    ds = _torchvision(name)(str(root), train=train, download=False)
    images, labels = ds.data.unsqueeze(1), ds.targets.long().clone()
    if name == "emnist-letters":
        images, labels = images.transpose(-1, -2).contiguous(), labels - 1
    return images, labels, classes


def _read_cifar(where: Path, train: bool, known: tuple[str, ...]) -> tuple:
    import numpy as np
    import torch

    paths = [where / name for name in _cifar_files(train)]
    counts = [_count(path) for path in paths]  # every file's size checked before any is read
    images = np.empty((sum(counts), 3, 32, 32), np.uint8)
    labels = np.empty(sum(counts), np.int64)
    at = 0
    for path, n in zip(paths, counts):  # one file's records at a time: the images held once
        records = _records(path)
        images[at:at + n] = records[:, 1:].reshape(-1, 3, 32, 32)
        labels[at:at + n] = records[:, 0]
        at += n
    return torch.from_numpy(images), torch.from_numpy(labels), _cifar_names(where, known)


def _cifar_files(train: bool) -> list[str]:
    return [f"data_batch_{i}.bin" for i in range(1, 6)] if train else ["test_batch.bin"]


def cifar_train_images(where: Path, default: int) -> int:
    """The training images CIFAR-10's batches in ``where`` hold, from their sizes (a batch may
    hold up to _MAX_RECORDS, not only the originals' 10,000); ``default`` when one is missing
    or not a batch (reading it then says why)."""
    try:
        return sum(_count(where / name) for name in _cifar_files(True))
    except (OSError, ValueError):
        return default


def _count(path: Path) -> int:
    """The records of a binary batch, from its size: whole records, at most _MAX_RECORDS."""
    size = path.stat().st_size
    if not size or size % _RECORD:
        raise ValueError(f"{path.name} is not a CIFAR-10 batch ({size:,} bytes is not a "
                         f"whole number of {_RECORD:,}-byte records)")
    if size > _MAX_RECORDS * _RECORD:
        raise ValueError(f"{path.name} holds {size // _RECORD:,} records, over the size limit "
                         f"of a CIFAR-10 batch here ({_MAX_RECORDS:,})")
    return size // _RECORD


def _records(path: Path):
    """A binary batch's (N, 3073) uint8 records, checked: whole records, labels 0..9."""
    import numpy as np

    _count(path)
    records = np.fromfile(path, dtype=np.uint8).reshape(-1, _RECORD)
    if int(records[:, 0].max()) > 9:
        raise ValueError(f"{path.name} is not a CIFAR-10 batch (a label above 9)")
    return records


def _cifar_names(where: Path, known: tuple[str, ...]) -> tuple[str, ...]:
    """The ten class names of ``batches.meta.txt`` when it holds ten short printable lines,
    else ``known`` (the file is read only up to 4 kB)."""
    with open(where / "batches.meta.txt", "rb") as fh:
        text = fh.read(4096).decode("utf-8", errors="replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    ok = len(lines) == 10 and all(len(c) <= 100 and c.isprintable() for c in lines)
    return tuple(lines) if ok else known


@dataclass(frozen=True)
class TensorSource:
    """A built-in set's uint8 images, made float, resized and recoloured batch by batch
    (``aeexplorer.core.datasets.stream``): for sizes whose float tensor would not fit in memory."""
    raw: Any  # uint8 (N, C, S, S)
    size: int
    channels: int
    parallel: bool = False  # cheap: no worker processes

    def read(self, indices: list[int]) -> tuple:
        import torch


        index = torch.as_tensor(indices, dtype=torch.long)
        x = fit_images(self.raw[index].float().div_(255.0), self.size, self.channels)
        return x, torch.ones(len(index), dtype=torch.bool)


def download(name: str, spec: Any, root: Path) -> None:
    """Fetch ``name`` (``spec``: its ``registry.Builtin``) into ``root`` through torchvision
    (nothing when the files are there; for the idx sets it reads the training split once as it
    goes, a check). CIFAR-10's binary
    version, which no torchvision class fetches, is downloaded from the data set's own page by
    torchvision's download helper and unpacked here. Raises what torchvision or tarfile
    raise."""
    os.makedirs(root, exist_ok=True)
    if name != "cifar10":
        _torchvision(name)(str(root), train=True, download=True)
        return
    if any(not (root / spec.folder / f).is_file() for f in spec.files):
        import tarfile

        from torchvision.datasets.utils import download_url

        name = CIFAR_URL.rsplit("/", 1)[1]
        download_url(CIFAR_URL, str(root), filename=name)
        with tarfile.open(root / name, "r:gz") as tar:
            tar.extractall(root, filter="data")  # no member may land outside the root


def _torchvision(name: str):
    import functools

    import torchvision

    sets = torchvision.datasets
    return {"mnist": sets.MNIST, "fashion": sets.FashionMNIST, "kmnist": sets.KMNIST,
            "emnist-letters": functools.partial(sets.EMNIST, split="letters")}[name]


def one_line(exc: BaseException) -> str:
    """An exception's message on one line: torchvision's download error lists every mirror
    tried, over several lines; its last line holds the reason."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__
