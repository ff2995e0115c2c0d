"""Data too big for memory, read batch by batch through a ``torch.utils.data.DataLoader`` with
worker processes; and the functions the training loop (``parted_batches``: a process's share
of each batch) and the metrics (``indexed_batches``) take their batches from, whether the
images are one tensor in memory or streamed.

When a split streams: when its images, decoded as float32 at the size and channels asked for,
would take more than ``AEEXPLORER_STREAM_MB`` megabytes (default 2048, so 2 GiB). Only
callers that can take a streamed split ask for one (``data.load_split(..., stream=True)``:
the training pipeline and ``evaluate``); the others always get a tensor.

A streamed split's images are a ``Streamed``: its shape, the device its batches go to, and a
``source`` that reads any list of indices as a (B, C, S, S) batch (an image folder's files,
decoded in the workers; a built-in set's uint8 images, resized per batch). An epoch's batches
are those of the same shuffled ``order`` as in memory, so the seed gives the same batches
either way. A file that fails to decode while streaming is left out of its batch and counted
(``skipped``); a batch left with no image at all means the data went away: an error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from aeexplorer.core.errors import DataNotFound

if TYPE_CHECKING:
    import torch

BUDGET_ENV, WORKERS_ENV = "AEEXPLORER_STREAM_MB", "AEEXPLORER_LOADER_WORKERS"
DEFAULT_BUDGET_MB = 2048
CHUNK = 256  # images per task when a whole split is decoded into memory or surveyed
MIN_TASKS = 8  # fewer tasks than this are done in-process


class Source(Protocol):
    """Reads images by index: ``read(indices)`` -> ((B, C, S, S) float32, (B,) bool: read)."""
    parallel: bool  # worth worker processes (decoding files); False: cheap, read in-process

    def read(self, indices: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]: ...


def budget_bytes() -> int:
    """Decoded bytes a split may take in memory: ``AEEXPLORER_STREAM_MB`` (a whole number of
    megabytes; a bad value gives the default, never an error)."""
    text = os.environ.get(BUDGET_ENV, "").strip()
    mb = int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else DEFAULT_BUDGET_MB
    return mb * 2**20


def too_big(n: int, channels: int, size: int) -> bool:
    """Whether ``n`` images of ``channels`` x ``size`` x ``size`` float32 exceed the budget."""
    return n * channels * size * size * 4 > budget_bytes()


def workers() -> int:
    """Worker processes for decoding: ``AEEXPLORER_LOADER_WORKERS``, else up to 4, leaving
    one core to the training (0: decode in the training's own process)."""
    text = os.environ.get(WORKERS_ENV, "").strip()
    if text.isascii() and text.isdigit() and len(text) <= 3:
        return int(text)
    return max(0, min(4, (os.cpu_count() or 1) - 1))


@dataclass
class Streamed:
    """Stands for a split's image tensor when the split streams: ``shape`` (N, C, S, S),
    ``device`` where its batches go, ``failed`` the indices that could not be read."""
    source: Any  # a Source
    shape: tuple[int, int, int, int]
    device: Any = "cpu"
    failed: set = field(default_factory=set)

    def to(self, device: Any) -> Streamed:
        """This stream with its batches going to ``device`` (the failures are shared)."""
        return Streamed(self.source, self.shape, device, self.failed)

    def __len__(self) -> int:
        return self.shape[0]


def indexed_batches(images: torch.Tensor | Streamed, order: torch.Tensor | None = None,
                    batch_size: int = 1024, fill: bool = False
                    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """The batches of ``images`` in ``order`` (None: as stored), ``batch_size`` indices at a
    time, each on the images' device, with the indices of the images it holds: a streamed
    batch leaves out the files that failed to decode, and one left empty is skipped, or with
    ``fill`` takes the next image of the order that reads (one training step per batch,
    whatever failed)."""
    import torch

    if order is None:
        order = torch.arange(len(images))
    parts = [order[s:s + batch_size] for s in range(0, len(order), batch_size)]
    yield from parted_batches(images, parts, fill)


def parted_batches(images: torch.Tensor | Streamed, parts: Sequence[torch.Tensor],
                   fill: bool = False) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """The batches of the given index ``parts`` (a process's share of each batch under
    torchrun, see ``distributed.shard``), each with the indices it holds; see
    ``indexed_batches``."""
    import torch

    if not isinstance(images, Streamed):
        for index in parts:
            yield images[index], index
        return
    lists = [part.tolist() for part in parts]
    device = torch.device(images.device)
    for index, (x, ok) in zip(lists, _load(images.source, lists, device.type == "cuda")):
        index = torch.tensor(index, dtype=torch.long)
        if not bool(ok.all()):
            images.failed.update(index[~ok].tolist())
            x, index = x[ok], index[ok]
        if not len(index):
            if not fill:
                continue
            x, index = _refill(images, lists)
        yield x.to(device, non_blocking=True), index


def _refill(images: Streamed, lists: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """The first image of the order that still reads, as a batch of one; DataNotFound when
    none does (the data went away)."""
    import torch

    for i in (i for part in lists for i in part if i not in images.failed):
        x, ok = images.source.read([i])
        if bool(ok.all()):
            return x, torch.tensor([i])
        images.failed.add(i)
    raise DataNotFound("none of the images could be read any more: was the data moved or "
                       "deleted while training?")


def collect(source: Any, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """All ``n`` images of ``source`` in one tensor, and which of them could be read (the
    others are left out of the tensor)."""
    import torch

    out, ok = None, torch.zeros(n, dtype=torch.bool)
    chunks = [list(range(s, min(n, s + CHUNK))) for s in range(0, n, CHUNK)]
    for index, (x, read) in zip(chunks, _load(source, chunks)):
        if out is None:
            out = torch.empty((n, *x.shape[1:]), dtype=torch.float32)
        out[index[0]:index[-1] + 1] = x
        ok[index[0]:index[-1] + 1] = read
    if out is None:
        raise DataNotFound("no images to read")
    return (out if bool(ok.all()) else out[ok]), ok


def parallel_map(fn: Callable[[list[int]], Any], n: int, chunk: int = CHUNK) -> list:
    """``fn`` over the chunks of range(n), in the workers, results in order: for work on
    files, such as reading their headers."""
    chunks = [list(range(s, min(n, s + chunk))) for s in range(0, n, chunk)]
    return list(_load(_Mapped(fn), chunks))


@dataclass(frozen=True)
class _Mapped:
    fn: Callable[[list[int]], Any]
    parallel: bool = True

    def read(self, indices: Sequence[int]) -> Any:
        return self.fn(list(indices))


class _Keys:
    """A map-style data set whose keys are lists of indices: one worker task reads a whole
    batch (one message between processes per batch, not per image)."""

    def __init__(self, source: Any) -> None:
        self.source = source

    def __getitem__(self, indices: list[int]) -> Any:
        return self.source.read(indices)


def _load(source: Any, keys: list[list[int]], pin: bool = False) -> Iterator:
    """source.read(key) for each of ``keys``, in order: in worker processes when the source
    is worth them (prefetching a few batches ahead), else here."""
    import torch
    from torch.utils.data import DataLoader

    # a worker takes about a second to start: worth it from a few tasks of files on
    many = getattr(source, "parallel", False) and len(keys) >= MIN_TASKS
    n_workers = min(workers(), len(keys)) if many else 0
    if not keys:
        return iter(())
    extra = {"prefetch_factor": 4, "persistent_workers": False} if n_workers else {}
    # its own generator: a DataLoader draws its workers' seed from the global one otherwise,
    # which would change the training's random draws (a VAE's samples) from in memory
    return iter(DataLoader(_Keys(source), batch_size=None, sampler=keys, num_workers=n_workers,
                           pin_memory=pin, collate_fn=_same, generator=torch.Generator(),
                           **extra))


def _same(value: Any) -> Any:
    """The worker's result as it came (the default would turn numbers into tensors)."""
    return value


def skipped(split: Any) -> int:
    """The files of ``split`` left out: those found unreadable when it was loaded, and those
    that failed to decode while it streamed."""
    images = split.images
    return split.skipped + (len(images.failed) if isinstance(images, Streamed) else 0)


def gigabytes(shape: Sequence[int]) -> str:
    """The bytes of float32 images of ``shape``, in words: "3.2 GB"."""
    n = 4
    for d in shape:
        n *= int(d)
    return f"{n / 2**30:.3g} GB"
