"""Loss parts, in nats per image.

The VAE objective is the negative evidence lower bound of Kingma & Welling (2014), eq. 10:
-ELBO = E_q[-log p(x|z)] + KL(q(z|x) || N(0, I)), with a Bernoulli decoder on pixel
intensities in [0, 1] (the usual "continuous MNIST" BCE) and the closed-form Gaussian KL of
their Appendix B: KL = -1/2 * sum(1 + logvar - mu^2 - exp(logvar)).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .models import ModelOutput


@dataclass
class LossParts:
    total: torch.Tensor  # scalar that is minimised (recon + beta * kl)
    recon: torch.Tensor  # scalar: BCE summed over pixels, mean over the batch
    kl: torch.Tensor  # scalar: KL per image, mean over the batch (0 for an AE)


def bce_per_image(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Bernoulli negative log-likelihood summed over pixels: (B, ...) -> (B,)."""
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    return bce.flatten(1).sum(dim=1)


def kl_per_image(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) summed over latent dims: (B, D) -> (B,)."""
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)


def loss_parts(out: ModelOutput, x: torch.Tensor, beta: float = 1.0) -> LossParts:
    recon = bce_per_image(out.logits, x).mean()
    if out.logvar is None:
        kl = torch.zeros((), device=x.device)
    else:
        kl = kl_per_image(out.mu, out.logvar).mean()
    return LossParts(total=recon + beta * kl, recon=recon, kl=kl)
