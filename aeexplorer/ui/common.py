"""Small helpers shared by the pages and panels: image display, the latent maps' chart
config and its clicks, a new-seed button callback."""

from __future__ import annotations

import html
import json

import numpy as np
import streamlit as st

from aeexplorer.app import figures, imaging

# every clickable latent map (explorer, Compare, Anomalies): zoom by wheel, no box select
MAP_CONFIG = {"doubleClickDelay": 100, "displaylogo": False, "scrollZoom": True,
              "modeBarButtonsToRemove": ["select2d", "lasso2d", "toImage"]}
SEED_MAX = 2**31 - 1


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
    st.markdown(image_html(image, caption, talk, big), unsafe_allow_html=True)


def image_html(image: np.ndarray, caption: str | None = None, talk: bool = False,
               big: bool = True) -> str:
    """The HTML that ``show`` draws, for a block that holds more than one image."""
    side = 28 * scale(talk, big)
    factor = max(1, side // max(image.shape[:2]))
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
