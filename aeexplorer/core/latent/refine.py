"""A model's codes: the encoder's guess, then polished by the decoder (semi-amortised
inference: Kim et al. 2018, "Semi-Amortized Variational Autoencoders"; Marino et al. 2018,
"Iterative Amortized Inference").

The encoder is amortised: one pass guesses a code for any image. For images it has not seen
the guess is off by the "amortisation gap", and on a map taught to keep neighbours that gap is
where the map loses them: the map-first AE's encoder keeps the 5 nearest of its training images
(trustworthiness 0.975) far better than those of the test images (0.948), since it regresses
each place and blurs the places of near lookalikes. The decoder knows better where an image
belongs: gradient steps on its fit, started from the encoder's code, move the code to where the
decoder draws the image best, so two images that look alike end up where the decoder draws
alike, next to each other (docs/results.md, "Polished codes").

Invariant: a polished code fits its image at least as well as the encoder's code, counting its
distance from it (``polish`` keeps the better of the two per image), and the model's weights
are never touched: only the codes get gradients, so one cached model serves every session.
"""

from __future__ import annotations

import torch

from aeexplorer.core.models import Autoencoder

LR = 0.05  # Adam's step size on a code; the map's codes have a standard deviation near 1
# the encoder's code as a prior on the polished one: + PULL * |z - z_encoder|^2 (nats), a
# Gaussian of standard deviation 0.07 around it. A decoder trained for minutes draws a blur
# where the encoder already knows the cluster: unpulled, 30 steps moved a 2-epoch map-first
# AE's codes into other digits (5-NN 0.865 -> 0.823); pulled, 0.859. On the shipped one,
# trained for 80 epochs, it changes nothing (docs/results.md, "Polished codes").
PULL = 100.0


def fit(model: Autoencoder, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """(B, C, S, S) images and (B, D) codes -> (B,) the decoder's binary cross-entropy per
    image, plus the prior's -log density (up to a constant) for a VAE: the most probable code
    given the image, which keeps a VAE's code where its map was trained."""
    from aeexplorer.core.training.losses import bce_per_image

    loss = bce_per_image(model.decode_logits(z), x)
    if model.config.variational:
        loss = loss + 0.5 * (z ** 2).sum(1)
    return loss


def polish(model: Autoencoder, x: torch.Tensor, z: torch.Tensor, steps: int,
           lr: float = LR, pull: float = 0.0) -> torch.Tensor:
    """``steps`` Adam steps on ``fit`` (plus ``pull`` times the squared distance to ``z``) from
    the codes ``z`` (B, D) -> (B, D) the better of the polished code and ``z`` for each image
    by that objective (Adam's steps need not all go downhill)."""
    if steps <= 0 or len(z) == 0:
        return z
    start = z.detach()

    def cost(codes: torch.Tensor) -> torch.Tensor:
        return fit(model, x, codes) + pull * (codes - start).pow(2).sum(1)

    with torch.enable_grad():  # callers decode under no_grad; the codes need gradients here
        z = start.clone().requires_grad_(True)
        opt = torch.optim.Adam([z], lr=lr)
        for _ in range(steps):
            opt.zero_grad()
            cost(z).sum().backward(inputs=[z])  # into the codes, not the weights
            opt.step()
    with torch.no_grad():
        better = cost(z) <= cost(start)
        return torch.where(better[:, None], z.detach(), start)


def model_codes(model: Autoencoder, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(B, C, S, S) images -> (mu, logvar) as the model gives them after training: the place
    of each one's nearest training image where the model keeps its map (``models.kept``),
    else the encoder's, with mu polished for ``config.refine`` steps and pulled towards the
    encoder's (a VAE's logvar stays the encoder's). Training itself uses the encoder alone."""
    kept = getattr(model, "kept", None)  # (PCA has none)
    if kept is not None:  # an AE, never polished (ModelConfig)
        return kept.place(x), None
    with torch.no_grad():
        mu, logvar = model.encode(x)
    return polish(model, x, mu.float(), model.config.refine, pull=PULL), logvar
