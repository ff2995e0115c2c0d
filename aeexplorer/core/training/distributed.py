"""Training on several processes or machines with PyTorch's DistributedDataParallel (DDP).

``torchrun`` starts the processes and gives each RANK, WORLD_SIZE and LOCAL_RANK in its
environment; only then does ``session`` make a process group (gloo on the CPU, NCCL on GPUs),
so a plain ``python -m aeexplorer train`` runs exactly as before and every function here is
the identity in one process.

Each global batch is the one a single process would take from the shared shuffled order; each
rank takes its slice of it (``shard``) and DDP averages the gradients, so a step is the step one
process makes on the whole batch (batch norm and the KL sparsity penalty aside: they see the
slice). Rank 0 alone reports progress, evaluates and writes; an error for people that one rank
meets is raised on every rank (``together``) so that rank 0 says it in one line.

No torch at import: the command line asks ``speaks`` before torch is loaded.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from aeexplorer.core.errors import AeError

if TYPE_CHECKING:
    import torch

    from aeexplorer.core.models import ModelConfig
    from aeexplorer.core.training.config import TrainConfig

T = TypeVar("T")
_GOLDEN = 0x9E3779B97F4A7C15  # spreads the ranks' seeds apart (Fibonacci hashing's constant)
_joined = False  # whether this process's group has been up (``speaks`` after it is left)


@dataclass(frozen=True)
class Launch:
    """Where this process stands in a torchrun launch, read from its environment."""

    rank: int
    world_size: int
    local_rank: int


def launched() -> Launch | None:
    """The torchrun launch this process belongs to, or None when it was started on its own."""
    values = [os.environ.get(name) for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK")]
    if any(v is None for v in values):
        return None
    try:
        rank, world, local = (int(v) for v in values)
    except ValueError:
        raise AeError("RANK, WORLD_SIZE and LOCAL_RANK must be integers (torchrun sets them)") \
            from None
    return Launch(rank, world, local)


def active() -> bool:
    """Whether a process group is up (checked without importing torch when it is not loaded)."""
    if "torch.distributed" not in sys.modules:
        return False
    import torch.distributed as dist

    return dist.is_available() and dist.is_initialized()


def rank() -> int:
    if active():
        import torch.distributed as dist

        return dist.get_rank()
    return 0


def world_size() -> int:
    """The number of processes training together: the group's, else torchrun's, else 1."""
    if active():
        import torch.distributed as dist

        return dist.get_world_size()
    launch = launched()
    return 1 if launch is None else launch.world_size


def is_main() -> bool:
    """The process that reports, evaluates and writes: rank 0, or the only one."""
    return rank() == 0


def speaks() -> bool:
    """Whether this process prints messages for people. Before the group is up, a mistake on the
    command line is the same on every process: the first of each machine says it (a missing
    GPU may be one machine's alone); once it has been up, rank 0 speaks for all."""
    launch = launched()
    if launch is None:
        return True
    return launch.rank == 0 if active() or _joined else launch.local_rank == 0


def check(model_cfg: ModelConfig, cfg: TrainConfig, download: bool = False) -> None:
    """Raise ValueError, with what to change, for a training that cannot be split this way."""
    if launched() is None and not active():
        return
    world = world_size()
    if not model_cfg.learned:
        raise ValueError("PCA is fitted in closed form by one process: train it with "
                         "`python -m aeexplorer train`, not torchrun")
    if cfg.batch_size % world:
        raise ValueError(f"--batch-size {cfg.batch_size} is the total over the {world} "
                         f"processes and must be a multiple of {world}")
    if world > 1 and cfg.device.startswith("cuda:"):
        raise ValueError(f"--device {cfg.device}: under torchrun each process takes the GPU "
                         "of its local rank; give --device cuda")
    _check_gpus(cfg.device)
    if download:
        raise ValueError("--download under torchrun would download once per process: fetch "
                         "the data first with `python -m aeexplorer data`")


def per_process(cfg: TrainConfig) -> TrainConfig:
    """``cfg`` as one process runs it: its share of the total ``batch_size``."""
    from dataclasses import replace

    return replace(cfg, batch_size=cfg.batch_size // world_size())


def _check_gpus(device: str) -> None:
    """One GPU a process: refused, by every process of the machine alike, where there are
    fewer GPUs than processes."""
    # torch here and in the functions below, not at the top: the CLI imports this module for
    # every command, most of which never train
    import torch

    from aeexplorer.core.runtime import pick_device

    here = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))  # torchrun's processes on this machine
    if pick_device(device).type == "cuda" and here > torch.cuda.device_count():
        raise ValueError(f"torchrun started {here} processes on this machine, which has "
                         f"{torch.cuda.device_count()} GPU(s): give --nproc-per-node "
                         f"{torch.cuda.device_count()} or fewer, or --device cpu")


@contextmanager
def session(device: str = "auto") -> Iterator[None]:
    """The process group for the length of a training, when torchrun started this process:
    gloo on the CPU, NCCL on GPUs (the GPU of this process's local rank); left cleanly."""
    launch = launched()
    if launch is None or active():
        yield
        return
    import torch
    import torch.distributed as dist

    from aeexplorer.core.runtime import pick_device

    if pick_device(device).type == "cuda":  # as many GPUs as processes (``check``)
        torch.cuda.set_device(launch.local_rank)
        options = {"backend": "nccl", "device_id": torch.device("cuda", launch.local_rank)}
    else:
        options = {"backend": "gloo"}
    dist.init_process_group(**options)
    global _joined
    _joined = True
    try:
        yield
    except AeError:  # raised on every process alike (``together``, ``batch_mean``)
        _leave()
        raise
    except BaseException:
        # another process may be inside a collective that NCCL's teardown would wait on
        # (torchtitan#1342); gloo's teardown is local
        if options["backend"] == "gloo":
            _leave()
        raise
    else:
        _leave()


def _leave() -> None:
    import gc

    import torch.distributed as dist

    # a DDP wrapper that outlives its group can abort the process as it exits ("terminate
    # called without an active exception", a quarter of the 2-process runs here): free it first
    gc.collect()
    dist.destroy_process_group()


def n_batches(n: int, batch_size: int, world: int | None = None) -> int:
    """The optimiser steps of one epoch over ``n`` items: a single process's count, less a
    last batch too small to give each of several processes an item."""
    world = world_size() if world is None else world
    count = -(-n // batch_size)
    if world > 1 and count and n - (count - 1) * batch_size < world:
        count -= 1
    return count


def shard(order: torch.Tensor, batch_size: int, rank_: int | None = None,
          world: int | None = None) -> list[tuple[torch.Tensor, float]]:
    """This process's part of each batch of ``order`` (the same shuffled indices on every
    process), with its weight. Batch b is ``order[b*B:(b+1)*B]`` as one process takes it; rank
    r gets the r-th of ``world`` near-equal slices. DDP averages the processes' gradients, so
    a slice's mean loss is weighted by its share of the batch times ``world`` (1 when the
    slices are equal) to make the step the whole batch's mean loss."""
    import torch

    rank_ = rank() if rank_ is None else rank_
    world = world_size() if world is None else world
    parts = []
    for b in range(n_batches(len(order), batch_size, world)):
        batch = order[b * batch_size : (b + 1) * batch_size]
        rows = torch.tensor_split(batch, world)[rank_] if world > 1 else batch
        parts.append((rows, len(rows) * world / len(batch)))
    return parts


def batch_mean(values: torch.Tensor, weight: float) -> torch.Tensor:
    """The whole batch's mean of per-slice means ``values`` (each process's ``weight`` from
    ``shard``); ``values`` itself in one process."""
    if not active():
        return values
    import torch.distributed as dist

    total = values * (weight / dist.get_world_size())
    dist.all_reduce(total)
    return total


def reseed(seed: int) -> int:
    """After the model is built (the same weights everywhere), a process other than rank 0
    reseeds torch so that its VAE samples are its own; returns the seed for its noise."""
    if rank() == 0:
        return seed
    import torch

    own = (seed + rank() * _GOLDEN) % 2**63
    torch.manual_seed(own)
    return own


def wrap(model: torch.nn.Module) -> torch.nn.Module:
    """``model`` in DDP when a group is up (its gradients averaged over the processes)."""
    if not active():
        return model
    from torch.nn.parallel import DistributedDataParallel

    from aeexplorer.core.runtime import device_of

    device = device_of(model)
    return DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None)


def together(fn: Callable[[], T]) -> T:
    """``fn()`` on every process. An ``AeError`` on any is raised on all (the lowest rank's,
    naming it), so that every process stops at the same place and rank 0 says why."""
    try:
        result, error = fn(), None
    except AeError as exc:
        result, error = None, exc
    if not active():
        if error is not None:
            raise error
        return result
    import torch.distributed as dist

    errors: list = [None] * dist.get_world_size()
    dist.all_gather_object(errors, error)
    for where, exc in enumerate(errors):
        if exc is not None:
            raise type(exc)(str(exc) if where == 0 else f"on rank {where}: {exc}")
    return result


def from_main(fn: Callable[[], T]) -> T:
    """``fn()`` worked out by rank 0 alone and handed to every process (an ``AeError`` it
    raises is raised on all)."""
    if not active():
        return fn()
    import torch.distributed as dist

    box = [together(lambda: fn() if is_main() else None)]
    dist.broadcast_object_list(box, src=0)
    return box[0]
