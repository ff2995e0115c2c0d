"""Turn a picture of a garment or an accessory into a 28x28 input, the way Fashion-MNIST itself
was made (Xiao et al. 2017, "Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine
Learning Algorithms", section 2): the product trimmed of its background, its longer side
resized to 28 pixels keeping the aspect ratio, centred in the 28x28 field, negated (a shop's
white background turns black) and grey.

An item is not a stroke: it fills its box and its shading is what tells a shirt from a coat, so
unlike a digit (``preprocess``) nothing is thinned, thickened or flattened to ink. Measured on
300 Fashion-MNIST test images saved as 112-pixel files: the digit preparation shrank each into
MNIST's 20-pixel box and thinned it, and the shipped ``fashion-map-ae`` then placed 29 % among
their own kind; prepared this way, as many as the test images themselves (docs/results.md,
"Placing your own garment").

Invariant: a Fashion-MNIST image comes back as it was, up to resampling: nothing is added to
it, and its item (which already fills the field along its longer side) keeps its size and place.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from aeexplorer.core.errors import ImageError
from aeexplorer.core.images.preprocess import MIN_CONTRAST, Preprocessed, as_grey

FIELD = 28  # Fashion-MNIST's side: an item's longer side fills it
BORDER = 0.04  # the band along the picture's edge that tells the background's level
SPECK = 0.02  # a part smaller than this share of the largest is a speck or a shadow, not the item


def prepare_item(arr: np.ndarray) -> Preprocessed:
    """A decoded image (see ``preprocess.as_grey`` for what is accepted) -> a 28x28
    Fashion-MNIST-style input, with the steps that made it."""
    grey = as_grey(arr)
    if float(grey.max() - grey.min()) < MIN_CONTRAST:
        raise ImageError("nothing found: the image looks blank")
    # the backdrop is what the edge shows: a garment may cover most of the picture (a shirt
    # fills three quarters of its Fashion-MNIST field), so the majority of pixels cannot tell
    inverted = _edge_level(grey) > 0.5 * (float(grey.min()) + float(grey.max()))
    item = 1.0 - grey if inverted else grey.copy()
    item = np.clip(item - _edge_level(item), 0.0, None)
    top = float(item.max())
    if top < MIN_CONTRAST:
        raise ImageError("nothing found: the image looks blank")
    item = (item / top).astype(np.float32)
    mask = _item_mask(item)
    rows, cols = np.nonzero(mask)
    box = (int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1)
    image = _centred(_fitted(item[box[0]:box[2], box[1]:box[3]]))
    return Preprocessed(grey=grey, ink=item, box=box, image=image, inverted=inverted,
                        kind="item")


def _edge_level(item: np.ndarray) -> float:
    """The backdrop's level: the median of the band along the picture's edge, where a product
    photo shows it (0 for Fashion-MNIST's own black)."""
    h, w = item.shape
    band = max(1, int(round(BORDER * min(h, w))))
    edge = np.concatenate([item[:band].ravel(), item[-band:].ravel(),
                           item[:, :band].ravel(), item[:, -band:].ravel()])
    return float(np.median(edge))


def _item_mask(item: np.ndarray) -> np.ndarray:
    """The item: the parts clearly above the background, less specks (parts under ``SPECK``
    of the largest part's area: dust, a stray mark). A faint rim around it is left out of its
    box: taken in, a photo's noise and JPEG halo widened the box (shop photos placed among
    their own kind: 0.80 with a rim above 0.04, 0.71 above 0.01, 0.83 without)."""
    from scipy import ndimage

    mask = item > MIN_CONTRAST
    parts, count = ndimage.label(mask)
    if count > 1:
        sizes = np.bincount(parts.ravel())[1:]
        mask = np.isin(parts, 1 + np.flatnonzero(sizes >= SPECK * sizes.max()))
    if not mask.any():
        raise ImageError("nothing found: the image looks blank")
    return mask


def _fitted(crop: np.ndarray) -> np.ndarray:
    """Scale so the longer side is 28 pixels, keeping the aspect ratio (anti-aliased)."""
    h, w = crop.shape
    scale = FIELD / max(h, w)
    size = (max(1, min(FIELD, round(w * scale))), max(1, min(FIELD, round(h * scale))))
    small = Image.fromarray(crop.astype(np.float32), mode="F").resize(
        size, Image.Resampling.LANCZOS)
    return np.clip(np.asarray(small, dtype=np.float32), 0.0, 1.0)


def _centred(item: np.ndarray) -> np.ndarray:
    """In the middle of a black 28x28 field (by its box, as Fashion-MNIST centred its items),
    scaled to [0, 1]."""
    field = np.zeros((FIELD, FIELD), dtype=np.float32)
    h, w = item.shape
    top, left = (FIELD - h + 1) // 2, (FIELD - w + 1) // 2  # an odd margin: one more above, left
    field[top:top + h, left:left + w] = item
    if field.max() <= 0:
        raise ImageError("nothing found: the image looks blank")
    return field / field.max()
