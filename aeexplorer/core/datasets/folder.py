"""A folder of image files as a data set: ``--dataset folder:PATH``.

- Where: ``folder:NAME`` (a bare name) is ``<data root>/images/NAME``, resolved strictly inside
  ``images/`` (what the Train page offers, and what a checkpoint names); any other value
  (``folder:./pics``, ``folder:/srv/pics``, ``folder:~/pics``) is a path.
- Labels: the subfolders are the classes (sorted names, as torchvision's ImageFolder; their
  files at any depth). A folder without subfolders is unlabelled: labels all ``NO_LABEL``,
  no class names. Files beside class folders have no class and are left out.
- Split: a file is a test image when a hash of its path in the folder says so (about 1 in
  ``TEST_ONE_IN``): the same files stay in the same split when files are added.
- Left out and counted (``Split.skipped``): files that cannot be read as images
  (``aeexplorer.core.images.folder_image``), links that lead out of the folder or to a folder, and
  anything that is not a regular file. Hidden entries (".name") are not looked at.
- Shape: ``--image-size`` (default 28) and ``--image-channels`` (default: 3 when any image of
  the split is in colour by its file's mode, else 1).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aeexplorer.core.datasets import stream as streaming
from aeexplorer.core.datasets.listing import Listing, list_folder, printable
from aeexplorer.core.datasets.split import Split
from aeexplorer.core.errors import DataNotFound

if TYPE_CHECKING:
    import torch

PREFIX, IMAGES = "folder:", "images"
DEFAULT_SIZE = 28
TEST_ONE_IN = 7
MAX_DATASET = 200  # characters in a data set's name, as a checkpoint's header takes it


def is_folder(name: str) -> bool:
    return name.startswith(PREFIX)


def is_bare(text: str) -> bool:
    """A bare name (a folder of ``<data root>/images/``), not a path."""
    seps = {os.sep, "/"} | ({os.altsep} if os.altsep else set())
    return (text not in ("", ".", "..") and not text.startswith("~")
            and not any(s in text for s in seps))


def folder_path(name: str, root: Path) -> Path:
    """The folder that ``folder:...`` names (see the module's doc). DataNotFound for a bare
    name that leads out of ``<root>/images`` (a link) or an empty one."""
    text = name[len(PREFIX):]
    if not text:
        raise DataNotFound("folder: needs a folder: folder:NAME for <data root>/images/NAME, "
                           "or a path such as folder:./my-images")
    if not is_bare(text):
        return Path(text).expanduser()
    base = Path(root) / IMAGES
    path = base / text
    if not path.resolve().is_relative_to(base.resolve()) or path.resolve() == base.resolve():
        raise DataNotFound(f"{path} leads out of {base}: only folders inside it are read as "
                           f"folder:{text}")
    return path


def image_folders(root: Path) -> list[str]:
    """``folder:NAME`` for each folder in ``<root>/images`` (not hidden, not a link out of
    it), by name: the image folders the Train page offers, without opening any."""
    base = Path(root) / IMAGES
    try:
        with os.scandir(base) as it:
            names = sorted(e.name for e in it if not e.name.startswith(".") and e.is_dir())
    except OSError:
        return []
    inside = []
    for name in names:
        try:
            folder_path(PREFIX + name, root)
        except DataNotFound:
            continue
        if name.isprintable() and len(PREFIX + name) <= MAX_DATASET:
            inside.append(PREFIX + name)
    return inside


def stored_name(name: str, root: Path) -> str:
    """``folder:NAME`` with the folder's own name (not its path), printable and short: how a
    checkpoint names the data set, and where it is looked for again (<data root>/images)."""
    base = folder_path(name, root).resolve().name or "folder"
    return PREFIX + printable(base, MAX_DATASET - len(PREFIX))


def load(name: str, train: bool, root: Path, image_size: int | None, channels: int | None,
         stream: bool = False) -> Split:
    """One split of the folder ``name`` names (see the module's doc) as a ``Split``; its
    images streamed when ``stream`` and they are over the memory budget (``datasets.stream``)."""
    import torch


    folder = folder_path(name, root)
    listing = list_folder(folder)
    _check_split(listing)
    mine = [i for i, f in enumerate(listing.files) if in_test(f) != train]
    paths = tuple(os.path.join(folder, listing.files[i]) for i in mine)
    readable = list(range(len(paths)))
    if channels is None:  # from the files' headers, which also tell the non-images now
        colours = [c for part in streaming.parallel_map(_Survey(paths), len(paths))
                   for c in part]
        readable = [k for k, c in enumerate(colours) if c is not None]
        channels = 3 if any(colours[k] for k in readable) else 1
    skipped = sum(in_test(f) != train for f in listing.left_out) + len(paths) - len(readable)
    size = image_size or DEFAULT_SIZE
    source = FolderSource(tuple(paths[k] for k in readable), size, channels)
    labels = torch.tensor([listing.labels[mine[k]] for k in readable], dtype=torch.long)
    shape = (len(readable), channels, size, size)
    if readable and streaming.too_big(*shape[:3]):
        if not stream:
            raise DataNotFound(f"the {_which(train)} images of {folder} would take "
                               f"{streaming.gigabytes(shape)} in memory, over the "
                               f"{streaming.BUDGET_ENV} budget: use a smaller --image-size")
        return Split(streaming.Streamed(source, shape), labels, listing.class_names, skipped)
    images, ok = streaming.collect(source, len(readable)) if readable else (None, None)
    if images is None or not len(images):
        raise DataNotFound(f"none of the {len(paths)} {_which(train)} files of {folder} could "
                           "be read as an image (PNG, JPEG, BMP, GIF, WebP or TIFF)")
    return Split(images, labels[ok], listing.class_names, skipped + int((~ok).sum()))


def _which(train: bool) -> str:
    return "training" if train else "test"


def _check_split(listing: Listing) -> None:
    """DataNotFound unless both splits get files."""
    tests = sum(in_test(f) for f in listing.files)
    if not listing.files:
        raise DataNotFound(f"no image files in {listing.folder}"
                           + (f" ({len(listing.left_out)} entries left out: links out of the "
                              "folder, files beside the class folders...)"
                              if listing.left_out else ""))
    if tests in (0, len(listing.files)):
        raise DataNotFound(
            f"{listing.folder} has {len(listing.files)} image files, too few to split: a hash "
            f"of each file's path puts about 1 in {TEST_ONE_IN} in the test split, and here "
            f"{'none' if tests == 0 else 'all'} went there; add images")


@dataclass(frozen=True)
class FolderSource:
    """Reads a folder's image files by index: in the data loader's worker processes."""
    paths: tuple[str, ...]
    size: int
    channels: int
    parallel: bool = True

    def read(self, indices: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
        # numpy, torch and Pillow when files are read: the registry imports this module to
        # name and find folders, for pages and ``--help`` that read no image
        import numpy as np
        import torch

        from aeexplorer.core.images.folder_image import read_square

        out = np.zeros((len(indices), self.channels, self.size, self.size), np.float32)
        ok = np.zeros(len(indices), bool)
        for k, i in enumerate(indices):
            arr = read_square(self.paths[i], self.size, self.channels)
            if arr is not None:
                out[k], ok[k] = arr, True
        return torch.from_numpy(out), torch.from_numpy(ok)


@dataclass(frozen=True)
class _Survey:
    """Whether each file is a colour image, a grey one, or none (None), from its header."""
    paths: tuple[str, ...]

    def __call__(self, indices: list[int]) -> list[bool | None]:
        from aeexplorer.core.images.folder_image import colour_of  # Pillow: see ``read``

        return [colour_of(self.paths[i]) for i in indices]


def in_test(relative: str) -> bool:
    """Whether the file at ``relative`` (in its folder) is a test image: a stable hash."""
    digest = hashlib.blake2b(relative.encode("utf-8", "surrogateescape"), digest_size=8)
    return int.from_bytes(digest.digest(), "big") % TEST_ONE_IN == 0
