"""Photos of digits written with a thick felt-tip on grey paper whose edges darken toward the
border, cropped tightly (the digit touches or nearly touches the frame): the photos that the
border-touching rule once read with the dark paper edge as ink. Made on the fly, seeded; each
comes with the ink that was drawn, so a test can tell the digit from the paper."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

DIGITS = ("0", "8", "3")


@dataclass(frozen=True)
class Sheet:
    """One photo's paper, light and pen (see ``sheet`` for the ranges drawn)."""
    paper: float  # the paper's grey in the middle of the photo
    edges: tuple[float, float, float, float]  # darkening at the left, top, right, bottom edge
    reach: float  # how far in from an edge its darkening goes (a fraction of the side)
    vignette: float  # darkening of the corners from the lens, on top
    ink: float  # how much the felt-tip darkens the paper
    width: float  # the stroke, as a fraction of the side: thick
    margin: float  # paper between the digit and the frame, a fraction of the side (< 0 cuts)


def sheet(seed: int, paper: tuple[float, float] = (0.5, 0.8)) -> Sheet:
    """The conditions of photo ``seed``: grey paper (``paper``: its grey, from and to), its
    edges darkened by up to half, a felt-tip of a tenth to a seventh of the frame, cropped
    tight."""
    rng = np.random.default_rng(seed)
    return Sheet(paper=float(rng.uniform(*paper)),
                 edges=tuple(float(e) for e in rng.uniform(0.1, 0.5, 4)),
                 reach=float(rng.uniform(0.08, 0.25)), vignette=float(rng.uniform(0.1, 0.35)),
                 ink=float(rng.uniform(0.55, 0.8)), width=float(rng.uniform(0.1, 0.14)),
                 margin=float(rng.uniform(-0.02, 0.03)))


def glyph(digit: str, side: int, width: int, margin: float) -> np.ndarray:
    """The digit's ink, white on black in [0, 1], drawn with a round thick pen and filling
    the frame's height up to ``margin``."""
    im = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(im)
    t, b = margin * side, (1 - margin) * side
    left, r = (0.14 + margin) * side, (0.86 - margin) * side
    if digit == "0":
        draw.ellipse([left, t, r, b], outline=255, width=width)
    elif digit == "8":
        mid = t + 0.47 * (b - t)
        inset = 0.08 * (r - left)
        draw.ellipse([left + inset, t, r - inset, mid + width / 2], outline=255, width=width)
        draw.ellipse([left, mid - width / 2, r, b], outline=255, width=width)
    elif digit == "3":
        mid = t + 0.5 * (b - t)
        draw.arc([left, t, r, mid + width / 2], -160, 90, fill=255, width=width)
        draw.arc([left, mid - width / 2, r, b], -90, 160, fill=255, width=width)
    else:
        raise ValueError(digit)
    return np.asarray(im, dtype=np.float32) / 255


def felt_tip_photo(digit: str, seed: int, side: int = 480,
                   paper: tuple[float, float] = (0.5, 0.8)) -> tuple[np.ndarray, np.ndarray]:
    """(side, side) uint8 photo of ``digit`` under ``sheet(seed, paper)``, and the ink drawn
    ((side, side) in [0, 1], white on black)."""
    from scipy import ndimage

    look = sheet(seed, paper)
    ink = glyph(digit, side, round(look.width * side), look.margin)
    ink = ndimage.gaussian_filter(ink, 1.5)  # the felt's soft edge and the lens
    yy, xx = (np.mgrid[0:side, 0:side] + 0.5) / side
    shade = sum(e * np.exp(-d / look.reach)
                for e, d in zip(look.edges, (xx, yy, 1 - xx, 1 - yy)))
    corner = 2 * ((xx - 0.5) ** 2 + (yy - 0.5) ** 2)
    light = look.paper * (1 - look.vignette * corner) * (1 - np.clip(shade, 0, 0.6))
    rng = np.random.default_rng(1000 + seed)
    grey = light * (1 - look.ink * ink) + rng.normal(0, 0.015, (side, side))
    return (np.clip(grey, 0, 1) * 255).astype(np.uint8), ink
