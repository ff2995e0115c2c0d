"""Train -> evaluate -> save, the one sequence the CLI and the app both run."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path

import torch

from aeexplorer.core.checkpoint import Atlas, save_checkpoint
from aeexplorer.core.data import load_split
from aeexplorer.core.metrics import evaluate
from aeexplorer.core.models import ModelConfig
from aeexplorer.core.precision import Choice, choose
from aeexplorer.core.training import ProgressFn, TrainConfig, train


def train_and_save(
    model_cfg: ModelConfig,
    cfg: TrainConfig,
    out: str | os.PathLike,
    data_dir: str | os.PathLike | None = None,
    download: bool = False,
    progress: ProgressFn | None = None,
    should_stop=None,
    on_precision: Callable[[Choice], None] | None = None,
) -> tuple[Path, dict] | None:
    """Returns (path, metrics), or None when ``should_stop`` cancelled the run (nothing is
    written then; an existing file at ``out`` is only ever replaced by a finished model).
    The precision is settled once the data has loaded (a missing data set fails first) and
    told to ``on_precision``."""
    train_split = load_split(cfg.dataset, True, data_dir, download)
    test_split = load_split(cfg.dataset, False, data_dir, download)
    model_cfg = fit_to(model_cfg, train_split)
    choice = choose(model_cfg, cfg)
    if on_precision is not None:
        on_precision(choice)
    cfg = replace(cfg, precision=choice.precision)  # the checkpoint records the one used
    model, history = train(model_cfg, cfg, train_split, progress, should_stop)
    if not history.finished:
        return None
    result = evaluate(model, train_split, test_split)
    metrics = result["metrics"]
    metrics["train_seconds"] = round(history.seconds, 1)
    codes = result["test_codes"]
    logvar = None if codes.logvar is None else torch.from_numpy(codes.logvar)
    atlas = Atlas(torch.from_numpy(codes.mu), logvar, test_split.labels)
    path = save_checkpoint(
        out, model.cpu(), cfg.dataset, atlas, classes=train_split.class_names,
        train={"config": asdict(cfg), "history": history.to_dict(),
               "precision": {k: v for k, v in choice.to_dict().items() if k != "cached"}},
        metrics=metrics,
    )
    return path, metrics


def fit_to(model_cfg: ModelConfig, data) -> ModelConfig:
    """``model_cfg`` with the image size and channels of ``data`` (a Split): the data decides."""
    _, channels, side, _ = data.images.shape
    return replace(model_cfg, image_size=int(side), image_channels=int(channels))
