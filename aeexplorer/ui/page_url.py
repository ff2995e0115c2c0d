"""The URL of the pages other than the Explorer: talk mode and the models on show, so that a
reload (F5), a bookmark or a link keeps the talk and the models. (The Explorer's URL is its
scene: ``state``.) Streamlit clears the URL on a move to another page, so each page writes
its own on every run; talk mode itself lives in the scene, which outlives the move."""

from __future__ import annotations

import streamlit as st

from aeexplorer.ui import sidebar, state, style

TALK = "talk"


def start(page: str) -> bool:
    """At the top of page ``page`` (its name): the scene (read from the URL on a session's
    first run), the talk mode toggle, the page's style, and ``talk`` in the URL. Whether
    talk mode is on."""
    state.init(page)
    talk = sidebar.talk_toggle()
    style.apply(talk)
    if talk and st.query_params.get(TALK) != "1":
        st.query_params[TALK] = "1"
    elif not talk and TALK in st.query_params:
        del st.query_params[TALK]
    return talk


def wanted(param: str, scene_model: bool = False) -> str | None:
    """The model file name the URL's ``param`` names; else, with ``scene_model``, the
    Explorer's model (a talk moving from the Explorer keeps its model)."""
    name = st.query_params.get(param)
    if not name and scene_model:
        name = state.scene().ckpt
    return name or None


def keep(param: str, name: str | None) -> None:
    """``param`` in the URL set to ``name`` (the model picked); removed for None."""
    if name is None:
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != name:
        st.query_params[param] = name
