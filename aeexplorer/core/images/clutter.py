"""Which inked parts of a photo are the digit, and which are clutter at its edges.

A photo's clutter reaches the image border: the table around a sheet, a shadow along a side,
a ruled or grid line running across the page. A digit can reach the border too, when the crop
is tight or a thick marker fills the frame. Dropping everything that touches the border cuts
such a digit apart, so each part that touches it is judged by its shape instead:

* it hugs the border: most of its ink lies in a thin band along the edges (a table, a frame,
  a shadow); a digit's stroke meets the edge and turns inwards, so most of its ink is inside;
* it is a solid block along the border: it covers much of the border (15 % of it) and a
  good part of its own box (35 %), as the table beyond a sheet does; a thick digit filling
  the frame can look so too, so a block goes only beside a digit of half its ink or more;
* it is a straight line across the picture: as long as 90 % of the image's shorter side and
  thin across (a ruled line, the edge of the sheet), while a digit cropped tightly fills its
  image.

A part so shaped is dropped only when what is left is a digit of its own (a speck left alone
is no reason to throw away a digit filling the frame); a line, only when what is left holds at
least half its ink, so that a tightly cropped '1' beside a speck stays.
"""

from __future__ import annotations

import numpy as np

HUG_BAND = 0.08  # the border band, as a fraction of the shorter side
HUG_SHARE = 0.6  # a part with more of its ink than this in the band hugs the border
BLOCK_CONTACT, BLOCK_SOLID = 0.15, 0.35  # of the border covered, of its own box inked
BLOCK_REST = 0.5  # a block goes beside a digit of at least this share of its ink
EDGE_PIECE = 0.15  # a part at the border smaller than this share of the digit is a scrap
LINE_SPAN, LINE_THIN = 0.9, 0.1  # as long as 90 % of the shorter side, under 10 % thick
AMBIGUOUS = (0.3, 0.7)  # a share of bright pixels in this range leaves the median unsure
PINHOLE = 5  # a hole in a stroke smaller than this many pixels is noise
WIDE_STROKE = 1.5  # a background window this many stroke widths wide keeps a stroke whole


def digit_mask(mask: np.ndarray, min_pixels: int) -> np.ndarray:
    """The digit's parts of a binary ink ``mask``: specks dropped (under 4 % of the largest
    kept part) and border clutter dropped (see the module's docstring)."""
    from scipy import ndimage

    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    if n == 0:
        return mask
    areas = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    touches, hugs, blocks, lines = _border_shapes(labels, n, areas)
    rest = np.where(hugs | blocks | lines, 0, areas)
    digit_sized = rest.max() >= max(min_pixels, 0.01 * areas.max())
    drop = (hugs & digit_sized) | (blocks & (rest.max() >= BLOCK_REST * areas))
    drop |= lines & (rest.sum() >= 0.5 * areas)
    areas = np.where(drop, 0, areas)
    # a scrap at the border beside a digit (the rim of a table, a cut-off blot) is not part
    # of it: a part of the digit that the border cut off is a sizeable piece of it
    areas = np.where(touches & (areas < EDGE_PIECE * areas.max()), 0, areas)
    keep = np.flatnonzero(areas >= max(0.04 * areas.max(), 1)) + 1
    return np.isin(labels, keep)


def _border_shapes(labels: np.ndarray, n: int, areas: np.ndarray) -> tuple[np.ndarray, ...]:
    """For each part (1..n): whether it touches the border, hugs it, is a solid block along
    it, is a thin line across the image."""
    from scipy import ndimage

    h, w = labels.shape
    border = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    contact = np.bincount(border, minlength=n + 1)[1:] / border.size
    touches = contact > 0
    ring = _border_ring((h, w))
    in_band = np.bincount(labels[ring].ravel(), minlength=n + 1)[1:]
    hugs = touches & (in_band > HUG_SHARE * areas)
    lines, blocks = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    for i, box in enumerate(ndimage.find_objects(labels)):
        if box is None or not touches[i]:
            continue
        tall, wide = box[0].stop - box[0].start, box[1].stop - box[1].start
        blocks[i] = contact[i] >= BLOCK_CONTACT and areas[i] >= BLOCK_SOLID * tall * wide
        lines[i] = _is_line(labels[box] == i + 1, min(h, w))
    return touches, hugs, blocks, lines


def _is_line(part: np.ndarray, side: int) -> bool:
    """A straight line at any slant: long along its main axis (90 % of the image's shorter
    side) and thin across it (its ink within a tenth of that side)."""
    rows, cols = np.nonzero(part)
    if rows.size < 2:
        return False
    step = max(1, rows.size // 4000)  # the axis of a long line is clear from a sample
    pts = np.stack([rows[::step], cols[::step]], axis=1).astype(np.float64)
    pts -= pts.mean(axis=0)
    _, vectors = np.linalg.eigh(pts.T @ pts)
    along, across = pts @ vectors[:, 1], pts @ vectors[:, 0]
    return bool(np.ptp(along) >= LINE_SPAN * side and 4 * across.std() <= LINE_THIN * side)


def background_window(rough: np.ndarray) -> int:
    """The side of the window that estimates a photo's background, from ``rough``, the ink
    above a global threshold. A sixth of the image is wider than a pen's stroke; a thick
    marker's stroke can be wider, and the opening would take it for background and hollow it
    out: the window is widened to a little more than the stroke (clutter aside), up to a third
    of the image (wider, it no longer follows uneven light nor leaves out a table)."""
    side = max(rough.shape)
    k = max(15, side // 6)
    width = stroke_width(digit_mask(rough, 0))
    return int(min(max(k, WIDE_STROKE * width), side // 3))


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary mask: 2 * area / perimeter, which holds for long strokes.
    Pinholes (under ``PINHOLE`` pixels) are filled first: in a thick stroke on dark paper,
    where the light divided out has raised the sensor's noise, their rims would add perimeter
    enough to halve the width, and the stroke would be thickened instead of thinned."""
    from scipy import ndimage

    holes, n = ndimage.label(~mask)
    if n:
        sizes = np.bincount(holes.ravel(), minlength=n + 1)
        mask = mask | ((sizes < PINHOLE)[holes] & (holes > 0))
    perimeter = np.count_nonzero(mask & ~ndimage.binary_erosion(mask))
    return 2.0 * np.count_nonzero(mask) / max(perimeter, 1)


def light_background(grey: np.ndarray) -> bool:
    """Whether the paper is light (dark ink to invert). Paper covers most of a photo, so the
    median pixel tells; but a thick marker filling the frame can cover half of it, and then
    the image's border, which a digit touches only here and there, tells instead. Light or
    dark is judged against the middle of the picture's own range, not of [0, 1]: grey paper
    darkening towards its edges is below 0.5 there, yet far lighter than the ink on it."""
    middle = 0.5 * (float(grey.min()) + float(grey.max()))
    bright = float(np.mean(grey > middle))
    if not AMBIGUOUS[0] < bright < AMBIGUOUS[1]:
        return bright > 0.5
    return bool(np.median(grey[_border_ring(grey.shape)]) > middle)


def _border_ring(shape: tuple[int, int]) -> np.ndarray:
    """The band along the image's border, ``HUG_BAND`` of its shorter side wide."""
    band = max(1, round(HUG_BAND * min(shape)))
    ring = np.ones(shape, dtype=bool)
    ring[band:-band, band:-band] = False
    return ring
