"""Loading a data set's split by name, from the data root: a built-in set's files, an image
folder's, or the shapes made on the spot; and what the root holds (``missing_files``,
``offered``), fetching what it lacks (``fetch``).

The data root comes from the ``--data-dir`` flag, else ``AEEXPLORER_DATA``, else ``./data``.
Nothing is downloaded unless asked for (``download=True``, or ``fetch``), and a missing data
set gives a message that names the folder to fill. ``missing_files`` says what is absent
without importing torch, so a page can tell before it starts anything.
"""

from __future__ import annotations

import os
from pathlib import Path

from aeexplorer.core.datasets import builtin, folder, shapes
from aeexplorer.core.datasets import stream as streaming
from aeexplorer.core.datasets.registry import (BUILTINS, DATASETS, DEFAULT_DATASETS, GENERATED,
                                               check_dataset_name, raw_folder)
from aeexplorer.core.datasets.split import Split
from aeexplorer.core.errors import DataNotFound
from aeexplorer.core.images.fit import fit_images
from aeexplorer.core.models.config import MAX_SIDE, MIN_SIDE


def resolve_data_root(data_dir: str | os.PathLike | None = None) -> Path:
    if data_dir:
        return Path(data_dir).expanduser()
    return Path(os.environ.get("AEEXPLORER_DATA") or "data").expanduser()


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
    if name == "cifar10":  # its batches may hold more than the originals: counted from them
        return builtin.cifar_train_images(raw_folder(name, Path(root)),
                                          BUILTINS[name].train_images)
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
        builtin.download(name, BUILTINS[name], Path(root))
    except Exception as exc:  # URLError, RuntimeError (every mirror failed), OSError
        raise DataNotFound(f"could not download {BUILTINS[name].label} into {where}: "
                           f"{builtin.one_line(exc)}") from None
    return where
