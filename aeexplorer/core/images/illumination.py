"""The light falling on a sheet of paper, divided out of its photo before any ink is looked for.

A phone photo of a digit on paper is lit unevenly: brighter on one side, and often darker
towards every edge (a vignette: the lens, the phone's own shadow, grey paper curving away).
The ink is the paper's reflectance times that light, so dividing by the light leaves paper
at one everywhere and ink as dark as it is, whatever the light did. A morphological estimate
of the background (a closing or opening, as ``preprocess`` also makes) cannot see the light
at the image's border: there the darkening edge is a valley as wide as its own window, which
it keeps, so the dark edge of a tightly cropped photo was kept as ink (a '0' with an arc on
its left, an '8' in a filled box).

The light is modelled instead as a smooth surface over the whole picture, a polynomial of low
degree in (x, y), fitted to the paper: the upper envelope of the picture, found by
asymmetric least squares (Eilers and Boelens 2005: a pixel above the surface weighs
``1 - UNDER``, one below it ``UNDER``, refitted a few times), so that ink, ruled lines, a
table and a thick marker filling much of the frame pull it hardly at all. A low degree cannot
bend round a stroke, so a stroke touching the border stays ink.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

DEGREE = 2  # a quadric: a gradient and a vignette; a cubic bends into a table beside the sheet
GRID = 64  # the surface is fitted on the picture area-averaged to at most GRID a side
UNDER = 0.05  # the weight of a pixel below the surface (ink), against 0.95 above (paper)
REJECT = 0.6  # a pixel darker than this share of the surface is no paper at all (a table)
ROUNDS = 12  # refits: the weights settle within ten
FLOOR = 0.2  # the surface is kept above this share of its brightest: never divide by ~0


def paper_light(grey: np.ndarray) -> np.ndarray:
    """(H, W) the light on the paper of a photo of dark ink on light paper (``grey`` in
    [0, 1]): a smooth surface through the paper, at the picture's size."""
    h, w = grey.shape
    small = np.asarray(Image.fromarray(grey.astype(np.float32), mode="F").resize(
        (min(GRID, w), min(GRID, h)), Image.Resampling.BOX), dtype=np.float64)
    sh, sw = small.shape
    rows, cols = np.mgrid[0:sh, 0:sw]
    design = _terms((rows + 0.5) / sh, (cols + 0.5) / sw).reshape(sh * sw, -1)
    values = small.ravel()
    weights = np.ones_like(values)
    for _ in range(ROUNDS):
        root = np.sqrt(weights)
        coef = np.linalg.lstsq(design * root[:, None], values * root, rcond=None)[0]
        fit = design @ coef
        weights = np.where(values >= fit, 1.0 - UNDER, np.where(values >= REJECT * fit, UNDER, 0.0))
    surface = _terms((np.arange(h) + 0.5)[:, None] / h, (np.arange(w) + 0.5)[None, :] / w) @ coef
    top = float(surface.max())
    return np.clip(surface, FLOOR * max(top, 1e-6), None).astype(np.float32)


def flatten_paper(grey: np.ndarray) -> np.ndarray:
    """``grey`` (dark ink on light paper) with the light divided out: the paper at about one
    everywhere, the ink at its own darkness, in [0, 1]."""
    return np.clip(grey / paper_light(grey), 0.0, 1.0).astype(np.float32)


def _terms(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The monomials x^i y^j (i + j <= DEGREE) of positions in [0, 1], centred on the picture."""
    y, x = np.broadcast_arrays(2.0 * y - 1.0, 2.0 * x - 1.0)
    return np.stack([x ** i * y ** j for i in range(DEGREE + 1) for j in range(DEGREE + 1 - i)],
                    axis=-1)
