"""The pieces of DDP training that need no second process: how each batch is split among the
processes, the settings torchrun refuses, who speaks, and that one process is untouched. The
real 2-process runs are in tests/cli/test_torchrun.py."""

from __future__ import annotations

import pytest
import torch

from aeexplorer.core.models import ModelConfig
from aeexplorer.core.runtime import seed_everything
from aeexplorer.core.training import distributed
from aeexplorer.core.training.config import TrainConfig

SIZES = [(1, 256, 32), (2, 256, 32), (2, 250, 32), (3, 100, 9), (3, 100, 12), (4, 257, 16),
         (4, 130, 8)]


def _shards(n: int, batch: int, world: int, seed: int = 0):
    """Each rank's shard of one epoch, each from its own generator seeded alike (as each
    process seeds its own)."""
    return [distributed.shard(torch.randperm(n, generator=seed_everything(seed)), batch, r, world)
            for r in range(world)]


@pytest.mark.parametrize("world,n,batch", SIZES)
def test_the_ranks_share_each_batch_of_one_order(world, n, batch):
    order = torch.randperm(n, generator=seed_everything(0))
    shards = _shards(n, batch, world)
    assert len({len(s) for s in shards}) == 1  # the same number of steps everywhere
    for b in range(len(shards[0])):
        pieces = [shards[r][b][0] for r in range(world)]
        # rank order puts the batch back together: the batch one process takes
        assert torch.equal(torch.cat(pieces), order[b * batch : (b + 1) * batch])
        assert all(len(p) >= 1 for p in pieces)
        assert max(map(len, pieces)) - min(map(len, pieces)) <= 1
        # DDP averages the ranks' gradients of their weighted mean losses: that average is
        # the whole batch's mean loss (so its gradient is too), even for unequal slices
        loss = torch.rand(n, dtype=torch.float64)
        weights = [shards[r][b][1] for r in range(world)]
        ddp = sum(w * loss[p].mean() for w, p in zip(weights, pieces)) / world
        assert ddp.item() == pytest.approx(loss[order[b * batch : (b + 1) * batch]].mean().item())


@pytest.mark.parametrize("world,n,batch", SIZES)
def test_the_shards_are_disjoint_and_cover_the_epoch(world, n, batch):
    seen = [torch.cat([rows for rows, _ in shard]) for shard in _shards(n, batch, world)]
    everything = torch.cat(seen)
    assert len(set(everything.tolist())) == len(everything)  # disjoint, within and across ranks
    tail = n - (-(-n // batch) - 1) * batch
    left_out = tail if world > 1 and tail < world else 0
    assert len(everything) == n - left_out
    assert distributed.n_batches(n, batch, world) == len(_shards(n, batch, world)[0])


def test_a_last_batch_too_small_to_share_is_left_out():
    assert distributed.n_batches(257, 16, 1) == 17  # one process keeps its batch of one
    assert distributed.n_batches(257, 16, 4) == 16
    assert distributed.n_batches(260, 16, 4) == 17  # four: one each
    assert [len(r) for r, _ in distributed.shard(torch.arange(260), 16, 3, 4)][-1] == 1


def test_a_new_epoch_is_a_new_order_alike_on_every_rank():
    gens = [seed_everything(7) for _ in range(2)]
    epochs = [[torch.randperm(50, generator=g) for _ in range(3)] for g in gens]
    assert all(torch.equal(a, b) for a, b in zip(*epochs))
    assert not torch.equal(epochs[0][0], epochs[0][1])


def test_one_process_is_untouched(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    order = torch.randperm(100)
    assert [(r.tolist(), w) for r, w in distributed.shard(order, 32)] == [
        (order[i : i + 32].tolist(), 1.0) for i in range(0, 100, 32)]
    values = torch.tensor([1.0, 2.0])
    assert distributed.batch_mean(values, 1.0) is values
    model = torch.nn.Linear(2, 2)
    assert distributed.wrap(model) is model
    assert distributed.reseed(5) == 5 and distributed.from_main(lambda: 3) == 3
    assert distributed.launched() is None and distributed.world_size() == 1
    assert distributed.is_main() and distributed.speaks()
    with distributed.session("cpu"):
        assert not distributed.active()


def _torchrun_env(monkeypatch, rank: int, world: int, local: int | None = None) -> None:
    monkeypatch.setenv("RANK", str(rank))
    monkeypatch.setenv("WORLD_SIZE", str(world))
    monkeypatch.setenv("LOCAL_RANK", str(rank if local is None else local))


def test_only_the_first_process_of_each_machine_speaks_before_the_group(monkeypatch):
    _torchrun_env(monkeypatch, 1, 2)
    assert not distributed.speaks()
    _torchrun_env(monkeypatch, 2, 4, local=0)  # the first on a second machine
    assert distributed.speaks()
    _torchrun_env(monkeypatch, 0, 2)
    assert distributed.speaks()


@pytest.mark.parametrize("model,train,download,needle", [
    (ModelConfig(kind="pca"), TrainConfig(), False, "closed form"),
    (ModelConfig(), TrainConfig(batch_size=63), False, "multiple of 2"),
    (ModelConfig(), TrainConfig(device="cuda:1"), False, "--device cuda"),
    (ModelConfig(), TrainConfig(), True, "python -m aeexplorer data"),
])
def test_torchrun_refuses_what_it_cannot_split(monkeypatch, model, train, download, needle):
    distributed.check(model, train, download)  # one process: all of these are fine
    _torchrun_env(monkeypatch, 0, 2)
    with pytest.raises(ValueError, match=needle.replace("-", r"\-").replace(".", r"\.")):
        distributed.check(model, train, download)
    distributed.check(ModelConfig(), TrainConfig(batch_size=64))  # what it can split


def test_a_garbled_torchrun_environment_is_one_clear_error(monkeypatch):
    _torchrun_env(monkeypatch, 0, 2)
    monkeypatch.setenv("WORLD_SIZE", "two")
    with pytest.raises(distributed.AeError, match="WORLD_SIZE"):
        distributed.launched()


def test_more_processes_than_gpus_is_refused_on_every_process(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    for rank in (0, 1):  # not only the one without a GPU: rank 0 speaks for this machine
        _torchrun_env(monkeypatch, rank, 2)
        monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
        with pytest.raises(ValueError, match="--nproc-per-node 1 or fewer"):
            distributed.check(ModelConfig(), TrainConfig(device="cuda"))
    distributed.check(ModelConfig(), TrainConfig(device="cpu"))  # the CPU has no such limit
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "1")
    distributed.check(ModelConfig(), TrainConfig(device="cuda"))
