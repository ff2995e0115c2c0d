"""Loss parts, in nats per image, and the regularisers of the other autoencoder families.

The VAE objective is the negative evidence lower bound of Kingma & Welling (2014), eq. 10:
-ELBO = E_q[-log p(x|z)] + KL(q(z|x) || N(0, I)), with a Bernoulli decoder on pixel
intensities in [0, 1] (the usual "continuous MNIST" BCE) and the closed-form Gaussian KL of
their Appendix B: KL = -1/2 * sum(1 + logvar - mu^2 - exp(logvar)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from aeexplorer.core.models import ModelOutput


@dataclass
class LossParts:
    total: torch.Tensor  # scalar that is minimised (recon + beta * kl + weight * penalty)
    recon: torch.Tensor  # scalar: BCE summed over pixels, mean over the batch
    kl: torch.Tensor  # scalar: KL per image, mean over the batch (0 for an AE)
    penalty: torch.Tensor | None = None  # scalar: the unweighted regulariser, if any


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


def l1_sparsity(hidden: torch.Tensor) -> torch.Tensor:
    """L1 penalty on hidden activations (B, H): sum over units, mean over the batch. Pushes
    most units to exactly zero for any one image (Goodfellow et al., Deep Learning, 14.2.1)."""
    return hidden.abs().sum(dim=1).mean()


def kl_sparsity(hidden: torch.Tensor, rho: float, eps: float = 1e-6) -> torch.Tensor:
    """Sum over units j of KL(Bernoulli(rho) || Bernoulli(rho_hat_j)), with rho_hat_j the mean
    activation of unit j over the batch (Ng, "Sparse autoencoder", CS294A notes, 2011). Zero
    exactly when every unit's mean activation is rho; activations must lie in (0, 1)."""
    rho_hat = hidden.mean(dim=0).clamp(eps, 1 - eps)
    return torch.sum(rho * torch.log(rho / rho_hat)
                     + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat)))


def contractive(code: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Squared Frobenius norm of the encoder's Jacobian dz/dx, mean over the batch (Rifai et
    al. 2011, "Contractive Auto-Encoders"). ``x`` must require grad and ``code`` (B, D) be
    computed from it. One backward pass per code dimension, kept in the graph so the penalty
    can itself be minimised; exact when images in a batch do not interact (no batch norm)."""
    total = torch.zeros(code.shape[0], device=code.device, dtype=code.dtype)
    for d in range(code.shape[1]):
        (grad,) = torch.autograd.grad(code[:, d].sum(), x, create_graph=True)
        total = total + grad.pow(2).flatten(1).sum(dim=1)
    return total.mean()


# UMAP's curve 1 / (1 + a d^(2b)) for min_dist 0.1, spread 1 (umap-learn's find_ab_params)
UMAP_A, UMAP_B = 1.577, 0.8951
NEGATIVES = 5  # UMAP's negative sample rate: repulsions weighed per attraction


def umap_loss(z: torch.Tensor, z_near: torch.Tensor) -> torch.Tensor:
    """UMAP's cross-entropy on a batch of codes (McInnes et al. 2018, 3.2; parametric as in
    Sainburg et al. 2021): each code ``z`` is pulled to the code of a neighbour it drew,
    ``z_near``, and pushed from every other code of the batch, weighted as ``NEGATIVES``
    random pairs. With q = 1 / (1 + t), t = a d^(2b): -log q = softplus(log t) and
    -log(1 - q) = softplus(-log t). Mean per image."""
    def log_t(d2: torch.Tensor) -> torch.Tensor:
        return math.log(UMAP_A) + UMAP_B * torch.log(d2 + 1e-4)  # finite at d = 0

    pull = F.softplus(log_t((z - z_near).pow(2).sum(dim=1))).mean()
    n = len(z)
    if n < 2:
        return pull
    d2 = torch.cdist(z, z).pow(2)
    others = ~torch.eye(n, dtype=torch.bool, device=z.device)
    push = F.softplus(-log_t(d2[others])).mean()
    return pull + NEGATIVES * push
