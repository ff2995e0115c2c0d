"""Small display helpers shared by the panels."""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from aeexplorer import imaging


def scale(talk: bool, big: bool = True) -> int:
    """Nearest-neighbour enlargement of a 28-pixel image: 140 px, 252 px in talk mode."""
    if big:
        return 9 if talk else 5
    return 6 if talk else 3


def show(image: np.ndarray, caption: str | None = None, talk: bool = False,
         big: bool = True) -> None:
    """A 28x28 image enlarged with crisp pixels; any larger image shown at the same width.
    Inline (a data URI in the page, a few kB): it arrives with the click's reply instead of
    through a second request that would wait while the server redraws the map."""
    side = 28 * scale(talk, big)
    factor = max(1, side // max(image.shape[:2]))
    uri = imaging.data_uri(imaging.to_png(image, factor))
    text = html.escape(caption or "")
    st.markdown(f'<figure class="ae-image"><img src="{uri}" width="{side}" alt="{text}">'
                f"<figcaption>{text}</figcaption></figure>", unsafe_allow_html=True)


def fmt_z(z) -> str:
    shown = ", ".join(f"{float(v):.3f}" for v in list(z)[:4])
    return f"({shown}, …)" if len(z) > 4 else f"({shown})"
