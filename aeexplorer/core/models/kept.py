"""A kept map: the places of a model's training images on the map it was taught, and a key per
image, to place a new image where its nearest training image lies (nearest-neighbour
out-of-sample placement; openTSNE's ``transform`` likewise starts a new point from its nearest
neighbours' places: Poličar et al. 2019, "openTSNE: a modular Python library for t-SNE
dimensionality reduction and embedding").

Why: an encoder regresses each place and blurs the places of near lookalikes; on Fashion-MNIST
the map-first AE's encoder puts a test image among its own kind for a 5-NN of 0.74, while its
nearest training image's place gives 0.82 to 0.83 on the same t-SNE map (docs/results.md, "A
kept map").

The key is the image's first ``KEY_DIMS`` principal components of the training images, stored
as float16 (60,000 keys: 2.4 MB, so that a shipped file stays under 8 MB); a query is rounded
the same way. Invariant: a training image is
placed at its own place (its key is its own nearest, at distance 0), unless an identical image
comes first, whose place is then given.
"""

from __future__ import annotations

import torch
from torch import nn

from .principal import principal_axes

KEY_DIMS = 20  # principal components per key: Fashion-MNIST 5-NN 0.819 (50: 0.833, 784: 0.836)
_DISTANCES = 1 << 24  # distances held at once (64 MB): 279 images against 60,000 keys


def key_dims(pixels: int) -> int:
    return min(KEY_DIMS, pixels)


class KeptMap(nn.Module):
    """``count`` training images' keys and places, buffers saved with the model's weights."""

    def __init__(self, count: int, pixels: int, latent_dim: int) -> None:
        super().__init__()
        dims = key_dims(pixels)
        self.register_buffer("mean", torch.zeros(pixels))  # (P,) the training images' mean
        self.register_buffer("basis", torch.zeros(pixels, dims))  # (P, K) principal axes
        self.register_buffer("keys", torch.zeros(count, dims, dtype=torch.float16))  # (N, K)
        self.register_buffer("places", torch.zeros(count, latent_dim))  # (N, D)

    @torch.no_grad()
    def fill(self, images: torch.Tensor, places: torch.Tensor) -> None:
        """(N, C, S, S) training images and (N, D) their places; the keys' axes are the
        images' principal axes (``principal``: exact and deterministic, unlike a randomised
        SVD)."""
        mean, basis = principal_axes(images.cpu(), self.basis.shape[1])
        self.mean.copy_(mean)
        self.basis.copy_(basis)
        self.keys.copy_(self._key(images.cpu()))
        self.places.copy_(places.float().cpu())

    def _key(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, S, S) -> (B, K) float16 keys."""
        return ((x.flatten(1).float() - self.mean) @ self.basis).half()

    @torch.no_grad()
    def place(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, S, S) images -> (B, D) the place of each one's nearest training image."""
        keys = self.keys.float()  # (N, K)
        norms = keys.pow(2).sum(1)  # (N,)
        out = []
        for chunk in x.to(keys.device).split(max(1, _DISTANCES // max(len(keys), 1))):
            q = self._key(chunk).float()  # (b, K), rounded as the keys were
            nearest = (norms - 2 * q @ keys.T).argmin(1)  # |q|^2 is the same for every key
            out.append(self.places[nearest])
        return torch.cat(out) if out else self.places[:0]
