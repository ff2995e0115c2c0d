"""The replay of how a checkpoint's map formed, shown under the Explorer's map and on the Train
page once a training is done: its snapshots (``core.checkpoints.snapshots``) as a Plotly
animation with a slider and Play, which runs in the browser."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from aeexplorer.app.replay import REPLAY_TITLE, replay_figure
from aeexplorer.core.checkpoints.snapshots import NONE_NOTE, Snapshots, describe, read_snapshots
from aeexplorer.core.errors import AeError
from aeexplorer.ui.text import md


@st.cache_resource(max_entries=8, show_spinner=False)
def snapshots(path: str, mtime: float) -> Snapshots | str | None:
    """The file's snapshots (None: it has none), or why they cannot be read."""
    try:
        return read_snapshots(path)
    except AeError as exc:
        return str(exc)


def replay(path: str, mtime: float, class_names: Sequence[str], talk: bool,
           key: str = "replay", expanded: bool = False) -> None:
    """An expander with the replay, or a line saying this checkpoint holds no snapshots."""
    snaps = snapshots(path, mtime)
    with st.expander(REPLAY_TITLE, expanded=expanded):
        if snaps is None:
            st.caption(md(_sentence(NONE_NOTE)))
            return
        if isinstance(snaps, str):
            st.warning(f"The snapshots cannot be shown: {md(snaps)}")
            return
        st.caption(md(_sentence(describe(snaps)) + " Press ▶ Play, or drag the slider: "
                      "each dot is one test image, placed where the model put it then."))
        st.plotly_chart(replay_figure(snaps, class_names, talk), key=key, theme=None,
                        width="stretch")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."
