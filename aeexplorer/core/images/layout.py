"""Images between their two layouts: the numpy edge's, where the pages, uploads and the CLI
hold them ((N, S, S) grey, (N, S, S, 3) colour, float32 in [0, 1]), and torch's (N, C, S, S),
where the models take them."""

from __future__ import annotations

import numpy as np
import torch


def as_batch(images: np.ndarray | torch.Tensor, config) -> torch.Tensor:
    """Images in any of the accepted layouts -> a float32 (N, C, S, S) tensor (on the CPU
    unless it came as a tensor elsewhere). Accepted: the numpy edge's (N, S, S) grey or
    (N, S, S, 3) colour, torch's (N, C, S, S), and one image without the N."""
    c, side = config.image_channels, config.image_size
    x = torch.as_tensor(images, dtype=torch.float32)
    if c == 3 and x.shape[-3:] == (side, side, 3):  # channels last: the numpy edge
        return x.reshape(-1, side, side, 3).permute(0, 3, 1, 2).contiguous()
    if x.numel() % config.pixels:
        raise ValueError(f"images of shape {tuple(x.shape)} do not fit a model of "
                         f"{c}x{side}x{side} images")
    return x.reshape(-1, c, side, side)


def as_images(batch: torch.Tensor) -> np.ndarray:
    """A (N, C, S, S) tensor -> numpy images at the edge: (N, S, S) grey, (N, S, S, 3)
    colour, float32 on the CPU."""
    batch = batch.detach().float().cpu()
    if batch.shape[1] == 1:
        return batch[:, 0].numpy()
    return batch.permute(0, 2, 3, 1).contiguous().numpy()
