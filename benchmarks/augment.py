"""Training on MNIST made to look like photos and drawings, for the placement study: each
training image is, with probability one half, turned a little (up to 15 degrees), scaled
(0.85-1.15), shifted (2 pixels), its stroke widened or thinned by a pixel, blurred, and its
contrast lowered. The fast recipe is then trained on that set as on MNIST itself."""

from __future__ import annotations

import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F


def augment(images: torch.Tensor, seed: int = 0, p: float = 0.5) -> torch.Tensor:
    """(N, 1, 28, 28) in [0, 1] -> the same with about ``p`` of them changed as above."""
    g = torch.Generator().manual_seed(seed)
    n = images.shape[0]

    def u(lo: float, hi: float) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(n, generator=g)

    angle, scale = u(-15, 15) * math.pi / 180, u(0.85, 1.15)
    shift = torch.stack([u(-2, 2), u(-2, 2)], 1) * 2 / 28
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 0, 1] = torch.cos(angle) / scale, -torch.sin(angle) / scale
    theta[:, 1, 0], theta[:, 1, 1] = torch.sin(angle) / scale, torch.cos(angle) / scale
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    out = F.grid_sample(images, grid, align_corners=False, padding_mode="zeros")
    stroke = torch.rand(n, generator=g)
    thick = F.max_pool2d(out, 3, 1, 1)
    thin = -F.max_pool2d(-out, 2, 1, 0)
    thin = F.pad(thin, (0, 1, 0, 1))
    out = torch.where((stroke < 0.25)[:, None, None, None], thick, out)
    out = torch.where((stroke > 0.85)[:, None, None, None], torch.maximum(thin, 0.5 * out), out)
    kernel = torch.tensor([1.0, 2.0, 1.0])
    kernel = (kernel[:, None] * kernel[None, :] / 16).reshape(1, 1, 3, 3)
    blurred = F.conv2d(out, kernel, padding=1)
    out = torch.where((torch.rand(n, generator=g) < 0.2)[:, None, None, None], blurred, out)
    contrast = u(0.7, 1.0)[:, None, None, None]
    out = torch.clamp(out * contrast / out.amax((1, 2, 3), keepdim=True).clamp_min(1e-6), 0, 1)
    changed = (torch.rand(n, generator=g) < p)[:, None, None, None]
    return torch.where(changed, out, images)


def train_augmented(root: Path, seed: int = 0):
    """The fast recipe trained on augmented MNIST: (model, its test-set figures as text)."""
    from aeexplorer.cli import parse
    from aeexplorer.cli.commands import configs
    from aeexplorer.core.datasets.loading import load_split
    from aeexplorer.core.datasets.split import Split
    from aeexplorer.core.latent.metrics import evaluate
    from aeexplorer.core.training.loop import train

    model_cfg, cfg = configs(parse(["train", "--recipe", "fast", "--device", "cpu",
                                     "--out", "unused.safetensors"]))
    train_split = load_split("mnist", True, root)
    test_split = load_split("mnist", False, root)
    t0 = time.perf_counter()
    model, _ = train(model_cfg, cfg, Split(augment(train_split.images, seed), train_split.labels))
    seconds = time.perf_counter() - t0
    figures = evaluate(model, train_split, test_split)["metrics"]
    return model, (f"-ELBO {figures['neg_elbo']:.1f}, 5-NN {figures['knn5_accuracy']:.3f}, "
                   f"{seconds:.0f} s")
