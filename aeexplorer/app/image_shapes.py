"""Image shapes at the numpy edge ((H, W) grey, (H, W, 3) colour): in words for the pages, and
whether images fit a model. A page that feeds test images or an upload to a model checks the
fit first and says what differs, rather than failing inside the model."""

from __future__ import annotations

from collections.abc import Sequence


def describe(shape: Sequence[int]) -> str:
    """One image's shape for people: "28×28 grey", "32×32 colour"."""
    h, w = (int(n) for n in tuple(shape)[:2])
    return f"{h}×{w} {'colour' if is_colour(shape) else 'grey'}"


def is_colour(shape: Sequence[int]) -> bool:
    return len(shape) == 3 and int(shape[-1]) == 3


def mismatch(image_shape: Sequence[int], model_shape: Sequence[int]) -> str | None:
    """Why images of ``image_shape`` (one image's) cannot go through a model of
    ``model_shape``, or None when they fit."""
    if tuple(image_shape) == tuple(model_shape):
        return None
    return (f"the images are {describe(image_shape)} and the model takes "
            f"{describe(model_shape)} images")

