"""What the explorer does with a checkpoint, as plain functions: place an image on the map,
look up neighbours in the atlas, decode codes. The UI calls these and only draws."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from aeexplorer.core.checkpoint import Checkpoint
from aeexplorer.core.latent import decode, nearest, vote
from aeexplorer.core.preprocess import Preprocessed, preprocess_bytes


@dataclass
class Neighbours:
    indices: list[int]  # atlas (test set) indices, nearest first
    labels: list[int]
    distances: list[float]
    vote: int  # majority label, ties to the nearer


@dataclass
class Placement:
    z: list[float]
    neighbours: Neighbours
    class_names: tuple[str, ...]
    recon: np.ndarray  # (28, 28) decoded z
    steps: Preprocessed | None = None

    def to_dict(self) -> dict:
        n = self.neighbours
        return {
            "z": self.z,
            "nearest": [{"index": i, "label": l, "distance": round(d, 5)}
                        for i, l, d in zip(n.indices, n.labels, n.distances)],
            "label": n.vote,
            "label_name": self.class_names[n.vote],
        }


def atlas_neighbours(ckpt: Checkpoint, z: torch.Tensor | list[float], k: int = 5) -> Neighbours:
    query = torch.as_tensor(z, dtype=torch.float32).reshape(1, -1)
    dist, idx = nearest(ckpt.atlas.mu, query, k)
    labels = ckpt.atlas.labels[idx[0]]
    label = int(vote(labels.unsqueeze(0), len(ckpt.class_names))[0])
    return Neighbours(idx[0].tolist(), labels.tolist(), dist[0].tolist(), label)


@torch.no_grad()
def encode_image(ckpt: Checkpoint, image: np.ndarray) -> list[float]:
    """(28, 28) in [0, 1] -> the code (the posterior mean for a VAE)."""
    device = next(ckpt.model.parameters()).device
    x = torch.as_tensor(image, dtype=torch.float32).reshape(1, 1, 28, 28).to(device)
    mu, _ = ckpt.model.encode(x)
    return mu[0].cpu().tolist()


def place_image(ckpt: Checkpoint, data: bytes, k: int = 5) -> Placement:
    """An image file's bytes -> where it lands, its neighbours and its reconstruction."""
    steps = preprocess_bytes(data)
    return place_array(ckpt, steps.image, k, steps)


def place_array(ckpt: Checkpoint, image: np.ndarray, k: int = 5, steps=None) -> Placement:
    z = encode_image(ckpt, image)
    recon = decode(ckpt.model, torch.tensor([z]))[0].numpy()
    return Placement(z, atlas_neighbours(ckpt, z, k), ckpt.class_names, recon, steps)
