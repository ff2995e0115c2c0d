"""Where an image lands in a checkpoint's latent space: its code, its nearest test codes in the
atlas with their vote, and its reconstruction. The explorer's upload and ``python -m
aeexplorer encode`` both place images with this."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aeexplorer.core.checkpoint import Checkpoint
from aeexplorer.core.neighbours import Neighbours, nearest
from aeexplorer.core.preprocess import Preprocessed, preprocess_bytes


@dataclass
class Placement:
    z: list[float]
    neighbours: Neighbours  # atlas (test set) rows, nearest first
    class_names: tuple[str, ...]
    recon: np.ndarray  # (28, 28) the reconstruction: the decoded z
    steps: Preprocessed | None = None

    @property
    def vote(self) -> int:
        """The neighbours' majority class, a tie to the nearer."""
        return self.neighbours.vote()

    def to_dict(self) -> dict:
        n = self.neighbours
        return {
            "z": self.z,
            "nearest": [{"index": int(i), "label": int(l), "distance": round(float(d), 5)}
                        for i, l, d in zip(n.indices, n.labels, n.distances)],
            "label": self.vote,
            "label_name": self.class_names[self.vote],
        }


def atlas_neighbours(ckpt: Checkpoint, z: np.ndarray | list[float], k: int = 5) -> Neighbours:
    """The k test codes nearest to ``z`` (the full code)."""
    return nearest(ckpt.atlas.mu.numpy(), ckpt.atlas.labels.numpy(), z, k)


def place_image(ckpt: Checkpoint, data: bytes, k: int = 5) -> Placement:
    """An image file's bytes -> where it lands, its neighbours and its reconstruction."""
    steps = preprocess_bytes(data)
    return place_array(ckpt, steps.image, k, steps)


def place_array(ckpt: Checkpoint, image: np.ndarray, k: int = 5,
                steps: Preprocessed | None = None) -> Placement:
    """A (28, 28) image in [0, 1] -> where it lands (the code: the posterior mean for a VAE)."""
    rec = ckpt.ops.reconstruct(np.asarray(image, dtype=np.float32)[None])
    z = [float(v) for v in rec.codes[0]]
    return Placement(z, atlas_neighbours(ckpt, z, k), ckpt.class_names, rec.images[0], steps)
