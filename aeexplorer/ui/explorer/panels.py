"""The tool tabs under the map: interpolation paths, prior samples, your own image."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from aeexplorer.app import imaging, views
from aeexplorer.app.figures import stop_name
from aeexplorer.app.scene import N_FRAMES, N_SAMPLES, TEMPERATURE
from aeexplorer.ui import draw, resources, state
from aeexplorer.ui.explorer import onepage
from aeexplorer.ui.explorer import stops as path_stops
from aeexplorer.ui.image_view import enlarge, scale, show
from aeexplorer.ui.latent_map import fmt_z
from aeexplorer.ui.state import new_seed
from aeexplorer.ui.text import md
from aeexplorer.ui.uploads import (cached_upload, file_input, how_prepared, step_images,
                                   upload_label, uploader)

if TYPE_CHECKING:
    from aeexplorer.core.checkpoints.file import Checkpoint
    from aeexplorer.core.latent.placement import Placement
    from aeexplorer.ui.resources import MapPoints

    Walk = tuple[np.ndarray, np.ndarray] | None

UPLOAD_FILE, PAD = "upload_file", "upload_pad"
SIDE_DRAW = "talk_draw"  # talk mode's toggle: the pad beside the map
SIDE_PAD_PX = "min(21vw, 40vh)"  # in talk mode's side column at 1280x720 and up


# --- interpolation ------------------------------------------------------------------------

def _random_pair(atlas: MapPoints) -> None:
    a, b = st.session_state["class_a"], st.session_state["class_b"]
    seed = int(np.random.default_rng().integers(2**31))
    ia = views.random_of_class(atlas.labels, a, seed)
    ib = views.random_of_class(atlas.labels, b, seed + 1)
    if ia is None or ib is None:
        st.session_state["path_msg"] = "That class has no test images in this atlas."
        return
    _stops_from_indices(atlas, ia, ib)


def _index_pair(atlas: MapPoints) -> None:
    _stops_from_indices(atlas, st.session_state["index_a"], st.session_state["index_b"])


def _stops_from_indices(atlas: MapPoints, ia: int, ib: int) -> None:
    xy = atlas.xy
    state.set_stops([tuple(xy[ia]), tuple(xy[ib])])
    state.select(tuple(xy[ia]), ia)


def path_panel(ckpt: Checkpoint, atlas: MapPoints, walk: Walk, talk: bool,
               file: tuple[str, float]) -> None:
    """The path's stops and settings, its decoded strip and downloads, and the player that
    walks it on the map (``file``: the checkpoint's path and mtime, for the page decoder)."""
    stops = state.scene().stops
    names = ckpt.class_names
    c1, c2 = st.columns([2, 3])
    with c1:
        st.radio("Interpolation", ["linear", "slerp"], key=state.METHOD, horizontal=True,
                 format_func=lambda m: {"linear": "linear", "slerp": "spherical"}[m])
        st.slider("Frames per leg", *N_FRAMES, key=state.FRAMES)
        path_stops.remove_row(stops)
    with c2:
        with st.container(border=True):
            if names:  # unlabelled data has no classes to pick from
                _class_pair(names, atlas)
            n = len(atlas.labels) - 1
            r = st.columns([2, 2, 3], vertical_alignment="bottom")
            state.default("index_a", 0)
            state.default("index_b", min(1, n))
            r[0].number_input("A: test #", 0, n, key="index_a")
            r[1].number_input("B: test #", 0, n, key="index_b")
            r[2].button("Use these", on_click=_index_pair, args=(atlas,), width="stretch")
    if msg := st.session_state.pop("path_msg", None):
        st.warning(md(msg))
    # the player stands beside the map (see ``fragment.map_view``)
    _path_result(stops, walk, talk, bool(names), lambda where: onepage.button(where, ckpt, file))


def _class_pair(names: tuple[str, ...], atlas: MapPoints) -> None:
    r = st.columns([2, 2, 3], vertical_alignment="bottom")
    state.default("class_a", 3 % len(names))
    state.default("class_b", 8 % len(names))
    r[0].selectbox("A: a random", range(len(names)), key="class_a",
                   format_func=lambda i: names[i])
    r[1].selectbox("B: a random", range(len(names)), key="class_b",
                   format_func=lambda i: names[i])
    r[2].button("Random pair", on_click=_random_pair, args=(atlas,), width="stretch")


def _path_result(stops: list, walk: Walk, talk: bool, by_class: bool = True,
                 one_page: Callable[[object], None] = lambda _: None) -> None:
    """The walk's strip and downloads (``one_page`` puts the one-page file's button in the
    container it is given), or what to do for a walk."""
    if stops:
        st.markdown(" → ".join(f"**{stop_name(i)}** {fmt_z(p)}" for i, p in enumerate(stops)))
    if walk is None:
        hint = "Now click B on the map." if len(stops) == 1 else (
            "Set *A click on the map…* to **Add a path stop** and click the stops in the "
            "order to walk them (A, B, C, …); *The next stop goes…* puts a later one between "
            "two others. Or pick " + ("a random pair or " if by_class else "")
            + "two test images above.")
        st.info(hint)
        one_page(st.columns(3)[0])
        return
    frames = walk[1]
    side = frames.shape[1]  # a 28-pixel frame enlarged as before, another about as large
    cols = min(len(frames), 12 if talk else 20)
    strip = imaging.tile(frames, cols=cols, pad=2)
    with st.container(key="strip"):
        st.image(imaging.to_png(strip, enlarge(side, scale(talk, big=False))),
                 width="stretch" if len(frames) >= cols else "content",
                 caption=f"{len(frames)} decoded frames, {len(stops) - 1} leg(s)")
    d1, d2, d3 = st.columns(3)
    # deferred: the files are made only when a button is pressed, not on every click
    d1.download_button("Strip as PNG", lambda: imaging.to_png(strip, enlarge(side, 4)),
                       "path-strip.png", "image/png", on_click="ignore", width="stretch",
                       icon=":material/download:")
    d2.download_button("Walk as GIF", lambda: imaging.to_gif(frames, scale=enlarge(side, 6)),
                       "path-walk.gif", "image/gif", on_click="ignore", width="stretch",
                       icon=":material/download:")
    one_page(d3)


# --- prior samples ------------------------------------------------------------------------

_PRIOR_NOTE = {
    "vae": "A VAE is trained to fill this prior, so most samples look like real images.",
    "ae": "A plain autoencoder never aimed at this prior: samples that fall in the holes "
          "between its clusters decode to blurs.",
    "pca": "PCA's codes are projections with the spread of the data along each component "
           "(not 1): every code decodes to the mean image plus a blend of the components.",
}


def samples_panel(ckpt: Checkpoint, samples: tuple[np.ndarray, np.ndarray],
                  talk: bool) -> None:
    c1, c2 = st.columns([1, 2])
    with c1:
        st.toggle("Mark the samples on the map", key=state.SHOW_SAMPLES)
        st.slider("Number of samples", *N_SAMPLES, key=state.N_SAMPLES)
        st.slider("Temperature (standard deviation)", *TEMPERATURE, step=0.1, key=state.TEMP)
        a, b = st.columns([3, 2], vertical_alignment="bottom")
        a.number_input("Seed", 0, 2**31 - 2, key=state.SEED)
        b.button("New seed", on_click=new_seed, args=(state.SEED,), width="stretch")
        st.caption("z ~ N(0, T²I), decoded. " + _PRIOR_NOTE[ckpt.config.kind])
    with c2, st.container(key="samples"):
        grid = imaging.grid_image(samples[1], pad=2)
        times = enlarge(samples[1].shape[1], 2 if not talk else 3)
        st.image(imaging.to_png(grid, times), width="content",
                 caption=f"{len(samples[1])} samples, seed {st.session_state[state.SEED]}")


# --- your own image -----------------------------------------------------------------------

def current_upload() -> Placement | None:
    entry = st.session_state.get(state.UPLOAD)
    return entry[1] if entry and not isinstance(entry[1], str) else None


def refresh_upload(load: Callable[[], Checkpoint], version: str) -> bool:
    """Place the uploaded file or the drawing (whichever changed last) once per (image,
    checkpoint version: path and mtime, so that a retrained file places it anew); keep the
    result or the error. ``load`` gives the model, loaded only when there is one to place.
    Whether the image in use changed (then the tabs are behind)."""
    before = st.session_state.get(state.UPLOAD)
    cached_upload(UPLOAD_FILE, PAD, state.UPLOAD, version, lambda data: _place(load(), data))
    return st.session_state.get(state.UPLOAD) is not before


def _place(ckpt: Checkpoint, data: bytes) -> Placement:
    # imported here, not at the top: it imports torch (seconds), which a first visit must not
    # wait for before the map is drawn
    from aeexplorer.core.latent.placement import place_bytes

    return place_bytes(ckpt, data)


def upload_panel(ckpt: Checkpoint, atlas: MapPoints, talk: bool) -> None:
    if talk:  # the pad is beside the map (``side_pad``): here it would not fit
        file_input(upload_label(ckpt.dataset), UPLOAD_FILE, PAD)
        st.caption("…or draw one beside the map: turn on **Draw** there.")
    else:
        uploader(upload_label(ckpt.dataset), UPLOAD_FILE, PAD, talk, colour=ckpt.config.colour)
    entry = st.session_state.get(state.UPLOAD)
    if entry is None:
        st.caption(how_prepared(ckpt.config, ckpt.dataset,
                                "encoded, and marked on the map with a star"))
        return
    if isinstance(entry[1], str):
        st.error(f"Could not use this image. {md(entry[1])}")
        return
    _placement(ckpt, entry[1], talk)


def side_switched() -> None:
    """Talk mode's Draw switch turned off: the drawing goes with the pad (a pad drawn again
    later would be empty while its old star stayed on the map)."""
    if not st.session_state.get(SIDE_DRAW):
        draw.clear(PAD)


def side_pad(ckpt: Checkpoint, talk: bool) -> None:
    """Talk mode's drawing pad beside the map, with what the drawing (or the file chosen in
    the tab below) became: the model's input, its reconstruction, where it lands."""
    pad_col, result = st.columns([3, 2], gap="small")
    with pad_col:
        draw.pad(PAD, talk, ckpt.config.colour, UPLOAD_FILE, px=SIDE_PAD_PX)
    entry = st.session_state.get(state.UPLOAD)
    if entry is None:
        result.caption("Draw a digit: it is encoded and marked on the map with a star.")
    elif isinstance(entry[1], str):
        st.error(f"Could not use this image. {md(entry[1])}")
    else:
        placed = entry[1]
        with result, st.container(key="side_result"):  # ``style`` sizes these images
            image, caption = step_images(placed.steps, ckpt.config.image_size)[-1]
            show(image, caption, talk, big=False)
            show(placed.recon, "reconstruction", talk, big=False)
        with st.container(key="side_landing"):
            st.markdown(f"The star: **z = {fmt_z(placed.z[:2])}**. " + _votes(placed))


def _placement(ckpt: Checkpoint, placed: Placement, talk: bool) -> None:
    nb = placed.neighbours
    shown = step_images(placed.steps, ckpt.config.image_size)
    cols = st.columns(len(shown) + 1)
    for col, (image, caption) in zip(cols, shown):
        with col:
            show(image, caption, talk)
    with cols[-1]:
        show(placed.recon, "reconstruction", talk)
    with st.container(key="landing"):
        st.markdown(f"Lands at **z = {fmt_z(placed.z)}** (the star on the map). "
                    + _votes(placed))
    b1, b2, _ = st.columns([1, 1, 1])
    b1.button("Select this z on the map", on_click=state.select, args=(placed.z[:2],),
              width="stretch")
    b2.button("Add it as a path stop", on_click=state.add_stop, args=(placed.z[:2],),
              width="stretch", help="A walk from your image to a test image, or through it")
    _neighbours(ckpt, nb, talk)


def _votes(placed: Placement) -> str:
    nb = placed.neighbours
    if placed.vote < 0:  # unlabelled data: nothing to vote on
        return f"Its {len(nb.indices)} nearest test images are below."
    return (f"Its {len(nb.indices)} nearest test images vote "
            f"**{md(placed.class_names[placed.vote])}** "
            f"({nb.shared(placed.vote)} of {len(nb.labels)}).")


def _neighbours(ckpt: Checkpoint, nb, talk: bool) -> None:
    originals = resources.originals(ckpt.dataset, resources.image_shape(ckpt.config))
    cols = st.columns(max(len(nb.indices), 1))
    for col, i, lab in zip(cols, nb.indices, nb.labels):
        with col:
            image = (originals[i] if not isinstance(originals, str)
                     else views.decoded_codes(ckpt, [i])[0])
            name = views.class_name(ckpt.class_names, lab)
            show(image, f"#{i}" if name is None else f"{name} · #{i}", talk, big=False)
    if isinstance(originals, str):
        st.caption("Test images are not on this machine: neighbours are shown decoded.")
