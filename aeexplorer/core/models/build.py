"""Making a model from its config: the one way a model is made (the config is saved beside the
weights), a network or PCA by its kind; and its size in parameters."""

from __future__ import annotations

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
