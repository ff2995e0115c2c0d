"""Images fitted to a model's shape: resized to its side and turned grey or colour, as a data
set's images are when loaded (and a digit of one's own, the same way)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aeexplorer.core.errors import DataNotFound

if TYPE_CHECKING:
    import torch


def fit_images(images: torch.Tensor, image_size: int | None,
               channels: int | None) -> torch.Tensor:
    """(N, C, S, S) images resized (area-averaged down, bilinear up) to ``image_size`` and
    turned grey (ITU-R BT.601 luma) or colour (grey repeated) to ``channels``; None keeps."""
    import torch.nn.functional as F  # here, not at the top: this module is imported without torch

    if channels not in (None, 1, 3):
        raise DataNotFound(f"channels must be 1 (grey) or 3 (colour), not {channels}")
    if channels is not None and channels != images.shape[1]:
        if channels == 3:
            images = images.expand(-1, 3, -1, -1)
        else:
            weights = images.new_tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
            images = (images * weights).sum(dim=1, keepdim=True)
    if image_size is not None and image_size != images.shape[-1]:
        mode = "area" if image_size < images.shape[-1] else "bilinear"
        extra = {} if mode == "area" else {"align_corners": False}
        images = F.interpolate(images, size=(image_size, image_size), mode=mode, **extra)
        images = images.clamp_(0.0, 1.0)
    return images.contiguous()
