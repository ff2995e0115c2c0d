"""The Compare page: every checkpoint's test-set metrics in one table (headers only), then two
latent maps side by side sharing one selection: a test image clicked on either map is marked
on both and shown as each model decodes its code. The rows come from ``aeexplorer.app.compare``;
the maps are the explorer's (``resources.base_map``), so a click reads the same way."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from aeexplorer.app import compare, figures, views
from aeexplorer.app.anomaly import mse
from aeexplorer.core.checkpoints.metric_table import METRICS
from aeexplorer.core.errors import AeError
from aeexplorer.ui import page_url, pickers, resources
from aeexplorer.ui.image_view import show
from aeexplorer.ui.latent_map import MAP_CONFIG, fmt_z, map_click
from aeexplorer.ui.text import md

if TYPE_CHECKING:
    from aeexplorer.core.checkpoints.file import Checkpoint
    from aeexplorer.ui.resources import MapPoints

SIDES = ("a", "b")
SEL, EVENT = "cmp_sel", "cmp_event"  # the shared selection; the map that sent a select event
NO_ORIGINALS = ("The originals and the per-image MSE need the test images, which are not on "
                "this machine (set AEEXPLORER_DATA to a folder that holds them).")
COLUMNS = {  # label, help
    "name": ("Checkpoint", None), "family": ("Model", "From the stored model and train config"),
    "dataset": ("Dataset", None),
    **{key: (METRICS[key].label, METRICS[key].help) for key in compare.SHOWN}}


@dataclass(frozen=True)
class Side:
    key: str  # "a" or "b"
    path: str
    mtime: float
    name: str


@dataclass(frozen=True)
class Selection:
    dataset: str
    index: int  # the shared test image
    side: str | None = None  # the map clicked on empty space, if it was
    z: tuple[float, float] | None = None  # where (that map's z), if it was


def render(root: Path) -> None:
    talk = page_url.start("compare")
    entries = pickers.usable(root)
    if not talk:  # in talk mode the maps and the selected images take the screen
        st.title("Compare models")
    if not entries:
        st.info("There are no readable checkpoints to compare. Train one, for example "
                "`python -m aeexplorer train --dataset mnist --model vae --epochs 30 --out "
                "runs/mnist-vae.safetensors`, then reload this page.")
        return
    if talk:  # folded away: a talk shows the maps first
        with st.expander("Every checkpoint's test-set figures"):
            _table(root, entries)
    else:
        _table(root, entries)
        st.subheader("Two maps, one selection")
    cols = st.columns(2, gap="medium")
    a = pickers.choose(entries, "Model A", "cmp_a", cols[0], prefer="mnist-vae",
                       wanted=page_url.wanted("ckpt", scene_model=True))
    same = compare.same_dataset(entries, a[1]["dataset"])
    other = next((p.name for p, _ in same if p != a[0]), None)
    b = pickers.choose(same, "Model B (same dataset as A)", f"cmp_b:{a[1]['dataset']}",
                       cols[1], prefer=other, wanted=page_url.wanted("vs"))
    page_url.keep("ckpt", a[0].name)
    page_url.keep("vs", b[0].name)
    if b[0] == a[0]:
        st.caption("A and B are the same model" + (": it is the only one for this dataset."
                                                   if other is None else "."))
    try:
        sides = tuple(_side(k, *pick) for k, pick in zip(SIDES, (a, b)))
        for side in sides:
            resources.atlas(side.path, side.mtime)
    except AeError as exc:
        st.error(f"This checkpoint cannot be loaded: {md(exc)}")
        return
    maps(*sides, a[1]["dataset"], talk)


def _side(key: str, path: Path, card: dict) -> Side:
    return Side(key, str(path), path.stat().st_mtime, path.stem)


def _table(root: Path, entries: list[tuple[Path, dict]]) -> None:
    """The metrics of every checkpoint; "–" where one is missing (−ELBO of an AE, old or
    hand-made files). Numbers stay numbers underneath, so a column sorts by value."""
    import pandas as pd

    rows = compare.table((p.stem, card) for p, card in entries)
    for r in rows:
        r["dataset"] = pickers.DATASET_NAMES.get(r["dataset"], r["dataset"])
    frame = pd.DataFrame(rows, columns=list(COLUMNS)).astype(
        {k: "float64" for k in compare.SHOWN})
    styled = frame.style.format(compare.FORMATS)
    config = {k: st.column_config.Column(label, help=help) for k, (label, help) in
              COLUMNS.items()}
    st.dataframe(styled, hide_index=True, column_config=config, placeholder=compare.MISSING,
                 key="cmp_table")
    st.caption("Test-set figures stored in each checkpoint; no model is loaded. Figures of "
               "different datasets do not compare. Files that cannot be used are listed, with "
               "why, at the foot of the sidebar.")
    for label, names, note in compare.missing_notes((p.stem, card) for p, card in entries):
        st.caption(f"{label} of {md(', '.join(names))}: {md(note.rstrip('.'))}.")


def _event(side: str) -> None:
    st.session_state[EVENT] = side


def _load(side: Side) -> Checkpoint | None:
    try:
        return resources.checkpoint(side.path, side.mtime)
    except AeError as exc:
        st.error(f"Model {side.key.upper()} ({md(side.name)}) cannot be loaded: {md(exc)}")
        return None


def _handle_clicks(sides: tuple[Side, Side], atlases: dict[str, MapPoints],
                   dataset: str) -> str | None:
    """Apply a new click on either map to the shared selection; the map clicked, or None. As
    in the explorer, a chart's state outlives reruns: each selection is applied once."""
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
        st.toast("Nothing selected: click a test point or an empty spot on either map.")
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


def _figure(side: Side, atlas: MapPoints, talk: bool):
    fig = figures.from_dict(resources.base_map(side.path, side.mtime, talk, atlas.bounds))
    fig.update_layout(height=440 if talk else 520)
    if talk:  # talk type: the legend's rows clear of the axis title z₁
        fig.update_layout(legend=dict(y=-0.2))
    pos, serial = st.session_state[f"cmp_marker_{side.key}"]
    if pos is not None:
        figures.add_current(fig, pos, talk)
        fig.data[-1].meta = serial
    return fig


@st.fragment
def maps(a: Side, b: Side, dataset: str, talk: bool) -> None:
    """Both maps and the shared selection; a click reruns only this fragment."""
    sides = (a, b)
    atlases = {s.key: resources.atlas(s.path, s.mtime) for s in sides}
    clicked = _handle_clicks(sides, atlases, dataset)
    sel = st.session_state.get(SEL)
    if sel is not None and sel.dataset != dataset:  # another test set: the index means nothing
        sel = st.session_state[SEL] = None
    # talk mode: the selected images in a third column beside the maps, all on one screen
    cols = st.columns(3 if talk else 2, gap="medium")
    for side, col in zip(sides, cols):
        _marker(side, atlases[side.key], sel, talk, clicked)
        col.plotly_chart(_figure(side, atlases[side.key], talk), key=f"cmp_map_{side.key}",
                         on_select=functools.partial(_event, side.key),
                         selection_mode=("points",),
                         config=MAP_CONFIG, theme=None,
                         alt=f"Latent map of model {side.key.upper()}: click to select")
    with cols[2] if talk else st.container(), st.container(key="cmp_selected"):
        _selected(sides, atlases, sel, talk)


def _selected(sides: tuple[Side, Side], atlases: dict[str, MapPoints], sel: Selection | None,
              talk: bool) -> None:
    if sel is None:
        st.info("Click a test point on either map: it is marked on both, and shown beside A's "
                "and B's decoded codes. A click on empty space decodes that z and selects "
                "the nearest test image.")
        return
    ckpts = {s.key: _load(s) for s in sides}
    if any(c is None for c in ckpts.values()):
        return
    label = _class_of(ckpts["a"], atlases["a"], sel.index)
    originals = resources.originals(ckpts["a"].dataset,
                                   resources.image_shape(ckpts["a"].config))
    original = (originals[sel.index] if not isinstance(originals, str)
                and sel.index < len(originals) else None)
    # talk mode: two rows of two (a third of the screen's width), smaller images
    cols = [c for _ in range(2) for c in st.columns(2)] if talk else st.columns(4)
    rest = cols
    if sel.side is not None:
        clicked = next(s for s in sides if s.key == sel.side)
        with cols[0]:
            st.markdown(f"**Clicked z on {sel.side.upper()}**")
            show(ckpts[sel.side].ops.decode(sel.z)[0],
                 f"decoded by {clicked.name}", talk, big=not talk)
        rest = cols[1:]
    with rest[0]:
        st.markdown(f"**Test image #{sel.index}**")
        if original is not None:
            show(original, f"original · {label}" if label else "original", talk,
                 big=not talk)
        else:
            st.caption(NO_ORIGINALS)
    for side, col in zip(sides, rest[1:]):
        with col:
            _decoded_code(side, ckpts[side.key], sel.index, original, talk)
    if sel.side is not None:
        st.caption(f"You clicked empty space on map {sel.side.upper()} at z = {fmt_z(sel.z)}: "
                   f"that z is decoded on the left, and the shared selection is the nearest "
                   f"test image to that spot on map {sel.side.upper()}, #{sel.index}.")


def _class_of(ckpt: Checkpoint, atlas: MapPoints, index: int) -> str:
    """The class of test image ``index`` by A's atlas; "" where there is none to name
    (unlabelled data, label -1) or no such image."""
    names = ckpt.class_names
    label = int(atlas.labels[index]) if index < len(atlas.labels) else -1
    return str(names[label]) if 0 <= label < len(names) else ""


def _decoded_code(side: Side, ckpt: Checkpoint, index: int, original: np.ndarray | None,
                  talk: bool) -> None:
    st.markdown(f"**{side.key.upper()}** · {md(side.name)}")
    if index >= len(ckpt.atlas.labels):
        st.caption(f"This model's atlas has no test image #{index}.")
        return
    decoded = views.decoded_codes(ckpt, [index])[0]
    # the test images on this machine may not be the model's shape (another image size)
    fits = original is not None and original.shape == decoded.shape
    error = f" · MSE {mse(original, decoded):.4f}" if fits else ""
    show(decoded, f"{side.key.upper()}'s decoded code{error}", talk, big=not talk)
