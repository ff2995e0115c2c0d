"""The explorer fragment: the latent map, the selected point and the tool tabs. A click or a
widget inside reruns only this fragment; the model stays loaded (see ``resources``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from aeexplorer.app import density, figures
from aeexplorer.core.errors import AeError
from aeexplorer.ui import resources, state
from aeexplorer.ui.explorer import live, panels, similar
from aeexplorer.ui.explorer import stops as path_stops
from aeexplorer.ui.explorer.selected import selected_panel
from aeexplorer.ui.explorer.similar import similar_panel
from aeexplorer.ui.latent_map import MAP_CONFIG, dot_caption, map_click
from aeexplorer.ui.sidebar import MapOptions
from aeexplorer.ui.text import md

if TYPE_CHECKING:
    from aeexplorer.app.scene import Scene
    from aeexplorer.core.checkpoints.file import Checkpoint
    from aeexplorer.ui.resources import MapPoints

LAST_CLICK, VIEW, MARKER, SHOWN_Z = "_last_click", "_map_view", "_map_marker", "_map_z"
MAP_EVENT = "_map_event"
WARM_UP_RUNS = "_warm_up_runs"
SIMILAR = state.TAB_LABELS["similar"]
_OVERLAYS = ("your image", "prior samples")  # ``figures.add_upload``, ``add_samples``


def _map_event() -> None:
    st.session_state[MAP_EVENT] = True


def handle_click() -> bool:
    """Apply a new map selection to the scene, before anything is drawn. The chart's state
    persists across reruns, so each selection is applied once (by its signature)."""
    click, new = map_click(state.MAP, LAST_CLICK)
    if st.session_state.pop(MAP_EVENT, False) and click is None:
        st.toast("Nothing selected: click a test point or any empty spot on the map to decode "
                 "it (a double-click clears the selection and zooms out).")
    if not new:
        return False
    z, index = click
    state.select(z, index)
    if st.session_state.get(state.CLICK_MODE) == state.ADD_STOP:
        state.add_stop(z)
    return True


@st.fragment
def explorer(path: str, mtime: float, opts: MapOptions, talk: bool) -> None:
    """The map view and, under it, the tool tabs. A widget in the tabs reruns this fragment
    (and so the map, whose overlays they change); a click on the map reruns only the map view.
    The map view writes the scene to the URL: the tabs change the scene only in callbacks,
    which run before it."""
    load = functools.partial(_load, path, mtime)
    atlas = resources.atlas(path, mtime)
    panels.refresh_upload(load, f"{path}:{mtime}")
    if not talk:  # in talk mode it sits beside the map (see ``map_view``)
        path_stops.click_mode()
    walk, samples = map_view(path, mtime, opts, talk)
    if not resources.torch_ready():  # a first visit to a fresh server: see ``_warm_up``
        st.session_state[WARM_UP_RUNS] = 0
        _warm_up()
        return
    _tools(load(), atlas, state.current(), walk, samples, talk, (path, mtime))


@st.fragment(run_every=0.3)
def _warm_up() -> None:
    """On a fresh server, the tool tabs (which need the model, and so torch) are drawn in a
    second run, which the browser asks for once it has drawn the page (this fragment's timer
    runs in the browser, and fires when its main thread is free). The first visit then does
    not import torch while the browser draws the map on the same CPU cores."""
    runs = st.session_state.get(WARM_UP_RUNS, 0)
    st.session_state[WARM_UP_RUNS] = runs + 1
    if runs == 0:  # drawn by the page run itself: the timer's run does the work
        st.caption("Loading the model for the tools below…")
        return
    with st.spinner("Loading the model for the tools below…"):
        resources.import_torch()
    st.rerun()  # the whole page, with the tools; the timer stops with it


@st.fragment
def map_view(path: str, mtime: float, opts: MapOptions, talk: bool) -> tuple:
    """The map and the selected point: the fragment a click on the map reruns. It is kept
    small because a click is only as fast as this rerun: with the tool tabs in it, their
    dozens of elements would be sent and redrawn by the browser on each click. The model (and
    so torch) is loaded only once something needs it: on a first visit the map, which needs
    only the atlas, is on screen while torch is still importing.
    Returns the map's overlays (see ``_overlays``) for the tabs drawn after it in the same
    run (a fragment's own reruns drop the value)."""
    load = functools.partial(_load, path, mtime)
    atlas = resources.atlas(path, mtime)
    clicked = handle_click()
    # a stroke on talk mode's pad beside the map reruns only this fragment: placed here
    drawn = panels.refresh_upload(load, f"{path}:{mtime}")
    s = state.current()
    walk, samples = _overlays(load, s)
    # beside the map, what one watches while the pointer is on it: the image, the walk's
    # player; in talk mode (the map takes the screen's height) what a click does too, and
    # the drawing pad
    left, right = st.columns([3, 2] if talk else [2, 1], gap="medium")
    with right, st.container(key="talkside" if talk else "side"):
        if talk:  # the pad's switch in a row with it: the column's height is the screen's
            path_stops.click_mode(talk, lambda row: row.toggle(
                "Draw", key=panels.SIDE_DRAW, on_change=panels.side_switched))
        if talk and st.session_state.get(panels.SIDE_DRAW):
            panels.side_pad(load(), talk)
        else:
            _beside(path, mtime, load, atlas, s, walk, talk)
    with left:
        _map(path, mtime, atlas, s, opts, talk, walk, samples, clicked)
    state.sync_url()
    if (clicked and _tools_follow_clicks()) or drawn:
        st.rerun()  # the tabs show this click or drawing too: redraw them
    return walk, samples


def _beside(path: str, mtime: float, load: Callable[[], Checkpoint], atlas: MapPoints,
            s: Scene, walk, talk: bool) -> None:
    """The selected point, the panel under the pointer and the walk's player."""
    # first: the decoded image reaches the browser before the map's redraw
    selected_panel(load, atlas, talk)
    # after it: a selected point may load the model; a fresh server's first run with
    # nothing selected draws the map without torch, and the panel comes with the tools
    if resources.torch_ready():
        _hover_panel(path, mtime, talk)
        if walk is not None:  # beside the map: watch the marker and press Pause at once
            live.player(path, mtime, load(), walk, s.stops, s.method, talk)


def _hover_panel(path: str, mtime: float, talk: bool) -> None:
    """The decoded z under the pointer, once the model has loaded (a model that cannot load
    says so under the map)."""
    try:
        ckpt = resources.checkpoint(path, mtime)
    except AeError:
        return
    live.hover_panel(path, mtime, ckpt, talk)


def _tools_follow_clicks() -> bool:
    """Whether a click changes what the tool tabs show: a new path stop, or the images
    similar to the selected point while that tab is open."""
    return (st.session_state.get(state.CLICK_MODE) == state.ADD_STOP
            or st.session_state.get(state.TAB) == SIMILAR)


def _overlays(load: Callable[[], Checkpoint], s: Scene) -> tuple:
    """The decoded walk along the path (None under two stops) and the prior samples (None
    unless they are marked on the map): both drawn on the map and in their tabs."""
    walk = load().ops.walk(s.stops, s.frames, s.method) if len(s.stops) >= 2 else None
    samples = (load().ops.prior(s.samples, s.seed, s.temperature)
               if st.session_state.get(state.SHOW_SAMPLES) else None)
    return walk, samples


def _map(path: str, mtime: float, atlas: MapPoints, s: Scene, opts: MapOptions, talk: bool,
         walk, samples, clicked: bool) -> None:
    fig = _figure(path, mtime, atlas, s, opts, talk, walk, samples, clicked)
    if talk:  # as high as the window (see ``style``): no fixed height, the legend beside it,
        # at the foot: at the top Plotly's toolbar would lie over it whenever the pointer is in
        fig.update_layout(height=None, autosize=True, margin=dict(l=10, r=10, t=10, b=10),
                          legend=dict(orientation="v", x=1.02, y=0, yanchor="bottom",
                                      font=dict(size=22)))
        # the legend's width is taken from the map's: an overlay's entry (wider than a
        # class's) would shrink the map as it comes; the side column says what the star is
        fig.update_traces(showlegend=False, selector=lambda t: t.name in _OVERLAYS)
    with st.container(key="talkmap" if talk else "map_box"):
        # the caption in the map's box: in talk mode the map takes the box's height less it
        names = resources.card(path, mtime)["classes"]
        st.caption(dot_caption(names, opts.by_colour and len(atlas.xy) <= density.MAX_POINTS))
        st.plotly_chart(fig, key=state.MAP, on_select=_map_event, selection_mode=("points",),
                        config=MAP_CONFIG, theme=None, height="stretch" if talk else "content",
                        alt="Latent map: the test set's codes coloured by class; click to "
                            "decode")
    if far := atlas.outside:  # see ``views.map_bounds``
        st.caption(f"{far} test image{'s lie' if far > 1 else ' lies'} far outside this "
                   "view, left out so as not to squash the map: scroll to zoom out and see "
                   f"{'them' if far > 1 else 'it'}.")


def _tools(ckpt: Checkpoint, atlas: MapPoints, s: Scene, walk, samples, talk: bool,
           file: tuple[str, float]) -> None:
    """The tool tabs under the map."""
    if samples is None:
        samples = ckpt.ops.prior(s.samples, s.seed, s.temperature)
    # The tab in view is tracked (a switch reruns this fragment) so that the similar-images
    # search runs only while its tab is open, not on every click on the map. The other tabs
    # draw always: their widgets would lose their values (and an upload its file) unseen.
    tab_path, tab_samples, tab_upload, tab_similar = st.tabs(
        list(state.TAB_LABELS.values()), key=state.TAB, on_change="rerun")
    with tab_path:
        panels.path_panel(ckpt, atlas, walk, talk, file)
    with tab_samples:
        panels.samples_panel(ckpt, samples, talk)
    with tab_upload:
        panels.upload_panel(ckpt, atlas, talk)
    with tab_similar:
        similar_panel(ckpt, atlas, talk, tab_similar.open)


def _load(path: str, mtime: float) -> Checkpoint:
    """The model; a file whose header and atlas read well but whose weights do not gets one
    message under the map, and this run ends there."""
    try:
        return resources.checkpoint(path, mtime)
    except AeError as exc:
        st.error(f"This checkpoint's model cannot be loaded: {md(exc)}")
        st.stop()


def _figure(path: str, mtime: float, atlas: MapPoints, s: Scene, opts: MapOptions, talk: bool,
            walk, samples, clicked: bool):
    """The map. The current-z marker is drawn where z was last set by other means than a click
    on this very figure: after a plain click the figure stays the same, so the browser keeps the
    chart (and the user's zoom) and shows the clicked point in the picked style instead."""
    show_samples = bool(st.session_state.get(state.SHOW_SAMPLES))
    placed = panels.current_upload()
    near = (similar.rings(_load(path, mtime), atlas)
            if st.session_state.get(state.TAB) == SIMILAR else None)
    ringed = tuple(near.indices.tolist()) if near is not None else ()
    view = (path, mtime, talk, opts, ringed, tuple(s.stops),
            (s.frames, s.method) if len(s.stops) >= 2 else None, show_samples,
            (s.samples, s.seed, s.temperature) if show_samples else None,
            tuple(placed.z[:2]) if placed else None)
    moved = s.z != st.session_state.get(SHOWN_Z) and not clicked
    if st.session_state.get(VIEW) != view or moved or MARKER not in st.session_state:
        st.session_state[MARKER] = s.z
    st.session_state[VIEW], st.session_state[SHOWN_Z] = view, s.z
    # the ranges are the atlas's (and a link's path stops'): an overlay (prior samples, an
    # upload's star) never rescales the map under the audience's eyes (issue 25)
    bounds = figures.widen(atlas.bounds, np.array(list(s.stops), dtype=np.float32).reshape(-1, 2))
    if opts.by_colour:
        _load(path, mtime)  # the dots' colours are decoded: a model that cannot load says so
    fig = figures.from_dict(resources.base_map(path, mtime, talk, bounds, opts.by_colour))
    if opts.manifold:
        _load(path, mtime)  # the manifold is decoded: a model that cannot load says so first
        uri, extent = resources.manifold(path, mtime, opts.x_range, opts.y_range, opts.tiles)
        figures.add_manifold(fig, uri, extent)
    if walk is not None:
        figures.add_path(fig, walk[0][:, :2], s.stops, talk)
    elif s.stops:
        figures.add_path(fig, np.array(s.stops, dtype=np.float32), s.stops, talk)
    _found(fig, atlas, opts, ringed, talk)
    if show_samples:
        figures.add_samples(fig, samples[0][:, :2], talk)
    if placed is not None:
        figures.add_upload(fig, placed.z, talk)
    if st.session_state[MARKER] is not None:
        figures.add_current(fig, st.session_state[MARKER], talk)
    return fig


def _found(fig, atlas: MapPoints, opts: MapOptions, ringed: tuple, talk: bool) -> None:
    """What the sidebar's find and the Similar images tab point at: a class standing out,
    the selected point's nearest test images ringed, a test image found by its index."""
    if opts.find_class is not None:
        figures.dim_classes(fig, opts.find_class)
    if ringed:
        figures.add_rings(fig, atlas.xy, ringed, "nearest neighbour", talk)
    if opts.find_index is not None and opts.find_index < len(atlas.labels):
        figures.add_rings(fig, atlas.xy, [opts.find_index], "found", talk, "#e4572e", 26)
