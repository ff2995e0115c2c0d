"""The training loop: shuffled index batches (of one tensor in memory, or streamed:
``aeexplorer.core.datasets.stream``), KL warm-up, NaN guard, and the
regularisers that make the other autoencoder families (sparse, denoising, contractive). PCA is
fitted in closed form instead.

The loop never touches files: ``train`` returns the trained model and its history, and the
caller decides what to save (see ``checkpoints.file.save_checkpoint``, which writes
atomically). The objective of one batch and the optimiser are ``step``'s.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import torch

from aeexplorer.core.datasets.split import Split
from aeexplorer.core.datasets.stream import Streamed, parted_batches
from aeexplorer.core.errors import AeError, TrainingDiverged
from aeexplorer.core.models import Autoencoder, ModelConfig, build_model
from aeexplorer.core.models.build import keeping
from aeexplorer.core.runtime import pick_device, seed_everything
from aeexplorer.core.training import distributed
from aeexplorer.core.training.config import TrainConfig, check_compatible
from aeexplorer.core.training.losses import LossParts, loss_parts
from aeexplorer.core.training.first_map import make_map
from aeexplorer.core.training.neighbour_graph import NeighbourGraph, build_graph
from aeexplorer.core.training.precision import settle_precision
from aeexplorer.core.training.step import adam, batch_loss


@dataclass
class EpochRecord:
    epoch: int
    loss: float
    recon: float
    kl: float
    penalty: float
    beta: float
    lr: float
    seconds: float


@dataclass
class History:
    epochs: list[EpochRecord] = field(default_factory=list)
    seconds: float = 0.0
    finished: bool = False  # False when ``should_stop`` ended the run early

    def to_dict(self) -> dict:
        return {"seconds": self.seconds, "epochs": [asdict(e) for e in self.epochs]}


# Called with (epoch, batch, n_batches, running loss parts) so a CLI bar or a UI can follow.
ProgressFn = Callable[[int, int, int, dict], None]
StepFn = Callable[[Autoencoder, float, int], None]  # (model, fractional epoch, step)


def beta_at(cfg: TrainConfig, epoch_progress: float) -> float:
    """KL weight after ``epoch_progress`` epochs (a float): linear warm-up, then ``beta``."""
    if cfg.kl_warmup_epochs <= 0:
        return cfg.beta
    return cfg.beta * min(1.0, epoch_progress / cfg.kl_warmup_epochs)


def train(
    model_cfg: ModelConfig,
    cfg: TrainConfig,
    data: Split,
    progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_epoch: Callable[[Autoencoder, EpochRecord], None] | None = None,
    on_step: StepFn | None = None,
) -> tuple[Autoencoder, History]:
    """Train a new model on ``data``. Raises ``TrainingDiverged`` on a non-finite loss.
    ``on_epoch`` sees the model after each epoch (its time is not the epoch's ``seconds``);
    ``on_step`` sees it before the first step (step 0) and after each one, with the
    fractional epoch and the step's number (snapshots: ``training.snapshots``).
    Under torchrun (``aeexplorer.core.training.distributed``) every process trains its share of each
    batch, the history is the whole batches' and only rank 0 is told the progress."""
    check_compatible(model_cfg, cfg)
    distributed.check(model_cfg, cfg)
    cfg = settle_precision(cfg, model_cfg)
    generator = seed_everything(cfg.seed)
    device = pick_device(cfg.device)
    model = build_model(model_cfg).to(device)
    images = data.images.to(device)
    if not model_cfg.learned:
        return _fit(model, images, progress)
    progress = progress if distributed.is_main() else None
    noise_gen = torch.Generator(device=device).manual_seed(distributed.reseed(cfg.seed) + 1)
    net = distributed.wrap(model)
    opt = adam(model, cfg)
    n_batches = distributed.n_batches(len(data), cfg.batch_size)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(
        opt, T_max=cfg.epochs * n_batches, eta_min=cfg.lr_min
    )
    history = History()
    start = time.perf_counter()
    guide = _guide(images, cfg)  # its time counts as training time
    stepped = None if on_step is None else (lambda e, s: on_step(model, e, s))
    if stepped is not None:
        stepped(0.0, 0)
    for epoch in range(cfg.epochs):
        record = _run_epoch(net, images, opt, sched, cfg, epoch, (generator, noise_gen, guide),
                            (progress, stepped), should_stop)
        if record is None:
            break
        history.epochs.append(record)
        if on_epoch is not None:
            on_epoch(model, record)
    else:
        history.finished = True
    if history.finished and cfg.keep_map:
        model = keeping(model, images, guide)
    history.seconds = time.perf_counter() - start
    return model.eval(), history


def _fit(model, images: torch.Tensor, progress: ProgressFn | None) -> tuple[Autoencoder, History]:
    """Closed-form models (PCA): one pass, recorded as one epoch."""
    if isinstance(images, Streamed):  # its fit takes the whole data at once
        raise AeError("PCA is fitted on all the images at once, and these are too many "
                      "to hold in memory: use a smaller --image-size, or a network model")
    start = time.perf_counter()
    model.fit(images)
    with torch.no_grad():
        parts = loss_parts(model(images), images)
    seconds = time.perf_counter() - start
    values = {"loss": parts.total.item(), "recon": parts.recon.item(), "kl": 0.0, "penalty": 0.0}
    if progress is not None:
        progress(0, 0, 1, values)
    record = EpochRecord(epoch=1, **values, beta=0.0, lr=0.0, seconds=seconds)
    return model.eval(), History(epochs=[record], seconds=seconds, finished=True)


def _guide(images, cfg: TrainConfig) -> NeighbourGraph | torch.Tensor | None:
    """What the penalty is taught from, made before the first step: the training images'
    neighbour graph (the UMAP AE) or their map, (n, 2) (the map-first AE)."""
    if cfg.penalty not in ("umap", "map"):
        return None
    family, needs = (("UMAP AE", "finds every image's neighbours among") if cfg.penalty == "umap"
                     else ("map-first AE", "makes its map of"))
    if isinstance(images, Streamed):
        raise AeError(f"the {family} {needs} all the images at once, and these are too many to "
                      "hold in memory: use fewer or smaller images")
    if distributed.world_size() > 1:
        raise AeError(f"the {family} trains in one process: run it without torchrun")
    if cfg.penalty == "map":
        return make_map(images, cfg.map_method, cfg.seed).to(images.device)
    return build_graph(images)


def _batch_values(parts: LossParts, weight: float) -> list[float]:
    """The whole batch's loss, recon, kl and penalty: under torchrun the processes' slices
    summed by their weights (``distributed.shard``), so every process sees the same numbers."""
    penalty = parts.total.new_zeros(()) if parts.penalty is None else parts.penalty
    values = torch.stack([parts.total, parts.recon, parts.kl, penalty]).detach()
    return distributed.batch_mean(values, weight).tolist()


def _run_epoch(model, images, opt, sched, cfg, epoch, generators, listeners, should_stop):
    """One pass over shuffled batches; returns None when ``should_stop`` asked to stop.
    ``listeners``: the progress function and the step function (with the fractional epoch
    and the step), either None."""
    model.train()
    progress, stepped = listeners
    t0 = time.perf_counter()
    generator, noise_gen, guide = generators
    order = torch.randperm(images.shape[0], generator=generator).to(images.device)
    # this process's rows of each batch: all of them in one process
    batches = distributed.shard(order, cfg.batch_size)
    n_batches = len(batches)
    sums = {"loss": 0.0, "recon": 0.0, "kl": 0.0, "penalty": 0.0}
    shares = parted_batches(images, [rows for rows, _ in batches], fill=True)
    for b, ((x, rows), (_, weight)) in enumerate(zip(shares, batches)):
        if should_stop is not None and should_stop():
            return None
        beta = beta_at(cfg, epoch + b / n_batches)
        near = (images[guide.sample(rows, generator).to(images.device)]
                if isinstance(guide, NeighbourGraph) else None)
        place = guide[rows] if isinstance(guide, torch.Tensor) else None
        parts = batch_loss(model, x, cfg, beta, noise_gen, near, place)
        values = _batch_values(parts, weight)  # checked alike on every process
        if not math.isfinite(values[0]):
            raise TrainingDiverged(
                f"the loss became {values[0]} at epoch {epoch + 1}, batch {b + 1}: "
                "nothing was written; try a lower --lr"
            )
        opt.zero_grad(set_to_none=True)
        (parts.total if weight == 1.0 else parts.total * weight).backward()
        opt.step()
        sched.step()
        for key, value in zip(sums, values):
            sums[key] += value
        if progress is not None:
            progress(epoch, b, n_batches, {k: v / (b + 1) for k, v in sums.items()})
        if stepped is not None:
            stepped(epoch + (b + 1) / n_batches, epoch * n_batches + b + 1)
    return EpochRecord(
        epoch=epoch + 1,
        loss=sums["loss"] / n_batches,
        recon=sums["recon"] / n_batches,
        kl=sums["kl"] / n_batches,
        penalty=sums["penalty"] / n_batches,
        beta=beta_at(cfg, epoch + 1),
        lr=opt.param_groups[0]["lr"],
        seconds=time.perf_counter() - t0,
    )
