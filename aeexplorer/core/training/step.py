"""One training step's parts, shared by the loop and the precision timing: the objective on a
batch (the loss parts, the denoising corruption, the family's penalty, in the precision asked
for) and the optimiser."""

from __future__ import annotations

import torch

from aeexplorer.core.models import Autoencoder, ModelOutput
from aeexplorer.core.training.config import TrainConfig
from aeexplorer.core.training.losses import (LossParts, bce_per_image, contractive, kl_sparsity,
                                             l1_sparsity, loss_parts, umap_loss)
from aeexplorer.core.training.noise import corrupt


def adam(model: Autoencoder, cfg: TrainConfig) -> torch.optim.Adam:
    """Adam with its fused kernel: one pass over all parameters instead of a dozen tensor ops
    each, a sixth of a small model's step (README, Performance). Same update rule."""
    params = [p for p in model.parameters() if p.requires_grad]
    try:
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay, fused=True)
    except (RuntimeError, ValueError):  # a device or dtype without the fused kernel
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def batch_loss(model: Autoencoder, x: torch.Tensor, cfg: TrainConfig, beta: float,
               noise_gen: torch.Generator | None = None,
               near: torch.Tensor | None = None,
               place: torch.Tensor | None = None) -> LossParts:
    """The training objective on clean images ``x``: the model sees them corrupted (denoising)
    and is scored against the clean ones, plus the weighted penalty. ``cfg``'s precision is
    settled (``precision.settle_precision``): only "bf16" turns autocast on. ``near``: for the
    UMAP penalty, one neighbour of each image (``neighbour_graph``); ``place``: for the map
    penalty, each image's place (B, 2) on the map made first (``first_map``)."""
    if cfg.penalty == "umap":
        return _umap_batch(model, x, near, cfg)
    if cfg.penalty == "map":
        return _map_batch(model, x, place, cfg)
    channels = 1 if x.dim() == 4 else None  # a (B, C, H, W) batch: a mask drops whole pixels
    seen = corrupt(x, cfg.noise, cfg.noise_level, noise_gen, channels) if cfg.noise != "none" else x
    if cfg.penalty == "contractive":
        seen = seen.detach().requires_grad_(True)
    with torch.autocast(seen.device.type, torch.bfloat16, enabled=cfg.precision == "bf16"):
        out = model(seen)
    if cfg.precision == "bf16":  # losses in float32: sums over 784 pixels need its precision
        out = ModelOutput(*(None if t is None else t.float() for t in
                            (out.logits, out.z, out.mu, out.logvar, out.hidden)))
    parts = loss_parts(out, x, beta)
    if cfg.penalty == "none":
        return parts
    if cfg.penalty == "l1":
        penalty = l1_sparsity(out.hidden)
    elif cfg.penalty == "kl":
        penalty = kl_sparsity(out.hidden, cfg.sparsity_target)
    else:
        penalty = contractive(out.mu, seen)
    return LossParts(total=parts.total + cfg.penalty_weight * penalty, recon=parts.recon,
                     kl=parts.kl, penalty=penalty)


def _umap_batch(model: Autoencoder, x: torch.Tensor, near: torch.Tensor | None,
                cfg: TrainConfig) -> LossParts:
    """The UMAP AE's objective: the encoder learns the map from the UMAP loss alone, and the
    decoder learns to draw from that map (its reconstruction sees the codes detached). So the
    map is not bent towards what is easy to decode, and the weight of the penalty only scales
    the encoder's gradients. Images and neighbours go through the encoder as one batch, so
    batch norm sees one set of statistics."""
    if near is None:
        raise ValueError("the UMAP penalty needs each image's drawn neighbour")
    with torch.autocast(x.device.type, torch.bfloat16, enabled=cfg.precision == "bf16"):
        codes, _ = model.encode(torch.cat([x, near]))
        z, z_near = codes.float().chunk(2)
        logits = model.decode_logits(z.detach()).float()
    recon = bce_per_image(logits, x).mean()
    penalty = umap_loss(z, z_near)
    return LossParts(total=recon + cfg.penalty_weight * penalty, recon=recon,
                     kl=torch.zeros((), device=x.device), penalty=penalty)


def _map_batch(model: Autoencoder, x: torch.Tensor, place: torch.Tensor | None,
               cfg: TrainConfig) -> LossParts:
    """The map-first AE's objective: the reconstruction, and the squared distance of each code
    beyond ``cfg.map_leash`` from the image's ``place`` on the map made first. The map sets
    where each digit's cluster lies; within the leash the reconstruction arranges the codes,
    so that test images that look alike land side by side (docs/results.md, "A map first":
    trustworthiness 0.948 against 0.935 for codes held to their places exactly)."""
    if place is None:
        raise ValueError("the map penalty needs each image's place on the map")
    with torch.autocast(x.device.type, torch.bfloat16, enabled=cfg.precision == "bf16"):
        codes, _ = model.encode(x)
        # a kept map gives each training image its place: the decoder learns to draw from there
        logits = model.decode_logits(place.to(codes) if cfg.keep_map else codes).float()
    z = codes.float()  # (B, 2)
    recon = bce_per_image(logits, x).mean()
    stray = (z - place.to(z)).pow(2).sum(dim=1).add(1e-12).sqrt()  # finite gradient at 0
    penalty = (stray - cfg.map_leash).clamp_min(0).pow(2).mean()
    return LossParts(total=recon + cfg.penalty_weight * penalty, recon=recon,
                     kl=torch.zeros((), device=x.device), penalty=penalty)
