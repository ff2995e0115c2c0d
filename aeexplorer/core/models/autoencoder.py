"""The networks (dense / conv x AE / VAE); PCA, fitted in closed form, is in ``pca.py``.

The VAE follows Kingma & Welling, "Auto-Encoding Variational Bayes" (2014): the encoder gives
the mean and log-variance of a diagonal Gaussian q(z|x); ``reparameterize`` draws
z = mu + sigma * eps so that gradients flow through the sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .config import ModelConfig
from .kept import KeptMap
from .networks import build_decoder, build_encoder


@dataclass
class ModelOutput:
    logits: torch.Tensor  # (B, C, S, S) decoder output before the sigmoid
    z: torch.Tensor  # (B, latent_dim) the code that was decoded
    mu: torch.Tensor  # (B, latent_dim) posterior mean (= z for an AE)
    logvar: torch.Tensor | None  # (B, latent_dim) posterior log-variance; None for an AE
    # (B, H) the encoder's last hidden activations, which sparsity penalties act on (the
    # flattened input when there is no hidden layer)
    hidden: torch.Tensor | None = None


class Autoencoder(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = build_encoder(config)
        self.decoder = build_decoder(config)
        # the training images' places, where new images are placed by their nearest one
        self.kept = (KeptMap(config.kept, config.pixels, config.latent_dim) if config.kept
                     else None)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """x (B, C, S, S) in [0, 1] -> (mu, logvar), each (B, latent_dim); logvar None for AE."""
        return self._split(self.encoder(x))

    def encode_hidden(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor,
                                                        torch.Tensor | None]:
        """Like ``encode``, and also the last hidden activations: (hidden (B, H), mu, logvar).
        The encoder ends in an MLP whose last layer maps the hidden activations to the code."""
        *body, mlp = self.encoder
        *hidden_layers, head = mlp
        for layer in [*body, *hidden_layers]:
            x = layer(x)
        return (x, *self._split(head(x)))

    def _split(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        if not self.config.variational:
            return h, None
        mu, logvar = h.chunk(2, dim=1)
        return mu, logvar

    def reparameterize(
        self, mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + eps * torch.exp(0.5 * logvar)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, latent_dim) -> images (B, C, S, S) in [0, 1]."""
        return torch.sigmoid(self.decoder(z))

    def forward(self, x: torch.Tensor, sample: bool | None = None) -> ModelOutput:
        """Encode and decode. A VAE decodes a posterior sample while training (``sample``
        defaults to ``self.training``) and its mean otherwise."""
        hidden, mu, logvar = self.encode_hidden(x)
        if sample is None:
            sample = self.training
        z = self.reparameterize(mu, logvar) if (logvar is not None and sample) else mu
        return ModelOutput(logits=self.decode_logits(z), z=z, mu=mu, logvar=logvar, hidden=hidden)

