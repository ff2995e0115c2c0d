"""Reading the built-in data sets (``data.BUILTINS``) from torchvision's layouts under the data
root, and fetching them through torchvision.

- MNIST, Fashion-MNIST, KMNIST and EMNIST letters: the idx files, read by torchvision.
  EMNIST's images are stored transposed (torchvision reads them as stored, so its letters
  lie on their side, mirrored): they are transposed back to read upright; its letters'
  labels 1..26 become 0..25 ("a".."z").
- CIFAR-10: the python pickle batches, read here with an unpickler that builds nothing but
  numpy arrays, lists and dicts (torchvision's reader would run any code a pickle names, and
  first checks every file's MD5). The class names are those of ``batches.meta``.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aeexplorer.core.errors import DataNotFound

if TYPE_CHECKING:
    import torch

_ARRAYS = {("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "_reconstruct"),
           ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}


def read(name: str, spec: Any, train: bool, root: Path,
         download: bool) -> tuple[torch.Tensor, torch.Tensor, tuple[str, ...]]:
    """One split of the built-in ``name`` (``spec``: its ``data.Builtin``): uint8 images
    (N, C, S, S), int64 labels, the class names. DataNotFound, in one line, naming the
    folder to fill."""
    where = Path(root) / spec.folder
    try:
        if download:
            download(name, Path(root))
        if name == "cifar10":
            return _read_cifar(where, train, spec.classes)
        return _read_idx(name, train, root)
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


def _read_idx(name: str, train: bool, root: Path) -> tuple:
    ds = _torchvision(name)(str(root), train=train, download=False)
    images, labels = ds.data.unsqueeze(1), ds.targets.long().clone()
    if name == "emnist-letters":
        images, labels = images.transpose(-1, -2).contiguous(), labels - 1
    from aeexplorer.core.data import CLASS_NAMES

    return images, labels, CLASS_NAMES[name]


def _read_cifar(where: Path, train: bool, known: tuple[str, ...]) -> tuple:
    import numpy as np
    import torch

    names = ([f"data_batch_{i}" for i in range(1, 6)] if train else ["test_batch"])
    parts, labels = [], []
    for file in names:
        batch = _unpickle(where / file)
        data, found = batch.get("data"), batch.get("labels")
        if (not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2
                or data.shape[1] != 3 * 32 * 32 or not isinstance(found, list)
                or len(found) != len(data)
                or not all(isinstance(v, int) and 0 <= v < 10 for v in found)):
            raise ValueError(f"{file} is not a CIFAR-10 batch")
        parts.append(data.reshape(-1, 3, 32, 32))
        labels += found
    meta = _unpickle(where / "batches.meta").get("label_names")
    ok = (isinstance(meta, list) and len(meta) == 10
          and all(isinstance(c, str) and 0 < len(c) <= 100 and c.isprintable() for c in meta))
    images = torch.from_numpy(np.concatenate(parts))
    return images, torch.tensor(labels, dtype=torch.long), tuple(meta) if ok else known


class _ArraysOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ARRAYS:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a CIFAR-10 batch")
        return super().find_class(module, name)


def _unpickle(path: Path) -> dict:
    with open(path, "rb") as fh:
        value = _ArraysOnly(fh, encoding="latin1").load()
    if not isinstance(value, dict):
        raise ValueError(f"{path.name} is not a CIFAR-10 file")
    return value


@dataclass(frozen=True)
class TensorSource:
    """A built-in set's uint8 images, made float, resized and recoloured batch by batch
    (``aeexplorer.core.stream``): for sizes whose float tensor would not fit in memory."""
    raw: Any  # uint8 (N, C, S, S)
    size: int
    channels: int
    parallel: bool = False  # cheap: no worker processes

    def read(self, indices: list[int]) -> tuple:
        import torch

        from aeexplorer.core.data import fit_images

        index = torch.as_tensor(indices, dtype=torch.long)
        x = fit_images(self.raw[index].float().div_(255.0), self.size, self.channels)
        return x, torch.ones(len(index), dtype=torch.bool)


def download(name: str, root: Path) -> None:
    """Fetch ``name`` into ``root`` through torchvision (nothing when the files are there; it
    reads the training split once as it goes, a check). Raises what torchvision raises."""
    os.makedirs(root, exist_ok=True)
    _torchvision(name)(str(root), train=True, download=True)


def _torchvision(name: str):
    import functools

    import torchvision

    sets = torchvision.datasets
    return {"mnist": sets.MNIST, "fashion": sets.FashionMNIST, "kmnist": sets.KMNIST,
            "emnist-letters": functools.partial(sets.EMNIST, split="letters"),
            "cifar10": sets.CIFAR10}[name]


def one_line(exc: BaseException) -> str:
    """An exception's message on one line: torchvision's download error lists every mirror
    tried, over several lines; its last line holds the reason."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__
