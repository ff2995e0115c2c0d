"""Small helpers shared by the pages and panels: image display, the latent maps' chart
config and its clicks, a new-seed button callback."""

from __future__ import annotations

import html
import json

import numpy as np
import streamlit as st

from aeexplorer.app import figures, imaging
from aeexplorer.core.models.config import MAX_SIDE

# every clickable latent map (explorer, Compare, Anomalies): zoom by wheel, no box select
MAP_CONFIG = {"doubleClickDelay": 100, "displaylogo": False, "scrollZoom": True,
              "modeBarButtonsToRemove": ["select2d", "lasso2d", "toImage"]}
SEED_MAX = 2**31 - 1


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


def fmt_z(z) -> str:
    """A code for the reader: 3 decimals, the first 4 dimensions (a value that rounds to zero
    is 0.000, not -0.000)."""
    shown = ", ".join(f"{float(v):.3f}".replace("-0.000", "0.000") for v in list(z)[:4])
    return f"({shown}, …)" if len(z) > 4 else f"({shown})"


def map_click(chart_key: str, last_key: str) -> tuple[tuple | None, bool]:
    """The click (z, index) held by the selection of the map with widget key ``chart_key``,
    and whether it is new. A chart's state outlives reruns, so a selection counts as new once
    (its signature is kept under ``last_key``); an empty selection is never new."""
    event = st.session_state.get(chart_key)
    selection = dict(event.selection) if event else None
    click = figures.read_click(dot_first(selection))
    signature = json.dumps(selection, sort_keys=True, default=str) if click else None
    new = signature != st.session_state.get(last_key)
    st.session_state[last_key] = signature
    return click, new and click is not None


def dot_first(selection: dict | None) -> dict | None:
    """A click's selection with one test point in it when it holds any. A click selects every
    point under the pointer: on a dot that can be the dot and a cell of the invisible click
    grid beneath it, or, where dots crowd, several dots; read as one, they would average to a
    spot of empty space. The dot nearest where the click landed (the grid cells', else the
    dots' mean) wins. A box or a lasso is left as it is."""
    if not selection or selection.get("box") or selection.get("lasso"):
        return selection
    points = [p for p in selection.get("points") or [] if "x" in p and "y" in p]
    dots = [p for p in points if figures.read_click({"points": [p]})[1] is not None]
    if not dots or len(points) == 1:
        return selection
    landed = [p for p in points if p not in dots] or dots
    x, y = (float(np.mean([float(p[k]) for p in landed])) for k in ("x", "y"))
    dot = min(dots, key=lambda p: (float(p["x"]) - x) ** 2 + (float(p["y"]) - y) ** 2)
    return {**selection, "points": [dot]}


def new_seed(key: str) -> None:
    """A button callback: the seed in session state ``key`` moves to the next one."""
    st.session_state[key] = (int(st.session_state.get(key, 0)) + 1) % SEED_MAX
