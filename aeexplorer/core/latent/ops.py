"""What one model does, in the shape pythae gives its models: encode and decode in batches,
reconstruct, walk through stops, sample the prior, decode a grid. ``ModelOps(model)``, or
``Checkpoint.ops``; numpy in and out, so tensors stay inside the core.

"Reconstruction" means one thing: encode the image, then decode its code (the posterior mean
for a VAE). A code is the model's own: the encoder's, polished by the decoder where the model's
config asks for it (``refine``). Decoding a test image's code stored in the atlas gives the
same image without the encoder; the app calls that the decoded code.

A code shorter than the latent (a map position: z1, z2) is padded with zeros, a longer one
cut (a 1-D latent takes z1 only). Every method runs the model in eval mode, without
gradients, on the model's device, in batches of ``BATCH`` images or codes.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from aeexplorer.core.images.layout import as_batch, as_images
from aeexplorer.core.latent.refine import model_codes
from aeexplorer.core.models import Autoencoder
from aeexplorer.core.runtime import device_of

BATCH = 2048
METHODS = ("linear", "slerp")
Range = tuple[float, float]


@dataclass(frozen=True)
class Codes:
    mu: np.ndarray  # (N, D) float32 posterior means (the codes of an AE)
    logvar: np.ndarray | None  # (N, D) posterior log-variances; None for an AE


@dataclass(frozen=True)
class Reconstruction:
    codes: np.ndarray  # (N, D) float32: the codes that were decoded (posterior means)
    images: np.ndarray  # (N, H, W) grey or (N, H, W, 3) colour, float32 in [0, 1]


class ModelOps:
    """One model's operations; it holds nothing but the model, so making one is free."""

    def __init__(self, model: Autoencoder) -> None:
        self.model = model

    @property
    def latent_dim(self) -> int:
        return int(self.model.config.latent_dim)

    def batches(self, images: np.ndarray | torch.Tensor,
                batch_size: int = BATCH) -> Iterator[torch.Tensor]:
        """Images at the numpy edge ((N, H, W) grey, (N, H, W, 3) colour) or in torch's layout
        ((N, C, H, W)) as float32 (B, C, H, W) batches on the model's device, the model in
        eval mode: for core code that needs more of the model than codes and images (the
        test-set figures)."""
        device = self._ready()
        stack = as_batch(images, self.model.config)
        for start in range(0, stack.shape[0], batch_size):
            yield stack[start:start + batch_size].to(device)

    @torch.no_grad()
    def encode(self, images: np.ndarray, batch_size: int = BATCH) -> Codes:
        """(N, H, W[, 3]) images in [0, 1] -> their codes."""
        mus, logvars = [], []
        for x in self.batches(images, batch_size):
            mu, logvar = model_codes(self.model, x)
            mus.append(mu.cpu())
            if logvar is not None:
                logvars.append(logvar.cpu())
        variational = self.model.config.variational
        return Codes(self._codes(mus), self._codes(logvars) if variational else None)

    @torch.no_grad()
    def decode(self, z: Sequence[Sequence[float]] | np.ndarray,
               batch_size: int = BATCH) -> np.ndarray:
        """(N, D) codes (a flat sequence is one code) -> (N, H, W[, 3]) images in [0, 1]."""
        codes = self.full(z)
        device = self._ready()
        parts = [as_images(self.model.decode(torch.from_numpy(codes[s:s + batch_size])
                                             .to(device)))
                 for s in range(0, len(codes), batch_size)]
        return self._images(parts)

    @torch.no_grad()
    def reconstruct(self, images: np.ndarray, batch_size: int = BATCH) -> Reconstruction:
        """(N, H, W[, 3]) images -> their codes and the decodings of those codes."""
        codes, recons = [], []
        for x in self.batches(images, batch_size):
            mu, _ = model_codes(self.model, x)
            codes.append(mu.cpu())
            recons.append(as_images(self.model.decode(mu)))
        return Reconstruction(self._codes(codes), self._images(recons))

    def walk(self, stops: Sequence[Sequence[float]] | np.ndarray, n: int,
             method: str = "linear") -> tuple[np.ndarray, np.ndarray]:
        """A walk through two or more stops, n frames per leg, each leg a straight line
        (``linear``) or a great-circle arc (``slerp``); a stop shared by two legs appears once.
        -> (codes (M, D), frames (M, H, W[, 3]))."""
        zs = _path(torch.from_numpy(self.full(stops)), n, method).numpy()
        return zs, self.decode(zs)

    def prior(self, n: int, seed: int = 0,
              temperature: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """n draws from N(0, T² I), the same for the same seed (the global RNG is left alone),
        and their decodings -> (codes (n, D), images (n, H, W[, 3]))."""
        g = torch.Generator().manual_seed(int(seed))
        zs = (torch.randn(n, self.latent_dim, generator=g) * float(temperature)).numpy()
        return zs, self.decode(zs)

    def grid(self, x_range: Range, y_range: Range, n: int) -> tuple[np.ndarray, np.ndarray]:
        """An n x n grid of map positions over the ranges, rows from the top (high z2) down,
        and their decodings -> (codes (n*n, D), images (n*n, H, W[, 3]))."""
        xs = torch.linspace(x_range[0], x_range[1], n)
        ys = torch.linspace(y_range[1], y_range[0], n)
        yy, xx = torch.meshgrid(ys, xs, indexing="ij")
        zs = self.full(torch.stack([xx.flatten(), yy.flatten()], dim=1).numpy())
        return zs, self.decode(zs)

    def full(self, z: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
        """Codes or map positions as (N, D) float32 codes: padded with zeros, or cut."""
        arr = np.asarray(z, dtype=np.float32)
        if arr.size == 0:
            return np.zeros((0, self.latent_dim), np.float32)
        arr = arr.reshape(1, -1) if arr.ndim == 1 else arr.reshape(len(arr), -1)
        out = np.zeros((len(arr), self.latent_dim), np.float32)
        width = min(arr.shape[1], self.latent_dim)
        out[:, :width] = arr[:, :width]
        return out

    def _ready(self) -> torch.device:
        """The model in eval mode, and its device."""
        if self.model.training:  # eval() walks every module: not on every decoded point
            self.model.eval()
        return device_of(self.model)

    def _codes(self, parts: list[torch.Tensor]) -> np.ndarray:
        if not parts:
            return np.zeros((0, self.latent_dim), np.float32)
        return torch.cat(parts).numpy()

    def _images(self, parts: list[np.ndarray]) -> np.ndarray:
        shape = self.model.config.image_shape
        return np.concatenate(parts) if parts else np.zeros((0, *shape), np.float32)


def _interpolate(a: torch.Tensor, b: torch.Tensor, n: int, method: str) -> torch.Tensor:
    """n points from a to b inclusive, (n, D). ``slerp`` follows the great circle between the
    two directions and interpolates the norms linearly (White 2016, "Sampling Generative
    Networks"), which keeps a walk through a Gaussian prior away from its low-density centre."""
    if n < 2:
        raise ValueError("an interpolation needs at least 2 frames")
    if method not in METHODS:
        raise ValueError(f"unknown interpolation {method!r}: use 'linear' or 'slerp'")
    t = torch.linspace(0.0, 1.0, n).unsqueeze(1)
    na, nb = a.norm(), b.norm()
    if method == "linear" or na < 1e-8 or nb < 1e-8:
        return (1 - t) * a + t * b
    ua, ub = a / na, b / nb
    omega = torch.arccos(torch.clamp(ua @ ub, -1.0, 1.0))
    if omega < 1e-6:  # same direction: the great circle is a point
        direction = ua.expand(n, -1)
    elif math.pi - omega < 1e-6:  # opposite: no unique circle; go straight through
        return (1 - t) * a + t * b
    else:
        direction = (torch.sin((1 - t) * omega) * ua + torch.sin(t * omega) * ub) / torch.sin(omega)
    return direction * ((1 - t) * na + t * nb)


def _path(stops: torch.Tensor, n: int, method: str) -> torch.Tensor:
    """The legs between consecutive (S, D) stops joined, the shared stops once."""
    if len(stops) < 2:
        raise ValueError("a path needs at least two stops")
    legs = [_interpolate(a, b, n, method) for a, b in zip(stops[:-1], stops[1:])]
    return torch.cat([legs[0]] + [leg[1:] for leg in legs[1:]])
