"""Where an image of one's own lands on the map, beyond the encoder's first guess.

The encoder is amortised: trained on MNIST's own digits, it guesses a code for a photo or a
drawing in one pass, and off that distribution it guesses worse than the map allows. Asking the
decoder instead finds the code whose image is nearest the input (encoder inversion). Started
from the encoder's code only, a gradient descent stays in that code's basin; on a 2-D map the
whole map can be searched, so the search starts from the best point of a grid over the test
set's codes (and from the encoder's code), then a few Adam steps polish it. For a VAE the
prior's log-density is added (the most probable code given the image), which keeps the code in
the region the map was trained on.

``how`` names what is done: ``encoder`` (the encoder's code, as for the test set itself),
``refined`` (a few gradient steps from the encoder's code), ``searched`` (the grid search, then
the steps). The label is a vote of the k nearest test codes; ``weighted`` weighs each by the
inverse of its distance.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

HOWS = ("encoder", "refined", "searched")
DEFAULT_HOW = "searched"
DEFAULT_VOTE = "majority"
VOTES = ("majority", "weighted")
GRID = 48  # points a side of the search grid (2 304 decodes)
STEPS, LR = 30, 0.05  # Adam steps that polish a code, and their step size
SEARCH_DIMS = 2  # only a 2-D map is searched on a grid; deeper latents are refined


@dataclass(frozen=True)
class Method:
    how: str = DEFAULT_HOW
    vote: str = DEFAULT_VOTE
    steps: int = STEPS

    def __post_init__(self) -> None:
        if self.how not in HOWS:
            raise ValueError(f"unknown placement {self.how!r}: use one of {', '.join(HOWS)}")
        if self.vote not in VOTES:
            raise ValueError(f"unknown vote {self.vote!r}: use one of {', '.join(VOTES)}")


def codes(model, images: torch.Tensor, atlas: torch.Tensor, method: Method = Method()) -> torch.Tensor:
    """(N, 28, 28) images in [0, 1] -> (N, D) codes by ``method`` (``atlas``: the test set's
    codes, which bound the search grid)."""
    import torch
    model.eval()
    device = next(model.parameters()).device
    x = images.reshape(-1, 1, 28, 28).float().to(device)
    with torch.no_grad():
        z, _ = model.encode(x)
    if method.how == "encoder":
        return z.cpu()
    if method.how == "searched" and z.shape[1] == SEARCH_DIMS:
        z = _grid_start(model, x, z, atlas.to(device))
    polished = _polish(model, x, z, method.steps)
    with torch.no_grad():  # Adam's steps need not go downhill every time: keep the better
        better = _fit(model, x, polished) <= _fit(model, x, z)
    return torch.where(better[:, None], polished, z).cpu()


def _fit(model, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """Per image: the decoder's binary cross-entropy, plus the prior's -log density for a VAE."""
    import torch
    logits = model.decode_logits(z) if hasattr(model, "decode_logits") else None
    if logits is None:
        out = model.decode(z).clamp(1e-6, 1 - 1e-6)
        loss = -(x * out.log() + (1 - x) * (1 - out).log())
    else:
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none")
    loss = loss.flatten(1).sum(1)
    if model.config.variational:
        loss = loss + 0.5 * (z ** 2).sum(1)
    return loss


def _grid_start(model, x: torch.Tensor, z: torch.Tensor, atlas: torch.Tensor) -> torch.Tensor:
    """The best of the encoder's code and a grid over the atlas's extent, for each image."""
    import torch

    grid, log_p, log_q = _decoded_grid(model, atlas)
    with torch.no_grad():
        flat = x.flatten(1)
        # BCE of every image against every grid image at once: -x log p - (1-x) log(1-p)
        cost = -(flat @ log_p.T + (1 - flat) @ log_q.T)
        if model.config.variational:
            cost = cost + 0.5 * (grid ** 2).sum(1)
        best = grid[cost.argmin(1)]
        keep = _fit(model, x, z) <= _fit(model, x, best)
    return torch.where(keep[:, None], z, best)


_GRIDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _decoded_grid(model, atlas: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The grid's codes and the logs of their decoded pixels, once per model and atlas (they
    do not depend on the image: a placement then costs one product of matrices)."""
    import torch

    lo, hi = atlas.min(0).values, atlas.max(0).values
    key = (tuple(lo.tolist()), tuple(hi.tolist()), str(atlas.device))
    cached = _GRIDS.get(model)
    if cached is not None and cached[0] == key:
        return cached[1]
    xs, ys = (torch.linspace(float(lo[i]), float(hi[i]), GRID, device=atlas.device) for i in (0, 1))
    grid = torch.cartesian_prod(xs, ys)
    with torch.no_grad():
        decoded = model.decode(grid).flatten(1).clamp(1e-6, 1 - 1e-6)
    value = (grid, decoded.log(), (1 - decoded).log())
    _GRIDS[model] = (key, value)
    return value


def _polish(model, x: torch.Tensor, z: torch.Tensor, steps: int) -> torch.Tensor:
    import torch
    z = z.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=LR)
    params = list(model.parameters())
    wanted = [p.requires_grad for p in params]
    for p in params:  # only the code moves; no gradient is kept for the weights
        p.requires_grad_(False)
    try:
        for _ in range(steps):
            opt.zero_grad()
            _fit(model, x, z).sum().backward()
            opt.step()
    finally:
        for p, flag in zip(params, wanted):
            p.requires_grad_(flag)
    return z.detach()


def weighted_vote(labels: np.ndarray, distances: np.ndarray, n_classes: int) -> np.ndarray:
    """Per row of (Q, k) labels and distances: the class with the largest sum of inverse
    distances (a neighbour twice as near counts twice)."""
    weights = 1.0 / np.maximum(np.asarray(distances, dtype=np.float64), 1e-9)
    scores = np.zeros((labels.shape[0], n_classes))
    np.add.at(scores, (np.arange(labels.shape[0])[:, None], labels), weights)
    return scores.argmax(1)


def place(ckpt, image: np.ndarray, steps=None, method: Method = Method(), k: int = 5):
    """A prepared (28, 28) input -> its ``explore.Placement`` (code, neighbours and their
    vote, reconstruction) by ``method``; ``steps``: its preparation, kept with it."""
    from dataclasses import replace

    import torch

    from aeexplorer.core.explore import Placement, atlas_neighbours
    from aeexplorer.core.latent import decode

    z = codes(ckpt.model, torch.as_tensor(image)[None], ckpt.atlas.mu, method)[0]
    nb = atlas_neighbours(ckpt, z.tolist(), k)
    if method.vote == "weighted":
        label = weighted_vote(np.array([nb.labels]), np.array([nb.distances]), len(ckpt.class_names))
        nb = replace(nb, vote=int(label[0]))
    recon = decode(ckpt.model, z[None])[0].numpy()
    return Placement(z.tolist(), nb, ckpt.class_names, recon, steps)


def place_bytes(ckpt, data: bytes, method: Method = Method(), k: int = 5):
    """An image file's bytes (an upload, the drawing pad's PNG) -> its placement."""
    from aeexplorer.core.preprocess import preprocess_bytes

    steps = preprocess_bytes(data)
    return place(ckpt, steps.image, steps, method, k)
