"""Small display helpers shared by the panels."""

from __future__ import annotations

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
    """A 28x28 image enlarged with crisp pixels; any larger image shown at the same width."""
    side = 28 * scale(talk, big)
    factor = max(1, side // max(image.shape[:2]))
    st.image(imaging.to_png(image, factor), caption=caption, width=side)


def fmt_z(z) -> str:
    shown = ", ".join(f"{float(v):.3f}" for v in list(z)[:4])
    return f"({shown}, …)" if len(z) > 4 else f"({shown})"
