"""Shared, read-only resources, loaded once per server process (``st.cache_resource``): the
models with their atlases, the test images, decoded manifolds. Keys include the file's mtime,
so a retrained checkpoint is reloaded."""

from __future__ import annotations

import functools
import gc
import os
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from aeexplorer.app import density, figures, imaging, views
from aeexplorer.core.checkpoints.file import list_checkpoints, load_checkpoint
from aeexplorer.core.checkpoints.header import check_file, read_atlas
from aeexplorer.core.datasets.loading import load_split, resolve_data_root
from aeexplorer.core.datasets.registry import class_names_of
from aeexplorer.core.errors import AeError
from aeexplorer.core.latent.spatial import GridIndex

if TYPE_CHECKING:
    from aeexplorer.core.checkpoints.file import Checkpoint


SESSION_ID = "session_id"


@dataclass(frozen=True)
class MapPoints:
    """The map of a checkpoint as the pages draw it: its atlas (the test codes, a torch
    ``checkpoints.file.Atlas``) read as numpy, the first two dimensions, and the view that
    holds it."""
    xy: np.ndarray  # (N, 2) map coordinates
    labels: np.ndarray  # (N,)
    bounds: tuple[tuple[float, float], tuple[float, float]]

    @functools.cached_property
    def index(self) -> GridIndex:
        """The map positions indexed for nearest-code search (a grid: a click on a million
        codes searches a few cells), built once and shared as the map is."""
        return GridIndex(self.xy, self.labels)

    @functools.cached_property
    def outside(self) -> int:
        """How many codes lie outside ``bounds`` (counted once, not on every click's rerun)."""
        return views.outside(self.xy, self.bounds)


def checkpoint_folders(root: Path) -> list[Path]:
    """``checkpoints/`` (shipped), ``runs/`` (your own trainings), then any folders listed in
    AEEXPLORER_CHECKPOINT_DIRS (os.pathsep-separated)."""
    extra = [Path(p).expanduser() for p in
             os.environ.get("AEEXPLORER_CHECKPOINT_DIRS", "").split(os.pathsep) if p.strip()]
    return [root / "checkpoints", root / "runs", *extra]


def session_id() -> str:
    """This browser session's id: its folder's name, and the owner of its trainings."""
    return st.session_state.setdefault(SESSION_ID, uuid.uuid4().hex)


def session_folder(root: Path) -> Path:
    """This session's own trainings (the Train page): ``runs/sessions/<session id>/``. Only
    this session lists it; ``runs/`` itself is shared and its subfolders are not listed."""
    return root / "runs" / "sessions" / session_id()


def mine(path: Path) -> str:
    """A label suffix for a model trained in this session (the only session that lists it)."""
    return " · trained here" if path.parent.parent.name == "sessions" else ""


def list_files(root: Path, extra: Sequence[Path] = ()) -> list[Path]:
    """The checkpoints in ``checkpoint_folders`` and the ``extra`` folders."""
    seen: dict[Path, None] = {}
    for p in list_checkpoints(*checkpoint_folders(root), *extra):
        seen.setdefault(p.resolve(), None)
    return list(seen)


@st.cache_resource(max_entries=64, show_spinner=False)
def card(path: str, mtime: float) -> dict | str:
    """The model card from the header (no weights; the atlas's values checked too), or the
    reason the file cannot be used, shared by every page and session."""
    try:
        return check_file(path)
    except AeError as exc:
        return str(exc)


def card_at(path: Path) -> dict | str:
    """``card`` for a listed file, or why not when it has gone since it was listed."""
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return f"{path.name} is no longer there"
    return card(str(path), mtime)


@st.cache_resource(max_entries=8, show_spinner="Loading the model…")
def checkpoint(path: str, mtime: float) -> Checkpoint:
    ckpt = load_checkpoint(path)
    for p in ckpt.model.parameters():
        p.requires_grad_(False)
    return _long_lived(ckpt)


def _long_lived(value):
    """``value``, once the heap is frozen. A loader here is what imports torch, and torchvision
    (which brings sympy, dynamo, triton): a few hundred thousand objects that live as long as
    the server, and that every full garbage collection walked (pauses in the middle of
    clicks). Frozen (``gc.freeze``), collections skip them."""
    gc.freeze()
    return value


def torch_ready() -> bool:
    """Whether this server process has imported torch yet. The first import takes seconds of
    CPU, which a first visit would otherwise spend while the browser draws the map."""
    return "torch" in sys.modules


def import_torch() -> None:
    import torch  # noqa: F401  (imported for its side effect: the module is loaded)


@st.cache_resource(max_entries=8, show_spinner=False)
def atlas(path: str, mtime: float) -> MapPoints:
    """Read without the weights or torch: the map is drawn while the model still loads."""
    mu, labels = read_atlas(path)
    xy = views.map_xy(mu)
    return MapPoints(xy, labels, views.map_bounds(xy))


@st.cache_resource(max_entries=8, show_spinner=False)
def reference_atlas(path: str, mtime: float) -> MapPoints:
    """A reference map's points (``core.latent.reference``): test image i at row i."""
    from aeexplorer.core.latent.reference import load_reference

    ref = load_reference(path)
    xy = views.map_xy(ref.codes)
    return MapPoints(xy, ref.labels, views.map_bounds(xy))


@st.cache_resource(max_entries=8, show_spinner=False)
def reference_map(path: str, mtime: float, dataset: str, talk: bool, bounds: tuple) -> dict:
    """A reference map drawn as a model's (``base_map``), its classes named by its data set."""
    maps = reference_atlas(path, mtime)
    return figures.latent_map(maps.xy, maps.labels, class_names_of(dataset), bounds, talk=talk,
                              revision=path).to_dict()


@st.cache_resource(max_entries=4, show_spinner="Loading the test images…")
def test_split(dataset: str, root: str, shape: tuple[int, int] | None = None
               ) -> tuple[np.ndarray, np.ndarray] | str:
    """The test set under ``root`` as a model of ``shape`` (its image size and channels,
    ``image_shape``; None: the data set's own) takes it: (N, H, W) or (N, H, W, 3) images and
    their (N,) labels, read once per process; or a message saying why they are not
    available."""
    from aeexplorer.core.images.layout import as_images  # torch: a first visit does without it

    size, channels = shape if shape is not None else (None, None)
    try:
        split = load_split(dataset, False, root, image_size=size, channels=channels)
    except AeError as exc:
        return str(exc)
    return _long_lived((as_images(split.images), split.labels.numpy()))


def test_images(dataset: str, root: str, shape: tuple[int, int] | None = None
                ) -> np.ndarray | str:
    """The test images as a model of ``shape`` takes them, or why they are not available."""
    split = test_split(dataset, root, shape)
    return split if isinstance(split, str) else split[0]


def image_shape(config) -> tuple[int, int]:
    """A model config's image size and channels: the key its test images are read by."""
    return int(config.image_size), int(config.image_channels)


def data_root() -> str:
    """The data folder in use (AEEXPLORER_DATA or the default), as a cache key."""
    return str(resolve_data_root())


def originals(dataset: str, shape: tuple[int, int] | None = None) -> np.ndarray | str:
    """The test images under the data folder in use, as a model of ``shape`` takes them
    (``image_shape``), or why they are absent."""
    return test_images(dataset, data_root(), shape)


@st.cache_resource(max_entries=24, show_spinner="Decoding the manifold…")
def manifold(path: str, mtime: float, x_range: tuple[float, float],
             y_range: tuple[float, float], n: int) -> tuple[str, tuple[float, ...]]:
    """The decoded manifold as a data URI (dark ink on white) and its extent on the map."""
    big, extent = views.manifold(checkpoint(path, mtime), x_range, y_range, n)
    return imaging.data_uri(imaging.to_png(imaging.ink_on_paper(big))), extent


@st.cache_resource(max_entries=32, show_spinner=False)
def base_map(path: str, mtime: float, talk: bool, bounds: tuple,
             by_colour: bool = False) -> dict:
    """The map without overlays (atlas points and click grid), as a figure dict shared by all
    sessions: a click adds its overlays to a copy instead of building 40k points anew.
    ``by_colour``: each dot in its decoded image's colour (a small map of a colour model)."""
    names = card(path, mtime)["classes"]
    maps = atlas(path, mtime)
    colours = (views.image_colours(checkpoint(path, mtime))
               if by_colour and len(maps.xy) <= density.MAX_POINTS else None)
    return figures.latent_map(maps.xy, maps.labels, names, bounds, talk=talk,
                              revision=path, dot_colours=colours).to_dict()
