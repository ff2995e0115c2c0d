"""What the explorer shows of a checkpoint beyond the model's operations (``ckpt.ops``):
the map's coordinates and view, a map position as a full code, a test image's code and its
decoding, the decoded manifold tiled into one image. Plain lists and numpy arrays, so the UI
never touches a tensor; importing this module is cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from aeexplorer.core.checkpoints.file import Checkpoint

Range = tuple[float, float]


def map_xy(mu: np.ndarray) -> np.ndarray:
    """(N, D) codes -> (N, 2) map coordinates: the first two latent dimensions (a 1-D code is
    drawn on the z1 axis)."""
    mu = np.asarray(mu, dtype=np.float32)
    xy = mu[:, :2] if mu.shape[1] >= 2 else np.concatenate([mu, np.zeros_like(mu)], axis=1)
    return np.ascontiguousarray(xy)


def map_bounds(xy: np.ndarray, pad: float = 0.08, reach: float = 0.5) -> tuple[Range, Range]:
    """A view that holds every code of a normal map, padded. Only true outliers are left out,
    so that a plain autoencoder's few far codes do not squash the map into a corner: codes
    more than ``reach`` times the bulk's width beyond the bulk (the 0.2 to 99.8 percentiles),
    on either axis (``outside`` counts them)."""
    if len(xy) == 0:
        return (-3.0, 3.0), (-3.0, 3.0)
    ranges = []
    for values in np.asarray(xy, dtype=np.float64)[:, :2].T:
        lo, hi = np.percentile(values, [0.2, 99.8])
        near = max(hi - lo, 1e-3) * reach
        kept = values[(values >= lo - near) & (values <= hi + near)]
        lo, hi = float(kept.min()), float(kept.max())
        span = max(hi - lo, 1e-3)
        ranges.append((lo - pad * span, hi + pad * span))
    return _not_flat(ranges[0], ranges[1])


MIN_SIDE_RATIO = 0.5  # the map's shorter side, at least this share of its longer one


def _not_flat(x: Range, y: Range) -> tuple[Range, Range]:
    """Both ranges widened about their centres to at least MIN_SIDE_RATIO of the wider one:
    the map keeps one scale on both axes, so codes spread along one axis only (a VAE whose
    second dimension collapsed to the prior) would otherwise be a strip a few pixels high."""
    least = MIN_SIDE_RATIO * max(x[1] - x[0], y[1] - y[0])
    out = []
    for lo, hi in (x, y):
        grow = max(0.0, least - (hi - lo)) / 2
        out.append((lo - grow, hi + grow))
    return out[0], out[1]


def outside(xy: np.ndarray, bounds: tuple[Range, Range]) -> int:
    """How many codes lie outside the view ``bounds`` (the far outliers ``map_bounds`` leaves
    out)."""
    (x0, x1), (y0, y1) = bounds
    x, y = np.asarray(xy)[:, 0], np.asarray(xy)[:, 1]
    return int(np.count_nonzero((x < x0) | (x > x1) | (y < y0) | (y > y1)))


EMPTY_SHARE = 0.02  # of the map's longer side: about 12 px of a 600 px map


def is_empty_space(gap: float, bounds: tuple[Range, Range]) -> bool:
    """Whether a map position ``gap`` away from its nearest test code is a point of empty
    space: no code within 2% of the map's longer side. A click among a cluster's dots that
    lands between them (on the click grid, not on a dot) is not empty space."""
    (x0, x1), (y0, y1) = bounds
    return not gap <= EMPTY_SHARE * max(x1 - x0, y1 - y0)


def full_z(ckpt: Checkpoint, xy: Sequence[float]) -> list[float]:
    """A map position -> a full code: the first two dimensions from the map, the rest zero."""
    dim = ckpt.config.latent_dim
    z = [float(v) for v in list(xy)[:dim]]
    return z + [0.0] * (dim - len(z))


def code_of(ckpt: Checkpoint, index: int) -> list[float]:
    """The full code of test image ``index`` from the atlas."""
    return [float(v) for v in ckpt.atlas.mu[int(index)].tolist()]


def decoded_codes(ckpt: Checkpoint, indices: Sequence[int] | np.ndarray) -> np.ndarray:
    """Test images' codes from the atlas, decoded: (N, H, W[, 3]). The same images as
    reconstructing the test images (``ops.reconstruct``), without them or the encoder."""
    return ckpt.ops.decode(ckpt.atlas.mu.numpy()[np.asarray(indices, dtype=np.int64)])


def manifold(ckpt: Checkpoint, x_range: Range, y_range: Range,
             n: int) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """An n x n grid of decodings over the ranges, tiled edge to edge into one image, and the
    extent (x0, x1, y0, y1) it covers on the map: each tile is centred on its grid point."""
    n = max(2, int(n))
    _, images = ckpt.ops.grid(tuple(x_range), tuple(y_range), n)
    h, w, *rgb = images.shape[1:]  # rgb: [3] for a colour model
    big = (images.reshape(n, n, h, w, *rgb).swapaxes(1, 2).reshape(n * h, n * w, *rgb))
    dx = (x_range[1] - x_range[0]) / (n - 1)
    dy = (y_range[1] - y_range[0]) / (n - 1)
    extent = (x_range[0] - dx / 2, x_range[1] + dx / 2, y_range[0] - dy / 2, y_range[1] + dy / 2)
    return big, extent


def class_name(class_names: Sequence[str], label: int) -> str | None:
    """The name of an atlas label, or None for a code without one (-1: an unlabelled data set)."""
    return str(class_names[int(label)]) if 0 <= int(label) < len(class_names) else None


def random_of_class(labels: np.ndarray, label: int, seed: int) -> int | None:
    """A random atlas index with the given label (None when the class is absent)."""
    idx = np.flatnonzero(np.asarray(labels) == int(label))
    if idx.size == 0:
        return None
    return int(np.random.default_rng(seed).choice(idx))


def image_colours(ckpt: Checkpoint, batch: int = 1024) -> np.ndarray:
    """(N, 3) RGB in [0, 1]: the colour of each test image's decoded code, for dots drawn in
    their images' colours. Each image's colour is its pixels' mean weighted by their chroma
    (a shape's colour, not its dark ground), then brought to one brightness (0.8) so that
    every dot shows on the white map; a grey image gives a grey dot."""
    mu = ckpt.atlas.mu.numpy()
    out = np.empty((len(mu), 3), np.float32)
    for start in range(0, len(mu), batch):
        images = ckpt.ops.decode(mu[start:start + batch]).reshape(-1, ckpt.config.image_size**2,
                                                                   ckpt.config.image_channels)
        if images.shape[-1] == 1:
            images = np.repeat(images, 3, axis=-1)
        weight = images.max(axis=-1) - images.min(axis=-1) + 1e-3  # (B, pixels) chroma
        mean = (images * weight[..., None]).sum(axis=1) / weight.sum(axis=1, keepdims=True)
        top = mean.max(axis=1, keepdims=True)
        out[start:start + batch] = np.where(top > 1e-3, mean * (0.8 / np.maximum(top, 1e-3)),
                                            0.5)
    return out
