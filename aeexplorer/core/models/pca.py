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
        """Fit to (N, C, S, S) images: the eigenvectors of the pixel covariance with the
        largest eigenvalues, each signed so its largest entry is positive (a stable result)."""
        x = images.flatten(1)
        n = x.shape[0]
        mean = x.double().mean(dim=0)
        # the covariance summed in float64 over float32 chunks: no float64 copy of the data
        cov = torch.zeros(x.shape[1], x.shape[1], dtype=torch.float64, device=x.device)
        for start in range(0, n, 8192):
            chunk = x[start:start + 8192].double() - mean
            cov += chunk.T @ chunk
        cov /= max(1, n - 1)
        _, vectors = torch.linalg.eigh(cov)  # ascending eigenvalues
        top = vectors[:, -self.config.latent_dim:].flip(1).T  # (D, pixels), largest first
        signs = torch.sign(top.gather(1, top.abs().argmax(dim=1, keepdim=True)))
        self.mean.copy_(mean.float())
        self.components.copy_((top * signs).float())
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
