"""Models: a frozen config plus one ``nn.Module`` with encode / reparameterize / decode.

The config is imported at once; the torch modules on first use (PEP 562), so that reading a
checkpoint's header, or drawing its map, never waits for torch to import."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .config import ARCHS, KINDS, ModelConfig

if TYPE_CHECKING:
    from .autoencoder import Autoencoder, ModelOutput
    from .build import build_model, count_parameters

# the lazy names too, so that linters see them as exported
__all__ = ["ARCHS", "KINDS", "ModelConfig",
           "Autoencoder", "ModelOutput", "build_model", "count_parameters"]


def __getattr__(name: str) -> Any:
    # imported on first use, not with the package: these modules import torch (seconds)
    if name in ("Autoencoder", "ModelOutput"):
        from . import autoencoder

        return getattr(autoencoder, name)
    if name in ("build_model", "count_parameters"):
        from . import build

        return getattr(build, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
