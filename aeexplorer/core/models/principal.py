"""Principal axes of a set of images, exact and deterministic: the eigenvectors of the pixel
covariance with the largest eigenvalues, the covariance summed in float64 over float32 chunks
(no float64 copy of the data; 60,000 images summed in float32 lose the small components), each
axis signed so that its largest entry is positive (a stable result). PCA (``pca.py``) is made
of them, and a kept map's keys (``kept.py``) are coordinates on them."""

from __future__ import annotations

import torch

CHUNK = 8192  # images per float64 chunk of the covariance


@torch.no_grad()
def principal_axes(images: torch.Tensor, dims: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, ...) images -> (mean (P,), axes (P, dims)), float32, the largest axis first."""
    x = images.flatten(1)
    mean = x.double().mean(dim=0)
    cov = torch.zeros(x.shape[1], x.shape[1], dtype=torch.float64, device=x.device)
    for start in range(0, x.shape[0], CHUNK):
        chunk = x[start:start + CHUNK].double() - mean
        cov += chunk.T @ chunk
    _, vectors = torch.linalg.eigh(cov)  # ascending eigenvalues
    top = vectors[:, -dims:].flip(1)  # (P, dims), largest first
    top = top * torch.sign(top.gather(0, top.abs().argmax(dim=0, keepdim=True)))
    return mean.float(), top.float()
