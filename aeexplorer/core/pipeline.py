"""Train -> evaluate -> save, the one sequence the CLI and the app both run."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path

import torch

from aeexplorer.core.checkpoints.file import Atlas, save_checkpoint
from aeexplorer.core.datasets.loading import load_split, resolve_data_root
from aeexplorer.core.datasets.registry import stored_name
from aeexplorer.core.datasets.split import Split
from aeexplorer.core.errors import AeError
from aeexplorer.core.latent.metrics import evaluate
from aeexplorer.core.models import ModelConfig
from aeexplorer.core.training import distributed
from aeexplorer.core.training.config import TrainConfig, check_compatible
from aeexplorer.core.training.loop import ProgressFn, train
from aeexplorer.core.training.precision import Choice, choose
from aeexplorer.core.training.snapshots import Listener, taker_for


def train_and_save(
    model_cfg: ModelConfig,
    cfg: TrainConfig,
    out: str | os.PathLike,
    data_dir: str | os.PathLike | None = None,
    download: bool = False,
    progress: ProgressFn | None = None,
    should_stop=None,
    on_precision: Callable[[Choice], None] | None = None,
    *, image_size: int | None = None, channels: int | None = None,
    on_data: Callable[[Split, Split], None] | None = None,
    snapshots: int = 0, on_snapshot: Listener | None = None,
) -> tuple[Path, dict] | None:
    """Returns (path, metrics), or None when ``should_stop`` cancelled the run (nothing is
    written then; an existing file at ``out`` is only ever replaced by a finished model).
    The images are ``image_size`` square with ``channels`` (None: the data set's own), both
    splits alike; big data streams. ``on_data`` sees both splits once loaded. The precision
    is settled once the data has loaded (a missing data set fails first) and told to
    ``on_precision``. The checkpoint names an image folder by its name, not its path.
    Under torchrun every process trains its share and rank 0 alone evaluates, writes, calls
    ``on_data`` and ``on_precision``, and returns (path, metrics); the others return None.
    ``snapshots``: how many snapshots of the forming map to keep in the file (0: none; a
    closed-form model has none); ``on_snapshot`` sees each one taken (rank 0)."""
    try:
        distributed.check(model_cfg, cfg, download)
    except ValueError as exc:
        raise AeError(str(exc)) from None
    shape = {"image_size": image_size, "channels": channels, "stream": True}
    # a split missing on any machine stops every process, and rank 0 says so
    train_split, test_split = distributed.together(
        lambda: _splits(cfg.dataset, data_dir, download, shape))
    model_cfg = fit_to(model_cfg, train_split)
    try:  # again, now that the data has set the image size (a kept map's keys need a small one)
        check_compatible(model_cfg, cfg)
    except ValueError as exc:
        raise AeError(str(exc)) from None
    if on_data is not None and distributed.is_main():
        on_data(train_split, test_split)
    choice = distributed.from_main(lambda: choose(model_cfg, distributed.per_process(cfg)))
    if on_precision is not None and distributed.is_main():
        on_precision(choice)
    cfg = replace(cfg, precision=choice.precision)  # the checkpoint records the one used
    dataset = stored_name(cfg.dataset, resolve_data_root(data_dir))
    taker = (taker_for(test_split, snapshots, model_cfg.latent_dim, on_snapshot)
             if snapshots > 0 and model_cfg.learned and distributed.is_main() else None)
    model, history = train(model_cfg, cfg, train_split, progress, should_stop,
                           on_step=None if taker is None else taker.on_step)
    if not history.finished or not distributed.is_main():
        return None
    result = evaluate(model, train_split, test_split)
    metrics = result["metrics"]
    metrics["train_seconds"] = round(history.seconds, 1)
    codes = result["test_codes"]
    logvar = None if codes.logvar is None else torch.from_numpy(codes.logvar)
    atlas = Atlas(torch.from_numpy(codes.mu), logvar, result["test_labels"])
    path = save_checkpoint(
        out, model.cpu(), dataset, atlas, classes=train_split.class_names,
        train={"config": asdict(replace(cfg, dataset=dataset)), "history": history.to_dict(),
               "precision": {k: v for k, v in choice.to_dict().items() if k != "cached"}},
        metrics=metrics, snapshots=None if taker is None else taker.snapshots(),
    )
    return path, metrics


def _splits(dataset: str, data_dir, download: bool, shape: dict) -> tuple[Split, Split | None]:
    """The training split, which every process trains on, and the test split at the same
    image size and channels, where rank 0 evaluates (None on the other processes)."""
    train_split = load_split(dataset, True, data_dir, download, **shape)
    _, channels, side, _ = train_split.images.shape
    shape = {**shape, "image_size": int(side), "channels": int(channels)}
    test_split = (load_split(dataset, False, data_dir, download, **shape)
                  if distributed.is_main() else None)
    return train_split, test_split


def fit_to(model_cfg: ModelConfig, data) -> ModelConfig:
    """``model_cfg`` with the image size and channels of ``data`` (a Split): the data decides.
    AeError when the model cannot take them (PCA with more components than pixels)."""
    _, channels, side, _ = data.images.shape
    try:
        return replace(model_cfg, image_size=int(side), image_channels=int(channels))
    except ValueError as exc:
        raise AeError(str(exc)) from None
