"""Images on the page: a model's image, grey or colour, enlarged with crisp pixels to a size
that reads the same whatever its side, inline in the page."""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from aeexplorer.app import imaging
from aeexplorer.core.models.config import MAX_SIDE


def scale(talk: bool, big: bool = True) -> int:
    """Nearest-neighbour enlargement of a 28-pixel image (MNIST's): 140 px, 252 px in talk
    mode (``shown_px`` sizes images of any side from it)."""
    if big:
        return 9 if talk else 5
    return 6 if talk else 3


def shown_px(side: int, talk: bool, big: bool = True) -> int:
    """The width an image ``side`` pixels a side is shown at: as wide as a 28-pixel one
    (``scale``) when it is smaller, wider as it grows, up to twice that at 56 pixels and
    more (a 32-pixel image 160 px, a 64-pixel one 280 px)."""
    return min(max(int(side), 28), 56) * scale(talk, big)


def enlarge(side: int, at_28: int) -> int:
    """The whole enlargement that shows an image ``side`` pixels a side about as large as a
    28-pixel one enlarged ``at_28`` times (at least 1): for strips, grids and downloads."""
    return max(1, round(at_28 * 28 / max(int(side), 1)))


def show(image: np.ndarray, caption: str | None = None, talk: bool = False,
         big: bool = True) -> None:
    """An image, grey or colour, enlarged with crisp pixels: a model's image (square, at most
    MAX_SIDE) ``shown_px`` wide, any other (a photo, a pair side by side) as wide as a
    28-pixel one.
    Inline (a data URI in the page, a few kB): it arrives with the click's reply instead of
    through a second request that would wait while the server redraws the map."""
    st.markdown(image_html(image, caption, talk, big), unsafe_allow_html=True)


def image_html(image: np.ndarray, caption: str | None = None, talk: bool = False,
               big: bool = True) -> str:
    """The HTML that ``show`` draws, for a block that holds more than one image."""
    h, w = image.shape[:2]
    side = shown_px(h if h == w and h <= MAX_SIDE else 28, talk, big)
    factor = max(1, side // max(h, w))
    uri = imaging.data_uri(imaging.to_png(image, factor))
    text = html.escape(caption or "")
    return (f'<figure class="ae-image"><img src="{uri}" width="{side}" alt="{text}">'
            f"<figcaption>{text}</figcaption></figure>")
