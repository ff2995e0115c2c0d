"""A big atlas on a map: its codes binned into a density image, and a bounded sample of them
to draw as points on top. A browser draws a few tens of thousands of WebGL points briskly, and
every click's rerun sends the map again: a million codes would be 20 MB a click. So a map of
more than ``MAX_POINTS`` codes shows all of them as an image of binned counts (log-scaled
opacity, each bin in its classes' mean colour) and ``SAMPLE_POINTS`` of them as points, which
carry hover and clicks as every point of a small map does. Pure numpy + Pillow."""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass

import numpy as np

MAX_POINTS = 20_000  # an atlas up to this size is drawn point by point, as it always was
SAMPLE_POINTS = 8_000  # a bigger one: its density, and this many of its codes as points
DENSITY_BINS = 420  # bins along the longer side of the view: about a screen pixel each
FAR_SHARE = 0.1  # at most this share of the sample goes to codes outside the density's view
NO_LABEL = -1  # an atlas label: a code of an unlabelled data set


@dataclass(frozen=True)
class Density:
    """Binned codes: ``counts`` (rows from the bottom, y up) over ``extent`` (x0, x1, y0, y1),
    and the image drawn from them as a PNG data URI."""
    counts: np.ndarray  # (H, W) codes per bin
    extent: tuple[float, float, float, float]
    uri: str


def grid(bounds: tuple[tuple[float, float], tuple[float, float]],
         bins: int = DENSITY_BINS) -> tuple[int, int, tuple[float, float, float, float]]:
    """Square bins over ``bounds`` (the map has equal axis scales): (columns, rows, extent),
    the extent grown by less than a bin to hold whole bins."""
    (x0, x1), (y0, y1) = bounds
    size = max(x1 - x0, y1 - y0, 1e-9) / bins
    nx, ny = max(1, math.ceil((x1 - x0) / size)), max(1, math.ceil((y1 - y0) / size))
    return nx, ny, (x0, x0 + nx * size, y0, y0 + ny * size)


def class_counts(xy: np.ndarray, labels: np.ndarray, n_classes: int,
                 bounds: tuple[tuple[float, float], tuple[float, float]],
                 bins: int = DENSITY_BINS) -> tuple[np.ndarray, tuple[float, ...], np.ndarray]:
    """Codes per class and bin: (n_classes + 1, H, W), the last plane the codes of no class
    (a label outside 0..n_classes-1); its extent; and which codes fell inside it."""
    nx, ny, extent = grid(bounds, bins)
    x0, x1, y0, y1 = extent
    x = np.asarray(xy[:, 0], dtype=np.float64)
    y = np.asarray(xy[:, 1], dtype=np.float64)
    inside = (x >= x0) & (x < x1) & (y >= y0) & (y < y1)
    col = np.minimum(((x[inside] - x0) / (x1 - x0) * nx).astype(np.int64), nx - 1)
    row = np.minimum(((y[inside] - y0) / (y1 - y0) * ny).astype(np.int64), ny - 1)
    lab = np.asarray(labels, dtype=np.int64)[inside]
    plane = np.where((lab >= 0) & (lab < n_classes), lab, n_classes)
    flat = np.bincount((plane * ny + row) * nx + col, minlength=(n_classes + 1) * ny * nx)
    return flat.reshape(n_classes + 1, ny, nx), extent, inside


def density_rgba(per_class: np.ndarray, colors: np.ndarray) -> np.ndarray:
    """(C, H, W) counts and (C, 3) colours in [0, 1] -> (H, W, 4) float image, top row first:
    each bin in the count-weighted mean colour of its codes, its opacity growing with the log
    of its count (a lone code still shows faintly; the densest bin is nearly opaque)."""
    total = per_class.sum(axis=0).astype(np.float64)
    mean = np.einsum("chw,ck->hwk", per_class, colors) / np.maximum(total, 1)[..., None]
    top = math.log1p(float(total.max())) or 1.0
    alpha = np.where(total > 0, 0.22 + 0.68 * np.log1p(total) / top, 0.0)
    return np.concatenate([mean, alpha[..., None]], axis=2)[::-1]


def png_uri(rgba: np.ndarray) -> str:
    """An (H, W, 4) float image in [0, 1] as a PNG data URI."""
    from PIL import Image

    buf = io.BytesIO()
    pixels = (np.clip(rgba, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    Image.fromarray(pixels, mode="RGBA").save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def density(xy: np.ndarray, labels: np.ndarray, colors: np.ndarray,
            bounds: tuple[tuple[float, float], tuple[float, float]],
            bins: int = DENSITY_BINS) -> tuple[Density, np.ndarray]:
    """The density of the codes inside ``bounds`` (``colors``: (C + 1, 3), one per class and
    the last for codes of no class), and which codes it holds."""
    per_class, extent, inside = class_counts(xy, labels, len(colors) - 1, bounds, bins)
    uri = png_uri(density_rgba(per_class, np.asarray(colors, dtype=np.float64)))
    return Density(per_class.sum(axis=0), extent, uri), inside


def stratified(labels: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """``n`` indices (all when there are no more), sorted, drawn without replacement within
    each label: half the budget is shared equally among the labels, so that a small class
    keeps up to n / (2 * labels) of its codes; the rest goes in proportion to their sizes."""
    labels = np.asarray(labels, dtype=np.int64)
    if len(labels) <= n:
        return np.arange(len(labels))
    values, counts = np.unique(labels, return_counts=True)
    take = np.minimum(counts, n // (2 * len(values)))
    left = counts - take
    if left.sum():
        take += np.minimum(left, (n - take.sum()) * left // left.sum())
        # what rounding down left over: one more each to the labels with the most codes left
        # (each of which still has one: a share rounded down lost less than a code)
        take[np.argsort(take - counts, kind="stable")[:n - take.sum()]] += 1
    rng = np.random.default_rng(seed)
    order = np.argsort(labels, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)])
    picked = [rng.choice(order[s:s + c], size=t, replace=False)
              for s, c, t in zip(starts[:-1], counts, take) if t]
    return np.sort(np.concatenate(picked))


def sample(labels: np.ndarray, inside: np.ndarray, n: int = SAMPLE_POINTS,
           seed: int = 0) -> np.ndarray:
    """The codes a big map draws as points, sorted: those outside the density's view (the far
    outliers it leaves out; at most ``FAR_SHARE`` of ``n``, a random few when more), and the
    rest of ``n`` drawn from the codes inside, stratified by label."""
    far = np.flatnonzero(~inside)
    if len(far) > int(n * FAR_SHARE):
        far = np.sort(np.random.default_rng(seed).choice(far, int(n * FAR_SHARE), replace=False))
    near = np.flatnonzero(inside)
    kept = near[stratified(np.asarray(labels)[near], n - len(far), seed)]
    return np.sort(np.concatenate([kept, far]))
