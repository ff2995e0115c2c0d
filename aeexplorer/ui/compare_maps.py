"""Compare's maps: two or three latent maps side by side, linked under the pointer (each model
decodes the pointer's z in the page, a ring marks it on the other maps: ``inpage.linked``)
and sharing one selection: a test image clicked on any map is marked on all and shown, under
each map, beside that model's decoding of its code. The maps are the explorer's
(``resources.base_map``), so a click reads the same way."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from aeexplorer.app import figures, views
from aeexplorer.app.anomaly import mse
from aeexplorer.core.errors import AeError
from aeexplorer.ui import resources
from aeexplorer.ui.inpage.linked import LinkedMap, linked_maps
from aeexplorer.ui.image_view import image_html
from aeexplorer.ui.latent_map import MAP_CONFIG, fmt_z, map_click
from aeexplorer.ui.text import md

if TYPE_CHECKING:
    from aeexplorer.core.checkpoints.file import Checkpoint
    from aeexplorer.ui.resources import MapPoints

SEL, EVENT = "cmp_sel", "cmp_event"  # the shared selection; the map that sent a select event
NO_ORIGINALS = ("The originals and the per-image MSE need the test images, which are not on "
                "this machine (set AEEXPLORER_DATA to a folder that holds them).")
NO_DECODER = ("No decoder: a reference map only places the test images. Its coordinates are "
              "not the models' z, so it is not linked to their maps; a click selects a test "
              "image on all of them.")
HINT = ("Point at any map: every model decodes that z here, and a ring marks it on the other "
        "maps. Click a test point on any map to select it on all of them.")


@dataclass(frozen=True)
class Side:
    key: str  # "a", "b" or "c"
    path: str
    mtime: float
    name: str
    family: str  # the model family, as the pickers name it ("VAE", "denoising AE (…)")
    reference: bool = False  # a reference map (t-SNE, UMAP): no model, no decoder

    @property
    def label(self) -> str:
        return self.key.upper()


@dataclass(frozen=True)
class Selection:
    dataset: str
    index: int  # the shared test image
    side: str | None = None  # the map clicked on empty space, if it was
    z: tuple[float, float] | None = None  # where (that map's z), if it was


def atlas_of(side: Side) -> MapPoints:
    """A side's map: a model's atlas, or a reference map's points."""
    if side.reference:
        return resources.reference_atlas(side.path, side.mtime)
    return resources.atlas(side.path, side.mtime)


def _event(side: str) -> None:
    st.session_state[EVENT] = side


def _load(side: Side) -> Checkpoint | None:
    try:
        return resources.checkpoint(side.path, side.mtime)
    except AeError as exc:
        st.error(f"Model {side.label} ({md(side.name)}) cannot be loaded: {md(exc)}")
        return None


def _handle_clicks(sides: tuple[Side, ...], atlases: dict[str, MapPoints],
                   dataset: str) -> str | None:
    """Apply a new click on any map to the shared selection; the map clicked, or None. As in
    the explorer, a chart's state outlives reruns: each selection is applied once."""
    clicked = None
    for side in sides:
        click, new = map_click(f"cmp_map_{side.key}", f"cmp_last_{side.key}")
        if not new:
            continue
        z, index = click
        atlas = atlases[side.key]
        if index is not None and index < len(atlas.labels):
            st.session_state[SEL] = Selection(dataset, index)
        elif len(atlas.labels):  # empty space: the test image nearest to it on this map
            near = atlas.index.nearest(z, 1)
            st.session_state[SEL] = Selection(dataset, int(near.indices[0]), side.key, z)
        clicked = side.key
    if st.session_state.pop(EVENT, None) and clicked is None:
        st.toast("Nothing selected: click a test point or an empty spot on any map.")
    return clicked


def _marker(side: Side, atlas: MapPoints, sel: Selection | None, talk: bool,
            clicked: str | None) -> None:
    """Where this map marks the selection. A map just clicked is left as it is: the browser
    shows the clicked point picked and keeps the zoom. Otherwise the marker moves, with a new
    serial so that the figure (and the chart's stale selection) is always replaced."""
    view = (side.path, side.mtime, talk)
    key = f"cmp_marker_{side.key}"
    moved = clicked is not None and clicked != side.key
    if st.session_state.get(f"cmp_view_{side.key}") != view or moved or key not in \
            st.session_state:
        if sel is None:
            pos = None
        elif sel.side == side.key and sel.z is not None:
            pos = sel.z
        else:
            pos = (tuple(float(v) for v in atlas.xy[sel.index]) if sel.index < len(atlas.xy)
                   else None)
        serial = st.session_state.get(key, (None, 0))[1] + 1
        st.session_state[key] = (pos, serial)
        st.session_state[f"cmp_last_{side.key}"] = None  # the replaced chart starts empty
    st.session_state[f"cmp_view_{side.key}"] = view


def _figure(side: Side, atlas: MapPoints, talk: bool, n: int, dataset: str):
    base = (resources.reference_map(side.path, side.mtime, dataset, talk, atlas.bounds)
            if side.reference else resources.base_map(side.path, side.mtime, talk, atlas.bounds))
    fig = figures.from_dict(base)
    if talk:  # as high as the window leaves (``style``): the images under it in view too
        fig.update_layout(height=None, autosize=True, legend=dict(y=-0.2))
    else:
        fig.update_layout(height=520 if n < 3 else 380)  # three: narrower, so lower
    pos, serial = st.session_state[f"cmp_marker_{side.key}"]
    if pos is not None:
        figures.add_current(fig, pos, talk)
        fig.data[-1].meta = serial
    return fig


@st.fragment
def maps(sides: tuple[Side, ...], dataset: str, talk: bool) -> None:
    """The maps, the linked decoding under the pointer and the shared selection; a click
    reruns only this fragment."""
    atlases = {s.key: atlas_of(s) for s in sides}
    clicked = _handle_clicks(sides, atlases, dataset)
    sel = st.session_state.get(SEL)
    if sel is not None and sel.dataset != dataset:  # another test set: the index means nothing
        sel = st.session_state[SEL] = None
    for side, col in zip(sides, st.columns(len(sides), gap="medium")):
        _marker(side, atlases[side.key], sel, talk, clicked)
        with col, st.container(key=f"cmp_box_{side.key}" if talk else None):
            st.plotly_chart(_figure(side, atlases[side.key], talk, len(sides), dataset),
                            key=f"cmp_map_{side.key}",
                            on_select=functools.partial(_event, side.key),
                            selection_mode=("points",), config=MAP_CONFIG, theme=None,
                            height="stretch" if talk else "content",
                            alt=f"Latent map of model {side.label}: click to select")
    with st.container(key="cmp_selected"):
        _selected(sides, atlases, sel, talk)
        linked_maps("cmp_linked", [LinkedMap(f"{s.label} · {s.family}", f"cmp_map_{s.key}",
                                             f"cmp_cell_{s.key}", s.path, s.mtime,
                                             NO_DECODER if s.reference else "", s.reference)
                                   for s in sides], talk)


def _selected(sides: tuple[Side, ...], atlases: dict[str, MapPoints], sel: Selection | None,
              talk: bool) -> None:
    """Under each map, its block: the shared selection as that model shows it."""
    cols = st.columns(len(sides), gap="medium")
    if sel is None:
        for side, col in zip(sides, cols):
            with col, st.container(key=f"cmp_cell_{side.key}"):
                st.markdown(f"**{side.label}** · {md(side.family)}")
                st.caption(HINT if side is sides[0] else
                           f"{side.label}'s decoding of the z under the pointer shows here.")
        return
    ckpts = {s.key: _load(s) for s in sides if not s.reference}
    if any(c is None for c in ckpts.values()):
        return
    first = ckpts[sides[0].key]
    label = _class_of(first, atlases[sides[0].key], sel.index)
    originals = resources.originals(first.dataset, resources.image_shape(first.config))
    original = (originals[sel.index] if not isinstance(originals, str)
                and sel.index < len(originals) else None)
    for side, col in zip(sides, cols):
        with col, st.container(key=f"cmp_cell_{side.key}"):
            if side.reference:
                _reference_cell(side, sel, original, label, talk)
            else:
                _cell(side, ckpts[side.key], sel, original, label, talk)
    if original is None:
        st.caption(f"Test image #{sel.index}. {NO_ORIGINALS}")
    if sel.side is not None:
        on = next(s for s in sides if s.key == sel.side)
        decoded = "" if on.reference else "that z is decoded under it, and "
        where = fmt_z(sel.z) if on.reference else f"z = {fmt_z(sel.z)}"
        st.caption(f"You clicked empty space on map {on.label} at {where}: {decoded}"
                   f"the shared selection is the nearest test image to that spot on map "
                   f"{on.label}, #{sel.index}.")


def _cell(side: Side, ckpt: Checkpoint, sel: Selection, original: np.ndarray | None,
          label: str, talk: bool) -> None:
    """One model's block: the clicked z decoded (on the map clicked on empty space), the
    original, and this model's decoding of the test image's code with its MSE."""
    st.markdown(f"**{side.label}** · {md(side.family)}")
    images = []  # short captions: three images share a third of a projector's width
    if sel.side == side.key and sel.z is not None:
        images.append(image_html(ckpt.ops.decode(sel.z)[0], "clicked z", talk, big=not talk))
    named = f"test image #{sel.index}"
    images.append(image_html(original, f"{named} · {label}" if label else named, talk,
                             big=not talk) if original is not None else "")
    if sel.index >= len(ckpt.atlas.labels):
        st.markdown(f'<div class="ae-row">{"".join(images)}</div>', unsafe_allow_html=True)
        st.caption(f"This model's atlas has no test image #{sel.index}.")
        return
    decoded = views.decoded_codes(ckpt, [sel.index])[0]
    # the test images on this machine may not be the model's shape (another image size)
    fits = original is not None and original.shape == decoded.shape
    error = f" · MSE {mse(original, decoded):.4f}" if fits else ""
    images.append(image_html(decoded, f"decoded{error}", talk, big=not talk))
    st.markdown(f'<div class="ae-row">{"".join(images)}</div>', unsafe_allow_html=True)


def _reference_cell(side: Side, sel: Selection, original: np.ndarray | None, label: str,
                    talk: bool) -> None:
    """A reference map's block: the test image it places there, and nothing decoded."""
    st.markdown(f"**{side.label}** · {md(side.family)}")
    named = f"test image #{sel.index}"
    if original is not None:
        shown = image_html(original, f"{named} · {label}" if label else named, talk,
                           big=not talk)
        st.markdown(f'<div class="ae-row">{shown}</div>', unsafe_allow_html=True)
    clicked = " (the test image nearest to the spot clicked)" if sel.side == side.key else ""
    st.caption(f"No decoder: this map only places the test images{clicked}.")


def _class_of(ckpt: Checkpoint, atlas: MapPoints, index: int) -> str:
    """The class of test image ``index`` by A's atlas; "" where there is none to name
    (unlabelled data, label -1) or no such image."""
    names = ckpt.class_names
    label = int(atlas.labels[index]) if index < len(atlas.labels) else -1
    return str(names[label]) if 0 <= label < len(names) else ""
