"""Colour test images for the pages, without a colour data set on disk: a synthetic test set
(coloured squares on dark ground) served through ``ui.resources.test_split`` in place of the
files, as the pages read it."""

from __future__ import annotations

import numpy as np


def colour_split(n: int = 200, side: int = 16, labelled: bool = True,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(n, side, side, 3) float32 images in [0, 1], each a square of one of three colours (its
    label, or -1 for unlabelled data) on a dark, slightly noisy ground, and the (n,) labels."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(0.0, 0.15, (n, side, side, 3)).astype(np.float32)
    labels = np.arange(n, dtype=np.int64) % 3
    for i, label in enumerate(labels):
        size = int(rng.integers(side // 4, side // 2 + 1))
        top, left = rng.integers(0, side - size + 1, 2)
        images[i, top:top + size, left:left + size] = 0.1
        images[i, top:top + size, left:left + size, label] = rng.uniform(0.7, 1.0)
    return images, (labels if labelled else np.full(n, -1, dtype=np.int64))


def serve_test_split(monkeypatch, splits: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    """``resources.test_split`` gives ``splits[dataset]`` for those data sets (the files for
    the others), as a data root holding them would."""
    from aeexplorer.ui import resources

    files = resources.test_split

    def test_split(dataset: str, root: str, shape: tuple[int, int] | None = None):
        return splits[dataset] if dataset in splits else files(dataset, root, shape)

    monkeypatch.setattr(resources, "test_split", test_split)
