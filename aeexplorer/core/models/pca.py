"""PCA as a model with the autoencoders' interface (encode / decode / forward), so the map, the
metrics and every view work for it too. It is the optimal *linear* autoencoder for squared error
(Baldi & Hornik 1989): the baseline every nonlinear model on the map has to beat.

encode: z = W (x - m); decode: x' = clip(m + W^T z, 0, 1), with m the training mean and W the
top ``latent_dim`` principal directions (rows, unit length), fitted in closed form by ``fit``.
"""

from __future__ import annotations

import torch
from torch import nn

from .autoencoder import ModelOutput
from .config import ModelConfig
from .principal import principal_axes

# Decoded pixels are probabilities only after clipping; BCE needs them strictly inside (0, 1).
_EPS = 1e-4


class PCA(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        pixels = config.pixels
        # Parameters (not buffers) so that device moves, counts and checkpoints treat PCA like
        # the networks; they are fitted, never trained.
        self.mean = nn.Parameter(torch.zeros(pixels), requires_grad=False)
        self.components = nn.Parameter(torch.zeros(config.latent_dim, pixels),
                                       requires_grad=False)

    @torch.no_grad()
    def fit(self, images: torch.Tensor) -> "PCA":
        """Fit to (N, C, S, S) images: the principal axes (``principal``), the largest first."""
        mean, axes = principal_axes(images, self.config.latent_dim)
        self.mean.copy_(mean)
        self.components.copy_(axes.T)  # (D, pixels)
        return self

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, None]:
        """x (B, C, S, S) -> (z (B, D), None): the projection on the components."""
        return (x.flatten(1) - self.mean) @ self.components.T, None

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, D) -> images (B, C, S, S) clipped to [0, 1]."""
        side = self.config.image_size
        x = (self.mean + z @ self.components).clamp(0.0, 1.0)
        return x.reshape(-1, self.config.image_channels, side, side)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        return torch.logit(self.decode(z), eps=_EPS)

    def forward(self, x: torch.Tensor, sample: bool | None = None) -> ModelOutput:
        z, _ = self.encode(x)
        return ModelOutput(logits=self.decode_logits(z), z=z, mu=z, logvar=None,
                           hidden=x.flatten(1))
