"""Thick felt-tip digits on grey paper whose edges darken toward the border, cropped tightly
(``tests/helpers/felt_tip.py``): the prepared input is the digit alone. The darker paper edge
once counted as ink (a '0' gained an arc along its side, an '8' became a filled box, grey
paper was read as white ink on black); the light is now divided out first
(``core/images/illumination``), while the strokes that touch the frame are kept."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from aeexplorer.core.images.illumination import flatten_paper, paper_light
from aeexplorer.core.images.preprocess import preprocess_array
from tests.helpers.felt_tip import DIGITS, felt_tip_photo, sheet

PAPERS = {"grey": ((0.5, 0.8), range(4)), "light": ((0.8, 0.95), range(4, 8))}
CASES = [(name, seed) for name, (_, seeds) in PAPERS.items() for seed in seeds]
BAND = 0.08  # the border band of the photo, a fraction of its side (clutter.HUG_BAND)


def rendered(ink: np.ndarray) -> np.ndarray:
    """The drawn ink alone, white on black with room around it, prepared: what the photo's
    input should look like."""
    return preprocess_array(np.pad(ink * 255, 120)).image


def best_iou(a: np.ndarray, b: np.ndarray, shift: int = 1) -> float:
    """The intersection over union of the inked pixels (> 0.5) of two 28x28 inputs, at the
    best offset of up to ``shift`` pixels (the centre of mass rounds)."""
    best = 0.0
    for dy in range(-shift, shift + 1):
        for dx in range(-shift, shift + 1):
            moved = np.roll(np.roll(b, dy, axis=0), dx, axis=1) > 0.5
            best = max(best, np.sum((a > 0.5) & moved) / max(np.sum((a > 0.5) | moved), 1))
    return float(best)


def band_without_ink(ink: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The photo's border band (at the working size ``shape``) less the drawn strokes and a
    margin round them: paper only."""
    small = np.asarray(Image.fromarray(ink, mode="F").resize(shape[::-1]), dtype=np.float32)
    strokes = ndimage.binary_dilation(small > 0.05, iterations=6)
    band = max(1, round(BAND * min(shape)))
    ring = np.ones(shape, dtype=bool)
    ring[band:-band, band:-band] = False
    return ring & ~strokes


@pytest.mark.parametrize("paper,seed", CASES)
@pytest.mark.parametrize("digit", DIGITS)
def test_the_paper_edge_is_not_ink_and_the_strokes_are_kept(digit, paper, seed):
    grey = PAPERS[paper][0]
    look = sheet(seed, grey)
    photo, ink = felt_tip_photo(digit, seed, paper=grey)
    out = preprocess_array(photo)
    assert out.inverted, look  # dark ink on paper, however dark its edges
    band = band_without_ink(ink, out.ink.shape)
    assert band.sum() > 0.05 * band.size  # the band has paper in it to judge
    assert out.ink[band].max() < 0.2, (out.ink[band].max(), look)  # the edge is no ink
    want = rendered(ink)
    outside = ndimage.binary_dilation(want > 0.1, iterations=2)
    assert out.image[~outside].max() < 0.35, look  # nothing beside the digit: no arc, no box
    assert best_iou(out.image, want) > 0.7, (best_iou(out.image, want), look)


@pytest.mark.parametrize("seed", PAPERS["grey"][1])
def test_the_light_is_found_under_a_thick_digit(seed):
    """The surface through the paper follows the light to within a few per cent of it, ink
    and all, so the flattened paper is white to the edges."""
    photo, ink = felt_tip_photo("8", seed)
    grey = photo.astype(np.float32) / 255
    light = paper_light(grey)
    flat = flatten_paper(grey)
    paper = ink < 0.01
    assert np.median(flat[paper]) > 0.95
    assert np.percentile(flat[paper], 5) > 0.8  # the darkened edges too
    assert np.median(flat[ink > 0.9]) < 0.5  # the ink stays dark
    assert light.shape == grey.shape and light.min() > 0


def test_a_stroke_cut_by_the_frame_stays_whole():
    """A thick '0' cut by the frame on every side: the strokes along the border are ink,
    not a paper edge divided away."""
    photo, ink = felt_tip_photo("0", 1)
    cut = photo[20:-20, 20:-20]
    out = preprocess_array(cut)
    want = rendered(ink[20:-20, 20:-20])
    assert best_iou(out.image, want) > 0.7
