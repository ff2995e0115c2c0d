"""The selected point beside the map: the decoded image of what was clicked (a test image,
with its original, or a spot of the map), and what it is."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from aeexplorer.app import views
from aeexplorer.ui import resources, state
from aeexplorer.ui.image_view import image_html
from aeexplorer.ui.latent_map import fmt_z
from aeexplorer.ui.text import md

if TYPE_CHECKING:
    from aeexplorer.core.checkpoints.file import Checkpoint
    from aeexplorer.ui.resources import MapPoints


def selected_panel(load: Callable[[], Checkpoint], atlas: MapPoints, talk: bool) -> None:
    """The decoded image of the selected point, with what it is. Drawn as one block (images
    and text in a single element): each element of the map view is redrawn on every click."""
    s = state.scene()
    with st.container(key="decoded"):
        st.subheader("Selected point")
        if s.z is None:
            st.info("Click anywhere on the map: a test image shows its original and its "
                    "decoded code; empty space is decoded as it is.")
            return
        ckpt = load()
        index = s.index if s.index is not None and s.index < len(atlas.labels) else None
        z = views.code_of(ckpt, index) if index is not None else views.full_z(ckpt, s.z)
        decoded = image_html(ckpt.ops.decode(z)[0], "decoded z" if index is None
                             else "decoded code", talk)
        if index is None:
            nearby = _nearby(atlas, ckpt.class_names, s.z) if ckpt.class_names else ""
            st.markdown(f"{decoded}\n\n**z = {fmt_z(z)}** — {_where(atlas, s.z)}, decoded."
                        f"\n\n{nearby}", unsafe_allow_html=True)
            return
        name = views.class_name(ckpt.class_names, atlas.labels[index])
        what = f" · class **{md(name)}**" if name is not None else ""
        st.markdown(f'<div class="ae-row">{_original(ckpt, index, talk)}{decoded}</div>'
                    f"\n\n**Test image #{index}**{what} · z = {fmt_z(z)}",
                    unsafe_allow_html=True)


def _where(atlas: MapPoints, xy: tuple[float, float]) -> str:
    """A clicked spot that is no test image: empty space, or a spot among the test images'
    dots (a click between a dense cluster's dots lands on the click grid, not on a dot)."""
    gap = atlas.index.nearest(np.asarray(xy, dtype=np.float64), 1).distances
    empty = len(gap) == 0 or views.is_empty_space(float(gap[0]), atlas.bounds)
    return "a point of empty space" if empty else "a point among the test images"


def _nearby(atlas: MapPoints, names: tuple[str, ...], xy: tuple[float, float]) -> str:
    """The classes of the test points nearest to the clicked spot on the map (the map shows
    z₁, z₂: for a deeper latent the spot is a 2-D position, so the search is on the map)."""
    near = atlas.index.nearest(np.asarray(xy, dtype=np.float64), 5)
    return ('<span class="ae-note">Nearest test points, nearest first: '
            + " · ".join(html.escape(views.class_name(names, lab) or "no label")
                         for lab in near.labels) + "</span>")


def _original(ckpt, index: int, talk: bool) -> str:
    images = resources.originals(ckpt.dataset, resources.image_shape(ckpt.config))
    if isinstance(images, str):
        return ('<span class="ae-note">The original is not available: the test images are '
                "not on this machine (set AEEXPLORER_DATA to show them).</span>")
    return image_html(images[index], "original", talk) if index < len(images) else ""
