"""The explorer's "Similar images" tab: the nearest test images to the selected point (or to
your upload) by latent code, beside the nearest by raw pixels. The two rows differ, which is
the point: the encoder groups images by what they show, pixel distance by how much ink lies
where. Searched by ``aeexplorer.core.latent.neighbours``; this module only picks the query and lays
out the two rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from aeexplorer.app import views
from aeexplorer.core.datasets.split import NO_LABEL
from aeexplorer.core.latent.neighbours import Neighbours, PixelIndex, nearest, overlap
from aeexplorer.ui import resources, state
from aeexplorer.ui.explorer import panels
from aeexplorer.ui.image_view import show
from aeexplorer.ui.latent_map import fmt_z
from aeexplorer.ui.text import md

if TYPE_CHECKING:
    from aeexplorer.core.checkpoints.file import Checkpoint
    from aeexplorer.ui.resources import MapPoints

K, SOURCE = "sim_k", "sim_source"
K_RANGE, K_DEFAULT, PER_ROW, VOTE_K = (4, 16), 8, 8, 5
SELECTED, UPLOADED = "The selected point", "Your uploaded image"
NO_DATA = ("The test images are not on this machine (set AEEXPLORER_DATA to a folder that "
           "holds them), so there are no pixel-space neighbours to show; the latent "
           "neighbours are shown decoded from their codes.")


@dataclass(frozen=True)
class Query:
    z: list[float]  # the full code (a point of empty space: its map position padded)
    image: np.ndarray | None  # its pixels ((S, S) or (S, S, 3)) to search the test images from
    label: int  # its class, or the vote of its nearest codes (-1: unlabelled data)
    index: int | None  # a test image's own index, left out of both rows
    what: str  # how the query is described above the rows
    xy: tuple[float, float] | None = None  # a point of empty space: where it was clicked


@st.cache_resource(max_entries=2, show_spinner="Indexing the test images…")
def pixel_index(dataset: str, root: str, shape: tuple[int, int] | None = None
                ) -> PixelIndex | str:
    """The test images with their labels, indexed once per data set and image shape; or why
    they are absent."""
    split = resources.test_split(dataset, root, shape)
    return split if isinstance(split, str) else PixelIndex(*split)


def _pixels(ckpt: Checkpoint) -> PixelIndex | str:
    return pixel_index(ckpt.dataset, resources.data_root(), resources.image_shape(ckpt.config))


def latent_row(ckpt: Checkpoint, atlas: MapPoints, query: Query, k: int) -> Neighbours:
    """The k nearest test codes: to a point of empty space, by distance on the map (z1, z2,
    where it was clicked: the map shows no other dimension); otherwise by the full code."""
    if query.xy is not None:
        return atlas.index.nearest(query.xy, k)
    if ckpt.config.latent_dim == 2:  # the full code is the map position: the map's index
        return atlas.index.nearest(query.z, k, query.index)
    return nearest(ckpt.atlas.mu.numpy(), ckpt.atlas.labels.numpy(), query.z, k, query.index)


def chosen_query(ckpt: Checkpoint, atlas: MapPoints, index: PixelIndex | str) -> Query:
    """The query the user chose: the selected test image or z, or the current upload."""
    placed = panels.current_upload()
    if _wants_upload():
        image = placed.steps.image if placed.steps is not None else placed.recon
        label = placed.vote if placed.class_names else NO_LABEL  # no classes: no vote
        return Query(list(placed.z), image, label, None,
                     f"your image, landing at z = {fmt_z(placed.z)}")
    s = state.scene()
    i = s.index if s.index is not None and s.index < len(atlas.labels) else None
    if i is not None:
        shape = ckpt.config.image_shape
        pixels = index.flat[i].reshape(shape) if _aligned(index, atlas, ckpt) else None
        return Query(views.code_of(ckpt, i), pixels, int(atlas.labels[i]), i,
                     f"test image #{i}")
    z, xy = views.full_z(ckpt, s.z), (float(s.z[0]), float(s.z[1]))
    voters = atlas.index.nearest(xy, VOTE_K)
    label = voters.vote() if ckpt.class_names else NO_LABEL  # unlabelled data: no vote
    return Query(z, ckpt.ops.decode(z)[0], label, None,
                 f"the decoded point z = {fmt_z(z)}", xy)


def rings(ckpt: Checkpoint, atlas: MapPoints) -> Neighbours | None:
    """The latent neighbours the tab lists (of the selected point, or of the upload), for
    the map to ring them; None with nothing selected."""
    if (state.scene().z is None and not _wants_upload()) or len(atlas.labels) == 0:
        return None
    query = chosen_query(ckpt, atlas, "the pixels are not needed here")
    return latent_row(ckpt, atlas, query, int(st.session_state.get(K, K_DEFAULT)))


def _wants_upload() -> bool:
    return panels.current_upload() is not None and st.session_state.get(SOURCE) == UPLOADED


def _aligned(index: PixelIndex | str, atlas: MapPoints, ckpt: Checkpoint) -> bool:
    """The atlas indexes these very test images (a hand-made atlas may not), which have the
    model's size and channels (see ``_unfit``)."""
    return (not isinstance(index, str) and len(index) == len(atlas.labels)
            and _unfit(index, ckpt) is None)


def _unfit(index: PixelIndex, ckpt: Checkpoint) -> str | None:
    """Why the test images on disk cannot be compared with this model's images, pixel by
    pixel (a data set read at another size, or in grey for a colour model), or None."""
    if index.rows.shape[1] == ckpt.config.pixels:
        return None
    return (f"The test images on this machine hold {index.rows.shape[1]} values each, this "
            f"model's images {ckpt.config.pixels} ({_described(ckpt)}): no pixel-space "
            "neighbours.")


def _described(ckpt: Checkpoint) -> str:
    side = ckpt.config.image_size
    return f"{side}×{side} pixels" + (" × 3 colours" if ckpt.config.colour else "")


def similar_panel(ckpt: Checkpoint, atlas: MapPoints, talk: bool, open_: bool = True) -> None:
    """The controls, the query and its two rows of neighbours; the search only while the tab
    is ``open_`` (the controls draw always, so they keep their values)."""
    left, right = st.columns([1, 2], vertical_alignment="bottom")
    state.default(K, K_DEFAULT)
    left.slider("Neighbours per row", *K_RANGE, key=K)
    if panels.current_upload() is not None:
        state.default(SOURCE, SELECTED)
        right.segmented_control("Neighbours of…", [SELECTED, UPLOADED], key=SOURCE,
                                required=True)
    if not open_:
        return
    if state.scene().z is None and not _wants_upload():
        st.info("Select a point first: click a test image or any spot on the map (or upload "
                "an image under *Your own image*) to see the test images nearest to it, by "
                "latent code and by pixels.")
        return
    if len(atlas.labels) == 0:
        st.info("This checkpoint's atlas holds no test images: there are no neighbours to "
                "show.")
        return
    # the test images are read only now: a first visit draws the map without waiting for them
    index = _pixels(ckpt)
    query = chosen_query(ckpt, atlas, index)
    with st.container(key="similar"):
        _rows(ckpt, atlas, index, query, int(st.session_state.get(K, K_DEFAULT)), talk)


def _rows(ckpt: Checkpoint, atlas: MapPoints, index: PixelIndex | str, query: Query, k: int,
          talk: bool) -> None:
    names = ckpt.class_names
    name = views.class_name(names, query.label)
    kind = "class" if query.index is not None else f"vote of its {VOTE_K} nearest codes"
    pic, text = st.columns([1, PER_ROW - 1], vertical_alignment="center")
    if query.image is not None:
        with pic:
            show(query.image, "query", talk, big=False)
    text.markdown(f"Neighbours of **{query.what}**"
                  + (f" · {kind}: **{md(name)}**" if name is not None else ""))
    near_z = latent_row(ckpt, atlas, query, k)
    on_map = query.xy is not None and ckpt.config.latent_dim > 2
    st.markdown("**In latent space** — " + ("distance on the map (z₁, z₂)" if on_map else
                                             "distance between codes"))
    _strip(ckpt, index if _aligned(index, atlas, ckpt) else None, near_z, talk)
    if name is not None:
        st.caption(_share(near_z, name, query.label))
    if isinstance(index, str):
        st.info(NO_DATA)
        return
    if (unfit := _unfit(index, ckpt)) is not None:
        st.info(unfit)
        return
    if query.image is None:
        st.info("This checkpoint's atlas does not match the test images on disk, so this test "
                "image's pixels are unknown here: no pixel-space neighbours.")
        return
    near_px = index.nearest(query.image, k, query.index)
    over = (f"the {ckpt.config.pixels} pixels" if not ckpt.config.colour else
            f"the {ckpt.config.pixels} values ({_described(ckpt)})")
    st.markdown(f"**In pixel space** — Euclidean distance over {over}")
    _strip(ckpt, index, near_px, talk)
    both = f"{overlap(near_z, near_px)} of the {k} appear in both rows."
    st.caption(both if name is None else f"{_share(near_px, name, query.label)} · {both}")


def _share(near: Neighbours, name: str, label: int) -> str:
    return f"{near.shared(label)} of {len(near.indices)} are {md(name)}."


def _strip(ckpt: Checkpoint, index: PixelIndex | None, near: Neighbours, talk: bool) -> None:
    """Thumbnails in rows of PER_ROW, captioned with class and distance; decoded from the
    atlas codes when the test images are not on disk."""
    if index is not None:
        images = index.flat[near.indices].reshape(-1, *ckpt.config.image_shape)
    else:
        images = views.decoded_codes(ckpt, near.indices)
    for start in range(0, len(images), PER_ROW):
        cols = st.columns(PER_ROW)
        for j, col in enumerate(cols[: len(images) - start]):
            n = start + j
            name = views.class_name(ckpt.class_names, near.labels[n])
            distance = f"{near.distances[n]:.2f}"
            with col:
                show(images[n], distance if name is None else f"{name} · {distance}", talk,
                     big=False)
