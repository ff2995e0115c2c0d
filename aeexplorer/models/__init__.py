"""Models: a frozen config plus one ``nn.Module`` with encode / reparameterize / decode."""

from .autoencoder import Autoencoder, ModelOutput, build_model, count_parameters
from .config import ARCHS, KINDS, ModelConfig

__all__ = [
    "ARCHS",
    "KINDS",
    "Autoencoder",
    "ModelConfig",
    "ModelOutput",
    "build_model",
    "count_parameters",
]
