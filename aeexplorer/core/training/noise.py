"""Input corruption for denoising autoencoders (Vincent et al. 2008, "Extracting and Composing
Robust Features with Denoising Autoencoders"): the model sees a corrupted image and is trained
to give back the clean one.

- ``gaussian``: add N(0, level^2) to every pixel, then clip to [0, 1]; in a colour image to
  each channel of every pixel, independently (colour noise, as a camera sensor's);
- ``mask``: set each pixel to 0 with probability ``level`` (Vincent's masking noise); in a
  colour image a masked pixel is black in all three channels (a pixel is dropped, not one of
  its colours), so the noise reads the same in grey and in colour.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported on use: TrainConfig checks its noise with check_noise
    import torch

NOISES = ("none", "gaussian", "mask")


def check_noise(kind: str, level: float) -> None:
    if kind not in NOISES:
        raise ValueError(f"noise must be one of {NOISES}, not {kind!r}")
    if not (isinstance(level, (int, float)) and math.isfinite(level) and level >= 0):
        raise ValueError("the noise level must be a number >= 0")
    if kind == "mask" and level > 1:
        raise ValueError("a masking noise level is a probability: from 0 to 1")


def corrupt(x: torch.Tensor, kind: str, level: float,
            generator: torch.Generator | None = None,
            channel_dim: int | None = None) -> torch.Tensor:
    """A corrupted copy of images ``x`` (any shape, values in [0, 1]); ``x`` is not changed.
    ``channel_dim``: the axis of the channels (1 for a (B, C, H, W) batch, -1 for an (H, W, 3)
    image), whose values a mask drops together; None: every value is a pixel of its own."""
    import torch

    check_noise(kind, level)
    if kind == "none" or level == 0:
        return x.clone()
    if kind == "gaussian":
        eps = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
        return (x + level * eps).clamp_(0.0, 1.0)
    shape = list(x.shape)
    if channel_dim is not None:
        shape[channel_dim] = 1  # one draw a pixel, shared by its channels (grey: the same draws)
    keep = torch.rand(shape, generator=generator, dtype=x.dtype, device=x.device) >= level
    return x * keep
