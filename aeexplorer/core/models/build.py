"""Making a model from its config: the one way a model is made (the config is saved beside the
weights), a network or PCA by its kind; and its size in parameters."""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import nn

from .autoencoder import Autoencoder
from .config import ModelConfig
from .pca import PCA


def build_model(config: ModelConfig) -> Autoencoder:
    """The only way to make a model: from its config (which is saved beside the weights)."""
    if config.kind == "pca":
        return PCA(config)
    return Autoencoder(config)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def keeping(model: Autoencoder, images: torch.Tensor, places: torch.Tensor) -> Autoencoder:
    """``model`` trained, with the map of its ``images`` (N, C, S, S) at ``places`` (N, D)
    kept (``kept.py``): the same weights in a model whose config says how many it keeps."""
    kept = build_model(replace(model.config, kept=len(images)))
    missing, unexpected = kept.load_state_dict(model.state_dict(), strict=False)
    assert not unexpected and all(k.startswith("kept.") for k in missing), (missing, unexpected)
    kept.kept.fill(images, places)
    return kept.to(next(model.parameters()).device).eval()
