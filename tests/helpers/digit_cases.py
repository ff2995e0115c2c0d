"""Photos and drawings of real handwritten digits, made on the fly from MNIST test images (no
image is stored): the digit is enlarged, re-inked with a pen of some width, and either put on
paper under uneven light with the clutter of a phone photo (a table edge, a shadow, ruled or
grid lines, a tight crop, a slight rotation, JPEG) or drawn light on dark with a round pen as
the page's drawing pad does. The tests use them for preparation; the placement study
(benchmarks/bench_placement.py) for its own photo and drawing sets."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

UP = 12  # enlargement of the 28x28 digit


@dataclass(frozen=True)
class Look:
    """How one photo is taken; the defaults are a clean, centred photo."""
    pen: float = 0.0  # stroke width change, in enlarged pixels (+ thicker, - thinner)
    rotate: float = 0.0  # degrees
    margin: float = 0.5  # paper around the digit's box, as a fraction of its size; < 0 cuts
    light: float = 0.25  # light falling off across the sheet
    table: float = 0.0  # share of the width that is dark table on the right
    shadow: float = 0.0  # darkening of the lower-left corner
    ruled: int = 0  # ruled lines across, this many pixels apart (0: none)
    grid: int = 0  # squared paper, this many pixels a square (0: none)
    noise: float = 0.02
    blue: bool = True  # a blue pen, else black


def strokes(digit: np.ndarray, pen: float = 0.0) -> np.ndarray:
    """The 28x28 digit enlarged UP times, as ink in [0, 1], its strokes widened or thinned by
    ``pen`` pixels."""
    from scipy import ndimage

    big = np.asarray(Image.fromarray((digit * 255).astype(np.uint8)).resize(
        (28 * UP, 28 * UP), Image.Resampling.BICUBIC), dtype=np.float32) / 255
    mask = big > 0.4
    if pen:
        inside = ndimage.distance_transform_edt(mask)
        outside = ndimage.distance_transform_edt(~mask)
        mask = inside > -pen if pen < 0 else outside <= pen
    return ndimage.gaussian_filter(mask.astype(np.float32), 1.2)


def pen_drawing(digit: np.ndarray, width: float = 22.0, side: int = 280, fill: float = 0.7,
                at: tuple[float, float] = (0.5, 0.5)) -> np.ndarray:
    """The digit as drawn on the pad: its centre line traced with a round pen ``width`` pixels
    wide, light on dark, on a ``side``-pixel square, its height ``fill`` of the pad, centred
    ``at`` (fractions). (side, side) uint8."""
    from scipy import ndimage

    ink = strokes(digit) > 0.5
    dist = ndimage.distance_transform_edt(ink)
    ridge = dist >= 0.8 * ndimage.maximum_filter(dist, size=9)  # a band along the centre line
    ridge &= ink
    rows, cols = np.nonzero(ink)
    crop = ridge[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1]
    scale = min(fill * side / crop.shape[0], 0.95 * side / crop.shape[1])  # a wide digit fits
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    resized = Image.fromarray(crop.astype(np.uint8) * 255).resize(size)
    line = np.asarray(resized, dtype=np.float32) > 0
    pad = np.zeros((side, side), dtype=bool)
    top = int(np.clip(at[1] * side - size[1] / 2, 0, side - size[1]))
    left = int(np.clip(at[0] * side - size[0] / 2, 0, side - size[0]))
    pad[top: top + size[1], left: left + size[0]] = line
    drawn = ndimage.distance_transform_edt(~pad) <= width / 2
    return (ndimage.gaussian_filter(drawn.astype(np.float32), 0.7) * 255).astype(np.uint8)


def photo(digit: np.ndarray, look: Look = Look(), seed: int = 0) -> np.ndarray:
    """A phone photo of the digit written on paper, (H, W, 3) uint8."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    ink = strokes(digit, look.pen)
    if look.rotate:
        ink = ndimage.rotate(ink, look.rotate, reshape=True, order=1)
    rows, cols = np.nonzero(ink > 0.3)
    h, w = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
    my, mx = int(look.margin * h), int(look.margin * w)
    sheet = np.zeros((h + 2 * my, w + 2 * mx), dtype=np.float32)
    top, left = rows.min() - my, cols.min() - mx  # sheet[0, 0] in ink's coordinates
    src = ink[max(top, 0): top + sheet.shape[0], max(left, 0): left + sheet.shape[1]]
    y0, x0 = max(-top, 0), max(-left, 0)
    sheet[y0: y0 + src.shape[0], x0: x0 + src.shape[1]] = src
    return _on_paper(sheet, look, rng)


def _on_paper(ink: np.ndarray, look: Look, rng: np.random.Generator) -> np.ndarray:
    h, w = ink.shape
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    paper = 0.85 - look.light * (xx + 0.6 * yy) / 1.6
    if look.shadow:
        paper = paper * (1 - look.shadow * np.clip(1.4 - (xx + (1 - yy)) * 1.4, 0, 1))
    lines = np.zeros_like(ink)
    if look.ruled:
        lines[look.ruled // 2:: look.ruled, :] = 0.35
    if look.grid:
        lines[:: look.grid, :] = lines[:, :: look.grid] = 0.2
    grey = paper * (1 - 0.85 * ink) * (1 - lines * (1 - ink))
    if look.table:
        edge = int(w * (1 - look.table)) + (np.arange(h) * 0.15).astype(int)  # slanted sheet
        grey = np.where(np.arange(w)[None, :] >= edge[:, None], 0.18 + 0.05 * yy, grey)
    colour = np.stack([grey, grey, grey], axis=-1)
    if look.blue:  # blue ink: red and green darker than blue where the ink is
        colour[..., 2] = np.maximum(grey, paper * (1 - 0.35 * ink))
    colour += rng.normal(0, look.noise, colour.shape)
    return (np.clip(colour, 0, 1) * 255).astype(np.uint8)


def jpeg(image: np.ndarray, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def random_look(rng: np.random.Generator) -> Look:
    """One of the conditions a phone photo of a digit meets, drawn at random."""
    return Look(pen=float(rng.choice([-3, 0, 4, 8, 14])), rotate=float(rng.uniform(-12, 12)),
                margin=float(rng.choice([-0.02, 0.0, 0.1, 0.4, 0.8])),
                light=float(rng.uniform(0, 0.4)), table=float(rng.choice([0, 0, 0.12])),
                shadow=float(rng.choice([0, 0, 0.5])), ruled=int(rng.choice([0, 0, 60])),
                grid=int(rng.choice([0, 0, 40])), noise=float(rng.uniform(0.01, 0.05)),
                blue=bool(rng.integers(2)))
