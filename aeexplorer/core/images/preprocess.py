"""Turn any image of a digit into a 28x28 input, the way MNIST itself was made.

MNIST (LeCun et al. 1998): size-normalised to fit a 20x20 box keeping the aspect ratio,
anti-aliased, then centred by centre of mass in a 28x28 field. A photo of a digit on paper
needs more before that: greyscale, ink made bright on dark (inverting a light background),
uneven lighting removed, specks and paper edges dropped, and the pen's stroke width brought
close to MNIST's so that a fine pen and a marker land alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from aeexplorer.core.errors import ImageError
from aeexplorer.core.images.clutter import (background_window, digit_mask, light_background,
                                            stroke_width)
from aeexplorer.core.images.illumination import flatten_paper
from aeexplorer.core.images.upload import decode_image, scale_to_unit, shrink

BOX, FIELD = 20, 28  # MNIST's digit box and field
MIN_CONTRAST = 0.08  # ink fainter than this above the background counts as no ink
MIN_DIGIT_PIXELS = 15  # a part clear of the edge smaller than this is a speck, not a digit
STROKE = (2.5, 4.5)  # MNIST's stroke width range, in pixels of the 20x20 box


@dataclass
class Preprocessed:
    grey: np.ndarray  # (H, W) the upload in greyscale, [0, 1], at most WORK_SIDE a side
    ink: np.ndarray  # (H, W) ink map: ink bright on black, background removed, [0, 1]
    box: tuple[int, int, int, int]  # (top, left, bottom, right) of the digit in ``ink``
    image: np.ndarray  # (28, 28) float32 in [0, 1]: the model's input
    inverted: bool  # True when the upload had a light background
    kind: str = "digit"  # what was found and boxed: a "digit", or an "item" (``garment``)


def preprocess_bytes(data: bytes) -> Preprocessed:
    """Any Pillow-readable image file's bytes -> a 28x28 MNIST-style input."""
    return preprocess_array(decode_image(data))


def as_grey(arr: np.ndarray) -> np.ndarray:
    """An array of any numeric dtype, (H, W), (H, W, 1|3|4) or (1|3|4, H, W) -> (H, W) in
    [0, 1]. Colour is reduced to luminance; alpha is composited on white."""
    arr = np.asarray(arr)
    if arr.dtype.kind not in "biuf":
        raise ImageError(f"an image must hold numbers, not {arr.dtype}")
    if arr.size == 0:
        raise ImageError(f"the image is empty (an array of shape {arr.shape})")
    arr = np.squeeze(arr) if arr.ndim > 2 else arr
    if arr.ndim == 3 and arr.shape[0] in (3, 4) and arr.shape[-1] not in (3, 4):
        arr = np.moveaxis(arr, 0, -1)  # channels first -> channels last
    if arr.ndim == 3 and arr.shape[-1] in (3, 4):
        unit = scale_to_unit(arr)
        grey = unit[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        if arr.shape[-1] == 4:
            grey = grey * unit[..., 3] + (1.0 - unit[..., 3])
        return shrink(grey.astype(np.float32))
    if arr.ndim != 2 or min(arr.shape) < 1:
        raise ImageError(f"expected a greyscale or colour image, got an array of shape {arr.shape}")
    return shrink(scale_to_unit(arr))


def preprocess_array(arr: np.ndarray) -> Preprocessed:
    """A decoded image (see ``as_grey`` for what is accepted) -> a 28x28 MNIST-style input."""
    from scipy import ndimage

    grey = as_grey(arr)
    if float(grey.max() - grey.min()) < MIN_CONTRAST:  # uniform: small ones skip _background
        raise ImageError("no ink found: the image looks blank")
    unlit = _unlit(grey)
    inverted = light_background(unlit)
    ink = 1.0 - unlit if inverted else grey.copy()
    ink = np.clip(ink - _background(ink), 0.0, None)
    hi = float(np.percentile(ink, 99.5)) if ink.size > 200 else float(ink.max())
    if hi < MIN_CONTRAST and ink.size > 200:  # a fine pen: under 0.5 % of the pixels
        hi = float(ndimage.grey_opening(ink, size=(2, 2)).max())  # the stroke, not lone specks
    if hi < MIN_CONTRAST:
        raise ImageError("no ink found: the image looks blank")
    ink = np.clip(ink / hi, 0.0, 1.0)
    mask = digit_mask(ink > _otsu(ink), MIN_DIGIT_PIXELS)
    if not mask.any():
        raise ImageError("no ink found: the image looks blank")
    # re-scale by the digit's own ink, not by clutter that was dropped; keep soft edges
    ink = ink / max(float(np.percentile(ink[mask], 90)), MIN_CONTRAST)
    ink = np.where(ndimage.binary_dilation(mask, iterations=2), np.clip(ink, 0, 1), 0.0)
    ink = ink.astype(np.float32)
    rows, cols = np.nonzero(mask)
    box = (int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1)
    rows, cols = slice(box[0], box[2]), slice(box[1], box[3])
    crop = _fix_stroke(ink[rows, cols], mask[rows, cols])
    image = _centre(_fit(crop), ndimage)
    return Preprocessed(grey=grey, ink=ink, box=box, image=image, inverted=inverted)


def _unlit(grey: np.ndarray) -> np.ndarray:
    """Light paper with the light on it divided out (``illumination``), so that paper
    darkening towards the edges is not ink. Tiny images (MNIST itself) are left alone."""
    return flatten_paper(grey) if max(grey.shape) >= 64 else grey


def _background(ink: np.ndarray) -> np.ndarray:
    """Slowly varying background level (shading across a photo): a grey opening with a
    window wider than any stroke, smoothed. Tiny images (MNIST itself) have none."""
    from scipy import ndimage

    side = max(ink.shape)
    if side < 64:
        return np.zeros_like(ink)
    k = background_window(ink > _otsu(ink))
    opened = ndimage.grey_opening(ink, size=(k, k))
    return ndimage.uniform_filter(opened, size=k)


def _otsu(values: np.ndarray) -> float:
    """Otsu's threshold (1979) on [0, 1] values; at least 0.2 so faint haze never counts."""
    hist, edges = np.histogram(values, bins=64, range=(0.0, 1.0))
    p = hist / max(hist.sum(), 1)
    w0 = np.cumsum(p)
    m = np.cumsum(p * (edges[:-1] + edges[1:]) / 2)
    between = (m[-1] * w0 - m) ** 2 / np.maximum(w0 * (1 - w0), 1e-12)
    return max(0.2, float(edges[1:][np.argmax(between)]))


def _fix_stroke(crop: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Thicken a fine pen or thin a marker so the stroke, once fitted into 20x20, is about as
    wide as MNIST's (``clutter.stroke_width``)."""
    from scipy import ndimage

    scale = BOX / max(crop.shape)
    width = stroke_width(mask)
    low, high = STROKE[0] / scale, STROKE[1] / scale  # wanted range, in this crop's pixels
    if width < low:
        size = int(round(low - width)) | 1
        return ndimage.grey_dilation(crop, size=(size, size))
    if width > high and width > 6:
        size = int(round((width - high) / 2)) | 1
        return ndimage.grey_erosion(crop, size=(size, size))
    return crop


def _fit(crop: np.ndarray) -> np.ndarray:
    """Scale so the longer side is 20 pixels, keeping the aspect ratio (anti-aliased)."""
    h, w = crop.shape
    scale = BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = Image.fromarray(crop.astype(np.float32), mode="F").resize(size,
                                                                     Image.Resampling.LANCZOS)
    return np.clip(np.asarray(small, dtype=np.float32), 0.0, 1.0)


def _centre(digit: np.ndarray, ndimage) -> np.ndarray:
    """Place in a 28x28 field with the centre of mass at pixel (14, 14) as in MNIST, then
    scale to [0, 1]."""
    field = np.zeros((FIELD, FIELD), dtype=np.float32)
    h, w = digit.shape
    if digit.sum() <= 0:
        raise ImageError("no ink found: the image looks blank")
    cy, cx = ndimage.center_of_mass(digit)
    top = int(np.clip(round(FIELD / 2 - cy), 0, FIELD - h))
    left = int(np.clip(round(FIELD / 2 - cx), 0, FIELD - w))
    field[top : top + h, left : left + w] = digit
    return field / field.max()
