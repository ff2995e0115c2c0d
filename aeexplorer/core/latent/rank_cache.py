"""The ranks of every image's neighbours in pixel space, kept on disk per data set.

Trustworthiness and continuity (``faithfulness``) need, for each test image, the rank in
pixel space of each of its neighbours on the map, exactly: n² distances in 784 dimensions,
about half a minute for MNIST's 10,000 test images, and the same for every model of that data
set (every ``evaluate``, every run of the Train page). The map's side is cheap (2-D). So the
pixel ranks are computed once per data set and kept: an (n, n) uint16 table, ``ranks[i, j]``
= 1 + the images nearer to i than j (ties to the lower index; i itself last), 200 MB for
10,000 images, read back as a memory map.

A table is found by the SHA-256 of the images' bytes (shape and dtype included), so a changed
data set never reads another's ranks. The folder is ``$AEEXPLORER_CACHE/ranks`` (default
``~/.cache/aeexplorer/ranks``; the tests point it at a temp folder) and holds at most
``MAX_TABLES`` tables, the least recently used removed first. A table that cannot be written
(a read-only or full disk) or read (damaged, the wrong shape) is computed again, never trusted.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable

import numpy as np

CACHE_ENV = "AEEXPLORER_CACHE"  # as the precision cache: one folder for the project's caches
MAX_TABLES = 4  # MNIST and Fashion-MNIST test sets and two more: at most 800 MB
MAX_POINTS = 2 ** 16 - 1  # ranks fit uint16 up to this many images


def cache_dir() -> Path:
    root = os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "aeexplorer"
    return Path(root) / "ranks"


def data_key(data: np.ndarray) -> str:
    """The SHA-256 of the images' values, shape and dtype: the table's name."""
    digest = hashlib.sha256(repr((data.shape, str(data.dtype))).encode())
    digest.update(np.ascontiguousarray(data).view(np.uint8).data)
    return digest.hexdigest()


def pixel_ranks(data: np.ndarray, compute: Callable[[np.ndarray], None]) -> np.ndarray:
    """The (n, n) rank table of ``data`` (n, d): read from the cache, else ``compute(out)``
    fills ``out`` and it is kept. Read-only when it comes from the cache."""
    n = len(data)
    if n > MAX_POINTS:
        raise ValueError(f"at most {MAX_POINTS} images have a rank table, not {n}")
    path = cache_dir() / f"{data_key(data)}.npy"
    table = _read(path, n)
    if table is not None:
        return table
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint16, shape=(n, n))
    except OSError:  # no room, no permission: measured all the same, just not kept
        out = np.empty((n, n), dtype=np.uint16)
        compute(out)
        return out
    try:
        compute(out)
        out.flush()
        del out
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _evict(path.parent)
    table = _read(path, n)
    if table is None:  # removed meanwhile by another process's eviction
        table = np.empty((n, n), dtype=np.uint16)
        compute(table)
    return table


def _read(path: Path, n: int) -> np.ndarray | None:
    """The table at ``path`` if it is one of (n, n) uint16, marked as just used; else None
    (and a damaged file is removed)."""
    if not path.is_file():
        return None
    try:
        table = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        path.unlink(missing_ok=True)
        return None
    if table.shape != (n, n) or table.dtype != np.uint16:
        path.unlink(missing_ok=True)
        return None
    os.utime(path)  # the least recently used goes first
    return table


def _evict(folder: Path) -> None:
    """Keep the ``MAX_TABLES`` most recently used tables."""
    tables = sorted(folder.glob("*.npy"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in tables[MAX_TABLES:]:
        old.unlink(missing_ok=True)
