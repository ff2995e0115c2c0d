"""Turn an image of one's own into a model's input: the way its training images were made.

A model of MNIST-format data (white strokes or items on black, 28x28, centred by mass: MNIST,
KMNIST, EMNIST) gets the digit preparation of ``preprocess`` (ink found, boxed, centred); one of
Fashion-MNIST's products the preparation of ``garment`` (the item trimmed, filling the field);
then fitted to the model's size and channels as its training data was
(``fit.fit_images``). Any other model (colour images, an image folder: photos, shapes)
was trained on whole pictures: its input is the picture's centred square, resized to the
model's side, in colour, or in luma (ITU-R BT.601) for a grey model. ``prepare_bytes``
picks the one for a model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from aeexplorer.core.images.fit import fit_images
from aeexplorer.core.images.garment import prepare_item
from aeexplorer.core.images.preprocess import Preprocessed, as_grey, preprocess_array
from aeexplorer.core.images.upload import decode_image, scale_to_unit, shrink

# the MNIST-format data sets, made of strokes (or items) centred on black the way MNIST was
DIGIT_SETS = ("mnist", "fashion", "kmnist", "emnist")
# of those, the ones of products, each trimmed and filling the field (``garment``)
ITEM_SETS = ("fashion",)


@dataclass
class Photo:
    picture: np.ndarray  # (H, W, 3) colour or (H, W) grey in [0, 1], at most WORK_SIDE a side
    box: tuple[int, int, int, int]  # (top, left, bottom, right): the centred square in it
    image: np.ndarray  # (S, S, 3) or (S, S) float32 in [0, 1]: the model's input


def digit_like(dataset: str) -> bool:
    """Whether a model of this data set takes the digit preparation (an EMNIST split is
    named after the set: "emnist-letters")."""
    name = str(dataset).lower()
    return any(name == s or name.startswith(s + "-") for s in DIGIT_SETS)


def item_like(dataset: str) -> bool:
    """Whether a model of this data set takes the product preparation (Fashion-MNIST)."""
    return str(dataset).lower() in ITEM_SETS


def prepare_bytes(data: bytes, config, dataset: str) -> Preprocessed | Photo:
    """An image file's bytes -> the input of a model of ``config`` (a ``ModelConfig``)
    trained on ``dataset``, with the steps that made it."""
    colour = config.image_channels == 3
    if item_like(dataset):
        return fit_digit(prepare_item(decode_image(data)), config)
    if digit_like(dataset):
        return fit_digit(preprocess_array(decode_image(data)), config)
    return prepare_photo(decode_image(data, colour=colour), config.image_size,
                         config.image_channels)


def fit_digit(steps: Preprocessed, config) -> Preprocessed:
    """The 28x28 digit input at the model's size and channels, as its training data was
    fitted (``fit.fit_images``); a 28x28 grey model's is left as it is."""
    if config.image_size == 28 and config.image_channels == 1:
        return steps
    import torch  # here, not at the top: a page prepares most images without torch

    from aeexplorer.core.images.layout import as_images

    fitted = fit_images(torch.from_numpy(steps.image)[None, None], config.image_size,
                        config.image_channels)
    return replace(steps, image=as_images(fitted)[0])


def as_rgb(arr: np.ndarray) -> np.ndarray:
    """An array of any numeric dtype, (H, W), (H, W, 1|3|4) or (1|3|4, H, W) -> (H, W, 3)
    in [0, 1], at most WORK_SIDE a side: grey is repeated, alpha composited on white."""
    arr = np.asarray(arr)
    if arr.dtype.kind in "biuf" and arr.size:
        arr = np.squeeze(arr) if arr.ndim > 2 else arr
        if arr.ndim == 3 and arr.shape[0] in (3, 4) and arr.shape[-1] not in (3, 4):
            arr = np.moveaxis(arr, 0, -1)  # channels first -> channels last
        if arr.ndim == 3 and arr.shape[-1] in (3, 4):
            unit = scale_to_unit(arr)
            rgb = unit[..., :3]
            if arr.shape[-1] == 4:
                rgb = rgb * unit[..., 3:] + (1.0 - unit[..., 3:])
            return shrink(rgb.astype(np.float32))
    grey = as_grey(arr)  # anything else: grey, or the reason it is not an image
    return np.repeat(grey[..., None], 3, axis=2)


def prepare_photo(arr: np.ndarray, side: int, channels: int) -> Photo:
    """A decoded picture (see ``as_rgb`` for what is accepted) -> its centred square resized
    to ``side`` (area-averaged down, bilinear up, as ``fit.fit_images``), in colour
    (``channels`` 3) or luma (1)."""
    picture = as_rgb(arr) if channels == 3 else as_grey(arr)  # as_grey: BT.601 luma
    h, w = picture.shape[:2]
    n = min(h, w)
    top, left = (h - n) // 2, (w - n) // 2
    square = picture[top:top + n, left:left + n]
    planes = square[..., None] if square.ndim == 2 else square
    image = np.stack([_resize(planes[..., c], side) for c in range(planes.shape[2])], axis=-1)
    image = image[..., 0] if channels == 1 else image
    return Photo(picture=picture, box=(top, left, top + n, left + n), image=image)


def _resize(plane: np.ndarray, side: int) -> np.ndarray:
    method = Image.Resampling.BOX if plane.shape[0] >= side else Image.Resampling.BILINEAR
    small = Image.fromarray(plane.astype(np.float32), mode="F").resize((side, side), method)
    return np.clip(np.asarray(small, dtype=np.float32), 0.0, 1.0)
