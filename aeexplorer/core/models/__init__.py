"""Models: a frozen config plus one ``nn.Module`` with encode / reparameterize / decode.

The config is imported at once; the torch modules on first use (PEP 562), so that reading a
checkpoint's header, or drawing its map, never waits for torch to import."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .config import ARCHS, KINDS, ModelConfig

if TYPE_CHECKING:
    from .autoencoder import Autoencoder, ModelOutput, build_model, count_parameters

# spelled out (not built from _LAZY) so that linters see the lazy names as exported
__all__ = ["ARCHS", "KINDS", "ModelConfig",
           "Autoencoder", "ModelOutput", "build_model", "count_parameters"]
_LAZY = tuple(__all__[3:])


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import autoencoder

        return getattr(autoencoder, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
