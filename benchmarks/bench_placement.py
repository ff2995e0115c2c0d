"""Placement study: how often the k nearest test codes of one's own image vote its true label,
for each way of placing it (``aeexplorer.core.latent.placement``), against the same vote in pixel
space over the same prepared 28x28 input (the ceiling: what the pixels themselves allow).

Three sets: the shared real phone photos (``photos/squared-paper``), photos made from MNIST
test digits (``tests/helpers/digit_cases.py``: pens, crops, rotations, light, tables, shadows, ruled
and grid paper, JPEG) and drawings made as the page's pad makes them. A made image's own test
digit is left out of its neighbours (it would find itself). ``--augmented`` also trains the
fast-recipe VAE on photo-like augmentations of MNIST (``benchmarks/augment.py``) and measures it
the same way, with its test-set figures.

    python benchmarks/bench_placement.py [--n 150] [--models mnist-vae mnist-ae] [--augmented]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the package, and the test helpers as tests.helpers

K = 5
OPTIONS = [("encoder", "majority"), ("encoder", "weighted"), ("refined", "majority"),
           ("refined", "weighted"), ("searched", "majority"), ("searched", "weighted")]


def shared_photos(root: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from aeexplorer.core.images.preprocess import preprocess_bytes

    files = sorted((root / "photos" / "squared-paper").glob("*.jpg"))
    images = [preprocess_bytes(f.read_bytes()).image for f in files]
    return np.stack(images), np.array([int(f.name[0]) for f in files]), np.full(len(files), -1)


def made_set(root: Path, kind: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n photos or drawings of MNIST test digits (random, seeded), prepared; with their labels
    and the test index each came from."""
    from tests.helpers import digit_cases as cases
    from tests.helpers.images import mnist_test_images

    from aeexplorer.core.errors import ImageError
    from aeexplorer.core.images.preprocess import preprocess_array, preprocess_bytes

    digits = mnist_test_images(root, 10_000)
    labels = np.fromfile(root / "MNIST" / "raw" / "t10k-labels-idx1-ubyte", dtype=np.uint8,
                         offset=8)
    rng = np.random.default_rng(seed)
    out, labs, idx = [], [], []
    for i in rng.choice(10_000, n, replace=False):
        try:
            if kind == "photos":
                look = cases.random_look(rng)
                image = preprocess_bytes(cases.jpeg(cases.photo(digits[i], look, int(i))))
            else:
                drawn = cases.pen_drawing(digits[i], width=float(rng.uniform(16, 28)),
                                          fill=float(rng.uniform(0.4, 0.9)),
                                          at=(float(rng.uniform(0.3, 0.7)),
                                              float(rng.uniform(0.3, 0.7))))
                image = preprocess_array(drawn)
        except ImageError:
            continue
        out.append(image.image)
        labs.append(int(labels[i]))
        idx.append(int(i))
    return np.stack(out), np.array(labs), np.array(idx)


def knn(reference: torch.Tensor, queries: torch.Tensor,
        exclude: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The K nearest reference rows of each query, its own source row left out."""
    from aeexplorer.core.latent.neighbours import Index

    reference = np.asarray(reference, dtype=np.float32)
    dist, idx = Index(reference, np.zeros(len(reference))).search(np.asarray(queries), K + 1)
    keep = idx != exclude[:, None]
    rows = [np.flatnonzero(r)[:K] for r in keep]
    return (np.stack([d[r] for d, r in zip(dist, rows)]),
            np.stack([i[r] for i, r in zip(idx, rows)]))


def accuracy(test_labels: np.ndarray, dist: np.ndarray, idx: np.ndarray, vote: str,
             truth: np.ndarray) -> float:
    from aeexplorer.core.latent.neighbours import votes, weighted_votes

    labels = test_labels[idx]
    if vote == "weighted":
        pred = weighted_votes(labels, dist, 10)
    else:
        pred = votes(labels, 10)
    return float(np.mean(pred == truth))


def study(model, atlas: torch.Tensor, test_labels: np.ndarray, sets: dict) -> dict:
    from aeexplorer.core.latent.placement import Method, codes

    row = {}
    for how, vote in OPTIONS:
        for name, (images, truth, source) in sets.items():
            t0 = time.perf_counter()
            z = codes(model, torch.as_tensor(images), atlas, Method(how=how))
            ms = 1000 * (time.perf_counter() - t0) / len(images)
            dist, idx = knn(atlas, z, source)
            row[(how, vote, name)] = (accuracy(test_labels, dist, idx, vote, truth), ms)
    return row


def pixel_ceiling(test_images: torch.Tensor, test_labels: np.ndarray, sets: dict) -> dict:
    flat = test_images.reshape(len(test_images), -1)
    out = {}
    for name, (images, truth, source) in sets.items():
        dist, idx = knn(flat, torch.as_tensor(images).reshape(len(images), -1), source)
        out[name] = accuracy(test_labels, dist, idx, "majority", truth)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=150, help="made photos and drawings, each")
    parser.add_argument("--models", nargs="+", default=["mnist-vae", "mnist-ae"])
    parser.add_argument("--augmented", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    from aeexplorer.core.checkpoints.file import load_checkpoint
    from aeexplorer.core.datasets.loading import load_split, resolve_data_root

    root = resolve_data_root()
    sets = {"shared photos": shared_photos(root),
            "made photos": made_set(root, "photos", args.n, 1),
            "drawings": made_set(root, "drawings", args.n, 2)}
    test = load_split("mnist", False, root)
    labels = test.labels.numpy()
    print("| model | placement | vote | "
          + " | ".join(f"{k} ({len(v[0])})" for k, v in sets.items())
          + " | ms / image |")
    print("|---|---|---|" + "---|" * len(sets) + "---|")
    models = [(name, load_checkpoint(REPO / "checkpoints" / f"{name}.safetensors"))
              for name in args.models]
    for name, ckpt in models:
        _print(name, study(ckpt.model, ckpt.atlas.mu, labels, sets), sets)
    if args.augmented:
        from augment import train_augmented

        model, figures = train_augmented(root)
        from aeexplorer.core.latent.ops import ModelOps

        atlas = torch.from_numpy(ModelOps(model).encode(test.images.numpy()).mu)
        _print(f"VAE, augmented ({figures})", study(model, atlas, labels, sets), sets)
    ceiling = pixel_ceiling(test.images, labels, sets)
    print("| pixel space (ceiling) | — | majority | "
          + " | ".join(f"{ceiling[k]:.2f}" for k in sets) + " | |")


def _print(name: str, row: dict, sets: dict) -> None:
    for how, vote in OPTIONS:
        accs = " | ".join(f"{row[(how, vote, s)][0]:.2f}" for s in sets)
        ms = max(row[(how, vote, s)][1] for s in sets)
        print(f"| {name} | {how} | {vote} | {accs} | {ms:.1f} |")


if __name__ == "__main__":
    main()
