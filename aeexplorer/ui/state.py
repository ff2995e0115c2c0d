"""Per-person state in ``st.session_state``: the scene (see ``aeexplorer.app.scene``), seeded from
the URL on a session's first run and written back to the URL after every run; and how another
page opens the Explorer on a checkpoint (``open_in_explorer``)."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from aeexplorer.app.scene import Scene

EXPLORER_PAGE = "aeexplorer/ui/pages/explorer.py"  # its page script, as app.py registers it
SCENE = "scene"
UPLOAD = "upload"  # (file id, Placement or error message) of the current upload
# widget keys whose values belong to the scene
FRAMES, METHOD, SEED, TEMP, N_SAMPLES, TALK, MANIFOLD = (
    "frames", "method", "seed", "temperature", "n_samples", "talk", "manifold")
SHOW_SAMPLES, CLICK_MODE, MAP, TAB = "show_samples", "click_mode", "map", "tool_tab"
DECODE, ADD_STOP = "Decode it", "Add a path stop"
_WIDGETS = {FRAMES: "frames", METHOD: "method", SEED: "seed", TEMP: "temperature",
            N_SAMPLES: "samples", TALK: "talk", MANIFOLD: "manifold",
            SHOW_SAMPLES: "show_samples"}


def init() -> Scene:
    """On a session's first run, read the scene from the URL and seed the widgets with it."""
    if SCENE not in st.session_state:
        scene = Scene.from_query(st.query_params.to_dict())
        st.session_state[SCENE] = scene
        for key, attr in _WIDGETS.items():
            st.session_state[key] = getattr(scene, attr)
        st.session_state.setdefault(CLICK_MODE, DECODE)
    return st.session_state[SCENE]


def scene() -> Scene:
    return st.session_state[SCENE]


def current() -> Scene:
    """The scene with the widgets' current values filled in."""
    values = {attr: st.session_state.get(key, getattr(scene(), attr))
              for key, attr in _WIDGETS.items()}
    return replace(scene(), **values)


def sync_url() -> None:
    """Write the scene to the URL when it changed (a bookmark restores it)."""
    wanted = current().to_query()
    if wanted != st.query_params.to_dict():
        st.query_params.from_dict(wanted)


def select(z: tuple[float, float], index: int | None = None) -> None:
    s = scene()
    s.z, s.index = (float(z[0]), float(z[1])), index


def add_stop(z: tuple[float, float]) -> None:
    from aeexplorer.app.scene import MAX_STOPS

    stops = scene().stops
    if len(stops) < MAX_STOPS:
        stops.append((float(z[0]), float(z[1])))


def set_stops(stops: list[tuple[float, float]]) -> None:
    scene().stops = [(float(x), float(y)) for x, y in stops]


def reset_for(ckpt_name: str) -> None:
    """A new checkpoint is a new latent space: codes picked in the old one mean nothing. A
    link that names no checkpoint (``/?z=0,0``) means the default one: its scene is kept."""
    s = scene()
    if s.ckpt is None:
        s.ckpt = ckpt_name
    elif s.ckpt != ckpt_name:
        s.ckpt, s.z, s.index, s.stops = ckpt_name, None, None, []
        st.session_state.pop(UPLOAD, None)


def open_in_explorer(ckpt_name: str) -> None:
    """Switch to the Explorer on checkpoint ``ckpt_name`` (its name in the picker), as a link
    naming it would: another checkpoint than the scene's starts a new scene."""
    init()
    reset_for(ckpt_name)
    st.switch_page(EXPLORER_PAGE)
