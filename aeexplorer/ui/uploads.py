"""Images brought on any page (the Explorer's own image, Anomalies, Denoise): a file uploader
with the formats it takes and the limits under it, beside a drawing pad (``draw``); the
result for the image in use (the file or the drawing, whichever changed last), kept in the
session; and how an image is prepared for a model (``core.images.photo.prepare_bytes``), in
words and as the pictures of its steps, the same on every page."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import streamlit as st

from aeexplorer.app import imaging
from aeexplorer.core.errors import AeError
from aeexplorer.core.images.photo import Photo, digit_like, item_like
from aeexplorer.core.images.upload import MAX_PIXELS, MAX_UPLOAD_BYTES
from aeexplorer.core.images.upload import largest_megapixels
from aeexplorer.ui import draw

if TYPE_CHECKING:
    import numpy as np

    from aeexplorer.core.images.preprocess import Preprocessed
    from aeexplorer.core.models import ModelConfig

IMAGE_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "webp"]
LIMITS = (f"PNG, JPEG, BMP, GIF or WebP, up to {MAX_UPLOAD_BYTES // 2**20} MB and "
          f"{MAX_PIXELS // 1_000_000} megapixels ({largest_megapixels('RGB'):g} for a colour "
          f"PNG, {largest_megapixels('RGB', 'WEBP'):g} for a WebP: larger ones take too much "
          "memory to prepare). A file marked in red above was refused before it was read: "
          "point at it to see why.")

DIGIT_LABEL = "An image of a digit: a scan, a drawing, a phone photo"
ITEM_LABEL = "A picture of a clothing item or a bag, on a plain background (as a shop shows it)"
PHOTO_LABEL = "An image like this model's own: a photo, a picture, a drawing"


def upload_label(dataset: str) -> str:
    """The uploader's label for a model of ``dataset``: what kind of image it takes."""
    if item_like(dataset):
        return ITEM_LABEL
    return DIGIT_LABEL if digit_like(dataset) else PHOTO_LABEL


def uploader(label: str, file_key: str, pad_key: str, talk: bool = False,
             colour: bool = False) -> None:
    """The file uploader for an image (its file in session state ``file_key``) with the limits
    under it, and the drawing pad beside it (its picture under ``pad_key``; with ``colour``,
    for a colour model, it has a choice of pen colour)."""
    up, pad = st.columns([3, 2])
    with up:
        file_input(label, file_key, pad_key)
    with pad:
        st.markdown("**…or draw one here** (mouse, pen or finger)")
        draw.pad(pad_key, talk, colour, file_key)


def file_input(label: str, file_key: str, pad_key: str) -> None:
    """The file uploader alone, with the limits under it: a new file empties the pad."""
    st.file_uploader(label, type=IMAGE_TYPES, key=draw.live_key(file_key),
                     on_change=draw.file_chosen(pad_key))
    st.caption(LIMITS)


def cached_upload(file_key: str, pad_key: str, result_key: str, tag: str,
                  make: Callable[[bytes], Any]) -> Any | str | None:
    """``make`` on the bytes of the image in use (the file or the drawing), computed once per
    (image, tag) and kept in the session under ``result_key``; an AeError's message instead;
    None with no image. ``tag`` names everything else the result depends on (a model's path
    and mtime)."""
    chosen = draw.current(file_key, pad_key)
    if chosen is None:
        st.session_state.pop(result_key, None)
        return None
    name, data = chosen
    key = hashlib.sha1(data).hexdigest() + tag
    entry = st.session_state.get(result_key)
    if entry is None or entry[0] != key:
        try:
            entry = (key, make(data))
        except AeError as exc:
            entry = (key, f"{name}: {exc}")
        st.session_state[result_key] = entry
    return entry[1]


def how_prepared(config: ModelConfig, dataset: str, then: str) -> str:
    """How an image is prepared for a model of ``config`` trained on ``dataset``
    (``core.images.photo``), then ``then`` ("encoded, and marked on the map with a star")."""
    side = config.image_size
    if not digit_like(dataset):
        what = "colour" if config.colour else "grey"
        return f"Its centre square is resized to the model's {side}×{side} {what} input, {then}."
    fitted = "" if (side, config.image_channels) == (28, 1) else (
        f", fitted to the model's {side}×{side}" + (" colour" if config.colour else ""))
    made = "Fashion-MNIST" if item_like(dataset) else "MNIST"
    return f"It is turned into a 28×28 input the way {made} was made{fitted}, {then}."


def step_images(steps: Preprocessed | Photo, side: int) -> list[tuple[np.ndarray, str]]:
    """The pictures of an image's preparation, with their captions: the picture with its
    centre square boxed (or a digit's ink found, boxed, and freed of its background), then the
    model's ``side``×``side`` input."""
    if isinstance(steps, Photo):
        shown = [(imaging.outline_box(steps.picture, steps.box), "your image, centre boxed")]
    elif steps.kind == "item":
        shown = [(imaging.outline_box(steps.grey, steps.box), "your image, item boxed"),
                 (steps.ink, "background removed")]
    else:
        shown = [(imaging.outline_box(steps.grey, steps.box), "your image, digit boxed"),
                 (steps.ink, "ink, background removed")]
    return [*shown, (steps.image, f"{side}×{side} input")]
