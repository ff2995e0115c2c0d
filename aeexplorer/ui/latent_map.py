"""The clickable latent maps of the pages (Explorer, Compare, Anomalies): their chart config,
the click a map's selection holds, and a code (a point of the map) in words."""

from __future__ import annotations

import json

import numpy as np
import streamlit as st

from aeexplorer.app import figures

# every clickable latent map (explorer, Compare, Anomalies): zoom by wheel, no box select
MAP_CONFIG = {"doubleClickDelay": 100, "displaylogo": False, "scrollZoom": True,
              "modeBarButtonsToRemove": ["select2d", "lasso2d", "toImage"]}


def dot_caption(class_names: tuple[str, ...], by_colour: bool = False) -> str:
    """The one line under a map that says what a dot is (issue 25)."""
    what = "Each dot is a test image, placed at its code z (z₁, z₂)"
    if by_colour:
        return f"{what}; colour = its decoded image's colour."
    if class_names:
        return f"{what}; colour = its {figures.legend_title(class_names)}."
    return f"{what}."


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


def fmt_z(z) -> str:
    """A code for the reader: 3 decimals, the first 4 dimensions (a value that rounds to zero
    is 0.000, not -0.000)."""
    shown = ", ".join(f"{float(v):.3f}".replace("-0.000", "0.000") for v in list(z)[:4])
    return f"({shown}, …)" if len(z) > 4 else f"({shown})"
