"""Where an image of one's own lands on the map: its code, its nearest test codes in the atlas
with their vote, and its reconstruction (the decoded code). The explorer's upload and drawing
pad, Anomalies, Denoise and ``python -m aeexplorer encode`` all place images with this.

The encoder is amortised: trained on MNIST's own digits, it guesses a code for a photo or a
drawing in one pass, and off that distribution it guesses worse than the map allows. Asking the
decoder instead finds the code whose image is nearest the input (encoder inversion). Started
from the encoder's code only, a gradient descent stays in that code's basin; on a 2-D map the
whole map can be searched, so the search starts from the best point of a grid over the test
set's codes (and from the encoder's code), then a few Adam steps polish it. For a VAE the
prior's log-density is added (the most probable code given the image), which keeps the code in
the region the map was trained on.

``how`` names what is done: ``auto`` (the best of these for the model's family, see
``how_for``), ``encoder`` (the model's own code, as for the test set itself: the encoder's,
polished where the model's config says so, ``aeexplorer.core.latent.refine``),
``refined`` (a few gradient steps from the encoder's code), ``searched`` (the grid search, then
the steps). The label is a vote of the k nearest test codes; ``weighted`` weighs each by the
inverse of its distance (``neighbours.weighted_votes``).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from aeexplorer.core.images.photo import Photo, prepare_bytes
from aeexplorer.core.images.preprocess import Preprocessed
from aeexplorer.core.latent.neighbours import Neighbours, nearest

if TYPE_CHECKING:
    import torch

    from aeexplorer.core.checkpoints.file import Checkpoint

HOWS = ("auto", "encoder", "refined", "searched")
DEFAULT_HOW = "auto"  # what measured best for the model's family (see ``how_for``)
DEFAULT_VOTE = "majority"
VOTES = ("majority", "weighted")
GRID = 48  # points a side of the search grid (2 304 decodes)
STEPS = 30  # Adam steps that polish a code (their step size: ``refine.LR``)
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


def how_for(how: str, variational: bool, neighbour_map: bool = False) -> str:
    """``auto`` -> what measured best for the family (README, "Placing your own digit"): for a
    VAE the search ties with the encoder, whose code is also where the test set's own images
    sit on the map, so the encoder; for an autoencoder the search places photos and drawings
    clearly better. A map trained to keep neighbours (the UMAP AE, ``neighbour_map``) is the
    encoder's own: its decoder only learned to draw from it, so a search by the decoder's
    likeness leaves the neighbours the map was made of (the shared photos: 10 of 10 by the
    encoder, 8 by the search; ``benchmarks/bench_photos.py``). Any other ``how`` is itself."""
    if how != "auto":
        return how
    return "encoder" if variational or neighbour_map else "searched"


def keeps_neighbours(ckpt: Checkpoint) -> bool:
    """Whether the checkpoint's map was trained to keep each image's neighbours (the UMAP
    AE, and the map-first AE taught a UMAP or t-SNE), as its training record says."""
    config = (ckpt.train or {}).get("config") if isinstance(ckpt.train, dict) else None
    return isinstance(config, dict) and config.get("penalty") in ("umap", "map")


@dataclass
class Placement:
    z: list[float]
    neighbours: Neighbours  # atlas (test set) rows, nearest first
    class_names: tuple[str, ...]  # empty: the data has no labels
    recon: np.ndarray  # (S, S) or (S, S, 3) the reconstruction: the decoded z
    # the preparation of the input, kept to show it: a digit's or a picture's (``photo``)
    steps: Preprocessed | Photo | None = None
    weighted: bool = False  # the vote weighs neighbours by inverse distance

    @property
    def vote(self) -> int:
        """The neighbours' class: the majority (a tie to the nearer), or by inverse distance;
        -1 (no label) for a model of unlabelled data."""
        if not self.class_names:
            return -1
        return self.neighbours.vote(weighted=self.weighted)

    def to_dict(self) -> dict:
        """For JSON: the code, the nearest test codes and the vote; a label that is not there
        (unlabelled data: no vote, no neighbour's label) is None (null), not -1."""
        n, vote = self.neighbours, self.vote
        return {
            "z": self.z,
            "nearest": [{"index": int(i), "label": int(lab) if lab >= 0 else None,
                         "distance": round(float(d), 5)}
                        for i, lab, d in zip(n.indices, n.labels, n.distances)],
            "label": vote if vote >= 0 else None,
            "label_name": self.class_names[vote] if vote >= 0 else None,
        }


def atlas_neighbours(ckpt: Checkpoint, z: np.ndarray | list[float], k: int = 5) -> Neighbours:
    """The k test codes nearest to ``z`` (the full code)."""
    return nearest(ckpt.atlas.mu.numpy(), ckpt.atlas.labels.numpy(), z, k)


def codes(model, images: torch.Tensor, atlas: torch.Tensor,
          method: Method = Method()) -> torch.Tensor:
    """(N, S, S[, 3]) images in [0, 1] -> (N, D) codes by ``method`` (``atlas``: the test set's
    codes, which bound the search grid)."""
    import torch

    # imported on use (they import torch): the CLI's --help reads this module's defaults
    from aeexplorer.core.latent.ops import ModelOps
    from aeexplorer.core.latent.refine import model_codes, polish

    # all images in one batch, on the model's device, the model in eval mode
    x = torch.cat(list(ModelOps(model).batches(images, max(len(images), 1))))
    z, _ = model_codes(model, x)  # the model's own code, as the test set's in the atlas
    how = how_for(method.how, model.config.variational)
    if how == "encoder":
        return z.cpu()
    if how == "searched" and z.shape[1] == SEARCH_DIMS:
        z = _grid_start(model, x, z, atlas.to(x.device))
    return polish(model, x, z, method.steps).cpu()


def _grid_start(model, x: torch.Tensor, z: torch.Tensor, atlas: torch.Tensor) -> torch.Tensor:
    """The best of the encoder's code and a grid over the atlas's extent, for each image."""
    import torch

    from aeexplorer.core.latent.refine import fit

    grid, log_p, log_q = _decoded_grid(model, atlas)
    with torch.no_grad():
        flat = x.flatten(1)
        # BCE of every image against every grid image at once: -x log p - (1-x) log(1-p)
        cost = -(flat @ log_p.T + (1 - flat) @ log_q.T)
        if model.config.variational:
            cost = cost + 0.5 * (grid ** 2).sum(1)
        best = grid[cost.argmin(1)]
        keep = fit(model, x, z) <= fit(model, x, best)
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


def place(ckpt: Checkpoint, image: np.ndarray, steps: Preprocessed | Photo | None = None,
          method: Method = Method(), k: int = 5) -> Placement:
    """A prepared input in [0, 1] of the model's shape ((S, S) grey, (S, S, 3) colour) ->
    its placement by ``method``; ``steps``: its preparation, kept with it."""
    import torch

    how = how_for(method.how, ckpt.config.variational, keeps_neighbours(ckpt))
    z = codes(ckpt.model, torch.as_tensor(np.asarray(image, dtype=np.float32))[None],
              ckpt.atlas.mu, replace(method, how=how))[0].numpy()
    recon = ckpt.ops.decode(z[None])[0]
    return Placement([float(v) for v in z], atlas_neighbours(ckpt, z, k), ckpt.class_names,
                     recon, steps, weighted=method.vote == "weighted")


def place_bytes(ckpt: Checkpoint, data: bytes, method: Method = Method(), k: int = 5) -> Placement:
    """An image file's bytes (an upload, the drawing pad's PNG) -> its placement, prepared as
    the model's training images were (``photo.prepare_bytes``)."""
    steps = prepare_bytes(data, ckpt.config, ckpt.dataset)
    return place(ckpt, steps.image, steps, method, k)
