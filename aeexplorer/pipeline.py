"""Train -> evaluate -> save, the one sequence the CLI and the app both run."""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

from .checkpoint import Atlas, save_checkpoint
from .data import load_split
from .metrics import evaluate
from .models import ModelConfig
from .training import ProgressFn, TrainConfig, resolve, train


def train_and_save(
    model_cfg: ModelConfig,
    cfg: TrainConfig,
    out: str | os.PathLike,
    data_dir: str | os.PathLike | None = None,
    download: bool = False,
    progress: ProgressFn | None = None,
    should_stop=None,
) -> tuple[Path, dict] | None:
    """Returns (path, figures), or None when ``should_stop`` cancelled the run (nothing is
    written then; an existing file at ``out`` is only ever replaced by a finished model)."""
    cfg = resolve(cfg)  # the checkpoint records the precision actually used
    train_split = load_split(cfg.dataset, True, data_dir, download)
    test_split = load_split(cfg.dataset, False, data_dir, download)
    model, history = train(model_cfg, cfg, train_split, progress, should_stop)
    if not history.finished:
        return None
    result = evaluate(model, train_split, test_split)
    figures = result["figures"]
    figures["train_seconds"] = round(history.seconds, 1)
    codes = result["test_codes"]
    path = save_checkpoint(
        out, model.cpu(), cfg.dataset, Atlas(codes.mu, codes.logvar, test_split.labels),
        train={"config": asdict(cfg), "history": history.to_dict()}, metrics=figures,
    )
    return path, figures
